//! Adapters from the project model (`crate::project`), the CSV readers and the events reader
//! to the views' data.

use crate::tui::chart::Point;
use crate::tui::data::{Data, RunRow};
use crate::tui::state::labels::FramePreds;
use crate::tui::state::videos::VideoPreds;
use std::path::Path;

pub mod project;
pub mod slp;
pub mod tables;

/// Opens what `posedeck [PROJECT]` was given: a .slp file, else a Lightning Pose project (a
/// project folder of either app generation, a bare litpose folder, a run folder, a registry
/// key).
pub fn project(target: &str) -> Result<Data, String> {
    project_with(target, true)
}

/// [`project`]; `probe_videos`: run ffprobe on a project's videos (when installed).
pub fn project_with(target: &str, probe_videos: bool) -> Result<Data, String> {
    if target.ends_with(".slp") {
        return slp::load(Path::new(target));
    }
    project::load(target, probe_videos)
}

/// Rereads one known run folder (its name and layout as the project listed them).
pub fn run(run: &crate::tui::jobs::RunRef) -> Result<RunRow, String> {
    if !run.path.is_dir() {
        return Err(format!("{}: the run folder is gone", run.path.display()));
    }
    Ok(project::reload_run(
        &run.path,
        run.name.clone(),
        run.layout.clone(),
    ))
}

pub fn frame_predictions(p: &Path) -> Result<FramePreds, String> {
    tables::frame_predictions(p)
}

pub fn video_predictions(p: &Path) -> Result<VideoPreds, String> {
    tables::video_predictions(p)
}
/// What one read of an events file gave.
#[derive(Debug, Default)]
pub struct TailRead {
    pub points: Vec<(String, Point)>,
    /// The file's current problem (damage with its byte offset, unreadable file).
    pub error: Option<String>,
    /// The file was replaced or shrank and was read from the start.
    pub reset: bool,
    /// `error` differs from the previous read's.
    pub error_changed: bool,
}

/// Follows one events file through `formats::tfevents::EventsTailer` (appended bytes only).
pub struct Tail {
    inner: crate::formats::tfevents::EventsTailer,
    last_error: Option<String>,
}

impl Tail {
    pub fn new(p: &Path) -> Tail {
        Tail {
            inner: crate::formats::tfevents::EventsTailer::new(p),
            last_error: None,
        }
    }

    /// Reads what was appended since the last call.
    pub fn read_new(&mut self) -> TailRead {
        let mut out = TailRead::default();
        match self.inner.poll() {
            Ok(u) => {
                out.reset = u.reset;
                for s in &u.scalars {
                    let tag = crate::sanitize::clean(&s.tag).into_owned();
                    for i in 0..s.len() {
                        if let Some(p) = s.point(i) {
                            out.points.push((
                                tag.clone(),
                                Point {
                                    step: p.step,
                                    wall: p.wall_time,
                                    value: p.value,
                                },
                            ));
                        }
                    }
                }
                out.error = u.error.map(|e| e.to_string());
            }
            Err(e) => out.error = Some(e.to_string()),
        }
        out.error_changed = out.error != self.last_error;
        self.last_error = out.error.clone();
        out
    }
}
