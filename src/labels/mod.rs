//! The SLEAP-style Labels model and its operations.
//!
//! - [`model`]: the plain data types (videos, skeletons, tracks, frames, instances, points).
//! - [`Labels`]: the data plus lookup tables; read through `Deref`, change through methods.

mod dict;
mod edits;
pub mod extract;
mod index;
mod io;
mod lp;
pub mod matching;
pub mod media;
mod merge;
pub mod model;
mod queries;
pub mod queue;
mod resolve;
mod store;
mod suggestions;
mod tracks;
mod training;

pub use edits::InstanceRef;
pub use io::{LabelsFormat, LoadedLabels};
pub use lp::{LP_PROVENANCE, LpExportOptions, LpImage, LpPlan, LpReport};
pub use merge::{MergeConflict, MergeOutcome, MergedFrame, Prefer, Unification};
pub use model::{
    EmbeddedFrames, Instance, InstanceKind, JsonMap, LabeledFrame, LabelsData, NegativeAnchor,
    NegativeFrame, Point, Skeleton, Suggestion, Track, Video,
};
pub use queries::FrameQuery;
pub use resolve::{FoundBy, PathFix, ResolveReport};
pub use store::Labels;
pub use suggestions::Seek;
pub use training::{ExportSummary, TrainingData, TrainingExample, TrainingOptions};

#[cfg(test)]
mod tests;
