//! The SLEAP-style Labels model and its operations.
//!
//! - [`model`]: the plain data types (videos, skeletons, tracks, frames, instances, points).
//! - [`Labels`]: the data plus lookup tables; read through `Deref`, change through methods.

mod edits;
mod index;
pub mod model;
mod store;

pub use edits::InstanceRef;
pub use model::{
    EmbeddedFrames, Instance, InstanceKind, JsonMap, LabeledFrame, LabelsData, NegativeAnchor,
    NegativeFrame, Point, Skeleton, Suggestion, Track, Video,
};
pub use store::Labels;
