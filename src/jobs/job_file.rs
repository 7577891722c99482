//! `posedeck_job.json`, the job's own record in its folder: id, kind, the request the worker
//! runs (as JSON, so that a build without the engine still lists jobs), creation time, the
//! attempt (a resumed job is attempt 1, 2, ...), where it was started and whether it was
//! canceled before it started. Written atomically; only the one who won the attempt's claim
//! ([`claim`]) records the start, so no job starts twice.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const JOB_FILE: &str = "posedeck_job.json";
/// The folder, inside a model run folder, holding its prediction jobs.
pub const PREDICT_JOBS: &str = "predict_jobs";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Train,
    Predict,
}

impl JobKind {
    pub fn label(self) -> &'static str {
        match self {
            JobKind::Train => "train",
            JobKind::Predict => "predict",
        }
    }
}

/// Who runs the job: the project's own scheduler (`jobs run`) or SLURM. Set when the folder is
/// prepared, in the same write that makes it a job, so the local queue never claims a job that
/// is about to be submitted to SLURM (its script and record come later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    #[default]
    Local,
    Slurm,
}

/// Where and when an attempt was started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Started {
    pub pid: u32,
    pub host: String,
    /// The `--device` the worker was given (`cpu`, `gpu:1`, ...).
    pub device: String,
    /// The scheduler's slot (`cpu0`, `gpu1`).
    pub slot: String,
    pub time: f64,
    pub attempt: u32,
    /// `pid@host` of the process that started it.
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobFile {
    pub id: String,
    pub kind: JobKind,
    /// Unix seconds.
    pub created: f64,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub project: PathBuf,
    /// `TrainRequest` or `PredictRequest` as JSON.
    pub request: serde_json::Value,
    #[serde(default)]
    pub attempt: u32,
    #[serde(default)]
    pub started: Option<Started>,
    /// Unix seconds when it was canceled before it started.
    #[serde(default)]
    pub canceled: Option<f64>,
    /// `local` (older files, which have none) or `slurm`.
    #[serde(default)]
    pub target: Target,
}

impl JobFile {
    pub fn load(dir: &Path) -> Result<JobFile> {
        let p = dir.join(JOB_FILE);
        let bytes = crate::util::read_limited(&p, 4 << 20)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::at_line(&p, e.line() as u64, format!("not a posedeck job file: {e}"))
        })
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| Error::usage(e.to_string()))?;
        crate::util::write_atomic(&dir.join(JOB_FILE), &text)
    }

    /// Waiting for a slot: not started in this attempt and not canceled.
    pub fn is_queued(&self) -> bool {
        self.canceled.is_none()
            && self
                .started
                .as_ref()
                .is_none_or(|s| s.attempt < self.attempt)
    }
}

/// A new job id: 8 hex digits from the time and the process.
pub fn new_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut x = (nanos as u64) ^ ((std::process::id() as u64) << 32) ^ 0x9e37_79b9_7f4a_7c15;
    // splitmix64's finaliser spreads nearby times over the whole range.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    format!("{:08x}", x as u32)
}

/// Claims attempt `attempt` of the job in `dir` for `who` (`O_EXCL`: of any number of
/// claimants, on any host sharing the folder, exactly one wins). `Ok(false)`: taken already.
pub fn claim(dir: &Path, attempt: u32, who: &str) -> Result<bool> {
    let p = dir.join(format!(".posedeck_claim.{attempt}"));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&p)
    {
        Ok(mut f) => {
            use std::io::Write;
            let _ = writeln!(f, "{who} {}", crate::jobs::events::now());
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io(&p, e)),
    }
}

/// `pid@host` of this process.
pub fn me() -> String {
    format!("{}@{}", std::process::id(), this_host())
}

pub fn this_host() -> String {
    crate::project::procinfo::hostname().unwrap_or_else(|| "localhost".into())
}

/// Every job folder of a project: each model run with a job file, and each of their
/// prediction jobs (`<run>/predict_jobs/*`).
pub fn job_dirs(project: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for run in crate::project::runs::discover(&project.join("models")) {
        if run.path.join(JOB_FILE).is_file() {
            out.push(run.path.clone());
        }
        if let Ok(rd) = std::fs::read_dir(run.path.join(PREDICT_JOBS)) {
            let mut sub: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.join(JOB_FILE).is_file())
                .collect();
            sub.sort();
            out.extend(sub);
        }
    }
    out
}
