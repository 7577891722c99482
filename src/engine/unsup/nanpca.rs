//! Lightning Pose's PCA for its unsupervised losses (`lightning_pose/utils/pca.py`, 2.4.3):
//! `NaNPCA` (the column means ignore missing values; the covariance is numpy's masked
//! `np.ma.cov`, each entry over the rows where both coordinates are present; `eigh`, largest
//! first, negative eigenvalues clipped to 0), the number of components kept
//! (`ComponentChooser`), the data layouts of the singleview and multiview losses, and the
//! empirical epsilon (`np.nanpercentile` of the labels' own reprojection errors).

// Covariance sums index rows and columns as the formulas do.
#![allow(clippy::needless_range_loop)]

use crate::engine::pca::symmetric_eigen;

/// `losses.<name>.components_to_keep`: an integer is a count, a float a fraction of the
/// variance (1.0: every component).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Keep {
    Count(usize),
    Fraction(f64),
}

/// A fitted PCA: the mean, every component (largest variance first) and the number kept.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub mean: Vec<f64>,
    pub components: Vec<Vec<f64>>,
    pub explained_ratio: Vec<f64>,
    pub kept: usize,
}

/// Fits on `rows` (n x d, NaN where missing). Errors as Lightning Pose's `_check_data` and
/// `ComponentChooser` do.
pub fn fit(rows: &[Vec<f64>], keep: Keep) -> Result<Fitted, String> {
    let n = rows.len();
    let d = rows.first().map_or(0, Vec::len);
    if d == 0 || rows.iter().any(|r| r.len() != d) {
        return Err("no keypoint columns to fit the PCA on".into());
    }
    if n < d {
        return Err(format!(
            "cannot fit PCA with {n} samples < {d} observation dimensions"
        ));
    }
    let mut mean = vec![0.0; d];
    for j in 0..d {
        let (mut s, mut c) = (0.0, 0usize);
        for r in rows {
            if r[j].is_finite() {
                s += r[j];
                c += 1;
            }
        }
        mean[j] = if c > 0 { s / c as f64 } else { f64::NAN };
    }
    let mut cov = vec![vec![0.0; d]; d];
    for i in 0..d {
        for j in i..d {
            let (mut s, mut c) = (0.0, 0usize);
            for r in rows {
                if r[i].is_finite() && r[j].is_finite() {
                    s += (r[i] - mean[i]) * (r[j] - mean[j]);
                    c += 1;
                }
            }
            let v = if c > 1 { s / (c - 1) as f64 } else { 0.0 };
            cov[i][j] = v;
            cov[j][i] = v;
        }
    }
    if cov.iter().flatten().any(|v| !v.is_finite()) {
        return Err("a keypoint column has no labels to fit the PCA on".into());
    }
    let (values, components) = symmetric_eigen(&cov);
    let values: Vec<f64> = values.into_iter().map(|v| v.max(0.0)).collect();
    let total: f64 = values.iter().sum();
    let explained_ratio: Vec<f64> = values
        .iter()
        .map(|v| if total > 0.0 { v / total } else { 0.0 })
        .collect();
    let kept = match keep {
        Keep::Count(k) if k > d => {
            return Err(format!(
                "components_to_keep was set to {k}, exceeding the maximum value of {d} observation dims"
            ));
        }
        Keep::Count(k) => k,
        Keep::Fraction(f) if !(0.0..=1.0).contains(&f) => {
            return Err(format!(
                "components_to_keep was set to {f} while it has to be between 0.0 and 1.0"
            ));
        }
        Keep::Fraction(1.0) => d,
        Keep::Fraction(f) => {
            let mut acc = 0.0;
            let mut k = d;
            for (i, r) in explained_ratio.iter().enumerate() {
                acc += r;
                if acc >= f {
                    k = i + 1;
                    break;
                }
            }
            k
        }
    };
    Ok(Fitted {
        mean,
        components,
        explained_ratio,
        kept,
    })
}

impl Fitted {
    /// Per (x, y) pair of a row, the distance to its reprojection onto the kept components;
    /// a row with any missing value gives NaN throughout (as Lightning Pose's matrix product
    /// does).
    pub fn reprojection_errors(&self, row: &[f64]) -> Vec<f64> {
        let d = self.mean.len();
        if row.len() != d || row.iter().any(|v| !v.is_finite()) {
            return vec![f64::NAN; d / 2];
        }
        let c: Vec<f64> = row.iter().zip(&self.mean).map(|(a, m)| a - m).collect();
        let mut rec = vec![0.0; d];
        for comp in &self.components[..self.kept] {
            let dot: f64 = comp.iter().zip(&c).map(|(a, b)| a * b).sum();
            for (o, a) in rec.iter_mut().zip(comp) {
                *o += dot * a;
            }
        }
        (0..d / 2)
            .map(|p| {
                let dx = c[2 * p] - rec[2 * p];
                let dy = c[2 * p + 1] - rec[2 * p + 1];
                (dx * dx + dy * dy).sqrt()
            })
            .collect()
    }

    /// `np.nanpercentile` (linear interpolation) of the reprojection errors of `rows`.
    pub fn empirical_epsilon(&self, rows: &[Vec<f64>], percentile: f64) -> Option<f64> {
        let mut v: Vec<f64> = rows
            .iter()
            .flat_map(|r| self.reprojection_errors(r))
            .filter(|e| e.is_finite())
            .collect();
        nan_percentile(&mut v, percentile)
    }
}

/// Linear-interpolation percentile (numpy's default) of finite values; `q` in 0..=100.
pub fn nan_percentile(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 100.0) / 100.0) * (v.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    Some(v[lo] + (v[hi] - v[lo]) * (rank - lo as f64))
}

/// Singleview layout: per frame the (x, y) of the keypoints in `cols`, in that order.
/// `pose(row, keypoint)` gives a keypoint (NaN when missing).
pub fn singleview_rows(
    n: usize,
    cols: &[usize],
    pose: &dyn Fn(usize, usize) -> [f64; 2],
) -> Vec<Vec<f64>> {
    (0..n)
        .map(|r| cols.iter().flat_map(|&c| pose(r, c)).collect())
        .collect()
}

/// Multiview layout: one row per (frame, body part), frame-major, holding the body part's
/// (x, y) in each view (`views[v][j]` is body part j's keypoint in view v).
pub fn multiview_rows(
    n: usize,
    views: &[Vec<usize>],
    pose: &dyn Fn(usize, usize) -> [f64; 2],
) -> Vec<Vec<f64>> {
    let j_count = views.first().map_or(0, Vec::len);
    let mut out = Vec::with_capacity(n * j_count);
    for r in 0..n {
        for j in 0..j_count {
            out.push(views.iter().flat_map(|v| pose(r, v[j])).collect());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_numpys_linear_one() {
        let mut v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(nan_percentile(&mut v, 90.0), Some(90.0));
        let mut w = vec![1.0, 2.0, 3.0, 4.0];
        assert!((nan_percentile(&mut w, 50.0).unwrap() - 2.5).abs() < 1e-12);
    }

    #[test]
    fn masked_covariance_uses_pairwise_rows() {
        // Column 1 misses one value: its mean and its covariances skip that row only.
        let rows = vec![
            vec![0.0, 0.0],
            vec![1.0, f64::NAN],
            vec![2.0, 2.0],
            vec![3.0, 3.0],
        ];
        let f = fit(&rows, Keep::Count(1)).unwrap();
        assert!((f.mean[0] - 1.5).abs() < 1e-12 && (f.mean[1] - 5.0 / 3.0).abs() < 1e-12);
        assert!(f.reprojection_errors(&rows[1]).iter().all(|e| e.is_nan()));
        assert!(fit(&rows[..1], Keep::Count(1)).is_err());
        assert!(fit(&rows, Keep::Count(3)).is_err());
    }
}
