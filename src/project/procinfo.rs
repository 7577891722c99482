//! Is a training process still alive on this host? Linux `/proc` based, with a guard against
//! pid reuse: a live pid whose process started after the status file was last written is a
//! different process.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::SystemTime;

/// What `/proc` says about a pid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum PidState {
    /// No such process on this host.
    Dead,
    /// Alive; `started` is its start time in Unix seconds when `/proc` tells.
    Alive { started: Option<f64> },
    /// Zombie: exited, not yet reaped.
    Zombie,
    /// This host cannot tell (no `/proc`).
    Unknown,
}

/// Looks `pid` up under `proc_root` (normally `/proc`).
pub fn pid_state_in(proc_root: &Path, pid: i64) -> PidState {
    if pid <= 0 || pid > i32::MAX as i64 {
        return PidState::Dead;
    }
    if !proc_root.join("self").exists() {
        return PidState::Unknown;
    }
    let stat = match std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")) {
        Ok(s) => s,
        Err(_) => return PidState::Dead,
    };
    // "pid (comm) S ppid ..." - comm may hold spaces and parens: split after the last ')'.
    let Some(close) = stat.rfind(')') else {
        return PidState::Alive { started: None };
    };
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    // fields[0] is the state (field 3); starttime is field 22 -> fields[19].
    if fields.first() == Some(&"Z") || fields.first() == Some(&"X") {
        return PidState::Zombie;
    }
    let started = fields
        .get(19)
        .and_then(|s| s.parse::<u64>().ok())
        .and_then(|ticks| {
            let btime = boot_time(proc_root)?;
            let hz = clock_ticks();
            Some(btime + ticks as f64 / hz)
        });
    PidState::Alive { started }
}

/// The pid's state on this host.
pub fn pid_state(pid: i64) -> PidState {
    pid_state_in(Path::new("/proc"), pid)
}

fn boot_time(proc_root: &Path) -> Option<f64> {
    let s = std::fs::read_to_string(proc_root.join("stat")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse::<f64>().ok())
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// Unix seconds of a system time (0 before the epoch).
pub fn unix_secs(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// This host's name.
pub fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success
    // (we also stop at the buffer end).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8(buf[..end].to_vec())
        .ok()
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_pid_is_alive_and_started_recently() {
        match pid_state(std::process::id() as i64) {
            PidState::Alive { started: Some(t) } => {
                let now = unix_secs(SystemTime::now());
                assert!(t <= now + 2.0 && t > now - 86400.0 * 365.0, "{t} vs {now}");
            }
            PidState::Unknown => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fake_proc_tree() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::create_dir_all(p.join("self")).unwrap();
        std::fs::write(p.join("stat"), "cpu 1 2 3\nbtime 1000\n").unwrap();
        std::fs::create_dir_all(p.join("77")).unwrap();
        let mut fields = vec!["S"; 1];
        fields.extend(std::iter::repeat_n("0", 18));
        fields.push("50000");
        std::fs::write(
            p.join("77/stat"),
            format!("77 (py (x) y) {}", fields.join(" ")),
        )
        .unwrap();
        match pid_state_in(p, 77) {
            PidState::Alive { started: Some(t) } => {
                assert!((t - (1000.0 + 50000.0 / clock_ticks())).abs() < 1e-6)
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(pid_state_in(p, 78), PidState::Dead);
        std::fs::create_dir_all(p.join("79")).unwrap();
        std::fs::write(p.join("79/stat"), "79 (z) Z 1 2").unwrap();
        assert_eq!(pid_state_in(p, 79), PidState::Zombie);
    }
}
