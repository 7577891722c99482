//! The training and inference engine (burn 0.22): Lightning Pose's supervised heatmap model
//! (ResNet backbone + heatmap head), trained on a project's labels into a model folder the
//! Lightning Pose app reads, and run over videos and frame folders. Jobs run on background
//! threads with progress events ([`job`]), for the CLI and the TUI alike.
//!
//! - [`config`]: the training settings from a Lightning Pose config.yaml.
//! - [`device`]: auto / gpu / cpu device choice (real wgpu GPU, else flex).
//! - [`resnet`], [`model`]: the network, its loss, torchvision weight import.
//! - [`data`], [`augment`], [`heatmap`], [`loader`]: labeled frames to batches.
//! - [`train`], [`eval`], [`pca`], [`predict`], [`infer`]: the run and its outputs.

pub mod augment;
pub mod config;
pub mod data;
pub mod device;
pub mod eval;
pub mod heatmap;
pub mod infer;
pub mod job;
pub mod loader;
pub mod model;
pub mod pca;
pub mod predict;
pub mod resnet;
pub mod rng;
pub mod run;
pub mod train;
pub mod unsup;

pub use device::DeviceRequest;
pub use job::{Job, JobCtx, JobEvent};
pub use train::{TrainOutcome, TrainRequest};

use std::path::{Path, PathBuf};

/// Starts a training job on a background thread.
pub fn start_train(req: TrainRequest) -> Job<TrainOutcome> {
    Job::spawn(move |ctx| train::train(&req, ctx))
}

/// What to predict.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PredictRequest {
    pub run: PathBuf,
    pub sources: Vec<PathBuf>,
    /// Output folder (default: the project's `video_preds_infer/`).
    pub out: Option<PathBuf>,
    pub device: DeviceRequest,
    pub batch: Option<usize>,
}

/// One written prediction file per source.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PredictOutcome {
    pub outputs: Vec<(PathBuf, usize)>,
    pub canceled: bool,
    pub frames_per_sec: f64,
}

/// The default output folder of `predict`: `<project>/video_preds_infer`, the project being
/// the run's data dir (from its config), else the folder above `models/`.
pub fn default_predict_out(run: &Path) -> PathBuf {
    let from_cfg = crate::util::read_text(&run.join("config.yaml"))
        .ok()
        .filter(|t| crate::formats::config::check_nesting(Path::new(""), t).is_ok())
        .and_then(|t| serde_norway::from_str::<serde_norway::Value>(&t).ok())
        .and_then(|v| v.get("data")?.get("data_dir")?.as_str().map(PathBuf::from))
        .filter(|p| p.is_dir());
    let project = from_cfg.unwrap_or_else(|| {
        run.ancestors()
            .find(|a| a.file_name().is_some_and(|n| n == "models"))
            .and_then(|m| m.parent())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| run.to_path_buf())
    });
    project.join("video_preds_infer")
}

/// Runs a prediction job body (on the calling thread).
pub fn predict(req: &PredictRequest, ctx: &JobCtx) -> crate::Result<PredictOutcome> {
    let choice = device::choose(req.device)?;
    ctx.emit(JobEvent::Device {
        name: choice.name.clone(),
        reason: choice.reason.clone(),
    });
    let m = predict::LoadedModel::load(&req.run, &choice.device)?;
    let out = req
        .out
        .clone()
        .unwrap_or_else(|| default_predict_out(&req.run));
    let batch = req.batch.unwrap_or(m.cfg.test_batch_size).max(1);
    ctx.emit(JobEvent::Phase("predicting".into()));
    let t0 = std::time::Instant::now();
    let mut outputs = Vec::new();
    let mut frames = 0usize;
    let cancel = || ctx.canceled();
    for s in &req.sources {
        let src = s.display().to_string();
        let mut prog = |done: usize, total: Option<usize>| {
            ctx.emit(JobEvent::Frames {
                source: src.clone(),
                done,
                total,
            })
        };
        match predict::predict_source(&m, &choice.device, s, &out, batch, &cancel, &mut prog)? {
            Some((csv, n)) => {
                frames += n;
                outputs.push((csv, n));
            }
            None => {
                return Ok(PredictOutcome {
                    outputs,
                    canceled: true,
                    frames_per_sec: frames as f64 / t0.elapsed().as_secs_f64().max(1e-9),
                });
            }
        }
    }
    Ok(PredictOutcome {
        outputs,
        canceled: false,
        frames_per_sec: frames as f64 / t0.elapsed().as_secs_f64().max(1e-9),
    })
}

/// Starts a prediction job on a background thread.
pub fn start_predict(req: PredictRequest) -> Job<PredictOutcome> {
    Job::spawn(move |ctx| predict(&req, ctx))
}
