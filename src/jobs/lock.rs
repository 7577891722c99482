//! The project's scheduler lock, `<project>/.posedeck/scheduler.lock`: created with `O_EXCL`
//! (safe on NFS v3 and later), holding the holder's host, pid, a token and a heartbeat time
//! that the holder refreshes every few seconds. A stale lock (its pid dead on this host, or
//! its heartbeat older than [`STALE_S`]) is taken over by renaming it aside: of two takers
//! only one rename succeeds, and one that finds it moved a fresh lock puts it back. Released
//! (removed, when still its own) when the holder drops it.

use super::events::now;
use super::job_file::this_host;
use crate::project::procinfo::{PidState, pid_state};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A heartbeat older than this (seconds) makes the lock stale.
pub const STALE_S: f64 = 60.0;
/// How often the holder refreshes its heartbeat (seconds).
pub const HEARTBEAT_S: f64 = 5.0;

/// What the lock file says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockInfo {
    pub host: String,
    pub pid: u32,
    pub token: String,
    pub since: f64,
    pub heartbeat: f64,
}

pub fn lock_path(project: &Path) -> PathBuf {
    project.join(".posedeck").join("scheduler.lock")
}

/// The lock's holder, when there is a readable lock.
pub fn holder(project: &Path) -> Option<LockInfo> {
    let bytes = std::fs::read(lock_path(project)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Is `info` stale as seen from `host` at `now`?
pub fn is_stale(
    info: &LockInfo,
    host: &str,
    now: f64,
    pid_state: &dyn Fn(i64) -> PidState,
) -> bool {
    if now - info.heartbeat > STALE_S {
        return true;
    }
    if info.host != host {
        return false;
    }
    match pid_state(info.pid as i64) {
        PidState::Alive { started: Some(t) } => t > info.since + 5.0,
        PidState::Alive { started: None } | PidState::Unknown => false,
        PidState::Dead | PidState::Zombie => true,
    }
}

/// Is a live scheduler holding the project's lock?
pub fn held(project: &Path) -> bool {
    holder(project).is_some_and(|h| !is_stale(&h, &this_host(), now(), &pid_state))
}

/// The lock, held.
#[derive(Debug)]
pub struct SchedulerLock {
    path: PathBuf,
    info: LockInfo,
    last_beat: f64,
}

impl SchedulerLock {
    /// Takes the lock, or `None` when a live scheduler holds it.
    pub fn try_acquire(project: &Path) -> Result<Option<SchedulerLock>> {
        let path = lock_path(project);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let t = now();
        let info = LockInfo {
            host: this_host(),
            pid: std::process::id(),
            token: super::job_file::new_id(),
            since: t,
            heartbeat: t,
        };
        let text = serde_json::to_vec(&info).map_err(|e| Error::usage(e.to_string()))?;
        for _ in 0..5 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    f.write_all(&text)
                        .and_then(|()| f.sync_all())
                        .map_err(|e| Error::io(&path, e))?;
                    return Ok(Some(SchedulerLock {
                        path,
                        info,
                        last_beat: t,
                    }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let Ok(seen) = std::fs::read(&path) else {
                        continue;
                    };
                    let stale = match serde_json::from_slice::<LockInfo>(&seen) {
                        Ok(h) => is_stale(&h, &info.host, now(), &pid_state),
                        // Being written this instant, or garbage: garbage older than the
                        // staleness limit is stale.
                        Err(_) => std::fs::metadata(&path)
                            .and_then(|m| m.modified())
                            .is_ok_and(|m| {
                                now() - crate::project::procinfo::unix_secs(m) > STALE_S
                            }),
                    };
                    if !stale {
                        return Ok(None);
                    }
                    take_over(&path, &seen, &info.token)?;
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Ok(None)
    }

    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Is the lock file still this holder's?
    pub fn still_mine(&self) -> bool {
        std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice::<LockInfo>(&b).ok())
            .is_some_and(|h| h.token == self.info.token)
    }

    /// Refreshes the heartbeat when it is due. `Ok(false)`: the lock was taken over (this
    /// holder must stop scheduling).
    pub fn heartbeat(&mut self) -> Result<bool> {
        let t = now();
        if t - self.last_beat < HEARTBEAT_S {
            return Ok(true);
        }
        if !self.still_mine() {
            return Ok(false);
        }
        self.info.heartbeat = t;
        let text = serde_json::to_vec(&self.info).map_err(|e| Error::usage(e.to_string()))?;
        crate::util::write_atomic(&self.path, &text)?;
        self.last_beat = t;
        Ok(true)
    }
}

impl Drop for SchedulerLock {
    fn drop(&mut self) {
        if self.still_mine() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Moves the stale lock `seen` aside. When what was moved is not `seen` (another taker
/// replaced it in between), it is put back unless a lock exists again.
fn take_over(path: &Path, seen: &[u8], token: &str) -> Result<()> {
    let aside = path.with_file_name(format!("scheduler.lock.stale.{token}"));
    match std::fs::rename(path, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    }
    let moved = std::fs::read(&aside).unwrap_or_default();
    if moved != seen {
        // hard_link fails when the name exists: a newer lock is never overwritten.
        let _ = std::fs::hard_link(&aside, path);
    }
    let _ = std::fs::remove_file(&aside);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_stale_taken_over_released() {
        let d = tempfile::tempdir().unwrap();
        let a = SchedulerLock::try_acquire(d.path()).unwrap().unwrap();
        assert!(SchedulerLock::try_acquire(d.path()).unwrap().is_none());
        assert!(held(d.path()));
        drop(a);
        assert!(!lock_path(d.path()).exists());
        // A lock of a dead pid on this host, and one whose heartbeat is old on another host.
        for (host, pid, age) in [
            (this_host(), i32::MAX as u32, 0.0),
            ("far".into(), 1, 120.0),
        ] {
            let stale = LockInfo {
                host,
                pid,
                token: "old".into(),
                since: now() - age,
                heartbeat: now() - age,
            };
            std::fs::write(lock_path(d.path()), serde_json::to_vec(&stale).unwrap()).unwrap();
            assert!(!held(d.path()));
            let b = SchedulerLock::try_acquire(d.path()).unwrap().unwrap();
            assert_eq!(holder(d.path()).unwrap().token, b.info().token);
        }
        // A live lock of another host is respected.
        let live = LockInfo {
            host: "far".into(),
            pid: 1,
            token: "live".into(),
            since: now(),
            heartbeat: now(),
        };
        std::fs::write(lock_path(d.path()), serde_json::to_vec(&live).unwrap()).unwrap();
        assert!(SchedulerLock::try_acquire(d.path()).unwrap().is_none());
    }

    #[test]
    fn a_taker_that_moved_a_fresh_lock_puts_it_back() {
        let d = tempfile::tempdir().unwrap();
        let p = lock_path(d.path());
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"fresh").unwrap();
        take_over(&p, b"stale", "t").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"fresh");
        take_over(&p, b"fresh", "t").unwrap();
        assert!(!p.exists());
    }
}
