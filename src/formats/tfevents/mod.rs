//! TensorBoard events files (`events.out.tfevents.*`): reading (CRC-checked, zero-copy,
//! multi-threaded for large files), incremental tailing, discovery under a directory, and
//! writing.
//!
//! - [`record`]: TFRecord framing and masked CRC-32C.
//! - [`proto`]: the protobuf decoder for Event / Summary / Value / TensorProto / SummaryMetadata.
//! - [`read_events_file`], [`read_events_dir`]: whole files, with damage reported by offset.
//! - [`EventsTailer`]: reads only what was appended since the last call.
//! - [`find_events_files`]: every events file under a file, model directory or project.
//! - [`EventsWriter`]: writes scalars and text summaries like Lightning's TensorBoardLogger.
//! - [`best_value`]: the lowest value of a tag (e.g. `val_supervised_loss`).

pub(crate) mod decode;
mod discover;
mod fileread;
pub(crate) mod pipeline;
pub mod proto;
mod reader;
pub mod record;
mod series;
pub(crate) mod stream;
mod stream_pipe;
#[cfg(test)]
mod stream_tests;
mod tail;
mod writer;

pub use discover::{find_events_files, is_events_file_name};
pub use reader::{
    best_value, best_value_under, decode_events, read_events_dir, read_events_file,
    read_events_file_tag, read_events_summaries,
};
pub use series::{
    BestValue, EventsFile, OtherTag, ScalarPoint, ScalarSeries, ScalarSummary, TailUpdate,
    TextSeries,
};
pub use tail::EventsTailer;
pub use writer::{EventsWriter, FILE_VERSION, now};

/// The tag Lightning Pose logs its validation loss under.
pub const VAL_LOSS_TAG: &str = "val_supervised_loss";
