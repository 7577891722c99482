//! Preparing a job's folder so that a worker process (`posedeck train --run-dir RUN`,
//! `posedeck predict --job-dir DIR`) can run it later, here or on another host:
//!
//! - a training job is a model run folder `models/<name>` or `models/YYYY-MM-DD/HH-MM-SS`
//!   holding `config.yaml` (the project's config with the overrides applied: exactly what the
//!   engine trains from), `train_status.json` (`PENDING`, as the Lightning Pose app writes a
//!   queued run) and `posedeck_job.json` (kind, request, creation time);
//! - a prediction job is a folder `<model run>/predict_jobs/YYYY-MM-DD_HH-MM-SS` holding its
//!   `posedeck_job.json`; its CSVs go where `posedeck predict` writes them (`--out`, default
//!   the project's `video_preds_infer/`), its logs and progress stream stay in the job folder.
//!
//! Every path in the request is made absolute, since the worker may run from anywhere.
//!
//! The job file names its [`Target`]: a folder prepared for SLURM says `slurm` from the write
//! that makes it a job, so the project's local scheduler never claims it in the moment before
//! its batch script and job id are written.

use super::job_file::{JobFile, JobKind, PREDICT_JOBS, Target, new_id};
use crate::engine::config::{LoadedConfig, find_project_config};
use crate::engine::{PredictRequest, TrainRequest};
use crate::formats::config::{RunState, TrainStatus};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::usage(e.to_string()))
}

/// Writes a PENDING training run folder for `req` and returns it. The config, the overrides,
/// the labels and the backbone weights are checked first: a request that cannot train leaves
/// nothing behind. A request with `resume` is [`prepare_resume`]. The job runs here (the
/// project's scheduler); [`prepare_train_for`] names the target.
pub fn prepare_train(req: &TrainRequest) -> Result<PathBuf> {
    prepare_train_for(req, Target::Local)
}

/// [`prepare_train`] for a job that `target` runs.
pub fn prepare_train_for(req: &TrainRequest, target: Target) -> Result<PathBuf> {
    if let Some(run) = &req.resume {
        return prepare_resume(run, req, target);
    }
    let project = absolute(&req.project);
    let cfg_path = match &req.config {
        Some(c) => absolute(c),
        None => find_project_config(&project)?,
    };
    let loaded = LoadedConfig::load_with(&cfg_path, &project, req.name.as_deref(), &req.overrides)?;
    crate::engine::data::Labels::load(&loaded.cfg)?;
    let weights = req.backbone_weights.as_deref().map(absolute);
    if let Some(w) = &weights
        && !w.is_file()
    {
        return Err(Error::io(
            w,
            std::io::Error::new(std::io::ErrorKind::NotFound, "backbone weights not found"),
        ));
    }
    let root = crate::engine::run::new_run_path(&project.join("models"), req.name.as_deref())?;
    std::fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
    let written = (|| {
        crate::util::write_atomic(&root.join("config.yaml"), loaded.to_yaml().as_bytes())?;
        TrainStatus::new(RunState::Pending).save(&root.join("train_status.json"))?;
        let stored = TrainRequest {
            project: project.clone(),
            config: Some(cfg_path.clone()),
            backbone_weights: weights.clone(),
            run_dir: Some(root.clone()),
            ..req.clone()
        };
        JobFile {
            id: new_id(),
            kind: JobKind::Train,
            created: super::events::now(),
            project: project.clone(),
            request: to_json(&stored)?,
            attempt: 0,
            started: None,
            canceled: None,
            target,
        }
        .save(&root)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&root);
        return Err(e);
    }
    Ok(root)
}

/// Queues a canceled (or failed) run again, to continue from its last checkpoint: its job
/// file (made when the run was trained in the foreground) gets the next attempt, and
/// `train_status.json` says PENDING. A run that is queued or running is refused. The job file
/// (with its new attempt and `target`) is the last write: it makes the run queued.
pub fn prepare_resume(run: &Path, req: &TrainRequest, target: Target) -> Result<PathBuf> {
    let run = absolute(run);
    let last = run.join("tb_logs");
    if !last.is_dir() {
        return Err(Error::invalid(
            &run,
            "nothing to resume: no tb_logs/*/version_*/checkpoints/last.state.json",
        ));
    }
    let project = crate::engine::default_predict_out(&run)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| absolute(&req.project));
    let stored = TrainRequest {
        project: project.clone(),
        resume: Some(run.clone()),
        run_dir: Some(run.clone()),
        overrides: Vec::new(),
        ..req.clone()
    };
    let job = match JobFile::load(&run) {
        Ok(mut j) => {
            let info = super::list::job_info(&run);
            if !info.state.is_done() {
                return Err(Error::invalid(
                    &run,
                    format!("the job is {} already", info.state.label()),
                ));
            }
            j.attempt += 1;
            j.canceled = None;
            j.request = to_json(&stored)?;
            j.target = target;
            j
        }
        Err(_) if !run.join(super::job_file::JOB_FILE).exists() => JobFile {
            id: new_id(),
            kind: JobKind::Train,
            created: super::events::now(),
            project,
            request: to_json(&stored)?,
            attempt: 1,
            started: None,
            canceled: None,
            target,
        },
        Err(e) => return Err(e),
    };
    // The status first: until the job file says the new attempt (and its target), the run
    // is ended to every scheduler, which then could not overwrite a started worker's status.
    TrainStatus::new(RunState::Pending).save(&run.join("train_status.json"))?;
    job.save(&run)?;
    Ok(run)
}

/// Writes a prediction job folder under the model's run folder and returns it (a job the
/// project's scheduler runs; [`prepare_predict_for`] names the target).
pub fn prepare_predict(req: &PredictRequest) -> Result<PathBuf> {
    prepare_predict_for(req, Target::Local)
}

/// [`prepare_predict`] for a job that `target` runs.
pub fn prepare_predict_for(req: &PredictRequest, target: Target) -> Result<PathBuf> {
    let run = absolute(&req.run);
    if !run.join("config.yaml").is_file() {
        return Err(Error::io(
            run.join("config.yaml"),
            std::io::Error::new(std::io::ErrorKind::NotFound, "not a model folder"),
        ));
    }
    for s in &req.sources {
        if !s.exists() {
            return Err(Error::io(
                s,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such video or folder"),
            ));
        }
    }
    let (day, time) = crate::engine::run::local_stamp();
    let base = run.join(PREDICT_JOBS);
    let mut dir = base.join(format!("{day}_{time}"));
    let mut n = 1;
    while dir.exists() {
        dir = base.join(format!("{day}_{time}-{n}"));
        n += 1;
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let stored = PredictRequest {
        run: run.clone(),
        sources: req.sources.iter().map(|s| absolute(s)).collect(),
        out: Some(
            req.out
                .as_deref()
                .map(absolute)
                .unwrap_or_else(|| crate::engine::default_predict_out(&run)),
        ),
        ..req.clone()
    };
    let project = crate::engine::default_predict_out(&run)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| run.clone());
    let saved = JobFile {
        id: new_id(),
        kind: JobKind::Predict,
        created: super::events::now(),
        project,
        request: to_json(&stored)?,
        attempt: 0,
        started: None,
        canceled: None,
        target,
    }
    .save(&dir);
    if let Err(e) = saved {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }
    Ok(dir)
}
