//! The metric table: ONE header row (first cell empty, one column per keypoint, then `set`),
//! as Lightning Pose writes `<preds>_pixel_error.csv`, `_pca_singleview_error.csv`,
//! `_pca_multiview_error.csv` (labeled frames, with `set`) and `_temporal_norm.csv` (video
//! frames, no `set`, row 0 all NaN).

use super::grid::{self, Body, Layout};
use crate::sanitize::clean;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One metric CSV, owned. `values` is row-major (row, then column); NaN for an empty cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricTable {
    /// The header's first cell (the index name; empty in Lightning Pose's files).
    pub index_name: String,
    /// Column names (keypoints), without `set`.
    pub columns: Vec<String>,
    /// The index column as written (image path or frame number).
    pub index: Vec<String>,
    /// `index.len() * columns.len()` numbers; NaN for an empty cell.
    #[serde(with = "super::nan_serde")]
    pub values: Vec<f64>,
    /// The trailing `set` column, when present.
    pub set: Option<Vec<String>>,
}

const WHAT: &str = "one header row (index, keypoints..., set)";

impl MetricTable {
    /// Builds a table, checking that the sizes agree.
    pub fn new(
        columns: Vec<String>,
        index: Vec<String>,
        values: Vec<f64>,
        set: Option<Vec<String>>,
    ) -> Result<Self> {
        let t = MetricTable {
            index_name: String::new(),
            columns,
            index,
            values,
            set,
        };
        t.check_shape().map_err(Error::usage)?;
        Ok(t)
    }

    /// Reads a metric CSV; errors name the file and the 1-based line (and field).
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = super::fast::read_file(path)?;
        Self::parse(path, &bytes)
    }

    /// Parses metric CSV bytes; `path` is only used in error messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        Self::parse_with(path, bytes, true)
    }

    /// Parses without the fast path: slower, same result. For tests and fuzzing.
    #[doc(hidden)]
    pub fn parse_careful(path: &Path, bytes: &[u8]) -> Result<Self> {
        Self::parse_with(path, bytes, false)
    }

    fn parse_with(path: &Path, bytes: &[u8], fast_ok: bool) -> Result<Self> {
        let (index_name, columns, has_set, body) = parse_body(path, bytes, fast_ok, true)?;
        let set = has_set.then(|| body.set_texts());
        Ok(MetricTable {
            index_name,
            columns,
            values: body.values,
            set,
            index: body.index,
        })
    }

    /// Checks that `values` and `set` fit `index` and `columns`.
    pub fn check_shape(&self) -> std::result::Result<(), String> {
        if self.columns.is_empty() {
            return Err("metric table needs at least one column".into());
        }
        if self.values.len() != self.index.len() * self.columns.len() {
            return Err(format!(
                "metric table has {} values, expected {} rows x {} columns",
                self.values.len(),
                self.index.len(),
                self.columns.len()
            ));
        }
        if let Some(set) = &self.set
            && set.len() != self.index.len()
        {
            return Err(format!(
                "metric table has {} set entries for {} rows",
                set.len(),
                self.index.len()
            ));
        }
        Ok(())
    }

    pub fn n_rows(&self) -> usize {
        self.index.len()
    }
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
    /// The numbers of one row.
    pub fn row(&self, row: usize) -> Option<&[f64]> {
        let w = self.columns.len();
        self.values.get(row * w..(row + 1) * w)
    }
    /// One cell (NaN when empty); `None` out of range.
    pub fn value(&self, row: usize, column: usize) -> Option<f64> {
        if column >= self.columns.len() {
            return None;
        }
        self.row(row)?.get(column).copied()
    }
    /// The `set` of a row, when the table has the column.
    pub fn set_of(&self, row: usize) -> Option<&str> {
        self.set.as_ref()?.get(row).map(String::as_str)
    }
    /// Distinct `set` values in order of first appearance (empty without the column).
    pub fn set_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in self.set.iter().flatten() {
            if !out.contains(&s.as_str()) {
                out.push(s);
            }
        }
        out
    }
    /// The non-NaN numbers of the rows in `set` (all rows when `None`) and of `column` (all
    /// columns when `None`), in row-major order. A table without a `set` column has no rows in
    /// any named set.
    pub fn values_in(&self, set: Option<&str>, column: Option<usize>) -> Vec<f64> {
        let mut out = Vec::new();
        for r in 0..self.n_rows() {
            if let Some(s) = set
                && self.set_of(r) != Some(s)
            {
                continue;
            }
            let Some(row) = self.row(r) else { continue };
            match column {
                Some(c) => out.extend(row.get(c).copied().filter(|v| !v.is_nan())),
                None => out.extend(row.iter().copied().filter(|v| !v.is_nan())),
            }
        }
        out
    }
}

/// Reads the header and the body; the index texts are kept only when `keep_index`.
fn parse_body(
    path: &Path,
    bytes: &[u8],
    fast_ok: bool,
    keep_index: bool,
) -> Result<(String, Vec<String>, bool, Body)> {
    let mut cols = None;
    let (header, body) = grid::read(path, bytes, 1, WHAT, fast_ok, |h| {
        let row = h.rows.first().map(Vec::as_slice).unwrap_or_default();
        let line = h.lines.first().copied().unwrap_or(1);
        if row.first().is_some_and(|c| c == "scorer") {
            return Err(Error::at_line(
                path,
                line,
                format!(
                    "first cell is \"scorer\": this looks like a 3-header-row pose CSV; expected {WHAT}"
                ),
            ));
        }
        let has_set = row.len() >= 2 && row.last().is_some_and(|c| c == "set");
        let names: Vec<String> = row
            .get(1..row.len() - usize::from(has_set))
            .unwrap_or_default()
            .to_vec();
        if names.is_empty() {
            return Err(Error::at_line(path, line, "no metric columns"));
        }
        let layout = Layout {
            n_fields: row.len(),
            n_values: names.len(),
            has_set,
            value_names: names.iter().map(|n| clean(n).into_owned()).collect(),
            keep_index,
        };
        cols = Some((names, has_set));
        Ok(layout)
    })?;
    let (columns, has_set) = cols.ok_or_else(|| Error::invalid(path, "no header"))?;
    let index_name = header
        .rows
        .first()
        .and_then(|r| r.first())
        .cloned()
        .unwrap_or_default();
    Ok((index_name, columns, has_set, body))
}

/// The numbers of a metric CSV without its index texts, and its `set` column as small ids:
/// what a summary needs, read without an allocation per row. Same checks and errors as
/// [`MetricTable::read`].
#[derive(Debug, Clone, PartialEq)]
pub struct MetricValues {
    /// Column names (keypoints), without `set`.
    pub columns: Vec<String>,
    pub n_rows: usize,
    /// `n_rows * columns.len()` numbers, row-major; NaN for an empty cell.
    pub values: Vec<f64>,
    /// The distinct `set` values in order of first appearance (empty without the column).
    pub set_names: Vec<String>,
    /// Per row, an index into `set_names`; `None` without a `set` column.
    pub set: Option<Vec<u32>>,
}

impl MetricValues {
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = super::fast::read_file(path)?;
        Self::parse(path, &bytes)
    }

    /// Parses metric CSV bytes; `path` is only used in error messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        let (_, columns, has_set, body) = parse_body(path, bytes, true, false)?;
        Ok(MetricValues {
            columns,
            n_rows: body.index.len(),
            values: body.values,
            set_names: if has_set { body.set_names } else { Vec::new() },
            set: has_set.then_some(body.set),
        })
    }
}
