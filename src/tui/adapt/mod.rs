//! Adapters from the project model, the CSV readers and the events reader to the views' data.
//! TEMPORARY until the project/csv/tfevents modules land.

use crate::tui::chart::Point;
use crate::tui::data::{Data, RunRow};
use crate::tui::state::labels::FramePreds;
use crate::tui::state::videos::VideoPreds;
use std::path::{Path, PathBuf};

pub mod slp;

pub fn project(target: &str) -> Result<Data, String> {
    if target.ends_with(".slp") {
        return slp::load(Path::new(target));
    }
    Err(format!("{target}: project model not available yet"))
}

pub fn run(p: &Path) -> Result<RunRow, String> {
    Err(format!("{}: not available yet", p.display()))
}

pub fn frame_predictions(p: &Path) -> Result<FramePreds, String> {
    Err(format!("{}: not available yet", p.display()))
}

pub fn video_predictions(p: &Path) -> Result<VideoPreds, String> {
    Err(format!("{}: not available yet", p.display()))
}

pub struct Tail {
    path: PathBuf,
}

impl Tail {
    pub fn new(p: &Path) -> Tail {
        Tail {
            path: p.to_path_buf(),
        }
    }
    pub fn read_new(&mut self) -> (Vec<(String, Point)>, Option<String>) {
        (
            Vec::new(),
            Some(format!("{}: not available yet", self.path.display())),
        )
    }
}
