//! Augmentation and resizing of one labeled frame, in one pass: a single affine warp from the
//! original image to the network's input size (rotation, scale, shift, flips), then
//! brightness/contrast and motion blur; keypoints follow the same transform (flips swap
//! left/right pairs; a keypoint pushed out of the frame becomes missing).

use crate::engine::config::Imgaug;
use crate::engine::rng::Rng;

/// ImageNet statistics the torchvision backbones were trained with.
pub const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
pub const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// One draw of the augmentation parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Aug {
    /// Rotation in radians (counter-clockwise in image coordinates).
    pub rotate: f64,
    pub scale: f64,
    /// Shift in output pixels.
    pub shift: [f64; 2],
    pub hflip: bool,
    pub vflip: bool,
    pub contrast: f64,
    pub brightness: f64,
    /// Motion blur direction (radians) with a 5-pixel kernel.
    pub blur: Option<f64>,
}

impl Aug {
    /// No augmentation: resize only.
    pub fn identity() -> Aug {
        Aug {
            rotate: 0.0,
            scale: 1.0,
            shift: [0.0, 0.0],
            hflip: false,
            vflip: false,
            contrast: 1.0,
            brightness: 0.0,
            blur: None,
        }
    }

    /// Draws parameters for the `imgaug` pipeline (`hflip` = `training.imgaug_hflip`).
    pub fn sample(kind: Imgaug, hflip: bool, out_w: usize, out_h: usize, rng: &mut Rng) -> Aug {
        let mut a = Aug::identity();
        let flips_h = hflip || matches!(kind, Imgaug::DlcLr | Imgaug::DlcTopDown);
        if kind != Imgaug::Default {
            if rng.chance(0.4) {
                a.rotate = rng.range(-25.0, 25.0).to_radians();
            }
            if rng.chance(0.4) {
                a.scale = rng.range(0.85, 1.15);
                a.shift = [
                    rng.range(-0.1, 0.1) * out_w as f64,
                    rng.range(-0.1, 0.1) * out_h as f64,
                ];
            }
            if rng.chance(0.5) {
                a.blur = Some(rng.range(-90.0, 90.0).to_radians());
            }
            if rng.chance(0.5) {
                a.contrast = rng.range(0.75, 1.25);
                a.brightness = rng.range(-25.0, 25.0);
            }
        }
        if flips_h {
            a.hflip = rng.chance(0.5);
        }
        if kind == Imgaug::DlcTopDown {
            a.vflip = rng.chance(0.5);
        }
        a
    }
}

impl Aug {
    /// Lightning Pose's augmentation of an unlabeled sequence (its DALI `video_pipe` with
    /// `imgaug: dlc` or `dlc-top-down`; one draw for the whole sequence): rotation in
    /// ±10 degrees and scale in 0.8..1.2 about the centre, contrast and multiplicative
    /// brightness in 0.75..1.25 (as `contrast * brightness` around 128 and a shift of
    /// `128 * (brightness - 1)`). Lightning Pose draws the scale per axis and adds shot noise;
    /// here the scale is one factor and there is no noise.
    pub fn sample_unlabeled(rng: &mut Rng) -> Aug {
        let mut a = Aug::identity();
        a.rotate = rng.range(-10.0, 10.0).to_radians();
        a.scale = rng.range(0.8, 1.2);
        let contrast = rng.range(0.75, 1.25);
        let brightness = rng.range(0.75, 1.25);
        a.contrast = contrast * brightness;
        a.brightness = 128.0 * (brightness - 1.0);
        a
    }
}

/// The affine map `[a, b, c, d, e, f]` from output (network input) coordinates back to the
/// original image's: `x = a*qx + b*qy + c`, `y = d*qx + e*qy + f`. Predictions on an
/// augmented frame go back to the frame's own pixels with it.
pub fn to_original(aug: &Aug, in_w: usize, in_h: usize, out_w: usize, out_h: usize) -> [f64; 6] {
    let w = Warp::new(aug, in_w, in_h, out_w, out_h);
    let (c, f) = w.inverse(0.0, 0.0);
    let (x1, y1) = w.inverse(1.0, 0.0);
    let (x2, y2) = w.inverse(0.0, 1.0);
    [x1 - c, x2 - c, c, y1 - f, y2 - f, f]
}

/// The frame after augmentation: normalized CHW pixels and keypoints in output pixels.
#[derive(Debug, Clone)]
pub struct Sample {
    pub image: Vec<f32>,
    pub keypoints: Vec<[f32; 2]>,
}

struct Warp {
    sx: f64,
    sy: f64,
    c: [f64; 2],
    cos: f64,
    sin: f64,
    scale: f64,
    shift: [f64; 2],
    hflip: bool,
    vflip: bool,
    w: f64,
    h: f64,
}

impl Warp {
    fn new(aug: &Aug, in_w: usize, in_h: usize, out_w: usize, out_h: usize) -> Warp {
        Warp {
            sx: out_w as f64 / in_w.max(1) as f64,
            sy: out_h as f64 / in_h.max(1) as f64,
            c: [out_w as f64 / 2.0, out_h as f64 / 2.0],
            cos: aug.rotate.cos(),
            sin: aug.rotate.sin(),
            scale: aug.scale,
            shift: aug.shift,
            hflip: aug.hflip,
            vflip: aug.vflip,
            w: out_w as f64,
            h: out_h as f64,
        }
    }
    /// Original image coordinates -> output coordinates.
    fn forward(&self, x: f64, y: f64) -> (f64, f64) {
        let dx = x * self.sx - self.c[0];
        let dy = y * self.sy - self.c[1];
        let rx = self.scale * (self.cos * dx - self.sin * dy);
        let ry = self.scale * (self.sin * dx + self.cos * dy);
        let mut qx = self.c[0] + rx + self.shift[0];
        let mut qy = self.c[1] + ry + self.shift[1];
        if self.hflip {
            qx = self.w - qx;
        }
        if self.vflip {
            qy = self.h - qy;
        }
        (qx, qy)
    }
    /// Output coordinates -> original image coordinates.
    fn inverse(&self, mut qx: f64, mut qy: f64) -> (f64, f64) {
        if self.hflip {
            qx = self.w - qx;
        }
        if self.vflip {
            qy = self.h - qy;
        }
        let rx = (qx - self.c[0] - self.shift[0]) / self.scale;
        let ry = (qy - self.c[1] - self.shift[1]) / self.scale;
        let dx = self.cos * rx + self.sin * ry;
        let dy = -self.sin * rx + self.cos * ry;
        ((dx + self.c[0]) / self.sx, (dy + self.c[1]) / self.sy)
    }
}

fn bilinear(img: &image::RgbImage, x: f64, y: f64) -> [f32; 3] {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let x0 = x.floor();
    let y0 = y.floor();
    let fx = (x - x0) as f32;
    let fy = (y - y0) as f32;
    let (x0, y0) = (x0 as i64, y0 as i64);
    let px = |xi: i64, yi: i64| -> [f32; 3] {
        if xi < 0 || yi < 0 || xi >= w || yi >= h {
            [0.0; 3]
        } else {
            let p = img.get_pixel(xi as u32, yi as u32).0;
            [p[0] as f32, p[1] as f32, p[2] as f32]
        }
    };
    let a = px(x0, y0);
    let b = px(x0 + 1, y0);
    let c = px(x0, y0 + 1);
    let d = px(x0 + 1, y0 + 1);
    let mut out = [0.0; 3];
    for i in 0..3 {
        let top = a[i] + (b[i] - a[i]) * fx;
        let bot = c[i] + (d[i] - c[i]) * fx;
        out[i] = top + (bot - top) * fy;
    }
    out
}

/// Warps `img` to `out_w` x `out_h` with `aug`, moving `keypoints` (original pixels, NaN when
/// missing) along; `pairs` swap under a horizontal flip.
pub fn render(
    img: &image::RgbImage,
    keypoints: &[[f32; 2]],
    aug: &Aug,
    out_w: usize,
    out_h: usize,
    pairs: &[(usize, usize)],
) -> Sample {
    let warp = Warp::new(
        aug,
        img.width() as usize,
        img.height() as usize,
        out_w,
        out_h,
    );
    // Averaging box for strong downscaling (area-like resize), in source pixels.
    let step_x = (1.0 / (warp.sx * aug.scale)).max(1.0);
    let step_y = (1.0 / (warp.sy * aug.scale)).max(1.0);
    let taps = |s: f64| -> usize { (s.round() as usize).clamp(1, 4) };
    let (tx, ty) = (taps(step_x), taps(step_y));
    let plane = out_w * out_h;
    let mut rgb = vec![0f32; 3 * plane];
    for j in 0..out_h {
        for i in 0..out_w {
            let mut acc = [0f32; 3];
            for b in 0..ty {
                for a in 0..tx {
                    let ox = i as f64 + (a as f64 + 0.5) / tx as f64;
                    let oy = j as f64 + (b as f64 + 0.5) / ty as f64;
                    let (x, y) = warp.inverse(ox, oy);
                    let p = bilinear(img, x - 0.5, y - 0.5);
                    for c in 0..3 {
                        acc[c] += p[c];
                    }
                }
            }
            let n = (tx * ty) as f32;
            for c in 0..3 {
                rgb[c * plane + j * out_w + i] = acc[c] / n;
            }
        }
    }
    if let Some(angle) = aug.blur {
        rgb = motion_blur(&rgb, out_w, out_h, angle);
    }
    let (ct, br) = (aug.contrast as f32, aug.brightness as f32);
    for c in 0..3 {
        for v in &mut rgb[c * plane..(c + 1) * plane] {
            let x = ((*v - 128.0) * ct + 128.0 + br).clamp(0.0, 255.0);
            *v = (x / 255.0 - MEAN[c]) / STD[c];
        }
    }
    let mut kps: Vec<[f32; 2]> = keypoints
        .iter()
        .map(|&[x, y]| {
            if !(x.is_finite() && y.is_finite()) {
                return [f32::NAN; 2];
            }
            let (qx, qy) = warp.forward(x as f64, y as f64);
            if qx < 0.0 || qy < 0.0 || qx >= out_w as f64 || qy >= out_h as f64 {
                [f32::NAN; 2]
            } else {
                [qx as f32, qy as f32]
            }
        })
        .collect();
    if aug.hflip {
        for &(a, b) in pairs {
            if a < kps.len() && b < kps.len() {
                kps.swap(a, b);
            }
        }
    }
    Sample {
        image: rgb,
        keypoints: kps,
    }
}

fn motion_blur(rgb: &[f32], w: usize, h: usize, angle: f64) -> Vec<f32> {
    let (dx, dy) = (angle.cos(), angle.sin());
    let offs: Vec<(i64, i64)> = (-2..=2)
        .map(|t| {
            (
                (t as f64 * dx).round() as i64,
                (t as f64 * dy).round() as i64,
            )
        })
        .collect();
    let plane = w * h;
    let mut out = vec![0f32; rgb.len()];
    for c in 0..3 {
        let src = &rgb[c * plane..(c + 1) * plane];
        for y in 0..h as i64 {
            for x in 0..w as i64 {
                let mut acc = 0f32;
                for &(ox, oy) in &offs {
                    let xx = (x + ox).clamp(0, w as i64 - 1) as usize;
                    let yy = (y + oy).clamp(0, h as i64 - 1) as usize;
                    acc += src[yy * w + xx];
                }
                out[c * plane + y as usize * w + x as usize] = acc / offs.len() as f32;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_and_inverse_agree() {
        let aug = Aug {
            rotate: 0.3,
            scale: 1.1,
            shift: [5.0, -3.0],
            hflip: true,
            vflip: false,
            ..Aug::identity()
        };
        let w = Warp::new(&aug, 400, 300, 128, 128);
        let (qx, qy) = w.forward(123.0, 77.0);
        let (x, y) = w.inverse(qx, qy);
        assert!((x - 123.0).abs() < 1e-9 && (y - 77.0).abs() < 1e-9);
    }

    #[test]
    fn a_bright_dot_moves_with_its_keypoint() {
        let mut img = image::RgbImage::new(64, 48);
        for y in 20..23 {
            for x in 40..43 {
                img.put_pixel(x, y, image::Rgb([255, 255, 255]));
            }
        }
        let aug = Aug {
            rotate: 0.5,
            hflip: true,
            ..Aug::identity()
        };
        let s = render(&img, &[[41.5, 21.5], [f32::NAN, 1.0]], &aug, 64, 64, &[]);
        let [kx, ky] = s.keypoints[0];
        assert!(s.keypoints[1][0].is_nan());
        // brightest output pixel is at the keypoint
        let (mut best, mut bi) = (f32::MIN, 0);
        for (i, &v) in s.image[..64 * 64].iter().enumerate() {
            if v > best {
                best = v;
                bi = i;
            }
        }
        let (bx, by) = ((bi % 64) as f32 + 0.5, (bi / 64) as f32 + 0.5);
        assert!(
            (bx - kx).abs() <= 1.5 && (by - ky).abs() <= 1.5,
            "{bx},{by} vs {kx},{ky}"
        );
    }
}
