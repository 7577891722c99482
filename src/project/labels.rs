//! What the labels of a project say: keypoints, labeled frames per video (from the
//! `labeled-data/<video>/` paths; images directly in `labeled-data/` form one group), frames
//! with missing keypoints, context frames present (images in the labeled folders that the CSV
//! does not list), and rows whose image is missing.

use super::layout::LabelFile;
use crate::formats::csv::PoseTable;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The group name of images directly in `labeled-data/` (no per-video folder).
pub const FLAT_GROUP: &str = "labeled-data";
const IMAGE_EXTS: [&str; 4] = ["png", "jpg", "jpeg", "bmp"];

/// One labels CSV (one view).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ViewLabels {
    pub view: Option<String>,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub csv: PathBuf,
    pub scorer: String,
    pub keypoints: Vec<String>,
    /// `["x", "y"]` or `["x", "y", "visible"]`.
    pub coords: Vec<String>,
    pub n_labeled_frames: usize,
    pub labeled_frames_per_video: BTreeMap<String, usize>,
    pub n_frames_with_missing_keypoints: usize,
    /// Keypoint -> frames where it is missing, in keypoint order.
    pub missing_per_keypoint: Vec<(String, usize)>,
    /// Images in the labeled folders that the CSV does not list (context frames).
    pub n_context_frames: usize,
    /// CSV rows whose image file is not there.
    pub n_missing_images: usize,
}

/// Labels over all views.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelsSummary {
    pub keypoints: Vec<String>,
    /// Labeled frames (multiview: the most of any view; each view labels the same frames).
    pub n_labeled_frames: usize,
    /// Per video folder (`labeled-data` for a flat folder); views have their own folders.
    pub labeled_frames_per_video: BTreeMap<String, usize>,
    pub n_frames_with_missing_keypoints: usize,
    pub n_context_frames: usize,
    pub n_missing_images: usize,
    /// One entry per labels CSV (per view).
    pub per_view: Vec<ViewLabels>,
    /// Label files that could not be read; each names the file and line.
    pub label_errors: Vec<String>,
}

fn is_image(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, e)| IMAGE_EXTS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

impl ViewLabels {
    /// Summarises a parsed labels table; `root` is the folder the index paths are relative to.
    pub fn of_table(t: &PoseTable, root: &Path, view: Option<String>, csv: &Path) -> ViewLabels {
        let n = t.n_rows();
        let mut per_video: BTreeMap<String, usize> = BTreeMap::new();
        for g in t.videos() {
            let key = g.video.unwrap_or_else(|| FLAT_GROUP.to_string());
            *per_video.entry(key).or_default() += g.rows.len();
        }
        let mut missing_kp = vec![0usize; t.n_keypoints()];
        let mut rows_missing = 0;
        for r in 0..n {
            let mut any = false;
            for (k, slot) in missing_kp.iter_mut().enumerate() {
                if t.is_missing(r, k) {
                    *slot += 1;
                    any = true;
                }
            }
            rows_missing += usize::from(any);
        }
        let (n_context_frames, n_missing_images) = image_census(root, &t.index);
        ViewLabels {
            view,
            csv: csv.to_path_buf(),
            scorer: t.scorer.clone(),
            keypoints: t.keypoints.clone(),
            coords: t.coords.clone(),
            n_labeled_frames: n,
            labeled_frames_per_video: per_video,
            n_frames_with_missing_keypoints: rows_missing,
            missing_per_keypoint: t.keypoints.iter().cloned().zip(missing_kp).collect(),
            n_context_frames,
            n_missing_images,
        }
    }
}

/// (images in the labeled folders not in the CSV, CSV rows whose image is absent).
/// Each folder named by an index path is listed once.
fn image_census(root: &Path, index: &[String]) -> (usize, usize) {
    let normal: Vec<String> = index.iter().map(|s| s.replace('\\', "/")).collect();
    let listed: HashSet<&str> = normal.iter().map(String::as_str).collect();
    let mut folders: HashMap<&str, Option<HashSet<String>>> = HashMap::new();
    for p in &normal {
        let dir = p.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        folders.entry(dir).or_insert_with(|| {
            let rd = std::fs::read_dir(root.join(dir)).ok()?;
            Some(
                rd.flatten()
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .filter(|n| is_image(n))
                    .collect(),
            )
        });
    }
    let mut context = 0;
    for (dir, names) in &folders {
        for n in names.iter().flatten() {
            let key = if dir.is_empty() {
                n.clone()
            } else {
                format!("{dir}/{n}")
            };
            if !listed.contains(key.as_str()) {
                context += 1;
            }
        }
    }
    let missing = normal
        .iter()
        .filter(|p| {
            let (dir, name) = p.rsplit_once('/').unwrap_or(("", p.as_str()));
            !folders
                .get(dir)
                .and_then(|f| f.as_ref())
                .is_some_and(|f| f.contains(name))
        })
        .count();
    (context, missing)
}

impl LabelsSummary {
    /// Reads every labels CSV of the project (`root` = the data dir).
    pub fn load(root: &Path, files: &[LabelFile]) -> LabelsSummary {
        let mut s = LabelsSummary::default();
        for f in files {
            match PoseTable::read(&f.path) {
                Ok(t) => s
                    .per_view
                    .push(ViewLabels::of_table(&t, root, f.view.clone(), &f.path)),
                Err(e) => s.label_errors.push(e.to_string()),
            }
        }
        for v in &s.per_view {
            for k in &v.keypoints {
                if !s.keypoints.contains(k) {
                    s.keypoints.push(k.clone());
                }
            }
            s.n_labeled_frames = s.n_labeled_frames.max(v.n_labeled_frames);
            s.n_frames_with_missing_keypoints = s
                .n_frames_with_missing_keypoints
                .max(v.n_frames_with_missing_keypoints);
            for (video, n) in &v.labeled_frames_per_video {
                *s.labeled_frames_per_video.entry(video.clone()).or_default() += n;
            }
            s.n_context_frames += v.n_context_frames;
            s.n_missing_images += v.n_missing_images;
        }
        s
    }
}
