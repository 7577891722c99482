//! Video files: H.264 in MP4 read and decoded inside posedeck (no ffmpeg, no system library),
//! what the MP4 boxes say about a video without decoding it, and `ffmpeg` as the fallback for
//! other codecs when it is installed.
//!
//! - [`file::Mp4`] opens the file and builds the sample table once;
//! - [`reader::FrameReader`] decodes frames: random access, stepping, whole-video passes;
//! - [`VideoInfo`] is what `status` shows (frames, fps, codec, B-frames, keyframe interval)
//!   with the warnings about what Lightning Pose's DALI readers cannot read.

pub mod boxes;
pub mod color;
pub mod ffmpeg;
pub mod file;
pub mod reader;
pub mod sps;
pub mod table;

pub use color::Colour;
pub use file::Mp4;
pub use reader::{FrameReader, Yuv};

use crate::{Error, Result};
use serde::Serialize;
use std::path::Path;

/// What a video's boxes say, read without decoding any frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VideoInfo {
    /// Sample entry type (`avc1` is H.264).
    pub codec: String,
    /// `h264` for H.264, else the sample entry type.
    pub codec_name: String,
    pub profile: Option<String>,
    pub pixel_format: Option<String>,
    pub width: u32,
    pub height: u32,
    pub frames: usize,
    /// Frames per second: the track's timescale over its most common frame duration.
    pub fps: f64,
    pub duration_s: f64,
    /// Frames presented out of decode order.
    pub bframes: bool,
    /// Largest and mean distance between keyframes, in frames.
    pub keyframe_max: usize,
    pub keyframe_mean: f64,
    /// Frame durations differ (variable frame rate).
    pub vfr: bool,
    pub colour: String,
}

impl VideoInfo {
    pub fn of(mp4: &Mp4) -> VideoInfo {
        let t = &mp4.track;
        let n = mp4.table.samples.len();
        // Durations of every sample but the last (muxers often shorten the last one).
        let mut counts: Vec<(u32, u64)> = Vec::new();
        let mut seen = 0u64;
        for &(c, d) in &t.stts {
            let c = u64::from(c).min((n as u64).saturating_sub(1).saturating_sub(seen));
            if c == 0 {
                continue;
            }
            seen += c;
            match counts.iter_mut().find(|x| x.0 == d) {
                Some(x) => x.1 += c,
                None => counts.push((d, c)),
            }
        }
        let vfr = counts.len() > 1;
        let delta = counts
            .iter()
            .max_by_key(|x| x.1)
            .map(|x| x.0)
            .or(t.stts.first().map(|x| x.1))
            .unwrap_or(0);
        let fps = if delta > 0 {
            f64::from(t.timescale) / f64::from(delta)
        } else {
            0.0
        };
        let total: u64 = t
            .stts
            .iter()
            .map(|&(c, d)| u64::from(c) * u64::from(d))
            .sum();
        let (kmax, kmean) = mp4.table.keyframe_interval();
        let (w, h) = match &mp4.sps {
            Some(s) if s.width > 0 && s.height > 0 => (s.width, s.height),
            _ => (t.width, t.height),
        };
        let h264 = t.codec == "avc1" || t.codec == "avc3";
        VideoInfo {
            codec: t.codec.clone(),
            codec_name: if h264 { "h264".into() } else { t.codec.clone() },
            profile: mp4.sps.as_ref().map(|s| s.profile_name().to_string()),
            pixel_format: mp4.sps.as_ref().map(|s| s.pixel_format()),
            width: w,
            height: h,
            frames: mp4.table.frame_count(),
            fps,
            duration_s: total as f64 / f64::from(t.timescale.max(1)),
            bframes: mp4.table.reordered(),
            keyframe_max: kmax,
            keyframe_mean: kmean,
            vfr,
            colour: mp4.colour.describe().to_string(),
        }
    }

    /// What breaks Lightning Pose's DALI video readers (H.264, yuv420p, constant frame rate).
    pub fn dali_warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.codec_name != "h264" {
            w.push(format!(
                "codec '{}' is not H.264: Lightning Pose's DALI readers need H.264 (re-encode: ffmpeg -i IN -c:v libx264 -pix_fmt yuv420p OUT.mp4)",
                self.codec
            ));
        }
        if let Some(p) = &self.pixel_format
            && p != "yuv420p"
        {
            w.push(format!(
                "pixel format {p}: Lightning Pose's DALI readers need yuv420p (re-encode with -pix_fmt yuv420p)"
            ));
        }
        if self.vfr {
            w.push(
                "variable frame rate: Lightning Pose's DALI readers assume a constant one (re-encode with -vsync cfr)"
                    .into(),
            );
        }
        w
    }
}

/// Reads a video's boxes (milliseconds, no decoding).
pub fn info(path: &Path) -> Result<VideoInfo> {
    Ok(VideoInfo::of(&Mp4::open(path)?))
}

/// A decoded RGB frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// A source of frames of one video file: decoded in-process when it is H.264 in MP4, else
/// by ffmpeg when it is installed, else an error naming the codec and what to install.
pub enum Frames {
    Native(Box<FrameReader>),
    Ffmpeg(std::path::PathBuf),
}

impl Frames {
    pub fn open(path: &Path) -> Result<Frames> {
        let native = Mp4::open(path).and_then(|m| match m.decodable() {
            Ok(()) => FrameReader::new(m),
            Err(why) => Err(Error::invalid(path, why)),
        });
        match native {
            Ok(r) => Ok(Frames::Native(Box::new(r))),
            Err(e) => {
                // Damage in an H.264 MP4 is reported as such; other formats go to ffmpeg.
                let special =
                    matches!(&e, Error::Invalid { msg, .. } if msg == "not a regular file");
                if special
                    || (matches!(e, Error::AtOffset { .. } | Error::Io { .. }) && !not_mp4(&e))
                {
                    return Err(e);
                }
                if ffmpeg::path().is_some() {
                    Ok(Frames::Ffmpeg(path.to_path_buf()))
                } else {
                    Err(Error::invalid(
                        path,
                        format!(
                            "{}: posedeck decodes H.264 in MP4 itself; for this video install ffmpeg (e.g. apt install ffmpeg, conda install ffmpeg) or re-encode it to H.264",
                            strip_path(&e)
                        ),
                    ))
                }
            }
        }
    }

    /// Number of frames, when known without decoding.
    pub fn frame_count(&self) -> Option<usize> {
        match self {
            Frames::Native(r) => Some(r.frame_count()),
            Frames::Ffmpeg(_) => None,
        }
    }

    pub fn rgb(&mut self, f: usize) -> Result<Rgb> {
        match self {
            Frames::Native(r) => {
                let (width, height, pixels) = r.rgb(f)?;
                Ok(Rgb {
                    width,
                    height,
                    pixels,
                })
            }
            Frames::Ffmpeg(p) => {
                let png = ffmpeg::frame_png(p, f as u64)?;
                let img = image::load_from_memory(&png)
                    .map_err(|e| {
                        Error::invalid(&*p, format!("ffmpeg output is not an image: {e}"))
                    })?
                    .to_rgb8();
                Ok(Rgb {
                    width: img.width(),
                    height: img.height(),
                    pixels: img.into_raw(),
                })
            }
        }
    }
}

fn not_mp4(e: &Error) -> bool {
    matches!(e, Error::AtOffset { offset: 0, msg, .. } if msg.starts_with("not an MP4"))
}

fn strip_path(e: &Error) -> String {
    match e {
        Error::Invalid { msg, .. } | Error::AtOffset { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

/// One frame of any video file as RGB (opens the file each time: for single frames).
pub fn frame_rgb(path: &Path, f: usize) -> Result<Rgb> {
    Frames::open(path)?.rgb(f)
}
