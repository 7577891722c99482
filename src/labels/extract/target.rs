//! Where an extraction in a project reads and writes: the video (a path, or a video's name
//! in the project's video folders), the label CSV whose queue gets the frames, and the model
//! run whose predictions rank them.

use crate::project::layout::Layout;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The label CSVs of a project and their views (`None` for a single-view project): the ones
/// found, else `CollectedData.csv` in the data dir.
pub fn label_views(layout: &Layout) -> Vec<(Option<String>, PathBuf)> {
    let v: Vec<(Option<String>, PathBuf)> = layout
        .label_files
        .iter()
        .map(|f| (f.view.clone(), f.path.clone()))
        .collect();
    if v.is_empty() {
        vec![(None, layout.root.join("CollectedData.csv"))]
    } else {
        v
    }
}

/// The views of one extraction: (video, label CSV) for the given video first, then, in a
/// multiview project, the same session's video of every other view (the file name with the
/// view's name in place of this one's, as the app pairs them) and that view's CSV.
pub fn plan(views: &[(Option<String>, PathBuf)], video: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let named: Vec<(&str, &PathBuf)> = views
        .iter()
        .filter_map(|(v, csv)| Some((v.as_deref()?, csv)))
        .collect();
    if named.is_empty() {
        let csv = views
            .first()
            .map(|v| v.1.clone())
            .ok_or_else(|| Error::usage("no label CSV"))?;
        return Ok(vec![(video.to_path_buf(), csv)]);
    }
    let name = video
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(&(this, this_csv)) = named
        .iter()
        .filter(|(v, _)| name.contains(v))
        .max_by_key(|(v, _)| v.len())
    else {
        return Err(Error::invalid(
            video,
            format!(
                "multiview project: the file name names none of its views ({})",
                named.iter().map(|v| v.0).collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    let mut out = vec![(video.to_path_buf(), this_csv.clone())];
    for &(v, csv) in &named {
        if v == this {
            continue;
        }
        let sib = video.with_file_name(name.replacen(this, v, 1));
        if !sib.exists() {
            return Err(Error::invalid(
                &sib,
                format!(
                    "not found: view '{v}' of this session (multiview frames are extracted from every view)"
                ),
            ));
        }
        out.push((sib, csv.clone()));
    }
    Ok(out)
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
