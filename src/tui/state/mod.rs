//! Per-view state and what each view's keys do.

pub mod curves;
pub mod jobs;
pub mod labels;
pub mod models;
pub mod overview;
pub mod palette;
pub mod videos;
