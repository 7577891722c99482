//! Edit mode's cursor steps with sixel and kitty: the frame with its markers (the base) is
//! encoded once and stays on screen; a step encodes only a patch, the few cells around the
//! crosshair cut from the base and the crosshair drawn in, placed over the base. One step
//! then sends a few kilobytes to the terminal instead of the whole frame.
//!
//! Sixel draws pixels that stay until drawn over, so a patch covers the cells of the crosshair
//! now on screen as well as the new one (the request says which, [`Shown`]). Kitty shows the
//! base again in every cell the patch leaves; but a kitty placeholder cell without diacritics
//! continues the image of the cell to its left, so the base cell right after a patch in each
//! of its rows is given its row and column diacritics ([`kitty_resume`]). The base is padded
//! to whole cells so that a patch is a whole number of cells too (no protocol rescales it).

use super::{ImageRequest, draw};
use image::{DynamicImage, Rgb, RgbImage};
use ratatui::buffer::Buffer;
use ratatui::layout::{Rect, Size};
use ratatui_image::Resize;
use ratatui_image::picker::{Picker, ProtocolType};
use ratatui_image::protocol::Protocol;

/// A rectangle of cells, relative to the image's top-left cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CellRect {
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
}

impl CellRect {
    fn union(self, o: CellRect) -> CellRect {
        let (x, y) = (self.x.min(o.x), self.y.min(o.y));
        let r = (self.x + self.w).max(o.x + o.w);
        let b = (self.y + self.h).max(o.y + o.h);
        CellRect {
            x,
            y,
            w: r - x,
            h: b - y,
        }
    }
}

/// What the UI shows: the base it holds (the generation that encoded it) and the cells the
/// crosshair of its patch covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    pub base: u64,
    pub cross: CellRect,
}

/// An encoded patch, drawn over the base at `area` (cells from the image's top-left).
pub struct Patch {
    pub protocol: Protocol,
    pub area: CellRect,
    pub cross: CellRect,
}

/// A patch for the base the UI holds: the answer to a cursor step.
pub struct PatchReady {
    pub generation: u64,
    pub base: u64,
    pub patch: Patch,
}

impl std::fmt::Debug for PatchReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PatchReady({}, base {}, {:?})",
            self.generation, self.base, self.patch.area
        )
    }
}

/// The worker's copy of the base: its pixels (padded to whole cells) and how source pixels
/// map onto them.
pub struct EditBase {
    /// The request it was drawn for (compared with [`same_base`]; cursor and `shown` aside).
    pub key: ImageRequest,
    pub id: u64,
    pub img: RgbImage,
    pub radius: f64,
    pub origin: (f64, f64),
    pub scale: f64,
    pub font: (u16, u16),
}

/// Whether `req` is drawn as a base and patches: edit mode with sixel or kitty.
pub fn patchable(req: &ImageRequest) -> bool {
    req.look.cursor.is_some() && matches!(req.protocol, ProtocolType::Sixel | ProtocolType::Kitty)
}

/// Whether two requests draw the same base: equal field by field, floats bit for bit (a
/// missing keypoint's marker is at NaN, which `==` never equals).
pub fn same_base(a: &ImageRequest, b: &ImageRequest) -> bool {
    let f = |x: f64, y: f64| x.to_bits() == y.to_bits();
    let p = |a: (f64, f64), b: (f64, f64)| f(a.0, b.0) && f(a.1, b.1);
    a.source == b.source
        && a.cells == b.cells
        && a.protocol == b.protocol
        && f(a.zoom, b.zoom)
        && match (a.center, b.center) {
            (Some(x), Some(y)) => p(x, y),
            (x, y) => x.is_none() && y.is_none(),
        }
        && a.look.highlight == b.look.highlight
        && a.look.brightness.to_bits() == b.look.brightness.to_bits()
        && a.look.contrast.to_bits() == b.look.contrast.to_bits()
        && a.markers.len() == b.markers.len()
        && a.markers
            .iter()
            .zip(&b.markers)
            .all(|(m, n)| f(m.x, n.x) && f(m.y, n.y) && m.rgb == n.rgb && m.hollow == n.hollow)
        && a.lines.len() == b.lines.len()
        && a.lines
            .iter()
            .zip(&b.lines)
            .all(|(l, k)| p(l.0, k.0) && p(l.1, k.1) && l.2 == k.2)
}

/// `img` padded with black to whole cells of `font`.
pub fn pad_to_cells(img: RgbImage, font: (u16, u16)) -> RgbImage {
    let (fw, fh) = (font.0.max(1) as u32, font.1.max(1) as u32);
    let (w, h) = img.dimensions();
    let (pw, ph) = (w.div_ceil(fw) * fw, h.div_ceil(fh) * fh);
    if (pw, ph) == (w, h) {
        return img;
    }
    let mut out = RgbImage::from_pixel(pw, ph, Rgb([0, 0, 0]));
    image::imageops::replace(&mut out, &img, 0, 0);
    out
}

impl EditBase {
    fn cells(&self) -> (u16, u16) {
        let (fw, fh) = (self.font.0.max(1) as u32, self.font.1.max(1) as u32);
        (
            (self.img.width() / fw) as u16,
            (self.img.height() / fh) as u16,
        )
    }

    /// The crosshair at source pixel `cursor`: its centre and arm in base pixels.
    fn crosshair(&self, cursor: (f64, f64)) -> ((f64, f64), f64) {
        let px = (cursor.0 - self.origin.0) * self.scale;
        let py = (cursor.1 - self.origin.1) * self.scale;
        ((px, py), self.radius * 2.5)
    }

    /// The cells the crosshair at `cursor` touches (its outline included).
    fn cross_cells(&self, cursor: (f64, f64)) -> CellRect {
        let ((px, py), arm) = self.crosshair(cursor);
        let reach = arm.round() + 2.0;
        let (cw, ch) = self.cells();
        let (fw, fh) = (self.font.0.max(1) as f64, self.font.1.max(1) as f64);
        let cell =
            |v: f64, f: f64, n: u16| ((v / f).floor().max(0.0) as u16).min(n.saturating_sub(1));
        let (x0, x1) = (cell(px - reach, fw, cw), cell(px + reach, fw, cw));
        let (y0, y1) = (cell(py - reach, fh, ch), cell(py + reach, fh, ch));
        CellRect {
            x: x0,
            y: y0,
            w: x1 - x0 + 1,
            h: y1 - y0 + 1,
        }
    }

    /// The patch for a crosshair at `cursor`, `shown` being what the screen has now.
    pub fn patch(
        &self,
        picker: &Picker,
        protocol: ProtocolType,
        cursor: (f64, f64),
        shown: Option<CellRect>,
    ) -> Result<Patch, String> {
        let (area, cross, crop) = self.patch_pixels(protocol, cursor, shown);
        let mut picker = picker.clone();
        picker.set_protocol_type(protocol);
        let protocol = picker
            .new_protocol(
                DynamicImage::ImageRgb8(crop),
                Size::new(area.w, area.h),
                Resize::Fit(None),
            )
            .map_err(|e| format!("image encoding (patch): {e}"))?;
        Ok(Patch {
            protocol,
            area,
            cross,
        })
    }

    /// The patch's cells, the crosshair's cells, and the patch's pixels.
    fn patch_pixels(
        &self,
        protocol: ProtocolType,
        cursor: (f64, f64),
        shown: Option<CellRect>,
    ) -> (CellRect, CellRect, RgbImage) {
        let cross = self.cross_cells(cursor);
        let area = match protocol {
            ProtocolType::Kitty => cross,
            _ => shown.map_or(cross, |s| s.union(cross)),
        };
        let (fw, fh) = (self.font.0 as u32, self.font.1 as u32);
        let (x0, y0) = (area.x as u32 * fw, area.y as u32 * fh);
        let mut crop =
            image::imageops::crop_imm(&self.img, x0, y0, area.w as u32 * fw, area.h as u32 * fh)
                .to_image();
        let ((px, py), arm) = self.crosshair(cursor);
        draw::crosshair(&mut crop, px - x0 as f64, py - y0 as f64, arm, (1.0, 1.0));
        (area, cross, crop)
    }
}

/// The character kitty reserves for image placeholders.
const PLACEHOLDER: char = '\u{10EEEE}';

/// Kitty's row/column diacritics (the spec's `rowcolumn-diacritics.txt`), as ratatui-image
/// writes them: read off the first column of a tall placement it renders.
fn diacritics() -> &'static [char] {
    static D: std::sync::OnceLock<Vec<char>> = std::sync::OnceLock::new();
    D.get_or_init(|| {
        use ratatui::widgets::Widget;
        const N: u16 = 297;
        let img = DynamicImage::new_rgb8(1, 1);
        let Ok(k) =
            ratatui_image::protocol::kitty::Kitty::new(img, Size::new(1, N), 1, false, false)
        else {
            return Vec::new();
        };
        let p = Protocol::Kitty(k);
        let area = Rect::new(0, 0, 1, N);
        let mut buf = Buffer::empty(area);
        ratatui_image::Image::new(&p).render(area, &mut buf);
        (0..N)
            .map_while(|y| {
                let c: Vec<char> = buf[(0, y)].symbol().chars().collect();
                let i = c.iter().rposition(|&ch| ch == PLACEHOLDER)?;
                c.get(i + 1).copied()
            })
            .collect()
    })
}

/// After a kitty patch was drawn over the base in `buf` (the image at `img`, `cols` cells
/// wide): the base cell right after the patch in each of its rows says its row and column
/// (else kitty would continue the patch's image there).
pub fn kitty_resume(buf: &mut Buffer, img: Rect, patch: CellRect, cols: u16) {
    let d = diacritics();
    let col = patch.x + patch.w;
    if col >= cols || col as usize >= d.len() {
        return;
    }
    // The base's id: the colour and last diacritic of a first-column cell it owns.
    let Some(owner) = (0..img.height)
        .find(|&r| patch.x > 0 || r < patch.y || r >= patch.y + patch.h)
        .map(|r| &buf[(img.x, img.y + r)])
    else {
        return;
    };
    let chars: Vec<char> = owner.symbol().chars().collect();
    let (Some(&extra), fg) = (chars.last(), owner.fg) else {
        return;
    };
    if chars.len() < 4 || chars[chars.len() - 4] != PLACEHOLDER {
        return;
    }
    for row in patch.y..patch.y + patch.h {
        let (Some(&dr), Some(&dc)) = (d.get(row as usize), d.get(col as usize)) else {
            continue;
        };
        if let Some(cell) = buf.cell_mut((img.x + col, img.y + row)) {
            cell.set_symbol(&format!("{PLACEHOLDER}{dr}{dc}{extra}"))
                .set_fg(fg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> EditBase {
        // A gradient frame 395x300 px in 10x20 cells (padded to 400x300), scale 1.
        let img = RgbImage::from_fn(395, 300, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 77]));
        EditBase {
            key: ImageRequest {
                source: crate::tui::data::FrameSource::Blank {
                    width: 1,
                    height: 1,
                    why: String::new(),
                },
                markers: Vec::new(),
                lines: Vec::new(),
                zoom: 1.0,
                center: None,
                cells: (40, 15),
                protocol: ProtocolType::Sixel,
                look: Default::default(),
            },
            id: 1,
            img: pad_to_cells(img, (10, 20)),
            radius: 5.0,
            origin: (0.0, 0.0),
            scale: 1.0,
            font: (10, 20),
        }
    }

    /// The base with the crosshair at `c` drawn whole: what the screen must show.
    fn whole(b: &EditBase, c: (f64, f64)) -> RgbImage {
        let mut img = b.img.clone();
        let ((px, py), arm) = b.crosshair(c);
        draw::crosshair(&mut img, px, py, arm, (1.0, 1.0));
        img
    }

    fn paste(screen: &mut RgbImage, area: CellRect, px: &RgbImage) {
        image::imageops::replace(screen, px, area.x as i64 * 10, area.y as i64 * 20);
    }

    #[test]
    fn patches_leave_the_screen_as_the_whole_image_would_be() {
        let b = base();
        assert_eq!(b.img.dimensions(), (400, 300));
        // Sixel: the screen keeps what was drawn; each patch covers the old crosshair too.
        let mut screen = whole(&b, (100.0, 100.0));
        let mut shown = Some(b.cross_cells((100.0, 100.0)));
        for c in [
            (101.0, 100.0),
            (111.0, 100.0),
            (111.0, 130.0),
            (390.0, 295.0),
            (3.0, 2.0),
        ] {
            let (area, cross, px) = b.patch_pixels(ProtocolType::Sixel, c, shown);
            assert_eq!(px.dimensions(), (area.w as u32 * 10, area.h as u32 * 20));
            paste(&mut screen, area, &px);
            assert!(screen == whole(&b, c), "sixel at {c:?}");
            shown = Some(cross);
        }
        // Kitty: every cell the patch leaves shows the base again.
        for c in [(101.0, 100.0), (250.0, 10.0), (399.0, 299.0)] {
            let (area, cross, px) = b.patch_pixels(ProtocolType::Kitty, c, None);
            assert_eq!(area, cross);
            let mut screen = b.img.clone();
            paste(&mut screen, area, &px);
            assert!(screen == whole(&b, c), "kitty at {c:?}");
        }
        // A one-pixel step patches a few cells, not the frame.
        let shown = Some(b.cross_cells((100.0, 100.0)));
        let (area, _, _) = b.patch_pixels(ProtocolType::Sixel, (101.0, 100.0), shown);
        assert!(area.w * area.h <= 30, "{area:?}");
    }

    #[test]
    fn kitty_cells_after_a_patch_name_their_place_in_the_base() {
        use ratatui::widgets::Widget;
        let d = diacritics();
        assert_eq!(d.len(), 297);
        assert_eq!(&d[..3], &['\u{305}', '\u{30D}', '\u{30E}']);
        let b = base();
        let mut picker = ratatui_image::picker::Picker::halfblocks();
        picker.set_protocol_type(ProtocolType::Kitty);
        let base = picker
            .new_protocol(
                DynamicImage::ImageRgb8(b.img.clone()),
                Size::new(40, 15),
                Resize::Fit(None),
            )
            .unwrap();
        let img = Rect::new(2, 1, 40, 15);
        let mut buf = Buffer::empty(Rect::new(0, 0, 50, 20));
        ratatui_image::Image::new(&base).render(img, &mut buf);
        let fg = buf[(2, 1)].fg;
        let p = b
            .patch(&picker, ProtocolType::Kitty, (101.0, 100.0), None)
            .unwrap();
        let a = p.area;
        ratatui_image::Image::new(&p.protocol)
            .render(Rect::new(img.x + a.x, img.y + a.y, a.w, a.h), &mut buf);
        kitty_resume(&mut buf, img, a, 40);
        for row in a.y..a.y + a.h {
            let cell = &buf[(img.x + a.x + a.w, img.y + row)];
            let c: Vec<char> = cell.symbol().chars().collect();
            assert_eq!(c[0], PLACEHOLDER);
            assert_eq!((c[1], c[2]), (d[row as usize], d[(a.x + a.w) as usize]));
            assert_eq!(cell.fg, fg, "the base's image id");
            // The patch's own cells are its image (another id).
            assert_ne!(buf[(img.x + a.x, img.y + row)].fg, fg);
        }
    }
}
