//! Where an extraction in a project reads and writes: the video (a path, or a video's name
//! in the project's video folders), the label CSV whose queue gets the frames, and the model
//! run whose predictions rank them.

use crate::project::layout::Layout;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The single-view label CSV of a project: the one found (`CollectedData.csv` or the one
/// `project.yaml` names), else `CollectedData.csv` in the data dir. A multiview project is
/// an error: its views' frames must be chosen together.
pub fn label_csv(layout: &Layout) -> Result<PathBuf> {
    let views: Vec<&str> = layout
        .label_files
        .iter()
        .filter_map(|f| f.view.as_deref())
        .collect();
    if !views.is_empty() {
        return Err(Error::invalid(
            &layout.root,
            format!(
                "multiview project (views {}): posedeck extracts frames for single-view projects; extract each session's views together with the Lightning Pose app",
                views.join(", ")
            ),
        ));
    }
    Ok(layout
        .label_files
        .first()
        .map(|f| f.path.clone())
        .unwrap_or_else(|| layout.root.join("CollectedData.csv")))
}

/// A video argument: an existing path (as given, or inside the project), else the file or
/// frame-folder name (with or without extension) of one of the project's videos.
pub fn resolve_video(root: &Path, arg: &str) -> Result<PathBuf> {
    let p = Path::new(arg);
    if p.exists() {
        return Ok(p.to_path_buf());
    }
    if root.join(p).exists() {
        return Ok(root.join(p));
    }
    let videos = crate::project::videos::list(root);
    let hits: Vec<&crate::project::VideoInfo> = videos
        .iter()
        .filter(|v| {
            v.file == arg
                || Path::new(&v.file)
                    .file_stem()
                    .is_some_and(|s| s.to_string_lossy() == arg)
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok(one.path.clone()),
        [] => Err(Error::usage(format!(
            "no video '{}' (a file, a frame folder, or one of: {})",
            crate::sanitize::clean(arg),
            if videos.is_empty() {
                "none in videos/".to_string()
            } else {
                videos
                    .iter()
                    .map(|v| crate::sanitize::clean(&v.file).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ))),
        many => Err(Error::usage(format!(
            "'{}' names {} videos ({}): give the path",
            crate::sanitize::clean(arg),
            many.len(),
            many.iter()
                .map(|v| format!("{}/{}", v.folder, crate::sanitize::clean(&v.file)))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A model argument: a run folder path, else a run's name in the project's model folders.
/// Returns (name, folder).
pub fn resolve_run(layout: &Layout, arg: &str) -> Result<(String, PathBuf)> {
    let p = Path::new(arg);
    if p.is_dir() {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| arg.to_string());
        return Ok((name, p.to_path_buf()));
    }
    let mut names = Vec::new();
    for d in &layout.model_dirs {
        for r in crate::project::runs::discover_checked(d).0 {
            if r.name == arg
                || r.path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy() == arg)
            {
                return Ok((r.name, r.path));
            }
            names.push(r.name);
        }
    }
    Err(Error::usage(format!(
        "no model '{}' (a run folder, or one of: {})",
        crate::sanitize::clean(arg),
        if names.is_empty() {
            "no runs in the project".to_string()
        } else {
            names.join(", ")
        }
    )))
}
