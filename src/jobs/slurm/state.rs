//! SLURM's view of a job: what `squeue --json` (or `squeue --format`, or `sacct`) says, folded
//! per job and, for an array, per task.

use serde::{Deserialize, Serialize};

/// SLURM's word for a job that will not change any more.
pub fn is_final(state: &str) -> bool {
    matches!(
        state,
        "COMPLETED"
            | "FAILED"
            | "CANCELLED"
            | "TIMEOUT"
            | "OUT_OF_MEMORY"
            | "NODE_FAIL"
            | "PREEMPTED"
            | "BOOT_FAIL"
            | "DEADLINE"
            | "REVOKED"
    )
}

/// One job, or one task of an array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The array task id (`None` for a job that is no array).
    pub task: Option<u32>,
    /// PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, ...
    pub state: String,
    /// SLURM's reason (Priority, Resources, JobHeldUser, TimeLimit, ...); `None` for "None".
    pub reason: Option<String>,
    /// The script's exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// Where it runs or ran.
    pub node: Option<String>,
    pub elapsed_s: Option<u64>,
    /// `None`: no limit.
    pub time_limit_s: Option<u64>,
}

impl Task {
    fn pending(task: Option<u32>, reason: Option<String>) -> Task {
        Task {
            task,
            state: "PENDING".into(),
            reason,
            exit_code: None,
            signal: None,
            node: None,
            elapsed_s: None,
            time_limit_s: None,
        }
    }

    /// `RUNNING on node1, 0:12 of 1:00:00`, `PENDING (Priority)`, `FAILED (exit 3)`, ...
    pub fn describe(&self) -> String {
        let mut s = self.state.clone();
        match self.state.as_str() {
            "RUNNING" | "COMPLETING" => {
                if let Some(n) = &self.node {
                    s.push_str(&format!(" on {n}"));
                }
                let e = self.elapsed_s.map_or("?".into(), hms);
                let l = self.time_limit_s.map_or("no limit".into(), hms);
                s.push_str(&format!(", {e} of {l}"));
            }
            "COMPLETED" => {}
            _ => {
                let mut why = Vec::new();
                if let Some(c) = self.exit_code.filter(|c| *c != 0) {
                    why.push(format!("exit {c}"));
                }
                if let Some(g) = self.signal.filter(|g| *g != 0) {
                    why.push(format!("signal {g}"));
                }
                if let Some(r) = &self.reason {
                    why.push(r.clone());
                }
                if !why.is_empty() {
                    s.push_str(&format!(" ({})", why.join(", ")));
                }
            }
        }
        s
    }
}

/// `H:MM:SS` (with `D-` past a day), as SLURM prints times.
pub fn hms(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h}:{m:02}:{s:02}")
    }
}

/// One line of a client's answer: a job, an array task, or an array's still-pending tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub job_id: u64,
    /// The array's id, for array tasks.
    pub array_job_id: Option<u64>,
    /// For an array's pending remainder: its task ids (`0-2`, `1,3-5`, `0-9:2%4`).
    pub pending_tasks: Option<String>,
    pub task: Task,
}

/// The folded view of one of posedeck's jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Folded {
    /// The job's state: an array's is RUNNING while a task runs, PENDING while one waits,
    /// COMPLETED when all did, else the first task's that did not complete.
    pub state: String,
    pub summary: String,
    pub tasks: Vec<Task>,
}

/// The entries of job `id` (array tasks folded; `array_size` tasks expected), or `None` when
/// the answer does not mention it.
pub fn fold(entries: &[Entry], id: u64, array_size: Option<u32>) -> Option<Folded> {
    let mut tasks: Vec<Task> = Vec::new();
    for e in entries {
        let mine = match array_size {
            Some(_) => e.array_job_id == Some(id) || (e.job_id == id && e.pending_tasks.is_some()),
            None => e.job_id == id && e.array_job_id.is_none(),
        };
        if !mine {
            continue;
        }
        match &e.pending_tasks {
            Some(range) => {
                for t in expand_tasks(range) {
                    tasks.push(Task::pending(Some(t), e.task.reason.clone()));
                }
            }
            None => tasks.push(e.task.clone()),
        }
    }
    if tasks.is_empty() {
        return None;
    }
    tasks.sort_by_key(|t| t.task);
    tasks.dedup_by_key(|t| t.task);
    let state = fold_state(&tasks);
    let summary = if array_size.is_none() && tasks.len() == 1 {
        tasks[0].describe()
    } else {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for t in &tasks {
            match counts.iter_mut().find(|(s, _)| *s == t.state) {
                Some(c) => c.1 += 1,
                None => counts.push((t.state.clone(), 1)),
            }
        }
        let n = array_size.map_or(tasks.len(), |n| n as usize);
        let parts: Vec<String> = counts.iter().map(|(s, c)| format!("{c} {s}")).collect();
        format!("{state}: {n} tasks, {}", parts.join(", "))
    };
    Some(Folded {
        state,
        summary,
        tasks,
    })
}

fn fold_state(tasks: &[Task]) -> String {
    for want in [
        "RUNNING",
        "COMPLETING",
        "CONFIGURING",
        "PENDING",
        "REQUEUED",
        "SUSPENDED",
    ] {
        if tasks.iter().any(|t| t.state == want) {
            return want.into();
        }
    }
    tasks
        .iter()
        .find(|t| t.state != "COMPLETED")
        .map_or("COMPLETED".into(), |t| t.state.clone())
}

/// Task ids of an array range such as `0-2`, `1,3-5`, `0-9:2` or `0-99%4` (at most 100000).
pub fn expand_tasks(range: &str) -> Vec<u32> {
    let body = range.split('%').next().unwrap_or("");
    let body = body.trim_start_matches('[').trim_end_matches(']');
    let mut out = Vec::new();
    for part in body.split(',') {
        let (span, step) = match part.split_once(':') {
            Some((s, st)) => (s, st.parse::<u32>().unwrap_or(1).max(1)),
            None => (part, 1),
        };
        let (a, b) = match span.split_once('-') {
            Some((a, b)) => (a.parse::<u32>(), b.parse::<u32>()),
            None => (span.parse::<u32>(), span.parse::<u32>()),
        };
        if let (Ok(a), Ok(b)) = (a, b) {
            let mut t = a;
            while t <= b && out.len() < 100_000 {
                out.push(t);
                match t.checked_add(step) {
                    Some(n) => t = n,
                    None => break,
                }
            }
        }
    }
    out
}

/// `SLURM's reason` without its "None".
pub fn reason(r: &str) -> Option<String> {
    let r = r.trim();
    (!r.is_empty() && r != "None" && r != "(null)").then(|| crate::sanitize::one_line(r))
}

/// A raw wait status as (exit code, signal).
pub fn wait_status(raw: i64) -> (Option<i32>, Option<i32>) {
    let sig = (raw & 0x7f) as i32;
    if sig != 0 {
        (None, Some(sig))
    } else {
        (Some(((raw >> 8) & 0xff) as i32), None)
    }
}

/// A SLURM duration (`[D-]HH:MM:SS`, `MM:SS`) in seconds; `UNLIMITED`, `N/A`, ... give `None`.
pub fn duration_s(s: &str) -> Option<u64> {
    let (d, rest) = match s.split_once('-') {
        Some((d, r)) => (d.parse::<u64>().ok()?, r),
        None => (0, s),
    };
    let parts: Vec<u64> = rest
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let hms = match parts.as_slice() {
        [m, s] => m * 60 + s,
        [h, m, s] => h * 3600 + m * 60 + s,
        _ => return None,
    };
    Some(d * 86400 + hms)
}
