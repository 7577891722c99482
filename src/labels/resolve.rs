//! Finding the media of a moved project: when a video's stored path does not exist, look in
//! the search paths, beside the labels file, and under the labels folder by the stored path's
//! last components. Reports each path it fixed and each it could not.

use super::model::Video;
use super::store::Labels;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How a path was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    /// The same file name in one of the search paths.
    SearchPath,
    /// The same file name beside the labels file.
    BesideLabels,
    /// The stored path's last components under the labels folder or a search path.
    LastComponents,
}

/// One path changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathFix {
    pub video: usize,
    /// For image sequences: which image; `None` for the video file itself.
    pub image: Option<usize>,
    pub old: String,
    pub new: String,
    pub found_by: FoundBy,
}

/// What [`Labels::resolve_video_paths`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ResolveReport {
    pub fixed: Vec<PathFix>,
    /// (video, stored path) still not found.
    pub missing: Vec<(usize, String)>,
    /// Videos whose frames are embedded in the labels file (nothing to find).
    pub embedded: Vec<usize>,
}

fn components(stored: &str) -> Vec<&str> {
    stored
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// Finds a moved file. `None` when the stored path exists as is (nothing to fix) or cannot
/// be found (`Err(())`).
fn find(
    stored: &str,
    labels_dir: &Path,
    search: &[PathBuf],
) -> Result<Option<(PathBuf, FoundBy)>, ()> {
    if stored.is_empty() {
        return Err(());
    }
    if Path::new(stored).is_file() && Path::new(stored).is_absolute() {
        return Ok(None);
    }
    if Path::new(stored).is_relative() && labels_dir.join(stored).is_file() {
        return Ok(None);
    }
    let comps = components(stored);
    let Some(base) = comps.last() else {
        return Err(());
    };
    for s in search {
        let dir = if s.is_file() {
            s.parent().unwrap_or(Path::new("."))
        } else {
            s.as_path()
        };
        let p = dir.join(base);
        if p.is_file() {
            return Ok(Some((p, FoundBy::SearchPath)));
        }
    }
    let beside = labels_dir.join(base);
    if beside.is_file() {
        return Ok(Some((beside, FoundBy::BesideLabels)));
    }
    let roots = std::iter::once(labels_dir.to_path_buf()).chain(search.iter().cloned());
    for root in roots {
        for k in (2..=comps.len().min(4)).rev() {
            let tail: PathBuf = comps[comps.len() - k..].iter().collect();
            let p = root.join(tail);
            if p.is_file() {
                return Ok(Some((p, FoundBy::LastComponents)));
            }
        }
    }
    Err(())
}

fn set_filename(v: &mut Video, new: &str) {
    v.filename = new.to_string();
    if v.backend.contains_key("filename") && !v.is_image_sequence() {
        v.backend
            .insert("filename".into(), serde_json::Value::from(new));
    }
}

impl Labels {
    /// Fixes the paths of videos (and image-sequence images) that do not exist where stored:
    /// a relative stored path that exists beside the labels file's folder is
    /// left alone; otherwise the same file name in each search path
    /// (a folder, or a file whose folder is used), then beside the labels file, then the
    /// stored path's last 4..2 components under the labels folder and the search paths.
    /// `labels_path` is the labels file. Returns what was fixed and what is still missing.
    pub fn resolve_video_paths(&mut self, labels_path: &Path, search: &[PathBuf]) -> ResolveReport {
        let labels_dir = labels_path.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut report = ResolveReport::default();
        for vi in 0..self.data.videos.len() {
            let Some(v) = self.data.videos.get_mut(vi) else {
                continue;
            };
            if v.embedded.is_some() {
                report.embedded.push(vi);
                continue;
            }
            if v.is_image_sequence() {
                let mut changed = false;
                for ii in 0..v.image_filenames.len() {
                    let stored = v.image_filenames[ii].clone();
                    match find(&stored, &labels_dir, search) {
                        Ok(None) => {}
                        Ok(Some((p, how))) => {
                            let new = p.to_string_lossy().into_owned();
                            v.image_filenames[ii] = new.clone();
                            changed = true;
                            report.fixed.push(PathFix {
                                video: vi,
                                image: Some(ii),
                                old: stored,
                                new,
                                found_by: how,
                            });
                        }
                        Err(()) => report.missing.push((vi, stored)),
                    }
                }
                if changed {
                    let list: Vec<serde_json::Value> = v
                        .image_filenames
                        .iter()
                        .map(|s| serde_json::Value::from(s.as_str()))
                        .collect();
                    if v.backend.contains_key("filenames") {
                        v.backend
                            .insert("filenames".into(), serde_json::Value::Array(list));
                    }
                    v.filename = v.image_filenames.first().cloned().unwrap_or_default();
                }
                continue;
            }
            let stored = v.filename.clone();
            match find(&stored, &labels_dir, search) {
                Ok(None) => {}
                Ok(Some((p, how))) => {
                    let new = p.to_string_lossy().into_owned();
                    set_filename(v, &new);
                    report.fixed.push(PathFix {
                        video: vi,
                        image: None,
                        old: stored,
                        new,
                        found_by: how,
                    });
                }
                Err(()) => report.missing.push((vi, stored)),
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_moved_media_and_reports() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("proj/videos/day1")).unwrap();
        std::fs::create_dir_all(root.join("elsewhere")).unwrap();
        std::fs::write(root.join("proj/beside.mp4"), b"x").unwrap();
        std::fs::write(root.join("proj/videos/day1/deep.mp4"), b"x").unwrap();
        std::fs::write(root.join("elsewhere/searched.mp4"), b"x").unwrap();
        std::fs::write(root.join("proj/img0.png"), b"x").unwrap();
        let abs = root
            .join("elsewhere/searched.mp4")
            .to_string_lossy()
            .into_owned();
        let mut l = Labels::new();
        l.add_video(Video::from_path("/old/machine/beside.mp4"));
        l.add_video(Video::from_path("C:\\data\\videos\\day1\\deep.mp4"));
        l.add_video(Video::from_path("/gone/searched.mp4"));
        l.add_video(Video::from_path("/gone/nowhere.mp4"));
        l.add_video(Video::from_path(abs.clone()));
        l.add_video(Video::from_images(vec![
            "/x/img0.png".into(),
            "/x/img1.png".into(),
        ]));
        let mut emb = Video::from_path(".");
        emb.embedded = Some(Default::default());
        l.add_video(emb);
        let labels_path = root.join("proj/labels.slp");
        let r = l.resolve_video_paths(&labels_path, &[root.join("elsewhere")]);
        let how: Vec<(usize, FoundBy)> = r.fixed.iter().map(|f| (f.video, f.found_by)).collect();
        assert_eq!(
            how,
            vec![
                (0, FoundBy::BesideLabels),
                (1, FoundBy::LastComponents),
                (2, FoundBy::SearchPath),
                (5, FoundBy::BesideLabels),
            ]
        );
        assert_eq!(
            r.missing,
            vec![
                (3, "/gone/nowhere.mp4".to_string()),
                (5, "/x/img1.png".to_string())
            ]
        );
        assert_eq!(r.embedded, vec![6]);
        assert_eq!(
            l.videos[1].filename,
            root.join("proj/videos/day1/deep.mp4").to_string_lossy()
        );
        assert_eq!(
            l.videos[4].filename, abs,
            "existing absolute path untouched"
        );
        assert_eq!(
            l.videos[5].image_filenames[0],
            root.join("proj/img0.png").to_string_lossy()
        );
    }
}
