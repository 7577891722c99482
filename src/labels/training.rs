//! Training data: for each labeled frame its image and a NaN-padded points array
//! (instances x nodes x 2), and a self-contained HDF5 export of both.

use super::media::{FrameImage, FrameSource};
use super::store::Labels;
use crate::{Error, Result};
use serde::Serialize;
use std::path::Path;

/// Which frames and instances become training examples.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TrainingOptions {
    /// Use predicted instances for frames without user instances (default: user only).
    pub include_predicted: bool,
    /// The skeleton to export; `None` = the only skeleton in use.
    pub skeleton: Option<usize>,
}

/// One frame ready for training.
#[derive(Clone, Debug, Serialize)]
pub struct TrainingExample {
    pub video: usize,
    pub frame_idx: u64,
    pub image: FrameImage,
    /// Real instances in this frame (the rest of `points` is NaN padding).
    pub n_instances: usize,
    /// `max_instances * n_nodes` (x, y) pairs, NaN for missing / not visible nodes and for
    /// padding.
    pub points: Vec<[f32; 2]>,
}

/// Training examples of a label set.
#[derive(Clone, Debug, Serialize)]
pub struct TrainingData {
    pub node_names: Vec<String>,
    pub edges: Vec<(usize, usize)>,
    pub max_instances: usize,
    pub examples: Vec<TrainingExample>,
}

impl Labels {
    /// Images and NaN-padded points for every frame with user instances (plus frames with
    /// only predictions when `include_predicted`). `labels_path` is the labels file: its
    /// embedded frames and the media beside it are used. A frame whose image cannot be had
    /// is an error naming the video.
    pub fn generate_training_data(
        &self,
        labels_path: &Path,
        opts: &TrainingOptions,
    ) -> Result<TrainingData> {
        let sk_idx = match opts.skeleton {
            Some(s) => s,
            None => self.only_skeleton_in_use(labels_path)?,
        };
        let sk = self.data.skeletons.get(sk_idx).ok_or_else(|| {
            Error::usage(format!("{}: no skeleton {sk_idx}", labels_path.display()))
        })?;
        let n_nodes = sk.nodes.len();
        // Choose each frame's instances first, to size the padding.
        let mut chosen = Vec::new();
        for f in &self.data.labeled_frames {
            let users: Vec<_> = f
                .user_instances()
                .filter(|i| i.skeleton == sk_idx)
                .collect();
            let insts = if !users.is_empty() {
                users
            } else if opts.include_predicted {
                f.predicted_instances()
                    .filter(|i| i.skeleton == sk_idx)
                    .collect()
            } else {
                Vec::new()
            };
            if !insts.is_empty() {
                chosen.push((f, insts));
            }
        }
        let max_instances = chosen.iter().map(|(_, i)| i.len()).max().unwrap_or(0);
        let mut sources: Vec<Option<FrameSource>> =
            (0..self.data.videos.len()).map(|_| None).collect();
        let mut examples = Vec::with_capacity(chosen.len());
        for (f, insts) in chosen {
            let video = self.data.videos.get(f.video).ok_or_else(|| {
                Error::invalid(
                    labels_path,
                    format!("frame refers to missing video {}", f.video),
                )
            })?;
            let src = sources
                .get_mut(f.video)
                .ok_or_else(|| Error::invalid(labels_path, "video index out of range"))?
                .get_or_insert_with(|| FrameSource::new(video, labels_path));
            let image = src.image(f.frame_idx).map_err(|e| {
                Error::usage(format!(
                    "training data: frame {} of video {} ({}): {e}",
                    f.frame_idx,
                    f.video,
                    src.describe()
                ))
            })?;
            let mut points = vec![[f32::NAN; 2]; max_instances * n_nodes];
            for (k, inst) in insts.iter().enumerate() {
                for (n, xy) in inst.xy().into_iter().enumerate().take(n_nodes) {
                    points[k * n_nodes + n] = [xy[0] as f32, xy[1] as f32];
                }
            }
            examples.push(TrainingExample {
                video: f.video,
                frame_idx: f.frame_idx,
                image,
                n_instances: insts.len(),
                points,
            });
        }
        Ok(TrainingData {
            node_names: sk.nodes.clone(),
            edges: sk.edges.clone(),
            max_instances,
            examples,
        })
    }

    /// The one skeleton user instances use (or the only skeleton).
    fn only_skeleton_in_use(&self, labels_path: &Path) -> Result<usize> {
        let mut used = std::collections::BTreeSet::new();
        for i in self.all_instances() {
            used.insert(i.skeleton);
        }
        match (used.len(), self.data.skeletons.len()) {
            (1, _) => Ok(*used.iter().next().unwrap_or(&0)),
            (0, 1) => Ok(0),
            (0, 0) => Err(Error::usage(format!(
                "{}: no skeleton",
                labels_path.display()
            ))),
            (n, _) => Err(Error::usage(format!(
                "{}: instances use {n} skeletons; choose one",
                labels_path.display()
            ))),
        }
    }

    /// Writes [`Labels::generate_training_data`] as one self-contained HDF5 file (atomically):
    /// `/images` u8 (n, height, width, channels) padded with zeros to the largest frame,
    /// `/image_sizes` u32 (n, 2) the real (height, width), `/points` f32
    /// (n, max_instances, nodes, 2) NaN-padded, `/n_instances` i32, `/video_index` i32,
    /// `/frame_index` i64, `/node_names` strings, `/edges` i32 (edges, 2); root attributes
    /// `format` = "posedeck-training-data", `version`, `source`, `skeleton`.
    pub fn export_training_data(
        &self,
        labels_path: &Path,
        out: &Path,
        opts: &TrainingOptions,
    ) -> Result<ExportSummary> {
        let td = self.generate_training_data(labels_path, opts)?;
        let bytes = training_hdf5(&td, labels_path, self.skeleton_name(opts))
            .map_err(|m| Error::invalid(out, m))?;
        crate::util::write_atomic(out, &bytes)?;
        Ok(ExportSummary {
            frames: td.examples.len(),
            max_instances: td.max_instances,
            nodes: td.node_names.len(),
            bytes: bytes.len(),
        })
    }

    fn skeleton_name(&self, opts: &TrainingOptions) -> String {
        opts.skeleton
            .or((self.data.skeletons.len() == 1).then_some(0))
            .and_then(|s| self.data.skeletons.get(s))
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }
}

/// What [`Labels::export_training_data`] wrote.
#[derive(Clone, Debug, Serialize)]
pub struct ExportSummary {
    pub frames: usize,
    pub max_instances: usize,
    pub nodes: usize,
    pub bytes: usize,
}

fn training_hdf5(
    td: &TrainingData,
    source: &Path,
    skeleton: String,
) -> std::result::Result<Vec<u8>, String> {
    use hdf5_pure::{AttrValue, FileBuilder};
    let n = td.examples.len();
    let h = td
        .examples
        .iter()
        .map(|e| e.image.height)
        .max()
        .unwrap_or(0) as usize;
    let w = td.examples.iter().map(|e| e.image.width).max().unwrap_or(0) as usize;
    let c = td
        .examples
        .iter()
        .map(|e| e.image.channels)
        .max()
        .unwrap_or(1) as usize;
    let mut images = vec![0u8; n * h * w * c];
    for (k, e) in td.examples.iter().enumerate() {
        let (eh, ew, ec) = (
            e.image.height as usize,
            e.image.width as usize,
            e.image.channels as usize,
        );
        for y in 0..eh {
            for x in 0..ew {
                for ch in 0..c {
                    let src = (y * ew + x) * ec + ch.min(ec - 1);
                    let dst = ((k * h + y) * w + x) * c + ch;
                    if let (Some(v), Some(d)) = (e.image.pixels.get(src), images.get_mut(dst)) {
                        *d = *v;
                    }
                }
            }
        }
    }
    let sizes: Vec<u32> = td
        .examples
        .iter()
        .flat_map(|e| [e.image.height, e.image.width])
        .collect();
    let points: Vec<f32> = td
        .examples
        .iter()
        .flat_map(|e| e.points.iter().flatten().copied())
        .collect();
    let n_inst: Vec<i32> = td.examples.iter().map(|e| e.n_instances as i32).collect();
    let vids: Vec<i32> = td.examples.iter().map(|e| e.video as i32).collect();
    let fidx: Vec<i64> = td.examples.iter().map(|e| e.frame_idx as i64).collect();
    let edges: Vec<i32> = td
        .edges
        .iter()
        .flat_map(|&(a, b)| [a as i32, b as i32])
        .collect();
    let names: Vec<&str> = td.node_names.iter().map(String::as_str).collect();
    let nn = td.node_names.len() as u64;
    let mut b = FileBuilder::new();
    b.create_dataset("images")
        .with_u8_data(&images)
        .with_shape(&[n as u64, h as u64, w as u64, c as u64]);
    b.create_dataset("image_sizes")
        .with_u32_data(&sizes)
        .with_shape(&[n as u64, 2]);
    b.create_dataset("points")
        .with_f32_data(&points)
        .with_shape(&[n as u64, td.max_instances as u64, nn, 2]);
    b.create_dataset("n_instances").with_i32_data(&n_inst);
    b.create_dataset("video_index").with_i32_data(&vids);
    b.create_dataset("frame_index").with_i64_data(&fidx);
    b.create_dataset("node_names").with_vlen_strings(&names);
    b.create_dataset("edges")
        .with_i32_data(&edges)
        .with_shape(&[td.edges.len() as u64, 2]);
    b.set_attr("format", AttrValue::String("posedeck-training-data".into()));
    b.set_attr("version", AttrValue::I64(1));
    b.set_attr("source", AttrValue::String(source.display().to_string()));
    b.set_attr("skeleton", AttrValue::String(skeleton));
    b.finish().map_err(|e| format!("cannot build HDF5: {e}"))
}
