//! Lightning Pose's unsupervised losses on keypoint tensors (`lightning_pose/losses/losses.py`,
//! 2.4.3): per-element values, epsilon-insensitivity `relu(loss - epsilon)`, mean. Used by
//! training (autodiff) and by the tests against Lightning Pose's own values.

use super::config::{Epsilon, Kind, LossSettings};
use super::nanpca::{self, Fitted};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};

/// Keeps `sqrt` differentiable where a difference is exactly zero (two identical frames):
/// the gradient of `sqrt(d² + 1e-12)` at 0 is 0, as torch's `linalg.norm` gives; the value
/// moves by at most 1e-6 px.
const NORM_EPS: f64 = 1e-12;

/// Euclidean norm of consecutive (x, y) pairs: [n, 2m] -> [n, m].
fn pair_norms(d: Tensor<2>) -> Tensor<2> {
    let [n, c] = d.dims();
    let d = d.reshape([n, c / 2, 2]);
    (d.clone() * d)
        .sum_dim(2)
        .reshape([n, c / 2])
        .add_scalar(NORM_EPS)
        .sqrt()
}

/// A loss ready to evaluate: its settings and, for the PCA losses, the fitted PCA as
/// constant tensors.
pub struct Ready {
    pub settings: LossSettings,
    /// temporal: [1, K] epsilons; PCA: [1, 1].
    epsilon: Vec<f64>,
    /// PCA: the selection matrices (one per view; one for singleview) [2K, 2J], the mean
    /// [1, D] and the kept components [kept, D].
    pca: Option<PcaTensors>,
    /// The PCA's epsilon as used (empirical or set), for the log.
    pub epsilon_used: Option<f64>,
    pub kept: Option<usize>,
}

struct PcaTensors {
    select: Vec<Vec<(usize, usize)>>,
    mean: Vec<f32>,
    comps: Vec<f32>,
    d: usize,
    kept: usize,
}

/// Evaluated loss: scalar (mean after epsilon) and the per-element values before epsilon.
pub struct Evaluated {
    pub loss: Tensor<1>,
    pub elementwise: Tensor<2>,
}

impl Ready {
    /// Prepares `settings` for `k` keypoints: the PCA losses fit on `labels(row, keypoint)`
    /// over `n` rows (the training frames).
    pub fn new(
        settings: &LossSettings,
        k: usize,
        n: usize,
        labels: &dyn Fn(usize, usize) -> [f64; 2],
        singleview_cols: Option<&[usize]>,
        views: Option<&[Vec<usize>]>,
    ) -> Result<Ready, String> {
        let name = settings.kind.name();
        let out_of_range =
            |c: usize| format!("{name}: keypoint index {c} is past the {k} keypoints");
        let (rows, select) = match settings.kind {
            Kind::Temporal => {
                let epsilon = match &settings.epsilon {
                    Epsilon::PerKeypoint(v) if v.len() != k => {
                        return Err(format!(
                            "losses.temporal.epsilon: {} values for {k} keypoints",
                            v.len()
                        ));
                    }
                    Epsilon::PerKeypoint(v) => v.clone(),
                    Epsilon::Scalar(e) => vec![*e; k],
                    Epsilon::Empirical => vec![0.0; k],
                };
                return Ok(Ready {
                    settings: settings.clone(),
                    epsilon,
                    pca: None,
                    epsilon_used: None,
                    kept: None,
                });
            }
            Kind::PcaSingleview => {
                let all: Vec<usize> = (0..k).collect();
                let cols = singleview_cols.unwrap_or(&all);
                if let Some(&c) = cols.iter().find(|&&c| c >= k) {
                    return Err(out_of_range(c));
                }
                (
                    nanpca::singleview_rows(n, cols, labels),
                    vec![cols.iter().enumerate().map(|(j, &c)| (c, j)).collect()],
                )
            }
            Kind::PcaMultiview => {
                let views = views.filter(|v| v.len() >= 2).ok_or_else(|| {
                    "pca_multiview: data.mirrored_column_matches must list the keypoints of each view".to_string()
                })?;
                let j = views[0].len();
                if views.iter().any(|v| v.len() != j) {
                    return Err(
                        "data.mirrored_column_matches: every view must list as many keypoints"
                            .into(),
                    );
                }
                if let Some(&c) = views.iter().flatten().find(|&&c| c >= k) {
                    return Err(out_of_range(c));
                }
                (
                    nanpca::multiview_rows(n, views, labels),
                    views
                        .iter()
                        .map(|v| v.iter().enumerate().map(|(j, &c)| (c, j)).collect())
                        .collect(),
                )
            }
        };
        let fitted: Fitted =
            nanpca::fit(&rows, settings.components_to_keep).map_err(|e| format!("{name}: {e}"))?;
        let eps = match settings.epsilon {
            Epsilon::Scalar(e) => e,
            _ => {
                fitted
                    .empirical_epsilon(&rows, settings.empirical_epsilon_percentile)
                    .ok_or_else(|| format!("{name}: no complete label rows for the epsilon"))?
                    * settings.empirical_epsilon_multiplier
            }
        };
        let d = fitted.mean.len();
        let kept = fitted.kept;
        Ok(Ready {
            settings: settings.clone(),
            epsilon: vec![eps],
            pca: Some(PcaTensors {
                select,
                mean: fitted.mean.iter().map(|&m| m as f32).collect(),
                comps: fitted.components[..kept]
                    .iter()
                    .flatten()
                    .map(|&c| c as f32)
                    .collect(),
                d,
                kept,
            }),
            epsilon_used: Some(eps),
            kept: Some(kept),
        })
    }

    /// The loss on a sequence of keypoints `kp` [T, 2K] (original pixels) with confidences
    /// `conf` (T x K, row-major; temporal only).
    pub fn eval(&self, kp: Tensor<2>, conf: &[f32], device: &Device) -> Evaluated {
        let [t, c] = kp.dims();
        let k = c / 2;
        let elementwise = match &self.pca {
            None => {
                let a = kp.clone().slice([0..t.saturating_sub(1), 0..c]);
                let b = kp.slice([1..t, 0..c]);
                pair_norms(b - a)
            }
            Some(p) => {
                let x = self.format(kp, p, device);
                let mean =
                    Tensor::<2>::from_data(TensorData::new(p.mean.clone(), [1, p.d]), device);
                let comps =
                    Tensor::<2>::from_data(TensorData::new(p.comps.clone(), [p.kept, p.d]), device);
                let centered = x - mean;
                let rec = centered
                    .clone()
                    .matmul(comps.clone().transpose())
                    .matmul(comps);
                pair_norms(centered - rec)
            }
        };
        let [r, m] = elementwise.dims();
        let eps = if self.pca.is_none() {
            Tensor::<2>::from_data(
                TensorData::new(self.epsilon.iter().map(|&e| e as f32).collect(), [1, k]),
                device,
            )
        } else {
            Tensor::<2>::from_data(
                TensorData::new(vec![self.epsilon[0] as f32], [1, 1]),
                device,
            )
        };
        let mut rect = relu(elementwise.clone() - eps);
        if self.pca.is_none() && self.settings.prob_threshold > 0.0 && r > 0 {
            let thr = self.settings.prob_threshold as f32;
            let low = |i: usize, j: usize| conf.get(i * k + j).is_none_or(|&v| v < thr);
            let keep: Vec<f32> = (0..r)
                .flat_map(|i| (0..m).map(move |j| (i, j)))
                .map(|(i, j)| if low(i, j) || low(i + 1, j) { 0.0 } else { 1.0 })
                .collect();
            rect = rect * Tensor::<2>::from_data(TensorData::new(keep, [r, m]), device);
        }
        Evaluated {
            loss: rect.mean(),
            elementwise,
        }
    }

    /// The PCA layout of `kp` [T, 2K]: singleview [T, 2J]; multiview [T*J, 2V] (frame-major).
    fn format(&self, kp: Tensor<2>, p: &PcaTensors, device: &Device) -> Tensor<2> {
        let [t, c] = kp.dims();
        let per_view: Vec<Tensor<3>> = p
            .select
            .iter()
            .map(|sel| {
                let j = sel.len();
                let mut s = vec![0f32; c * 2 * j];
                for &(col, out) in sel {
                    s[(2 * col) * 2 * j + 2 * out] = 1.0;
                    s[(2 * col + 1) * 2 * j + 2 * out + 1] = 1.0;
                }
                let s = Tensor::<2>::from_data(TensorData::new(s, [c, 2 * j]), device);
                kp.clone().matmul(s).reshape([t, j, 2])
            })
            .collect();
        match self.settings.kind {
            Kind::PcaMultiview => {
                let j = p.select[0].len();
                let v = per_view.len();
                Tensor::cat(per_view, 2).reshape([t * j, 2 * v])
            }
            _ => {
                let j = p.select[0].len();
                per_view
                    .into_iter()
                    .next()
                    .map(|x| x.reshape([t, 2 * j]))
                    .unwrap_or_else(|| Tensor::<2>::zeros([t, 0], device))
            }
        }
    }
}
