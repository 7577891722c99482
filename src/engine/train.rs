//! One training run from start (or resume) to COMPLETED / CANCELED / FAILED: Adam with a
//! multistep schedule, frozen backbone until `unfreezing_epoch`, Lightning Pose's logging and
//! validation cadence, best and periodic checkpoints, early stopping, then evaluation.

use crate::engine::config::{LoadedConfig, TrainConfig, find_project_config};
use crate::engine::data::{Labels, Split, flip_pairs};
use crate::engine::device::{DeviceRequest, choose};
use crate::engine::eval::{self, Predictions, SetError};
use crate::engine::heatmap::decode_batch;
use crate::engine::job::{JobCtx, JobEvent, panic_message};
use crate::engine::loader::{Batch, Batches, Pipeline, build_batch};
use crate::engine::model::{PoseNet, heatmap_mse};
use crate::engine::predict::{self, LoadedModel};
use crate::engine::rng::Rng;
use crate::engine::run::{Logger, RunDir, new_run_path};
use crate::formats::csv::MetricTable;
use crate::formats::tfevents::EventsWriter;
use crate::{Error, Result};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Lightning Pose's weight of the supervised heatmap loss (`heatmap_mse_weight`).
pub const HEATMAP_WEIGHT: f64 = 0.5;

/// What to train.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrainRequest {
    /// The project (data dir); ignored on resume unless the run's data dir is gone.
    pub project: PathBuf,
    pub config: Option<PathBuf>,
    pub name: Option<String>,
    pub device: DeviceRequest,
    /// A run folder to continue.
    pub resume: Option<PathBuf>,
    pub backbone_weights: Option<PathBuf>,
    /// Data worker threads (default: `training.num_workers`, at most the CPU count).
    pub workers: Option<usize>,
    /// `(dotted key, YAML value)` written over the config (`--set`, `--losses`); not on resume.
    #[serde(default)]
    pub overrides: Vec<(String, String)>,
    /// A prepared (PENDING) run folder to train in place: its `config.yaml` is the config,
    /// written with the overrides already applied (see `crate::jobs::pending`).
    #[serde(default)]
    pub run_dir: Option<PathBuf>,
}

/// How a run ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainOutcome {
    pub run_dir: PathBuf,
    /// COMPLETED or CANCELED.
    pub status: String,
    pub device: String,
    pub epochs_done: usize,
    pub global_step: u64,
    pub best_val_loss: Option<f64>,
    pub best_checkpoint: Option<PathBuf>,
    /// Pixel error (original pixels) per set: train / validation / test.
    pub pixel_error: BTreeMap<String, SetError>,
    pub train_seconds: f64,
    pub train_images_per_sec: f64,
}

/// Everything needed to continue a run, saved with `checkpoints/last.ckpt`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResumeState {
    pub epoch: usize,
    pub batches_done: usize,
    pub global_step: u64,
    pub best_val: Option<f64>,
    pub best_ckpt: Option<PathBuf>,
    pub bad_checks: usize,
    pub stopped: bool,
    /// The epoch whose learning rates were logged last.
    #[serde(default)]
    pub lr_logged: Option<usize>,
    pub version_dir: PathBuf,
    pub events_file: PathBuf,
}

const LAST: &str = "last.ckpt";
const LAST_STATE: &str = "last.state.json";
const OPT_HEAD: &str = "last.optim-head.bpk";
const OPT_BACKBONE: &str = "last.optim-backbone.bpk";

fn save_atomic(
    path: &Path,
    f: impl FnOnce(&Path) -> std::result::Result<(), String>,
) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    f(&tmp).map_err(|e| Error::invalid(path, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

fn save_model(model: &PoseNet, path: &Path) -> Result<()> {
    save_atomic(path, |tmp| {
        model
            .clone()
            .save_file(tmp)
            .map_err(|e| format!("cannot save: {e:?}"))
    })
}

/// The learning rate of an epoch under the multistep schedule.
pub fn lr_at(cfg: &TrainConfig, epoch: usize) -> f64 {
    let n = cfg.milestones.iter().filter(|&&m| m <= epoch).count() as i32;
    cfg.learning_rate * cfg.gamma.powi(n)
}

fn find_resume_state(run: &Path) -> Result<ResumeState> {
    let mut found: Vec<PathBuf> = Vec::new();
    if let Ok(models) = std::fs::read_dir(run.join("tb_logs")) {
        for m in models.flatten() {
            if let Ok(vs) = std::fs::read_dir(m.path()) {
                for v in vs.flatten() {
                    let p = v.path().join("checkpoints").join(LAST_STATE);
                    if p.is_file() {
                        found.push(p);
                    }
                }
            }
        }
    }
    let newest = found.into_iter().max_by_key(|p| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .unwrap_or(std::time::UNIX_EPOCH)
    });
    let Some(p) = newest else {
        return Err(Error::invalid(
            run,
            "nothing to resume: no tb_logs/*/version_*/checkpoints/last.state.json",
        ));
    };
    let bytes = crate::util::read(&p)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::invalid(&p, format!("invalid JSON: {e}")))
}

/// Trains (or resumes) a run. Errors before the run folder exists leave nothing behind;
/// after, the run is marked FAILED with the reason in `train_stderr.log`.
pub fn train(req: &TrainRequest, ctx: &JobCtx) -> Result<TrainOutcome> {
    let (root, mut loaded, resume) = match (&req.resume, &req.run_dir) {
        (Some(run), _) => {
            let loaded = LoadedConfig::load_run(run, &req.project)?;
            let state = find_resume_state(run)?;
            (run.clone(), loaded, Some(state))
        }
        (None, Some(dir)) => {
            let loaded = LoadedConfig::load_run(dir, &req.project)?;
            (dir.clone(), loaded, None)
        }
        (None, None) => {
            let cfg_path = match &req.config {
                Some(c) => c.clone(),
                None => find_project_config(&req.project)?,
            };
            let loaded = LoadedConfig::load_with(
                &cfg_path,
                &req.project,
                req.name.as_deref(),
                &req.overrides,
            )?;
            let root = new_run_path(&req.project.join("models"), req.name.as_deref())?;
            (root, loaded, None)
        }
    };
    if req.backbone_weights.is_none() && loaded.cfg.backbone_pretrained && resume.is_none() {
        loaded.note(
            "model.backbone_pretrained: true, but nothing is downloaded: the backbone starts from random weights (pass --backbone-weights FILE.pth)",
        );
    }
    if let Some(w) = &req.backbone_weights
        && !w.is_file()
    {
        return Err(Error::io(
            w,
            std::io::Error::new(std::io::ErrorKind::NotFound, "backbone weights not found"),
        ));
    }
    let labels = Labels::load(&loaded.cfg)?;
    let device = choose(req.device)?;
    let run = RunDir::create(root, loaded.cfg.model_name.clone())?;
    ctx.emit(JobEvent::RunDir(run.root.clone()));
    ctx.emit(JobEvent::Device {
        name: device.name.clone(),
        reason: device.reason.clone(),
    });
    if !loaded.unimplemented.is_empty() {
        let msg = format!(
            "posedeck does not implement these config settings; they are ignored: {}",
            loaded.unimplemented.join("; ")
        );
        run.log_error(&format!("WARNING: {msg}"));
        ctx.emit(JobEvent::Warning(msg));
    }
    let body = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        train_in(
            req,
            ctx,
            &run,
            &loaded,
            labels,
            &device.device,
            &device.name,
            resume,
        )
    }));
    let result = match body {
        Ok(r) => r,
        Err(p) => Err(Error::usage(format!(
            "internal error: {}",
            panic_message(&*p)
        ))),
    };
    if let Err(e) = &result {
        let _ = run.set_status("FAILED", None);
        run.log_error(&format!("FAILED: {e}"));
    }
    result
}

struct Ctx<'a> {
    cfg: &'a TrainConfig,
    labels: Arc<Labels>,
    pipeline: Arc<Pipeline>,
    device: &'a Device,
}

#[allow(clippy::too_many_arguments)]
fn train_in(
    req: &TrainRequest,
    ctx: &JobCtx,
    run: &RunDir,
    loaded: &LoadedConfig,
    labels: Labels,
    device: &Device,
    device_name: &str,
    resume: Option<ResumeState>,
) -> Result<TrainOutcome> {
    let cfg = &loaded.cfg;
    let k = labels.k();
    let n = labels.n();
    if resume.is_none() {
        crate::util::write_atomic(&run.root.join("config.yaml"), loaded.to_yaml().as_bytes())?;
        let csv_copy = run.root.join(&cfg.csv_file);
        if let Some(parent) = csv_copy.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let bytes = crate::util::read(&labels.csv_path)?;
        crate::util::write_atomic(&csv_copy, &bytes)?;
    }
    run.set_status("PENDING", None)?;
    let split = Split::new(n, cfg);
    let sets = split.sets(n);
    let stride = 1usize << cfg.downsample_factor;
    let pipeline = Arc::new(Pipeline {
        width: cfg.width,
        height: cfg.height,
        stride,
        uniform_for_nan: cfg.uniform_heatmaps_for_nan_keypoints,
        imgaug: cfg.imgaug,
        hflip: cfg.imgaug_hflip,
        flip_pairs: flip_pairs(&labels.keypoint_names),
        seed: cfg.rng_seed_data_pt,
    });
    let labels = Arc::new(labels);
    let c = Ctx {
        cfg,
        labels: labels.clone(),
        pipeline: pipeline.clone(),
        device,
    };
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers = req.workers.unwrap_or(cfg.num_workers).clamp(1, cpus.max(1));

    // Model and optimizers.
    let ad = device.clone().autodiff();
    device.seed(cfg.rng_seed_model_pt);
    let mut model = PoseNet::new(cfg.arch, k, cfg.downsample_factor, &ad);
    let mut opt_head: ModuleOptimizer = AdamConfig::new().with_epsilon(1e-8).init();
    let mut opt_bb: ModuleOptimizer = AdamConfig::new().with_epsilon(1e-8).init();
    let (mut state, mut logger) = match resume {
        Some(st) => {
            let ck = st.version_dir.join("checkpoints");
            model = model
                .try_load_file(ck.join(LAST))
                .map_err(|e| Error::invalid(ck.join(LAST), format!("cannot load: {e:?}")))?;
            opt_head = opt_head
                .load(ck.join(OPT_HEAD))
                .map_err(|e| Error::invalid(ck.join(OPT_HEAD), format!("cannot load: {e:?}")))?;
            opt_bb = opt_bb.load(ck.join(OPT_BACKBONE)).map_err(|e| {
                Error::invalid(ck.join(OPT_BACKBONE), format!("cannot load: {e:?}"))
            })?;
            let writer = EventsWriter::append(&st.events_file)?;
            ctx.emit(JobEvent::Info(format!(
                "resuming at epoch {} step {} from {}",
                st.epoch,
                st.global_step,
                ck.join(LAST).display()
            )));
            (st, Logger { writer })
        }
        None => {
            if let Some(w) = &req.backbone_weights {
                let (m, applied) = model.load_torchvision(w)?;
                model = m;
                ctx.emit(JobEvent::Info(format!(
                    "loaded {applied} backbone tensors from {}",
                    w.display()
                )));
            }
            let version_dir = run.new_version()?;
            let hparams = format!(
                "num_keypoints: {k}\nnum_targets: {}\nbackbone: {}\ndownsample_factor: {}\npretrained: {}\ntorch_seed: {}\noptimizer: Adam\noptimizer_params:\n  learning_rate: {}\nlr_scheduler: multisteplr\n",
                2 * k,
                cfg.backbone,
                cfg.downsample_factor,
                req.backbone_weights.is_some(),
                cfg.rng_seed_model_pt,
                cfg.learning_rate
            );
            crate::util::write_atomic(&version_dir.join("hparams.yaml"), hparams.as_bytes())?;
            let writer = EventsWriter::create(&version_dir)?;
            let mut logger = Logger { writer };
            for section in loaded.sections() {
                if let Some(text) = loaded.section_yaml(&section) {
                    logger.text(&format!("hydra_config_{section}/text_summary"), &text, 0)?;
                }
            }
            logger.scalar("hp_metric", -1.0, 0)?;
            let events_file = logger.writer.path().to_path_buf();
            (
                ResumeState {
                    version_dir,
                    events_file,
                    ..ResumeState::default()
                },
                logger,
            )
        }
    };
    let ckpt_dir = state.version_dir.join("checkpoints");
    std::fs::create_dir_all(&ckpt_dir).map_err(|e| Error::io(&ckpt_dir, e))?;

    let save_resume = |model: &PoseNet,
                       opt_head: &ModuleOptimizer,
                       opt_bb: &ModuleOptimizer,
                       state: &ResumeState|
     -> Result<()> {
        save_model(model, &ckpt_dir.join(LAST))?;
        save_atomic(&ckpt_dir.join(OPT_HEAD), |t| {
            opt_head.save(t).map_err(|e| format!("{e:?}"))
        })?;
        save_atomic(&ckpt_dir.join(OPT_BACKBONE), |t| {
            opt_bb.save(t).map_err(|e| format!("{e:?}"))
        })?;
        let json = serde_json::to_vec_pretty(state).map_err(|e| Error::usage(e.to_string()))?;
        crate::util::write_atomic(&ckpt_dir.join(LAST_STATE), &json)
    };

    let bs = cfg.train_batch_size;
    let batches_per_epoch = split.train.len().div_ceil(bs);
    if batches_per_epoch == 0 {
        return Err(Error::invalid(
            &labels.csv_path,
            "no training frames after the split",
        ));
    }
    let total_epochs = cfg.max_epochs;
    ctx.emit(JobEvent::Phase("training".into()));
    ctx.emit(JobEvent::Info(format!(
        "{} labeled frames: train {}, validation {}, test {}{}",
        n,
        split.train.len(),
        split.val.len(),
        split.test.len(),
        if split.unused.is_empty() {
            String::new()
        } else {
            format!(", unused {}", split.unused.len())
        }
    )));
    let mut semi = crate::engine::unsup::step::Semi::start(cfg, &labels, &split.train)?;
    if let Some(u) = &semi {
        let names: Vec<&str> = u.losses.iter().map(|l| l.settings.kind.name()).collect();
        run.log_error(&format!(
            "semi-supervised: losses {} (their weighted sum times total_unsupervised_importance: {} until epoch {}, then +{} per epoch up to {})",
            names.join(" + "),
            u.anneal.init_val,
            u.anneal.freeze_until_epoch,
            u.anneal.increase_factor,
            u.anneal.final_val
        ));
        for line in u.describe.iter().chain(&u.skipped) {
            run.log_error(&format!("  {line}"));
            ctx.emit(JobEvent::Info(line.clone()));
        }
    }
    let t0 = std::time::Instant::now();
    let mut images_seen = 0usize;
    let (h, w) = (cfg.height, cfg.width);
    let (hh, hw) = (pipeline.hm_h(), pipeline.hm_w());

    while state.epoch < total_epochs && !state.stopped {
        let epoch = state.epoch;
        let lr_head = lr_at(cfg, epoch);
        let frozen = epoch < cfg.unfreezing_epoch;
        let lr_bb = if frozen { 0.0 } else { lr_head };
        if state.lr_logged != Some(epoch) {
            logger.scalar("lr-Adam/backbone", lr_bb, state.global_step)?;
            logger.scalar("lr-Adam/head", lr_head, state.global_step)?;
            state.lr_logged = Some(epoch);
        }
        run.set_status("TRAINING", Some((epoch as u64, total_epochs as u64)))?;
        let mut order = split.train.clone();
        Rng::derive(cfg.rng_seed_data_pt, 1_000_003 + epoch as u64, 7).shuffle(&mut order);
        let batches = Batches::start(
            labels.clone(),
            pipeline.clone(),
            order,
            bs,
            true,
            epoch as u64,
            state.batches_done,
            workers,
            (2 * workers).max(2),
        );
        for b in batches {
            if ctx.canceled() {
                logger.flush()?;
                save_resume(&model, &opt_head, &opt_bb, &state)?;
                run.set_status("CANCELED", Some((epoch as u64, total_epochs as u64)))?;
                return Ok(outcome(
                    run,
                    &state,
                    "CANCELED",
                    device_name,
                    t0,
                    images_seen,
                    BTreeMap::new(),
                ));
            }
            let mut b = b?;
            let nb = b.rows.len();
            let x = Tensor::<4>::from_data(
                TensorData::new(std::mem::take(&mut b.images), [nb, 3, h, w]),
                &ad,
            );
            let t = Tensor::<4>::from_data(
                TensorData::new(std::mem::take(&mut b.targets), [nb, k, hh, hw]),
                &ad,
            );
            let m = Tensor::<2>::from_data(TensorData::new(b.mask.clone(), [nb, k]), &ad);
            let pred = model.forward(x, frozen);
            let log_now = state.global_step % cfg.log_every_n_steps as u64 == 0;
            let rmse = if log_now {
                Some(batch_rmse(pred.clone().detach(), &b, k, stride)?)
            } else {
                None
            };
            let hm_loss = heatmap_mse(pred, t, m);
            let supervised = hm_loss.clone().mul_scalar(HEATMAP_WEIGHT);
            let unsup = match semi.as_mut() {
                Some(u) => Some(u.step(&model, frozen, &ad, epoch)?),
                None => None,
            };
            let loss = match &unsup {
                Some(p) => supervised + p.total.clone(),
                None => supervised,
            };
            let mut grads = loss.backward();
            let g_head = GradientsParams::from_module(&mut grads, &model.head);
            let g_bb = (!frozen).then(|| GradientsParams::from_module(&mut grads, &model.backbone));
            let PoseNet { backbone, head } = model;
            let head = opt_head.step(lr_head, head, g_head);
            let backbone = match g_bb {
                Some(g) => opt_bb.step(lr_bb, backbone, g),
                None => backbone,
            };
            model = PoseNet { backbone, head };
            let hm = hm_loss.into_scalar::<f32>() as f64;
            // Supervised + the annealed, weighted unsupervised losses, from the values already
            // read back (no extra read of the device for the sum).
            let total_loss = HEATMAP_WEIGHT * hm
                + unsup.as_ref().map_or(0.0, |p| {
                    p.importance * p.terms.iter().map(|t| t.weight * t.loss).sum::<f64>()
                });
            if !total_loss.is_finite() {
                return Err(Error::usage(format!(
                    "training diverged: loss is {total_loss} at step {}",
                    state.global_step
                )));
            }
            if let Some(rmse) = rmse {
                let s = state.global_step;
                logger.scalar("epoch", epoch as f64, s)?;
                logger.scalar("heatmap_mse_weight", HEATMAP_WEIGHT, s)?;
                logger.scalar("train_heatmap_mse_loss", hm, s)?;
                logger.scalar("train_heatmap_mse_loss_weighted", HEATMAP_WEIGHT * hm, s)?;
                logger.scalar("train_supervised_loss", HEATMAP_WEIGHT * hm, s)?;
                logger.scalar("train_supervised_rmse", rmse, s)?;
                if let Some(p) = &unsup {
                    for t in &p.terms {
                        logger.scalar(&format!("train_{}_loss", t.name), t.loss, s)?;
                        logger.scalar(&format!("{}_weight", t.name), t.weight, s)?;
                        logger.scalar(
                            &format!("train_{}_loss_weighted", t.name),
                            t.weight * t.loss,
                            s,
                        )?;
                    }
                    logger.scalar("total_unsupervised_importance", p.importance, s)?;
                    logger.scalar("total_loss", total_loss, s)?;
                }
                logger.flush()?;
            }
            state.global_step += 1;
            state.batches_done += 1;
            images_seen += nb;
            ctx.emit(JobEvent::Step {
                epoch,
                epochs: total_epochs,
                step: state.global_step,
                batch: state.batches_done,
                batches: batches_per_epoch,
                loss: total_loss,
            });
            if cfg
                .max_steps
                .is_some_and(|ms| state.global_step >= ms as u64)
            {
                state.stopped = true;
                break;
            }
        }
        state.batches_done = 0;
        state.epoch = epoch + 1;
        let last = state.epoch >= total_epochs || state.stopped;
        if (state.epoch % cfg.check_val_every_n_epoch == 0 || last) && !split.val.is_empty() {
            let (vl, vr) = validate(&c, &model.valid(), &split.val)?;
            let s = state.global_step.saturating_sub(1);
            logger.scalar("epoch", epoch as f64, s)?;
            logger.scalar("val_heatmap_mse_loss", vl, s)?;
            logger.scalar("val_heatmap_mse_loss_weighted", HEATMAP_WEIGHT * vl, s)?;
            logger.scalar("val_supervised_loss", HEATMAP_WEIGHT * vl, s)?;
            logger.scalar("val_supervised_rmse", vr, s)?;
            let val_loss = HEATMAP_WEIGHT * vl;
            ctx.emit(JobEvent::Validation {
                epoch,
                step: s,
                loss: val_loss,
                rmse: vr,
            });
            if state.best_val.is_none_or(|b| val_loss < b) {
                let path = ckpt_dir.join(format!(
                    "epoch={epoch}-step={}-best.ckpt",
                    state.global_step
                ));
                save_model(&model, &path)?;
                if let Some(old) = state.best_ckpt.replace(path.clone())
                    && old != path
                {
                    let _ = std::fs::remove_file(old);
                }
                state.best_val = Some(val_loss);
                state.bad_checks = 0;
            } else {
                state.bad_checks += 1;
                if cfg.early_stopping
                    && state.bad_checks >= cfg.early_stop_patience
                    && state.epoch >= cfg.min_epochs
                {
                    ctx.emit(JobEvent::Info(format!(
                        "early stopping after epoch {epoch}: no improvement in {} validations",
                        state.bad_checks
                    )));
                    state.stopped = true;
                }
            }
        }
        if let Some(every) = cfg.ckpt_every_n_epochs
            && state.epoch % every == 0
        {
            save_model(
                &model,
                &ckpt_dir.join(format!("epoch={epoch}-step={}.ckpt", state.global_step)),
            )?;
        }
        logger.flush()?;
        save_resume(&model, &opt_head, &opt_bb, &state)?;
    }
    let train_seconds = t0.elapsed().as_secs_f64();
    if let Some(u) = &semi {
        let waited = u.sequences.waited.as_secs_f64();
        let line = format!(
            "unlabeled frames: {} sequences; the steps waited {:.1} s for them ({:.1}% of {:.1} s training)",
            u.sequences.received,
            waited,
            100.0 * waited / train_seconds.max(1e-9),
            train_seconds
        );
        run.log_error(&line);
        ctx.emit(JobEvent::Info(line));
    }
    if state.best_ckpt.is_none() {
        // No validation frames: the final weights are the best there are.
        let e = state.epoch.saturating_sub(1);
        let path = ckpt_dir.join(format!("epoch={e}-step={}-best.ckpt", state.global_step));
        save_model(&model, &path)?;
        state.best_ckpt = Some(path);
        save_resume(&model, &opt_head, &opt_bb, &state)?;
    }
    logger.flush()?;
    drop(model);

    // Evaluation with the best checkpoint.
    run.set_status(
        "EVALUATING",
        Some((state.epoch as u64, total_epochs as u64)),
    )?;
    ctx.emit(JobEvent::Phase("evaluating".into()));
    let best = state
        .best_ckpt
        .clone()
        .unwrap_or_else(|| ckpt_dir.join(LAST));
    let eval_model = PoseNet::new(cfg.arch, k, cfg.downsample_factor, device)
        .try_load_file(&best)
        .map_err(|e| Error::invalid(&best, format!("cannot load checkpoint: {e:?}")))?;
    let cancel = || ctx.canceled();
    let canceled = |state: &ResumeState| -> Result<TrainOutcome> {
        run.set_status("CANCELED", Some((state.epoch as u64, total_epochs as u64)))?;
        Ok(outcome(
            run,
            state,
            "CANCELED",
            device_name,
            t0,
            images_seen,
            BTreeMap::new(),
        ))
    };
    let Some(preds) = eval::predict_labels(
        &eval_model,
        device,
        &labels,
        &pipeline,
        cfg.test_batch_size,
        &cancel,
    )?
    else {
        return canceled(&state);
    };
    let pixel_error =
        eval::write_label_outputs(&run.root, cfg, &labels, &sets, &split.train, &preds)?;
    if cfg.predict_vids_after_training {
        let mut sources = predict::frame_folders_in(&cfg.test_videos_directory);
        let videos = predict::videos_in(&cfg.test_videos_directory);
        // Videos posedeck cannot decode (not H.264 MP4, and no ffmpeg) are skipped with a
        // warning naming each and why; the rest are predicted.
        for v in videos {
            match predict::decodable(&v) {
                Ok(()) => sources.push(v),
                Err(why) => {
                    let msg = format!("eval.predict_vids_after_training: skipped {why}");
                    run.log_error(&format!("WARNING: {msg}"));
                    ctx.emit(JobEvent::Warning(msg));
                }
            }
        }
        if !sources.is_empty() {
            ctx.emit(JobEvent::Phase("predicting videos".into()));
            let lm = LoadedModel {
                model: eval_model,
                cfg: cfg.clone(),
                names: labels.keypoint_names.clone(),
                checkpoint: best.clone(),
            };
            let out = run.root.join("video_preds");
            for v in &sources {
                let src = v.display().to_string();
                let mut prog = |done: usize, total: Option<usize>| {
                    ctx.emit(JobEvent::Frames {
                        source: src.clone(),
                        done,
                        total,
                    })
                };
                let Some((csv, _)) = predict::predict_source(
                    &lm,
                    device,
                    v,
                    &out,
                    cfg.test_batch_size,
                    &cancel,
                    &mut prog,
                )?
                else {
                    return canceled(&state);
                };
                write_video_pca(cfg, &labels, &split.train, &csv, &out, v)?;
            }
        }
    }
    run.set_status("COMPLETED", Some((state.epoch as u64, total_epochs as u64)))?;
    Ok(outcome(
        run,
        &state,
        "COMPLETED",
        device_name,
        t0,
        images_seen,
        pixel_error,
    ))
    .map(|mut o| {
        o.train_seconds = train_seconds;
        o.train_images_per_sec = images_seen as f64 / train_seconds.max(1e-9);
        o
    })
}

fn write_video_pca(
    cfg: &TrainConfig,
    labels: &Labels,
    train_rows: &[usize],
    csv: &Path,
    out: &Path,
    video: &Path,
) -> Result<()> {
    if cfg.columns_for_singleview_pca.is_none() && cfg.mirrored_column_matches.is_none() {
        return Ok(());
    }
    let table = crate::formats::csv::PoseTable::read(csv)?;
    let k = table.n_keypoints();
    let mut values = Vec::with_capacity(table.n_rows() * k);
    for r in 0..table.n_rows() {
        for j in 0..k {
            let (x, y) = table.xy(r, j).unwrap_or((f64::NAN, f64::NAN));
            values.push([x, y, 0.0]);
        }
    }
    let preds = Predictions { k, values };
    let stem = predict::stem_of(video);
    for (suffix, vals) in eval::pca_errors(cfg, labels, train_rows, &preds) {
        MetricTable::new(
            labels.keypoint_names.clone(),
            table.index.clone(),
            vals,
            None,
        )?
        .write(&out.join(format!("{stem}_{suffix}.csv")))?;
    }
    Ok(())
}

fn outcome(
    run: &RunDir,
    state: &ResumeState,
    status: &str,
    device: &str,
    t0: std::time::Instant,
    images: usize,
    pixel_error: BTreeMap<String, SetError>,
) -> TrainOutcome {
    let secs = t0.elapsed().as_secs_f64();
    TrainOutcome {
        run_dir: run.root.clone(),
        status: status.into(),
        device: device.into(),
        epochs_done: state.epoch,
        global_step: state.global_step,
        best_val_loss: state.best_val,
        best_checkpoint: state.best_ckpt.clone(),
        pixel_error,
        train_seconds: secs,
        train_images_per_sec: images as f64 / secs.max(1e-9),
    }
}

/// Mean keypoint distance in original pixels between predictions and (augmented) labels.
fn batch_rmse(pred: Tensor<4>, b: &Batch, k: usize, stride: usize) -> Result<f64> {
    let [nb, _, hh, hw] = pred.dims();
    let v = pred
        .try_into_data()
        .map_err(|e| Error::usage(format!("device error: {e:?}")))?
        .try_into_vec::<f32>()
        .map_err(|e| Error::usage(format!("unexpected data: {e:?}")))?;
    let peaks = decode_batch(&v, nb, k, hh, hw, stride as f32);
    let (mut sum, mut cnt) = (0f64, 0usize);
    for (i, p) in peaks.iter().enumerate() {
        let [lx, ly] = b.keypoints.get(i).copied().unwrap_or([f32::NAN; 2]);
        if !(lx.is_finite() && ly.is_finite()) {
            continue;
        }
        let [sx, sy] = b.scale.get(i / k).copied().unwrap_or([1.0, 1.0]);
        let dx = ((p.x - lx) * sx) as f64;
        let dy = ((p.y - ly) * sy) as f64;
        sum += (dx * dx + dy * dy).sqrt();
        cnt += 1;
    }
    Ok(if cnt == 0 { f64::NAN } else { sum / cnt as f64 })
}

/// Validation loss (unweighted heatmap MSE, averaged over batches by frame) and rmse.
fn validate(c: &Ctx, model: &PoseNet, rows: &[usize]) -> Result<(f64, f64)> {
    let k = c.labels.k();
    let (h, w) = (c.cfg.height, c.cfg.width);
    let (hh, hw) = (c.pipeline.hm_h(), c.pipeline.hm_w());
    let (mut loss_sum, mut rmse_sum, mut n) = (0f64, 0f64, 0usize);
    for chunk in rows.chunks(c.cfg.val_batch_size.max(1)) {
        let b = build_batch(&c.labels, &c.pipeline, chunk, false, 0)?;
        let nb = chunk.len();
        let x = Tensor::<4>::from_data(TensorData::new(b.images.clone(), [nb, 3, h, w]), c.device);
        let t = Tensor::<4>::from_data(
            TensorData::new(b.targets.clone(), [nb, k, hh, hw]),
            c.device,
        );
        let m = Tensor::<2>::from_data(TensorData::new(b.mask.clone(), [nb, k]), c.device);
        let pred = model.forward(x, false);
        let r = batch_rmse(pred.clone(), &b, k, c.pipeline.stride)?;
        let l = heatmap_mse(pred, t, m).into_scalar::<f32>() as f64;
        loss_sum += l * nb as f64;
        if r.is_finite() {
            rmse_sum += r * nb as f64;
        }
        n += nb;
    }
    Ok((loss_sum / n.max(1) as f64, rmse_sum / n.max(1) as f64))
}
