//! The pose table: CollectedData.csv, predictions.csv (`image_preds/.../predictions*.csv`) and
//! video predictions (`video_preds/<video>.csv`). Three header rows (scorer / bodyparts /
//! coords), an index column (image path or frame number), per keypoint its coords
//! (`x, y` [+ `visible`] for labels, `x, y, likelihood` for predictions) and an optional
//! trailing `("set", "", "")` column.

use super::grid::{self, Header, Layout};
use crate::sanitize::clean;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One pose CSV, owned. `values` is row-major: row, then keypoint, then coord; an empty cell
/// is NaN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoseTable {
    /// The scorer (header row 1): the labeler's name, or `<model_type>_tracker`.
    pub scorer: String,
    /// Keypoint names in column order (header row 2).
    pub keypoints: Vec<String>,
    /// The coords every keypoint has, in order (header row 3): `["x", "y"]`,
    /// `["x", "y", "visible"]` or `["x", "y", "likelihood"]`.
    pub coords: Vec<String>,
    /// The index column as written: `labeled-data/<video>/imgN.png` or a frame number.
    pub index: Vec<String>,
    /// `index.len() * keypoints.len() * coords.len()` numbers; NaN for an empty cell.
    #[serde(with = "super::nan_serde")]
    pub values: Vec<f64>,
    /// The trailing `set` column (train / validation / test / unused), when present.
    pub set: Option<Vec<String>>,
}

/// The labeled rows of one video: `labeled-data/<video>/imgN.png`. `video` is `None` for
/// images directly in `labeled-data/` (no per-video folder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoRows {
    pub video: Option<String>,
    /// Row numbers (0-based, into [`PoseTable::index`]) in file order.
    pub rows: Vec<usize>,
}

/// The video an index path belongs to: the folder holding the image, unless that folder is
/// `labeled-data` itself (or there is none). Accepts `/` and `\` separators.
pub fn video_of(index_path: &str) -> Option<&str> {
    let mut parts = index_path.rsplit(['/', '\\']);
    parts.next()?;
    let dir = parts.next()?;
    (!dir.is_empty() && dir != "labeled-data" && dir != ".").then_some(dir)
}

const WHAT: &str = "3 header rows (scorer, bodyparts, coords)";

impl PoseTable {
    /// Builds a table, checking that the sizes agree.
    pub fn new(
        scorer: impl Into<String>,
        keypoints: Vec<String>,
        coords: Vec<String>,
        index: Vec<String>,
        values: Vec<f64>,
        set: Option<Vec<String>>,
    ) -> Result<Self> {
        let t = PoseTable {
            scorer: scorer.into(),
            keypoints,
            coords,
            index,
            values,
            set,
        };
        t.check_shape().map_err(Error::usage)?;
        Ok(t)
    }

    /// Reads a pose CSV; errors name the file and the 1-based line (and field).
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = super::fast::read_file(path)?;
        Self::parse(path, &bytes)
    }

    /// Parses pose CSV bytes; `path` is only used in error messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        Self::parse_with(path, bytes, true)
    }

    /// Parses without the fast path: slower, same result. For tests and fuzzing.
    #[doc(hidden)]
    pub fn parse_careful(path: &Path, bytes: &[u8]) -> Result<Self> {
        Self::parse_with(path, bytes, false)
    }

    fn parse_with(path: &Path, bytes: &[u8], fast_ok: bool) -> Result<Self> {
        let mut shape = None;
        let (_, body) = grid::read(path, bytes, 3, WHAT, fast_ok, |h| {
            let (s, layout) = interpret(path, h)?;
            shape = Some(s);
            Ok(layout)
        })?;
        let (scorer, keypoints, coords, has_set) =
            shape.ok_or_else(|| Error::invalid(path, "no header"))?;
        let set = has_set.then(|| body.set_texts());
        Ok(PoseTable {
            scorer,
            keypoints,
            coords,
            index: body.index,
            values: body.values,
            set,
        })
    }

    /// Checks that `values` and `set` fit `index`, `keypoints` and `coords`.
    pub fn check_shape(&self) -> std::result::Result<(), String> {
        let want = self.index.len() * self.keypoints.len() * self.coords.len();
        if self.values.len() != want {
            return Err(format!(
                "pose table has {} values, expected {} rows x {} keypoints x {} coords = {want}",
                self.values.len(),
                self.index.len(),
                self.keypoints.len(),
                self.coords.len()
            ));
        }
        if let Some(set) = &self.set
            && set.len() != self.index.len()
        {
            return Err(format!(
                "pose table has {} set entries for {} rows",
                set.len(),
                self.index.len()
            ));
        }
        if self.keypoints.is_empty() || self.coords.is_empty() {
            return Err("pose table needs at least one keypoint and one coord".into());
        }
        Ok(())
    }

    pub fn n_rows(&self) -> usize {
        self.index.len()
    }
    pub fn n_keypoints(&self) -> usize {
        self.keypoints.len()
    }
    /// Numbers per row (keypoints x coords).
    pub fn row_width(&self) -> usize {
        self.keypoints.len() * self.coords.len()
    }
    pub fn keypoint_index(&self, name: &str) -> Option<usize> {
        self.keypoints.iter().position(|k| k == name)
    }
    pub fn coord_index(&self, name: &str) -> Option<usize> {
        self.coords.iter().position(|c| c == name)
    }
    /// The numbers of one row.
    pub fn row(&self, row: usize) -> Option<&[f64]> {
        let w = self.row_width();
        self.values.get(row * w..(row + 1) * w)
    }
    /// One cell (NaN when empty); `None` out of range.
    pub fn value(&self, row: usize, keypoint: usize, coord: usize) -> Option<f64> {
        if keypoint >= self.keypoints.len() || coord >= self.coords.len() {
            return None;
        }
        self.row(row)?
            .get(keypoint * self.coords.len() + coord)
            .copied()
    }
    /// (x, y) of a keypoint, `None` when either is missing.
    pub fn xy(&self, row: usize, keypoint: usize) -> Option<(f64, f64)> {
        let x = self.value(row, keypoint, self.coord_index("x")?)?;
        let y = self.value(row, keypoint, self.coord_index("y")?)?;
        (!x.is_nan() && !y.is_nan()).then_some((x, y))
    }
    /// Whether a keypoint is missing in a row: x or y empty (any coord empty if the table has
    /// no x/y).
    pub fn is_missing(&self, row: usize, keypoint: usize) -> bool {
        match (self.coord_index("x"), self.coord_index("y")) {
            (Some(_), Some(_)) => self.xy(row, keypoint).is_none(),
            _ => {
                (0..self.coords.len()).any(|c| self.value(row, keypoint, c).is_none_or(f64::is_nan))
            }
        }
    }
    /// Whether any keypoint of a row is missing.
    pub fn row_has_missing(&self, row: usize) -> bool {
        (0..self.keypoints.len()).any(|k| self.is_missing(row, k))
    }
    /// Rows with at least one missing keypoint.
    pub fn rows_with_missing(&self) -> usize {
        (0..self.n_rows())
            .filter(|&r| self.row_has_missing(r))
            .count()
    }
    /// Empty (NaN) cells in the whole table.
    pub fn nan_cells(&self) -> usize {
        self.values.iter().filter(|v| v.is_nan()).count()
    }
    /// The `set` of a row, when the table has the column.
    pub fn set_of(&self, row: usize) -> Option<&str> {
        self.set.as_ref()?.get(row).map(String::as_str)
    }
    /// Rows grouped by video (see [`video_of`]), videos in order of first appearance.
    pub fn videos(&self) -> Vec<VideoRows> {
        let mut out: Vec<VideoRows> = Vec::new();
        for (r, path) in self.index.iter().enumerate() {
            let v = video_of(path);
            match out.iter_mut().find(|g| g.video.as_deref() == v) {
                Some(g) => g.rows.push(r),
                None => out.push(VideoRows {
                    video: v.map(str::to_string),
                    rows: vec![r],
                }),
            }
        }
        out
    }
    /// The index as frame numbers (video predictions); `None` if any is not a number.
    pub fn frame_numbers(&self) -> Option<Vec<u64>> {
        self.index.iter().map(|s| s.trim().parse().ok()).collect()
    }
}

type Shape = (String, Vec<String>, Vec<String>, bool);

/// Reads the three header rows into (scorer, keypoints, coords, has_set) and the row layout.
fn interpret(path: &Path, h: &Header) -> Result<(Shape, Layout)> {
    let line = |i: usize| h.lines.get(i).copied().unwrap_or(i as u64 + 1);
    let (Some(sc), Some(bp), Some(co)) = (h.rows.first(), h.rows.get(1), h.rows.get(2)) else {
        return Err(Error::invalid(path, format!("expected {WHAT}")));
    };
    if sc.first().is_none_or(|c| c.is_empty()) {
        return Err(Error::at_line(
            path,
            line(0),
            format!(
                "first cell is empty: this looks like a one-header-row metric CSV; expected {WHAT}"
            ),
        ));
    }
    let n = sc.len();
    for (i, row) in [bp, co].into_iter().enumerate() {
        if row.len() != n {
            return Err(Error::at_line(
                path,
                line(i + 1),
                format!(
                    "header row {} has {} fields where row 1 has {n}",
                    i + 2,
                    row.len()
                ),
            ));
        }
    }
    let has_set = n >= 2
        && sc.last().is_some_and(|s| s == "set")
        && bp.last().is_some_and(|s| s.is_empty())
        && co.last().is_some_and(|s| s.is_empty());
    let n_values = n - 1 - usize::from(has_set);
    if n_values == 0 {
        return Err(Error::at_line(path, line(0), "no keypoint columns"));
    }
    let scorer = sc.get(1).cloned().unwrap_or_default();
    let mut keypoints: Vec<String> = Vec::new();
    let mut groups: Vec<Vec<&str>> = Vec::new();
    // Keypoints seen so far: a set, so 100,000 keypoints stay linear.
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for c in 1..=n_values {
        let (s, b, k) = (&sc[c], &bp[c], &co[c]);
        if *s != scorer {
            return Err(Error::at_line(
                path,
                line(0),
                format!(
                    "field {}: scorer \"{}\" differs from \"{}\" (one scorer per file)",
                    c + 1,
                    clean(s),
                    clean(&scorer)
                ),
            ));
        }
        if b.is_empty() || k.is_empty() {
            let (row, what) = if b.is_empty() {
                (1, "bodypart")
            } else {
                (2, "coord")
            };
            return Err(Error::at_line(
                path,
                line(row),
                format!("field {}: empty {what} name", c + 1),
            ));
        }
        if keypoints.last() == Some(b) {
            if let Some(g) = groups.last_mut() {
                g.push(k);
            }
        } else {
            if !seen.insert(b.as_str()) {
                return Err(Error::at_line(
                    path,
                    line(1),
                    format!(
                        "field {}: keypoint \"{}\" appears in two places",
                        c + 1,
                        clean(b)
                    ),
                ));
            }
            keypoints.push(b.clone());
            groups.push(vec![k]);
        }
    }
    let coords: Vec<String> = groups
        .first()
        .map(|g| g.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    for (kp, g) in keypoints.iter().zip(&groups) {
        if *g != coords {
            return Err(Error::at_line(
                path,
                line(2),
                format!(
                    "keypoint \"{}\" has coords ({}) but \"{}\" has ({}); every keypoint needs the same coords",
                    clean(kp),
                    clean(&g.join(", ")),
                    clean(&keypoints[0]),
                    clean(&coords.join(", "))
                ),
            ));
        }
    }
    let value_names = keypoints
        .iter()
        .flat_map(|k| coords.iter().map(move |c| format!("{k} {c}")))
        .collect();
    let layout = Layout {
        n_fields: n,
        n_values,
        has_set,
        value_names,
        keep_index: true,
    };
    Ok(((scorer, keypoints, coords, has_set), layout))
}
