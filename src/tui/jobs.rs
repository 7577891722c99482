//! The background workers: the project loader, the scalars reader (events-file tailers that
//! read only appended bytes) and a reader for prediction tables. Each sends its results on
//! the app's one channel.

use crate::tui::load::Loaded;
use crate::tui::msg::Msg;
use crate::tui::scalars::ScalarUpdate;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};

#[derive(Debug, Clone, PartialEq)]
pub enum LoadReq {
    Project,
    Run(RunRef),
}

/// A known run folder, named and laid out as the project listed it (to reload it alone).
#[derive(Debug, Clone, PartialEq)]
pub struct RunRef {
    pub path: PathBuf,
    pub name: String,
    pub layout: crate::project::RunLayout,
}

impl LoadReq {
    /// Reloading the run in `dir`: that run alone when the project lists it, else the whole
    /// project (a new run folder).
    pub fn for_run(d: &crate::tui::data::Data, dir: &Path) -> LoadReq {
        d.runs
            .iter()
            .find(|r| r.path == dir)
            .and_then(|r| {
                Some(LoadReq::Run(RunRef {
                    path: r.path.clone(),
                    name: r.name.clone(),
                    layout: r.layout.clone()?,
                }))
            })
            .unwrap_or(LoadReq::Project)
    }
}

/// Serves load requests in order, coalescing a burst: duplicates are dropped and a whole
/// project reload makes pending single-run refreshes unnecessary.
pub struct Loader {
    tx: Sender<LoadReq>,
}

impl Loader {
    pub fn submit(&mut self, r: LoadReq) {
        let _ = self.tx.send(r);
    }
}

fn drain<T: PartialEq>(rx: &Receiver<T>, first: T) -> Vec<T> {
    let mut v = vec![first];
    while let Ok(x) = rx.try_recv() {
        if !v.contains(&x) {
            v.push(x);
        }
    }
    v
}

pub fn spawn_loader(out: Sender<Msg>, target: String) -> Loader {
    let (tx, rx) = mpsc::channel::<LoadReq>();
    let _ = std::thread::Builder::new()
        .name("loader".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let batch = drain(&rx, first);
                let msgs: Vec<Loaded> = if batch.contains(&LoadReq::Project) {
                    vec![Loaded::Project(crate::tui::adapt::project(&target))]
                } else {
                    batch
                        .into_iter()
                        .filter_map(|r| match r {
                            LoadReq::Run(r) => Some(Loaded::Run {
                                row: crate::tui::adapt::run(&r),
                                path: r.path,
                            }),
                            LoadReq::Project => None,
                        })
                        .collect()
                };
                for m in msgs {
                    if out.send(Msg::Loaded(Box::new(m))).is_err() {
                        return;
                    }
                }
            }
        });
    Loader { tx }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScalarReq {
    pub file: PathBuf,
    pub run: String,
    pub dir: PathBuf,
}

/// Tailers per events file, grouped by run: each request reads what was appended since the
/// last one. When a file was replaced (it shrank), the run's other files are read again too,
/// so the update that resets the run carries all of its points.
#[derive(Default)]
pub struct ScalarsReader {
    tails: HashMap<PathBuf, crate::tui::adapt::Tail>,
    runs: HashMap<String, Vec<PathBuf>>,
}

impl ScalarsReader {
    pub fn read(&mut self, req: ScalarReq) -> Option<ScalarUpdate> {
        let files = self.runs.entry(req.run.clone()).or_default();
        if !files.contains(&req.file) {
            files.push(req.file.clone());
        }
        let t = self
            .tails
            .entry(req.file.clone())
            .or_insert_with(|| crate::tui::adapt::Tail::new(&req.file));
        let r = t.read_new();
        let mut u = ScalarUpdate {
            run: req.run.clone(),
            dir: req.dir,
            file: req.file.clone(),
            points: r.points,
            error: Some(r.error.unwrap_or_default()),
            reset: r.reset,
        };
        if r.reset {
            let others: Vec<PathBuf> = self
                .runs
                .get(&req.run)
                .map(|v| v.iter().filter(|f| **f != req.file).cloned().collect())
                .unwrap_or_default();
            let mut before = Vec::new();
            for f in others {
                let mut t = crate::tui::adapt::Tail::new(&f);
                before.extend(t.read_new().points);
                self.tails.insert(f, t);
            }
            before.append(&mut u.points);
            u.points = before;
        }
        if u.points.is_empty() && !u.reset && !r.error_changed {
            return None;
        }
        Some(u)
    }
}

/// One thread owns the [`ScalarsReader`]; a burst of requests for one file is read once.
pub fn spawn_scalars(out: Sender<Msg>) -> Sender<ScalarReq> {
    let (tx, rx) = mpsc::channel::<ScalarReq>();
    let _ = std::thread::Builder::new()
        .name("scalars".into())
        .spawn(move || {
            let mut reader = ScalarsReader::default();
            while let Ok(first) = rx.recv() {
                for req in drain(&rx, first) {
                    if let Some(u) = reader.read(req)
                        && out.send(Msg::Scalars(u)).is_err()
                    {
                        return;
                    }
                }
            }
        });
    tx
}

#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Predictions(PathBuf),
    VideoPreds(PathBuf),
    /// Compare runs' pixel errors (name, run folder).
    Compare(Vec<(String, PathBuf)>),
}

pub fn spawn_jobs(out: Sender<Msg>) -> Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>();
    let _ = std::thread::Builder::new()
        .name("tables".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                // Only the newest request of each kind matters.
                let batch = drain(&rx, first);
                let last_p = batch
                    .iter()
                    .rev()
                    .find(|j| matches!(j, Job::Predictions(_)));
                let last_v = batch.iter().rev().find(|j| matches!(j, Job::VideoPreds(_)));
                let last_c = batch.iter().rev().find(|j| matches!(j, Job::Compare(_)));
                for j in [last_p, last_v, last_c].into_iter().flatten() {
                    let m = match j {
                        Job::Predictions(csv) => Loaded::Predictions {
                            preds: crate::tui::adapt::frame_predictions(csv),
                            csv: csv.clone(),
                        },
                        Job::VideoPreds(csv) => Loaded::VideoPreds {
                            preds: crate::tui::adapt::video_predictions(csv),
                            csv: csv.clone(),
                        },
                        Job::Compare(runs) => Loaded::Compare {
                            result: crate::tui::state::compare::compute(runs),
                            runs: runs.clone(),
                        },
                    };
                    if out.send(Msg::Loaded(Box::new(m))).is_err() {
                        return;
                    }
                }
            }
        });
    tx
}

pub use crate::watch::classify::TRASH;

/// Moves a run folder to `<project>/.posedeck-trash/<UTC time>/<its path in the project>`
/// (or to a trash folder beside the run when it lies outside the project or on another
/// filesystem), so it can be put back by moving it again. Nothing is unlinked.
pub fn trash_run(root: &Path, run: &Path) -> crate::Result<PathBuf> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    trash_run_at(root, run, secs)
}

/// [`trash_run`] with the time given (seconds since 1970, UTC).
pub fn trash_run_at(root: &Path, run: &Path, unix_secs: u64) -> crate::Result<PathBuf> {
    let name = run
        .file_name()
        .ok_or_else(|| crate::Error::usage(format!("{}: not a run folder", run.display())))?;
    if !run.is_dir() {
        return Err(crate::Error::invalid(run, "the run folder is gone"));
    }
    let stamp = utc_stamp(unix_secs);
    let mut tries = Vec::new();
    if let Ok(rel) = run.strip_prefix(root)
        && !rel.as_os_str().is_empty()
    {
        tries.push((root.join(TRASH).join(&stamp), rel.to_path_buf()));
    }
    if let Some(parent) = run.parent() {
        tries.push((parent.join(TRASH).join(&stamp), PathBuf::from(name)));
    }
    let mut last = None;
    for (trash, rel) in tries {
        // Another run of the same path trashed in the same second: the next free folder.
        let Some(dest) = (0..1000)
            .map(|i| match i {
                0 => trash.join(&rel),
                i => trash.with_file_name(format!("{stamp}-{i}")).join(&rel),
            })
            .find(|d| !d.exists())
        else {
            last = Some(crate::Error::invalid(&trash, "no free folder in the trash"));
            continue;
        };
        if let Some(p) = dest.parent() {
            std::fs::create_dir_all(p).map_err(|e| crate::Error::io(p, e))?;
        }
        match std::fs::rename(run, &dest) {
            Ok(()) => return Ok(dest),
            Err(e) => last = Some(crate::Error::io(run, e)),
        }
    }
    Err(last.unwrap_or_else(|| crate::Error::usage("no trash folder")))
}

/// `2026-11-21T15-04-05Z` (no colons: safe in every file system).
fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (y, m, d) = crate::util::civil(days);
    let t = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}-{:02}-{:02}Z",
        t / 3600,
        (t % 3600) / 60,
        t % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn trash_moves_never_deletes() {
        let d = tempfile::tempdir().unwrap();
        let run = d.path().join("models").join("r1");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(run.join("config.yaml"), "a: 1\n").unwrap();
        let dest = super::trash_run_at(d.path(), &run, 1_795_261_617).unwrap();
        assert!(!run.exists());
        assert_eq!(
            dest,
            d.path()
                .join(".posedeck-trash/2026-11-21T11-46-57Z/models/r1")
        );
        assert_eq!(
            std::fs::read_to_string(dest.join("config.yaml")).unwrap(),
            "a: 1\n"
        );
        // The same run path again in the same second: the next free folder.
        std::fs::create_dir_all(&run).unwrap();
        let dest = super::trash_run_at(d.path(), &run, 1_795_261_617).unwrap();
        assert_eq!(
            dest,
            d.path()
                .join(".posedeck-trash/2026-11-21T11-46-57Z-1/models/r1")
        );
        assert!(!run.exists());
        let e = super::trash_run_at(d.path(), &d.path().join("gone"), 0).unwrap_err();
        assert!(e.to_string().contains("gone"), "{e}");
    }
}
