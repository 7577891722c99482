//! The training settings the engine reads from a Lightning Pose `config.yaml` (formats.md
//! section 3), with lightning-pose's defaults for absent keys, and the list of keys posedeck
//! reads but does not implement (shown to the user in one warning).

use crate::engine::resnet::Arch;
use crate::formats::config::LpConfig;
use crate::formats::config::lp_config::merge;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_norway::{Mapping, Value};
use std::path::{Path, PathBuf};

use crate::formats::config::overrides::apply_overrides;

/// Lightning Pose's defaults for the keys the engine reads beyond those `formats::config`
/// fills in for every config (`LpConfig`). They go under the effective config, so the config
/// written into the model folder names every setting the run used.
pub const ENGINE_DEFAULTS_YAML: &str = r#"
data:
  image_resize_dims: {height: 256, width: 256}
  mirrored_column_matches: null
  columns_for_singleview_pca: null
training:
  imgaug: default
  imgaug_hflip: false
  num_workers: 4
losses:
  pca_multiview: {log_weight: 5.0, components_to_keep: 3, epsilon: null}
  pca_singleview: {log_weight: 5.0, components_to_keep: 0.99, epsilon: null}
  temporal: {log_weight: 5.0, epsilon: 20.0, prob_threshold: 0.05}
eval:
  test_videos_directory: null
"#;

/// Augmentation pipelines (`training.imgaug`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Imgaug {
    /// Resize only.
    Default,
    /// DeepLabCut-style: rotation, scale/shift, motion blur, brightness/contrast.
    Dlc,
    /// `dlc` plus horizontal flips.
    DlcLr,
    /// `dlc` plus horizontal and vertical flips.
    DlcTopDown,
}

/// Everything the engine needs, typed, from the effective config.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainConfig {
    pub height: usize,
    pub width: usize,
    pub data_dir: PathBuf,
    pub video_dir: PathBuf,
    pub csv_file: String,
    pub downsample_factor: usize,
    pub keypoint_names: Option<Vec<String>>,
    pub mirrored_column_matches: Option<Vec<Vec<usize>>>,
    pub columns_for_singleview_pca: Option<Vec<usize>>,
    pub imgaug: Imgaug,
    pub imgaug_hflip: bool,
    pub train_batch_size: usize,
    pub val_batch_size: usize,
    pub test_batch_size: usize,
    pub train_prob: f64,
    pub val_prob: f64,
    pub train_frames: f64,
    pub num_workers: usize,
    pub unfreezing_epoch: usize,
    pub min_epochs: usize,
    pub max_epochs: usize,
    pub max_steps: Option<usize>,
    pub log_every_n_steps: usize,
    pub check_val_every_n_epoch: usize,
    pub ckpt_every_n_epochs: Option<usize>,
    pub early_stopping: bool,
    pub early_stop_patience: usize,
    pub rng_seed_data_pt: u64,
    pub rng_seed_model_pt: u64,
    pub learning_rate: f64,
    pub milestones: Vec<usize>,
    pub gamma: f64,
    pub uniform_heatmaps_for_nan_keypoints: bool,
    pub arch: Arch,
    pub backbone: String,
    pub backbone_pretrained: bool,
    pub model_type: String,
    pub model_name: String,
    pub pca_singleview_keep: f64,
    pub pca_multiview_keep: f64,
    pub predict_vids_after_training: bool,
    pub test_videos_directory: PathBuf,
    /// The unsupervised losses (none: a supervised run), unlabeled sequence length, annealing.
    pub unsup: crate::engine::unsup::UnsupConfig,
}

/// A parsed config: the effective tree (user's over defaults), the typed view, and the keys
/// posedeck does not implement.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub effective: Value,
    pub cfg: TrainConfig,
    pub unimplemented: Vec<String>,
}

fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        cur = cur.as_mapping()?.get(part)?;
    }
    if cur.is_null() { None } else { Some(cur) }
}

fn set(v: &mut Value, path: &str, value: Value) {
    let mut cur = v;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !cur.is_mapping() {
            *cur = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(m) = cur else { return };
        let key = Value::String((*part).to_string());
        if i + 1 == parts.len() {
            m.insert(key, value);
            return;
        }
        if !m.contains_key(&key) {
            m.insert(key.clone(), Value::Mapping(Mapping::new()));
        }
        let Some(next) = m.get_mut(&key) else { return };
        cur = next;
    }
}

struct Reader<'a> {
    path: &'a Path,
    v: &'a Value,
}

impl Reader<'_> {
    fn bad(&self, key: &str, want: &str) -> Error {
        Error::invalid(self.path, format!("{key}: expected {want}"))
    }
    fn uint(&self, key: &str) -> Result<Option<usize>> {
        match get(self.v, key) {
            None => Ok(None),
            Some(x) => x
                .as_u64()
                .or_else(|| {
                    x.as_f64()
                        .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                        .map(|f| f as u64)
                })
                .map(|u| Some(u as usize))
                .ok_or_else(|| self.bad(key, "a non-negative integer")),
        }
    }
    fn uint_or(&self, key: &str, d: usize) -> Result<usize> {
        Ok(self.uint(key)?.unwrap_or(d))
    }
    fn float_or(&self, key: &str, d: f64) -> Result<f64> {
        match get(self.v, key) {
            None => Ok(d),
            Some(x) => x.as_f64().ok_or_else(|| self.bad(key, "a number")),
        }
    }
    fn boolean(&self, key: &str, d: bool) -> Result<bool> {
        match get(self.v, key) {
            None => Ok(d),
            Some(x) => x.as_bool().ok_or_else(|| self.bad(key, "true or false")),
        }
    }
    fn string(&self, key: &str) -> Result<Option<String>> {
        match get(self.v, key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(x) if x.is_number() || x.is_bool() => Ok(Some(
                serde_norway::to_string(x)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            )),
            Some(_) => Err(self.bad(key, "a string")),
        }
    }
    fn uint_list(&self, key: &str) -> Result<Option<Vec<usize>>> {
        match get(self.v, key) {
            None => Ok(None),
            Some(Value::Sequence(s)) => s
                .iter()
                .map(|x| x.as_u64().map(|u| u as usize))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| self.bad(key, "a list of non-negative integers")),
            Some(_) => Err(self.bad(key, "a list")),
        }
    }
}

/// Resolves `${data.video_dir}`-style interpolations (OmegaConf) against the effective tree.
fn interpolate(v: &Value, s: &str) -> String {
    let mut out = s.to_string();
    while let Some(start) = out.find("${") {
        let Some(len) = out[start..].find('}') else {
            break;
        };
        let key = &out[start + 2..start + len];
        let rep = match get(v, key) {
            Some(Value::String(x)) => x.clone(),
            _ => String::new(),
        };
        out.replace_range(start..start + len + 1, &rep);
    }
    out
}

impl LoadedConfig {
    /// Parses a config file; `data_dir` overrides `data.data_dir` (the project being trained),
    /// and `model_name` overrides `model.model_name` when given.
    pub fn load(path: &Path, data_dir: &Path, model_name: Option<&str>) -> Result<LoadedConfig> {
        Self::load_with(path, data_dir, model_name, &[])
    }

    /// [`Self::load`] with `(dotted key, YAML value)` pairs written over the file's text
    /// (`posedeck train --set`, the train form).
    pub fn load_with(
        path: &Path,
        data_dir: &Path,
        model_name: Option<&str>,
        overrides: &[(String, String)],
    ) -> Result<LoadedConfig> {
        let text = crate::util::read_text(path)?;
        let text = if overrides.is_empty() {
            text
        } else {
            apply_overrides(&text, overrides).map_err(|e| Error::invalid(path, e))?
        };
        Self::parse(path, &text, data_dir, model_name)
    }

    pub fn parse(
        path: &Path,
        text: &str,
        data_dir: &Path,
        model_name: Option<&str>,
    ) -> Result<LoadedConfig> {
        // Parsing, the mapping check, typing (errors with the line) and lightning-pose's
        // common defaults are `formats::config`'s; the engine adds the defaults of the keys
        // only training reads, under everything else.
        let lp = LpConfig::parse(path, text)?;
        let mut eff: Value = serde_norway::from_str(ENGINE_DEFAULTS_YAML)
            .map_err(|e| Error::invalid(path, format!("internal defaults: {e}")))?;
        merge(&mut eff, &lp.effective);
        let data_dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        set(
            &mut eff,
            "data.data_dir",
            Value::String(data_dir.to_string_lossy().into_owned()),
        );
        let video_dir = data_dir.join("videos");
        set(
            &mut eff,
            "data.video_dir",
            Value::String(video_dir.to_string_lossy().into_owned()),
        );
        if let Some(name) = model_name {
            set(
                &mut eff,
                "model.model_name",
                Value::String(name.to_string()),
            );
        }
        let tvd = match get(&eff, "eval.test_videos_directory") {
            Some(Value::String(s)) => {
                let s = interpolate(&eff, s);
                let p = PathBuf::from(&s);
                // A directory of the machine the config came from: use the project's videos/.
                if p.is_dir() { p } else { video_dir.clone() }
            }
            _ => video_dir.clone(),
        };
        set(
            &mut eff,
            "eval.test_videos_directory",
            Value::String(tvd.to_string_lossy().into_owned()),
        );

        let r = Reader { path, v: &eff };
        let mut unimplemented = Vec::new();
        let height = r.uint_or("data.image_resize_dims.height", 256)?;
        let width = r.uint_or("data.image_resize_dims.width", 256)?;
        if height < 64 || width < 64 || height % 32 != 0 || width % 32 != 0 {
            return Err(Error::invalid(
                path,
                format!(
                    "data.image_resize_dims: {width}x{height}: width and height must be multiples of 32, at least 64"
                ),
            ));
        }
        let downsample_factor = r.uint_or("data.downsample_factor", 2)?;
        if !(1..=3).contains(&downsample_factor) {
            return Err(Error::invalid(
                path,
                format!("data.downsample_factor: {downsample_factor}: must be 1, 2 or 3"),
            ));
        }
        let keypoint_names = match get(&eff, "data.keypoint_names") {
            Some(Value::Sequence(s)) => Some(
                s.iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| r.bad("data.keypoint_names", "a list of names"))?,
            ),
            _ => None,
        };
        let mirrored_column_matches = match get(&eff, "data.mirrored_column_matches") {
            Some(Value::Sequence(views)) if !views.is_empty() => {
                let mut out = Vec::new();
                for view in views {
                    let Value::Sequence(cols) = view else {
                        return Err(r.bad("data.mirrored_column_matches", "a list of index lists"));
                    };
                    out.push(
                        cols.iter()
                            .map(|x| x.as_u64().map(|u| u as usize))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| {
                                r.bad("data.mirrored_column_matches", "a list of index lists")
                            })?,
                    );
                }
                Some(out)
            }
            _ => None,
        };
        let columns_for_singleview_pca = r
            .uint_list("data.columns_for_singleview_pca")?
            .filter(|v| !v.is_empty());
        let imgaug = match r.string("training.imgaug")?.as_deref().unwrap_or("default") {
            "default" | "none" => Imgaug::Default,
            "dlc" => Imgaug::Dlc,
            "dlc-lr" | "dlc-mv" => Imgaug::DlcLr,
            "dlc-top-down" => Imgaug::DlcTopDown,
            other => {
                unimplemented.push(format!("training.imgaug: {other} (using dlc)"));
                Imgaug::Dlc
            }
        };
        let max_epochs = r.uint_or("training.max_epochs", 300)?;
        let max_steps = r.uint("training.max_steps")?.filter(|&s| s > 0);
        let backbone = r
            .string("model.backbone")?
            .unwrap_or_else(|| "resnet50_animal_ap10k".into());
        let arch = if backbone.starts_with("resnet18") {
            Arch::Resnet18
        } else if backbone.starts_with("resnet34") {
            Arch::Resnet34
        } else if backbone.starts_with("resnet50") {
            if backbone != "resnet50" {
                unimplemented.push(format!(
                    "model.backbone: {backbone} (the resnet50 architecture is built; its pretrained weights come only from --backbone-weights)"
                ));
            }
            Arch::Resnet50
        } else {
            return Err(Error::invalid(
                path,
                format!(
                    "model.backbone: {backbone}: posedeck builds resnet18, resnet34 and resnet50"
                ),
            ));
        };
        let model_type = r
            .string("model.model_type")?
            .unwrap_or_else(|| "heatmap".into());
        if model_type != "heatmap" {
            unimplemented.push(format!(
                "model.model_type: {model_type} (trained as a supervised heatmap model)"
            ));
        }
        let (unsup, other_losses) = crate::engine::unsup::UnsupConfig::parse(&eff, path)?;
        if !other_losses.is_empty() {
            unimplemented.push(format!(
                "model.losses_to_use: [{}] (posedeck trains temporal, pca_singleview and pca_multiview)",
                other_losses.join(", ")
            ));
        }
        if let Some(t) = r.string("model.heatmap_loss_type")?
            && t != "mse"
        {
            unimplemented.push(format!("model.heatmap_loss_type: {t} (mse is used)"));
        }
        if let Some(o) = r.string("training.optimizer")?
            && o != "Adam"
        {
            unimplemented.push(format!("training.optimizer: {o} (Adam is used)"));
        }
        if let Some(s) = r.string("training.lr_scheduler")?
            && s != "multisteplr"
        {
            unimplemented.push(format!("training.lr_scheduler: {s} (multisteplr is used)"));
        }
        if r.uint("training.num_gpus")?.unwrap_or(1) > 1 {
            unimplemented.push("training.num_gpus > 1 (one device is used)".into());
        }
        if r.boolean("eval.save_vids_after_training", false)? {
            unimplemented
                .push("eval.save_vids_after_training (no labeled videos are rendered)".into());
        }
        if r.string("model.checkpoint")?.is_some() {
            unimplemented.push("model.checkpoint (use --resume RUN)".into());
        }
        for key in [
            "training.unfreezing_step",
            "training.milestone_steps",
            "training.min_steps",
        ] {
            if get(&eff, key).is_some() {
                unimplemented.push(format!("{key} (epoch-based schedule is used)"));
            }
        }
        let pca_keep = |name: &str, d: f64| -> Result<f64> {
            r.float_or(&format!("losses.{name}.components_to_keep"), d)
        };
        let cfg = TrainConfig {
            height,
            width,
            data_dir,
            video_dir,
            csv_file: r
                .string("data.csv_file")?
                .unwrap_or_else(|| "CollectedData.csv".into()),
            downsample_factor,
            keypoint_names,
            mirrored_column_matches,
            columns_for_singleview_pca,
            imgaug,
            imgaug_hflip: r.boolean("training.imgaug_hflip", false)?,
            train_batch_size: r.uint_or("training.train_batch_size", 16)?.max(1),
            val_batch_size: r.uint_or("training.val_batch_size", 32)?.max(1),
            test_batch_size: r.uint_or("training.test_batch_size", 32)?.max(1),
            train_prob: r.float_or("training.train_prob", 0.95)?,
            val_prob: r.float_or("training.val_prob", 0.05)?,
            train_frames: r.float_or("training.train_frames", 1.0)?,
            num_workers: r.uint_or("training.num_workers", 4)?,
            unfreezing_epoch: r.uint_or("training.unfreezing_epoch", 20)?,
            min_epochs: r.uint_or("training.min_epochs", 300)?,
            max_epochs: max_epochs.max(1),
            max_steps,
            log_every_n_steps: r.uint_or("training.log_every_n_steps", 10)?.max(1),
            check_val_every_n_epoch: r.uint_or("training.check_val_every_n_epoch", 5)?.max(1),
            ckpt_every_n_epochs: r.uint("training.ckpt_every_n_epochs")?.filter(|&n| n > 0),
            early_stopping: r.boolean("training.early_stopping", false)?,
            early_stop_patience: r.uint_or("training.early_stop_patience", 3)?,
            rng_seed_data_pt: r.uint_or("training.rng_seed_data_pt", 0)? as u64,
            rng_seed_model_pt: r.uint_or("training.rng_seed_model_pt", 0)? as u64,
            learning_rate: r.float_or("training.optimizer_params.learning_rate", 1e-3)?,
            milestones: r
                .uint_list("training.lr_scheduler_params.multisteplr.milestones")?
                .unwrap_or_default(),
            gamma: r.float_or("training.lr_scheduler_params.multisteplr.gamma", 0.5)?,
            uniform_heatmaps_for_nan_keypoints: r
                .boolean("training.uniform_heatmaps_for_nan_keypoints", true)?,
            arch,
            backbone,
            backbone_pretrained: r.boolean("model.backbone_pretrained", true)?,
            model_type,
            model_name: r
                .string("model.model_name")?
                .unwrap_or_else(|| "test".into()),
            pca_singleview_keep: pca_keep("pca_singleview", 0.99)?,
            pca_multiview_keep: pca_keep("pca_multiview", 3.0)?,
            predict_vids_after_training: r.boolean("eval.predict_vids_after_training", true)?,
            test_videos_directory: tvd,
            unsup,
        };
        if !(0.0..=1.0).contains(&cfg.train_prob)
            || !(0.0..=1.0).contains(&cfg.val_prob)
            || cfg.train_prob + cfg.val_prob > 1.0 + 1e-9
        {
            return Err(Error::invalid(
                path,
                "training.train_prob and training.val_prob must be in [0, 1] and sum to at most 1",
            ));
        }
        Ok(LoadedConfig {
            effective: eff,
            cfg,
            unimplemented,
        })
    }

    /// Reads a run folder's `config.yaml`. Its `data.data_dir` is the project when that folder
    /// exists; else `fallback` (the project moved, or the run came from another machine).
    pub fn load_run(run: &Path, fallback: &Path) -> Result<LoadedConfig> {
        let cfg_path = run.join("config.yaml");
        let text = crate::util::read_text(&cfg_path)?;
        crate::formats::config::check_nesting(&cfg_path, &text)?;
        let value: Value = serde_norway::from_str(&text).map_err(|e| {
            let line = e.location().map(|l| l.line() as u64).unwrap_or(0);
            Error::at_line(&cfg_path, line, format!("invalid YAML: {e}"))
        })?;
        let data_dir = get(&value, "data.data_dir")
            .and_then(Value::as_str)
            .map(PathBuf::from)
            .filter(|p| p.is_dir())
            .unwrap_or_else(|| fallback.to_path_buf());
        Self::parse(&cfg_path, &text, &data_dir, None)
    }

    /// Adds a key the caller found unimplemented (e.g. pretrained weights without a file).
    pub fn note(&mut self, msg: impl Into<String>) {
        self.unimplemented.push(msg.into());
    }

    /// The effective config as YAML text.
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(&self.effective).unwrap_or_default()
    }

    /// One top-level section as YAML text (for the events file's text summaries).
    pub fn section_yaml(&self, name: &str) -> Option<String> {
        get(&self.effective, name).map(|v| serde_norway::to_string(v).unwrap_or_default())
    }

    /// Top-level section names, in file order.
    pub fn sections(&self) -> Vec<String> {
        self.effective
            .as_mapping()
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Finds the model config of a project: `model_config_*.yaml`, else `config.yaml`.
pub fn find_project_config(project: &Path) -> Result<PathBuf> {
    let rd = std::fs::read_dir(project).map_err(|e| Error::io(project, e))?;
    let mut found: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("model_config_") && n.ends_with(".yaml"))
        })
        .collect();
    found.sort();
    if let Some(p) = found.into_iter().next() {
        return Ok(p);
    }
    let c = project.join("config.yaml");
    if c.is_file() {
        return Ok(c);
    }
    Err(Error::usage(format!(
        "{}: no model config (model_config_*.yaml or config.yaml); pass --config FILE",
        project.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let text = "data:\n  image_resize_dims: {height: 128, width: 128}\nmodel:\n  backbone: resnet18\n  losses_to_use: [pca_singleview, unimodal_mse]\nlosses:\n  pca_singleview: {log_weight: 2.0}\ntraining:\n  max_epochs: 2\n";
        let c =
            LoadedConfig::parse(Path::new("c.yaml"), text, Path::new("/tmp/p"), Some("m")).unwrap();
        assert_eq!(c.cfg.height, 128);
        assert_eq!(c.cfg.max_epochs, 2);
        assert_eq!(c.cfg.train_batch_size, 16);
        assert_eq!(c.cfg.arch, Arch::Resnet18);
        assert_eq!(c.cfg.model_name, "m");
        assert_eq!(c.cfg.milestones, vec![150, 200, 250]);
        let u = &c.cfg.unsup;
        assert_eq!(u.losses.len(), 1);
        assert_eq!(u.losses[0].kind, crate::engine::unsup::Kind::PcaSingleview);
        assert!((u.losses[0].weight() - 1.0 / (2.0 * 2f64.exp())).abs() < 1e-12);
        assert_eq!(u.sequence_length, 32);
        // Only the loss posedeck does not train is listed as unimplemented.
        assert!(
            c.unimplemented
                .iter()
                .any(|u| u.starts_with("model.losses_to_use: [unimodal_mse] ")),
            "{:?}",
            c.unimplemented
        );
        assert!(c.to_yaml().contains("data_dir: /tmp/p"));
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = LoadedConfig::parse(
            Path::new("c.yaml"),
            "training: {max_epochs: many}",
            Path::new("/tmp"),
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("training.max_epochs"), "{e}");
        let e = LoadedConfig::parse(
            Path::new("c.yaml"),
            "model: {backbone: vit_b_sam}",
            Path::new("/tmp"),
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("vit_b_sam"), "{e}");
        assert!(LoadedConfig::parse(Path::new("c.yaml"), "a: [", Path::new("/tmp"), None).is_err());
    }
}
