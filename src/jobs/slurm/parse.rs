//! Parsers of SLURM's client output: `squeue --json` (22.05's openapi v0.0.38 and the
//! object-valued numbers of later versions), `squeue --format` with `|` between fields, and
//! `sacct --parsable2 --noheader`.

use super::state::{Entry, Task, duration_s, reason, wait_status};
use serde_json::Value;

/// The `--format` of the fallback when `squeue --json` is not available.
pub const SQUEUE_FORMAT: &str = "%i|%A|%F|%K|%T|%r|%N|%M|%l";

/// The `--format` of `sacct`.
pub const SACCT_FORMAT: &str = "JobID,State,ExitCode,Reason,NodeList,ElapsedRaw,TimelimitRaw";

/// A number, or one of later versions' `{"set": .., "infinite": .., "number": ..}`.
fn num(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::Object(o) => {
            let set = o.get("set").and_then(Value::as_bool).unwrap_or(true);
            let inf = o.get("infinite").and_then(Value::as_bool).unwrap_or(false);
            if set && !inf {
                o.get("number").and_then(Value::as_i64)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        // Later versions: `"job_state": ["RUNNING"]`.
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    }
}

/// `squeue --json`'s jobs, or the reason it cannot be read.
pub fn squeue_json(out: &str, now: i64) -> Result<Vec<Entry>, String> {
    let v: Value = serde_json::from_str(out).map_err(|e| format!("not JSON ({e})"))?;
    let jobs = v
        .get("jobs")
        .and_then(Value::as_array)
        .ok_or("no \"jobs\" list")?;
    let mut entries = Vec::with_capacity(jobs.len());
    for j in jobs {
        let Some(job_id) = num(j.get("job_id")).filter(|n| *n > 0) else {
            continue;
        };
        let array_job_id = num(j.get("array_job_id"))
            .filter(|n| *n > 0)
            .map(|n| n as u64);
        let task_id = num(j.get("array_task_id"))
            .filter(|n| *n >= 0)
            .map(|n| n as u32);
        let task_string = text(j.get("array_task_string"));
        let pending_tasks =
            (array_job_id.is_some() && task_id.is_none() && !task_string.is_empty())
                .then_some(task_string);
        let state = text(j.get("job_state"));
        let (exit_code, signal) = match j.get("exit_code") {
            Some(Value::Object(o)) if o.contains_key("return_code") => (
                num(o.get("return_code")).map(|n| n as i32),
                o.get("signal")
                    .and_then(|s| num(s.get("id")))
                    .map(|n| n as i32)
                    .filter(|n| *n != 0),
            ),
            other => match num(other) {
                Some(raw) => wait_status(raw),
                None => (None, None),
            },
        };
        let start = num(j.get("start_time")).filter(|t| *t > 0);
        let end = num(j.get("end_time")).filter(|t| *t > 0);
        let elapsed_s = match (state.as_str(), start, end) {
            ("PENDING", ..) => None,
            ("RUNNING" | "COMPLETING" | "CONFIGURING", Some(s), _) => Some((now - s).max(0) as u64),
            (_, Some(s), Some(e)) => Some((e - s).max(0) as u64),
            _ => None,
        };
        let finished = super::state::is_final(&state);
        entries.push(Entry {
            job_id: job_id as u64,
            array_job_id,
            pending_tasks,
            task: Task {
                task: task_id,
                reason: reason(&text(j.get("state_reason"))),
                exit_code: if finished { exit_code } else { None },
                signal: if finished { signal } else { None },
                node: Some(text(j.get("nodes"))).filter(|n| !n.is_empty()),
                elapsed_s,
                time_limit_s: num(j.get("time_limit"))
                    .filter(|m| *m > 0)
                    .map(|m| m as u64 * 60),
                state: crate::sanitize::one_line(&state),
            },
        });
    }
    Ok(entries)
}

/// `squeue --noheader --format=SQUEUE_FORMAT` lines.
pub fn squeue_format(out: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (n, line) in out
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let f: Vec<&str> = line.trim().split('|').collect();
        let [id, jobid, array, task, state, why, nodes, elapsed, limit] = f.as_slice() else {
            return Err(format!(
                "line {}: expected 9 fields, got {}",
                n + 1,
                f.len()
            ));
        };
        let job_id: u64 = jobid
            .parse()
            .map_err(|_| format!("line {}: job id {jobid:?}", n + 1))?;
        let is_array = id.contains('_');
        let task_id = task.parse::<u32>().ok();
        let pending_tasks = (is_array && task_id.is_none())
            .then(|| id.split_once('_').map_or("", |x| x.1).to_owned());
        entries.push(Entry {
            job_id,
            array_job_id: is_array.then(|| array.parse().ok()).flatten(),
            pending_tasks,
            task: Task {
                task: if is_array { task_id } else { None },
                state: crate::sanitize::one_line(state),
                reason: reason(why),
                exit_code: None,
                signal: None,
                node: Some(nodes.to_string()).filter(|n| !n.is_empty()),
                elapsed_s: duration_s(elapsed).filter(|_| *state != "PENDING"),
                time_limit_s: duration_s(limit),
            },
        });
    }
    Ok(entries)
}

/// `sacct --parsable2 --noheader -X --format=SACCT_FORMAT` lines.
pub fn sacct(out: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (n, line) in out
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let f: Vec<&str> = line.trim().split('|').collect();
        let [id, state, exit, why, nodes, elapsed, limit] = f.as_slice() else {
            return Err(format!(
                "line {}: expected 7 fields, got {}",
                n + 1,
                f.len()
            ));
        };
        let (head, tail) = match id.split_once('_') {
            Some((h, t)) => (h, Some(t)),
            None => (*id, None),
        };
        let job_id: u64 = head
            .parse()
            .map_err(|_| format!("line {}: job id {id:?}", n + 1))?;
        let task_id = tail.and_then(|t| t.parse::<u32>().ok());
        // "CANCELLED by 1000" -> CANCELLED
        let state = state.split_whitespace().next().unwrap_or("").to_owned();
        let (code, sig) = exit.split_once(':').unwrap_or((exit, "0"));
        let finished = super::state::is_final(&state);
        entries.push(Entry {
            job_id,
            array_job_id: tail.map(|_| job_id),
            pending_tasks: tail.filter(|_| task_id.is_none()).map(str::to_owned),
            task: Task {
                task: task_id,
                reason: reason(why),
                exit_code: code.parse().ok().filter(|_| finished),
                signal: sig.parse().ok().filter(|s| *s != 0 && finished),
                node: Some(nodes.to_string()).filter(|n| !n.is_empty() && *n != "None assigned"),
                elapsed_s: elapsed.parse().ok().filter(|_| state != "PENDING"),
                time_limit_s: limit.parse::<u64>().ok().map(|m| m * 60),
                state: crate::sanitize::one_line(&state),
            },
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::super::state::fold;
    use super::*;

    const QUEUED: &str = include_str!("testdata/squeue_queued.json");
    const FINISHED: &str = include_str!("testdata/squeue_finished.json");
    const FORMAT: &str = include_str!("testdata/squeue_format.txt");

    /// Captured from SLURM 22.05.8: job 1 `exit 3`, 2 `sleep 100` with `--time=1`, 3 held,
    /// 4 an array 0-2 whose task N exits N, 7 canceled while running.
    #[test]
    fn squeue_json_of_queued_jobs() {
        let e = squeue_json(QUEUED, 1796301650).unwrap();
        let f = fold(&e, 1, None).unwrap();
        assert_eq!(f.state, "FAILED");
        assert_eq!(f.tasks[0].exit_code, Some(3));
        assert_eq!(f.summary, "FAILED (exit 3, NonZeroExitCode)");
        let r = fold(&e, 2, None).unwrap();
        assert_eq!(r.summary, "RUNNING on vm, 0:00:08 of 0:01:00");
        assert_eq!(fold(&e, 3, None).unwrap().summary, "PENDING (JobHeldUser)");
        let a = fold(&e, 4, Some(3)).unwrap();
        assert_eq!(a.summary, "PENDING: 3 tasks, 3 PENDING");
        assert_eq!(a.tasks[2].reason.as_deref(), Some("Resources"));
        assert!(fold(&e, 99, None).is_none());
    }

    #[test]
    fn squeue_json_of_finished_jobs() {
        let e = squeue_json(FINISHED, 1796301800).unwrap();
        let t = fold(&e, 2, None).unwrap();
        assert_eq!(t.state, "TIMEOUT");
        assert_eq!(t.tasks[0].signal, Some(15));
        assert_eq!(t.tasks[0].elapsed_s, Some(83));
        let a = fold(&e, 4, Some(3)).unwrap();
        assert_eq!(a.state, "FAILED");
        assert_eq!(a.summary, "FAILED: 3 tasks, 1 COMPLETED, 2 FAILED");
        let codes: Vec<_> = a.tasks.iter().map(|t| (t.task, t.exit_code)).collect();
        assert_eq!(
            codes,
            [(Some(0), Some(0)), (Some(1), Some(1)), (Some(2), Some(2))]
        );
        assert_eq!(fold(&e, 7, None).unwrap().state, "CANCELLED");
        assert_eq!(fold(&e, 3, None).unwrap().state, "CANCELLED");
    }

    #[test]
    fn squeue_format_fallback() {
        let e = squeue_format(FORMAT).unwrap();
        let t = fold(&e, 2, None).unwrap();
        assert_eq!(t.state, "TIMEOUT");
        assert_eq!(t.tasks[0].time_limit_s, Some(60));
        let a = fold(&e, 4, Some(3)).unwrap();
        assert_eq!(a.summary, "FAILED: 3 tasks, 1 COMPLETED, 2 FAILED");
        let p = squeue_format("4_[1-2]|4|4|N/A|PENDING|Resources||0:00|UNLIMITED\n").unwrap();
        let f = fold(&p, 4, Some(3)).unwrap();
        assert_eq!(f.tasks.len(), 2);
        assert!(squeue_format("1|2\n").unwrap_err().contains("line 1"));
    }

    /// sacct's documented `--parsable2` shape (not capturable here: sacct needs slurmdbd).
    #[test]
    fn sacct_lines() {
        let out = "7|FAILED|3:0|NonZeroExitCode|node1|12|60\n\
                   8|CANCELLED by 0|0:15|None|node1|30|UNLIMITED\n\
                   9_0|COMPLETED|0:0|None|node2|5|10\n\
                   9_[1-2]|PENDING|0:0|Priority|None assigned|0|10\n\
                   10|OUT_OF_MEMORY|0:125|OutOfMemory|node1|3|10\n";
        let e = sacct(out).unwrap();
        assert_eq!(
            fold(&e, 7, None).unwrap().summary,
            "FAILED (exit 3, NonZeroExitCode)"
        );
        assert_eq!(fold(&e, 8, None).unwrap().state, "CANCELLED");
        let a = fold(&e, 9, Some(3)).unwrap();
        assert_eq!(a.summary, "PENDING: 3 tasks, 1 COMPLETED, 2 PENDING");
        assert_eq!(fold(&e, 10, None).unwrap().state, "OUT_OF_MEMORY");
    }
}
