//! The project watcher: notify 8 (inotify), turning file events into typed [`WatchMsg`]s
//! after a short debounce. On network filesystems (NFS, Lustre, SMB, GPFS ...), detected at
//! start with statfs, it polls instead, since inotify never hears writes made by other hosts.
//!
//! The debounce is our own thread blocked on a channel: with nothing changing it never wakes
//! (a ticking debouncer woke 50 times a second, ~0.2% CPU of an idle workstation).

pub mod classify;
pub mod fstype;

pub use classify::{WatchMsg, classify};

use notify::{PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Debounce window: the events of a burst of writes (and an atomic rename) that arrive within
/// this time of the first become one batch of messages, well inside the 300 ms the
/// workstation promises.
pub const DEBOUNCE: Duration = Duration::from_millis(80);
/// Poll interval on network filesystems.
pub const POLL: Duration = Duration::from_millis(1000);

/// Held only to keep the watch alive (dropping the watcher stops it and its thread).
#[allow(dead_code)]
enum Inner {
    Native(RecommendedWatcher),
    Poll(PollWatcher),
}

/// A running watcher; dropping it stops the watch.
pub struct Watcher {
    _inner: Inner,
    /// `Some(fs)` when polling (the filesystem name, or "forced").
    pub polling: Option<&'static str>,
    pub roots: Vec<PathBuf>,
}

type RawEvent = notify::Result<notify::Event>;

/// Turns one batch of raw events into typed messages (each once) for `sink`.
fn flush(batch: Vec<RawEvent>, sink: &mut impl FnMut(WatchMsg)) {
    let mut seen: Vec<WatchMsg> = Vec::new();
    for ev in batch {
        match ev {
            Ok(ev) => {
                for p in &ev.paths {
                    if let Some(m) = classify(&ev.kind, p, p.is_dir())
                        && !seen.contains(&m)
                    {
                        seen.push(m);
                    }
                }
            }
            Err(e) => {
                let m = WatchMsg::Error(crate::sanitize::clean(&e.to_string()).into_owned());
                if !seen.contains(&m) {
                    seen.push(m);
                }
            }
        }
    }
    for m in seen {
        sink(m);
    }
}

/// The debounce thread: blocks until an event comes, gathers what follows within
/// [`DEBOUNCE`], hands the batch on; ends when the watcher (the sender) is dropped.
fn debounce(rx: mpsc::Receiver<RawEvent>, mut sink: impl FnMut(WatchMsg)) {
    while let Ok(first) = rx.recv() {
        let end = Instant::now() + DEBOUNCE;
        let mut batch = vec![first];
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(e) => batch.push(e),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    flush(batch, &mut sink);
                    return;
                }
            }
        }
        flush(batch, &mut sink);
    }
}

impl Watcher {
    /// Watches `roots` recursively; `sink` receives each typed message (on the watcher's
    /// debounce thread). Roots that do not exist are skipped.
    pub fn start(
        roots: &[PathBuf],
        sink: impl FnMut(WatchMsg) + Send + 'static,
    ) -> crate::Result<Watcher> {
        // A file root (a .slp opened on its own) is watched through its folder, not
        // recursively: replacing the file (a rename over it) changes the inode a watch on the
        // file itself would follow.
        let files: Vec<PathBuf> = roots
            .iter()
            .filter(|r| r.is_file())
            .filter_map(|r| {
                r.parent().map(|p| {
                    if p.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        p
                    }
                })
            })
            .map(Path::to_path_buf)
            .collect();
        let roots: Vec<PathBuf> = roots.iter().filter(|r| r.is_dir()).cloned().collect();
        let polling = roots
            .iter()
            .chain(&files)
            .find_map(|r| fstype::remote_fs(r));
        let (tx, rx) = mpsc::channel::<RawEvent>();
        let handler = move |res: RawEvent| {
            let _ = tx.send(res);
        };
        let err = |p: &Path, e: notify::Error| crate::Error::invalid(p, format!("watch: {e}"));
        let first = roots.first().cloned().unwrap_or_default();
        let inner = if polling.is_some() {
            let cfg = notify::Config::default().with_poll_interval(POLL);
            let mut w = PollWatcher::new(handler, cfg).map_err(|e| err(&first, e))?;
            for r in &roots {
                w.watch(r, RecursiveMode::Recursive)
                    .map_err(|e| err(r, e))?;
            }
            for f in &files {
                w.watch(f, RecursiveMode::NonRecursive)
                    .map_err(|e| err(f, e))?;
            }
            Inner::Poll(w)
        } else {
            let mut w = RecommendedWatcher::new(handler, notify::Config::default())
                .map_err(|e| err(&first, e))?;
            for r in &roots {
                w.watch(r, RecursiveMode::Recursive)
                    .map_err(|e| err(r, e))?;
            }
            for f in &files {
                w.watch(f, RecursiveMode::NonRecursive)
                    .map_err(|e| err(f, e))?;
            }
            Inner::Native(w)
        };
        std::thread::Builder::new()
            .name("watch".into())
            .spawn(move || debounce(rx, sink))
            .map_err(|e| crate::Error::io(&first, e))?;
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
