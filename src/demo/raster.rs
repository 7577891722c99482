//! A tiny anti-aliased rasterizer: a floating-point RGB canvas and filled shapes given by
//! signed distance functions (coverage = clamp(0.5 - distance, 0, 1) per pixel, pixel centres
//! at integer coordinates).

use super::body::{Capsule, Ellipse, P};

pub type Rgb = [f32; 3];

/// An RGB image with channels in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    pub px: Vec<Rgb>,
}

impl Canvas {
    pub fn new(width: u32, height: u32, fill: Rgb) -> Canvas {
        Canvas {
            width,
            height,
            px: vec![fill; width as usize * height as usize],
        }
    }

    pub fn get(&self, x: u32, y: u32) -> Option<Rgb> {
        if x < self.width && y < self.height {
            self.px
                .get(y as usize * self.width as usize + x as usize)
                .copied()
        } else {
            None
        }
    }

    /// 8-bit RGB bytes, row-major (what the PNG encoder takes).
    pub fn to_rgb8(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.px.len() * 3);
        for p in &self.px {
            for c in p {
                out.push((c.clamp(0.0, 1.0) * 255.0 + 0.5) as u8);
            }
        }
        out
    }

    /// Pixel index range covering [x0, x1] x [y0, y1] (clipped), as (xs, ys).
    fn span(&self, x0: f64, x1: f64, y0: f64, y1: f64) -> Option<(u32, u32, u32, u32)> {
        let xa = x0.floor().max(0.0);
        let ya = y0.floor().max(0.0);
        let xb = x1.ceil().min(self.width as f64 - 1.0);
        let yb = y1.ceil().min(self.height as f64 - 1.0);
        if !(xa <= xb && ya <= yb) {
            return None;
        }
        Some((xa as u32, xb as u32, ya as u32, yb as u32))
    }

    /// Fills `shape` with the colour `paint(point, distance, local radius)` returns,
    /// anti-aliased by coverage.
    pub fn fill(&mut self, shape: &dyn Shape, paint: &dyn Fn(P, f64, f64) -> Rgb) {
        let [x0, y0, x1, y1] = shape.bbox();
        let Some((xa, xb, ya, yb)) = self.span(x0 - 1.0, x1 + 1.0, y0 - 1.0, y1 + 1.0) else {
            return;
        };
        let w = self.width as usize;
        for y in ya..=yb {
            for x in xa..=xb {
                let p = [x as f64, y as f64];
                let (d, r) = shape.sdf(p);
                let cov = (0.5 - d).clamp(0.0, 1.0) as f32;
                if cov <= 0.0 {
                    continue;
                }
                let c = paint(p, d, r);
                if let Some(dst) = self.px.get_mut(y as usize * w + x as usize) {
                    for k in 0..3 {
                        dst[k] += (c[k] - dst[k]) * cov;
                    }
                }
            }
        }
    }

    /// Raises `mask` (one value per pixel) to a soft coverage of `shape` shifted by `offset`,
    /// blurred over `soft` pixels: used for drop shadows.
    pub fn soft_mask(&self, mask: &mut [f32], shape: &dyn Shape, offset: P, soft: f64) {
        let [x0, y0, x1, y1] = shape.bbox();
        let m = soft + 1.0;
        let Some((xa, xb, ya, yb)) = self.span(
            x0 + offset[0] - m,
            x1 + offset[0] + m,
            y0 + offset[1] - m,
            y1 + offset[1] + m,
        ) else {
            return;
        };
        let w = self.width as usize;
        for y in ya..=yb {
            for x in xa..=xb {
                let (d, _) = shape.sdf([x as f64 - offset[0], y as f64 - offset[1]]);
                let v = ((soft - d) / (2.0 * soft)).clamp(0.0, 1.0) as f32;
                if let Some(dst) = mask.get_mut(y as usize * w + x as usize) {
                    *dst = dst.max(v);
                }
            }
        }
    }
}

/// A filled shape: a bounding box and a signed distance (negative inside) with the shape's
/// local radius at that point (for shading).
pub trait Shape {
    fn bbox(&self) -> [f64; 4];
    fn sdf(&self, p: P) -> (f64, f64);
}

impl Shape for Capsule {
    fn bbox(&self) -> [f64; 4] {
        let r = self.ra.max(self.rb);
        [
            self.a[0].min(self.b[0]) - r,
            self.a[1].min(self.b[1]) - r,
            self.a[0].max(self.b[0]) + r,
            self.a[1].max(self.b[1]) + r,
        ]
    }
    fn sdf(&self, p: P) -> (f64, f64) {
        let ab = [self.b[0] - self.a[0], self.b[1] - self.a[1]];
        let ap = [p[0] - self.a[0], p[1] - self.a[1]];
        let l2 = ab[0] * ab[0] + ab[1] * ab[1];
        let t = if l2 > 0.0 {
            ((ap[0] * ab[0] + ap[1] * ab[1]) / l2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let q = [ap[0] - ab[0] * t, ap[1] - ab[1] * t];
        let r = self.ra + (self.rb - self.ra) * t;
        ((q[0] * q[0] + q[1] * q[1]).sqrt() - r, r)
    }
}

impl Shape for Ellipse {
    fn bbox(&self) -> [f64; 4] {
        let r = self.a.max(self.b);
        [self.c[0] - r, self.c[1] - r, self.c[0] + r, self.c[1] + r]
    }
    fn sdf(&self, p: P) -> (f64, f64) {
        let (s, c) = self.angle.sin_cos();
        let dx = p[0] - self.c[0];
        let dy = p[1] - self.c[1];
        let u = dx * c + dy * s;
        let v = -dx * s + dy * c;
        let (a, b) = (self.a.max(1e-9), self.b.max(1e-9));
        let k0 = ((u / a).powi(2) + (v / b).powi(2)).sqrt();
        let k1 = ((u / (a * a)).powi(2) + (v / (b * b)).powi(2)).sqrt();
        let d = if k1 > 1e-12 {
            k0 * (k0 - 1.0) / k1
        } else {
            -a.min(b)
        };
        (d, a.min(b))
    }
}

/// A disc.
#[derive(Clone, Copy, Debug)]
pub struct Disc {
    pub c: P,
    pub r: f64,
}

impl Shape for Disc {
    fn bbox(&self) -> [f64; 4] {
        [
            self.c[0] - self.r,
            self.c[1] - self.r,
            self.c[0] + self.r,
            self.c[1] + self.r,
        ]
    }
    fn sdf(&self, p: P) -> (f64, f64) {
        let d = ((p[0] - self.c[0]).powi(2) + (p[1] - self.c[1]).powi(2)).sqrt();
        (d - self.r, self.r)
    }
}

/// An irregular blob (a leaf or stone): an ellipse whose edge is pushed in and out by
/// smooth noise.
#[derive(Clone, Copy, Debug)]
pub struct Blob {
    pub ellipse: Ellipse,
    pub seed: u64,
    pub wobble: f64,
}

impl Shape for Blob {
    fn bbox(&self) -> [f64; 4] {
        let [x0, y0, x1, y1] = self.ellipse.bbox();
        let m = self.wobble;
        [x0 - m, y0 - m, x1 + m, y1 + m]
    }
    fn sdf(&self, p: P) -> (f64, f64) {
        let (d, r) = self.ellipse.sdf(p);
        let ang = (p[1] - self.ellipse.c[1]).atan2(p[0] - self.ellipse.c[0]);
        // Noise on a circle in noise space: continuous all the way round.
        let n = super::rng::value_noise(self.seed, 2.0 + 1.5 * ang.cos(), 2.0 + 1.5 * ang.sin());
        (d - (n - 0.5) * 2.0 * self.wobble, r)
    }
}

/// Linear blend a -> b.
pub fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

pub fn scale(a: Rgb, k: f32) -> Rgb {
    [a[0] * k, a[1] * k, a[2] * k]
}

/// Rec. 601 luma.
pub fn luma(a: Rgb) -> f32 {
    0.299 * a[0] + 0.587 * a[1] + 0.114 * a[2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disc_coverage_is_antialiased() {
        let mut c = Canvas::new(20, 20, [0.0; 3]);
        c.fill(
            &Disc {
                c: [10.0, 10.0],
                r: 4.0,
            },
            &|_, _, _| [1.0; 3],
        );
        assert_eq!(c.get(10, 10), Some([1.0; 3]));
        assert_eq!(c.get(0, 0), Some([0.0; 3]));
        // On the edge (distance 0): half covered.
        assert!((c.get(14, 10).unwrap()[0] - 0.5).abs() < 1e-6);
        let area: f32 = c.px.iter().map(|p| p[0]).sum();
        let exact = std::f32::consts::PI * 16.0;
        assert!((area - exact).abs() / exact < 0.03, "{area} vs {exact}");
    }

    #[test]
    fn ellipse_and_capsule_distances() {
        let e = Ellipse {
            c: [0.0, 0.0],
            a: 10.0,
            b: 5.0,
            angle: std::f64::consts::FRAC_PI_2,
        };
        // Rotated by 90 degrees: the long axis is vertical.
        assert!(e.sdf([0.0, 10.0]).0.abs() < 1e-9);
        assert!(e.sdf([5.0, 0.0]).0.abs() < 1e-9);
        assert!(e.sdf([0.0, 0.0]).0 < 0.0);
        let c = Capsule {
            a: [0.0, 0.0],
            b: [10.0, 0.0],
            ra: 2.0,
            rb: 1.0,
        };
        assert!((c.sdf([5.0, 3.0]).0 - 1.5).abs() < 1e-9);
        assert!((c.sdf([-4.0, 0.0]).0 - 2.0).abs() < 1e-9);
    }

    #[test]
    fn shapes_off_canvas_are_clipped() {
        let mut c = Canvas::new(8, 8, [0.0; 3]);
        c.fill(
            &Disc {
                c: [-50.0, 3.0],
                r: 4.0,
            },
            &|_, _, _| [1.0; 3],
        );
        c.fill(
            &Disc {
                c: [7.0, 7.0],
                r: 30.0,
            },
            &|_, _, _| [1.0; 3],
        );
        assert_eq!(c.get(0, 0), Some([1.0; 3]));
        let mut m = vec![0.0; 64];
        c.soft_mask(
            &mut m,
            &Disc {
                c: [100.0, 100.0],
                r: 1.0,
            },
            [0.0, 0.0],
            2.0,
        );
        assert!(m.iter().all(|v| *v == 0.0));
    }
}
