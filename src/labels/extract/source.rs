//! Where extracted frames come from: an H.264 MP4 decoded in-process, or a frame folder (one
//! image per frame, sorted by name, as `posedeck demo` writes `videos/<video>/img%08d.png`).

use super::Control;
use crate::video::{FrameReader, Mp4, color};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// Side of the square grey thumbnails k-means clusters (Lightning Pose's
/// `FRAME_EXTRACT_RESIZE_DIMS`).
pub const THUMB: usize = 64;

pub enum Source {
    Video(Box<FrameReader>),
    Folder { dir: PathBuf, files: Vec<PathBuf> },
}

impl Source {
    /// Opens a video file or a frame folder; a file that is not a decodable H.264 MP4 is an
    /// error naming it.
    pub fn open(path: &Path) -> Result<Source> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            let files = crate::project::videos::frame_files(path);
            if files.is_empty() {
                return Err(Error::invalid(
                    path,
                    "a folder without images (png, jpg): not a frame folder",
                ));
            }
            return Ok(Source::Folder {
                dir: path.to_path_buf(),
                files,
            });
        }
        let mp4 = Mp4::open(path)?;
        if let Err(why) = mp4.decodable() {
            return Err(Error::invalid(
                path,
                format!(
                    "{why}: posedeck extracts frames from H.264 MP4 videos and frame folders; re-encode it (ffmpeg -i IN -c:v libx264 -pix_fmt yuv420p OUT.mp4)"
                ),
            ));
        }
        Ok(Source::Video(Box::new(FrameReader::new(mp4)?)))
    }

    pub fn path(&self) -> &Path {
        match self {
            Source::Video(r) => &r.mp4.path,
            Source::Folder { dir, .. } => dir,
        }
    }

    /// The name frames are filed under: `labeled-data/<stem>/`.
    pub fn stem(&self) -> String {
        let p = self.path();
        let s = match self {
            Source::Video(_) => p.file_stem(),
            Source::Folder { .. } => p.file_name(),
        };
        s.map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "video".into())
    }

    pub fn frame_count(&self) -> usize {
        match self {
            Source::Video(r) => r.frame_count(),
            Source::Folder { files, .. } => files.len(),
        }
    }

    /// Every frame as a `THUMB`x`THUMB` grey thumbnail (resized, then grey, as Lightning Pose
    /// does with OpenCV), frame order. Progress is reported per frame.
    pub fn thumbnails(&mut self, ctl: &Control) -> Result<Vec<Vec<f32>>> {
        let n = self.frame_count();
        let mut out: Vec<Vec<f32>> = Vec::with_capacity(n);
        match self {
            Source::Video(r) => {
                let colour = r.mp4.colour;
                let mut stopped = false;
                r.for_each(|i, y| {
                    if ctl.cancelled() {
                        stopped = true;
                        return false;
                    }
                    let rgb = color::yuv420_to_rgb(&y.y, &y.u, &y.v, y.width, y.height, colour);
                    out.push(thumbnail(&rgb, y.width, y.height, 3));
                    ctl.progress("reading frames", i + 1, n);
                    true
                })?;
                if stopped {
                    return Err(super::cancelled());
                }
            }
            Source::Folder { files, .. } => {
                for (i, f) in files.iter().enumerate() {
                    if ctl.cancelled() {
                        return Err(super::cancelled());
                    }
                    let img = read_image(f)?;
                    out.push(thumbnail(
                        &img.pixels,
                        img.width as usize,
                        img.height as usize,
                        usize::from(img.channels),
                    ));
                    ctl.progress("reading frames", i + 1, n);
                }
            }
        }
        Ok(out)
    }

    /// Frame `f` as PNG bytes and its pixels. A PNG in a frame folder is taken as stored
    /// (byte for byte); anything else is decoded and encoded as PNG.
    pub fn frame(&mut self, f: usize) -> Result<(Vec<u8>, crate::labels::media::FrameImage)> {
        match self {
            Source::Video(r) => {
                let (width, height, pixels) = r.rgb(f)?;
                let img = crate::labels::media::FrameImage {
                    height,
                    width,
                    channels: 3,
                    pixels,
                };
                let png = img.to_png().map_err(|e| Error::invalid(&r.mp4.path, e))?;
                Ok((png, img))
            }
            Source::Folder { files, dir } => {
                let p = files.get(f).ok_or_else(|| {
                    Error::invalid(
                        &*dir,
                        format!("frame {f} is past its {} images", files.len()),
                    )
                })?;
                let bytes = crate::util::read(p)?;
                let img = decode(p, &bytes)?;
                let is_png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
                let png = if is_png {
                    bytes
                } else {
                    img.to_png().map_err(|e| Error::invalid(p, e))?
                };
                Ok((png, img))
            }
        }
    }
}

fn decode(p: &Path, bytes: &[u8]) -> Result<crate::labels::media::FrameImage> {
    let img = image::load_from_memory(bytes)
        .map_err(|e| Error::invalid(p, format!("not a readable image: {e}")))?;
    Ok(crate::labels::media::FrameImage::from_dynamic(img))
}

/// Reads and decodes an image file.
pub fn read_image(p: &Path) -> Result<crate::labels::media::FrameImage> {
    decode(p, &crate::util::read(p)?)
}

/// OpenCV's `resize(..., INTER_LINEAR)` to `THUMB`x`THUMB` (pixel centres aligned, edges
/// clamped), then `cvtColor(BGR2GRAY)` (0.299 R + 0.587 G + 0.114 B) for colour pixels.
pub fn thumbnail(px: &[u8], w: usize, h: usize, ch: usize) -> Vec<f32> {
    let taps = |src: usize| -> Vec<(usize, usize, f32)> {
        let scale = src as f32 / THUMB as f32;
        (0..THUMB)
            .map(|d| {
                let f = (d as f32 + 0.5) * scale - 0.5;
                let mut i = f.floor() as isize;
                let mut t = f - i as f32;
                if i < 0 {
                    i = 0;
                    t = 0.0;
                }
                let i = i as usize;
                if i + 1 >= src {
                    (src.saturating_sub(1), src.saturating_sub(1), 0.0)
                } else {
                    (i, i + 1, t)
                }
            })
            .collect()
    };
    let (xs, ys) = (taps(w), taps(h));
    let at = |x: usize, y: usize, c: usize| {
        f32::from(px.get((y * w + x) * ch + c).copied().unwrap_or(0))
    };
    let mut out = Vec::with_capacity(THUMB * THUMB);
    for &(y0, y1, ty) in &ys {
        for &(x0, x1, tx) in &xs {
            let mut v = [0f32; 3];
            for (c, vc) in v.iter_mut().enumerate().take(ch.min(3)) {
                let top = at(x0, y0, c) * (1.0 - tx) + at(x1, y0, c) * tx;
                let bot = at(x0, y1, c) * (1.0 - tx) + at(x1, y1, c) * tx;
                *vc = (top * (1.0 - ty) + bot * ty).round();
            }
            out.push(if ch >= 3 {
                0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2]
            } else {
                v[0]
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thumbnail_of_flat_and_gradient() {
        let w = 128;
        let px: Vec<u8> = (0..w * w).map(|i| (i % w) as u8).collect();
        let t = super::thumbnail(&px, w, w, 1);
        assert_eq!(t.len(), 64 * 64);
        // Every output column averages source columns 2x and 2x+1.
        assert_eq!(t[0], 1.0);
        assert_eq!(t[63], 127.0);
        let rgb = vec![200u8; 10 * 10 * 3];
        let t = super::thumbnail(&rgb, 10, 10, 3);
        assert!(t.iter().all(|v| (v - 200.0).abs() < 1e-3));
    }
}
