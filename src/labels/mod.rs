//! The SLEAP-style Labels model and its operations.
//!
//! - [`model`]: the plain data types (videos, skeletons, tracks, frames, instances, points).
//! - [`Labels`]: the data plus lookup tables; read through `Deref`, change through methods.

pub mod backup;
mod dict;
mod edits;
pub mod extract;
mod index;
mod io;
mod lp;
pub mod lp_doc;
pub mod lp_write;
pub mod matching;
pub mod media;
mod merge;
pub mod model;
mod queries;
pub mod queue;
mod resolve;
pub mod slp_doc;
pub mod slp_write;
mod store;
mod suggestions;
mod tracks;
mod training;
pub mod undo;

pub use edits::InstanceRef;
pub use io::{LabelsFormat, LoadedLabels};
pub use lp::{LP_PROVENANCE, LpExportOptions, LpImage, LpPlan, LpReport};
pub use lp_doc::LpDocument;
pub use lp_write::labeled_images;
pub use merge::{MergeConflict, MergeOutcome, MergedFrame, Prefer, Unification};
pub use model::{
    EmbeddedFrames, Instance, InstanceKind, JsonMap, LabeledFrame, LabelsData, NegativeAnchor,
    NegativeFrame, Point, Skeleton, Suggestion, Track, Video,
};
pub use queries::FrameQuery;
pub use resolve::{FoundBy, PathFix, ResolveReport};
pub use slp_doc::SlpDocument;
pub use store::Labels;
pub use suggestions::Seek;
pub use training::{ExportSummary, TrainingData, TrainingExample, TrainingOptions};
pub use undo::UndoStack;

#[cfg(test)]
mod tests;
