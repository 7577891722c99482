//! The project's train/predict jobs: queued, running and finished, with the progress, the
//! log tail and the timing each job's events carried. Each job is a detached worker process
//! queued in the project's scheduler (which gives it a device slot), so a submitted job is
//! handed to the runner at once and shows QUEUED until its worker starts; jobs found in the
//! project's folders are attached. Pure state: jobs are queued, followed and canceled by the
//! runner (through [`crate::tui::job_bridge`]) when `App::handle` asks for it with an effect.
//!
//! Times come with the messages (seconds since the job started, measured by the thread that
//! forwards its events), so elapsed and remaining time are a function of the messages alone:
//! the view shows them as of the last event and snapshots of a synthetic job are stable.

use crate::engine::JobEvent;
use crate::tui::action::Action;
use crate::tui::app::{App, Confirmable, Effect, Overlay};
use std::collections::VecDeque;
use std::path::PathBuf;

/// Lines kept per job for the log tail.
pub const LOG_LINES: usize = 200;

/// What a job does: what the runner needs to start it.
#[derive(Debug, Clone, PartialEq)]
pub enum JobSpec {
    /// Train a new model (`posedeck train`), or continue one (`--resume`).
    Train(TrainSpec),
    /// Run a model over videos / frame folders (`posedeck predict`).
    Predict {
        run: PathBuf,
        sources: Vec<PathBuf>,
        device: String,
    },
}

/// A training job: the project, its config, the form's overrides.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainSpec {
    pub project: PathBuf,
    /// The project's model config the form started from (None: the engine finds it).
    pub config: Option<PathBuf>,
    /// Folder name under models/ (None: the date and time).
    pub name: Option<String>,
    /// auto, gpu or cpu.
    pub device: String,
    /// Continue this run folder from its last checkpoint.
    pub resume: Option<PathBuf>,
    /// `(dotted key, YAML value)` pairs written over the config (backbone, image size ...).
    pub overrides: Vec<(String, String)>,
    /// Submitted to SLURM with these resources (`None`: run by the project's scheduler).
    pub slurm: Option<Box<crate::jobs::slurm::Resources>>,
}

impl JobSpec {
    pub fn is_train(&self) -> bool {
        matches!(self, JobSpec::Train(_))
    }
    /// A short description for the job list.
    pub fn describe(&self) -> String {
        let leaf = |p: &PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string())
        };
        match self {
            JobSpec::Train(t) => match (&t.resume, &t.name) {
                (Some(r), _) => format!("resume {}", leaf(r)),
                (None, Some(n)) => format!("train {n}"),
                (None, None) => "train new model".into(),
            },
            JobSpec::Predict { run, sources, .. } => {
                format!("predict {} on {} source(s)", leaf(run), sources.len())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    Queued,
    Running,
    Completed,
    Canceled,
    Failed(String),
}

impl JobState {
    pub fn label(&self) -> &'static str {
        match self {
            JobState::Queued => "QUEUED",
            JobState::Running => "RUNNING",
            JobState::Completed => "COMPLETED",
            JobState::Canceled => "CANCELED",
            JobState::Failed(_) => "FAILED",
        }
    }
    pub fn is_done(&self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }
}

/// How a job ended, as the forwarding thread reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    Completed(String),
    Canceled(String),
    Failed(String),
}

/// What arrives on the app's channel for a job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobBody {
    /// The job's folder, and where its worker runs (`pid@host`) once it started.
    Placed {
        dir: PathBuf,
        at: Option<String>,
    },
    Event(JobEvent),
    /// SLURM's last view of the job (kept while SLURM cannot be asked) and why it could not
    /// be asked this time.
    Slurm {
        view: Option<crate::jobs::slurm::SlurmView>,
        error: Option<String>,
    },
    Ended(JobEnd),
}

/// One message about job `id`, `t` seconds after it started.
#[derive(Debug, Clone, PartialEq)]
pub struct JobMsg {
    pub id: u64,
    pub t: f64,
    pub body: JobBody,
}

/// Units done of a total, for the bar and the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: u64,
    pub spec: JobSpec,
    pub state: JobState,
    /// The run folder being written (train) or read (predict).
    pub run_dir: Option<PathBuf>,
    pub device: Option<(String, String)>,
    pub phase: String,
    pub epoch: Option<(usize, usize)>,
    pub loss: Option<f64>,
    pub val: Option<(f64, f64)>,
    /// Training steps, or frames of the current source.
    pub progress: Option<Progress>,
    pub unit: &'static str,
    /// The source being predicted.
    pub source: Option<String>,
    /// Seconds since the start, as of the last message.
    pub elapsed: f64,
    /// The first progress seen in this phase (t, done), for the rate.
    rate_from: Option<(f64, u64)>,
    /// Units per second since `rate_from`.
    pub rate: Option<f64>,
    pub cancel_requested: bool,
    pub warnings: usize,
    pub log: VecDeque<String>,
    /// `pid@host` of the worker.
    pub at: Option<String>,
    /// SLURM's view of a job submitted to it (the last one SLURM gave).
    pub slurm: Option<crate::jobs::slurm::SlurmView>,
    /// Why SLURM could not be asked the last time (the controller down, a client that hangs).
    pub slurm_error: Option<String>,
}

impl JobRecord {
    fn new(id: u64, spec: JobSpec) -> JobRecord {
        let run_dir = match &spec {
            JobSpec::Train(t) => t.resume.clone(),
            JobSpec::Predict { run, .. } => Some(run.clone()),
        };
        JobRecord {
            id,
            spec,
            state: JobState::Queued,
            run_dir,
            device: None,
            phase: "queued".into(),
            epoch: None,
            loss: None,
            val: None,
            progress: None,
            unit: "steps",
            source: None,
            elapsed: 0.0,
            rate_from: None,
            rate: None,
            cancel_requested: false,
            warnings: 0,
            log: VecDeque::new(),
            at: None,
            slurm: None,
            slurm_error: None,
        }
    }

    fn line(&mut self, t: f64, s: impl AsRef<str>) {
        if self.log.len() >= LOG_LINES {
            self.log.pop_front();
        }
        let text = crate::sanitize::clean(s.as_ref()).into_owned();
        self.log.push_back(format!("{} {text}", clock(t)));
    }

    /// The job's name in lists: a new training run is named by its folder once it has one.
    pub fn title(&self) -> String {
        match (&self.spec, &self.run_dir) {
            (JobSpec::Train(t), Some(d)) if t.resume.is_none() && t.name.is_none() => {
                let leaf = d
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!("train {}", crate::sanitize::clean(&leaf))
            }
            _ => self.spec.describe(),
        }
    }

    /// Seconds left at the current rate, when it can be told.
    pub fn remaining(&self) -> Option<f64> {
        let p = self.progress?;
        let r = self.rate.filter(|r| *r > 0.0 && r.is_finite())?;
        (self.state == JobState::Running).then(|| p.total.saturating_sub(p.done) as f64 / r)
    }

    fn set_progress(&mut self, t: f64, done: u64, total: u64, unit: &'static str) {
        if self.unit != unit {
            self.rate_from = None;
            self.rate = None;
        }
        self.unit = unit;
        self.progress = Some(Progress { done, total });
        match self.rate_from {
            None => self.rate_from = Some((t, done)),
            Some((t0, d0)) if t > t0 && done > d0 => {
                self.rate = Some((done - d0) as f64 / (t - t0));
            }
            Some((_, d0)) if done < d0 => self.rate_from = Some((t, done)),
            _ => {}
        }
    }

    fn apply(&mut self, t: f64, body: JobBody) {
        self.elapsed = self.elapsed.max(t);
        match body {
            JobBody::Placed { dir, at } => {
                if self.run_dir.as_ref() != Some(&dir) {
                    self.line(t, format!("folder: {}", dir.display()));
                    self.run_dir = Some(dir);
                }
                if at.is_some() && at != self.at {
                    self.line(t, format!("worker {}", at.as_deref().unwrap_or_default()));
                    self.at = at;
                }
            }
            JobBody::Event(e) => self.event(t, e),
            JobBody::Slurm { view, error } => {
                if view.is_some() {
                    self.slurm = view;
                }
                self.slurm_error = error;
            }
            JobBody::Ended(end) => {
                let (state, text) = match end {
                    JobEnd::Completed(s) => (JobState::Completed, s),
                    JobEnd::Canceled(s) => (JobState::Canceled, s),
                    JobEnd::Failed(e) => (JobState::Failed(e.clone()), format!("failed: {e}")),
                };
                self.phase = state.label().to_lowercase();
                self.state = state;
                self.line(t, text);
            }
        }
    }

    fn event(&mut self, t: f64, e: JobEvent) {
        // Lines about the job (SLURM's word while it waits, a warning) do not make it run.
        let about = matches!(&e, JobEvent::Info(_) | JobEvent::Warning(_))
            || matches!(&e, JobEvent::Phase(p) if p.starts_with("SLURM "));
        if self.state == JobState::Queued && !about {
            self.state = JobState::Running;
        }
        match e {
            JobEvent::Device { name, reason } => {
                self.line(t, format!("device: {name} ({reason})"));
                self.device = Some((name, reason));
            }
            JobEvent::Warning(w) => {
                self.warnings += 1;
                self.line(t, format!("warning: {w}"));
            }
            JobEvent::RunDir(d) => {
                self.line(t, format!("run: {}", d.display()));
                self.run_dir = Some(d);
            }
            JobEvent::Phase(p) => {
                self.line(t, format!("phase: {p}"));
                self.phase = p;
            }
            JobEvent::Step {
                epoch,
                epochs,
                step,
                batches,
                loss,
                ..
            } => {
                self.epoch = Some((epoch + 1, epochs));
                self.loss = Some(loss);
                self.set_progress(t, step, (epochs * batches) as u64, "steps");
            }
            JobEvent::Validation {
                epoch, loss, rmse, ..
            } => {
                self.val = Some((loss, rmse));
                self.line(
                    t,
                    format!("epoch {}: val loss {loss:.6} rmse {rmse:.2}", epoch + 1),
                );
            }
            JobEvent::Frames {
                source,
                done,
                total,
            } => {
                if self.source.as_deref() != Some(source.as_str()) {
                    self.line(t, format!("predicting {source}"));
                    self.rate_from = None;
                    self.source = Some(source);
                }
                let total = total.unwrap_or(done) as u64;
                self.set_progress(t, done as u64, total, "frames");
            }
            JobEvent::Info(i) => self.line(t, i),
        }
    }
}

/// `mm:ss` (or `h:mm:ss`) for a number of seconds.
pub fn clock(secs: f64) -> String {
    let s = if secs.is_finite() && secs > 0.0 {
        secs.round() as u64
    } else {
        0
    };
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// Every job of this session, oldest first, and the Jobs view's selection.
#[derive(Debug, Clone, Default)]
pub struct JobList {
    pub jobs: Vec<JobRecord>,
    pub selected: usize,
    next_id: u64,
}

impl JobList {
    pub fn get(&self, id: u64) -> Option<&JobRecord> {
        self.jobs.iter().find(|j| j.id == id)
    }
    pub fn running(&self) -> Option<&JobRecord> {
        self.jobs.iter().find(|j| j.state == JobState::Running)
    }
    pub fn counts(&self) -> (usize, usize) {
        let r = self
            .jobs
            .iter()
            .filter(|j| j.state == JobState::Running)
            .count();
        let q = self
            .jobs
            .iter()
            .filter(|j| j.state == JobState::Queued)
            .count();
        (r, q)
    }
    /// The job writing or reading run folder `dir`, if it is queued or running.
    pub fn active_for(&self, dir: &std::path::Path) -> Option<&JobRecord> {
        self.jobs
            .iter()
            .find(|j| !j.state.is_done() && j.run_dir.as_deref() == Some(dir))
    }
    pub fn selected_job(&self) -> Option<&JobRecord> {
        self.jobs
            .get(self.selected.min(self.jobs.len().saturating_sub(1)))
    }
}

/// Adds a job and hands it to the runner, which queues it as a detached job: it starts when
/// the project's scheduler has a free device slot.
pub fn submit(app: &mut App, spec: JobSpec) -> u64 {
    let l = &mut app.jobs;
    l.next_id += 1;
    let id = l.next_id;
    let what = spec.describe();
    l.jobs.push(JobRecord::new(id, spec.clone()));
    l.selected = l.jobs.len() - 1;
    let slurm = matches!(&spec, JobSpec::Train(t) if t.slurm.is_some());
    app.push(Effect::StartJob { id, spec });
    app.info(if slurm {
        format!("submitting to SLURM: {what} (it runs on the cluster; this view follows it)")
    } else {
        format!("queued: {what} (a detached job: it keeps running when the workstation quits)")
    });
    id
}

/// Adds a job found in the project's folders (its progress follows from its folder).
pub fn attach(app: &mut App, spec: JobSpec, dir: PathBuf) -> u64 {
    let l = &mut app.jobs;
    l.next_id += 1;
    let id = l.next_id;
    let mut j = JobRecord::new(id, spec);
    j.run_dir = Some(dir);
    l.jobs.push(j);
    id
}

/// Jobs not ended (queued or running).
pub fn active(l: &JobList) -> usize {
    l.jobs.iter().filter(|j| !j.state.is_done()).count()
}

/// Applies one job message; a finished job lets the next queued one start.
pub fn on_msg(app: &mut App, m: JobMsg) -> bool {
    let ended = matches!(m.body, JobBody::Ended(_));
    let Some(j) = app.jobs.jobs.iter_mut().find(|j| j.id == m.id) else {
        return false;
    };
    let new_dir = matches!(
        &m.body,
        JobBody::Event(JobEvent::RunDir(_)) | JobBody::Placed { at: None, .. }
    );
    j.apply(m.t, m.body);
    let dir = j.run_dir.clone();
    let ended_text = ended.then(|| format!("{}: {}", j.title(), j.phase));
    if let (true, Some(d)) = (ended || new_dir, dir) {
        app.push(Effect::RefreshRun(d));
    }
    if let Some(text) = ended_text {
        app.info(text);
    }
    true
}

/// Asks to cancel job `id` (after the confirm popup): a queued job is taken off the queue,
/// a running one gets SIGINT (it finishes its step and saves a checkpoint); the job's end
/// arrives from its folder.
pub fn cancel(app: &mut App, id: u64) {
    let Some(j) = app.jobs.jobs.iter_mut().find(|j| j.id == id) else {
        return;
    };
    match j.state {
        JobState::Queued => {
            j.cancel_requested = true;
            j.phase = "canceling".into();
            let t = j.elapsed;
            j.line(t, "cancel requested: taken off the queue");
            app.push(Effect::CancelJob(id));
        }
        JobState::Running => {
            j.cancel_requested = true;
            j.phase = "canceling".into();
            let t = j.elapsed;
            j.line(t, "cancel requested: stopping after the current step");
            app.push(Effect::CancelJob(id));
        }
        _ => {}
    }
}

/// Opens the confirm popup for canceling job `id`.
pub fn confirm_cancel(app: &mut App, id: u64) {
    let Some(j) = app.jobs.get(id) else { return };
    if j.state.is_done() {
        let s = j.state.label();
        app.error(format!("job {id} is already {s}"));
        return;
    }
    let what = j.title();
    let tail = if j.spec.is_train() && j.state == JobState::Running {
        " It stops after the current step; resume it later from the Models view."
    } else {
        ""
    };
    app.overlay = Overlay::Confirm {
        text: format!("Cancel job {id} ({what})?{tail}"),
        action: Confirmable::CancelJob(id),
    };
}

/// Keys of the Jobs view.
pub fn on_action(app: &mut App, a: Action) {
    let n = app.jobs.jobs.len();
    let l = &mut app.jobs;
    match a {
        Action::Down => l.selected = (l.selected + 1).min(n.saturating_sub(1)),
        Action::Up => l.selected = l.selected.saturating_sub(1),
        Action::Top => l.selected = 0,
        Action::Bottom => l.selected = n.saturating_sub(1),
        Action::CancelJob => match app.jobs.selected_job().map(|j| j.id) {
            Some(id) => confirm_cancel(app, id),
            None => app.error("no job selected"),
        },
        _ => {}
    }
}
