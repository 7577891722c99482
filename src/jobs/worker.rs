//! The worker: the process that runs one job of its folder, and how it is started.
//!
//! [`spawn`] starts `posedeck train --run-dir RUN --device D` (or `posedeck predict --job-dir
//! DIR --device D`) from this executable in its own session (`setsid`: no controlling
//! terminal, so neither a closed SSH connection nor a killed tmux session reaches it), stdin
//! from /dev/null, stdout and stderr appended to the folder's `train_stdout.log` and
//! `train_stderr.log` as the Lightning Pose app does. [`run_train`] / [`run_predict`] are the
//! worker's body: the engine on its background threads as in the foreground commands, every
//! event appended to `posedeck_events.jsonl` (a `start` first, an `end` last). SIGINT and
//! SIGTERM (what `posedeck cancel` and SLURM send) set the cancel flag: the step finishes, a
//! resumable checkpoint is saved and the run is written CANCELED.

use super::events::{Body, EventsWriter, Outcome};
use super::job_file::{JobFile, JobKind, this_host};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const STDOUT_LOG: &str = "train_stdout.log";
pub const STDERR_LOG: &str = "train_stderr.log";

/// The executable workers are started from: `POSEDECK_WORKER_EXE` when set (a test harness or
/// a wrapper), else this one.
pub fn worker_exe() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("POSEDECK_WORKER_EXE") {
        return Ok(PathBuf::from(p));
    }
    std::env::current_exe().map_err(|e| Error::io("<current executable>", e))
}

fn append(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// A detached process of this executable with `args`, its output appended to the logs in
/// `dir` (its working folder).
pub fn spawn_detached(dir: &Path, args: &[std::ffi::OsString]) -> Result<Child> {
    use std::os::unix::process::CommandExt;
    let exe = worker_exe()?;
    let mut cmd = Command::new(&exe);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(append(&dir.join(STDOUT_LOG))?)
        .stderr(append(&dir.join(STDERR_LOG))?);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn().map_err(|e| Error::io(&exe, e))
}

/// Starts the worker of the job in `dir` on `device` (`cpu`, `gpu:N`, `auto`).
pub fn spawn(dir: &Path, kind: JobKind, device: &str) -> Result<Child> {
    let flag = match kind {
        JobKind::Train => "--run-dir",
        JobKind::Predict => "--job-dir",
    };
    let args: Vec<std::ffi::OsString> = vec![
        kind.label().into(),
        flag.into(),
        dir.as_os_str().to_owned(),
        "--device".into(),
        device.into(),
    ];
    spawn_detached(dir, &args)
}

/// The cancel flag, set by SIGINT and SIGTERM.
pub fn cancel_on_signals() -> Result<std::sync::Arc<std::sync::atomic::AtomicBool>> {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for s in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(s, flag.clone())
            .map_err(|e| Error::usage(format!("cannot trap signal {s}: {e}")))?;
    }
    Ok(flag)
}

#[cfg(feature = "engine")]
mod body {
    use super::*;
    use crate::engine::{self, DeviceRequest, Job, JobEvent, PredictRequest, TrainRequest};
    use crate::formats::config::{RunState, TrainStatus};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    fn load(dir: &Path, kind: JobKind) -> Result<JobFile> {
        let job = JobFile::load(dir)?;
        if job.kind != kind {
            return Err(Error::invalid(
                dir.join(super::super::job_file::JOB_FILE),
                format!("a {} job, not a {} job", job.kind.label(), kind.label()),
            ));
        }
        Ok(job)
    }

    fn request<T: serde::de::DeserializeOwned>(dir: &Path, job: &JobFile) -> Result<T> {
        serde_json::from_value(job.request.clone()).map_err(|e| {
            Error::invalid(
                dir.join(super::super::job_file::JOB_FILE),
                format!("request: {e}"),
            )
        })
    }

    /// Runs `job` to its end, writing its events; `cancel` is passed on to it.
    fn drive<T: Send + 'static>(
        dir: &Path,
        attempt: u32,
        job: Job<T>,
        cancel: &AtomicBool,
        show: &mut dyn FnMut(&JobEvent),
        end: impl FnOnce(&crate::Result<T>) -> (Outcome, String),
    ) -> Result<T> {
        let mut w = EventsWriter::open(dir)?;
        w.write(Body::Start {
            pid: std::process::id(),
            host: this_host(),
            attempt,
        })?;
        let mut write_err: Option<Error> = None;
        let mut handle = |e: JobEvent, w: &mut EventsWriter| {
            if let Err(err) = w.event(&e) {
                write_err.get_or_insert(err);
            }
            show(&e);
        };
        while !job.is_finished() {
            if cancel.load(Ordering::Relaxed) {
                job.cancel();
            }
            if let Some(e) = job.next_event(Duration::from_millis(100)) {
                handle(e, &mut w);
            }
        }
        for e in job.drain_events() {
            handle(e, &mut w);
        }
        let result = job.wait();
        let (outcome, message) = end(&result);
        w.write(Body::End { outcome, message })?;
        match write_err {
            Some(e) if result.is_ok() => Err(e),
            _ => result,
        }
    }

    /// The worker of a training job: trains the PENDING run folder `dir` in place.
    pub fn run_train(
        dir: &Path,
        device: Option<DeviceRequest>,
        cancel: Arc<AtomicBool>,
        show: &mut dyn FnMut(&JobEvent),
    ) -> Result<engine::TrainOutcome> {
        let status_path = dir.join("train_status.json");
        let status = TrainStatus::load(&status_path)?;
        if status.status != RunState::Pending {
            return Err(Error::invalid(
                &status_path,
                format!(
                    "says {}: only a PENDING run folder is trained (continue a canceled one with --resume)",
                    status.status
                ),
            ));
        }
        let job = load(dir, JobKind::Train)?;
        let mut req: TrainRequest = request(dir, &job)?;
        req.run_dir = Some(dir.to_path_buf());
        if let Some(d) = device {
            req.device = d;
        }
        let running = engine::start_train(req);
        let result = drive(dir, job.attempt, running, &cancel, show, |r| match r {
            Ok(o) if o.status == "CANCELED" => (
                Outcome::Canceled,
                format!(
                    "canceled after {} steps; continue with: posedeck train --resume {}",
                    o.global_step,
                    dir.display()
                ),
            ),
            Ok(o) => (
                Outcome::Completed,
                format!(
                    "{} epochs, {} steps, {:.1} images/s",
                    o.epochs_done, o.global_step, o.train_images_per_sec
                ),
            ),
            Err(e) => (Outcome::Failed, e.to_string()),
        });
        // An error before the engine had the run folder (a config that no longer loads)
        // leaves the status PENDING: it is written FAILED here.
        if result.is_err() && TrainStatus::load(&status_path).is_ok_and(|s| !s.status.is_done()) {
            let mut s = TrainStatus::new(RunState::Failed);
            s.pid = Some(std::process::id() as i64);
            let _ = s.save(&status_path);
        }
        result
    }

    /// The worker of a prediction job.
    pub fn run_predict(
        dir: &Path,
        device: Option<DeviceRequest>,
        cancel: Arc<AtomicBool>,
        show: &mut dyn FnMut(&JobEvent),
    ) -> Result<engine::PredictOutcome> {
        let job = load(dir, JobKind::Predict)?;
        let mut req: PredictRequest = request(dir, &job)?;
        if let Some(d) = device {
            req.device = d;
        }
        let running = engine::start_predict(req);
        drive(dir, job.attempt, running, &cancel, show, |r| match r {
            Ok(o) if o.canceled => (
                Outcome::Canceled,
                format!("canceled after {} complete source(s)", o.outputs.len()),
            ),
            Ok(o) => (
                Outcome::Completed,
                format!(
                    "wrote {} file(s), {:.1} frames/s",
                    o.outputs.len(),
                    o.frames_per_sec
                ),
            ),
            Err(e) => (Outcome::Failed, e.to_string()),
        })
    }
}

#[cfg(feature = "engine")]
pub use body::{run_predict, run_train};
