//! Getting the image of a labeled frame: from frames embedded in the labels file (`.pkg.slp`),
//! from image-sequence files, or from a video file (H.264 MP4 decoded in-process, other codecs
//! through the `ffmpeg` program when it is installed).

use super::model::{EmbeddedFrames, Video};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Pixels of one frame: row-major, `channels` interleaved bytes per pixel (1 grey, 3 RGB).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FrameImage {
    pub height: u32,
    pub width: u32,
    pub channels: u8,
    #[serde(skip)]
    pub pixels: Vec<u8>,
}

impl FrameImage {
    /// From any decoded image: grey stays grey (1 channel), everything else becomes RGB.
    pub fn from_dynamic(img: image::DynamicImage) -> FrameImage {
        let (width, height) = (img.width(), img.height());
        let grey = matches!(
            img.color(),
            image::ColorType::L8
                | image::ColorType::La8
                | image::ColorType::L16
                | image::ColorType::La16
        );
        if grey {
            FrameImage {
                height,
                width,
                channels: 1,
                pixels: img.into_luma8().into_raw(),
            }
        } else {
            FrameImage {
                height,
                width,
                channels: 3,
                pixels: img.into_rgb8().into_raw(),
            }
        }
    }

    /// Encodes as PNG.
    pub fn to_png(&self) -> std::result::Result<Vec<u8>, String> {
        let color = match self.channels {
            1 => image::ExtendedColorType::L8,
            3 => image::ExtendedColorType::Rgb8,
            4 => image::ExtendedColorType::Rgba8,
            c => return Err(format!("cannot encode {c}-channel pixels as PNG")),
        };
        let mut out = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::png::PngEncoder::new(&mut out),
            &self.pixels,
            self.width,
            self.height,
            color,
        )
        .map_err(|e| e.to_string())?;
        Ok(out)
    }
}

/// An encoded frame as found: PNG / JPEG bytes exactly as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedFrame {
    /// `png` or `jpg`.
    pub format: String,
    pub bytes: Vec<u8>,
}

/// Where a video's frames come from, resolved once so that reading many frames does no
/// repeated searching.
pub struct FrameSource<'a> {
    video: &'a Video,
    /// Labels file the video belongs to (names embedded frames in errors; relative media
    /// paths are looked up beside it).
    labels_path: PathBuf,
    embedded_rows: Option<HashMap<u64, usize>>,
    /// The opened video file, kept so that reading frames in order does not start over.
    reader: std::cell::RefCell<Option<crate::video::Frames>>,
}

impl<'a> FrameSource<'a> {
    pub fn new(video: &'a Video, labels_path: &Path) -> Self {
        FrameSource {
            video,
            labels_path: labels_path.to_path_buf(),
            embedded_rows: video.embedded.as_ref().map(row_map),
            reader: std::cell::RefCell::new(None),
        }
    }

    /// The name used in messages for this video.
    pub fn describe(&self) -> String {
        if self.video.embedded.is_some() {
            format!("frames embedded in {}", self.labels_path.display())
        } else {
            crate::sanitize::clean(self.video.identity_path()).into_owned()
        }
    }

    fn labels_dir(&self) -> &Path {
        self.labels_path.parent().unwrap_or(Path::new("."))
    }

    /// A media path as stored, or the same file name beside the labels file when the stored
    /// path does not exist.
    fn locate(&self, stored: &str) -> Option<PathBuf> {
        let p = PathBuf::from(stored);
        if p.is_file() {
            return Some(p);
        }
        let rel = self.labels_dir().join(stored);
        if rel.is_file() {
            return Some(rel);
        }
        let base = stored.rsplit(['/', '\\']).next()?;
        let beside = self.labels_dir().join(base);
        beside.is_file().then_some(beside)
    }

    /// The frame's bytes when it is stored encoded (embedded PNG/JPEG rows, image files).
    /// `Ok(None)` means the frame exists but is not stored encoded (raw pixels, video files).
    pub fn encoded(&self, frame_idx: u64) -> Result<Option<EncodedFrame>> {
        if let Some(emb) = &self.video.embedded {
            let row = self.embedded_row(emb, frame_idx)?;
            let fmt = emb.format.to_ascii_lowercase();
            if fmt == "hdf5" || fmt == "raw" {
                return Ok(None);
            }
            let bytes = emb.frames.get(row).cloned().unwrap_or_default();
            let format = if fmt == "jpeg" {
                "jpg".to_string()
            } else {
                fmt
            };
            return Ok(Some(EncodedFrame { format, bytes }));
        }
        if self.video.is_image_sequence() {
            let path = self.image_path(frame_idx)?;
            let bytes = crate::util::read(&path)?;
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            let format = if ext == "jpeg" {
                "jpg".to_string()
            } else {
                ext
            };
            return Ok(Some(EncodedFrame { format, bytes }));
        }
        Ok(None)
    }

    fn embedded_row(&self, emb: &EmbeddedFrames, frame_idx: u64) -> Result<usize> {
        self.embedded_rows
            .as_ref()
            .and_then(|m| m.get(&frame_idx).copied())
            .filter(|&r| r < emb.frames.len())
            .ok_or_else(|| {
                Error::invalid(
                    &self.labels_path,
                    format!(
                        "frame {frame_idx} is not among the frames embedded at {}",
                        emb.dataset
                    ),
                )
            })
    }

    /// The image file of frame `frame_idx` of an image-sequence video.
    pub fn image_path(&self, frame_idx: u64) -> Result<PathBuf> {
        let stored = usize::try_from(frame_idx)
            .ok()
            .and_then(|i| self.video.image_filenames.get(i))
            .ok_or_else(|| {
                Error::invalid(
                    &self.labels_path,
                    format!(
                        "frame {frame_idx} is past the {} images of video {}",
                        self.video.image_filenames.len(),
                        crate::sanitize::clean(&self.video.filename)
                    ),
                )
            })?;
        self.locate(stored).ok_or_else(|| {
            Error::invalid(
                stored,
                format!(
                    "image not found (nor {} beside the labels file)",
                    stored.rsplit(['/', '\\']).next().unwrap_or(stored)
                ),
            )
        })
    }

    /// The decoded frame.
    pub fn image(&self, frame_idx: u64) -> Result<FrameImage> {
        if let Some(emb) = &self.video.embedded {
            let row = self.embedded_row(emb, frame_idx)?;
            let bytes = emb.frames.get(row).map(Vec::as_slice).unwrap_or_default();
            let fmt = emb.format.to_ascii_lowercase();
            if fmt == "hdf5" || fmt == "raw" {
                return raw_frame(emb, bytes).map_err(|m| {
                    Error::invalid(&self.labels_path, format!("{} row {row}: {m}", emb.dataset))
                });
            }
            let img = image::load_from_memory(bytes).map_err(|e| {
                Error::invalid(
                    &self.labels_path,
                    format!(
                        "{} row {row} (frame {frame_idx}): cannot decode image: {e}",
                        emb.dataset
                    ),
                )
            })?;
            return Ok(FrameImage::from_dynamic(img));
        }
        if self.video.is_image_sequence() {
            let path = self.image_path(frame_idx)?;
            let bytes = crate::util::read(&path)?;
            let img = image::load_from_memory(&bytes)
                .map_err(|e| Error::invalid(&path, format!("cannot decode image: {e}")))?;
            return Ok(FrameImage::from_dynamic(img));
        }
        let stored = &self.video.filename;
        let path = self.locate(stored).ok_or_else(|| {
            Error::invalid(stored, "video file not found (nor beside the labels file)")
        })?;
        let idx = usize::try_from(frame_idx)
            .map_err(|_| Error::invalid(&path, format!("frame {frame_idx} is out of range")))?;
        let mut slot = self.reader.borrow_mut();
        if slot.is_none() {
            *slot = Some(crate::video::Frames::open(&path)?);
        }
        let f = match slot.as_mut() {
            Some(r) => r.rgb(idx)?,
            None => crate::video::frame_rgb(&path, idx)?,
        };
        Ok(FrameImage {
            height: f.height,
            width: f.width,
            channels: 3,
            pixels: f.pixels,
        })
    }
}

/// Stored row of each embedded frame index.
pub fn row_map(emb: &EmbeddedFrames) -> HashMap<u64, usize> {
    let mut m = HashMap::with_capacity(emb.frame_numbers.len());
    for (row, &f) in emb.frame_numbers.iter().enumerate() {
        m.entry(f).or_insert(row);
    }
    m
}

fn attr_u32(emb: &EmbeddedFrames, key: &str) -> Option<u32> {
    emb.attrs
        .get(key)
        .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)))
        .and_then(|v| u32::try_from(v).ok())
}

/// Raw pixels stored with `format = "hdf5"`: height x width x channels bytes.
fn raw_frame(emb: &EmbeddedFrames, bytes: &[u8]) -> std::result::Result<FrameImage, String> {
    let (Some(height), Some(width)) = (attr_u32(emb, "height"), attr_u32(emb, "width")) else {
        return Err("raw frames without height/width attributes".into());
    };
    let channels = attr_u32(emb, "channels").unwrap_or(1);
    let need = height as usize * width as usize * channels as usize;
    if bytes.len() < need || !(channels == 1 || channels == 3) {
        return Err(format!(
            "raw frame of {} bytes does not hold {height}x{width}x{channels} pixels",
            bytes.len()
        ));
    }
    Ok(FrameImage {
        height,
        width,
        channels: channels as u8,
        pixels: bytes[..need].to_vec(),
    })
}

pub use crate::video::ffmpeg::{frame_png as ffmpeg_frame, path as ffmpeg};
