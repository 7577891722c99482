//! Every job of a project, read from its folders alone (so any workstation, on any host that
//! shares the file system, lists the same): the job file, the progress stream, the status
//! file and, for a worker on this host, whether its pid still lives. A worker that died
//! without writing its end is FAILED with the reason, never left looking as if it trained.

use super::events::{self, Body, Outcome, Record};
use super::job_file::{JobFile, JobKind, Started, this_host};
use super::worker::{STDERR_LOG, STDOUT_LOG};
use crate::project::procinfo::{PidState, pid_state};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Waiting in the queue for a device slot.
    Pending,
    /// Started; the worker has not written its first event yet.
    Starting,
    Running,
    Completed,
    Failed,
    Canceled,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Pending => "PENDING",
            State::Starting => "STARTING",
            State::Running => "RUNNING",
            State::Completed => "COMPLETED",
            State::Failed => "FAILED",
            State::Canceled => "CANCELED",
        }
    }
    pub fn is_done(self) -> bool {
        matches!(self, State::Completed | State::Failed | State::Canceled)
    }
    /// Holding a device slot (started, not ended).
    pub fn is_active(self) -> bool {
        matches!(self, State::Starting | State::Running)
    }
}

/// Units done of a total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Progress {
    pub done: u64,
    pub total: Option<u64>,
    /// `steps` or `frames`.
    pub unit: &'static str,
}

/// The end record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct End {
    pub outcome: Outcome,
    pub message: String,
    pub time: f64,
}

/// What the progress stream of the current attempt says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub started: Option<f64>,
    pub pid: Option<u32>,
    pub host: Option<String>,
    pub device: Option<String>,
    pub device_reason: Option<String>,
    pub phase: Option<String>,
    pub epoch: Option<usize>,
    pub epochs: Option<usize>,
    pub loss: Option<f64>,
    pub val_loss: Option<f64>,
    pub val_rmse: Option<f64>,
    pub progress: Option<Progress>,
    /// Units per second over the last minute of progress.
    pub rate: Option<f64>,
    pub remaining_s: Option<f64>,
    pub warnings: Vec<String>,
    pub end: Option<End>,
    /// The time of the last record.
    pub last_time: Option<f64>,
}

/// Folds the records of the attempt `attempt` (those after its `start`).
pub fn summarize(records: &[Record], attempt: u32) -> Summary {
    let from = records
        .iter()
        .rposition(|r| matches!(&r.body, Body::Start { attempt: a, .. } if *a == attempt));
    let mut s = Summary::default();
    let Some(from) = from else {
        return s;
    };
    // (time, units done) of each progress record, for the rate.
    let mut marks: Vec<(f64, u64)> = Vec::new();
    let mut frames: Vec<(String, usize, Option<usize>)> = Vec::new();
    for r in &records[from..] {
        s.last_time = Some(r.time);
        match &r.body {
            Body::Start { pid, host, .. } => {
                s.started = Some(r.time);
                s.pid = Some(*pid);
                s.host = Some(host.clone());
            }
            Body::Device { name, reason } => {
                s.device = Some(name.clone());
                s.device_reason = Some(reason.clone());
            }
            Body::Phase { phase } => s.phase = Some(phase.clone()),
            Body::Step {
                epoch,
                epochs,
                step,
                batches,
                loss,
                ..
            } => {
                s.epoch = Some(*epoch);
                s.epochs = Some(*epochs);
                s.loss = loss.is_finite().then_some(*loss);
                let total = (*epochs as u64) * (*batches as u64);
                s.progress = Some(Progress {
                    done: *step,
                    total: Some(total),
                    unit: "steps",
                });
                marks.push((r.time, *step));
            }
            Body::Validation { loss, rmse, .. } => {
                s.val_loss = loss.is_finite().then_some(*loss);
                s.val_rmse = rmse.is_finite().then_some(*rmse);
            }
            Body::Frames {
                source,
                done,
                total,
            } => {
                match frames.iter_mut().find(|f| f.0 == *source) {
                    Some(f) => (f.1, f.2) = (*done, *total),
                    None => frames.push((source.clone(), *done, *total)),
                }
                let done: u64 = frames.iter().map(|f| f.1 as u64).sum();
                let total = frames
                    .iter()
                    .map(|f| f.2.map(|t| t as u64))
                    .sum::<Option<u64>>();
                if s.epochs.is_none() {
                    s.progress = Some(Progress {
                        done,
                        total,
                        unit: "frames",
                    });
                    marks.push((r.time, done));
                }
            }
            Body::Warning { message } => s.warnings.push(message.clone()),
            Body::Info { .. } => {}
            Body::End { outcome, message } => {
                s.end = Some(End {
                    outcome: *outcome,
                    message: message.clone(),
                    time: r.time,
                })
            }
        }
    }
    if let Some(&(t1, d1)) = marks.last() {
        let first = marks
            .iter()
            .find(|(t, _)| t1 - t <= 60.0)
            .copied()
            .unwrap_or(marks[0]);
        let (t0, d0) = first;
        if t1 > t0 && d1 > d0 {
            let rate = (d1 - d0) as f64 / (t1 - t0);
            s.rate = Some(rate);
            if let Some(total) = s.progress.and_then(|p| p.total)
                && s.end.is_none()
            {
                s.remaining_s = Some(total.saturating_sub(d1) as f64 / rate);
            }
        }
    }
    s
}

/// One job as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobInfo {
    pub id: String,
    pub kind: Option<JobKind>,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub dir: PathBuf,
    pub state: State,
    /// `pid@host` of the worker.
    #[serde(rename = "where")]
    pub where_: Option<String>,
    /// The scheduler's slot (`cpu0`, `gpu1`) and the `--device` it gave the worker; the
    /// device the worker reported is `device`.
    pub slot: Option<String>,
    pub slot_device: Option<String>,
    /// Why it failed, how it ended, or what the written status says while it runs.
    pub message: Option<String>,
    pub created: Option<f64>,
    pub attempt: u32,
    /// Who runs it: `local` (the project's scheduler) or `slurm`.
    pub target: super::job_file::Target,
    #[serde(flatten)]
    pub summary: Summary,
    /// The last lines of the worker's stdout and stderr logs.
    pub log_tail: Vec<String>,
    /// Files of the job that could not be read (the job is listed anyway).
    pub problems: Vec<String>,
    /// SLURM's view of a job submitted with sbatch (`jobs::slurm::attach`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slurm: Option<crate::jobs::slurm::SlurmView>,
}

/// The last `n` non-empty lines of a log file (at most its last 16 KiB are read).
pub fn log_tail(path: &Path, n: usize) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(16 << 10)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.rsplit('\r').next().unwrap_or(l))
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

/// The state of a started attempt without an end record, from the pid when it is on this
/// host: `(state, reason)`.
pub fn judge_started(
    st: &Started,
    summary: &Summary,
    host: &str,
    pid_state: &dyn Fn(i64) -> PidState,
    stderr_last: Option<&str>,
) -> (State, Option<String>) {
    let began = if summary.started.is_some() {
        State::Running
    } else {
        State::Starting
    };
    if st.host != host {
        return (
            began,
            Some(format!("on {} (its pid is not checked)", st.host)),
        );
    }
    let pid = summary.pid.unwrap_or(st.pid);
    let alive = match pid_state(pid as i64) {
        // A process that started well after the job did is another one with a reused pid.
        PidState::Alive { started: Some(t) } => t <= st.time + 30.0,
        PidState::Alive { started: None } | PidState::Unknown => true,
        PidState::Dead | PidState::Zombie => false,
    };
    if alive {
        return (began, None);
    }
    let why = stderr_last
        .map(|l| format!("; last log line: {}", l.trim()))
        .unwrap_or_default();
    (
        State::Failed,
        Some(format!(
            "worker {pid}@{} exited without writing its end (killed?){why}",
            st.host
        )),
    )
}

/// One job from its folder; a bad file is a problem listed with it.
pub fn job_info(dir: &Path) -> JobInfo {
    job_info_with(dir, &this_host(), &pid_state)
}

pub fn job_info_with(dir: &Path, host: &str, pid_state: &dyn Fn(i64) -> PidState) -> JobInfo {
    let mut problems = Vec::new();
    let job = match JobFile::load(dir) {
        Ok(j) => Some(j),
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };
    let (records, bad) = match events::read_all(&dir.join(events::EVENTS_FILE)) {
        Ok(x) => x,
        Err(e) => {
            problems.push(e.to_string());
            (Vec::new(), Vec::new())
        }
    };
    problems.extend(bad.iter().map(|b| b.to_string()));
    let attempt = job.as_ref().map_or(0, |j| j.attempt);
    let summary = summarize(&records, attempt);
    let mut log = log_tail(&dir.join(STDOUT_LOG), 5);
    let err_tail = log_tail(&dir.join(STDERR_LOG), 5);
    let err_last = err_tail
        .iter()
        .rev()
        .find(|l| !l.starts_with("WARNING"))
        .cloned();
    log.extend(err_tail);
    let started = job
        .as_ref()
        .and_then(|j| j.started.clone().filter(|s| s.attempt == j.attempt));
    let (state, message) = match (&job, &started, &summary.end) {
        (None, _, _) => (State::Failed, Some("no readable posedeck_job.json".into())),
        (
            _,
            _,
            Some(End {
                outcome, message, ..
            }),
        ) => (
            match outcome {
                Outcome::Completed => State::Completed,
                Outcome::Failed => State::Failed,
                Outcome::Canceled => State::Canceled,
            },
            Some(message.clone()),
        ),
        (Some(j), None, None) if j.canceled.is_some() => {
            (State::Canceled, Some("canceled before it started".into()))
        }
        (Some(_), None, None) => (State::Pending, None),
        (Some(_), Some(st), None) => {
            judge_started(st, &summary, host, pid_state, err_last.as_deref())
        }
    };
    let message = match (state, message) {
        (State::Running, None) => std::fs::read(dir.join("train_status.json"))
            .ok()
            .and_then(|b| {
                crate::formats::config::TrainStatus::parse(&dir.join("train_status.json"), &b).ok()
            })
            .map(|s| s.status.to_string()),
        (_, m) => m,
    };
    JobInfo {
        id: job
            .as_ref()
            .map(|j| j.id.clone())
            .unwrap_or_else(|| dir.display().to_string()),
        kind: job.as_ref().map(|j| j.kind),
        dir: dir.to_path_buf(),
        state,
        where_: started
            .as_ref()
            .map(|s| format!("{}@{}", summary.pid.unwrap_or(s.pid), s.host)),
        slot: started.as_ref().map(|s| s.slot.clone()),
        slot_device: started.as_ref().map(|s| s.device.clone()),
        message,
        created: job.as_ref().map(|j| j.created),
        attempt,
        target: job.as_ref().map(|j| j.target).unwrap_or_default(),
        summary,
        log_tail: log,
        problems,
        slurm: None,
    }
}

/// Every job of the project, in creation order, with SLURM's view of those submitted to it
/// (one squeue call when there are any).
pub fn list(project: &Path) -> Vec<JobInfo> {
    let mut jobs = list_local(project);
    crate::jobs::slurm::attach::attach(&mut jobs);
    jobs
}

/// Every job of the project from its folders alone (no SLURM client is asked).
pub fn list_local(project: &Path) -> Vec<JobInfo> {
    let mut jobs: Vec<JobInfo> = super::job_file::job_dirs(project)
        .iter()
        .map(|d| job_info(d))
        .collect();
    jobs.sort_by(|a, b| {
        a.created
            .unwrap_or(f64::MAX)
            .total_cmp(&b.created.unwrap_or(f64::MAX))
            .then_with(|| a.id.cmp(&b.id))
    });
    jobs
}
