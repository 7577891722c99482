//! The model folder of one training run, laid out as Lightning Pose writes it:
//! `config.yaml`, `train_status.json` (atomic), `train_stderr.log`,
//! `tb_logs/<model_name>/version_N/{events.out.tfevents.*, hparams.yaml, checkpoints/}`.

use crate::formats::tfevents::EventsWriter;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `train_status.json` as the Lightning Pose app reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusFile {
    pub status: String,
    pub pid: Option<u32>,
    pub progress: Option<StatusProgress>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusProgress {
    pub completed: u64,
    pub total: u64,
    pub timestamp: f64,
}

/// A run folder being written.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub root: PathBuf,
    pub model_name: String,
}

/// Today's date and the time of day (local time), as run folders are named.
pub fn local_stamp() -> (String, String) {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as libc::time_t)
        .unwrap_or(0);
    // SAFETY: localtime_r writes into the zeroed struct we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return ("1970-01-01".into(), "00-00-00".into());
    }
    (
        format!(
            "{:04}-{:02}-{:02}",
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday
        ),
        format!("{:02}-{:02}-{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec),
    )
}

/// The folder for a new run: `models/<name>` or `models/YYYY-MM-DD/HH-MM-SS` (local time).
pub fn new_run_path(models: &Path, name: Option<&str>) -> Result<PathBuf> {
    if let Some(n) = name {
        if n.is_empty() || n.contains(['/', '\\']) || n == "." || n == ".." {
            return Err(Error::usage(format!(
                "--name {n:?}: a plain folder name is needed"
            )));
        }
        let p = models.join(n);
        if p.exists() {
            return Err(Error::usage(format!(
                "{}: exists already; choose another --name or --resume it",
                p.display()
            )));
        }
        return Ok(p);
    }
    let (day, time) = local_stamp();
    let mut p = models.join(&day).join(&time);
    let mut n = 1;
    while p.exists() {
        p = models.join(&day).join(format!("{time}-{n}"));
        n += 1;
    }
    Ok(p)
}

impl RunDir {
    pub fn create(root: PathBuf, model_name: String) -> Result<RunDir> {
        std::fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        Ok(RunDir { root, model_name })
    }

    pub fn status_path(&self) -> PathBuf {
        self.root.join("train_status.json")
    }

    /// Writes `train_status.json` atomically.
    pub fn set_status(&self, status: &str, progress: Option<(u64, u64)>) -> Result<()> {
        let s = StatusFile {
            status: status.to_string(),
            pid: Some(std::process::id()),
            progress: progress.map(|(completed, total)| StatusProgress {
                completed,
                total,
                timestamp: crate::formats::tfevents::now(),
            }),
        };
        let text = serde_json::to_vec(&s).map_err(|e| Error::usage(e.to_string()))?;
        crate::util::write_atomic(&self.status_path(), &text)
    }

    /// Appends a line to `train_stderr.log`.
    pub fn log_error(&self, msg: &str) {
        use std::io::Write;
        let p = self.root.join("train_stderr.log");
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
        {
            let _ = writeln!(f, "{msg}");
        }
    }

    fn tb_root(&self) -> PathBuf {
        self.root.join("tb_logs").join(&self.model_name)
    }

    /// The newest `version_N` folder, if any.
    pub fn last_version(&self) -> Option<PathBuf> {
        let rd = std::fs::read_dir(self.tb_root()).ok()?;
        rd.filter_map(|e| e.ok())
            .filter_map(|e| {
                let n = e
                    .file_name()
                    .to_str()?
                    .strip_prefix("version_")?
                    .parse::<u64>()
                    .ok()?;
                Some((n, e.path()))
            })
            .max_by_key(|(n, _)| *n)
            .map(|(_, p)| p)
    }

    /// A new `version_N` folder (N = one past the highest).
    pub fn new_version(&self) -> Result<PathBuf> {
        let next = self
            .last_version()
            .and_then(|p| {
                p.file_name()?
                    .to_str()?
                    .strip_prefix("version_")?
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |n| n + 1);
        let p = self.tb_root().join(format!("version_{next}"));
        std::fs::create_dir_all(p.join("checkpoints")).map_err(|e| Error::io(&p, e))?;
        Ok(p)
    }
}

/// The events file in a version folder (the newest by name).
pub fn events_file_in(version: &Path) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(version)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("events.out.tfevents."))
        })
        .collect();
    files.sort();
    files.pop()
}

/// Scalars logged with Lightning Pose's tag names.
pub struct Logger {
    pub writer: EventsWriter,
}

impl Logger {
    pub fn scalar(&mut self, tag: &str, value: f64, step: u64) -> Result<()> {
        self.writer.add_scalar(tag, value as f32, step as i64)
    }
    pub fn text(&mut self, tag: &str, text: &str, step: u64) -> Result<()> {
        self.writer.add_text(tag, text, step as i64)
    }
    pub fn flush(&mut self) -> Result<()> {
        self.writer.flush()
    }
}
