//! Finding events files: a file given directly, or every `events.out.tfevents.*` under a
//! directory (a run's `tb_logs/**`, a model directory, a whole project).

use crate::{Error, Result};
use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Directories never searched: they hold images and videos, not logs.
const SKIP_DIRS: &[&str] = &[
    "labeled-data",
    "videos",
    "videos_infer",
    "videos_tmp",
    "node_modules",
    "__pycache__",
];

const MAX_DEPTH: usize = 16;

/// True for TensorBoard event file names (`events.out.tfevents.<ts>.<host>...`).
pub fn is_events_file_name(name: &str) -> bool {
    name.contains(".tfevents.") || name.starts_with("events.out.tfevents")
}

/// Events files at `path`: the file itself, or every events file below the directory (sorted).
/// An empty list means a directory without events files.
pub fn find_events_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !meta.is_dir() {
        return Err(Error::invalid(path, "not a file or directory"));
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    seen.insert((meta.dev(), meta.ino()));
    walk(path, 0, &mut seen, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(
    dir: &Path,
    depth: usize,
    seen: &mut HashSet<(u64, u64)>,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Follows symlinks; a dangling link is skipped.
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_file() {
            if is_events_file_name(&name) {
                out.push(path);
            }
        } else if meta.is_dir()
            && depth < MAX_DEPTH
            && !name.starts_with('.')
            && !SKIP_DIRS.contains(&name.as_ref())
            && seen.insert((meta.dev(), meta.ino()))
        {
            walk(&path, depth + 1, seen, out)?;
        }
    }
    Ok(())
}
