//! The image pipeline: a frame (PNG/JPEG, a video frame decoded in-process, or a blank
//! canvas when no frame can be had) is
//! decoded, cropped for zoom/pan, scaled to the cell area, marked with keypoints and error
//! lines, and encoded for the terminal's protocol, all on a worker thread (latest request
//! wins). The UI thread only draws the finished [`Protocol`]. After a video frame the worker
//! prepares the next one for the same view ([`Cache::prefetch`]).

mod cache;
mod draw;
pub mod patch;
pub mod place;

pub use cache::{Cache, Scaled};
pub use patch::{CellRect, Patch, PatchReady, Shown};
pub use place::Placement;

use crate::tui::data::FrameSource;
use image::{DynamicImage, Rgb};
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
    /// Edit mode's additions (none outside it).
    pub look: EditLook,
}

/// What edit mode adds to a frame: the crosshair cursor, a ring around the selected keypoint,
/// and brightness/contrast (display only; the labels never change with them).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EditLook {
    /// The cursor in source pixels.
    pub cursor: Option<(f64, f64)>,
    /// Index into the request's markers of the selected keypoint.
    pub highlight: Option<usize>,
    /// Added to every channel, as a fraction of full scale (-1..1).
    pub brightness: f32,
    /// Contrast around mid-grey: a factor of `1 + contrast`.
    pub contrast: f32,
    /// What the screen shows now (sixel, kitty): a cursor step on the same base is a patch.
    pub shown: Option<Shown>,
}

/// A finished image for the UI thread.
pub struct ImageReady {
    pub generation: u64,
    pub result: Result<Protocol, String>,
    /// The cell each marker landed on (`None` when zoomed out of view), for name labels.
    pub marker_cells: Vec<Option<(u16, u16)>>,
    pub source_size: (u32, u32),
    pub cells: (u16, u16),
    /// Where the source pixels landed in the cell area (mouse clicks map back through it).
    pub placement: Placement,
    /// Edit mode with sixel or kitty: `result` is the base (no crosshair), this its id (the
    /// generation that encoded it), and `patch` the crosshair drawn over it.
    pub base_id: Option<u64>,
    pub patch: Option<Patch>,
}

/// What the image worker hands the UI: a whole image, or a patch over the base it holds.
pub enum Encoded {
    Full(ImageReady),
    Patch(PatchReady),
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
        placement: Placement::default(),
        base_id: None,
        patch: None,
    };
    let (cw, ch) = req.cells;
    if cw == 0 || ch == 0 {
        return fail("no room for the image".into());
    }
    let Scaled {
        img: mut out,
        origin: (x0, y0),
        scale,
        source_size: (sw, sh),
    } = match cache.scaled(req, font) {
        Ok(s) => s,
        Err(e) => return fail(crate::sanitize::clean(&e).into_owned()),
    };
    let (tw, th) = out.dimensions();
    if req.look.brightness != 0.0 || req.look.contrast != 0.0 {
        draw::adjust(&mut out, req.look.brightness, req.look.contrast);
    }
    // Marker size: about 1% of the drawn image's diagonal (at least 3 pixels), outlined;
    // one cell with halfblocks.
    let halfblocks = req.protocol == ProtocolType::Halfblocks;
    let r = draw::marker_radius(tw, th, halfblocks, (font.width, font.height));
    let to_px = |x: f64, y: f64| ((x - x0) * scale, (y - y0) * scale);
    for ((ax, ay), (bx, by), rgb) in &req.lines {
        let a = to_px(*ax, *ay);
        let b = to_px(*bx, *by);
        draw::line(&mut out, a, b, (r / 3.0).max(1.0), Rgb(*rgb));
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
        draw::marker(&mut out, px, py, r, Rgb(m.rgb), m.hollow, !halfblocks);
        marker_cells.push(Some((
            (px / font.width as f64) as u16,
            (py / font.height as f64) as u16,
        )));
    }
    if let Some(i) = req.look.highlight
        && let Some(m) = req.markers.get(i)
        && m.x.is_finite()
        && m.y.is_finite()
    {
        let (px, py) = to_px(m.x, m.y);
        draw::highlight(&mut out, px, py, r, halfblocks);
    }
    let patchable = patch::patchable(req);
    if let Some((cx, cy)) = req.look.cursor
        && !patchable
    {
        let (px, py) = to_px(cx, cy);
        let cell = if halfblocks {
            (font.width as f64, font.height as f64 / 2.0)
        } else {
            (1.0, 1.0)
        };
        draw::crosshair(&mut out, px, py, r * 2.5, cell);
    }
    let (mut base_id, mut patch) = (None, None);
    if patchable {
        // The base without the crosshair, kept for the cursor steps; the crosshair a patch.
        out = patch::pad_to_cells(out, (font.width, font.height));
        let base = patch::EditBase {
            key: req.clone(),
            id: generation,
            img: out.clone(),
            radius: r,
            origin: (x0, y0),
            scale,
            font: (font.width, font.height),
        };
        if let Some(c) = req.look.cursor {
            match base.patch(&picker, req.protocol, c, None) {
                Ok(p) => patch = Some(p),
                Err(e) => return fail(e),
            }
        }
        base_id = Some(generation);
        cache.edit = Some(base);
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
        placement: Placement {
            origin: (x0, y0),
            scale,
            font: (font.width, font.height),
            drawn: (tw, th),
        },
        base_id,
        patch,
    }
}

/// The live worker's job: a cursor step in edit mode (sixel, kitty) on the base the screen
/// holds is a patch; anything else is encoded whole.
pub fn encode_step(
    picker: &Picker,
    cache: &mut Cache,
    generation: u64,
    req: &ImageRequest,
) -> Encoded {
    if let (Some(shown), Some(cursor), Some(base)) =
        (req.look.shown, req.look.cursor, cache.edit.as_ref())
        && patch::patchable(req)
        && base.id == shown.base
        && patch::same_base(&base.key, req)
        && let Ok(p) = base.patch(picker, req.protocol, cursor, Some(shown.cross))
    {
        return Encoded::Patch(PatchReady {
            generation,
            base: base.id,
            patch: p,
        });
    }
    Encoded::Full(encode(picker, cache, generation, req))
}

/// After `req` was encoded: the next video frame decoded and scaled for the same view, so
/// that stepping forward only draws markers and encodes.
pub fn prefetch(picker: &Picker, cache: &mut Cache, req: &ImageRequest) {
    if req.cells.0 > 0 && req.cells.1 > 0 {
        cache.prefetch(req, picker.font_size());
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
            look: EditLook::default(),
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
                look: EditLook::default(),
            };
            let r = encode(&picker, &mut cache, 1, &req);
            let e = r.result.err().unwrap();
            assert!(e.contains(dir.path().to_str().unwrap()), "{e}");
        }
    }
}
