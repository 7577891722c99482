//! What the image worker keeps between requests: the last decoded frame (zoom and pan do not
//! decode again), the open video (its reader keeps frames around the cursor and its decoder
//! where it stopped), and the next video frame already decoded, cropped and scaled for the
//! view, so that stepping forward only draws the markers and encodes.

use super::ImageRequest;
use crate::tui::data::FrameSource;
use image::{Rgb, RgbImage};
use ratatui_image::FontSize;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A frame cropped for zoom/pan and scaled to the cell box at the font size.
#[derive(Clone)]
pub struct Scaled {
    pub img: RgbImage,
    /// The crop's top-left corner in source pixels.
    pub origin: (f64, f64),
    /// Output pixels per source pixel.
    pub scale: f64,
    pub source_size: (u32, u32),
}

/// What a [`Scaled`] frame depends on.
#[derive(Clone, PartialEq)]
struct ViewKey {
    source: FrameSource,
    zoom: f64,
    center: Option<(f64, f64)>,
    cells: (u16, u16),
    font: (u16, u16),
}

impl ViewKey {
    fn of(req: &ImageRequest, source: FrameSource, font: FontSize) -> Self {
        ViewKey {
            source,
            zoom: req.zoom,
            center: req.center,
            cells: req.cells,
            font: (font.width, font.height),
        }
    }
}

#[derive(Default)]
pub struct Cache {
    last: Option<(String, RgbImage)>,
    video: Option<(PathBuf, SystemTime, crate::video::Frames)>,
    /// The next video frame for the current view, and its decoded frame for `last`.
    next: Option<(ViewKey, Scaled, (String, RgbImage))>,
    /// The last image or embedded frame scaled for its view: redrawing the same view (the
    /// edit cursor moving, markers changing) only draws and encodes.
    view: Option<(ViewKey, Scaled)>,
    /// Edit mode with sixel or kitty: the base on screen, which cursor steps patch.
    pub(super) edit: Option<super::patch::EditBase>,
}

impl Cache {
    /// The open video for `path` (reopened when the file changed on disk).
    fn video(&mut self, path: &Path) -> Result<&mut crate::video::Frames, String> {
        let mtime = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let fresh = matches!(&self.video, Some((p, t, _)) if p == path && *t == mtime);
        if !fresh {
            self.video = None;
            self.next = None;
            let f = crate::video::Frames::open(path).map_err(|e| e.to_string())?;
            self.video = Some((path.to_path_buf(), mtime, f));
        }
        match &mut self.video {
            Some((_, _, f)) => Ok(f),
            None => Err("no video".into()),
        }
    }

    /// `req`'s frame cropped and scaled (taken from the prefetch when it made this one).
    pub fn scaled(&mut self, req: &ImageRequest, font: FontSize) -> Result<Scaled, String> {
        let key = ViewKey::of(req, req.source.clone(), font);
        if let Some((k, s, last)) = self.next.take()
            && k == key
            && self.unchanged(&req.source)
        {
            self.last = Some(last);
            return Ok(s);
        }
        let still = matches!(req.source, FrameSource::File(_) | FrameSource::Bytes { .. });
        if still
            && let Some((k, s)) = &self.view
            && *k == key
        {
            return Ok(s.clone());
        }
        let img = self.load(&req.source)?;
        let s = scale(&img, req, font);
        self.view = still.then(|| (key, s.clone()));
        Ok(s)
    }

    /// Prepares the frame after `req`'s (when it is a video frame) for the same view, so that
    /// stepping forward finds it decoded and scaled. Errors are left for the request that
    /// wants that frame.
    pub fn prefetch(&mut self, req: &ImageRequest, font: FontSize) {
        let FrameSource::Video {
            path,
            frame,
            width,
            height,
        } = &req.source
        else {
            return;
        };
        let next = FrameSource::Video {
            path: path.clone(),
            frame: frame + 1,
            width: *width,
            height: *height,
        };
        let Ok(crate::video::Frames::Native(r)) = self.video(path).map(|f| &*f) else {
            return;
        };
        if usize::try_from(frame + 1).map_or(true, |n| n >= r.frame_count()) {
            return;
        }
        let key = ViewKey::of(req, next.clone(), font);
        if matches!(&self.next, Some((k, _, _)) if *k == key) {
            return;
        }
        // Zoom and pan on the frame on screen must not decode it again: `last` stays.
        let keep = self.last.take();
        if let Ok(img) = self.load(&next)
            && let Some(last) = self.last.take()
        {
            self.next = Some((key, scale(&img, req, font), last));
        }
        self.last = keep;
    }

    /// Whether the video behind `src` is still the file that was opened.
    fn unchanged(&self, src: &FrameSource) -> bool {
        match src {
            FrameSource::Video { path, .. } => {
                let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
                matches!(&self.video, Some((p, t, _)) if p == path && Some(*t) == mtime)
            }
            _ => false,
        }
    }

    fn load(&mut self, src: &FrameSource) -> Result<RgbImage, String> {
        let key = match src {
            FrameSource::Blank { width, height, .. } => return Ok(blank(*width, *height)),
            FrameSource::File(p) => format!("file:{}", p.display()),
            FrameSource::Video { path, frame, .. } => format!("video:{}:{frame}", path.display()),
            FrameSource::Bytes { name, bytes } => format!("bytes:{name}:{:p}", bytes.as_ptr()),
        };
        if let Some((q, img)) = &self.last
            && *q == key
            && !matches!(src, FrameSource::Video { .. } if !self.unchanged(src))
        {
            return Ok(img.clone());
        }
        let img = match src {
            FrameSource::File(p) => {
                let bytes = crate::util::read_limited(p, 1 << 30).map_err(|e| e.to_string())?;
                image::load_from_memory(&bytes)
                    .map_err(|e| format!("{}: {e}", p.display()))?
                    .to_rgb8()
            }
            FrameSource::Bytes { name, bytes } => image::load_from_memory(bytes)
                .map_err(|e| format!("{name}: {e}"))?
                .to_rgb8(),
            FrameSource::Video { path, frame, .. } => {
                let idx =
                    usize::try_from(*frame).map_err(|_| format!("frame {frame} out of range"))?;
                let f = self.video(path)?.rgb(idx).map_err(|e| e.to_string())?;
                RgbImage::from_raw(f.width, f.height, f.pixels).ok_or_else(|| {
                    format!("{}: frame {frame}: short pixel buffer", path.display())
                })?
            }
            FrameSource::Blank { .. } => unreachable!("returned above"),
        };
        self.last = Some((key, img.clone()));
        Ok(img)
    }
}

/// A dark canvas of `width` x `height` image pixels (no frame available).
fn blank(width: u32, height: u32) -> RgbImage {
    RgbImage::from_pixel(
        width.clamp(1, 8192),
        height.clamp(1, 8192),
        Rgb([24, 24, 24]),
    )
}

/// Crops `img` to the view's window and scales it to the cell box at the font size.
fn scale(img: &RgbImage, req: &ImageRequest, font: FontSize) -> Scaled {
    let (sw, sh) = img.dimensions();
    let (cw, ch) = req.cells;
    let zoom = req.zoom.clamp(1.0, 32.0);
    let vw = (sw as f64 / zoom).max(1.0);
    let vh = (sh as f64 / zoom).max(1.0);
    let (cx, cy) = req.center.unwrap_or((sw as f64 / 2.0, sh as f64 / 2.0));
    let x0 = (cx - vw / 2.0).clamp(0.0, (sw as f64 - vw).max(0.0));
    let y0 = (cy - vh / 2.0).clamp(0.0, (sh as f64 - vh).max(0.0));
    let crop = image::imageops::crop_imm(
        img,
        x0 as u32,
        y0 as u32,
        (vw as u32).max(1),
        (vh as u32).max(1),
    )
    .to_image();
    let bw = cw.max(1) as f64 * font.width.max(1) as f64;
    let bh = ch.max(1) as f64 * font.height.max(1) as f64;
    let scale = (bw / vw).min(bh / vh);
    let tw = ((vw * scale).floor() as u32).max(1);
    let th = ((vh * scale).floor() as u32).max(1);
    let out = image::imageops::resize(&crop, tw, th, image::imageops::FilterType::Triangle);
    Scaled {
        img: out,
        origin: (x0, y0),
        scale,
        source_size: (sw, sh),
    }
}
