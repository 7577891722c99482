//! The project watcher: notify 8 behind notify-debouncer-full, turning file events into typed
//! [`WatchMsg`]s. On network filesystems (NFS, Lustre, SMB, GPFS ...), detected at start with
//! statfs, it polls instead, since inotify never hears writes made by other hosts.

pub mod classify;
pub mod fstype;

pub use classify::{WatchMsg, classify};

use notify::{PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, Debouncer, NoCache, RecommendedCache, new_debouncer_opt,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Debounce window: a burst of writes (and an atomic rename) becomes one message, well inside
/// the 300 ms the workstation promises.
pub const DEBOUNCE: Duration = Duration::from_millis(80);
/// Poll interval on network filesystems.
pub const POLL: Duration = Duration::from_millis(1000);

/// Held only to keep the watch alive (dropping a debouncer stops it).
#[allow(dead_code)]
enum Inner {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll(Debouncer<PollWatcher, NoCache>),
}

/// A running watcher; dropping it stops the watch.
pub struct Watcher {
    _inner: Inner,
    /// `Some(fs)` when polling (the filesystem name, or "forced").
    pub polling: Option<&'static str>,
    pub roots: Vec<PathBuf>,
}

impl Watcher {
    /// Watches `roots` recursively; `sink` receives each typed message (on the debouncer's
    /// thread). Roots that do not exist are skipped.
    pub fn start(
        roots: &[PathBuf],
        mut sink: impl FnMut(WatchMsg) + Send + 'static,
    ) -> crate::Result<Watcher> {
        let roots: Vec<PathBuf> = roots.iter().filter(|r| r.is_dir()).cloned().collect();
        let polling = roots.iter().find_map(|r| fstype::remote_fs(r));
        let handler = move |res: DebounceEventResult| match res {
            Ok(events) => {
                let mut seen: Vec<WatchMsg> = Vec::new();
                for ev in events {
                    for p in &ev.paths {
                        if let Some(m) = classify(&ev.kind, p, p.is_dir())
                            && !seen.contains(&m)
                        {
                            seen.push(m);
                        }
                    }
                }
                for m in seen {
                    sink(m);
                }
            }
            Err(errs) => {
                for e in errs {
                    sink(WatchMsg::Error(
                        crate::sanitize::clean(&e.to_string()).into_owned(),
                    ));
                }
            }
        };
        let err = |p: &Path, e: notify::Error| crate::Error::invalid(p, format!("watch: {e}"));
        let first = roots.first().cloned().unwrap_or_default();
        let inner = if polling.is_some() {
            let cfg = notify::Config::default().with_poll_interval(POLL);
            let mut d =
                new_debouncer_opt::<_, PollWatcher, NoCache>(DEBOUNCE, None, handler, NoCache, cfg)
                    .map_err(|e| err(&first, e))?;
            for r in &roots {
                d.watch(r, RecursiveMode::Recursive)
                    .map_err(|e| err(r, e))?;
            }
            Inner::Poll(d)
        } else {
            let mut d = new_debouncer_opt::<_, RecommendedWatcher, RecommendedCache>(
                DEBOUNCE,
                None,
                handler,
                RecommendedCache::new(),
                notify::Config::default(),
            )
            .map_err(|e| err(&first, e))?;
            for r in &roots {
                d.watch(r, RecursiveMode::Recursive)
                    .map_err(|e| err(r, e))?;
            }
            Inner::Native(d)
        };
        Ok(Watcher {
            _inner: inner,
            polling,
            roots,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn wait_for(rx: &mpsc::Receiver<WatchMsg>, want: impl Fn(&WatchMsg) -> bool) -> bool {
        let end = std::time::Instant::now() + Duration::from_secs(5);
        while let Some(left) = end.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(m) if want(&m) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    #[test]
    fn reports_typed_changes() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("models").join("r1");
        std::fs::create_dir_all(&run).unwrap();
        let (tx, rx) = mpsc::channel();
        let w = Watcher::start(&[dir.path().to_path_buf()], move |m| {
            let _ = tx.send(m);
        })
        .unwrap();
        assert_eq!(w.roots.len(), 1);
        let st = run.join("train_status.json");
        crate::util::write_atomic(&st, br#"{"status":"TRAINING"}"#).unwrap();
        assert!(wait_for(&rx, |m| *m == WatchMsg::StatusChanged(run.clone())));
        let ev = run.join("events.out.tfevents.1.h.1.0");
        std::fs::write(&ev, b"x").unwrap();
        assert!(wait_for(&rx, |m| *m == WatchMsg::EventsGrew(ev.clone())));
        let r2 = dir.path().join("models").join("r2");
        std::fs::create_dir_all(&r2).unwrap();
        assert!(wait_for(&rx, |m| *m == WatchMsg::RunAppeared(r2.clone())));
    }
}
