//! An RGB canvas and anti-aliased drawing: filled rectangles, and lines of any width drawn
//! as round-capped capsules into a coverage mask (the exact distance of each pixel centre to
//! the segment), so that a polyline's joins do not double its opacity when the mask is
//! composited once in a translucent colour.

pub type Rgb = [u8; 3];

/// A rectangle in pixels: `x0..x1` by `y0..y1` (half-open).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn new(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect {
            x0: x,
            y0: y,
            x1: x + w.max(0.0),
            y1: y + h.max(0.0),
        }
    }
    pub fn w(&self) -> f64 {
        self.x1 - self.x0
    }
    pub fn h(&self) -> f64 {
        self.y1 - self.y0
    }
    pub fn inset(&self, d: f64) -> Rect {
        Rect {
            x0: self.x0 + d,
            y0: self.y0 + d,
            x1: (self.x1 - d).max(self.x0 + d),
            y1: (self.y1 - d).max(self.y0 + d),
        }
    }
}

pub struct Canvas {
    pub width: u32,
    pub height: u32,
    /// RGB, row-major.
    pub data: Vec<u8>,
}

/// `a` blended towards `b` by `t` in [0, 1].
pub fn mix(a: Rgb, b: Rgb, t: f64) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    let m = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * t).round() as u8;
    [m(a[0], b[0]), m(a[1], b[1]), m(a[2], b[2])]
}

impl Canvas {
    pub fn new(width: u32, height: u32, bg: Rgb) -> Canvas {
        let n = width as usize * height as usize;
        let mut data = Vec::with_capacity(n * 3);
        for _ in 0..n {
            data.extend_from_slice(&bg);
        }
        Canvas {
            width,
            height,
            data,
        }
    }

    pub fn pixel(&self, x: u32, y: u32) -> Rgb {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// Blends `c` over pixel (x, y) with opacity `a`; outside the canvas nothing happens.
    pub fn blend(&mut self, x: i64, y: i64, c: Rgb, a: f64) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 || a <= 0.0 {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        let a = a.min(1.0);
        for (d, &t) in self.data[i..i + 3].iter_mut().zip(&c) {
            *d = (*d as f64 + (t as f64 - *d as f64) * a).round() as u8;
        }
    }

    /// Fills a rectangle; partly covered edge pixels get partial opacity.
    pub fn fill(&mut self, r: Rect, c: Rgb) {
        let (xa, xb) = (r.x0.max(0.0), r.x1.min(self.width as f64));
        let (ya, yb) = (r.y0.max(0.0), r.y1.min(self.height as f64));
        if xa >= xb || ya >= yb {
            return;
        }
        for y in ya.floor() as i64..yb.ceil() as i64 {
            let cy = (yb.min(y as f64 + 1.0) - ya.max(y as f64)).clamp(0.0, 1.0);
            for x in xa.floor() as i64..xb.ceil() as i64 {
                let cx = (xb.min(x as f64 + 1.0) - xa.max(x as f64)).clamp(0.0, 1.0);
                self.blend(x, y, c, cx * cy);
            }
        }
    }

    /// A frame of width `w` drawn inside `r`.
    pub fn frame(&mut self, r: Rect, w: f64, c: Rgb) {
        self.fill(Rect { y1: r.y0 + w, ..r }, c);
        self.fill(Rect { y0: r.y1 - w, ..r }, c);
        self.fill(
            Rect {
                x1: r.x0 + w,
                y0: r.y0 + w,
                y1: r.y1 - w,
                ..r
            },
            c,
        );
        self.fill(
            Rect {
                x0: r.x1 - w,
                y0: r.y0 + w,
                y1: r.y1 - w,
                ..r
            },
            c,
        );
    }

    /// Blends `c` at opacity `alpha` × each pixel's coverage in `mask`, then clears the mask.
    pub fn composite(&mut self, mask: &mut Mask, c: Rgb, alpha: f64) {
        let Some((x0, y0, x1, y1)) = mask.dirty.take() else {
            return;
        };
        for y in y0..=y1 {
            for x in x0..=x1 {
                let i = y * mask.width + x;
                let cov = mask.cov[i];
                if cov > 0.0 {
                    mask.cov[i] = 0.0;
                    self.blend(x as i64, y as i64, c, cov as f64 * alpha);
                }
            }
        }
    }
}

/// Per-pixel coverage in [0, 1] of what was drawn since the last composite (the maximum where
/// shapes overlap), limited to a clip rectangle.
pub struct Mask {
    width: usize,
    height: usize,
    cov: Vec<f32>,
    /// The bounding box of nonzero coverage (inclusive pixel coordinates).
    dirty: Option<(usize, usize, usize, usize)>,
    clip: Rect,
}

impl Mask {
    pub fn new(width: u32, height: u32) -> Mask {
        let (w, h) = (width as usize, height as usize);
        Mask {
            width: w,
            height: h,
            cov: vec![0.0; w * h],
            dirty: None,
            clip: Rect::new(0.0, 0.0, w as f64, h as f64),
        }
    }

    /// Drawing is kept inside `r` (and the canvas).
    pub fn set_clip(&mut self, r: Rect) {
        self.clip = Rect {
            x0: r.x0.max(0.0),
            y0: r.y0.max(0.0),
            x1: r.x1.min(self.width as f64),
            y1: r.y1.min(self.height as f64),
        };
    }

    fn put(&mut self, x: i64, y: i64, c: f64) {
        let cl = self.clip;
        if c <= 0.0
            || (x as f64) < cl.x0.floor()
            || (y as f64) < cl.y0.floor()
            || (x as f64) >= cl.x1.ceil()
            || (y as f64) >= cl.y1.ceil()
            || x < 0
            || y < 0
            || x as usize >= self.width
            || y as usize >= self.height
        {
            return;
        }
        // Pixels the clip edge cuts are covered in proportion.
        let fx = (cl.x1.min(x as f64 + 1.0) - cl.x0.max(x as f64)).clamp(0.0, 1.0);
        let fy = (cl.y1.min(y as f64 + 1.0) - cl.y0.max(y as f64)).clamp(0.0, 1.0);
        let c = (c.min(1.0) * fx * fy) as f32;
        let (xu, yu) = (x as usize, y as usize);
        let i = yu * self.width + xu;
        if c > self.cov[i] {
            self.cov[i] = c;
        }
        self.dirty = Some(match self.dirty {
            None => (xu, yu, xu, yu),
            Some((a, b, cc, d)) => (a.min(xu), b.min(yu), cc.max(xu), d.max(yu)),
        });
    }

    /// A segment of half-width `hw` with round caps.
    pub fn line(&mut self, a: (f64, f64), b: (f64, f64), hw: f64) {
        let pad = hw + 2.0;
        let cl = self.clip;
        let Some((a, b)) = clip_segment(
            a,
            b,
            Rect {
                x0: cl.x0 - pad,
                y0: cl.y0 - pad,
                x1: cl.x1 + pad,
                y1: cl.y1 + pad,
            },
        ) else {
            return;
        };
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let cover = |px: f64, py: f64| {
            let (cx, cy) = (px + 0.5, py + 0.5);
            let t = if len2 > 0.0 {
                (((cx - a.0) * dx + (cy - a.1) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (qx, qy) = (a.0 + t * dx - cx, a.1 + t * dy - cy);
            (hw + 0.5 - (qx * qx + qy * qy).sqrt()).clamp(0.0, 1.0)
        };
        // Walk the longer axis; across it only the band the line can touch.
        let steep = dy.abs() > dx.abs();
        let (p0, p1, s0, s1) = if steep {
            (a.1, b.1, a.0, b.0)
        } else {
            (a.0, b.0, a.1, b.1)
        };
        let (lo, hi) = (p0.min(p1), p0.max(p1));
        let slope = if p1 != p0 { (s1 - s0) / (p1 - p0) } else { 0.0 };
        let reach = (hw + 1.0) * (1.0 + slope * slope).sqrt() + 1.0;
        for p in (lo - hw - 1.0).floor() as i64..=(hi + hw + 1.0).ceil() as i64 {
            let pc = (p as f64 + 0.5).clamp(lo, hi);
            let s = s0 + (pc - p0) * slope;
            for q in (s - reach).floor() as i64..=(s + reach).ceil() as i64 {
                let (x, y) = if steep { (q, p) } else { (p, q) };
                let c = cover(x as f64, y as f64);
                self.put(x, y, c);
            }
        }
    }

    /// A filled disc.
    pub fn dot(&mut self, c: (f64, f64), r: f64) {
        self.line(c, c, r);
    }

    /// A polyline through `pts`; a non-finite point breaks it, and a point with no finite
    /// neighbour is drawn as a dot of radius `dot_r`.
    pub fn polyline(&mut self, pts: &[(f64, f64)], hw: f64, dot_r: f64) {
        let ok = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
        for i in 0..pts.len() {
            if !ok(&pts[i]) {
                continue;
            }
            let next = pts.get(i + 1).filter(|p| ok(p));
            let prev = i.checked_sub(1).map(|j| &pts[j]).filter(|p| ok(p));
            match next {
                Some(n) => self.line(pts[i], *n, hw),
                None if prev.is_none() => self.dot(pts[i], dot_r),
                None => {}
            }
        }
    }
}

/// Liang-Barsky: the part of segment a-b inside `r`, if any.
fn clip_segment(a: (f64, f64), b: (f64, f64), r: Rect) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.x0),
        (dx, r.x1 - a.0),
        (-dy, a.1 - r.y0),
        (dy, r.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    Some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_covers_its_pixels_and_joins_do_not_double() {
        let mut c = Canvas::new(40, 20, [255, 255, 255]);
        let mut m = Mask::new(40, 20);
        m.polyline(&[(2.0, 10.0), (20.0, 10.0), (38.0, 10.0)], 1.5, 2.0);
        c.composite(&mut m, [0, 0, 0], 0.5);
        // On the line: half way to black, the same at the join as elsewhere.
        assert_eq!(c.pixel(10, 10), [128, 128, 128]);
        assert_eq!(c.pixel(20, 10), [128, 128, 128]);
        // Far from it: untouched.
        assert_eq!(c.pixel(10, 2), [255, 255, 255]);
        // The mask is cleared by the composite.
        c.composite(&mut m, [0, 0, 0], 1.0);
        assert_eq!(c.pixel(10, 10), [128, 128, 128]);
    }

    #[test]
    fn clipping_keeps_lines_inside() {
        let mut c = Canvas::new(20, 20, [255, 255, 255]);
        let mut m = Mask::new(20, 20);
        m.set_clip(Rect::new(5.0, 5.0, 10.0, 10.0));
        m.line((-1e12, 10.0), (1e12, 10.0), 1.0);
        c.composite(&mut m, [0, 0, 0], 1.0);
        assert_eq!(c.pixel(2, 10), [255, 255, 255]);
        assert_eq!(c.pixel(10, 10), [0, 0, 0]);
        assert_eq!(c.pixel(16, 10), [255, 255, 255]);
    }

    #[test]
    fn isolated_points_are_dots() {
        let mut c = Canvas::new(20, 20, [255, 255, 255]);
        let mut m = Mask::new(20, 20);
        m.polyline(&[(5.0, 5.0), (f64::NAN, 1.0), (15.0, 15.0)], 0.5, 2.0);
        c.composite(&mut m, [0, 0, 0], 1.0);
        assert_eq!(c.pixel(5, 5), [0, 0, 0]);
        assert_eq!(c.pixel(14, 14), [0, 0, 0]);
        assert_eq!(c.pixel(10, 10), [255, 255, 255]);
    }
}
