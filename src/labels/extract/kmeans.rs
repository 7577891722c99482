//! Lightning Pose's frame selection for pose diversity (lightning-pose-app
//! `app_server/src/litpose_app/utils/video/frame_selection.py`, `frame_selection_kmeans_impl`):
//! thumbnails flattened, motion energy (sum of absolute differences to the previous frame,
//! 0 for the first), the frames above the median motion energy (all frames when fewer than
//! N), PCA to min(32, frames) components, k-means with k = N, and for each centre the frame
//! nearest to it. Here the k-means is seeded (k-means++ init, a fixed seed) so the same video
//! gives the same frames, and each centre takes the nearest frame not already taken, so the
//! N frames are distinct.

// Matrix loops index rows and columns as the formulas do.
#![allow(clippy::needless_range_loop)]

use super::Control;
use crate::Result;

/// Components kept by the PCA (Lightning Pose: `min(n_frames, 32)`).
const PCS: usize = 32;
const MAX_ITER: usize = 300;

/// Picks `n` distinct frames from `candidates` (indices into `thumbs`, ascending).
pub fn select(
    thumbs: &[Vec<f32>],
    candidates: &[usize],
    n: usize,
    seed: u64,
    ctl: &Control,
) -> Result<Vec<usize>> {
    if n == 0 || candidates.is_empty() {
        return Ok(Vec::new());
    }
    // Motion energy of every frame against the previous one (of the whole video).
    let me: Vec<f64> = (0..thumbs.len())
        .map(|i| {
            if i == 0 {
                0.0
            } else {
                thumbs[i]
                    .iter()
                    .zip(&thumbs[i - 1])
                    .map(|(a, b)| f64::from((a - b).abs()))
                    .sum()
            }
        })
        .collect();
    let cand_me: Vec<f64> = candidates.iter().map(|&i| me[i]).collect();
    let threshold = percentile(&cand_me, if thumbs.len() < 100_000 { 50.0 } else { 75.0 });
    let mut pool: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| me[i] > threshold)
        .collect();
    if pool.len() < n {
        pool = candidates.to_vec();
    }
    ctl.progress("PCA", 0, 1);
    let x: Vec<Vec<f64>> = pool
        .iter()
        .map(|&i| thumbs[i].iter().map(|&v| f64::from(v)).collect())
        .collect();
    let emb = pca_embed(&x, PCS.min(x.len()), seed);
    ctl.progress("k-means", 0, 1);
    let centres = kmeans(&emb, n, seed, ctl)?;
    // The nearest not yet taken frame to each centre.
    let mut taken = vec![false; pool.len()];
    let mut out = Vec::with_capacity(n);
    for c in &centres {
        let best = (0..emb.len())
            .filter(|&r| !taken[r])
            .min_by(|&a, &b| dist2(&emb[a], c).total_cmp(&dist2(&emb[b], c)));
        if let Some(r) = best {
            taken[r] = true;
            out.push(pool[r]);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// numpy's `percentile` (linear interpolation).
fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = p / 100.0 * (s.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-300);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Orthonormalises the columns of `m` (d rows x k columns, stored as k column vectors).
fn orthonormalise(cols: &mut [Vec<f64>]) {
    for j in 0..cols.len() {
        for _ in 0..2 {
            for i in 0..j {
                let d: f64 = cols[j].iter().zip(&cols[i]).map(|(a, b)| a * b).sum();
                let ci = cols[i].clone();
                for (a, b) in cols[j].iter_mut().zip(&ci) {
                    *a -= d * b;
                }
            }
        }
        let norm = cols[j].iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-12 {
            cols[j].iter_mut().for_each(|a| *a /= norm);
        } else {
            cols[j].iter_mut().for_each(|a| *a = 0.0);
        }
    }
}

/// The rows of `x` projected on its first `k` principal components (centred, not whitened),
/// by a randomised range finder with power iterations and an exact eigen-decomposition in the
/// found subspace.
fn pca_embed(x: &[Vec<f64>], k: usize, seed: u64) -> Vec<Vec<f64>> {
    let m = x.len();
    let d = x.first().map_or(0, Vec::len);
    if m == 0 || d == 0 || k == 0 {
        return vec![Vec::new(); m];
    }
    let mean: Vec<f64> = (0..d)
        .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / m as f64)
        .collect();
    let xc: Vec<Vec<f64>> = x
        .iter()
        .map(|r| r.iter().zip(&mean).map(|(a, b)| a - b).collect())
        .collect();
    let l = (k + 10).min(m).min(d);
    let mut rng = Rng(seed ^ 0x5CA1_AB1E);
    // Q: l column vectors of length d.
    let mut q: Vec<Vec<f64>> = (0..l)
        .map(|_| (0..d).map(|_| rng.normal()).collect())
        .collect();
    orthonormalise(&mut q);
    let project = |q: &[Vec<f64>]| -> Vec<Vec<f64>> {
        // B = Xc Q: m x l.
        xc.iter()
            .map(|r| {
                q.iter()
                    .map(|c| r.iter().zip(c).map(|(a, b)| a * b).sum())
                    .collect()
            })
            .collect()
    };
    for _ in 0..6 {
        let b = project(&q);
        // Q = Xc^T B: d x l, then orthonormalised.
        let mut next: Vec<Vec<f64>> = vec![vec![0.0; d]; l];
        for (r, brow) in xc.iter().zip(&b) {
            for (c, &bv) in brow.iter().enumerate() {
                if bv != 0.0 {
                    for (acc, &xv) in next[c].iter_mut().zip(r) {
                        *acc += xv * bv;
                    }
                }
            }
        }
        orthonormalise(&mut next);
        q = next;
    }
    let b = project(&q);
    // Eigen-decomposition of B^T B (l x l) gives the components within span(Q).
    let mut g = vec![vec![0.0; l]; l];
    for row in &b {
        for i in 0..l {
            for j in 0..l {
                g[i][j] += row[i] * row[j];
            }
        }
    }
    let (_, vecs) = crate::engine::pca::symmetric_eigen(&g);
    let kk = k.min(vecs.len());
    b.iter()
        .map(|row| {
            vecs[..kk]
                .iter()
                .map(|v| row.iter().zip(v).map(|(a, b)| a * b).sum())
                .collect()
        })
        .collect()
}

/// k-means (Lloyd) with scikit-learn's greedy k-means++ initialisation; returns the centres.
fn kmeans(x: &[Vec<f64>], k: usize, seed: u64, ctl: &Control) -> Result<Vec<Vec<f64>>> {
    let m = x.len();
    let k = k.min(m);
    let mut rng = Rng(seed);
    let first = (rng.unit() * m as f64) as usize % m;
    let mut centres = vec![x[first].clone()];
    let mut closest: Vec<f64> = x.iter().map(|r| dist2(r, &centres[0])).collect();
    let trials = 2 + (k as f64).ln().floor() as usize;
    while centres.len() < k {
        let total: f64 = closest.iter().sum();
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let r = rng.unit() * total;
            let mut acc = 0.0;
            let mut pick = m - 1;
            for (i, &c) in closest.iter().enumerate() {
                acc += c;
                if acc > r {
                    pick = i;
                    break;
                }
            }
            let d: Vec<f64> = x
                .iter()
                .zip(&closest)
                .map(|(row, &c)| c.min(dist2(row, &x[pick])))
                .collect();
            let pot: f64 = d.iter().sum();
            if best.as_ref().is_none_or(|b| pot < b.0) {
                best = Some((pot, pick, d));
            }
        }
        let Some((_, pick, d)) = best else { break };
        centres.push(x[pick].clone());
        closest = d;
    }
    // scikit-learn's tolerance: 1e-4 times the mean per-feature variance.
    let dims = x[0].len();
    let var: f64 = (0..dims)
        .map(|j| {
            let mu = x.iter().map(|r| r[j]).sum::<f64>() / m as f64;
            x.iter().map(|r| (r[j] - mu).powi(2)).sum::<f64>() / m as f64
        })
        .sum::<f64>()
        / dims.max(1) as f64;
    let tol = 1e-4 * var;
    let mut labels = vec![0usize; m];
    for it in 0..MAX_ITER {
        if ctl.cancelled() {
            return Err(super::cancelled());
        }
        ctl.progress("k-means", it + 1, MAX_ITER);
        for (i, row) in x.iter().enumerate() {
            labels[i] = (0..centres.len())
                .min_by(|&a, &b| dist2(row, &centres[a]).total_cmp(&dist2(row, &centres[b])))
                .unwrap_or(0);
        }
        let mut sums = vec![vec![0.0; dims]; centres.len()];
        let mut counts = vec![0usize; centres.len()];
        for (row, &l) in x.iter().zip(&labels) {
            counts[l] += 1;
            for (s, v) in sums[l].iter_mut().zip(row) {
                *s += v;
            }
        }
        // An empty cluster takes the point farthest from its own centre.
        for c in 0..centres.len() {
            if counts[c] == 0 {
                let far = (0..m)
                    .max_by(|&a, &b| {
                        dist2(&x[a], &centres[labels[a]])
                            .total_cmp(&dist2(&x[b], &centres[labels[b]]))
                    })
                    .unwrap_or(0);
                sums[c] = x[far].clone();
                counts[c] = 1;
            }
        }
        let mut shift = 0.0;
        for c in 0..centres.len() {
            let new: Vec<f64> = sums[c].iter().map(|s| s / counts[c] as f64).collect();
            shift += dist2(&new, &centres[c]);
            centres[c] = new;
        }
        if shift <= tol {
            break;
        }
    }
    Ok(centres)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kmeans_finds_separated_clusters() {
        let mut x = Vec::new();
        for c in 0..4 {
            for i in 0..10 {
                x.push(vec![
                    c as f64 * 100.0 + i as f64 * 0.1,
                    (c % 2) as f64 * 50.0,
                ]);
            }
        }
        let ctl = Control::default();
        let mut cs = kmeans(&x, 4, 0, &ctl).unwrap();
        cs.sort_by(|a, b| a[0].total_cmp(&b[0]));
        for (c, centre) in cs.iter().enumerate() {
            assert!(
                (centre[0] - (c as f64 * 100.0 + 0.45)).abs() < 1e-9,
                "{cs:?}"
            );
        }
    }

    #[test]
    fn pca_keeps_distances_in_a_low_rank_set() {
        // Rank-2 data in 50 dims: the 2-component embedding keeps every distance.
        let mut rng = Rng(3);
        let a: Vec<f64> = (0..50).map(|_| rng.normal()).collect();
        let b: Vec<f64> = (0..50).map(|_| rng.normal()).collect();
        let x: Vec<Vec<f64>> = (0..30)
            .map(|i| {
                let (s, t) = (i as f64, (i * i % 7) as f64);
                a.iter().zip(&b).map(|(p, q)| s * p + t * q).collect()
            })
            .collect();
        let e = pca_embed(&x, 2, 0);
        for i in 0..30 {
            for j in 0..30 {
                let d0 = dist2(&x[i], &x[j]);
                let d1 = dist2(&e[i], &e[j]);
                assert!((d0 - d1).abs() < 1e-6 * d0.max(1.0), "{d0} {d1}");
            }
        }
    }

    #[test]
    fn percentile_matches_numpy() {
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.5);
        assert_eq!(percentile(&[5.0, 1.0, 3.0], 50.0), 3.0);
    }
}
