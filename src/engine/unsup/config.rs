//! The unsupervised part of a Lightning Pose config: `model.losses_to_use`, each loss's
//! `losses.<name>` settings, `dali.base.train.sequence_length` and
//! `callbacks.anneal_weight`, with Lightning Pose 2.4.3's defaults for absent keys.

use super::nanpca::Keep;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_norway::Value;
use std::path::Path;

/// The unsupervised losses posedeck trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Temporal,
    PcaSingleview,
    PcaMultiview,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Temporal => "temporal",
            Kind::PcaSingleview => "pca_singleview",
            Kind::PcaMultiview => "pca_multiview",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Temporal, Kind::PcaSingleview, Kind::PcaMultiview]
            .into_iter()
            .find(|k| k.name() == s)
    }
}

/// `epsilon`: absent/null (PCA losses: empirical), one number, or one per keypoint
/// (temporal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Epsilon {
    Empirical,
    Scalar(f64),
    PerKeypoint(Vec<f64>),
}

/// One loss's settings (`losses.<name>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossSettings {
    pub kind: Kind,
    pub log_weight: f64,
    pub epsilon: Epsilon,
    /// temporal: frame pairs where either confidence is below this are not penalized.
    pub prob_threshold: f64,
    pub components_to_keep: Keep,
    pub empirical_epsilon_percentile: f64,
    pub empirical_epsilon_multiplier: f64,
}

impl LossSettings {
    /// `1 / (2 * exp(log_weight))`, Lightning Pose's weight in front of the loss.
    pub fn weight(&self) -> f64 {
        1.0 / (2.0 * self.log_weight.exp())
    }
}

/// Lightning Pose's `AnnealWeight` callback on `total_unsupervised_importance`: `init_val`
/// until `freeze_until_epoch`, then `init_val + (epoch - freeze_until_epoch) *
/// increase_factor`, at most `final_val`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Anneal {
    pub init_val: f64,
    pub increase_factor: f64,
    pub final_val: f64,
    pub freeze_until_epoch: usize,
}

impl Anneal {
    pub fn at(&self, epoch: usize) -> f64 {
        if epoch <= self.freeze_until_epoch {
            self.init_val
        } else {
            let e = (epoch - self.freeze_until_epoch) as f64;
            (self.init_val + e * self.increase_factor).min(self.final_val)
        }
    }
}

/// What the config asks of the unsupervised side (empty `losses`: a supervised run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnsupConfig {
    pub losses: Vec<LossSettings>,
    pub sequence_length: usize,
    pub anneal: Anneal,
}

fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn bad(path: &Path, key: &str, want: &str) -> Error {
    Error::invalid(path, format!("{key}: must be {want}"))
}

fn float(v: &Value, path: &Path, key: &str, d: f64) -> Result<f64> {
    match get(v, key) {
        None => Ok(d),
        Some(x) => x
            .as_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| bad(path, key, "a number")),
    }
}

impl UnsupConfig {
    /// Reads the effective config; unknown names in `losses_to_use` are returned in `other`
    /// (the caller lists them as not implemented).
    pub fn parse(v: &Value, path: &Path) -> Result<(UnsupConfig, Vec<String>)> {
        let mut losses = Vec::new();
        let mut other = Vec::new();
        match get(v, "model.losses_to_use") {
            None => {}
            Some(Value::Sequence(list)) => {
                for item in list {
                    let name = item
                        .as_str()
                        .ok_or_else(|| bad(path, "model.losses_to_use", "a list of loss names"))?;
                    match Kind::parse(name) {
                        Some(kind) if !losses.iter().any(|l: &LossSettings| l.kind == kind) => {
                            losses.push(Self::loss(v, path, kind)?)
                        }
                        Some(_) => {}
                        None => other.push(name.to_string()),
                    }
                }
            }
            Some(Value::String(s)) if s.is_empty() => {}
            Some(_) => return Err(bad(path, "model.losses_to_use", "a list of loss names")),
        }
        let sequence_length = match get(v, "dali.base.train.sequence_length") {
            None => 32,
            Some(x) => x
                .as_u64()
                .filter(|&n| (2..=4096).contains(&n))
                .ok_or_else(|| {
                    bad(
                        path,
                        "dali.base.train.sequence_length",
                        "an integer, 2 to 4096",
                    )
                })? as usize,
        };
        let a = "callbacks.anneal_weight";
        let anneal = Anneal {
            init_val: float(v, path, &format!("{a}.init_val"), 0.0)?,
            increase_factor: float(v, path, &format!("{a}.increase_factor"), 0.01)?,
            final_val: float(v, path, &format!("{a}.final_val"), 1.0)?,
            freeze_until_epoch: match get(v, &format!("{a}.freeze_until_epoch")) {
                None => 0,
                Some(x) => x
                    .as_u64()
                    .ok_or_else(|| bad(path, &format!("{a}.freeze_until_epoch"), "an integer"))?
                    as usize,
            },
        };
        Ok((
            UnsupConfig {
                losses,
                sequence_length,
                anneal,
            },
            other,
        ))
    }

    fn loss(v: &Value, path: &Path, kind: Kind) -> Result<LossSettings> {
        let p = format!("losses.{}", kind.name());
        let key = |k: &str| format!("{p}.{k}");
        let epsilon = match get(v, &key("epsilon")) {
            None => match kind {
                Kind::Temporal => Epsilon::Scalar(0.0),
                _ => Epsilon::Empirical,
            },
            Some(Value::Sequence(s)) if kind == Kind::Temporal => Epsilon::PerKeypoint(
                s.iter()
                    .map(|x| x.as_f64().filter(|f| f.is_finite()))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad(path, &key("epsilon"), "a number or a list of numbers"))?,
            ),
            Some(x) => Epsilon::Scalar(
                x.as_f64()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| bad(path, &key("epsilon"), "a number or null"))?,
            ),
        };
        let components_to_keep = match (kind, get(v, &key("components_to_keep"))) {
            (Kind::PcaMultiview, _) => Keep::Count(3),
            (_, None) => Keep::Fraction(0.95),
            (_, Some(x)) => match (x.as_u64(), x.as_f64()) {
                (Some(n), _) => Keep::Count(n as usize),
                (None, Some(f)) => Keep::Fraction(f),
                _ => {
                    return Err(bad(
                        path,
                        &key("components_to_keep"),
                        "an integer or a fraction",
                    ));
                }
            },
        };
        Ok(LossSettings {
            kind,
            log_weight: float(v, path, &key("log_weight"), 0.0)?,
            epsilon,
            prob_threshold: float(v, path, &key("prob_threshold"), 0.0)?,
            components_to_keep,
            empirical_epsilon_percentile: float(
                v,
                path,
                &key("empirical_epsilon_percentile"),
                99.0,
            )?,
            empirical_epsilon_multiplier: float(
                v,
                path,
                &key("empirical_epsilon_multiplier"),
                1.0,
            )?,
        })
    }
}
