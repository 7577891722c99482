//! Loading in the background: the project model, one run, a model's predictions. Results come
//! back as [`Loaded`] messages and are applied here; an error is kept where its data would be.

use crate::tui::app::{App, Effect, View};
use crate::tui::data::{Data, RunRow};
use crate::tui::state::labels::FramePreds;
use crate::tui::state::videos::VideoPreds;
use std::path::{Path, PathBuf};

pub use crate::tui::data;

#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one message per load; boxing buys nothing
pub enum Loaded {
    Project(Result<Data, String>),
    Run {
        path: PathBuf,
        row: Result<RunRow, String>,
    },
    Predictions {
        csv: PathBuf,
        preds: Result<FramePreds, String>,
    },
    VideoPreds {
        csv: PathBuf,
        preds: Result<VideoPreds, String>,
    },
    Compare {
        runs: Vec<(String, PathBuf)>,
        result: Result<crate::compare::Comparison, String>,
    },
    /// The Curves export finished: the status bar's message, or why it failed.
    Exported(Result<String, String>),
}

pub fn apply(app: &mut App, l: Loaded) {
    match l {
        Loaded::Project(Ok(d)) => {
            let first = app.loading;
            app.loading = false;
            app.data = d;
            if first {
                crate::tui::state::videos::ensure_loaded(app);
                app.push(Effect::AttachJobs(app.data.root.clone()));
            }
            app.push(Effect::ReadAllEvents);
            if matches!(app.view, View::Labels | View::Videos) {
                app.push(Effect::RequestImage);
            }
        }
        Loaded::Project(Err(e)) => {
            app.loading = false;
            app.data.error = Some(crate::sanitize::clean(&e).into_owned());
        }
        Loaded::Run { path, row } => {
            let row = match row {
                Ok(r) => r,
                Err(e) => {
                    // Keep what we had and show the error in the run's row.
                    let mut r = app
                        .data
                        .runs
                        .iter()
                        .find(|r| r.path == path)
                        .cloned()
                        .unwrap_or_else(|| RunRow {
                            name: path
                                .file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                            path: path.clone(),
                            ..Default::default()
                        });
                    r.errors = vec![crate::sanitize::clean(&e).into_owned()];
                    r
                }
            };
            match app.data.runs.iter_mut().find(|r| r.path == path) {
                Some(slot) => *slot = row,
                None => app.data.runs.push(row),
            }
        }
        Loaded::Predictions { csv, preds } => {
            match app.labels.second.as_mut().filter(|s| s.csv == csv) {
                Some(second) => second.preds = Some(preds),
                None => app.labels.preds = Some((csv, preds)),
            }
            app.push(Effect::RequestImage);
        }
        Loaded::Compare { runs, result } => crate::tui::state::compare::loaded(app, runs, result),
        Loaded::Exported(Ok(msg)) => app.info(msg),
        Loaded::Exported(Err(e)) => app.error(crate::sanitize::clean(&e).into_owned()),
        Loaded::VideoPreds { csv, preds } => {
            app.videos.preds = Some((csv, preds));
            let n = crate::tui::state::videos::n_frames(app);
            app.videos.frame = app.videos.frame.min(n.saturating_sub(1));
            app.push(Effect::RequestImage);
        }
    }
}

/// Moves a run folder to the project's trash (after the confirm popup) and drops it from the
/// views; the outcome is the status bar's message.
pub fn trash(app: &mut App, run: &Path) {
    match crate::tui::jobs::trash_run(&app.data.root, run) {
        Ok(dest) => {
            if let Some(r) = app.data.runs.iter().find(|r| r.path == run) {
                let name = r.name.clone();
                app.scalars.remove_run(&name);
            }
            app.data.runs.retain(|r| r.path != run);
            if app.models.diff_with.as_deref() == Some(run) {
                app.models.diff_with = None;
            }
            app.models.marked.retain(|m| m != run);
            app.info(format!(
                "moved to {}",
                crate::sanitize::clean(&dest.display().to_string())
            ));
        }
        Err(e) => app.error(e.to_string()),
    }
    app.push(Effect::ReloadProject);
}

/// (runs judged active, all runs) for the status bar.
pub fn activity(d: &Data) -> (usize, usize) {
    (
        d.runs.iter().filter(|r| r.is_active()).count(),
        d.runs.len(),
    )
}

/// The run folder holding `p`, if any.
pub fn run_of(d: &Data, p: &Path) -> Option<PathBuf> {
    d.runs
        .iter()
        .filter(|r| p.starts_with(&r.path))
        .max_by_key(|r| r.path.as_os_str().len())
        .map(|r| r.path.clone())
}

/// Whether `event` (an absolute path from the watcher) names `root` (as given, maybe
/// relative), by name in the same folder: the file may have been replaced meanwhile.
fn same_file_name(event: &Path, root: &Path) -> bool {
    if event == root {
        return true;
    }
    if event.file_name() != root.file_name() || !root.is_file() {
        return false;
    }
    let dir = |p: &Path| {
        let d = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::canonicalize(d).ok()
    };
    dir(event).is_some() && dir(event) == dir(root)
}

/// A file whose change alters the project model (configs, labels, label studio files).
pub fn is_project_file(d: &Data, p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    // A .slp opened on its own is its own root.
    same_file_name(p, &d.root)
        || p.parent() == Some(d.root.as_path())
            && (name.ends_with(".yaml")
                || name.ends_with(".yml")
                || name.ends_with(".xml")
                || name.ends_with(".csv")
                || name.ends_with(".unlabeled.jsonl"))
}
