//! Error metrics of a run: `predictions[_<view>]_pixel_error.csv` and the PCA error files,
//! summarised per set (train / validation / test / unused) and per keypoint as mean, median
//! and 90th percentile over the non-NaN values (NaN = the label was missing). Per set, all
//! (frame, keypoint) values of the set's rows are pooled; that is pandas'
//! `df[df.set == s][keypoints].stack().mean()` / `.median()` / `.quantile(0.9)`.

use crate::Result;
use crate::formats::csv::{MetricTable, MetricValues};
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
        let (median, p90) = median_and_p90(v);
        ErrorStats {
            n: v.len(),
            mean: Some(mean),
            median: Some(median),
            p90: Some(p90),
        }
    }
}

/// numpy's pairwise summation (`add.reduce` on a contiguous float64 array, which pandas'
/// `mean` uses), reproduced exactly: blocks of at most 128 values summed with 8 running
/// partial sums, larger arrays split in two at a multiple of 8. So means agree with pandas to
/// the last bit.
fn pairwise_sum(v: &[f64]) -> f64 {
    let n = v.len();
    if n < 8 {
        // numpy starts this sum from -0.0, which only matters for an all -0.0 input.
        return v.iter().fold(-0.0, |acc, &x| acc + x);
    }
    if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&v[..8]);
        let body = n - n % 8;
        for chunk in v[8..body].chunks_exact(8) {
            for (acc, &x) in r.iter_mut().zip(chunk) {
                *acc += x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &v[body..] {
            res += x;
        }
        return res;
    }
    let mut half = n / 2;
    half -= half % 8;
    pairwise_sum(&v[..half]) + pairwise_sum(&v[half..])
}

/// numpy's `_lerp`, as `quantile(method="linear")` computes it (from the upper value when
/// `t >= 0.5`).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// The smallest value of `v` (non-empty, NaN-free).
fn min_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

/// pandas' `median()` (numpy: the middle value, or the mean of the two middle values) and
/// `quantile(0.9)` (linear interpolation, numpy's `_lerp`), by selection: the 90th percentile's
/// order statistics lie at or above the median's, so the second selection only searches the
/// upper part the first one left. Reorders `v`; `v` must be non-empty and NaN-free.
fn median_and_p90(v: &mut [f64]) -> (f64, f64) {
    let n = v.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mid = (n - 1) / 2;
    let (_, &mut a, above) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let median = if n % 2 == 1 || above.is_empty() {
        a
    } else {
        (a + min_of(above)) / 2.0
    };
    let pos = 0.9 * (n - 1) as f64;
    let lo = (pos.floor() as usize).clamp(mid, n - 1);
    let t = pos - lo as f64;
    let (q, rest) = if lo == mid {
        (a, &*above)
    } else {
        let (_, &mut q, rest) = above.select_nth_unstable_by(lo - mid - 1, f64::total_cmp);
        (q, &*rest)
    };
    // numpy interpolates towards the next order statistic even when t is 0 (the result is q).
    let p90 = if rest.is_empty() {
        q
    } else {
        lerp(q, min_of(rest), t)
    };
    (median, p90)
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
    #[serde(serialize_with = "crate::util::ser_path")]
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
    /// Reads and summarises one metric CSV (without keeping its index texts).
    pub fn load(path: &Path, kind: MetricKind, view: Option<String>) -> Result<MetricSummary> {
        let t = MetricValues::read(path)?;
        let sets: Vec<&str> = t.set_names.iter().map(String::as_str).collect();
        let row_set: Vec<Option<usize>> = match &t.set {
            Some(ids) => ids.iter().map(|&i| Some(i as usize)).collect(),
            None => vec![None; t.n_rows],
        };
        let parts = Parts {
            columns: &t.columns,
            values: &t.values,
            sets,
            row_set,
        };
        Ok(parts.summary(path, kind, view))
    }

    /// Summarises a table read before.
    pub fn of_table(
        t: &MetricTable,
        path: &Path,
        kind: MetricKind,
        view: Option<String>,
    ) -> MetricSummary {
        // The set of each row as an index into `sets` (first appearance order); `None` for
        // rows of a table without a `set` column.
        let mut sets: Vec<&str> = Vec::new();
        let mut row_set: Vec<Option<usize>> = Vec::with_capacity(t.n_rows());
        let mut last: Option<usize> = None;
        for r in 0..t.n_rows() {
            let si = t.set_of(r).map(|s| match last {
                Some(i) if sets.get(i) == Some(&s) => i,
                _ => sets.iter().position(|x| *x == s).unwrap_or_else(|| {
                    sets.push(s);
                    sets.len() - 1
                }),
            });
            last = si.or(last);
            row_set.push(si);
        }
        let parts = Parts {
            columns: &t.columns,
            values: &t.values,
            sets,
            row_set,
        };
        parts.summary(path, kind, view)
    }
}

/// A metric table as the summary reads it.
struct Parts<'a> {
    columns: &'a [String],
    /// Row-major, `columns.len()` per row.
    values: &'a [f64],
    /// Distinct set names.
    sets: Vec<&'a str>,
    /// Per row, its set (an index into `sets`); `None` without a `set` column.
    row_set: Vec<Option<usize>>,
}

impl Parts<'_> {
    /// Values are gathered per set and per (set, keypoint) in row-major order (pandas'
    /// `stack()` order, which its `mean` sums in), into buffers sized up front.
    fn summary(&self, path: &Path, kind: MetricKind, view: Option<String>) -> MetricSummary {
        let Parts {
            columns,
            values,
            sets,
            row_set,
        } = self;
        let ncol = columns.len();
        let mut rows_in = vec![0usize; sets.len()];
        for &si in row_set.iter().flatten() {
            if let Some(n) = rows_in.get_mut(si) {
                *n += 1;
            }
        }
        let n_rows = if ncol == 0 { 0 } else { row_set.len() };
        let rows = || {
            values
                .chunks_exact(ncol.max(1))
                .take(n_rows)
                .zip(row_set.iter())
        };
        let mut n_frames: BTreeMap<String, usize> = sets
            .iter()
            .zip(&rows_in)
            .map(|(s, &n)| (s.to_string(), n))
            .collect();
        n_frames.insert(ALL_SETS.to_string(), row_set.len());

        // Pooled per set, then over every row ("all", inserted last).
        let mut all: Vec<f64> = Vec::with_capacity(n_rows * ncol);
        let mut pooled: Vec<Vec<f64>> = rows_in
            .iter()
            .map(|&n| Vec::with_capacity(n * ncol))
            .collect();
        for (row, si) in rows() {
            let from = all.len();
            all.extend(row.iter().copied().filter(|v| !v.is_nan()));
            if let (Some(p), Some(new)) = (si.and_then(|s| pooled.get_mut(s)), all.get(from..)) {
                p.extend_from_slice(new);
            }
        }
        let mut per_set: BTreeMap<String, ErrorStats> = sets
            .iter()
            .zip(pooled.iter_mut())
            .map(|(s, p)| (s.to_string(), ErrorStats::of_clean(p)))
            .collect();
        per_set.insert(ALL_SETS.to_string(), ErrorStats::of_clean(&mut all));

        // Per keypoint: one column at a time, through buffers reused from column to column.
        let mut col_all: Vec<f64> = Vec::with_capacity(n_rows);
        let mut col_sets: Vec<Vec<f64>> = rows_in.iter().map(|&n| Vec::with_capacity(n)).collect();
        let mut per_keypoint: BTreeMap<String, BTreeMap<String, ErrorStats>> = BTreeMap::new();
        for (c, kp) in columns.iter().enumerate() {
            col_all.clear();
            col_sets.iter_mut().for_each(Vec::clear);
            for (row, si) in rows() {
                let Some(&v) = row.get(c).filter(|v| !v.is_nan()) else {
                    continue;
                };
                col_all.push(v);
                if let Some(col) = si.and_then(|s| col_sets.get_mut(s)) {
                    col.push(v);
                }
            }
            let mut stats: BTreeMap<String, ErrorStats> = sets
                .iter()
                .zip(col_sets.iter_mut())
                .map(|(s, col)| (s.to_string(), ErrorStats::of_clean(col)))
                .collect();
            stats.insert(ALL_SETS.to_string(), ErrorStats::of_clean(&mut col_all));
            per_keypoint.insert(kp.clone(), stats);
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
        // Agrees with a sort-based median and quantile on awkward sizes (and with numpy's
        // _lerp, which interpolates from the upper value when the fraction is >= 0.5).
        for n in 1..40usize {
            let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 * 0.37).collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let median = if n % 2 == 1 {
                sorted[n / 2]
            } else {
                (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
            };
            let pos = 0.9 * (n - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, (pos.floor() as usize + 1).min(n - 1));
            let p90 = lerp(sorted[lo], sorted[hi], pos - lo as f64);
            let got = median_and_p90(&mut v.clone());
            assert_eq!(got, (median, p90), "n={n}");
        }
        // Ties and a run of equal values around both positions.
        let mut v = vec![2.0, 1.0, 2.0, 2.0, 3.0, 2.0, 2.0, 2.0, 9.0, 2.0];
        assert_eq!(
            median_and_p90(&mut v),
            (2.0, lerp(3.0, 9.0, 0.9 * 9.0 - 8.0))
        );
    }

    #[test]
    fn pairwise_sum_is_numpys() {
        // Checked against numpy 2.4 (np.sum) in the integration tests on real files; here the
        // block structure: 8 partial sums, then the rest in order.
        let v: Vec<f64> = (0..200).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        let block = |v: &[f64]| {
            let mut r = [0.0; 8];
            for (i, x) in v.iter().enumerate().take(v.len() - v.len() % 8) {
                r[i % 8] += x;
            }
            let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for x in &v[v.len() - v.len() % 8..] {
                s += x;
            }
            s
        };
        assert_eq!(pairwise_sum(&v[..100]), block(&v[..100]));
        // 200 -> 96 + 104 (the half cut down to a multiple of 8), each a block.
        assert_eq!(
            pairwise_sum(&v[..200]),
            block(&v[..96]) + block(&v[96..200])
        );
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
        assert!(pairwise_sum(&[-0.0]).is_sign_negative());
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
