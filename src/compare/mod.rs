//! Comparing model runs by their per-frame pixel errors (`predictions_pixel_error.csv`, as
//! Lightning Pose writes it after training): per keypoint and set, each run's error
//! distribution (median, quartiles, p10/p90, mean, n) and its difference from the first run;
//! per frame, run A's error against run B's (mean over keypoints, matched by frame path) and
//! the frames where they disagree most. Shared by `posedeck compare` and the Compare view.

mod frames;
mod load;
mod stats;

pub use frames::{FramePair, PairCompare};
pub use load::{PIXEL_ERROR_FILE, RunErrors, resolve_views};
pub use stats::{BoxStats, quantile};

use crate::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The set name for every row together (and for a file without a `set` column).
pub const ALL: &str = "all";

/// One compared run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    pub name: String,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub path: PathBuf,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub csv: PathBuf,
    /// Rows (labeled frames) per set, and `"all"`.
    pub n_frames: BTreeMap<String, usize>,
}

/// One run's statistics minus the first run's (`B - A`: positive when B is worse).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StatDiff {
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub mean: Option<f64>,
}

impl StatDiff {
    fn of(a: &BoxStats, b: &BoxStats) -> StatDiff {
        let d = |x: Option<f64>, y: Option<f64>| Some(y? - x?);
        StatDiff {
            median: d(a.median, b.median),
            p90: d(a.p90, b.p90),
            mean: d(a.mean, b.mean),
        }
    }
}

/// Every run's statistics for one set (runs in the order given), and each later run's
/// difference from the first (`diff[i]` is run `i + 1` minus run 0).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetStats {
    pub runs: Vec<BoxStats>,
    pub diff: Vec<StatDiff>,
}

impl SetStats {
    fn new(runs: Vec<BoxStats>) -> SetStats {
        let diff = match runs.split_first() {
            Some((a, rest)) => rest.iter().map(|b| StatDiff::of(a, b)).collect(),
            None => Vec::new(),
        };
        SetStats { runs, diff }
    }
}

/// One keypoint: set -> statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeypointCompare {
    pub keypoint: String,
    pub sets: BTreeMap<String, SetStats>,
}

/// How the keypoint rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeypointSort {
    /// As the columns of the CSV.
    #[default]
    File,
    /// By keypoint name.
    Name,
    /// Largest |median(B) - median(A)| first.
    Diff,
    /// Largest median error (the worst run's) first.
    Error,
}

/// The comparison of two or more runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub runs: Vec<RunInfo>,
    /// The keypoints, in the first run's column order.
    pub keypoints: Vec<String>,
    /// The sets present (train, validation, test, others, then "all").
    pub sets: Vec<String>,
    pub per_keypoint: Vec<KeypointCompare>,
    /// All keypoints pooled, per set.
    pub pooled: BTreeMap<String, SetStats>,
    /// The first run against each later one, frame by frame.
    pub pairs: Vec<PairCompare>,
}

impl Comparison {
    /// Reads each run's `predictions_pixel_error.csv` (`(name, run folder or CSV)`) and
    /// compares them. Errors name the file: a missing CSV, a damaged one, keypoints that
    /// differ from the first run's.
    pub fn load(runs: &[(String, PathBuf)]) -> Result<Comparison> {
        Self::load_view(runs, None)
    }

    /// [`Comparison::load`] of one view of multiview runs (`None`: every view, each keypoint
    /// as `<view>/<keypoint>`).
    pub fn load_view(runs: &[(String, PathBuf)], view: Option<&str>) -> Result<Comparison> {
        if runs.len() < 2 {
            return Err(crate::Error::usage("compare needs two or more runs"));
        }
        let mut loaded = Vec::with_capacity(runs.len());
        for (name, p) in runs {
            loaded.push(RunErrors::read_view(name, p, view)?);
        }
        Comparison::of(&loaded)
    }

    /// Compares runs read before (at least two, the same keypoints in any column order).
    pub fn of(runs: &[RunErrors]) -> Result<Comparison> {
        let Some(first) = runs.first() else {
            return Err(crate::Error::usage("compare needs two or more runs"));
        };
        let keypoints = first.table.columns.clone();
        for r in &runs[1..] {
            r.check_keypoints(first)?;
        }
        let mut sets: Vec<String> = Vec::new();
        for r in runs {
            for s in r.table.set_names() {
                if !sets.iter().any(|x| x == s) {
                    sets.push(s.to_owned());
                }
            }
        }
        let rank = |s: &str| match s {
            "train" => 0,
            "validation" => 1,
            "test" => 2,
            _ => 3,
        };
        sets.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
        sets.retain(|s| s != ALL);
        sets.push(ALL.to_owned());

        // Column of each keypoint in each run.
        let cols: Vec<Vec<usize>> = runs
            .iter()
            .map(|r| {
                keypoints
                    .iter()
                    .map(|k| r.table.column_index(k).unwrap_or(0))
                    .collect()
            })
            .collect();
        let per_keypoint = keypoints
            .iter()
            .enumerate()
            .map(|(k, name)| KeypointCompare {
                keypoint: name.clone(),
                sets: sets
                    .iter()
                    .map(|s| {
                        let st = runs
                            .iter()
                            .zip(&cols)
                            .map(|(r, c)| BoxStats::of(&r.values(s, Some(c[k]))))
                            .collect();
                        (s.clone(), SetStats::new(st))
                    })
                    .collect(),
            })
            .collect();
        let pooled = sets
            .iter()
            .map(|s| {
                let st = runs
                    .iter()
                    .map(|r| BoxStats::of(&r.values(s, None)))
                    .collect();
                (s.clone(), SetStats::new(st))
            })
            .collect();
        let pairs = runs[1..]
            .iter()
            .enumerate()
            .map(|(i, b)| PairCompare::of(first, 0, b, i + 1))
            .collect();
        Ok(Comparison {
            runs: runs.iter().map(RunErrors::info).collect(),
            keypoints,
            sets,
            per_keypoint,
            pooled,
            pairs,
        })
    }

    /// The keypoint rows (indices into `per_keypoint`) in the order asked for, judged on
    /// `set` (the first two runs for `Diff`). Rows without a value go last.
    pub fn order(&self, set: &str, sort: KeypointSort) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.per_keypoint.len()).collect();
        let key = |i: usize| -> Option<f64> {
            let s = self.per_keypoint[i].sets.get(set)?;
            match sort {
                KeypointSort::Diff => s.diff.first()?.median.map(f64::abs),
                KeypointSort::Error => s
                    .runs
                    .iter()
                    .filter_map(|r| r.median)
                    .max_by(f64::total_cmp),
                KeypointSort::File | KeypointSort::Name => None,
            }
        };
        match sort {
            KeypointSort::File => {}
            KeypointSort::Name => idx.sort_by(|&a, &b| {
                self.per_keypoint[a]
                    .keypoint
                    .cmp(&self.per_keypoint[b].keypoint)
            }),
            KeypointSort::Diff | KeypointSort::Error => idx.sort_by(|&a, &b| {
                match (key(a), key(b)) {
                    (Some(x), Some(y)) => y.total_cmp(&x),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then(a.cmp(&b))
            }),
        }
        idx
    }
}

#[cfg(test)]
mod tests;
