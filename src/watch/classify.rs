//! Turns raw file events into typed messages by file name.

use notify::EventKind;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What changed in the project, as the workstation cares about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum WatchMsg {
    /// A model run folder appeared (or its config.yaml did): the run directory.
    RunAppeared(PathBuf),
    /// A folder or file under models/ went away.
    Removed(PathBuf),
    /// `train_status.json` was (re)written: the run directory.
    StatusChanged(PathBuf),
    /// An events file grew or appeared: the file (read only the appended bytes).
    EventsGrew(PathBuf),
    /// A CSV was written (predictions, metrics, CollectedData): the file.
    CsvChanged(PathBuf),
    /// Another file in the project changed (configs, label studio files).
    Other(PathBuf),
    /// The watcher itself reported an error.
    Error(String),
}

/// The folder inside a project where the workstation moves deleted runs.
pub const TRASH: &str = ".posedeck-trash";

fn name_of(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Classifies one path touched by an event of `kind`. Access events and temporary files
/// (atomic writes land through a rename that reports the final name) yield nothing.
pub fn classify(kind: &EventKind, path: &Path, is_dir: bool) -> Option<WatchMsg> {
    if matches!(kind, EventKind::Access(_)) {
        return None;
    }
    // The workstation's trash (runs moved there by a delete) is not part of the project,
    // nor are the figures exported from Curves (`.posedeck/exports/`).
    if path.components().any(|c| c.as_os_str() == TRASH) || in_exports(path) {
        return None;
    }
    let name = name_of(path);
    if name.is_empty() || name.ends_with(".tmp") || name.ends_with('~') || name.starts_with(".#") {
        return None;
    }
    let removed = matches!(kind, EventKind::Remove(_));
    if name == "train_status.json" {
        let dir = path.parent()?.to_path_buf();
        return Some(if removed {
            WatchMsg::Removed(path.to_path_buf())
        } else {
            WatchMsg::StatusChanged(dir)
        });
    }
    if removed {
        return Some(WatchMsg::Removed(path.to_path_buf()));
    }
    if name.starts_with("events.out.tfevents") {
        return Some(WatchMsg::EventsGrew(path.to_path_buf()));
    }
    if (name == "config.yaml" || name == "ensemble.yaml")
        && let Some(dir) = path.parent()
        && in_models(dir)
    {
        return Some(WatchMsg::RunAppeared(dir.to_path_buf()));
    }
    if is_dir && matches!(kind, EventKind::Create(_)) && in_models(path) {
        return Some(WatchMsg::RunAppeared(path.to_path_buf()));
    }
    if name.ends_with(".csv") {
        return Some(WatchMsg::CsvChanged(path.to_path_buf()));
    }
    if is_dir {
        return None;
    }
    Some(WatchMsg::Other(path.to_path_buf()))
}

/// True when `p` lies under a project's `.posedeck/exports/` (figures and their CSVs).
fn in_exports(p: &Path) -> bool {
    let parts: Vec<_> = p.components().map(|c| c.as_os_str()).collect();
    parts
        .windows(2)
        .any(|w| w[0] == ".posedeck" && w[1] == "exports")
}

/// True when `p` lies under a `models` or `outputs` folder (the run layouts).
fn in_models(p: &Path) -> bool {
    p.ancestors()
        .skip(1)
        .any(|a| matches!(name_of(a), "models" | "outputs"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, CreateKind, ModifyKind, RemoveKind};

    #[test]
    fn kinds_by_name() {
        let m = EventKind::Modify(ModifyKind::Any);
        assert_eq!(
            classify(&m, Path::new("/p/models/r/train_status.json"), false),
            Some(WatchMsg::StatusChanged("/p/models/r".into()))
        );
        assert_eq!(
            classify(
                &m,
                Path::new("/p/models/r/tb_logs/x/version_0/events.out.tfevents.1.h.2.0"),
                false
            ),
            Some(WatchMsg::EventsGrew(
                "/p/models/r/tb_logs/x/version_0/events.out.tfevents.1.h.2.0".into()
            ))
        );
        assert_eq!(
            classify(&m, Path::new("/p/models/r/predictions.csv"), false),
            Some(WatchMsg::CsvChanged("/p/models/r/predictions.csv".into()))
        );
        assert_eq!(
            classify(
                &EventKind::Create(CreateKind::Folder),
                Path::new("/p/models/new"),
                true
            ),
            Some(WatchMsg::RunAppeared("/p/models/new".into()))
        );
        assert_eq!(
            classify(
                &EventKind::Remove(RemoveKind::Folder),
                Path::new("/p/models/old"),
                true
            ),
            Some(WatchMsg::Removed("/p/models/old".into()))
        );
        // A run moved to the trash is not a run appearing.
        assert_eq!(
            classify(
                &EventKind::Create(CreateKind::Folder),
                Path::new("/p/.posedeck-trash/2026-11-21T11-46-57Z/models/old"),
                true
            ),
            None
        );
        // Figures exported from Curves are not project files.
        assert_eq!(
            classify(
                &EventKind::Create(CreateKind::File),
                Path::new("/p/.posedeck/exports/curves-20261203T101010Z.csv"),
                false
            ),
            None
        );
    }

    #[test]
    fn access_and_temp_files_are_dropped() {
        let a = EventKind::Access(AccessKind::Any);
        assert_eq!(
            classify(&a, Path::new("/p/models/r/train_status.json"), false),
            None
        );
        let m = EventKind::Modify(ModifyKind::Any);
        assert_eq!(
            classify(&m, Path::new("/p/models/r/train_status.json.tmp"), false),
            None
        );
        assert_eq!(
            classify(&m, Path::new("/p/models/r/.x.csv.12.tmp"), false),
            None
        );
    }
}
