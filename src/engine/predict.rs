//! Inference on videos and frame folders: frames are streamed (H.264 MP4 decoded in-process,
//! other codecs through the ffmpeg CLI's rawvideo pipe; PNG/JPEG folders read in name order) through the network in batches and
//! written as Lightning Pose's video prediction CSV plus `<stem>_temporal_norm.csv`.

use crate::engine::augment::{Aug, render};
use crate::engine::config::{LoadedConfig, TrainConfig};
use crate::engine::eval::{Predictions, write_video_outputs};
use crate::engine::infer;
use crate::engine::model::PoseNet;
use crate::{Error, Result};
use burn::module::Module;
use burn::tensor::Device;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A trained model loaded for inference.
pub struct LoadedModel {
    pub model: PoseNet,
    pub cfg: TrainConfig,
    pub names: Vec<String>,
    pub checkpoint: PathBuf,
}

/// The checkpoint inference uses: the newest `*-best.ckpt`, else the newest other `.ckpt`.
pub fn find_checkpoint(run: &Path) -> Option<PathBuf> {
    let mut best: Vec<PathBuf> = Vec::new();
    let mut other: Vec<PathBuf> = Vec::new();
    let tb = run.join("tb_logs");
    let Ok(models) = std::fs::read_dir(&tb) else {
        return None;
    };
    for m in models.flatten() {
        let Ok(versions) = std::fs::read_dir(m.path()) else {
            continue;
        };
        for v in versions.flatten() {
            let Ok(files) = std::fs::read_dir(v.path().join("checkpoints")) else {
                continue;
            };
            for f in files.flatten() {
                let p = f.path();
                let name = f.file_name().to_string_lossy().into_owned();
                if name.ends_with("-best.ckpt") {
                    best.push(p);
                } else if name.ends_with(".ckpt") {
                    other.push(p);
                }
            }
        }
    }
    let newest = |v: Vec<PathBuf>| {
        v.into_iter().max_by_key(|p| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH)
        })
    };
    newest(best).or_else(|| newest(other))
}

impl LoadedModel {
    /// Loads a run folder (its `config.yaml` and best checkpoint) onto `device`.
    pub fn load(run: &Path, device: &Device) -> Result<LoadedModel> {
        let loaded = LoadedConfig::load_run(run, run)?;
        let cfg = loaded.cfg;
        let names = match &cfg.keypoint_names {
            Some(n) => n.clone(),
            None => {
                let copy = run.join(&cfg.csv_file);
                let src = if copy.is_file() {
                    copy
                } else {
                    cfg.data_dir.join(&cfg.csv_file)
                };
                crate::formats::csv::PoseTable::read(&src)?.keypoints
            }
        };
        let checkpoint = find_checkpoint(run).ok_or_else(|| {
            Error::invalid(run, "no checkpoint under tb_logs/*/version_*/checkpoints")
        })?;
        let model = PoseNet::new(cfg.arch, names.len(), cfg.downsample_factor, device)
            .try_load_file(&checkpoint)
            .map_err(|e| Error::invalid(&checkpoint, format!("cannot load checkpoint: {e}")))?;
        Ok(LoadedModel {
            model,
            cfg,
            names,
            checkpoint,
        })
    }
}

/// Where frames come from.
pub enum FrameSource {
    Folder(Vec<PathBuf>),
    /// H.264 MP4, decoded in-process.
    Native(Box<crate::video::FrameReader>),
    Video {
        child: Child,
        width: usize,
        height: usize,
        path: PathBuf,
    },
}

fn is_image(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

/// Whether the ffmpeg CLI is on PATH.
pub fn have_ffmpeg() -> bool {
    crate::video::ffmpeg::path().is_some()
}

/// Whether frames of a video file can be had (in-process for H.264 MP4, else ffmpeg); the
/// error says which file and why.
pub fn decodable(path: &Path) -> Result<()> {
    crate::video::Frames::open(path).map(|_| ())
}

/// Video files in a folder (by extension), sorted.
pub fn videos_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        matches!(
                            e.to_ascii_lowercase().as_str(),
                            "mp4" | "avi" | "mov" | "mkv" | "webm"
                        )
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Subfolders of `dir` holding PNG/JPEG frames (a video extracted to images), sorted.
pub fn frame_folders_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_dir()
                        && std::fs::read_dir(p)
                            .map(|r| r.flatten().any(|e| is_image(&e.path())))
                            .unwrap_or(false)
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

impl FrameSource {
    pub fn open(path: &Path) -> Result<FrameSource> {
        if path.is_dir() {
            let mut frames: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| Error::io(path, e))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| is_image(p))
                .collect();
            frames.sort();
            if frames.is_empty() {
                return Err(Error::invalid(path, "no PNG or JPEG frames in this folder"));
            }
            return Ok(FrameSource::Folder(frames));
        }
        if !path.is_file() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            ));
        }
        match crate::video::Frames::open(path)? {
            crate::video::Frames::Native(r) => return Ok(FrameSource::Native(r)),
            crate::video::Frames::Ffmpeg(_) => {}
        }
        let probe = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=width,height",
                "-of",
                "csv=p=0",
            ])
            .arg(path)
            .output()
            .map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8_lossy(&probe.stdout);
        let mut it = text.trim().split(',').map(|s| s.trim().parse::<usize>());
        let (Some(Ok(width)), Some(Ok(height))) = (it.next(), it.next()) else {
            return Err(Error::invalid(path, "ffprobe found no video stream"));
        };
        let child = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(path)
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Error::io(path, e))?;
        Ok(FrameSource::Video {
            child,
            width,
            height,
            path: path.to_path_buf(),
        })
    }

    /// Frame count when known up front (folders).
    pub fn len_hint(&self) -> Option<usize> {
        match self {
            FrameSource::Folder(f) => Some(f.len()),
            FrameSource::Native(r) => Some(r.frame_count()),
            FrameSource::Video { .. } => None,
        }
    }

    /// The next frame, or None at the end.
    pub fn next_frame(&mut self, index: usize) -> Result<Option<image::RgbImage>> {
        match self {
            FrameSource::Folder(frames) => match frames.get(index) {
                Some(p) => crate::engine::data::decode_rgb(p).map(Some),
                None => Ok(None),
            },
            FrameSource::Native(r) => {
                if index >= r.frame_count() {
                    return Ok(None);
                }
                let (w, h, rgb) = r.rgb(index)?;
                Ok(image::RgbImage::from_raw(w, h, rgb))
            }
            FrameSource::Video {
                child,
                width,
                height,
                path,
            } => {
                let Some(out) = child.stdout.as_mut() else {
                    return Ok(None);
                };
                let mut buf = vec![0u8; *width * *height * 3];
                let mut got = 0;
                while got < buf.len() {
                    match out.read(&mut buf[got..]) {
                        Ok(0) => break,
                        Ok(n) => got += n,
                        Err(e) => return Err(Error::io(&*path, e)),
                    }
                }
                if got == 0 {
                    return Ok(None);
                }
                if got < buf.len() {
                    return Err(Error::invalid(&*path, format!("truncated frame {index}")));
                }
                Ok(image::RgbImage::from_raw(
                    *width as u32,
                    *height as u32,
                    buf,
                ))
            }
        }
    }
}

impl Drop for FrameSource {
    fn drop(&mut self) {
        if let FrameSource::Video { child, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The output name for a source: the video's stem or the folder's name.
pub fn stem_of(path: &Path) -> String {
    let p = if path.is_dir() {
        path.file_name()
    } else {
        path.file_stem()
    };
    p.map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "frames".into())
}

/// Predicts every frame of `source`, writing `<out>/<stem>.csv` and the temporal norm.
/// `progress(done, total)`; returns None when canceled, else the number of frames.
pub fn predict_source(
    m: &LoadedModel,
    device: &Device,
    source: &Path,
    out: &Path,
    batch: usize,
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(usize, Option<usize>),
) -> Result<Option<(PathBuf, usize)>> {
    let mut src = FrameSource::open(source)?;
    let total = src.len_hint();
    let (w, h) = (m.cfg.width, m.cfg.height);
    let stride = 1usize << m.cfg.downsample_factor;
    let k = m.names.len();
    let mut values: Vec<[f64; 3]> = Vec::new();
    let mut index = 0usize;
    let id = Aug::identity();
    loop {
        if cancel() {
            return Ok(None);
        }
        let mut images = Vec::with_capacity(batch * 3 * w * h);
        let mut scales = Vec::with_capacity(batch);
        while scales.len() < batch.max(1) {
            let Some(frame) = src.next_frame(index)? else {
                break;
            };
            index += 1;
            let s = render(&frame, &[], &id, w, h, &[]);
            images.extend_from_slice(&s.image);
            scales.push([
                frame.width() as f32 / w as f32,
                frame.height() as f32 / h as f32,
            ]);
        }
        if scales.is_empty() {
            break;
        }
        let peaks = infer::predict(&m.model, device, images, scales.len(), h, w, stride)?;
        for (i, p) in peaks.iter().enumerate() {
            let [sx, sy] = scales.get(i / k.max(1)).copied().unwrap_or([1.0, 1.0]);
            values.push([(p.x * sx) as f64, (p.y * sy) as f64, p.confidence as f64]);
        }
        progress(index, total);
    }
    if index == 0 {
        return Err(Error::invalid(source, "no frames"));
    }
    let stem = stem_of(source);
    let preds = Predictions { k, values };
    write_video_outputs(out, &stem, &m.names, &preds)?;
    Ok(Some((out.join(format!("{stem}.csv")), index)))
}
