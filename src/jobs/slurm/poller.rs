//! SLURM's view of many followed job folders with one squeue call per interval for all of
//! them (controllers are shared: never one call per job). Each follower asks for its folder;
//! the first to find the last poll too old polls for every folder asked about, the others get
//! the last answer at once (nobody waits for a client call another thread is making). When
//! SLURM cannot be asked (the controller down, a client that hangs) the last view each folder
//! had is kept beside the error.

use super::view::{SlurmView, views_of};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How often the shared poller asks squeue.
pub const EVERY: Duration = Duration::from_secs(10);

/// What is known of one folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// Counts the polls: a new one may bring news.
    pub poll: u64,
    /// SLURM's last view of the job (kept while SLURM cannot be asked).
    pub view: Option<SlurmView>,
    /// Why the last poll could not say (one line naming the command).
    pub error: Option<String>,
}

/// The answer for one folder.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// No `slurm_job.json`: a local job.
    NotSlurm,
    /// Not polled yet (another thread is polling now).
    NotYet,
    Known(Seen),
}

#[derive(Default)]
struct Inner {
    dirs: BTreeSet<PathBuf>,
    seen: HashMap<PathBuf, Seen>,
    last: Option<Instant>,
    busy: bool,
    polls: u64,
}

/// Polls SLURM for the folders asked about, at most once per `every`.
pub struct Poller {
    every: Duration,
    inner: Mutex<Inner>,
}

/// The workstation's poller (every [`EVERY`]).
pub fn shared() -> &'static Poller {
    static P: OnceLock<Poller> = OnceLock::new();
    P.get_or_init(|| Poller::new(EVERY))
}

impl Poller {
    pub fn new(every: Duration) -> Poller {
        Poller {
            every,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many polls were made (each is one squeue call, and one sacct call at most).
    pub fn polls(&self) -> u64 {
        self.lock().polls
    }

    /// What is known of `dir`, polling first (for every folder asked about) when the last
    /// poll is older than the interval or never saw `dir`, unless another thread polls now.
    pub fn ask(&self, dir: &Path) -> Answer {
        let dirs: Vec<PathBuf> = {
            let mut g = self.lock();
            if !g.dirs.contains(dir) && g.seen.contains_key(dir) {
                return Answer::NotSlurm;
            }
            g.dirs.insert(dir.to_path_buf());
            let stale = g.last.is_none_or(|t| t.elapsed() >= self.every);
            let known = g.seen.get(dir).cloned();
            if g.busy || (!stale && known.is_some()) {
                return known.map_or(Answer::NotYet, Answer::Known);
            }
            g.busy = true;
            g.dirs.iter().cloned().collect()
        };
        let views = views_of(&dirs);
        let mut g = self.lock();
        g.busy = false;
        g.last = Some(Instant::now());
        g.polls += 1;
        let poll = g.polls;
        let mut answered: BTreeSet<PathBuf> = BTreeSet::new();
        for (d, v) in views {
            let last = g.seen.get(&d).and_then(|s| s.view.clone());
            let seen = match v {
                Ok(v) => match v.error.clone() {
                    // SLURM could not be asked: the last view stays.
                    Some(e) => Seen {
                        poll,
                        view: last.or(Some(v)),
                        error: Some(e),
                    },
                    None => Seen {
                        poll,
                        view: Some(v),
                        error: None,
                    },
                },
                Err(e) => Seen {
                    poll,
                    view: last,
                    error: Some(crate::sanitize::one_line(&e.to_string())),
                },
            };
            answered.insert(d.clone());
            g.seen.insert(d, seen);
        }
        // Folders without a record are local jobs: not asked about again.
        for d in dirs.iter().filter(|d| !answered.contains(*d)) {
            g.dirs.remove(d);
            g.seen.insert(
                d.clone(),
                Seen {
                    poll,
                    view: None,
                    error: None,
                },
            );
        }
        if !g.dirs.contains(dir) {
            return Answer::NotSlurm;
        }
        g.seen
            .get(dir)
            .cloned()
            .map_or(Answer::NotYet, Answer::Known)
    }

    /// Stops polling for `dir` (its follower ended).
    pub fn forget(&self, dir: &Path) {
        let mut g = self.lock();
        g.dirs.remove(dir);
        g.seen.remove(dir);
    }
}
