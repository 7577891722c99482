//! The workstation's jobs are detached worker processes (see [`crate::jobs`]): a job the app
//! submits is written as a PENDING job folder (`jobs::pending`), the project's scheduler is
//! started when none holds its lock, and a follower thread per job reads what the worker
//! appends to the folder's progress stream and forwards it to the app's channel as
//! [`Msg::Job`], stamped with the seconds since the worker started. Jobs found in the
//! project's folders when it opens are followed the same way (attach on reopen), so any
//! workstation shows the same progress. Cancel sends SIGINT to the worker; quitting leaves
//! the workers running unless the user asks to cancel them.

use crate::jobs::events::{Body, EventsReader, Outcome};
use crate::tui::job_prepare::{prepare, spec_of};
use crate::tui::msg::Msg;
use crate::tui::state::job_list::{JobBody, JobEnd, JobMsg, JobSpec};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a follower looks for appended progress.
const POLL: Duration = Duration::from_millis(250);
/// The same while SLURM holds the job back (its worker has not started).
const SLURM_WAIT_POLL: Duration = Duration::from_secs(1);
/// How often a follower without news checks that the worker still lives.
const ALIVE_CHECK: Duration = Duration::from_secs(2);
/// The same for a job SLURM runs.
const SLURM_ALIVE_CHECK: Duration = Duration::from_secs(30);
/// How long SLURM's view is followed after the worker's end, for SLURM's final word.
const SLURM_LINGER: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Followed {
    /// The job folder, once written.
    dir: Option<PathBuf>,
    /// Cancel asked before the folder existed.
    cancel_asked: bool,
    done: bool,
}

/// The jobs this workstation follows.
pub struct JobRunner {
    tx: Sender<Msg>,
    jobs: Arc<Mutex<HashMap<u64, Followed>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

type Send = Arc<dyn Fn(u64, f64, JobBody) + std::marker::Send + Sync>;

impl JobRunner {
    pub fn new(tx: Sender<Msg>) -> JobRunner {
        JobRunner {
            tx,
            jobs: Arc::default(),
            stop: Arc::default(),
            threads: Vec::new(),
        }
    }

    fn sender(&self) -> Send {
        let tx = self.tx.clone();
        Arc::new(move |id, t, body| {
            let _ = tx.send(Msg::Job(JobMsg { id, t, body }));
        })
    }

    fn spawn(&mut self, f: impl FnOnce() + std::marker::Send + 'static) {
        if let Ok(h) = std::thread::Builder::new()
            .name("job-follower".into())
            .spawn(f)
        {
            self.threads.push(h);
        }
    }

    /// Queues job `id` (writes its folder, makes sure a scheduler runs) and follows it.
    pub fn start(&mut self, id: u64, spec: &JobSpec) {
        let send = self.sender();
        let jobs = self.jobs.clone();
        let stop = self.stop.clone();
        jobs_lock(&jobs).insert(id, Followed::default());
        let spec = spec.clone();
        self.spawn(move || {
            let dir = match prepare(&spec) {
                Ok(d) => d,
                Err(e) => {
                    send(id, 0.0, JobBody::Ended(JobEnd::Failed(e)));
                    return;
                }
            };
            let cancel_asked = {
                let mut m = jobs_lock(&jobs);
                let f = m.entry(id).or_default();
                f.dir = Some(dir.clone());
                f.cancel_asked
            };
            send(
                id,
                0.0,
                JobBody::Placed {
                    dir: dir.clone(),
                    at: None,
                },
            );
            // SLURM runs what was submitted to it; the project's scheduler the rest.
            if let Ok(job) = crate::jobs::job_file::JobFile::load(&dir)
                && job.target == crate::jobs::job_file::Target::Local
                && let Err(e) = crate::jobs::queue::ensure_scheduler(&job.project)
            {
                send(
                    id,
                    0.0,
                    JobBody::Event(crate::engine::JobEvent::Warning(format!(
                        "cannot start the scheduler: {e}"
                    ))),
                );
            }
            if cancel_asked {
                cancel_dir(id, &dir, &send);
            }
            follow(id, &dir, &send, &stop, &jobs);
        });
    }

    /// Follows an existing job folder as job `id` (attach on reopen).
    pub fn follow(&mut self, id: u64, dir: PathBuf) {
        let send = self.sender();
        let jobs = self.jobs.clone();
        let stop = self.stop.clone();
        jobs_lock(&jobs).insert(
            id,
            Followed {
                dir: Some(dir.clone()),
                ..Followed::default()
            },
        );
        self.spawn(move || follow(id, &dir, &send, &stop, &jobs));
    }

    /// The job folders followed.
    pub fn dirs(&self) -> Vec<PathBuf> {
        jobs_lock(&self.jobs)
            .values()
            .filter_map(|f| f.dir.clone())
            .collect()
    }

    /// Cancels job `id`: SIGINT to its worker, or off the queue.
    pub fn cancel(&mut self, id: u64) {
        let dir = {
            let mut m = jobs_lock(&self.jobs);
            let f = m.entry(id).or_default();
            if f.dir.is_none() {
                f.cancel_asked = true;
            }
            f.dir.clone()
        };
        if let Some(dir) = dir {
            let send = self.sender();
            self.spawn(move || cancel_dir(id, &dir, &send));
        }
    }

    /// Jobs followed that have not ended.
    pub fn any_running(&self) -> bool {
        jobs_lock(&self.jobs).values().any(|f| !f.done)
    }

    /// On quit: the followers stop (the workers go on). A scheduler is left running when
    /// jobs are still queued.
    pub fn shutdown(&mut self, limit: Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let until = Instant::now() + limit;
        while self.threads.iter().any(|h| !h.is_finished()) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn jobs_lock(
    m: &Mutex<HashMap<u64, Followed>>,
) -> std::sync::MutexGuard<'_, HashMap<u64, Followed>> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn cancel_dir(id: u64, dir: &Path, send: &Send) {
    if let Err(e) = crate::jobs::cancel::cancel(dir) {
        send(
            id,
            0.0,
            JobBody::Event(crate::engine::JobEvent::Warning(format!("cancel: {e}"))),
        );
    }
}

/// The engine event of a progress record (`None` for start and end).
fn event_of(b: Body) -> Option<crate::engine::JobEvent> {
    use crate::engine::JobEvent as E;
    Some(match b {
        Body::Start { .. } | Body::End { .. } => return None,
        Body::Device { name, reason } => E::Device { name, reason },
        Body::Phase { phase } => E::Phase(phase),
        Body::Step {
            epoch,
            epochs,
            step,
            batch,
            batches,
            loss,
        } => E::Step {
            epoch,
            epochs,
            step,
            batch,
            batches,
            loss,
        },
        Body::Validation {
            epoch,
            step,
            loss,
            rmse,
        } => E::Validation {
            epoch,
            step,
            loss,
            rmse,
        },
        Body::Frames {
            source,
            done,
            total,
        } => E::Frames {
            source,
            done,
            total,
        },
        Body::Warning { message } => E::Warning(message),
        Body::Info { message } => E::Info(message),
    })
}

fn ended(o: Outcome, message: String) -> JobEnd {
    match o {
        Outcome::Completed => JobEnd::Completed(message),
        Outcome::Canceled => JobEnd::Canceled(message),
        Outcome::Failed => JobEnd::Failed(message),
    }
}

/// Forwards the job folder's progress until its end (or the workstation quits). An end
/// followed by a later start (a canceled run that was resumed) is history, not the end.
fn follow(
    id: u64,
    dir: &Path,
    send: &Send,
    stop: &AtomicBool,
    jobs: &Mutex<HashMap<u64, Followed>>,
) {
    let mut reader = EventsReader::new(dir.join(crate::jobs::events::EVENTS_FILE));
    let mut t0: Option<f64> = None;
    let mut last_check = Instant::now();
    let mut placed: Option<String> = None;
    let mut reported_bad = 0usize;
    // The attempt being followed: an end before its start is an earlier attempt's.
    let attempt = crate::jobs::job_file::JobFile::load(dir).map_or(0, |j| j.attempt);
    let mut current = false;
    let mut slurm = crate::tui::slurm_follow::SlurmFollow::default();
    let finish = |end: JobEnd, t: f64| {
        send(id, t, JobBody::Ended(end));
        if let Some(f) = jobs_lock(jobs).get_mut(&id) {
            f.done = true;
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let (recs, bad) = reader.read_new().unwrap_or_default();
        for b in bad.iter().take(3usize.saturating_sub(reported_bad)) {
            reported_bad += 1;
            send(
                id,
                0.0,
                JobBody::Event(crate::engine::JobEvent::Warning(b.to_string())),
            );
        }
        let mut news = !recs.is_empty();
        for r in recs {
            let t = r.time - *t0.get_or_insert(r.time);
            match r.body {
                Body::Start {
                    pid,
                    host,
                    attempt: a,
                } => {
                    current |= a >= attempt;
                    t0 = Some(r.time);
                    let at = format!("{pid}@{host}");
                    placed = Some(at.clone());
                    send(
                        id,
                        0.0,
                        JobBody::Placed {
                            dir: dir.to_path_buf(),
                            at: Some(at),
                        },
                    );
                }
                Body::End { outcome, message } if current => {
                    finish(ended(outcome, message), t);
                    slurm.linger(dir, &|b| send(id, t, b), stop, SLURM_LINGER);
                    return;
                }
                Body::End { outcome, message } => send(
                    id,
                    t,
                    JobBody::Event(crate::engine::JobEvent::Info(format!(
                        "{}: {message}",
                        outcome.label()
                    ))),
                ),
                other => {
                    if let Some(e) = event_of(other) {
                        send(id, t, JobBody::Event(e));
                    }
                }
            }
        }
        // A SLURM job's worker is SLURM's to watch (its state comes with each poll).
        let alive_every = if slurm.is_slurm() {
            SLURM_ALIVE_CHECK
        } else {
            ALIVE_CHECK
        };
        if !news && last_check.elapsed() >= alive_every {
            last_check = Instant::now();
            let info = crate::jobs::list::job_info(dir);
            if info.summary.end.is_none() && info.state.is_done() {
                let end = match info.state {
                    crate::jobs::list::State::Canceled => {
                        JobEnd::Canceled(info.message.unwrap_or_default())
                    }
                    _ => JobEnd::Failed(info.message.unwrap_or_else(|| "failed".into())),
                };
                finish(end, 0.0);
                return;
            }
            if placed.is_none()
                && let Some(at) = info.where_.clone()
            {
                placed = Some(at.clone());
                send(
                    id,
                    0.0,
                    JobBody::Placed {
                        dir: dir.to_path_buf(),
                        at: Some(at),
                    },
                );
                news = true;
            }
        }
        if !news {
            let (bodies, _) = slurm.check(dir);
            for b in bodies {
                match b {
                    JobBody::Ended(end) => {
                        finish(end, 0.0);
                        return;
                    }
                    b => send(id, 0.0, b),
                }
            }
            std::thread::sleep(if slurm.is_waiting() {
                SLURM_WAIT_POLL
            } else {
                POLL
            });
        }
    }
}

/// Follows every job of the project's folders that this workstation does not follow yet.
pub fn attach_all(app: &mut crate::tui::app::App, runner: &mut JobRunner, root: &Path) {
    let followed = runner.dirs();
    for dir in crate::jobs::job_file::job_dirs(root) {
        if followed.contains(&dir) {
            continue;
        }
        let Ok(job) = crate::jobs::job_file::JobFile::load(&dir) else {
            continue;
        };
        let id = crate::tui::state::job_list::attach(app, spec_of(&job), dir.clone());
        runner.follow(id, dir);
    }
}
