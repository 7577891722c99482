//! Error metrics of a run: `predictions[_<view>]_pixel_error.csv` and the PCA error files,
//! summarised per set (train / validation / test / unused) and per keypoint as mean, median
//! and 90th percentile over the non-NaN values (NaN = the label was missing). Per set, all
//! (frame, keypoint) values of the set's rows are pooled; that is pandas'
//! `df[df.set == s][keypoints].stack().mean()` / `.median()` / `.quantile(0.9)`.

use crate::Result;
use crate::formats::csv::MetricTable;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Mean, median and 90th percentile (linear interpolation, as pandas' `quantile`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorStats {
    /// Non-NaN values.
    pub n: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

impl ErrorStats {
    /// Statistics of `values` (NaN values are skipped).
    pub fn of(values: &[f64]) -> ErrorStats {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        Self::of_clean(&mut v)
    }

    /// Statistics of NaN-free values (reordered in place). Quantiles by selection, O(n).
    pub fn of_clean(v: &mut [f64]) -> ErrorStats {
        if v.is_empty() {
            return ErrorStats::default();
        }
        // The mean first, in the values' own order (as numpy sums them).
        let mean = pairwise_sum(v) / v.len() as f64;
        ErrorStats {
            n: v.len(),
            mean: Some(mean),
            median: Some(quantile(v, 0.5)),
            p90: Some(quantile(v, 0.9)),
        }
    }
}

/// numpy's pairwise summation (pandas' mean goes through it), so means agree to the last bits
/// more often than a running sum would.
fn pairwise_sum(v: &[f64]) -> f64 {
    if v.len() <= 128 {
        return v.iter().sum();
    }
    let mid = v.len() / 2;
    pairwise_sum(&v[..mid]) + pairwise_sum(&v[mid..])
}

/// Linear-interpolation quantile (pandas' default) by selection; reorders `v`.
fn quantile(v: &mut [f64], q: f64) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    let (_, &mut a, rest) = v.select_nth_unstable_by(lo, f64::total_cmp);
    if frac == 0.0 || rest.is_empty() {
        return a;
    }
    // The next order statistic is the smallest of what lies above.
    let b = rest.iter().copied().fold(f64::INFINITY, f64::min);
    a + (b - a) * frac
}

/// Which metric a file holds, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    PixelError,
    PcaSingleviewError,
    PcaMultiviewError,
}

impl MetricKind {
    pub const ALL: [MetricKind; 3] = [
        MetricKind::PixelError,
        MetricKind::PcaSingleviewError,
        MetricKind::PcaMultiviewError,
    ];
    pub fn suffix(self) -> &'static str {
        match self {
            MetricKind::PixelError => "_pixel_error.csv",
            MetricKind::PcaSingleviewError => "_pca_singleview_error.csv",
            MetricKind::PcaMultiviewError => "_pca_multiview_error.csv",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::PixelError => "pixel_error",
            MetricKind::PcaSingleviewError => "pca_singleview_error",
            MetricKind::PcaMultiviewError => "pca_multiview_error",
        }
    }

    /// `predictions_pixel_error.csv` -> (PixelError, None);
    /// `predictions_top_pixel_error.csv` -> (PixelError, Some("top")).
    pub fn from_file_name(name: &str) -> Option<(MetricKind, Option<String>)> {
        let rest = name.strip_prefix("predictions")?;
        // Longest suffix first: "_pca_singleview_error.csv" also ends in "_error.csv".
        MetricKind::ALL.into_iter().find_map(|k| {
            let view = rest.strip_suffix(k.suffix())?;
            match view {
                "" => Some((k, None)),
                v => v
                    .strip_prefix('_')
                    .filter(|v| !v.is_empty())
                    .map(|v| (k, Some(v.to_string()))),
            }
        })
    }
}

/// One metric file, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    pub kind: MetricKind,
    pub view: Option<String>,
    pub path: PathBuf,
    /// Rows (labeled frames) per set.
    pub n_frames: BTreeMap<String, usize>,
    /// Pooled over the keypoints, per set, plus `"all"` over every row.
    pub per_set: BTreeMap<String, ErrorStats>,
    /// keypoint -> set -> stats (sets as in `per_set`).
    pub per_keypoint: BTreeMap<String, BTreeMap<String, ErrorStats>>,
}

/// The set name used for rows of a file without a `set` column, and for all rows together.
pub const ALL_SETS: &str = "all";

impl MetricSummary {
    /// Reads and summarises one metric CSV.
    pub fn load(path: &Path, kind: MetricKind, view: Option<String>) -> Result<MetricSummary> {
        let t = MetricTable::read(path)?;
        Ok(Self::of_table(&t, path, kind, view))
    }

    pub fn of_table(
        t: &MetricTable,
        path: &Path,
        kind: MetricKind,
        view: Option<String>,
    ) -> MetricSummary {
        let ncol = t.columns.len();
        // set name -> pooled values, and per column values.
        let mut sets: Vec<String> = t.set_names().into_iter().map(str::to_string).collect();
        sets.push(ALL_SETS.to_string());
        let set_idx = |s: Option<&str>| s.and_then(|s| sets.iter().position(|x| x == s));
        let all = sets.len() - 1;
        let mut pooled: Vec<Vec<f64>> = vec![Vec::new(); sets.len()];
        let mut by_col: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); ncol]; sets.len()];
        let mut n_frames: BTreeMap<String, usize> = BTreeMap::new();
        for r in 0..t.n_rows() {
            let Some(row) = t.row(r) else { continue };
            let si = set_idx(t.set_of(r));
            if let Some(s) = t.set_of(r) {
                *n_frames.entry(s.to_string()).or_default() += 1;
            }
            *n_frames.entry(ALL_SETS.to_string()).or_default() += 1;
            for (c, &v) in row.iter().enumerate().take(ncol) {
                if v.is_nan() {
                    continue;
                }
                for s in si.into_iter().chain(std::iter::once(all)) {
                    if let Some(p) = pooled.get_mut(s) {
                        p.push(v);
                    }
                    if let Some(col) = by_col.get_mut(s).and_then(|b| b.get_mut(c)) {
                        col.push(v);
                    }
                }
            }
        }
        let mut per_set = BTreeMap::new();
        let mut per_keypoint: BTreeMap<String, BTreeMap<String, ErrorStats>> = BTreeMap::new();
        for (i, name) in sets.iter().enumerate() {
            if let Some(p) = pooled.get_mut(i) {
                per_set.insert(name.clone(), ErrorStats::of_clean(p));
            }
            for (c, kp) in t.columns.iter().enumerate() {
                if let Some(col) = by_col.get_mut(i).and_then(|b| b.get_mut(c)) {
                    per_keypoint
                        .entry(kp.clone())
                        .or_default()
                        .insert(name.clone(), ErrorStats::of_clean(col));
                }
            }
        }
        MetricSummary {
            kind,
            view,
            path: path.to_path_buf(),
            n_frames,
            per_set,
            per_keypoint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_match_pandas_conventions() {
        let s = ErrorStats::of(&[1.0, f64::NAN, 3.0, 2.0, 10.0]);
        assert_eq!(s.n, 4);
        assert_eq!(s.mean, Some(4.0));
        assert_eq!(s.median, Some(2.5));
        // pandas: pd.Series([1, 2, 3, 10]).quantile(0.9) == 7.9
        assert!((s.p90.unwrap() - 7.9).abs() < 1e-12);
        assert_eq!(ErrorStats::of(&[f64::NAN]), ErrorStats::default());
        let one = ErrorStats::of(&[5.0]);
        assert_eq!((one.median, one.p90), (Some(5.0), Some(5.0)));
        // Agrees with a sort-based quantile on awkward sizes.
        for n in 1..40usize {
            let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 * 0.37).collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            for q in [0.5, 0.9] {
                let pos = q * (n - 1) as f64;
                let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                let want = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64);
                let got = quantile(&mut v.clone(), q);
                assert!((got - want).abs() < 1e-12, "n={n} q={q}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn file_names() {
        assert_eq!(
            MetricKind::from_file_name("predictions_pixel_error.csv"),
            Some((MetricKind::PixelError, None))
        );
        assert_eq!(
            MetricKind::from_file_name("predictions_top_pca_singleview_error.csv"),
            Some((MetricKind::PcaSingleviewError, Some("top".into())))
        );
        assert_eq!(MetricKind::from_file_name("predictions.csv"), None);
        assert_eq!(
            MetricKind::from_file_name("predictions_temporal_norm.csv"),
            None
        );
    }
}
