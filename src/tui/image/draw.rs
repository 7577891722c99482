//! Keypoint discs and error lines drawn into a scaled frame.

use image::{Rgb, RgbImage};

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, c);
    }
}

/// A disc of radius `r` at (`cx`, `cy`); `hollow` leaves its middle (predictions).
pub fn disc(img: &mut RgbImage, cx: f64, cy: f64, r: f64, c: Rgb<u8>, hollow: bool) {
    let inner = inner_radius(r, hollow);
    ring(img, cx, cy, r, inner, c);
}

/// Where a hollow marker's ring starts (-1: a filled disc).
fn inner_radius(r: f64, hollow: bool) -> f64 {
    if hollow {
        (r - (r / 2.5).max(1.0)).max(0.0)
    } else {
        -1.0
    }
}

/// The dark outline drawn around markers so they show on light and dark fur alike.
pub const OUTLINE: Rgb<u8> = Rgb([16, 16, 16]);

/// A keypoint marker: a disc (label) or ring (prediction) of radius `r` in `c` with a
/// one-pixel dark outline on its edges (`outline` false: the plain disc, for halfblocks where
/// a pixel is half a cell).
pub fn marker(
    img: &mut RgbImage,
    cx: f64,
    cy: f64,
    r: f64,
    c: Rgb<u8>,
    hollow: bool,
    outline: bool,
) {
    let inner = inner_radius(r, hollow);
    if outline {
        ring(
            img,
            cx,
            cy,
            r + 1.0,
            if hollow { inner - 1.0 } else { -1.0 },
            OUTLINE,
        );
    }
    ring(img, cx, cy, r, inner, c);
}

/// The pixels whose distance `d` from (`cx`, `cy`) has `inner < d <= outer`.
fn ring(img: &mut RgbImage, cx: f64, cy: f64, outer: f64, inner: f64, c: Rgb<u8>) {
    let ri = outer.ceil() as i64 + 1;
    let (x0, y0) = (cx.round() as i64, cy.round() as i64);
    for dy in -ri..=ri {
        for dx in -ri..=ri {
            let d = ((dx * dx + dy * dy) as f64).sqrt();
            if d <= outer && d > inner {
                put(img, x0 + dx, y0 + dy, c);
            }
        }
    }
}

/// The marker radius for an image drawn `w` x `h` pixels: about 1% of its diagonal, at least
/// 3 pixels (sixel, kitty, iTerm2); with halfblocks a marker stays one cell.
pub fn marker_radius(w: u32, h: u32, halfblocks: bool, font: (u16, u16)) -> f64 {
    if halfblocks {
        let (fw, fh) = (font.0 as f64, font.1 as f64);
        (fh / 2.0).max(fw) * 0.75
    } else {
        ((w as f64).hypot(h as f64) * 0.01).max(3.0)
    }
}

/// A line `w` pixels wide from `a` to `b`.
pub fn line(img: &mut RgbImage, a: (f64, f64), b: (f64, f64), w: f64, c: Rgb<u8>) {
    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    let n = (len.ceil() as usize).clamp(1, 20_000);
    for i in 0..=n {
        let t = i as f64 / n as f64;
        let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        disc(img, x, y, w / 2.0, c, false);
    }
}

/// Brightness (added, as a fraction of full scale) and contrast (a factor of `1 + contrast`
/// around mid-grey), for display only.
pub fn adjust(img: &mut RgbImage, brightness: f32, contrast: f32) {
    let k = (1.0 + contrast).max(0.0);
    let add = brightness * 255.0;
    let mut lut = [0u8; 256];
    for (v, out) in lut.iter_mut().enumerate() {
        *out = ((v as f32 - 128.0) * k + 128.0 + add)
            .round()
            .clamp(0.0, 255.0) as u8;
    }
    for p in img.pixels_mut() {
        for c in &mut p.0 {
            *c = lut[*c as usize];
        }
    }
}

/// A white ring around the selected keypoint, outlined.
pub fn highlight(img: &mut RgbImage, cx: f64, cy: f64, r: f64, halfblocks: bool) {
    let outer = r * 1.9 + 2.0;
    let w = if halfblocks {
        r * 0.6
    } else {
        (r / 3.0).max(1.5)
    };
    ring(img, cx, cy, outer + 1.0, outer - w - 1.0, OUTLINE);
    ring(img, cx, cy, outer, outer - w, Rgb([255, 255, 255]));
}

/// The edit cursor: a crosshair of arms `arm` pixels long with a gap over the point itself,
/// its lines one `cell` thick (one pixel; one terminal half-cell with halfblocks), white
/// outlined in black so it shows on any fur.
pub fn crosshair(img: &mut RgbImage, cx: f64, cy: f64, arm: f64, cell: (f64, f64)) {
    let gap = (arm / 3.0).max(cell.0.max(cell.1));
    let (x0, y0) = (cx.round() as i64, cy.round() as i64);
    let (tx, ty) = ((cell.0 / 2.0).floor() as i64, (cell.1 / 2.0).floor() as i64);
    let a = arm.round() as i64;
    let g = gap.round() as i64;
    for (colour, pad) in [(OUTLINE, 1i64), (Rgb([255, 255, 255]), 0)] {
        for d in g..=a {
            for s in [-1, 1] {
                for t in -(ty + pad)..=(ty + pad) {
                    put(img, x0 + s * d, y0 + t, colour);
                }
                for t in -(tx + pad)..=(tx + pad) {
                    put(img, x0 + t, y0 + s * d, colour);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_scale_with_the_image_and_are_outlined() {
        // 1% of the diagonal, at least 3 px; halfblocks: one cell (8x16 font -> 6 px).
        assert!((marker_radius(396, 406, false, (8, 16)) - 5.671).abs() < 1e-3);
        assert!((marker_radius(1024, 1024, false, (8, 16)) - 14.482).abs() < 1e-3);
        assert_eq!(marker_radius(120, 100, false, (8, 16)), 3.0);
        assert_eq!(marker_radius(1024, 1024, true, (8, 16)), 6.0);
        let white = Rgb([255, 255, 255]);
        let red = Rgb([230, 40, 40]);
        let mut img = RgbImage::from_pixel(64, 64, white);
        marker(&mut img, 32.0, 32.0, 6.0, red, false, true);
        assert_eq!(*img.get_pixel(32, 32), red);
        assert_eq!(*img.get_pixel(38, 32), red); // the edge, at r
        assert_eq!(*img.get_pixel(39, 32), OUTLINE); // the outline, one pixel outside
        assert_eq!(*img.get_pixel(41, 32), white);
        // A prediction: a ring, outlined outside and inside, its middle left as it was.
        let mut img = RgbImage::from_pixel(64, 64, white);
        marker(&mut img, 32.0, 32.0, 6.0, red, true, true);
        assert_eq!(*img.get_pixel(32, 32), white);
        assert_eq!(*img.get_pixel(37, 32), red);
        assert_eq!(*img.get_pixel(39, 32), OUTLINE);
        assert_eq!(*img.get_pixel(35, 32), OUTLINE);
        // Halfblocks: no outline.
        let mut img = RgbImage::from_pixel(64, 64, white);
        marker(&mut img, 32.0, 32.0, 6.0, red, false, false);
        assert_eq!(*img.get_pixel(39, 32), white);
    }
}
