//! SLURM's side of a followed job folder: every [`SLURM_CHECK`] the folder's `slurm_job.json`
//! (if any) is looked up with one squeue call, its summary (`PENDING (Priority)`, `RUNNING on
//! node1, 0:12 of 1:00:00`) forwarded when it changes, and a final SLURM state whose worker
//! never wrote its end (scancel before it started, a time limit, a lost node) ends the job
//! with SLURM's reason instead of leaving it TRAINING.

use crate::engine::JobEvent;
use crate::tui::state::job_list::{JobBody, JobEnd};
use std::path::Path;
use std::time::{Duration, Instant};

/// squeue is asked at most this often per job (controllers are shared).
pub const SLURM_CHECK: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct SlurmFollow {
    /// How often to ask (default [`SLURM_CHECK`]).
    every: Option<Duration>,
    last: Option<Instant>,
    seen: String,
    /// Not a SLURM job (no `slurm_job.json`): never asked again.
    local: bool,
    /// SLURM said the job ended: the worker's end record, if it wrote one, is read before the
    /// next check; only then does SLURM's word end the job.
    final_seen: bool,
}

impl SlurmFollow {
    /// Asking every `d` (tests).
    pub fn every(d: Duration) -> SlurmFollow {
        SlurmFollow {
            every: Some(d),
            ..Default::default()
        }
    }

    /// What to forward now; the bool says whether the job ended on SLURM's word (then the
    /// last body is the end).
    pub fn check(&mut self, dir: &Path) -> (Vec<JobBody>, bool) {
        let every = self.every.unwrap_or(SLURM_CHECK);
        if self.local || self.last.is_some_and(|t| t.elapsed() < every) {
            return (Vec::new(), false);
        }
        self.last = Some(Instant::now());
        let Some(view) = crate::jobs::slurm::view_for_run(dir) else {
            self.local = true;
            return (Vec::new(), false);
        };
        let mut out = Vec::new();
        let v = match view {
            Ok(v) => v,
            Err(e) => {
                let line = format!("SLURM: {e}");
                if line != self.seen {
                    out.push(JobBody::Event(JobEvent::Warning(line.clone())));
                    self.seen = line;
                }
                return (out, false);
            }
        };
        let line = format!("SLURM job {}: {}", v.job_id, v.summary);
        if line != self.seen {
            out.push(JobBody::Event(JobEvent::Info(line.clone())));
            if v.state == "PENDING" {
                out.push(JobBody::Event(JobEvent::Phase(format!(
                    "SLURM {}",
                    v.summary
                ))));
            }
            self.seen = line.clone();
        }
        if !crate::jobs::slurm::state::is_final(&v.state) {
            return (out, false);
        }
        if !self.final_seen {
            self.final_seen = true;
            return (out, false);
        }
        out.push(JobBody::Ended(match v.state.as_str() {
            "CANCELLED" => JobEnd::Canceled(line),
            _ => JobEnd::Failed(format!("{line} (the worker wrote no end)")),
        }));
        (out, true)
    }
}
