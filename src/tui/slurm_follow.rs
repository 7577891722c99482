//! SLURM's side of a followed job folder: the folder's `slurm_job.json` (if any) is looked up
//! through the shared poller ([`crate::jobs::slurm::poller`]: one squeue call every 10 s for
//! all followed folders, never one per job). SLURM's view is forwarded when it changes (with
//! its summary in the log: `PENDING (Priority)`, `RUNNING on node1, 0:12 of 1:00:00`), and
//! when SLURM cannot be asked the job keeps its last known view beside the error. A final
//! SLURM state whose worker never wrote its end (scancel before it started, a time limit, a
//! lost node) ends the job with SLURM's reason instead of leaving it TRAINING; a predict
//! array, whose tasks write no end of the job, ends on SLURM's word.

use crate::engine::JobEvent;
use crate::jobs::slurm::SlurmView;
use crate::jobs::slurm::poller::{self, Answer, Poller};
use crate::tui::state::job_list::{JobBody, JobEnd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// squeue is asked at most this often (controllers are shared).
pub const SLURM_CHECK: Duration = poller::EVERY;

#[derive(Default)]
pub struct SlurmFollow {
    /// Its own poller (tests); `None`: the workstation's shared one.
    own: Option<Arc<Poller>>,
    dir: Option<PathBuf>,
    /// The last poll seen.
    poll: u64,
    sent: Option<(Option<SlurmView>, Option<String>)>,
    seen_line: String,
    seen_error: Option<String>,
    /// Not a SLURM job (no `slurm_job.json`): never asked again.
    local: bool,
    /// SLURM said the job ended: the worker's end record, if it wrote one, is read before the
    /// next check; only then does SLURM's word end the job.
    final_seen: bool,
}

impl Drop for SlurmFollow {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            self.poller().forget(d);
        }
    }
}

impl SlurmFollow {
    /// Polling every `d` with a poller of its own (tests).
    pub fn every(d: Duration) -> SlurmFollow {
        let mut f = SlurmFollow::default();
        f.own = Some(Arc::new(Poller::new(d)));
        f
    }

    fn poller(&self) -> &Poller {
        self.own.as_deref().unwrap_or_else(|| poller::shared())
    }

    /// Whether the folder is a SLURM job (as far as known).
    pub fn is_slurm(&self) -> bool {
        self.dir.is_some() && !self.local
    }

    /// SLURM holds the job back (PENDING, REQUEUED, SUSPENDED): its worker writes nothing
    /// until SLURM starts it, so its folder can be looked at less often.
    pub fn is_waiting(&self) -> bool {
        self.sent
            .as_ref()
            .and_then(|(v, _)| v.as_ref())
            .is_some_and(|v| matches!(v.state.as_str(), "PENDING" | "REQUEUED" | "SUSPENDED"))
    }

    /// After the worker wrote its end: SLURM's view is forwarded until SLURM says the job
    /// ended too (at most `limit`), so the Jobs view shows SLURM's final word (COMPLETED,
    /// TIMEOUT ...) rather than the last RUNNING it saw.
    pub fn linger(
        &mut self,
        dir: &Path,
        send: &dyn Fn(JobBody),
        stop: &std::sync::atomic::AtomicBool,
        limit: Duration,
    ) {
        let t0 = std::time::Instant::now();
        while !stop.load(std::sync::atomic::Ordering::Relaxed) && t0.elapsed() < limit {
            let (bodies, _) = self.check(dir);
            for b in bodies {
                if !matches!(b, JobBody::Ended(_)) {
                    send(b);
                }
            }
            let settled = self
                .sent
                .as_ref()
                .and_then(|(v, _)| v.as_ref())
                .is_some_and(SlurmView::is_final);
            if self.local || settled {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// What to forward now; the bool says whether the job ended on SLURM's word (then the
    /// last body is the end).
    pub fn check(&mut self, dir: &Path) -> (Vec<JobBody>, bool) {
        if self.local {
            return (Vec::new(), false);
        }
        self.dir.get_or_insert_with(|| dir.to_path_buf());
        let seen = match self.poller().ask(dir) {
            Answer::NotSlurm => {
                self.local = true;
                return (Vec::new(), false);
            }
            Answer::NotYet => return (Vec::new(), false),
            Answer::Known(s) => s,
        };
        if seen.poll == self.poll {
            return (Vec::new(), false);
        }
        self.poll = seen.poll;
        let mut out = Vec::new();
        let now = (seen.view.clone(), seen.error.clone());
        if self.sent.as_ref() != Some(&now) {
            out.push(JobBody::Slurm {
                view: now.0.clone(),
                error: now.1.clone(),
            });
            self.sent = Some(now);
        }
        if seen.error != self.seen_error {
            if let Some(e) = &seen.error {
                out.push(JobBody::Event(JobEvent::Warning(format!(
                    "SLURM unreachable: {e}"
                ))));
            } else if self.seen_error.is_some() {
                out.push(JobBody::Event(JobEvent::Info("SLURM answers again".into())));
            }
            self.seen_error = seen.error.clone();
        }
        let Some(v) = seen.view.filter(|_| seen.error.is_none()) else {
            return (out, false);
        };
        let line = format!("SLURM job {}: {}", v.job_id, v.summary);
        if line != self.seen_line {
            out.push(JobBody::Event(JobEvent::Info(line.clone())));
            if v.state == "PENDING" {
                out.push(JobBody::Event(JobEvent::Phase(format!(
                    "SLURM {}",
                    v.summary
                ))));
            }
            self.seen_line = line.clone();
        }
        if !v.is_final() {
            return (out, false);
        }
        if !self.final_seen {
            self.final_seen = true;
            return (out, false);
        }
        let array = v.array_size.is_some();
        out.push(JobBody::Ended(match v.state.as_str() {
            "CANCELLED" => JobEnd::Canceled(line),
            "COMPLETED" if array => JobEnd::Completed(line),
            _ if array => JobEnd::Failed(line),
            _ => JobEnd::Failed(format!("{line} (the worker wrote no end)")),
        }));
        (out, true)
    }
}
