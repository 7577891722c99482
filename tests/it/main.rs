//! posedeck's integration tests: one binary (each test binary links everything).
//! Each area has its own module file.

mod adversarial;
mod binary_size;
mod common;
pub mod compare;
mod completions;
mod csv;
mod demo;
#[cfg(feature = "engine")]
mod engine;
#[cfg(feature = "engine")]
mod gpu_check;
mod jobs;
#[cfg(feature = "engine")]
mod jobs_detached;
#[cfg(feature = "engine")]
mod jobs_form;
#[cfg(feature = "engine")]
mod jobs_targets;
mod labels;
mod plot;
mod project;
mod slp;
mod slp_tables;
#[cfg(feature = "engine")]
mod slurm;
mod status_gaps;
mod tfevents;
mod tui;
mod unsup;
mod video;
