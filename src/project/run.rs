//! One model run, loaded on its own (`ModelRun::load`) so a viewer can refresh one run at a
//! time. A bad file of the run (config, status, metrics, events) is recorded in `errors` and
//! the rest still loads.

use super::cache::{CachedValue, DerivedCache};
use super::judge::{self, EffectiveStatus, Evidence, Judgement};
use super::metrics::{ALL_SETS, ErrorStats, MetricKind, MetricSummary};
use super::outputs::{self, Checkpoint, LogFile, VideoPrediction};
use super::procinfo;
use super::runs::RunLayout;
use crate::formats::config::{ConfigSummary, LpConfig, Progress, RunState, TrainStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Where `status` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusSource {
    /// `train_status.json`.
    #[serde(rename = "train_status.json")]
    TrainStatus,
    /// No status file (old app): done because `predictions.csv` exists.
    #[serde(rename = "predictions.csv")]
    Predictions,
    /// Nothing tells.
    None,
}

/// An ensemble (EKS) folder's `ensemble.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnsembleInfo {
    /// Member models as written (names or paths).
    pub members: Vec<String>,
    /// The other top-level keys, as YAML text.
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRun {
    #[serde(serialize_with = "crate::util::ser_path")]
    pub path: PathBuf,
    /// Relative to its model folder.
    pub name: String,
    pub layout: RunLayout,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub config_path: Option<PathBuf>,
    pub config: Option<ConfigSummary>,
    pub model_type: Option<String>,
    pub backbone: Option<String>,
    /// The written status (train_status.json), or COMPLETED for an old-app run with
    /// predictions.csv; see `status_source`.
    pub status: Option<RunState>,
    pub status_source: StatusSource,
    pub pid: Option<i64>,
    pub progress: Option<Progress>,
    /// The status judged beside the written one (see `judge`).
    #[serde(flatten)]
    pub judgement: Judgement,
    /// Pixel error per set (`train`, `validation`, `test`, ..., `all`), pooled over keypoints
    /// and views.
    pub pixel_error: BTreeMap<String, ErrorStats>,
    /// Every metric file, summarised per set and per keypoint.
    pub metrics: Vec<MetricSummary>,
    /// Lowest `val_supervised_loss` in the events files, and its step.
    pub best_val_loss: Option<f64>,
    pub best_val_loss_step: Option<i64>,
    /// Labeled frames in the train set (from the pixel error file's `set` column).
    pub n_train_frames: Option<usize>,
    pub checkpoints: Vec<Checkpoint>,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub events_files: Vec<PathBuf>,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub predictions: Vec<PathBuf>,
    pub video_preds: Vec<VideoPrediction>,
    pub video_preds_infer: Vec<VideoPrediction>,
    pub logs: Vec<LogFile>,
    /// The last error line of `train_stderr.log` when the run failed or went stale.
    pub stderr_tail: Option<String>,
    pub ensemble: Option<EnsembleInfo>,
    /// Problems with this run's files; each names the file.
    pub errors: Vec<String>,
}

/// Newest modification time under `dir` (depth-limited, entry-limited walk).
pub fn newest_write(dir: &Path, max_depth: usize) -> Option<f64> {
    let mut newest: Option<SystemTime> = None;
    let mut budget = 20_000usize;
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            if budget == 0 {
                break;
            }
            budget -= 1;
            let Ok(meta) = e.metadata() else { continue };
            if let Ok(t) = meta.modified() {
                newest = Some(newest.map_or(t, |n| n.max(t)));
            }
            if meta.is_dir() && depth < max_depth {
                stack.push((e.path(), depth + 1));
            }
        }
    }
    newest.map(procinfo::unix_secs)
}

/// Loads a file, first telling a dangling symlink apart from a missing file.
fn load_checked<T>(path: &Path, load: impl FnOnce(&Path) -> crate::Result<T>) -> crate::Result<T> {
    if let Ok(m) = std::fs::symlink_metadata(path)
        && m.file_type().is_symlink()
        && std::fs::metadata(path).is_err()
    {
        let target = std::fs::read_link(path)
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        return Err(crate::Error::invalid(
            path,
            format!("dangling symlink (its target {target} does not exist)"),
        ));
    }
    load(path)
}

fn load_ensemble(path: &Path) -> crate::Result<EnsembleInfo> {
    let text = crate::util::read_text(path)?;
    let v = crate::formats::config::parse_yaml_value(path, &text)?;
    let as_list = |v: &serde_norway::Value| -> Option<Vec<String>> {
        v.as_sequence().map(|s| {
            s.iter()
                .filter_map(|x| match x {
                    serde_norway::Value::String(s) => Some(s.clone()),
                    serde_norway::Value::Mapping(m) => m
                        .get("name")
                        .or_else(|| m.get("path"))
                        .or_else(|| m.get("model"))
                        .and_then(|n| n.as_str())
                        .map(str::to_string),
                    _ => None,
                })
                .collect()
        })
    };
    let mut info = EnsembleInfo::default();
    match &v {
        serde_norway::Value::Sequence(_) => info.members = as_list(&v).unwrap_or_default(),
        serde_norway::Value::Mapping(m) => {
            for (k, val) in m {
                let key = k.as_str().unwrap_or_default().to_string();
                let is_members = matches!(
                    key.as_str(),
                    "members" | "models" | "model_dirs" | "member_models" | "model_names"
                );
                match (is_members, as_list(val)) {
                    (true, Some(list)) => info.members.extend(list),
                    _ => {
                        let text = serde_norway::to_string(val).unwrap_or_default();
                        info.params.insert(key, text.trim_end().to_string());
                    }
                }
            }
        }
        serde_norway::Value::Null => {}
        _ => {
            return Err(crate::Error::invalid(
                path,
                "ensemble.yaml is neither a mapping nor a list",
            ));
        }
    }
    Ok(info)
}

impl ModelRun {
    /// Loads the run in `dir`; the name and layout are derived from the folder name.
    pub fn load(dir: &Path) -> ModelRun {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string());
        let parent_is_date = dir
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.len() == 10 && n.as_bytes().get(4) == Some(&b'-'));
        let layout = if dir.join("ensemble.yaml").is_file() {
            RunLayout::Ensemble
        } else {
            super::runs::layout_from_name(parent_is_date, &name).unwrap_or(RunLayout::Named)
        };
        Self::load_as(dir, name, layout)
    }

    /// Loads the run in `dir` under a given name and layout.
    pub fn load_as(dir: &Path, name: String, layout: RunLayout) -> ModelRun {
        Self::load_cached(dir, name, layout, &DerivedCache::disabled())
    }

    /// [`ModelRun::load_as`] taking metric summaries and best losses of unchanged files from
    /// `cache`.
    pub fn load_cached(
        dir: &Path,
        name: String,
        layout: RunLayout,
        cache: &DerivedCache,
    ) -> ModelRun {
        let now = procinfo::unix_secs(SystemTime::now());
        Self::load_at(dir, name, layout, now, &procinfo::pid_state, cache)
    }

    /// [`ModelRun::load_cached`] with the clock and the pid lookup given (for tests).
    pub fn load_at(
        dir: &Path,
        name: String,
        layout: RunLayout,
        now: f64,
        pid_state: &dyn Fn(i64) -> procinfo::PidState,
        cache: &DerivedCache,
    ) -> ModelRun {
        let mut errors = Vec::new();
        // Every entry, with its metadata (followed through symlinks; `None` when dangling).
        let top: Vec<(String, Option<std::fs::Metadata>)> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .flatten()
                .filter_map(|e| {
                    Some((
                        e.file_name().to_str()?.to_string(),
                        std::fs::metadata(e.path()).ok(),
                    ))
                })
                .collect(),
            Err(e) => {
                errors.push(crate::Error::io(dir, e).to_string());
                Vec::new()
            }
        };
        let has = |n: &str| top.iter().any(|(x, _)| x == n);
        let meta_of = |n: &str| {
            top.iter()
                .find(|(x, _)| x == n)
                .and_then(|(_, m)| m.as_ref())
        };
        let files = || {
            top.iter()
                .filter_map(|(n, m)| m.as_ref().filter(|m| m.is_file()).map(|_| n))
        };

        // Config.
        let config_path = has("config.yaml").then(|| dir.join("config.yaml"));
        let config = config_path
            .as_ref()
            .and_then(|p| match load_checked(p, LpConfig::load) {
                Ok(c) => Some(c.summary()),
                Err(e) => {
                    errors.push(e.to_string());
                    None
                }
            });

        // Written status.
        let status_path = dir.join("train_status.json");
        let mut status_error = None;
        let written = if has("train_status.json") {
            match load_checked(&status_path, TrainStatus::load) {
                Ok(s) => Some(s),
                Err(e) => {
                    let e = e.to_string();
                    errors.push(e.clone());
                    status_error = Some(e);
                    None
                }
            }
        } else {
            None
        };
        let predictions: Vec<PathBuf> = {
            let mut v: Vec<PathBuf> = files()
                .filter(|n| {
                    n.starts_with("predictions")
                        && n.ends_with(".csv")
                        && MetricKind::from_file_name(n).is_none()
                })
                .map(|n| dir.join(n))
                .collect();
            v.sort();
            v
        };
        let has_predictions = !predictions.is_empty();

        // Outputs.
        let versions = outputs::version_dirs(dir, &mut errors);
        let events_files = outputs::events_files(&versions);
        let checkpoints = outputs::checkpoints(&versions, &mut errors);
        drop(versions);
        let here = procinfo::hostname();
        let foreign_host = events_files
            .last()
            .and_then(|p| outputs::events_host(p))
            .filter(|h| here.as_deref().is_some_and(|me| me != h));

        let judgement = judge::judge(&Evidence {
            written: written.as_ref(),
            status_mtime: meta_of("train_status.json")
                .and_then(|m| m.modified().ok())
                .map(procinfo::unix_secs),
            has_predictions,
            status_error: status_error.as_deref(),
            foreign_host,
            now,
            pid_state,
            newest_write: &|| newest_write(dir, 4),
        });
        let (status, status_source) = match &written {
            Some(s) => (Some(s.status), StatusSource::TrainStatus),
            // Written but unreadable: no status, and predictions.csv does not stand in.
            None if status_error.is_some() => (None, StatusSource::TrainStatus),
            None if has_predictions => (Some(RunState::Completed), StatusSource::Predictions),
            None => (None, StatusSource::None),
        };

        // Metrics.
        let mut metric_files: Vec<(MetricKind, Option<String>, PathBuf)> = files()
            .filter_map(|n| {
                let (k, v) = MetricKind::from_file_name(n)?;
                Some((k, v, dir.join(n)))
            })
            .collect();
        metric_files.sort();
        let mut metrics = Vec::new();
        for (kind, view, path) in metric_files {
            let got = cache.get_or(&path, || {
                MetricSummary::load(&path, kind, view).map(CachedValue::Metric)
            });
            match got {
                Ok(CachedValue::Metric(m)) => metrics.push(m),
                Ok(_) => {}
                Err(e) => errors.push(e.to_string()),
            }
        }
        let pixel_error = pooled_pixel_error(dir, &metrics, &mut errors);
        let n_train_frames = metrics
            .iter()
            .filter(|m| m.kind == MetricKind::PixelError)
            .filter_map(|m| m.n_frames.get("train").copied())
            .max();

        // Best validation loss; damage in an events file is reported with its offset, and
        // the records before it still count.
        let still_writing = matches!(
            judgement.effective_status,
            EffectiveStatus::Pending
                | EffectiveStatus::Starting
                | EffectiveStatus::Started
                | EffectiveStatus::Training
                | EffectiveStatus::Evaluating
                | EffectiveStatus::Paused
        );
        let mut best: Option<(i64, f64)> = None;
        for f in &events_files {
            let got = cache.get_or(f, || {
                super::events::summarize_events(f).map(CachedValue::Events)
            });
            match got {
                Ok(CachedValue::Events(s)) => {
                    if let Some((step, v)) = s.best
                        && best.is_none_or(|(_, b)| v < b)
                    {
                        best = Some((step, v));
                    }
                    // A cut-off last record of a run still writing is no damage.
                    if !(s.truncated && still_writing) {
                        errors.extend(s.error);
                    }
                }
                Ok(_) => {}
                Err(e) => errors.push(e.to_string()),
            }
        }
        let (best_val_loss, best_val_loss_step) = (best.map(|b| b.1), best.map(|b| b.0));

        let logs: Vec<LogFile> = ["train_stdout.log", "train_stderr.log"]
            .iter()
            .filter_map(|n| {
                let m = meta_of(n)?;
                Some(LogFile {
                    name: n.to_string(),
                    path: dir.join(n),
                    size_bytes: m.len(),
                })
            })
            .collect();
        let stderr_tail = matches!(
            judgement.effective_status,
            EffectiveStatus::Failed | EffectiveStatus::Stale
        )
        .then(|| outputs::last_error_line(&dir.join("train_stderr.log")))
        .flatten();

        let ensemble = if has("ensemble.yaml") {
            match load_ensemble(&dir.join("ensemble.yaml")) {
                Ok(e) => Some(e),
                Err(e) => {
                    errors.push(e.to_string());
                    None
                }
            }
        } else {
            None
        };

        let video_preds = outputs::video_predictions(&dir.join("video_preds"), &mut errors);
        let video_preds_infer =
            outputs::video_predictions(&dir.join("video_preds_infer"), &mut errors);

        ModelRun {
            path: dir.to_path_buf(),
            name,
            layout,
            config_path,
            model_type: config.as_ref().and_then(|c| c.model_type.clone()),
            backbone: config.as_ref().and_then(|c| c.backbone.clone()),
            config,
            status,
            status_source,
            pid: written.as_ref().and_then(|s| s.pid),
            progress: written.as_ref().and_then(|s| s.progress),
            judgement,
            pixel_error,
            metrics,
            best_val_loss,
            best_val_loss_step,
            n_train_frames,
            checkpoints,
            events_files,
            predictions,
            video_preds,
            video_preds_infer,
            logs,
            stderr_tail,
            ensemble,
            errors,
        }
    }

    /// The effective status.
    pub fn effective_status(&self) -> EffectiveStatus {
        self.judgement.effective_status
    }

    /// Reads this run's full config (raw + effective), for showing or diffing.
    pub fn full_config(&self) -> crate::Result<Option<LpConfig>> {
        self.config_path.as_deref().map(LpConfig::load).transpose()
    }
}

/// Pixel error per set pooled over the views' pixel error files (one file: its own stats).
fn pooled_pixel_error(
    _dir: &Path,
    metrics: &[MetricSummary],
    errors: &mut Vec<String>,
) -> BTreeMap<String, ErrorStats> {
    let pix: Vec<&MetricSummary> = metrics
        .iter()
        .filter(|m| m.kind == MetricKind::PixelError)
        .collect();
    match pix.as_slice() {
        [] => BTreeMap::new(),
        [one] => one.per_set.clone(),
        many => {
            // Several views: re-read the values to pool them exactly.
            let mut by_set: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            for m in many {
                match crate::formats::csv::MetricTable::read(&m.path) {
                    Ok(t) => {
                        for r in 0..t.n_rows() {
                            let Some(row) = t.row(r) else { continue };
                            let vals = row.iter().copied().filter(|v| !v.is_nan());
                            if let Some(s) = t.set_of(r) {
                                by_set
                                    .entry(s.to_string())
                                    .or_default()
                                    .extend(vals.clone());
                            }
                            by_set.entry(ALL_SETS.to_string()).or_default().extend(vals);
                        }
                    }
                    Err(e) => errors.push(e.to_string()),
                }
            }
            by_set
                .into_iter()
                .map(|(k, mut v)| (k, ErrorStats::of_clean(&mut v)))
                .collect()
        }
    }
}
