//! Lightning Pose <-> SLEAP: a pose CSV (CollectedData.csv, predictions.csv) becomes labels
//! (one image-sequence video per `labeled-data/<video>/` folder, one instance per row), and
//! labels become a Lightning Pose project (CollectedData.csv plus labeled-data/ images).

use super::media::{FrameImage, FrameSource};
use super::model::{EmbeddedFrames, Instance, LabeledFrame, LabelsData, Point, Skeleton, Video};
use super::store::Labels;
use crate::formats::csv::{PoseTable, video_of};
use crate::{Error, Result};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Provenance key holding what the Lightning Pose CSV said (scorer, coords, source).
pub const LP_PROVENANCE: &str = "lightning_pose";

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Labels {
    /// Labels from a Lightning Pose pose CSV read from `csv_path`. Rows are grouped by their
    /// `labeled-data/<video>/` folder into image-sequence videos (image paths made absolute
    /// against the CSV's folder; frame index = position in the group); an index of frame
    /// numbers (video predictions) gives one video named after the CSV. Each row with any
    /// placed keypoint becomes one instance: user instances for `x, y[, visible]` tables
    /// (visible 0 = not placed, 1 = occluded: kept with visible = false), predicted instances
    /// with point scores for `x, y, likelihood` tables. An all-empty row is kept as a labeled
    /// frame without instances.
    pub fn from_lightning_pose(table: &PoseTable, csv_path: &Path) -> Result<Labels> {
        let ci = |n: &str| table.coord_index(n);
        let (Some(cx), Some(cy)) = (ci("x"), ci("y")) else {
            return Err(Error::invalid(
                csv_path,
                format!("coords {:?} lack x and y", table.coords),
            ));
        };
        let cvis = ci("visible");
        let clik = ci("likelihood");
        let dir = absolute(csv_path.parent().unwrap_or(Path::new(".")));
        let mut data = LabelsData::default();
        let names: Vec<&str> = table.keypoints.iter().map(String::as_str).collect();
        data.skeletons
            .push(Skeleton::new("Skeleton-0", &names, &[]));
        let mut prov = serde_json::Map::new();
        prov.insert("scorer".into(), json!(table.scorer));
        prov.insert("coords".into(), json!(table.coords));
        prov.insert("source".into(), json!(absolute(csv_path).to_string_lossy()));
        data.provenance
            .insert(LP_PROVENANCE.into(), Value::Object(prov));

        // (video, frame_idx) per row.
        let mut row_key: Vec<(usize, u64)> = vec![(0, 0); table.n_rows()];
        if let Some(frames) = table.frame_numbers().filter(|f| !f.is_empty()) {
            let stem = csv_path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "video".into());
            data.videos.push(Video::from_path(format!("{stem}.mp4")));
            for (r, f) in frames.into_iter().enumerate() {
                row_key[r] = (0, f);
            }
        } else {
            let mut groups: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
            let mut order: Vec<Option<String>> = Vec::new();
            for (r, idx) in table.index.iter().enumerate() {
                let g = video_of(idx).map(str::to_string);
                if !groups.contains_key(&g) {
                    order.push(g.clone());
                }
                groups.entry(g).or_default().push(r);
            }
            for g in order {
                let rows = groups.remove(&g).unwrap_or_default();
                let vi = data.videos.len();
                let images: Vec<String> = rows
                    .iter()
                    .map(|&r| dir.join(&table.index[r]).to_string_lossy().into_owned())
                    .collect();
                let mut v = Video::from_images(images);
                v.backend.insert("type".into(), json!("ImageVideo"));
                data.videos.push(v);
                for (k, r) in rows.into_iter().enumerate() {
                    row_key[r] = (vi, k as u64);
                }
            }
        }
        let mut seen = HashSet::new();
        for (r, &(video, frame_idx)) in row_key.iter().enumerate() {
            if !seen.insert((video, frame_idx)) {
                return Err(Error::invalid(
                    csv_path,
                    format!("row {} repeats frame {frame_idx}", r + 1),
                ));
            }
            let mut points = Vec::with_capacity(names.len());
            let mut any = false;
            let mut score_sum = 0.0;
            for k in 0..names.len() {
                let v = |c: usize| table.value(r, k, c).unwrap_or(f64::NAN);
                let (x, y) = (v(cx), v(cy));
                let vis = cvis.map(v);
                let placed = x.is_finite() && y.is_finite() && vis != Some(0.0);
                let p = if !placed {
                    Point::missing()
                } else if let Some(c) = clik {
                    let s = v(c);
                    score_sum += if s.is_finite() { s } else { 0.0 };
                    Point::predicted(x, y, s)
                } else {
                    Point {
                        visible: vis != Some(1.0),
                        ..Point::new(x, y)
                    }
                };
                any |= placed;
                points.push(p);
            }
            let mut frame = LabeledFrame::new(video, frame_idx);
            if any {
                frame.instances.push(if clik.is_some() {
                    Instance::predicted(0, points, score_sum / names.len().max(1) as f64)
                } else {
                    Instance::user(0, points)
                });
            }
            data.labeled_frames.push(frame);
        }
        Labels::from_data(data).map_err(|m| Error::invalid(csv_path, m))
    }

    /// Embeds the images of every image-sequence video into the labels (for a `.pkg.slp`):
    /// each video becomes embedded PNG/JPEG rows with the image sequence as its source video.
    /// Returns how many images were embedded.
    pub fn embed_image_sequences(&mut self, labels_path: &Path) -> Result<usize> {
        let mut n = 0;
        for vi in 0..self.data.videos.len() {
            let video = &self.data.videos[vi];
            if !video.is_image_sequence() || video.embedded.is_some() {
                continue;
            }
            let src = FrameSource::new(video, labels_path);
            let mut frame_numbers: Vec<u64> = self
                .index
                .per_video
                .get(vi)
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default();
            frame_numbers.retain(|&f| (f as usize) < video.image_filenames.len());
            let mut frames = Vec::with_capacity(frame_numbers.len());
            let mut format = String::new();
            let mut dims = (0u32, 0u32, 1u8);
            for &f in &frame_numbers {
                let enc = src
                    .encoded(f)?
                    .ok_or_else(|| Error::usage("image sequence without images"))?;
                let img = src.image(f)?;
                dims = (img.height, img.width, img.channels);
                if format.is_empty() {
                    format = enc.format.clone();
                } else if format != enc.format {
                    return Err(Error::invalid(
                        src.image_path(f)?,
                        format!(
                            "mixes {} and {} images; cannot embed as one video",
                            format, enc.format
                        ),
                    ));
                }
                frames.push(enc.bytes);
            }
            let mut attrs = serde_json::Map::new();
            attrs.insert("format".into(), json!(format));
            attrs.insert("height".into(), json!(dims.0));
            attrs.insert("width".into(), json!(dims.1));
            attrs.insert("channels".into(), json!(dims.2));
            attrs.insert("frames".into(), json!(frames.len()));
            let mut extra = serde_json::Map::new();
            extra.insert("storage".into(), json!("vlen"));
            n += frames.len();
            let source = self.data.videos[vi].clone();
            let v = &mut self.data.videos[vi];
            *v = Video {
                filename: ".".into(),
                embedded: Some(EmbeddedFrames {
                    dataset: format!("video{vi}/video"),
                    format,
                    frame_numbers,
                    frames,
                    attrs,
                    extra,
                }),
                source_video: Some(Box::new(source)),
                shape: None,
                ..Default::default()
            };
        }
        Ok(n)
    }
}

/// Options for labels -> Lightning Pose.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LpExportOptions {
    /// Which user instance (0-based, in frame order) to take from frames with several.
    pub instance: Option<usize>,
}

/// One image the project needs: frame (video, frame_idx) saved as `dest` (relative to the
/// project folder, as in the CSV index).
#[derive(Clone, Debug, Serialize)]
pub struct LpImage {
    pub video: usize,
    pub frame_idx: u64,
    pub dest: String,
}

/// The CSV and the images of a Lightning Pose project made from labels.
#[derive(Clone, Debug, Serialize)]
pub struct LpPlan {
    #[serde(skip)]
    pub table: PoseTable,
    pub images: Vec<LpImage>,
    /// Frames with only predicted instances (not labels: left out).
    pub skipped_predicted_only: usize,
    /// Frames without the chosen `--instance`.
    pub skipped_no_such_instance: usize,
}

fn stem_of(p: &str) -> String {
    let base = p.rsplit(['/', '\\']).next().unwrap_or(p);
    match base.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s.to_string(),
        _ => base.to_string(),
    }
}

fn parent_name(p: &str) -> String {
    let mut it = p.rsplit(['/', '\\']);
    it.next();
    it.next().unwrap_or("").to_string()
}

fn safe_name(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_matches('.').to_string();
    if s.is_empty() { "video".into() } else { s }
}

/// A folder name for each video under labeled-data/ (unique).
fn video_folder_names(videos: &[Video]) -> Vec<String> {
    let mut used = HashSet::new();
    videos
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let base = if v.is_image_sequence() {
                parent_name(&v.image_filenames[0])
            } else if let Some(src) = &v.source_video {
                if src.is_image_sequence() {
                    parent_name(&src.image_filenames[0])
                } else {
                    stem_of(&src.filename)
                }
            } else if v.embedded.is_some() || v.filename == "." {
                format!("video{i}")
            } else {
                stem_of(&v.filename)
            };
            let base = if base.is_empty() || base == "labeled-data" {
                format!("video{i}")
            } else {
                safe_name(&base)
            };
            let mut name = base.clone();
            let mut k = 1;
            while !used.insert(name.clone()) {
                name = format!("{base}_{k}");
                k += 1;
            }
            name
        })
        .collect()
}

impl Labels {
    /// The Lightning Pose CSV (and the list of images it names) for these labels: one row per
    /// frame with user instances (or with no instances at all), videos in order, frames in
    /// frame order. Frames with several user instances are refused unless `opts.instance`
    /// picks one. A `visible` coord is written when some placed point is marked not visible.
    pub fn to_lightning_pose(&self, source: &Path, opts: &LpExportOptions) -> Result<LpPlan> {
        let used: std::collections::BTreeSet<usize> =
            self.user_instances().map(|i| i.skeleton).collect();
        let sk_idx = match (used.len(), self.data.skeletons.len()) {
            (1, _) => *used.iter().next().unwrap_or(&0),
            (0, 1) => 0,
            (0, 0) => {
                return Err(Error::usage(format!(
                    "{}: no skeleton to make keypoints from",
                    source.display()
                )));
            }
            (0, _) => {
                return Err(Error::usage(format!(
                    "{}: no user instances, and several skeletons",
                    source.display()
                )));
            }
            (n, _) => {
                return Err(Error::usage(format!(
                    "{}: user instances use {n} skeletons; a Lightning Pose CSV has one keypoint set",
                    source.display()
                )));
            }
        };
        let sk = &self.data.skeletons[sk_idx];
        let multi: Vec<&LabeledFrame> = self
            .data
            .labeled_frames
            .iter()
            .filter(|f| f.user_instances().count() > 1)
            .collect();
        if !multi.is_empty() && opts.instance.is_none() {
            let most = multi
                .iter()
                .map(|f| f.user_instances().count())
                .max()
                .unwrap_or(2);
            let first = multi[0];
            return Err(Error::usage(format!(
                "{}: {} frames have more than one user instance (up to {most}; first: frame {} of video {}); \
                 a Lightning Pose CSV holds one animal per frame: pick one with --instance N (0..{})",
                source.display(),
                multi.len(),
                first.frame_idx,
                first.video,
                most - 1
            )));
        }
        let names = video_folder_names(&self.data.videos);
        let mut rows: Vec<(String, Option<&Instance>)> = Vec::new();
        let mut images = Vec::new();
        let (mut skipped_pred, mut skipped_inst) = (0, 0);
        for (vi, v) in self.data.videos.iter().enumerate() {
            for f in self.find(vi, super::FrameQuery::All) {
                let users: Vec<&Instance> = f
                    .user_instances()
                    .filter(|i| i.skeleton == sk_idx)
                    .collect();
                if users.is_empty() && !f.instances.is_empty() {
                    skipped_pred += 1;
                    continue;
                }
                let inst = match (users.len(), opts.instance) {
                    (0, _) => None,
                    (_, None) => users.first().copied(),
                    (_, Some(k)) => match users.get(k) {
                        Some(i) => Some(*i),
                        None => {
                            skipped_inst += 1;
                            continue;
                        }
                    },
                };
                let image_name = if v.is_image_sequence() {
                    v.image_filenames
                        .get(f.frame_idx as usize)
                        .map(|p| safe_name(p.rsplit(['/', '\\']).next().unwrap_or(p)))
                        .unwrap_or_else(|| format!("img{:08}.png", f.frame_idx))
                } else if let Some(src) = v.source_video.as_ref().filter(|s| s.is_image_sequence())
                {
                    src.image_filenames
                        .get(f.frame_idx as usize)
                        .map(|p| {
                            let s = stem_of(p);
                            format!("{}.png", safe_name(&s))
                        })
                        .unwrap_or_else(|| format!("img{:08}.png", f.frame_idx))
                } else {
                    format!("img{:08}.png", f.frame_idx)
                };
                // Images straight in labeled-data/ (no per-video folder) stay there.
                let flat = v.is_image_sequence()
                    && v.image_filenames
                        .first()
                        .is_some_and(|p| parent_name(p) == "labeled-data");
                let dest = if flat {
                    format!("labeled-data/{image_name}")
                } else {
                    format!("labeled-data/{}/{}", names[vi], image_name)
                };
                images.push(LpImage {
                    video: vi,
                    frame_idx: f.frame_idx,
                    dest: dest.clone(),
                });
                rows.push((dest, inst));
            }
        }
        let with_visible = rows.iter().any(|(_, i)| {
            i.is_some_and(|i| {
                i.points
                    .iter()
                    .any(|p| p.x.is_finite() && p.y.is_finite() && !p.visible)
            })
        });
        let coords: Vec<String> = if with_visible {
            vec!["x".into(), "y".into(), "visible".into()]
        } else {
            vec!["x".into(), "y".into()]
        };
        let mut values = Vec::with_capacity(rows.len() * sk.nodes.len() * coords.len());
        for (_, inst) in &rows {
            for k in 0..sk.nodes.len() {
                let p = inst.and_then(|i| i.points.get(k));
                let placed = p.filter(|p| p.x.is_finite() && p.y.is_finite());
                match placed {
                    Some(p) => {
                        values.push(p.x);
                        values.push(p.y);
                        if with_visible {
                            values.push(if p.visible { 2.0 } else { 1.0 });
                        }
                    }
                    None => {
                        values.push(f64::NAN);
                        values.push(f64::NAN);
                        if with_visible {
                            values.push(0.0);
                        }
                    }
                }
            }
        }
        let scorer = self
            .data
            .provenance
            .get(LP_PROVENANCE)
            .and_then(|p| p.get("scorer"))
            .and_then(Value::as_str)
            .unwrap_or("posedeck")
            .to_string();
        let index = rows.into_iter().map(|(d, _)| d).collect();
        let table = PoseTable::new(scorer, sk.nodes.clone(), coords, index, values, None)?;
        Ok(LpPlan {
            table,
            images,
            skipped_predicted_only: skipped_pred,
            skipped_no_such_instance: skipped_inst,
        })
    }

    /// Writes a Lightning Pose project into `out_dir` (which must not exist or be empty):
    /// `CollectedData.csv` and `labeled-data/<video>/` images taken from embedded frames
    /// (PNG bytes copied as stored), image files (copied), or video files through ffmpeg when
    /// installed. Frames whose image cannot be had are listed in the report, not invented.
    pub fn write_lightning_pose_project(
        &self,
        labels_path: &Path,
        out_dir: &Path,
        opts: &LpExportOptions,
    ) -> Result<LpReport> {
        if out_dir.exists() {
            let mut entries = std::fs::read_dir(out_dir).map_err(|e| Error::io(out_dir, e))?;
            if entries.next().is_some() {
                return Err(Error::usage(format!(
                    "{}: folder exists and is not empty; choose a new folder for the project",
                    out_dir.display()
                )));
            }
        }
        let plan = self.to_lightning_pose(labels_path, opts)?;
        std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
        let mut report = LpReport {
            rows: plan.table.n_rows(),
            keypoints: plan.table.n_keypoints(),
            images_written: 0,
            images_missing: Vec::new(),
            skipped_predicted_only: plan.skipped_predicted_only,
            skipped_no_such_instance: plan.skipped_no_such_instance,
            csv: out_dir.join("CollectedData.csv"),
        };
        let mut sources: Vec<Option<FrameSource>> =
            (0..self.data.videos.len()).map(|_| None).collect();
        for job in &plan.images {
            let Some(video) = self.data.videos.get(job.video) else {
                continue;
            };
            let Some(slot) = sources.get_mut(job.video) else {
                continue;
            };
            let src = slot.get_or_insert_with(|| FrameSource::new(video, labels_path));
            let dest = out_dir.join(&job.dest);
            if let Some(parent) = Path::new(&job.dest).parent() {
                // Below the root only, never the root itself: a folder being built under a
                // temporary name and removed by a signal handler must not come back.
                crate::util::create_dirs_below(out_dir, parent)?;
            }
            let want_png = job.dest.to_ascii_lowercase().ends_with(".png");
            let bytes: std::result::Result<Vec<u8>, String> = match src.encoded(job.frame_idx) {
                Ok(Some(enc)) if enc.format == "png" || !want_png => Ok(enc.bytes),
                Ok(_) => src
                    .image(job.frame_idx)
                    .map_err(|e| e.to_string())
                    .and_then(|img: FrameImage| img.to_png()),
                Err(e) => Err(e.to_string()),
            };
            match bytes {
                Ok(b) => {
                    crate::util::write_atomic(&dest, &b)?;
                    report.images_written += 1;
                }
                Err(why) => report.images_missing.push((job.dest.clone(), why)),
            }
        }
        plan.table.write(&report.csv)?;
        Ok(report)
    }
}

/// What [`Labels::write_lightning_pose_project`] wrote.
#[derive(Clone, Debug, Serialize)]
pub struct LpReport {
    pub csv: PathBuf,
    pub rows: usize,
    pub keypoints: usize,
    pub images_written: usize,
    /// (image path in the CSV, why it could not be written).
    pub images_missing: Vec<(String, String)>,
    pub skipped_predicted_only: usize,
    pub skipped_no_such_instance: usize,
}
