//! posedeck: a terminal workstation for animal pose estimation.
//!
//! Dependencies point inward: `tui` and `cli` use `project`, `engine`, `labels` and `formats`;
//! `formats` knows nothing of the UI.

pub mod cli;
pub mod demo;
#[cfg(feature = "engine")]
pub mod engine;
pub mod error;
pub mod formats;
pub mod labels;
pub mod project;
pub mod sanitize;
pub mod tui;
pub mod util;
pub mod watch;

pub use error::{Error, Result};
