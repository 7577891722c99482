//! SLURM's side of a job as the Jobs view shows it: the state SLURM holds the job in while
//! the worker has not begun (PENDING with its reason, RUNNING), the job id, a job array folded
//! into one row (`3 tasks: 2 COMPLETED 1 RUNNING`) with one detail line per task, and, when
//! SLURM cannot be asked, that it is unreachable (the last known state stays shown).

use super::job_list::{JobRecord, JobState};
use crate::jobs::slurm::SlurmView;
use crate::jobs::slurm::state::Task;

/// The state column: SLURM's word while the job waits or runs without news of its own
/// worker, the job's own otherwise.
pub fn state_label(j: &JobRecord) -> String {
    if j.cancel_requested && !j.state.is_done() {
        return "CANCELING".into();
    }
    if let (false, Some(v)) = (j.state.is_done(), &j.slurm) {
        match v.state.as_str() {
            "PENDING" | "REQUEUED" | "SUSPENDED" if j.state == JobState::Queued => {
                return v.state.clone();
            }
            "RUNNING" | "COMPLETING" | "CONFIGURING" => return "RUNNING".into(),
            _ => {}
        }
    }
    j.state.label().into()
}

/// `slurm 42`, or `slurm 42[0-2]` for an array.
pub fn job_id(v: &SlurmView) -> String {
    match v.array_size {
        Some(n) => format!("slurm {}[0-{}]", v.job_id, n.saturating_sub(1)),
        None => format!("slurm {}", v.job_id),
    }
}

/// An array's tasks by state, in the order states first appear: `3 tasks: 2 COMPLETED 1
/// RUNNING`; tasks SLURM did not mention are `unknown`. `None` for a job that is no array.
pub fn tasks_summary(v: &SlurmView) -> Option<String> {
    let n = v.array_size? as usize;
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for t in &v.tasks {
        match counts.iter_mut().find(|(s, _)| *s == t.state) {
            Some(c) => c.1 += 1,
            None => counts.push((t.state.as_str(), 1)),
        }
    }
    let missing = n.saturating_sub(v.tasks.len());
    if missing > 0 {
        counts.push(("unknown", missing));
    }
    let parts: Vec<String> = counts.iter().map(|(s, c)| format!("{c} {s}")).collect();
    Some(format!(
        "{n} task{}: {}",
        if n == 1 { "" } else { "s" },
        parts.join(" ")
    ))
}

/// The phase column: an array's tasks by state, else the job's phase.
pub fn phase(j: &JobRecord) -> String {
    j.slurm
        .as_ref()
        .and_then(tasks_summary)
        .unwrap_or_else(|| j.phase.clone())
}

/// One task: `task 1  RUNNING on node1, 0:12 of 1:00:00`.
fn task_line(t: &Task) -> String {
    match t.task {
        Some(i) => format!("task {i:<3} {}", t.describe()),
        None => t.describe(),
    }
}

/// The detail lines: SLURM's summary with the job id, then (for an array) one line per task,
/// at most `room` of them (the rest counted).
pub fn detail(v: &SlurmView, room: usize) -> Vec<String> {
    let head = match tasks_summary(v) {
        Some(s) => format!("{}  {s}", job_id(v)),
        None => format!("{}  {}", job_id(v), v.summary),
    };
    let mut out = vec![crate::sanitize::one_line(&head)];
    if v.array_size.is_some() {
        let shown = if v.tasks.len() > room {
            room.saturating_sub(1)
        } else {
            v.tasks.len()
        };
        out.extend(
            v.tasks[..shown]
                .iter()
                .map(|t| crate::sanitize::one_line(&format!("  {}", task_line(t)))),
        );
        if shown < v.tasks.len() {
            out.push(format!("  … {} more tasks", v.tasks.len() - shown));
        }
    }
    out
}

/// `SLURM unreachable: <why>` in one line, when the last poll failed.
pub fn unreachable(j: &JobRecord) -> Option<String> {
    let e = j.slurm_error.as_ref()?;
    let last = j
        .slurm
        .as_ref()
        .map(|v| format!(" (last known: {})", v.state))
        .unwrap_or_default();
    Some(crate::sanitize::one_line(&format!(
        "SLURM unreachable: {e}{last}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(i: u32, state: &str) -> Task {
        Task {
            task: Some(i),
            state: state.into(),
            reason: None,
            exit_code: None,
            signal: None,
            node: Some("n1".into()),
            elapsed_s: Some(12),
            time_limit_s: Some(3600),
        }
    }

    fn array(states: &[&str], n: u32) -> SlurmView {
        SlurmView {
            job_id: 42,
            array_size: Some(n),
            state: "RUNNING".into(),
            summary: String::new(),
            tasks: states
                .iter()
                .enumerate()
                .map(|(i, s)| task(i as u32, s))
                .collect(),
            source: "squeue".into(),
            error: None,
        }
    }

    #[test]
    fn an_array_folds_into_counts_and_one_line_per_task() {
        let v = array(&["COMPLETED", "RUNNING", "COMPLETED"], 3);
        assert_eq!(tasks_summary(&v).unwrap(), "3 tasks: 2 COMPLETED 1 RUNNING");
        let d = detail(&v, 10);
        assert_eq!(d[0], "slurm 42[0-2]  3 tasks: 2 COMPLETED 1 RUNNING");
        assert_eq!(d[2], "  task 1   RUNNING on n1, 0:00:12 of 1:00:00");
        assert_eq!(d.len(), 4);
        // Tasks squeue no longer lists are counted, not dropped; a long array is cut.
        let v = array(&["OUT_OF_MEMORY", "NODE_FAIL"], 5);
        assert_eq!(
            tasks_summary(&v).unwrap(),
            "5 tasks: 1 OUT_OF_MEMORY 1 NODE_FAIL 3 unknown"
        );
        let v = array(&["PENDING"; 20], 20);
        let d = detail(&v, 4);
        assert_eq!(d.len(), 5);
        assert_eq!(d[4], "  … 17 more tasks");
    }
}
