//! The Labels model on real files: every .slp loads into the indexed model, JSON round trips,
//! Lightning Pose <-> SLEAP conversion round trips (also through sleap-io), merges of real
//! label sets, the merge property test, training-data export, and the path resolver.

mod convert;
mod edit;
mod extract;
mod merge;
mod model;
mod outputs;
mod property;

use posedeck::labels::Labels;
use std::path::{Path, PathBuf};

/// The .slp files of ../shared/data/slp.
pub fn slp_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("slp"))
        .expect("slp dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".slp"))
        .collect();
    v.sort();
    v
}

pub fn load(p: &Path) -> Labels {
    Labels::load_file(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .labels
}

/// sha256-free content fingerprint to prove a file was not modified.
pub fn fingerprint(p: &Path) -> (u64, Vec<u8>) {
    let b = std::fs::read(p).expect("read");
    (b.len() as u64, b)
}
