//! A job spec of the workstation turned into a job folder (the same routines as the command
//! line's: `jobs::pending` for a job the project's scheduler runs, `jobs::slurm::launch` for
//! one submitted to SLURM), and back: the spec of a job found in its folder.

use crate::tui::state::job_list::{JobSpec, TrainSpec};
use std::path::PathBuf;

/// The job folder for a spec: PENDING for the project's scheduler, or submitted to SLURM.
#[cfg(feature = "engine")]
pub fn prepare(spec: &JobSpec) -> Result<PathBuf, String> {
    use crate::engine::{DeviceRequest, PredictRequest, TrainRequest};
    let device = |s: &str| s.parse::<DeviceRequest>().unwrap_or_default();
    match spec {
        JobSpec::Train(t) => {
            let req = TrainRequest {
                project: t.project.clone(),
                config: t.config.clone(),
                name: t.name.clone(),
                device: device(&t.device),
                resume: t.resume.clone(),
                backbone_weights: None,
                workers: None,
                // The form's values, written over the config into the run folder's config.yaml.
                overrides: t.overrides.clone(),
                run_dir: None,
            };
            match &t.slurm {
                Some(res) => crate::jobs::slurm::launch::train(&req, res).map(|s| s.dir),
                None => crate::jobs::pending::prepare_train(&req),
            }
        }
        JobSpec::Predict {
            run,
            sources,
            device: d,
        } => crate::jobs::pending::prepare_predict(&PredictRequest {
            run: run.clone(),
            sources: sources.clone(),
            out: None,
            device: device(d),
            batch: None,
        }),
    }
    .map_err(|e| e.to_string())
}

#[cfg(not(feature = "engine"))]
pub fn prepare(_: &JobSpec) -> Result<PathBuf, String> {
    Err("this build has no training engine (built without the `engine` feature)".into())
}

/// The spec of a job found in its folder (for the job list's description).
pub fn spec_of(job: &crate::jobs::job_file::JobFile) -> JobSpec {
    let r = &job.request;
    let path = |k: &str| r.get(k).and_then(|v| v.as_str()).map(PathBuf::from);
    let device = r
        .get("device")
        .and_then(|v| v.as_str())
        .unwrap_or("auto")
        .to_string();
    match job.kind {
        crate::jobs::job_file::JobKind::Train => JobSpec::Train(TrainSpec {
            project: job.project.clone(),
            config: path("config"),
            name: r.get("name").and_then(|v| v.as_str()).map(str::to_string),
            device,
            resume: path("resume"),
            overrides: serde_json::from_value(r.get("overrides").cloned().unwrap_or_default())
                .unwrap_or_default(),
            // Submitted already: its resources are in its batch script.
            slurm: None,
        }),
        crate::jobs::job_file::JobKind::Predict => JobSpec::Predict {
            run: path("run").unwrap_or_default(),
            sources: serde_json::from_value(r.get("sources").cloned().unwrap_or_default())
                .unwrap_or_default(),
            device,
        },
    }
}
