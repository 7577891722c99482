//! A Lightning Pose model config (`config.yaml`, `model_config_<P>.yaml`): typed with the
//! defaults of lightning-pose's `config_default.yaml`, and kept raw (as written) and
//! effective (defaults filled in) for showing and diffing.

use super::{parse_yaml_value, read_nonempty, yaml_error};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_norway::{Mapping, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// lightning-pose's defaults for the keys posedeck reads (formats.md section 3).
const DEFAULTS_YAML: &str = r#"
data:
  csv_file: CollectedData.csv
  downsample_factor: 2
training:
  train_batch_size: 16
  val_batch_size: 32
  test_batch_size: 32
  train_prob: 0.95
  val_prob: 0.05
  train_frames: 1
  num_gpus: 1
  unfreezing_epoch: 20
  min_epochs: 300
  max_epochs: 300
  log_every_n_steps: 10
  check_val_every_n_epoch: 5
  ckpt_every_n_epochs: null
  early_stopping: false
  early_stop_patience: 3
  rng_seed_data_pt: 0
  rng_seed_model_pt: 0
  optimizer: Adam
  optimizer_params:
    learning_rate: 0.001
  lr_scheduler: multisteplr
  lr_scheduler_params:
    multisteplr:
      milestones: [150, 200, 250]
      gamma: 0.5
  uniform_heatmaps_for_nan_keypoints: true
model:
  losses_to_use: []
  backbone: resnet50_animal_ap10k
  model_type: heatmap
  heatmap_loss_type: mse
  model_name: test
  checkpoint: null
  backbone_pretrained: true
eval:
  predict_vids_after_training: true
  save_vids_after_training: false
  colormap: cool
  confidence_thresh_for_vid: 0.9
"#;

/// The typed sections posedeck uses. Values come from the effective config (the file over
/// the defaults), so a key absent from the file has lightning-pose's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LpConfigTyped {
    pub data: DataSection,
    pub training: TrainingSection,
    pub model: ModelSection,
    pub losses: BTreeMap<String, LossSection>,
    pub eval: EvalSection,
    pub creation_datetime: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageDims {
    pub height: Option<u64>,
    pub width: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataSection {
    pub image_resize_dims: Option<ImageDims>,
    pub image_orig_dims: Option<ImageDims>,
    pub data_dir: Option<String>,
    pub video_dir: Option<String>,
    /// A file name, or a list of files for multiview.
    pub csv_file: Option<Value>,
    pub downsample_factor: Option<u64>,
    pub num_keypoints: Option<u64>,
    pub keypoint_names: Option<Vec<String>>,
    pub mirrored_column_matches: Option<Value>,
    pub columns_for_singleview_pca: Option<Value>,
    pub view_names: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainingSection {
    pub imgaug: Option<String>,
    pub imgaug_hflip: Option<bool>,
    pub train_batch_size: Option<u64>,
    pub val_batch_size: Option<u64>,
    pub test_batch_size: Option<u64>,
    pub train_prob: Option<f64>,
    pub val_prob: Option<f64>,
    /// A fraction (<= 1) or a frame count.
    pub train_frames: Option<f64>,
    pub num_gpus: Option<u64>,
    pub unfreezing_epoch: Option<u64>,
    pub min_epochs: Option<u64>,
    pub max_epochs: Option<u64>,
    pub min_steps: Option<u64>,
    pub max_steps: Option<u64>,
    pub log_every_n_steps: Option<u64>,
    pub check_val_every_n_epoch: Option<u64>,
    pub ckpt_every_n_epochs: Option<u64>,
    pub early_stopping: Option<bool>,
    pub early_stop_patience: Option<u64>,
    pub rng_seed_data_pt: Option<i64>,
    pub rng_seed_model_pt: Option<i64>,
    pub optimizer: Option<String>,
    pub optimizer_params: Option<Value>,
    pub lr_scheduler: Option<String>,
    pub uniform_heatmaps_for_nan_keypoints: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelSection {
    pub losses_to_use: Option<Vec<String>>,
    pub backbone: Option<String>,
    pub backbone_pretrained: Option<bool>,
    pub model_type: Option<String>,
    pub heatmap_loss_type: Option<String>,
    pub model_name: Option<String>,
    pub checkpoint: Option<String>,
    pub lightning_pose_version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LossSection {
    pub log_weight: Option<f64>,
    pub components_to_keep: Option<f64>,
    pub epsilon: Option<Value>,
    pub prob_threshold: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalSection {
    pub predict_vids_after_training: Option<bool>,
    pub test_videos_directory: Option<String>,
    pub save_vids_after_training: Option<bool>,
    pub colormap: Option<String>,
    pub confidence_thresh_for_vid: Option<f64>,
}

/// A loaded config: typed (effective values), the file's own tree and the effective tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LpConfig {
    pub typed: LpConfigTyped,
    /// The file as written.
    pub raw: Value,
    /// The file over lightning-pose's defaults.
    pub effective: Value,
}

/// The few facts about a config that a status line shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigSummary {
    pub model_name: Option<String>,
    pub model_type: Option<String>,
    pub backbone: Option<String>,
    pub backbone_pretrained: Option<bool>,
    /// `[height, width]` of `data.image_resize_dims`.
    pub image_size: Option<[u64; 2]>,
    pub losses: Vec<String>,
    pub max_epochs: Option<u64>,
    pub min_epochs: Option<u64>,
    pub max_steps: Option<u64>,
    pub train_prob: Option<f64>,
    pub val_prob: Option<f64>,
    /// What is left for the test split: `1 - train_prob - val_prob`.
    pub test_prob: Option<f64>,
    pub train_frames: Option<f64>,
    pub train_batch_size: Option<u64>,
    pub val_batch_size: Option<u64>,
    pub test_batch_size: Option<u64>,
    pub learning_rate: Option<f64>,
    pub num_keypoints: Option<u64>,
    pub keypoint_names: Vec<String>,
    pub view_names: Vec<String>,
    pub lightning_pose_version: Option<String>,
    pub creation_datetime: Option<String>,
}

/// One key that differs between two configs (dotted path; values as YAML text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigDiff {
    pub key: String,
    pub left: Option<String>,
    pub right: Option<String>,
}

fn defaults() -> Value {
    static D: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    D.get_or_init(|| serde_norway::from_str(DEFAULTS_YAML).unwrap_or(Value::Null))
        .clone()
}

/// Overlays `top` onto `base` (mappings merge key by key; anything else replaces).
pub(crate) fn merge(base: &mut Value, top: &Value) {
    match (base, top) {
        (Value::Mapping(b), Value::Mapping(t)) => {
            for (k, v) in t {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

impl LpConfig {
    /// Reads and types a config file. A 0-byte file, invalid YAML, a non-mapping document or
    /// a value of the wrong type is an error naming the file (and the line where known).
    pub fn load(path: &Path) -> Result<LpConfig> {
        let text = read_nonempty(path)?;
        Self::parse(path, &text)
    }

    /// Parses config text; `path` only names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<LpConfig> {
        let raw = parse_yaml_value(path, text)?;
        if !matches!(raw, Value::Mapping(_)) {
            return Err(Error::invalid(
                path,
                "not a Lightning Pose config (the document is not a mapping)",
            ));
        }
        let mut effective = defaults();
        merge(&mut effective, &raw);
        let typed = match serde_norway::from_value::<LpConfigTyped>(effective.clone()) {
            Ok(t) => t,
            // Re-parse the text so the error carries the line of the bad value.
            Err(e) => {
                return Err(match serde_norway::from_str::<LpConfigTyped>(text) {
                    Err(e2) => yaml_error(path, e2),
                    Ok(_) => Error::invalid(path, e.to_string()),
                });
            }
        };
        Ok(LpConfig {
            typed,
            raw,
            effective,
        })
    }

    /// The status-line facts of this config.
    pub fn summary(&self) -> ConfigSummary {
        let t = &self.typed;
        let image_size = t
            .data
            .image_resize_dims
            .and_then(|d| Some([d.height?, d.width?]));
        let test_prob = match (t.training.train_prob, t.training.val_prob) {
            (Some(a), Some(b)) => Some(((1.0 - a - b) * 1e9).round().max(0.0) / 1e9),
            _ => None,
        };
        let learning_rate = t
            .training
            .optimizer_params
            .as_ref()
            .and_then(|v| v.get("learning_rate"))
            .and_then(Value::as_f64);
        // Step-based training ignores the epoch defaults.
        let step_based = t.training.max_steps.is_some();
        ConfigSummary {
            model_name: t.model.model_name.clone(),
            model_type: t.model.model_type.clone(),
            backbone: t.model.backbone.clone(),
            backbone_pretrained: t.model.backbone_pretrained,
            image_size,
            losses: t.model.losses_to_use.clone().unwrap_or_default(),
            max_epochs: if step_based {
                None
            } else {
                t.training.max_epochs
            },
            min_epochs: if step_based {
                None
            } else {
                t.training.min_epochs
            },
            max_steps: t.training.max_steps,
            train_prob: t.training.train_prob,
            val_prob: t.training.val_prob,
            test_prob,
            train_frames: t.training.train_frames,
            train_batch_size: t.training.train_batch_size,
            val_batch_size: t.training.val_batch_size,
            test_batch_size: t.training.test_batch_size,
            learning_rate,
            num_keypoints: t.data.num_keypoints,
            keypoint_names: t.data.keypoint_names.clone().unwrap_or_default(),
            view_names: t.data.view_names.clone().unwrap_or_default(),
            lightning_pose_version: t.model.lightning_pose_version.clone(),
            creation_datetime: t.creation_datetime.clone(),
        }
    }

    /// The effective config as flat `dotted.key -> YAML value` pairs (lists stay whole).
    pub fn flatten(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        flatten_into(&self.effective, String::new(), &mut out);
        out
    }

    /// Keys whose effective values differ between `self` (left) and `other` (right).
    pub fn diff(&self, other: &LpConfig) -> Vec<ConfigDiff> {
        let a = self.flatten();
        let b = other.flatten();
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter(|k| a.get(*k) != b.get(*k))
            .map(|k| ConfigDiff {
                key: k.clone(),
                left: a.get(k).cloned(),
                right: b.get(k).cloned(),
            })
            .collect()
    }

    /// The effective config as YAML text.
    pub fn effective_yaml(&self) -> String {
        serde_norway::to_string(&self.effective).unwrap_or_default()
    }
}

fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => scalar_text(other),
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => serde_norway::to_string(other)
            .map(|s| s.trim_end().replace('\n', " "))
            .unwrap_or_default(),
    }
}

fn flatten_into(v: &Value, prefix: String, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Mapping(m) if !m.is_empty() => flatten_map(m, &prefix, out),
        other => {
            if !prefix.is_empty() {
                out.insert(prefix, scalar_text(other));
            }
        }
    }
}

fn flatten_map(m: &Mapping, prefix: &str, out: &mut BTreeMap<String, String>) {
    for (k, v) in m {
        let key = if prefix.is_empty() {
            key_text(k)
        } else {
            format!("{prefix}.{}", key_text(k))
        };
        flatten_into(v, key, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_missing_keys() {
        let c = LpConfig::parse(Path::new("c.yaml"), "model:\n  backbone: resnet18\n").unwrap();
        let s = c.summary();
        assert_eq!(s.backbone.as_deref(), Some("resnet18"));
        assert_eq!(s.model_type.as_deref(), Some("heatmap"));
        assert_eq!(s.max_epochs, Some(300));
        assert_eq!(s.train_batch_size, Some(16));
        assert_eq!(s.val_batch_size, Some(32));
        assert_eq!(s.train_prob, Some(0.95));
        assert_eq!(s.test_prob, Some(0.0));
        assert_eq!(s.learning_rate, Some(0.001));
        assert!(c.raw.get("training").is_none());
        assert!(c.effective.get("training").is_some());
    }

    #[test]
    fn wrong_type_names_the_line() {
        let text = "training:\n  train_batch_size: 8\n  max_epochs: lots\n";
        let e = LpConfig::parse(Path::new("c.yaml"), text).unwrap_err();
        match e {
            Error::AtLine { line, .. } => assert_eq!(line, 3),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn invalid_yaml_names_the_line() {
        let e = LpConfig::parse(Path::new("c.yaml"), "a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(matches!(e, Error::AtLine { .. }), "{e}");
        assert!(e.to_string().starts_with("c.yaml:"), "{e}");
    }

    #[test]
    fn diff_lists_changed_keys() {
        let a = LpConfig::parse(Path::new("a"), "model:\n  backbone: resnet18\n").unwrap();
        let b = LpConfig::parse(
            Path::new("b"),
            "model:\n  backbone: resnet50\ntraining:\n  max_epochs: 5\n",
        )
        .unwrap();
        let d = a.diff(&b);
        let keys: Vec<&str> = d.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, ["model.backbone", "training.max_epochs"]);
        assert_eq!(d[1].left.as_deref(), Some("300"));
        assert_eq!(d[1].right.as_deref(), Some("5"));
    }
}
