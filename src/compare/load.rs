//! Reading one run's pixel errors.

use super::{ALL, RunInfo};
use crate::formats::csv::MetricTable;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file Lightning Pose writes in a run folder after training (labeled frames).
pub const PIXEL_ERROR_FILE: &str = "predictions_pixel_error.csv";

/// One run's per-frame, per-keypoint pixel errors.
#[derive(Debug, Clone, PartialEq)]
pub struct RunErrors {
    pub name: String,
    pub dir: PathBuf,
    pub csv: PathBuf,
    pub table: MetricTable,
}

/// `(run folder, csv)` for a run folder or a pixel-error CSV given directly.
pub fn resolve(p: &Path) -> Result<(PathBuf, PathBuf)> {
    if p.is_file() {
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        return Ok((dir.to_path_buf(), p.to_path_buf()));
    }
    let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
    if !meta.is_dir() {
        return Err(Error::invalid(p, "not a run folder or a regular file"));
    }
    let csv = p.join(PIXEL_ERROR_FILE);
    if !csv.is_file() {
        return Err(Error::invalid(
            &csv,
            "missing: the run has no pixel errors (Lightning Pose writes them after training)",
        ));
    }
    Ok((p.to_path_buf(), csv))
}

impl RunErrors {
    /// Reads the pixel errors of a run folder (or of a CSV given directly).
    pub fn read(name: &str, p: &Path) -> Result<RunErrors> {
        let (dir, csv) = resolve(p)?;
        let table = MetricTable::read(&csv)?;
        if table.n_rows() == 0 {
            return Err(Error::invalid(&csv, "no rows (no labeled frames)"));
        }
        Ok(RunErrors {
            name: name.to_owned(),
            dir,
            csv,
            table,
        })
    }

    /// An error naming this run's CSV when its keypoints are not `first`'s.
    pub fn check_keypoints(&self, first: &RunErrors) -> Result<()> {
        let a = &first.table.columns;
        let b = &self.table.columns;
        let only_here: Vec<&str> = b
            .iter()
            .filter(|k| !a.contains(k))
            .map(String::as_str)
            .collect();
        let missing: Vec<&str> = a
            .iter()
            .filter(|k| !b.contains(k))
            .map(String::as_str)
            .collect();
        if only_here.is_empty() && missing.is_empty() && a.len() == b.len() {
            return Ok(());
        }
        let list = |v: &[&str]| {
            if v.is_empty() {
                "none".to_owned()
            } else {
                v.join(", ")
            }
        };
        Err(Error::invalid(
            &self.csv,
            format!(
                "keypoints differ from {}: only here: {}; missing here: {}",
                crate::util::escape_path(&first.csv),
                list(&only_here),
                list(&missing)
            ),
        ))
    }

    /// The non-NaN values of rows in `set` (every row for "all") of one column (every
    /// column when `None`), row-major.
    pub fn values(&self, set: &str, column: Option<usize>) -> Vec<f64> {
        let set = (set != ALL).then_some(set);
        self.table.values_in(set, column)
    }

    /// The set of each row ("all" without a `set` column).
    pub fn set_of(&self, row: usize) -> &str {
        self.table.set_of(row).unwrap_or(ALL)
    }

    pub fn info(&self) -> RunInfo {
        let mut n_frames: BTreeMap<String, usize> = BTreeMap::new();
        for r in 0..self.table.n_rows() {
            if let Some(s) = self.table.set_of(r) {
                *n_frames.entry(s.to_owned()).or_default() += 1;
            }
        }
        n_frames.insert(ALL.to_owned(), self.table.n_rows());
        RunInfo {
            name: self.name.clone(),
            path: self.dir.clone(),
            csv: self.csv.clone(),
            n_frames,
        }
    }
}
