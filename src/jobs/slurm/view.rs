//! SLURM's view of posedeck's jobs, to show beside each run folder's own progress. One
//! `squeue --json --me` answers for every job listed; `sacct` is asked once for those squeue
//! no longer knows (it keeps finished jobs `MinJobAge` seconds). A final state once seen is
//! kept in the job folder (`slurm_state.json`), so it outlives both.

use super::client;
use super::parse;
use super::state::{Entry, Folded, fold, is_final};
use super::submit::{JobRecord, read_record};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The last final state seen, in the job folder.
pub const FINAL: &str = "slurm_state.json";

/// What SLURM says of one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlurmView {
    pub job_id: u64,
    pub array_size: Option<u32>,
    /// SLURM's state (`UNKNOWN` when no client could say).
    pub state: String,
    /// One line: `RUNNING on node1, 0:12 of 1:00:00`, `FAILED (exit 3)`, ...
    pub summary: String,
    pub tasks: Vec<super::state::Task>,
    /// squeue, sacct, recorded (the folder's `slurm_state.json`) or none.
    pub source: String,
    /// Why SLURM could not be asked (one line naming the command).
    pub error: Option<String>,
}

impl SlurmView {
    fn from_folded(rec: &JobRecord, f: Folded, source: &str) -> Self {
        SlurmView {
            job_id: rec.job_id,
            array_size: rec.array_size,
            state: f.state,
            summary: f.summary,
            tasks: f.tasks,
            source: source.into(),
            error: None,
        }
    }

    pub fn is_final(&self) -> bool {
        is_final(&self.state)
    }
}

/// The state to show for a run whose folder says `run_state` (train_status.json): the
/// folder's own word once it wrote its end or while the worker runs, SLURM's while the job
/// waits and when the worker died without writing its end (scancel, time limit, lost node).
pub fn shown_state(run_state: &str, v: &SlurmView) -> String {
    let run_done = matches!(run_state, "COMPLETED" | "DONE" | "CANCELED" | "FAILED");
    if run_done {
        return run_state.to_owned();
    }
    match v.state.as_str() {
        "RUNNING" | "COMPLETING" | "CONFIGURING" if !run_state.is_empty() => run_state.to_owned(),
        "UNKNOWN" if !run_state.is_empty() => run_state.to_owned(),
        s => s.to_owned(),
    }
}

/// Reads each folder's record and asks SLURM about all of them at once. Folders without a
/// record are left out.
pub fn views_of(dirs: &[PathBuf]) -> Vec<(PathBuf, Result<SlurmView>)> {
    let mut recs = Vec::new();
    let mut out = Vec::new();
    for d in dirs {
        match read_record(d) {
            Ok(Some(r)) => recs.push((d.clone(), r)),
            Ok(None) => {}
            Err(e) => out.push((d.clone(), Err(e))),
        }
    }
    let views = poll(&recs);
    out.extend(
        recs.into_iter()
            .map(|(d, _)| d)
            .zip(views.into_iter().map(Ok)),
    );
    out
}

/// The SLURM view of one job folder; `None` when it has no `slurm_job.json`.
pub fn view_for_run(dir: &Path) -> Option<Result<SlurmView>> {
    views_of(&[dir.to_path_buf()])
        .into_iter()
        .next()
        .map(|(_, v)| v)
}

/// One squeue call (and at most one sacct call) for all `jobs`, in order.
pub fn poll(jobs: &[(PathBuf, JobRecord)]) -> Vec<SlurmView> {
    let recorded: Vec<Option<Folded>> = jobs.iter().map(|(d, _)| read_final(d)).collect();
    let need: Vec<usize> = (0..jobs.len()).filter(|&i| recorded[i].is_none()).collect();
    let mut found: Vec<Option<(Folded, &str)>> = vec![None; jobs.len()];
    let mut error = None;
    if !need.is_empty() {
        match squeue() {
            Ok(entries) => {
                for &i in &need {
                    let r = &jobs[i].1;
                    found[i] = fold(&entries, r.job_id, r.array_size).map(|f| (f, "squeue"));
                }
            }
            Err(e) => error = Some(e.to_string()),
        }
    }
    let missing: Vec<usize> = need
        .iter()
        .copied()
        .filter(|&i| found[i].is_none())
        .collect();
    let mut sacct_error = None;
    if error.is_none() && !missing.is_empty() {
        let ids: Vec<u64> = missing.iter().map(|&i| jobs[i].1.job_id).collect();
        match sacct(&ids) {
            Ok(entries) => {
                for &i in &missing {
                    let r = &jobs[i].1;
                    found[i] = fold(&entries, r.job_id, r.array_size).map(|f| (f, "sacct"));
                }
            }
            Err(e) => sacct_error = Some(e.to_string()),
        }
    }
    let mut views = Vec::with_capacity(jobs.len());
    for (i, (dir, rec)) in jobs.iter().enumerate() {
        let v = if let Some(f) = recorded[i].clone() {
            SlurmView::from_folded(rec, f, "recorded")
        } else if let Some((f, src)) = found[i].take() {
            if is_final(&f.state) {
                write_final(dir, &f);
            }
            SlurmView::from_folded(rec, f, src)
        } else {
            let (summary, err) = match (&error, &sacct_error) {
                (Some(e), _) => (format!("UNKNOWN ({e})"), Some(e.clone())),
                (None, Some(e)) => (format!("UNKNOWN: not in squeue any more, and {e}"), None),
                (None, None) => ("UNKNOWN: neither squeue nor sacct knows it".into(), None),
            };
            SlurmView {
                job_id: rec.job_id,
                array_size: rec.array_size,
                state: "UNKNOWN".into(),
                summary: crate::sanitize::one_line(&summary),
                tasks: Vec::new(),
                source: "none".into(),
                error: err,
            }
        };
        views.push(v);
    }
    views
}

/// The user's jobs: `squeue --json --me`, else (no JSON plugin) `squeue --format`.
pub fn squeue() -> Result<Vec<Entry>> {
    let args = ["--json", "--me"];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let json = client::run("squeue", &args, None)?;
    let json_err = if json.success {
        match parse::squeue_json(&json.stdout, now) {
            Ok(e) => return Ok(e),
            Err(m) => m,
        }
    } else {
        let line = json.first_line();
        // A controller that cannot be reached answers the second form no better, and each
        // call waits for it (about 9 s): said at once.
        if unreachable(&json.stderr) {
            return Err(crate::Error::usage(format!(
                "{}: {line}",
                client::describe("squeue", &args)
            )));
        }
        line
    };
    let fmt = format!("--format={}", parse::SQUEUE_FORMAT);
    let args2 = ["--me", "--all", "--states=all", "--noheader", &fmt];
    match client::run_ok("squeue", &args2, None) {
        Ok(o) => parse::squeue_format(&o.stdout).map_err(|m| {
            crate::Error::usage(format!("{}: {m}", client::describe("squeue", &args2)))
        }),
        Err(_) => Err(crate::Error::usage(format!(
            "{}: {json_err}",
            client::describe("squeue", &args)
        ))),
    }
}

/// Whether a client's stderr says the controller could not be reached.
pub fn unreachable(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    s.contains("unable to contact slurm controller")
        || s.contains("connection refused")
        || s.contains("socket timed out")
}

/// `sacct` about `ids` (one call).
pub fn sacct(ids: &[u64]) -> Result<Vec<Entry>> {
    let list: Vec<String> = ids.iter().map(u64::to_string).collect();
    let j = list.join(",");
    let fmt = format!("--format={}", parse::SACCT_FORMAT);
    let args = ["-X", "--parsable2", "--noheader", "-j", &j, &fmt];
    let o = client::run_ok("sacct", &args, None)?;
    parse::sacct(&o.stdout)
        .map_err(|m| crate::Error::usage(format!("{}: {m}", client::describe("sacct", &args))))
}

fn read_final(dir: &Path) -> Option<Folded> {
    let b = crate::util::read_limited(&dir.join(FINAL), 16 << 20).ok()?;
    serde_json::from_slice::<Folded>(&b)
        .ok()
        .filter(|f| is_final(&f.state))
}

/// Keeps a final state; a folder that cannot be written only loses the cache.
fn write_final(dir: &Path, f: &Folded) {
    if let Ok(json) = serde_json::to_vec_pretty(f) {
        let _ = crate::util::write_atomic(&dir.join(FINAL), &json);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(state: &str) -> SlurmView {
        SlurmView {
            job_id: 1,
            array_size: None,
            state: state.into(),
            summary: state.into(),
            tasks: Vec::new(),
            source: "squeue".into(),
            error: None,
        }
    }

    #[test]
    fn a_dead_worker_shows_slurms_state() {
        assert_eq!(shown_state("TRAINING", &view("TIMEOUT")), "TIMEOUT");
        assert_eq!(shown_state("TRAINING", &view("CANCELLED")), "CANCELLED");
        assert_eq!(shown_state("TRAINING", &view("NODE_FAIL")), "NODE_FAIL");
        assert_eq!(shown_state("TRAINING", &view("RUNNING")), "TRAINING");
        assert_eq!(shown_state("PENDING", &view("PENDING")), "PENDING");
        assert_eq!(shown_state("CANCELED", &view("CANCELLED")), "CANCELED");
        assert_eq!(shown_state("COMPLETED", &view("COMPLETED")), "COMPLETED");
        assert_eq!(shown_state("TRAINING", &view("UNKNOWN")), "TRAINING");
    }
}
