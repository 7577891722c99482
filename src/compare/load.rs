//! Reading one run's pixel errors.

use super::{ALL, RunInfo};
use crate::formats::csv::MetricTable;
use crate::project::metrics::MetricKind;
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

/// One view's pixel-error CSV: `(view, csv)`.
pub type ViewCsv = (Option<String>, PathBuf);

/// A run's pixel-error CSVs: `(view, csv)`, the view `None` for a single-view run's
/// `predictions_pixel_error.csv` (or a CSV given directly), else one per
/// `predictions_<view>_pixel_error.csv` of a multiview run, sorted by view. `only` keeps
/// one view (an error naming the run folder and the views it has when it has not that one).
pub fn resolve_views(p: &Path, only: Option<&str>) -> Result<(PathBuf, Vec<ViewCsv>)> {
    if p.is_file() {
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        return Ok((dir.to_path_buf(), vec![(None, p.to_path_buf())]));
    }
    let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
    if !meta.is_dir() {
        return Err(Error::invalid(p, "not a run folder or a regular file"));
    }
    let csv = p.join(PIXEL_ERROR_FILE);
    if csv.is_file() && only.is_none() {
        return Ok((p.to_path_buf(), vec![(None, csv)]));
    }
    let mut views: Vec<(Option<String>, PathBuf)> = Vec::new();
    let entries = std::fs::read_dir(p).map_err(|e| Error::io(p, e))?;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some((MetricKind::PixelError, Some(view))) = MetricKind::from_file_name(name)
            && e.path().is_file()
        {
            views.push((Some(view), e.path()));
        }
    }
    views.sort();
    if let Some(v) = only {
        let have: Vec<String> = views.iter().filter_map(|(v, _)| v.clone()).collect();
        views.retain(|(x, _)| x.as_deref() == Some(v));
        if views.is_empty() {
            let have = if have.is_empty() {
                "none (a single-view run)".to_owned()
            } else {
                have.join(", ")
            };
            return Err(Error::invalid(
                p,
                format!("no predictions_{v}_pixel_error.csv (views with pixel errors: {have})"),
            ));
        }
    }
    if views.is_empty() {
        return Err(Error::invalid(
            &csv,
            "missing: the run has no pixel errors (Lightning Pose writes them after training)",
        ));
    }
    Ok((p.to_path_buf(), views))
}

impl RunErrors {
    /// Reads the pixel errors of a run folder (or of a CSV given directly). A multiview run's
    /// views are read together, each keypoint as `<view>/<keypoint>` (a frame's row holds
    /// its own view's keypoints, NaN in the others'); `view` reads one view alone.
    pub fn read_view(name: &str, p: &Path, view: Option<&str>) -> Result<RunErrors> {
        let (dir, csvs) = resolve_views(p, view)?;
        let mut tables = Vec::with_capacity(csvs.len());
        for (v, csv) in &csvs {
            let table = MetricTable::read(csv)?;
            if table.n_rows() == 0 {
                return Err(Error::invalid(csv, "no rows (no labeled frames)"));
            }
            tables.push((v.clone(), table));
        }
        let (csv, table) = if tables.len() == 1 {
            (csvs[0].1.clone(), tables.remove(0).1)
        } else {
            (dir.clone(), merge_views(tables)?)
        };
        Ok(RunErrors {
            name: name.to_owned(),
            dir,
            csv,
            table,
        })
    }

    /// [`RunErrors::read_view`] of every view.
    pub fn read(name: &str, p: &Path) -> Result<RunErrors> {
        Self::read_view(name, p, None)
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

/// One table of every view's rows: columns `<view>/<keypoint>` view after view, each row
/// its own view's values and NaN elsewhere; a `set` column when any view has one.
fn merge_views(tables: Vec<(Option<String>, MetricTable)>) -> Result<MetricTable> {
    let mut columns = Vec::new();
    let mut offsets = Vec::with_capacity(tables.len());
    for (v, t) in &tables {
        offsets.push(columns.len());
        let v = v.as_deref().unwrap_or("");
        columns.extend(t.columns.iter().map(|k| format!("{v}/{k}")));
    }
    let n_rows: usize = tables.iter().map(|(_, t)| t.n_rows()).sum();
    let any_set = tables.iter().any(|(_, t)| t.set.is_some());
    let mut index = Vec::with_capacity(n_rows);
    let mut values = vec![f64::NAN; n_rows * columns.len()];
    let mut set = any_set.then(|| Vec::with_capacity(n_rows));
    let mut row = 0;
    for ((_, t), off) in tables.into_iter().zip(offsets) {
        let w = t.columns.len();
        for r in 0..t.n_rows() {
            let dst = row * columns.len() + off;
            values[dst..dst + w].copy_from_slice(&t.values[r * w..(r + 1) * w]);
            if let Some(s) = set.as_mut() {
                s.push(t.set_of(r).unwrap_or(ALL).to_owned());
            }
            row += 1;
        }
        index.extend(t.index);
    }
    MetricTable::new(columns, index, values, set)
}
