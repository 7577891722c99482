//! The SLEAP-style Labels model and its operations.
//!
//! - [`model`]: the plain data types (videos, skeletons, tracks, frames, instances, points).
//! - [`Labels`]: the data plus lookup tables; read through `Deref`, change through methods.

mod edits;
mod index;
pub mod matching;
mod merge;
pub mod model;
mod queries;
mod store;
mod suggestions;
mod tracks;

pub use edits::InstanceRef;
pub use merge::{MergeConflict, MergeOutcome, MergedFrame, Prefer, Unification};
pub use model::{
    EmbeddedFrames, Instance, InstanceKind, JsonMap, LabeledFrame, LabelsData, NegativeAnchor,
    NegativeFrame, Point, Skeleton, Suggestion, Track, Video,
};
pub use queries::FrameQuery;
pub use store::Labels;
pub use suggestions::Seek;

#[cfg(test)]
mod tests;
