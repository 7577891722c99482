//! A new job submitted to SLURM from its request, as `posedeck train --slurm`,
//! `posedeck predict --slurm` and the train form's SLURM target all do: the folder prepared
//! with the target `slurm` (so no local scheduler claims it), the batch script submitted, the
//! job id recorded; when sbatch fails, the folder made for it goes again (a resumed run is
//! marked canceled before it started instead, so it can be resumed once more).

use super::config::Resources;
use super::submit::{self, JobRecord};
use crate::Result;
use crate::engine::{DeviceRequest, PredictRequest, TrainRequest};
use crate::jobs::job_file::Target;
use std::path::PathBuf;

/// A submitted job: its folder and SLURM's job id.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub dir: PathBuf,
    pub record: JobRecord,
}

/// The worker's options that the request carries (`--device`, `--batch`).
fn worker_args(device: DeviceRequest, batch: Option<usize>) -> Vec<String> {
    let mut extra = Vec::new();
    if device != DeviceRequest::Auto {
        extra.push(format!("--device={device}"));
    }
    if let Some(b) = batch {
        extra.push(format!("--batch={b}"));
    }
    extra
}

/// Prepares the PENDING run folder of `req` and submits `posedeck train --run-dir RUN`.
pub fn train(req: &TrainRequest, res: &Resources) -> Result<Submitted> {
    let exe = submit::this_binary()?;
    let run = crate::jobs::pending::prepare_train_for(req, Target::Slurm)?;
    match submit::submit_train(&run, res, &exe, &worker_args(req.device, None)) {
        Ok(record) => Ok(Submitted { dir: run, record }),
        Err(e) => {
            submit::abandon(&run, req.resume.is_some());
            Err(e)
        }
    }
}

/// Prepares the prediction job folder of `req` and submits a job array over its sources, one
/// task each, writing into `req.out` (default: the project's `video_preds_infer/`).
pub fn predict(req: &PredictRequest, res: &Resources) -> Result<Submitted> {
    let run = std::path::absolute(&req.run).map_err(|e| crate::Error::io(&req.run, e))?;
    let out = match &req.out {
        Some(o) => o.clone(),
        None => crate::engine::default_predict_out(&run),
    };
    let req = PredictRequest {
        run: run.clone(),
        out: Some(out.clone()),
        ..req.clone()
    };
    let dir = crate::jobs::pending::prepare_predict_for(&req, Target::Slurm)?;
    let exe = submit::this_binary()?;
    let extra = worker_args(req.device, req.batch);
    match submit::submit_predict(&dir, &run, &req.sources, &out, &extra, res, &exe) {
        Ok(record) => Ok(Submitted { dir, record }),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            Err(e)
        }
    }
}
