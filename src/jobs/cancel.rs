//! Canceling a job: a queued one is claimed (so no scheduler starts it) and written CANCELED;
//! a running one on this host gets SIGINT, and its worker finishes its step, saves a
//! resumable checkpoint and writes CANCELED itself. A worker on another host, a dead one or a
//! finished job is refused with the reason.

use super::job_file::{self, JobFile, this_host};
use super::list::{self, State};
use crate::project::procinfo::{PidState, pid_state};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a cancel did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Canceled {
    /// SIGINT was sent to the worker.
    Signaled { pid: u32 },
    /// It was queued; it is now CANCELED and will not start.
    Dequeued,
    /// `scancel` of its SLURM job (SLURM sends the worker SIGTERM).
    Slurm { job_id: u64 },
}

/// The job folder `target` names: a job folder path, or a job id of the project (posedeck's
/// or SLURM's).
pub fn find(project: &Path, target: &str) -> Result<PathBuf> {
    let p = Path::new(target);
    for cand in [p.to_path_buf(), project.join(p)] {
        if cand.join(job_file::JOB_FILE).is_file() {
            return Ok(std::path::absolute(&cand).unwrap_or(cand));
        }
    }
    if let Some(dir) = job_file::job_dirs(project).into_iter().find(|d| {
        JobFile::load(d).is_ok_and(|j| j.id == target)
            || crate::jobs::slurm::read_record(d)
                .is_ok_and(|r| r.is_some_and(|r| r.job_id.to_string() == target))
    }) {
        return Ok(dir);
    }
    if p.is_dir() {
        return Err(Error::invalid(
            p,
            "not a job folder (no posedeck_job.json): only jobs started with --detach, the queue or the workstation can be canceled here",
        ));
    }
    Err(Error::usage(format!(
        "{}: no job folder and no job with this id in {}",
        crate::sanitize::one_line(target),
        crate::util::escape_path(project)
    )))
}

/// Cancels the job in `dir`.
pub fn cancel(dir: &Path) -> Result<Canceled> {
    if let Some(rec) = crate::jobs::slurm::read_record(dir)? {
        crate::jobs::slurm::cancel::cancel_run(dir)?;
        return Ok(Canceled::Slurm { job_id: rec.job_id });
    }
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let info = list::job_info(dir);
        match info.state {
            State::Pending => {
                let job = JobFile::load(dir)?;
                if job_file::claim(dir, job.attempt, &format!("cancel {}", job_file::me()))? {
                    let mut job = JobFile::load(dir)?;
                    job.canceled = Some(super::events::now());
                    job.save(dir)?;
                    if job.kind == job_file::JobKind::Train {
                        let _ = crate::formats::config::TrainStatus::new(
                            crate::formats::config::RunState::Canceled,
                        )
                        .save(&dir.join("train_status.json"));
                    }
                    return Ok(Canceled::Dequeued);
                }
                // A scheduler claimed it this instant: wait for it to record the start.
            }
            State::Starting | State::Running => {
                let job = JobFile::load(dir)?;
                if let Some(st) = job.started.filter(|s| s.attempt == job.attempt) {
                    return signal(dir, &st, info.summary.pid);
                }
            }
            done => {
                return Err(Error::invalid(
                    dir,
                    format!("the job is {} already", done.label()),
                ));
            }
        }
        if Instant::now() > until {
            return Err(Error::invalid(
                dir,
                "claimed by a scheduler that has not started it in 10 s",
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(dir: &Path, st: &job_file::Started, pid: Option<u32>) -> Result<Canceled> {
    if st.host != this_host() {
        return Err(Error::invalid(
            dir,
            format!(
                "its worker runs on {} (pid {}): cancel it there",
                st.host, st.pid
            ),
        ));
    }
    let pid = pid.unwrap_or(st.pid);
    if !matches!(pid_state(pid as i64), PidState::Alive { .. }) {
        return Err(Error::invalid(
            dir,
            format!("its worker (pid {pid}) is not running"),
        ));
    }
    // SAFETY: kill has no memory effects; the pid was checked alive just above.
    if unsafe { libc::kill(pid as i32, libc::SIGINT) } != 0 {
        return Err(Error::io(dir, std::io::Error::last_os_error()));
    }
    Ok(Canceled::Signaled { pid })
}
