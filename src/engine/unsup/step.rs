//! The unsupervised half of a semi-supervised training step: the next unlabeled sequence
//! through the network, its keypoints, each loss, and their weighted, annealed sum (Lightning
//! Pose's `LossFactory`: `anneal * Σ weight_i * loss_i`, added to the supervised loss).

use super::frames::{Sequences, sources};
use super::keypoints::soft_argmax;
use super::{Anneal, Kind, Ready};
use crate::engine::config::{Imgaug, TrainConfig};
use crate::engine::data::Labels;
use crate::engine::heatmap::decode_batch;
use crate::engine::model::PoseNet;
use crate::{Error, Result};
use burn::tensor::{Device, Tensor, TensorData};

/// Set up for a run whose config names unsupervised losses.
pub struct Semi {
    pub losses: Vec<Ready>,
    pub sequences: Sequences,
    pub anneal: Anneal,
    stride: usize,
    height: usize,
    width: usize,
    /// One line per loss for the log, and the unlabeled sources.
    pub describe: Vec<String>,
    /// Videos left out, with why.
    pub skipped: Vec<String>,
}

/// One loss's values at a step, for the log.
pub struct Term {
    pub name: &'static str,
    pub loss: f64,
    pub weight: f64,
}

/// The step's unsupervised part: `anneal * Σ weight * loss` (to add to the supervised loss)
/// and the values for the log.
pub struct Part {
    pub total: Tensor<1>,
    pub terms: Vec<Term>,
    pub importance: f64,
}

impl Semi {
    /// `None` for a supervised config. The PCA losses fit on the `train_rows` labels.
    pub fn start(cfg: &TrainConfig, labels: &Labels, train_rows: &[usize]) -> Result<Option<Semi>> {
        let u = &cfg.unsup;
        if u.losses.is_empty() {
            return Ok(None);
        }
        let k = labels.k();
        let pose = |r: usize, c: usize| {
            let [x, y] = labels.xy(train_rows[r], c);
            [x as f64, y as f64]
        };
        let mut losses = Vec::new();
        let mut describe = Vec::new();
        for s in &u.losses {
            let ready = Ready::new(
                s,
                k,
                train_rows.len(),
                &pose,
                cfg.columns_for_singleview_pca.as_deref(),
                cfg.mirrored_column_matches.as_deref(),
            )
            .map_err(|e| Error::invalid(&labels.csv_path, e))?;
            describe.push(match s.kind {
                Kind::Temporal => format!(
                    "temporal: weight {:.6} (log_weight {}), epsilon {}, prob_threshold {}",
                    s.weight(),
                    s.log_weight,
                    match &s.epsilon {
                        super::Epsilon::PerKeypoint(v) => format!("{v:?} px"),
                        super::Epsilon::Scalar(e) => format!("{e} px"),
                        super::Epsilon::Empirical => "0 px".into(),
                    },
                    s.prob_threshold
                ),
                _ => format!(
                    "{}: weight {:.6} (log_weight {}), {} components kept, epsilon {:.3} px (fit on {} training frames)",
                    s.kind.name(),
                    s.weight(),
                    s.log_weight,
                    ready.kept.unwrap_or(0),
                    ready.epsilon_used.unwrap_or(0.0),
                    train_rows.len()
                ),
            });
            losses.push(ready);
        }
        let (srcs, skipped) = sources(&cfg.video_dir);
        describe.push(format!(
            "unlabeled frames: sequences of {} from {} video(s) in {} ({} frames)",
            u.sequence_length,
            srcs.len(),
            cfg.video_dir.display(),
            srcs.iter().map(|s| s.frames).sum::<usize>()
        ));
        // Lightning Pose augments unlabeled sequences for `dlc` and `dlc-top-down` only.
        let augment = matches!(cfg.imgaug, Imgaug::Dlc | Imgaug::DlcTopDown);
        describe.push(if augment {
            "unlabeled frames augmented per sequence (rotation ±10°, scale 0.8-1.2, brightness/contrast 0.75-1.25), predictions mapped back to the frame's pixels".to_string()
        } else {
            "unlabeled frames resized only (training.imgaug is not dlc or dlc-top-down)".to_string()
        });
        let sequences = Sequences::start(
            srcs,
            u.sequence_length,
            cfg.width,
            cfg.height,
            cfg.rng_seed_data_pt,
            augment,
            2,
        )?;
        Ok(Some(Semi {
            losses,
            sequences,
            anneal: u.anneal,
            stride: 1 << cfg.downsample_factor,
            height: cfg.height,
            width: cfg.width,
            describe,
            skipped,
        }))
    }

    /// Runs the next unlabeled sequence through `model` and evaluates every loss.
    pub fn step(
        &mut self,
        model: &PoseNet,
        frozen: bool,
        device: &Device,
        epoch: usize,
    ) -> Result<Part> {
        let seq = self.sequences.recv()?;
        let x = Tensor::<4>::from_data(
            TensorData::new(seq.images, [seq.len, 3, self.height, self.width]),
            device,
        );
        let hm = model.forward(x, frozen);
        let [t, k, hh, hw] = hm.dims();
        // Confidences as posedeck's predictions have them (no gradient: they only mask).
        let plain = hm
            .clone()
            .detach()
            .try_into_data()
            .map_err(|e| Error::usage(format!("device error: {e:?}")))?
            .try_into_vec::<f32>()
            .map_err(|e| Error::usage(format!("unexpected data: {e:?}")))?;
        let conf: Vec<f32> = decode_batch(&plain, t, k, hh, hw, self.stride as f32)
            .iter()
            .map(|p| p.confidence)
            .collect();
        let kp = soft_argmax(hm, self.stride, seq.to_original, device);
        let importance = self.anneal.at(epoch);
        let mut total: Option<Tensor<1>> = None;
        let mut terms = Vec::with_capacity(self.losses.len());
        for l in &self.losses {
            let e = l.eval(kp.clone(), &conf, device);
            let w = l.settings.weight();
            let v = e.loss.clone().into_scalar::<f32>() as f64;
            let part = e.loss.mul_scalar(w * importance);
            total = Some(match total {
                Some(t) => t + part,
                None => part,
            });
            terms.push(Term {
                name: l.settings.kind.name(),
                loss: v,
                weight: w,
            });
        }
        let total = total.unwrap_or_else(|| Tensor::<1>::zeros([1], device));
        Ok(Part {
            total,
            terms,
            importance,
        })
    }
}
