//! posedeck's integration tests: one binary (each test binary links everything).
//! Each area has its own module file.

mod common;
mod csv;
mod demo;
mod labels;
mod slp;
mod tfevents;
mod tui;
