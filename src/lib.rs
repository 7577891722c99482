//! posedeck: a terminal workstation for animal pose estimation.
//!
//! Dependencies point inward: `tui` and `cli` use `project`, `engine`, `labels` and `formats`;
//! `formats` knows nothing of the UI.

pub mod cli;
pub mod compare;
pub mod curves;
pub mod demo;
#[cfg(feature = "engine")]
pub mod engine;
/// Without the `engine` feature only the job API (events, cancel flag) is built, so the
/// workstation's job list compiles the same either way.
#[cfg(not(feature = "engine"))]
pub mod engine {
    pub mod job;
    pub use job::{Job, JobCtx, JobEvent};
}
pub mod error;
pub mod formats;
pub mod jobs;
pub mod labels;
pub mod plot;
pub mod project;
pub mod sanitize;
pub mod settings;
pub mod tempfiles;
pub mod tui;
pub mod util;
pub mod video;
pub mod watch;

pub use error::{Error, Result};
