//! Keypoint discs and error lines drawn into a scaled frame.

use image::{Rgb, RgbImage};

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, c);
    }
}

/// A disc of radius `r` at (`cx`, `cy`); `hollow` leaves its middle (predictions).
pub fn disc(img: &mut RgbImage, cx: f64, cy: f64, r: f64, c: Rgb<u8>, hollow: bool) {
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
