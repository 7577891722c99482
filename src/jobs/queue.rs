//! The scheduler of a project (`posedeck jobs run`, or started detached by `--detach` and by
//! the workstation): holds the project's lock, starts each queued job (in creation order) in
//! a free device slot with its worker pinned to the slot's device, records where it runs in
//! the job file, and when a worker it started exits without writing its end, writes the end
//! (FAILED, with the exit status) so the next job can take the slot. A job is claimed
//! (`O_EXCL`) before it is started, so no two schedulers ever start it twice.

use super::events::{Body, EventsWriter, Outcome};
use super::job_file::{self, JobFile, JobKind, Started, Target, this_host};
use super::list::{self, JobInfo, State};
use super::lock::SchedulerLock;
use super::slots::{self, Slot};
use crate::formats::config::{RunState, TrainStatus};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The scheduler's log folder inside the project.
pub fn state_dir(project: &Path) -> PathBuf {
    project.join(".posedeck")
}

struct Running {
    dir: PathBuf,
    slot: usize,
    attempt: u32,
    child: Child,
}

/// The device a job asked for (`auto` when it did not say).
fn asked_device(job: &JobFile) -> String {
    job.request
        .get("device")
        .and_then(|d| d.as_str())
        .unwrap_or("auto")
        .to_string()
}

/// Writes the end of a job that did not write its own (it never started, or its worker died).
pub fn write_end(dir: &Path, kind: Option<JobKind>, outcome: Outcome, message: &str) {
    if let Ok(mut w) = EventsWriter::open(dir) {
        let _ = w.write(Body::End {
            outcome,
            message: message.to_string(),
        });
    }
    if kind == Some(JobKind::Train) {
        let state = match outcome {
            Outcome::Completed => RunState::Completed,
            Outcome::Failed => RunState::Failed,
            Outcome::Canceled => RunState::Canceled,
        };
        let _ = TrainStatus::new(state).save(&dir.join("train_status.json"));
    }
    if outcome == Outcome::Failed {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(super::worker::STDERR_LOG))
        {
            let _ = writeln!(f, "FAILED: {message}");
        }
    }
}

/// How a worker process ended, in words.
fn exit_words(st: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("signal {s}{}", if s == 9 { " (SIGKILL)" } else { "" }),
        _ => "an unknown status".into(),
    }
}

/// The project's scheduler.
pub struct Scheduler {
    project: PathBuf,
    slots: Vec<Slot>,
    lock: SchedulerLock,
    running: Vec<Running>,
    me: String,
}

impl Scheduler {
    /// Takes the project's lock (`None`: another scheduler holds it).
    pub fn new(project: &Path, slots: Vec<Slot>) -> Result<Option<Scheduler>> {
        let project = std::path::absolute(project).unwrap_or_else(|_| project.to_path_buf());
        let Some(lock) = SchedulerLock::try_acquire(&project)? else {
            return Ok(None);
        };
        Ok(Some(Scheduler {
            project,
            slots,
            lock,
            running: Vec::new(),
            me: job_file::me(),
        }))
    }

    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// Reaps the workers this scheduler started; one that ended without its end record gets
    /// one (FAILED, how it exited).
    fn reap(&mut self, log: &mut dyn FnMut(String)) {
        let mut i = 0;
        while i < self.running.len() {
            match self.running[i].child.try_wait() {
                Ok(Some(st)) => {
                    let r = self.running.swap_remove(i);
                    let records = super::events::read_all(&r.dir.join(super::events::EVENTS_FILE))
                        .map(|(recs, _)| recs)
                        .unwrap_or_default();
                    let ended = list::summarize(&records, r.attempt).end;
                    let job = JobFile::load(&r.dir).ok();
                    // Queued again (resumed) since: the new attempt's status is not touched.
                    let current = job.as_ref().is_some_and(|j| j.attempt == r.attempt);
                    if let Some(end) = ended {
                        log(format!("{}: {}", r.dir.display(), end.outcome.label()));
                    } else {
                        let msg = format!(
                            "the worker (pid {}) ended with {} without writing its end{}",
                            r.child.id(),
                            exit_words(st),
                            list::log_tail(&r.dir.join(super::worker::STDERR_LOG), 1)
                                .first()
                                .map(|l| format!("; last log line: {}", l.trim()))
                                .unwrap_or_default()
                        );
                        // An end written now would follow the new attempt's start: only the log
                        // tells of an old attempt's worker.
                        if current {
                            write_end(&r.dir, job.as_ref().map(|j| j.kind), Outcome::Failed, &msg);
                        }
                        log(format!("{}: FAILED: {msg}", r.dir.display()));
                    }
                }
                Ok(None) => i += 1,
                Err(_) => i += 1,
            }
        }
    }

    /// One round: heartbeat, reap, start what fits. Returns the jobs as listed and whether
    /// anything is queued or running.
    pub fn tick(&mut self, log: &mut dyn FnMut(String)) -> Result<bool> {
        if !self.lock.heartbeat()? {
            return Err(Error::usage(format!(
                "{}: the scheduler lock was taken over by another scheduler",
                super::lock::lock_path(&self.project).display()
            )));
        }
        self.reap(log);
        let jobs = list::list_local(&self.project);
        let host = this_host();
        let mut busy: Vec<bool> = vec![false; self.slots.len()];
        for r in &self.running {
            busy[r.slot] = true;
        }
        // Workers still running from an earlier scheduler on this host hold their slots.
        for j in jobs.iter().filter(|j| j.state.is_active()) {
            if j.where_
                .as_deref()
                .is_some_and(|w| w.ends_with(&format!("@{host}")))
                && let Some(i) = self
                    .slots
                    .iter()
                    .position(|s| Some(&s.name) == j.slot.as_ref())
            {
                busy[i] = true;
            }
        }
        let have_gpu = self.slots.iter().any(|s| s.gpu.is_some());
        let mut waiting = false;
        for j in jobs.iter().filter(|j| j.state == State::Pending) {
            // SLURM runs the jobs prepared for it (the job file says so from its first
            // write) and those submitted to it (older folders: their script or record).
            let Ok(job) = JobFile::load(&j.dir) else {
                continue;
            };
            if job.target == Target::Slurm || crate::jobs::slurm::submit::is_slurm_dir(&j.dir) {
                continue;
            }
            let device = asked_device(&job);
            if let Some(why) = slots::never_fits(&device, &self.slots) {
                if job_file::claim(&j.dir, job.attempt, &self.me)? {
                    write_end(&j.dir, Some(job.kind), Outcome::Failed, &why);
                    log(format!("{}: FAILED: {why}", j.dir.display()));
                }
                continue;
            }
            let free = (0..self.slots.len())
                .find(|&i| !busy[i] && slots::fits(&device, &self.slots[i], have_gpu));
            let Some(i) = free else {
                waiting = true;
                continue;
            };
            if !job_file::claim(&j.dir, job.attempt, &self.me)? {
                continue;
            }
            busy[i] = true;
            self.start(j, job, i, log);
        }
        let active = jobs.iter().any(|j| j.state.is_active()) || !self.running.is_empty();
        Ok(waiting || active)
    }

    fn start(&mut self, j: &JobInfo, mut job: JobFile, i: usize, log: &mut dyn FnMut(String)) {
        let slot = &self.slots[i];
        match super::worker::spawn(&j.dir, job.kind, &slot.device) {
            Ok(child) => {
                job.started = Some(Started {
                    pid: child.id(),
                    host: this_host(),
                    device: slot.device.clone(),
                    slot: slot.name.clone(),
                    time: super::events::now(),
                    attempt: job.attempt,
                    by: self.me.clone(),
                });
                if let Err(e) = job.save(&j.dir) {
                    log(format!("{}: {e}", j.dir.display()));
                }
                log(format!(
                    "{}: started {} (pid {}) on {}",
                    j.dir.display(),
                    job.id,
                    child.id(),
                    slot.name
                ));
                self.running.push(Running {
                    dir: j.dir.clone(),
                    slot: i,
                    attempt: job.attempt,
                    child,
                });
            }
            Err(e) => {
                let msg = format!("cannot start its worker: {e}");
                write_end(&j.dir, Some(job.kind), Outcome::Failed, &msg);
                log(format!("{}: FAILED: {msg}", j.dir.display()));
            }
        }
    }

    /// Runs until nothing is queued or running (or `stop` is set: then it returns at once,
    /// leaving the workers running). The lock is released on return.
    pub fn run(mut self, stop: &AtomicBool, log: &mut dyn FnMut(String)) -> Result<()> {
        loop {
            let more = self.tick(log)?;
            if !more || stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            for _ in 0..10 {
                if stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Starts a detached scheduler (`posedeck jobs run PROJECT`) when no live one holds the
/// project's lock; its output goes to `<project>/.posedeck/train_stdout.log` / `_stderr.log`.
/// Returns its pid, or `None` when one runs already.
pub fn ensure_scheduler(project: &Path) -> Result<Option<u32>> {
    if super::lock::held(project) {
        return Ok(None);
    }
    let dir = state_dir(project);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let project = std::path::absolute(project).unwrap_or_else(|_| project.to_path_buf());
    let args: Vec<std::ffi::OsString> =
        vec!["jobs".into(), "run".into(), project.as_os_str().to_owned()];
    let mut child = super::worker::spawn_detached(&dir, &args)?;
    let pid = child.id();
    // Reaped by a thread so it leaves no zombie while this process lives on (the workstation).
    let _ = std::thread::Builder::new()
        .name("scheduler-reaper".into())
        .spawn(move || {
            let _ = child.wait();
        });
    Ok(Some(pid))
}
