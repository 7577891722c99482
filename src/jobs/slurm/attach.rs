//! SLURM's view added to the job list: one squeue call for every listed job that has a
//! `slurm_job.json`. A worker that SLURM ended without its end record (scancel, the time
//! limit, a lost node) is listed with SLURM's state and reason, never as running.

use super::view::{SlurmView, poll};
use crate::jobs::job_file::{JobKind, Target};
use crate::jobs::list::{JobInfo, State};
use std::path::PathBuf;

/// Sets `slurm` (and corrects `state`, `message` and `where`) of the SLURM jobs in `jobs`.
pub fn attach(jobs: &mut [JobInfo]) {
    let mut idx = Vec::new();
    let mut recs: Vec<(PathBuf, super::JobRecord)> = Vec::new();
    for (i, j) in jobs.iter_mut().enumerate() {
        match super::read_record(&j.dir) {
            Ok(Some(r)) => {
                idx.push(i);
                recs.push((j.dir.clone(), r));
            }
            // Prepared for SLURM, its job id not recorded: being submitted now, or the
            // submitting process died before sbatch answered.
            Ok(None) if j.target == Target::Slurm && j.state == State::Pending => {
                j.message = Some("prepared for SLURM; no job id recorded (slurm_job.json)".into());
            }
            Ok(None) => {}
            Err(e) => j.problems.push(e.to_string()),
        }
    }
    if recs.is_empty() {
        return;
    }
    for (i, v) in idx.into_iter().zip(poll(&recs)) {
        merge(&mut jobs[i], v);
    }
}

/// One job's own state beside SLURM's.
pub fn merge(j: &mut JobInfo, v: SlurmView) {
    let array = v
        .array_size
        .map(|n| format!("_[0-{}]", n.saturating_sub(1)));
    let mut place = format!("slurm:{}{}", v.job_id, array.unwrap_or_default());
    if let Some(node) = v
        .tasks
        .iter()
        .find(|t| t.state == "RUNNING")
        .and_then(|t| t.node.clone())
    {
        place.push_str(&format!(" on {node}"));
    }
    j.where_ = Some(place);
    // A predict array's tasks write no end record of the job: SLURM's word is its end.
    let by_tasks = j.kind == Some(JobKind::Predict) && v.array_size.is_some();
    let ended = j.state.is_done() && j.summary.end.is_some();
    if !ended || by_tasks {
        match v.state.as_str() {
            "PENDING" | "REQUEUED" | "SUSPENDED" => {
                j.state = State::Pending;
                j.message = Some(format!("SLURM {}", v.summary));
            }
            "RUNNING" | "COMPLETING" | "CONFIGURING" => {
                // The worker's own stream says whether it began (its start record).
                j.state = if by_tasks || j.summary.started.is_some() {
                    State::Running
                } else {
                    State::Starting
                };
                if j.message
                    .as_deref()
                    .is_none_or(|m| m.contains("pid is not checked"))
                {
                    j.message = Some(format!("SLURM {}", v.summary));
                }
            }
            "COMPLETED" if by_tasks => {
                j.state = State::Completed;
                j.message = Some(format!("SLURM {}", v.summary));
            }
            "UNKNOWN" => {
                if let Some(e) = &v.error {
                    j.problems.push(e.clone());
                }
            }
            s => {
                j.state = if s == "CANCELLED" {
                    State::Canceled
                } else {
                    State::Failed
                };
                let tail = if by_tasks {
                    String::new()
                } else {
                    ": the worker ended without writing its end".to_owned()
                };
                j.message = Some(format!("SLURM {}{tail}", v.summary));
            }
        }
    }
    if ended && !by_tasks && !matches!(v.state.as_str(), "COMPLETED" | "CANCELLED" | "RUNNING") {
        // The worker saved its end when SLURM stopped it (the time limit): say why.
        if v.is_final() {
            let m = j.message.take().unwrap_or_default();
            j.message = Some(format!("{m} (SLURM {})", v.summary));
        }
    }
    j.slurm = Some(v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::list::Summary;
    use crate::jobs::slurm::state::Task;

    fn info(state: State, ended: bool) -> JobInfo {
        let mut summary = Summary::default();
        if ended {
            summary.end = Some(crate::jobs::list::End {
                outcome: crate::jobs::events::Outcome::Canceled,
                message: "canceled after 9 steps".into(),
                time: 0.0,
            });
        }
        JobInfo {
            id: "ab12cd34".into(),
            kind: Some(JobKind::Train),
            dir: PathBuf::from("/p/models/r"),
            state,
            where_: None,
            slot: None,
            slot_device: None,
            message: None,
            created: None,
            attempt: 0,
            target: crate::jobs::job_file::Target::Slurm,
            summary,
            log_tail: Vec::new(),
            problems: Vec::new(),
            slurm: None,
        }
    }

    fn view(state: &str, reason: Option<&str>) -> SlurmView {
        let t = Task {
            task: None,
            state: state.into(),
            reason: reason.map(str::to_owned),
            exit_code: None,
            signal: None,
            node: Some("node7".into()),
            elapsed_s: Some(5),
            time_limit_s: Some(60),
        };
        SlurmView {
            job_id: 42,
            array_size: None,
            state: state.into(),
            summary: t.describe(),
            tasks: vec![t],
            source: "squeue".into(),
            error: None,
        }
    }

    #[test]
    fn slurms_word_where_the_folder_has_none() {
        let mut j = info(State::Pending, false);
        merge(&mut j, view("PENDING", Some("Priority")));
        assert_eq!(j.state, State::Pending);
        assert_eq!(j.message.as_deref(), Some("SLURM PENDING (Priority)"));
        assert_eq!(j.where_.as_deref(), Some("slurm:42"));
        let mut j = info(State::Pending, false);
        merge(&mut j, view("RUNNING", None));
        assert_eq!(j.state, State::Starting);
        assert_eq!(j.where_.as_deref(), Some("slurm:42 on node7"));
        // Killed at its limit before it wrote anything: TIMEOUT, not running.
        let mut j = info(State::Running, false);
        merge(&mut j, view("TIMEOUT", Some("TimeLimit")));
        assert_eq!(j.state, State::Failed);
        assert!(
            j.message
                .unwrap()
                .starts_with("SLURM TIMEOUT (TimeLimit): the worker")
        );
        let mut j = info(State::Running, false);
        merge(&mut j, view("CANCELLED", None));
        assert_eq!(j.state, State::Canceled);
    }

    #[test]
    fn the_folders_end_stays_with_slurms_reason() {
        let mut j = info(State::Canceled, true);
        j.message = Some("canceled after 9 steps".into());
        merge(&mut j, view("TIMEOUT", Some("TimeLimit")));
        assert_eq!(j.state, State::Canceled);
        assert_eq!(
            j.message.as_deref(),
            Some("canceled after 9 steps (SLURM TIMEOUT (TimeLimit))")
        );
        let mut j = info(State::Canceled, true);
        merge(&mut j, view("UNKNOWN", None));
        assert_eq!(j.state, State::Canceled);
    }
}
