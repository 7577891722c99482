//! The floor of `bench status`: the files a first open of the project reads, read whole into
//! one reused buffer (as `cat` reads them), measured in the same rounds as the processes.

use super::super::timing::{self, Stats};
use super::{MARKER, ProcStats};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The floor measured beside the processes: what a first open must read, read whole.
#[derive(Serialize)]
pub(super) struct Floor {
    pub files: usize,
    pub bytes: u64,
    pub read: Stats,
    pub read_cpu: Stats,
}

impl Floor {
    pub fn of(files: &[PathBuf], bytes: u64, rounds: &[(f64, f64)]) -> Floor {
        Floor {
            files: files.len(),
            bytes,
            read: Stats::of(rounds.iter().map(|r| r.0).collect()),
            read_cpu: Stats::of(rounds.iter().map(|r| r.1).collect()),
        }
    }

    pub fn show(&self) -> String {
        format!(
            "floor: the {} files a first open reads ({:.1} MB), read whole into one reused buffer: {}; CPU {}",
            self.files,
            self.bytes as f64 / 1e6,
            self.read.show(),
            timing::ms(self.read_cpu.median_s)
        )
    }
}

/// The files `posedeck status` reads on a first open: every regular file of the project but
/// images, videos, checkpoints, `predictions.csv` (status reads the metric CSVs beside it)
/// and the benchmark's marker (the same files `strace -e openat` shows it reading).
pub(super) fn status_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let (Ok(ft), name) = (e.file_type(), e.file_name()) else {
                continue;
            };
            let name = name.to_string_lossy();
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file()
                && name != "predictions.csv"
                && name != MARKER
                && !name.ends_with(".ckpt")
                && !name.ends_with(".png")
                && !name.ends_with(".mp4")
            {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// One round of the floor: (wall, CPU) seconds.
pub(super) fn floor_round(files: &[PathBuf], buf: &mut Vec<u8>) -> anyhow::Result<(f64, f64)> {
    timing::wall_and_cpu(|| timing::floor_read_files(files, buf))
}

/// Median of one field of the runs.
pub(super) fn median_of(each: &[ProcStats], f: impl Fn(&ProcStats) -> f64) -> f64 {
    Stats::of(each.iter().map(f).collect()).median_s
}
