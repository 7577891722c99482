//! The image pipeline: a frame (PNG/JPEG, a video frame decoded in-process, or a blank
//! canvas when no frame can be had) is
//! decoded, cropped for zoom/pan, scaled to the cell area, marked with keypoints and error
//! lines, and encoded for the terminal's protocol, all on a worker thread (latest request
//! wins). The UI thread only draws the finished [`Protocol`].

use crate::tui::data::FrameSource;
use image::{DynamicImage, Rgb, RgbImage};
use ratatui::layout::Size;
use ratatui_image::picker::{Picker, ProtocolType};
use ratatui_image::protocol::Protocol;
use ratatui_image::{FontSize, Resize};

/// A line in source pixels, from -> to, in an RGB colour.
pub type Line = ((f64, f64), (f64, f64), [u8; 3]);

/// A keypoint to draw, in source-image pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub y: f64,
    pub rgb: [u8; 3],
    /// Predictions are drawn hollow, labels filled.
    pub hollow: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImageRequest {
    pub source: FrameSource,
    pub markers: Vec<Marker>,
    /// Lines in source pixels (label -> prediction error lines, skeleton edges).
    pub lines: Vec<Line>,
    /// 1.0 shows the whole frame; 2.0 shows half of it around `center`.
    pub zoom: f64,
    /// Centre of the view in source pixels (`None`: the frame centre).
    pub center: Option<(f64, f64)>,
    /// The cell area to fill.
    pub cells: (u16, u16),
    pub protocol: ProtocolType,
}

/// A finished image for the UI thread.
pub struct ImageReady {
    pub generation: u64,
    pub result: Result<Protocol, String>,
    /// The cell each marker landed on (`None` when zoomed out of view), for name labels.
    pub marker_cells: Vec<Option<(u16, u16)>>,
    pub source_size: (u32, u32),
    pub cells: (u16, u16),
}

impl std::fmt::Debug for ImageReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageReady")
            .field("generation", &self.generation)
            .field("ok", &self.result.is_ok())
            .field("cells", &self.cells)
            .finish()
    }
}

/// Parses `--image-protocol` values.
pub fn parse_protocol(s: &str) -> Option<ProtocolType> {
    match s.to_ascii_lowercase().as_str() {
        "halfblocks" | "blocks" => Some(ProtocolType::Halfblocks),
        "sixel" => Some(ProtocolType::Sixel),
        "kitty" => Some(ProtocolType::Kitty),
        "iterm2" | "iterm" => Some(ProtocolType::Iterm2),
        _ => None,
    }
}

pub fn protocol_name(p: ProtocolType) -> &'static str {
    match p {
        ProtocolType::Halfblocks => "halfblocks",
        ProtocolType::Sixel => "sixel",
        ProtocolType::Kitty => "kitty",
        ProtocolType::Iterm2 => "iterm2",
    }
}

/// Decoded-frame cache of the worker (the last file), so zoom and pan do not decode again;
/// and the open video, whose reader keeps decoded frames around the cursor and its decoder
/// where it stopped, so stepping forward decodes one frame.
#[derive(Default)]
pub struct Cache {
    last: Option<(String, RgbImage)>,
    video: Option<(
        std::path::PathBuf,
        std::time::SystemTime,
        crate::video::Frames,
    )>,
}

impl Cache {
    /// The open video for `path` (reopened when the file changed on disk).
    fn video(&mut self, path: &std::path::Path) -> Result<&mut crate::video::Frames, String> {
        let mtime = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let fresh = matches!(&self.video, Some((p, t, _)) if p == path && *t == mtime);
        if !fresh {
            self.video = None;
            let f = crate::video::Frames::open(path).map_err(|e| e.to_string())?;
            self.video = Some((path.to_path_buf(), mtime, f));
        }
        match &mut self.video {
            Some((_, _, f)) => Ok(f),
            None => Err("no video".into()),
        }
    }

    /// Decodes the frame after `req`'s (when it is a video frame) so that stepping forward
    /// finds it ready. Errors are left for the request that wants that frame.
    pub fn prefetch(&mut self, req: &ImageRequest) {
        if let FrameSource::Video { path, frame, .. } = &req.source
            && let Ok(crate::video::Frames::Native(r)) = self.video(path).map(|f| &mut *f)
            && let Ok(next) = usize::try_from(*frame + 1)
            && next < r.frame_count()
        {
            let _ = r.yuv(next);
        }
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

fn load(cache: &mut Cache, src: &FrameSource) -> Result<RgbImage, String> {
    match src {
        FrameSource::Blank { width, height, .. } => Ok(blank(*width, *height)),
        FrameSource::File(p) => {
            let key = format!("file:{}", p.display());
            if let Some((q, img)) = &cache.last
                && *q == key
            {
                return Ok(img.clone());
            }
            let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let img = image::load_from_memory(&bytes)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .to_rgb8();
            cache.last = Some((key, img.clone()));
            Ok(img)
        }
        FrameSource::Video { path, frame, .. } => {
            let key = format!("video:{}:{frame}", path.display());
            if let Some((q, img)) = &cache.last
                && *q == key
            {
                return Ok(img.clone());
            }
            let idx = usize::try_from(*frame).map_err(|_| format!("frame {frame} out of range"))?;
            let f = cache.video(path)?.rgb(idx).map_err(|e| e.to_string())?;
            let img = RgbImage::from_raw(f.width, f.height, f.pixels)
                .ok_or_else(|| format!("{}: frame {frame}: short pixel buffer", path.display()))?;
            cache.last = Some((key, img.clone()));
            Ok(img)
        }
        FrameSource::Bytes { name, bytes } => {
            let key = format!("bytes:{name}:{:p}", bytes.as_ptr());
            if let Some((q, img)) = &cache.last
                && *q == key
            {
                return Ok(img.clone());
            }
            let img = image::load_from_memory(bytes)
                .map_err(|e| format!("{name}: {e}"))?
                .to_rgb8();
            cache.last = Some((key, img.clone()));
            Ok(img)
        }
    }
}

/// Does the whole job for one request (also used directly by tests).
pub fn encode(
    picker: &Picker,
    cache: &mut Cache,
    generation: u64,
    req: &ImageRequest,
) -> ImageReady {
    let mut picker = picker.clone();
    picker.set_protocol_type(req.protocol);
    let font = picker.font_size();
    let fail = |e: String| ImageReady {
        generation,
        result: Err(e),
        marker_cells: Vec::new(),
        source_size: (0, 0),
        cells: req.cells,
    };
    let img = match load(cache, &req.source) {
        Ok(i) => i,
        Err(e) => return fail(crate::sanitize::clean(&e).into_owned()),
    };
    let (sw, sh) = img.dimensions();
    let (cw, ch) = req.cells;
    if cw == 0 || ch == 0 {
        return fail("no room for the image".into());
    }
    // The crop window in source pixels.
    let zoom = req.zoom.clamp(1.0, 32.0);
    let vw = (sw as f64 / zoom).max(1.0);
    let vh = (sh as f64 / zoom).max(1.0);
    let (cx, cy) = req.center.unwrap_or((sw as f64 / 2.0, sh as f64 / 2.0));
    let x0 = (cx - vw / 2.0).clamp(0.0, (sw as f64 - vw).max(0.0));
    let y0 = (cy - vh / 2.0).clamp(0.0, (sh as f64 - vh).max(0.0));
    let crop = image::imageops::crop_imm(
        &img,
        x0 as u32,
        y0 as u32,
        (vw as u32).max(1),
        (vh as u32).max(1),
    )
    .to_image();
    // Target size in pixels: the cell box at the font size, aspect kept.
    let bw = cw as f64 * font.width as f64;
    let bh = ch as f64 * font.height as f64;
    let scale = (bw / vw).min(bh / vh);
    let tw = ((vw * scale).floor() as u32).max(1);
    let th = ((vh * scale).floor() as u32).max(1);
    let mut out = image::imageops::resize(&crop, tw, th, image::imageops::FilterType::Triangle);
    // Marker size: visible at the protocol's real resolution.
    let r = match req.protocol {
        ProtocolType::Halfblocks => (font.height as f64 / 2.0).max(font.width as f64) * 0.75,
        _ => (font.height as f64 / 6.0).max(3.0),
    };
    let to_px = |x: f64, y: f64| ((x - x0) * scale, (y - y0) * scale);
    for ((ax, ay), (bx, by), rgb) in &req.lines {
        let a = to_px(*ax, *ay);
        let b = to_px(*bx, *by);
        draw_line(&mut out, a, b, (r / 3.0).max(1.0), Rgb(*rgb));
    }
    let mut marker_cells = Vec::with_capacity(req.markers.len());
    for m in &req.markers {
        let (px, py) = to_px(m.x, m.y);
        if !(m.x.is_finite() && m.y.is_finite())
            || px < 0.0
            || py < 0.0
            || px >= tw as f64
            || py >= th as f64
        {
            marker_cells.push(None);
            continue;
        }
        draw_disc(&mut out, px, py, r, Rgb(m.rgb), m.hollow);
        marker_cells.push(Some((
            (px / font.width as f64) as u16,
            (py / font.height as f64) as u16,
        )));
    }
    let result = picker
        .new_protocol(
            DynamicImage::ImageRgb8(out),
            Size::new(cw, ch),
            Resize::Fit(None),
        )
        .map_err(|e| format!("image encoding ({}): {e}", protocol_name(req.protocol)));
    ImageReady {
        generation,
        result,
        marker_cells,
        source_size: (sw, sh),
        cells: req.cells,
    }
}

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, c);
    }
}

fn draw_disc(img: &mut RgbImage, cx: f64, cy: f64, r: f64, c: Rgb<u8>, hollow: bool) {
    let ri = r.ceil() as i64 + 1;
    let (x0, y0) = (cx.round() as i64, cy.round() as i64);
    let inner = if hollow {
        (r - (r / 2.5).max(1.0)).max(0.0)
    } else {
        -1.0
    };
    for dy in -ri..=ri {
        for dx in -ri..=ri {
            let d = ((dx * dx + dy * dy) as f64).sqrt();
            if d <= r && d > inner {
                put(img, x0 + dx, y0 + dy, c);
            }
        }
    }
}

fn draw_line(img: &mut RgbImage, a: (f64, f64), b: (f64, f64), w: f64, c: Rgb<u8>) {
    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    let n = (len.ceil() as usize).clamp(1, 20_000);
    for i in 0..=n {
        let t = i as f64 / n as f64;
        let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        draw_disc(img, x, y, w / 2.0, c, false);
    }
}

/// The picker for tests and for terminals that cannot be queried: halfblocks at 10x20 px.
pub fn halfblocks_picker() -> Picker {
    Picker::halfblocks()
}

/// The font size a picker assumes (for tests and sizing).
pub fn font_of(p: &Picker) -> FontSize {
    p.font_size()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_canvas_with_markers_encodes() {
        let picker = halfblocks_picker();
        let mut cache = Cache::default();
        let req = ImageRequest {
            source: FrameSource::Blank {
                width: 400,
                height: 400,
                why: "test".into(),
            },
            markers: vec![
                Marker {
                    x: 200.0,
                    y: 200.0,
                    rgb: [255, 0, 0],
                    hollow: false,
                },
                Marker {
                    x: -5.0,
                    y: 10.0,
                    rgb: [0, 255, 0],
                    hollow: true,
                },
            ],
            lines: vec![((0.0, 0.0), (100.0, 100.0), [0, 0, 255])],
            zoom: 1.0,
            center: None,
            cells: (20, 10),
            protocol: ProtocolType::Halfblocks,
        };
        let r = encode(&picker, &mut cache, 7, &req);
        assert_eq!(r.generation, 7);
        let p = r.result.unwrap();
        assert!(p.size().width <= 20 && p.size().height <= 10);
        assert_eq!(r.marker_cells[1], None);
        assert!(r.marker_cells[0].is_some());
    }

    #[test]
    fn unreadable_file_is_an_error_not_a_panic() {
        let picker = halfblocks_picker();
        let mut cache = Cache::default();
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("x.png");
        std::fs::write(&bad, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        for src in [
            FrameSource::File(bad.clone()),
            FrameSource::File(dir.path().join("missing.png")),
        ] {
            let req = ImageRequest {
                source: src,
                markers: vec![],
                lines: vec![],
                zoom: 1.0,
                center: None,
                cells: (10, 5),
                protocol: ProtocolType::Halfblocks,
            };
            let r = encode(&picker, &mut cache, 1, &req);
            let e = r.result.err().unwrap();
            assert!(e.contains(dir.path().to_str().unwrap()), "{e}");
        }
    }
}
