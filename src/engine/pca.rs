//! Lightning Pose's PCA reprojection errors. Singleview: PCA over the flattened (x, y) of the
//! keypoints in `columns_for_singleview_pca` of the training labels; multiview: PCA over the
//! (x, y) of each keypoint seen in every view (`mirrored_column_matches`). A prediction's
//! error per keypoint is the distance between it and its projection onto the kept components.

// Jacobi sweeps and covariance sums index rows and columns as the formulas do.
#![allow(clippy::needless_range_loop)]

/// A fitted PCA: mean and kept components (unit vectors).
#[derive(Debug, Clone)]
pub struct Pca {
    pub mean: Vec<f64>,
    pub components: Vec<Vec<f64>>,
    pub explained: Vec<f64>,
}

/// Eigen-decomposition of a symmetric matrix (Jacobi rotations): (values, vectors as rows),
/// sorted by decreasing value.
pub fn symmetric_eigen(a: &[Vec<f64>]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = a.len();
    let mut m: Vec<Vec<f64>> = a.to_vec();
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    for _sweep in 0..100 {
        let mut off = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                off += m[i][j] * m[i][j];
            }
        }
        if off < 1e-22 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if m[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (m[q][q] - m[p][p]) / (2.0 * m[p][q]);
                let t = theta.signum().max(0.0) * 2.0 - 1.0;
                let t = if theta == 0.0 { 1.0 } else { t };
                let t = t / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k][p], m[k][q]);
                    m[k][p] = c * mkp - s * mkq;
                    m[k][q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p][k], m[q][k]);
                    m[p][k] = c * mpk - s * mqk;
                    m[q][k] = s * mpk + c * mqk;
                }
                for row in v.iter_mut() {
                    let (vp, vq) = (row[p], row[q]);
                    row[p] = c * vp - s * vq;
                    row[q] = s * vp + c * vq;
                }
            }
        }
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&i, &j| m[j][j].total_cmp(&m[i][i]));
    let values = idx.iter().map(|&i| m[i][i]).collect();
    let vectors = idx
        .iter()
        .map(|&i| (0..n).map(|k| v[k][i]).collect())
        .collect();
    (values, vectors)
}

impl Pca {
    /// Fits on `rows` (each of the same length). `keep` < 1: the fewest components explaining
    /// at least that fraction of the variance; otherwise that many components.
    pub fn fit(rows: &[Vec<f64>], keep: f64) -> Option<Pca> {
        let n = rows.len();
        let d = rows.first()?.len();
        if n < 2 || d == 0 {
            return None;
        }
        let mut mean = vec![0.0; d];
        for r in rows {
            for (m, x) in mean.iter_mut().zip(r) {
                *m += x / n as f64;
            }
        }
        let mut cov = vec![vec![0.0; d]; d];
        for r in rows {
            for i in 0..d {
                let di = r[i] - mean[i];
                for j in i..d {
                    cov[i][j] += di * (r[j] - mean[j]) / (n - 1) as f64;
                }
            }
        }
        for i in 0..d {
            for j in 0..i {
                cov[i][j] = cov[j][i];
            }
        }
        let (values, vectors) = symmetric_eigen(&cov);
        let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
        let k = if keep < 1.0 {
            let mut acc = 0.0;
            let mut k = 0;
            for v in &values {
                k += 1;
                acc += v.max(0.0);
                if total <= 0.0 || acc / total >= keep {
                    break;
                }
            }
            k
        } else {
            (keep.round() as usize).clamp(1, d)
        };
        Some(Pca {
            mean,
            components: vectors.into_iter().take(k).collect(),
            explained: values
                .iter()
                .take(k)
                .map(|v| if total > 0.0 { v.max(0.0) / total } else { 0.0 })
                .collect(),
        })
    }

    /// The projection of `x` onto the kept components.
    pub fn reconstruct(&self, x: &[f64]) -> Vec<f64> {
        let c: Vec<f64> = x.iter().zip(&self.mean).map(|(a, m)| a - m).collect();
        let mut out = self.mean.clone();
        for comp in &self.components {
            let dot: f64 = comp.iter().zip(&c).map(|(a, b)| a * b).sum();
            for (o, a) in out.iter_mut().zip(comp) {
                *o += dot * a;
            }
        }
        out
    }
}

/// Keypoints as (row, keypoint) -> [x, y]; NaN when missing.
pub type Pose<'a> = &'a dyn Fn(usize, usize) -> [f64; 2];

/// Singleview PCA error: fit on `fit_rows` of `labels`, evaluated on every row of `preds`.
/// Returns rows x K errors, NaN outside `cols` or where the prediction is missing.
pub fn singleview_errors(
    labels: Pose,
    fit_rows: &[usize],
    preds: Pose,
    n_rows: usize,
    k: usize,
    cols: &[usize],
    keep: f64,
) -> Option<(Pca, Vec<f64>)> {
    let vec_of = |pose: Pose, r: usize| -> Option<Vec<f64>> {
        let mut v = Vec::with_capacity(cols.len() * 2);
        for &c in cols {
            let [x, y] = pose(r, c);
            if !(x.is_finite() && y.is_finite()) {
                return None;
            }
            v.push(x);
            v.push(y);
        }
        Some(v)
    };
    let data: Vec<Vec<f64>> = fit_rows.iter().filter_map(|&r| vec_of(labels, r)).collect();
    let pca = Pca::fit(&data, keep)?;
    let mut out = vec![f64::NAN; n_rows * k];
    for r in 0..n_rows {
        let Some(x) = vec_of(preds, r) else { continue };
        let rec = pca.reconstruct(&x);
        for (i, &c) in cols.iter().enumerate() {
            if c < k {
                let (dx, dy) = (rec[2 * i] - x[2 * i], rec[2 * i + 1] - x[2 * i + 1]);
                out[r * k + c] = (dx * dx + dy * dy).sqrt();
            }
        }
    }
    Some((pca, out))
}

/// Multiview PCA error: each keypoint across views (`views[v][j]` is the column of keypoint
/// j in view v) is one sample of 2 x views numbers.
pub fn multiview_errors(
    labels: Pose,
    fit_rows: &[usize],
    preds: Pose,
    n_rows: usize,
    k: usize,
    views: &[Vec<usize>],
    keep: f64,
) -> Option<(Pca, Vec<f64>)> {
    let n_j = views.iter().map(Vec::len).min()?;
    let sample = |pose: Pose, r: usize, j: usize| -> Option<Vec<f64>> {
        let mut v = Vec::with_capacity(views.len() * 2);
        for view in views {
            let [x, y] = pose(r, view[j]);
            if !(x.is_finite() && y.is_finite()) {
                return None;
            }
            v.push(x);
            v.push(y);
        }
        Some(v)
    };
    let mut data = Vec::new();
    for &r in fit_rows {
        for j in 0..n_j {
            if let Some(s) = sample(labels, r, j) {
                data.push(s);
            }
        }
    }
    let dims = 2 * views.len();
    let keep = if keep < 1.0 { (dims - 1) as f64 } else { keep };
    let pca = Pca::fit(&data, keep)?;
    let mut out = vec![f64::NAN; n_rows * k];
    for r in 0..n_rows {
        for j in 0..n_j {
            let Some(x) = sample(preds, r, j) else {
                continue;
            };
            let rec = pca.reconstruct(&x);
            for (v, view) in views.iter().enumerate() {
                let c = view[j];
                if c < k {
                    let (dx, dy) = (rec[2 * v] - x[2 * v], rec[2 * v + 1] - x[2 * v + 1]);
                    out[r * k + c] = (dx * dx + dy * dy).sqrt();
                }
            }
        }
    }
    Some((pca, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_of_a_known_matrix() {
        let (vals, vecs) = symmetric_eigen(&[vec![2.0, 1.0], vec![1.0, 2.0]]);
        assert!((vals[0] - 3.0).abs() < 1e-9 && (vals[1] - 1.0).abs() < 1e-9);
        assert!((vecs[0][0].abs() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-9);
    }

    #[test]
    fn points_on_a_line_reconstruct_exactly() {
        let rows: Vec<Vec<f64>> = (0..20)
            .map(|i| {
                let t = i as f64;
                vec![t, 2.0 * t + 1.0, -t]
            })
            .collect();
        let p = Pca::fit(&rows, 0.99).unwrap();
        assert_eq!(p.components.len(), 1);
        let r = p.reconstruct(&[3.0, 7.0, -3.0]);
        assert!((r[1] - 7.0).abs() < 1e-6);
        let off = p.reconstruct(&[3.0, 9.0, -3.0]);
        assert!((off[1] - 9.0).abs() > 0.5);
    }
}
