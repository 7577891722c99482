//! Frame by frame: one run's error against another's, matched by frame path.

use super::RunErrors;
use serde::Serialize;
use std::collections::HashMap;

/// One frame's mean error over its keypoints (NaN keypoints skipped) in both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FramePair {
    /// The frame path (the CSV's index), as written.
    pub frame: String,
    /// The frame's set in run A.
    pub set: String,
    pub a: f64,
    pub b: f64,
}

impl FramePair {
    /// `b - a`.
    pub fn diff(&self) -> f64 {
        self.b - self.a
    }
}

/// Run `a` against run `b`, frame by frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairCompare {
    /// Indices into the comparison's runs.
    pub a: usize,
    pub b: usize,
    /// Frames in both runs with at least one keypoint error in each, in run A's row order.
    pub frames: Vec<FramePair>,
    /// Frames of A not in B, and of B not in A.
    pub only_a: usize,
    pub only_b: usize,
    /// Frames in both where either run has no error at all (every keypoint NaN).
    pub no_error: usize,
}

/// The mean of the non-NaN values of a row (NaN when there is none), summed in order as
/// pandas' `mean(axis=1)` does for a row of this size.
fn row_mean(row: &[f64]) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for &v in row.iter().filter(|v| !v.is_nan()) {
        s += v;
        n += 1;
    }
    if n == 0 { f64::NAN } else { s / n as f64 }
}

impl PairCompare {
    pub fn of(ra: &RunErrors, a: usize, rb: &RunErrors, b: usize) -> PairCompare {
        // B's columns in A's order, so both means sum the same keypoints in the same order.
        let cols: Vec<usize> = ra
            .table
            .columns
            .iter()
            .map(|k| rb.table.column_index(k).unwrap_or(0))
            .collect();
        let mut in_b: HashMap<&str, usize> = HashMap::with_capacity(rb.table.n_rows());
        for (i, f) in rb.table.index.iter().enumerate() {
            in_b.entry(f.as_str()).or_insert(i);
        }
        let mut seen_b = vec![false; rb.table.n_rows()];
        let (mut frames, mut only_a, mut no_error) = (Vec::new(), 0, 0);
        let mut buf = Vec::with_capacity(cols.len());
        for (i, f) in ra.table.index.iter().enumerate() {
            let Some(&j) = in_b.get(f.as_str()) else {
                only_a += 1;
                continue;
            };
            if std::mem::replace(&mut seen_b[j], true) {
                // A frame listed twice in A: its first row counts.
                continue;
            }
            let ea = ra.table.row(i).map(row_mean).unwrap_or(f64::NAN);
            buf.clear();
            if let Some(row) = rb.table.row(j) {
                buf.extend(
                    cols.iter()
                        .map(|&c| row.get(c).copied().unwrap_or(f64::NAN)),
                );
            }
            let eb = row_mean(&buf);
            if ea.is_nan() || eb.is_nan() {
                no_error += 1;
                continue;
            }
            frames.push(FramePair {
                frame: f.clone(),
                set: ra.set_of(i).to_owned(),
                a: ea,
                b: eb,
            });
        }
        let matched: std::collections::HashSet<usize> = in_b.values().copied().collect();
        let only_b = matched.iter().filter(|&&j| !seen_b[j]).count();
        PairCompare {
            a,
            b,
            frames,
            only_a,
            only_b,
            no_error,
        }
    }

    /// The `n` frames of `set` ("all": every frame) where the runs disagree most (largest
    /// |B - A|; ties by frame path).
    pub fn top(&self, set: &str, n: usize) -> Vec<&FramePair> {
        let mut v: Vec<&FramePair> = self
            .frames
            .iter()
            .filter(|f| set == super::ALL || f.set == set)
            .collect();
        v.sort_by(|x, y| {
            y.diff()
                .abs()
                .total_cmp(&x.diff().abs())
                .then_with(|| x.frame.cmp(&y.frame))
        });
        v.truncate(n);
        v
    }

    /// The frames of `set` ("all": every frame).
    pub fn in_set<'a>(&'a self, set: &'a str) -> impl Iterator<Item = &'a FramePair> + 'a {
        self.frames
            .iter()
            .filter(move |f| set == super::ALL || f.set == set)
    }
}
