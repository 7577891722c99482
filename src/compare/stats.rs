//! An error distribution as a box plot needs it.

use crate::project::metrics::ErrorStats;
use serde::Serialize;

/// n, mean, min, p10, q1, median, q3, p90 and max of the non-NaN values. Mean, median and
/// p90 are computed exactly as the Models view's errors and `posedeck status` (pandas'
/// `mean`, `median`, `quantile(0.9)`); the other quantiles by the same linear interpolation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct BoxStats {
    pub n: usize,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub p10: Option<f64>,
    pub q1: Option<f64>,
    pub median: Option<f64>,
    pub q3: Option<f64>,
    pub p90: Option<f64>,
    pub max: Option<f64>,
}

impl BoxStats {
    /// The statistics of `values` (NaN values are skipped; their order is the summation order
    /// of the mean).
    pub fn of(values: &[f64]) -> BoxStats {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return BoxStats::default();
        }
        let e = ErrorStats::of_clean(&mut v.clone());
        v.sort_by(f64::total_cmp);
        BoxStats {
            n: e.n,
            mean: e.mean,
            min: v.first().copied(),
            p10: Some(quantile(&v, 0.1)),
            q1: Some(quantile(&v, 0.25)),
            median: e.median,
            q3: Some(quantile(&v, 0.75)),
            p90: e.p90,
            max: v.last().copied(),
        }
    }
}

/// The `q` quantile of sorted, NaN-free, non-empty values as numpy's
/// `quantile(method="linear")` computes it (interpolating from the upper value when the
/// fraction is at least one half).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = q * (n - 1) as f64;
    let lo = (pos.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = pos - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}
