//! The y range: all finite values, or TensorBoard's outlier-ignoring 5th..95th percentile.

/// d3's `quantile` on sorted data (linear interpolation between closest ranks).
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let i = h.floor() as usize;
    let lo = *sorted.get(i)?;
    let hi = *sorted.get((i + 1).min(n - 1))?;
    Some(lo + (hi - lo) * (h - i as f64))
}

/// [`quantile`] without sorting: two selections, O(n) (the order of `v` changes).
pub fn select_quantile(v: &mut [f64], p: f64) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let i = h.floor() as usize;
    let (_, lo, right) = v.select_nth_unstable_by(i, f64::total_cmp);
    let lo = *lo;
    // The next rank is the smallest value right of the i-th.
    let hi = right.iter().copied().min_by(f64::total_cmp).unwrap_or(lo);
    Some(lo + (hi - lo) * (h - i as f64))
}

/// The y range of `values` (finite ones only), padded by 5% so lines do not sit on the frame.
/// With `ignore_outliers`, the range covers the 5th..95th percentile.
pub fn y_range(values: impl Iterator<Item = f64>, ignore_outliers: bool) -> Option<(f64, f64)> {
    let mut v: Vec<f64> = values.filter(|y| y.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let (lo, hi) = if ignore_outliers {
        (
            select_quantile(&mut v, 0.05)?,
            select_quantile(&mut v, 0.95)?,
        )
    } else {
        v.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| {
                (a.min(y), b.max(y))
            })
    };
    let span = hi - lo;
    if span <= 0.0 {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return Some((lo - d, hi + d));
    }
    Some((lo - span * 0.05, hi + span * 0.05))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_like_d3() {
        let v = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.0));
        assert_eq!(quantile(&v, 0.05), Some(0.2));
        assert_eq!(quantile(&v, 1.0), Some(4.0));
        assert_eq!(quantile(&[], 0.5), None);
        // The selection gives what the sorted version gives.
        let mut r: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1000) as f64 * 0.5)
            .collect();
        let mut sorted = r.clone();
        sorted.sort_by(f64::total_cmp);
        for p in [0.0, 0.05, 0.5, 0.95, 1.0] {
            assert_eq!(select_quantile(&mut r, p), quantile(&sorted, p), "{p}");
        }
        assert_eq!(select_quantile(&mut [], 0.5), None);
    }

    #[test]
    fn outliers_are_ignored() {
        let mut v: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        v.push(1e6);
        let (lo, hi) = y_range(v.iter().copied(), true).unwrap();
        assert!(hi < 2.0 && lo > -0.2, "{lo} {hi}");
        let (_, hi) = y_range(v.iter().copied(), false).unwrap();
        assert!(hi > 1e6);
    }

    #[test]
    fn flat_and_empty() {
        assert_eq!(y_range([2.0, 2.0].into_iter(), true), Some((1.8, 2.2)));
        assert_eq!(y_range([f64::NAN].into_iter(), true), None);
    }
}
