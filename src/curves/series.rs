//! Turning stored scalars into plottable series: split at step resets (a resumed run), map to
//! the chosen x axis, smooth, take log y, and downsample to one value per plot column.

use super::{Point, XAxis, smooth};

/// Splits a run's points where the step goes backwards (training resumed from a checkpoint):
/// each part is drawn as its own series, like TensorBoard does.
pub fn split_resets(points: &[Point]) -> Vec<&[Point]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..points.len() {
        if points[i].step < points[i - 1].step {
            out.push(&points[start..i]);
            start = i;
        }
    }
    if start < points.len() {
        out.push(&points[start..]);
    }
    out
}

/// The x value of a point; `t0` is the run's first wall time (for RELATIVE).
pub fn x_of(p: &Point, axis: XAxis, t0: f64) -> f64 {
    match axis {
        XAxis::Step => p.step as f64,
        XAxis::Relative => p.wall - t0,
        XAxis::Wall => p.wall,
    }
}

/// A series ready to plot: (x, raw y, smoothed y), y already log10'd when asked
/// (non-positive values are dropped on a log axis).
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub x: Vec<f64>,
    pub raw: Vec<f64>,
    pub smooth: Vec<f64>,
}

pub fn prepare(points: &[Point], axis: XAxis, t0: f64, weight: f64, log_y: bool) -> Prepared {
    let mut ema = smooth::Ema::new(weight, points.windows(2).all(|p| p[0].value == p[1].value));
    let mut out = Prepared {
        x: Vec::with_capacity(points.len()),
        raw: Vec::with_capacity(points.len()),
        smooth: Vec::with_capacity(points.len()),
    };
    for p in points {
        let s = ema.next(p.value);
        let (r, s) = if log_y {
            if p.value <= 0.0 || s <= 0.0 {
                continue;
            }
            (p.value.log10(), s.log10())
        } else {
            (p.value, s)
        };
        out.x.push(x_of(p, axis, t0));
        out.raw.push(r);
        out.smooth.push(s);
    }
    out
}

/// One (x, mean y) per column of `cols` equal-width buckets over [x0, x1]; empty buckets are
/// skipped, non-finite values ignored. Input x must be sorted ascending.
pub fn downsample(x: &[f64], y: &[f64], x0: f64, x1: f64, cols: usize) -> Vec<(f64, f64)> {
    let cols = cols.max(1);
    let span = x1 - x0;
    if x.len() <= cols || span <= 0.0 {
        return x
            .iter()
            .zip(y)
            .filter(|(_, y)| y.is_finite())
            .map(|(&a, &b)| (a, b))
            .collect();
    }
    let mut out = Vec::with_capacity(cols);
    let (mut cur, mut sx, mut sy, mut n) = (usize::MAX, 0.0, 0.0, 0u32);
    for (&xv, &yv) in x.iter().zip(y) {
        if !yv.is_finite() {
            continue;
        }
        let c = (((xv - x0) / span) * cols as f64)
            .floor()
            .clamp(0.0, (cols - 1) as f64) as usize;
        if c != cur && n > 0 {
            out.push((sx / n as f64, sy / n as f64));
            (sx, sy, n) = (0.0, 0.0, 0);
        }
        cur = c;
        sx += xv;
        sy += yv;
        n += 1;
    }
    if n > 0 {
        out.push((sx / n as f64, sy / n as f64));
    }
    out
}

/// A downsampled series: (x, y) per column.
pub type Line = Vec<(f64, f64)>;

/// [`downsample`] of two series over the same x (raw and smoothed) in one pass.
pub fn downsample_pair(
    x: &[f64],
    a: &[f64],
    b: &[f64],
    x0: f64,
    x1: f64,
    cols: usize,
) -> (Line, Line) {
    let cols = cols.max(1);
    let span = x1 - x0;
    if x.len() <= cols || span <= 0.0 {
        return (
            downsample(x, a, x0, x1, cols),
            downsample(x, b, x0, x1, cols),
        );
    }
    #[derive(Default, Clone, Copy)]
    struct Acc {
        sx: f64,
        sy: f64,
        n: u32,
    }
    impl Acc {
        fn add(&mut self, x: f64, y: f64) {
            if y.is_finite() {
                self.sx += x;
                self.sy += y;
                self.n += 1;
            }
        }
        fn flush(&mut self, out: &mut Vec<(f64, f64)>) {
            if self.n > 0 {
                out.push((self.sx / self.n as f64, self.sy / self.n as f64));
            }
            *self = Acc::default();
        }
    }
    let (mut oa, mut ob) = (Vec::with_capacity(cols), Vec::with_capacity(cols));
    let (mut ca, mut cb) = (Acc::default(), Acc::default());
    let mut cur = usize::MAX;
    let last = (cols - 1) as f64;
    for ((&xv, &ya), &yb) in x.iter().zip(a).zip(b) {
        // Non-negative after the clamp: the cast floors it.
        let c = (((xv - x0) / span) * cols as f64).clamp(0.0, last) as usize;
        if c != cur {
            ca.flush(&mut oa);
            cb.flush(&mut ob);
            cur = c;
        }
        ca.add(xv, ya);
        cb.add(xv, yb);
    }
    ca.flush(&mut oa);
    cb.flush(&mut ob);
    (oa, ob)
}

/// Index of the point whose x is nearest to `x` (x sorted ascending).
pub fn nearest(xs: &[f64], x: f64) -> Option<usize> {
    if xs.is_empty() {
        return None;
    }
    let i = xs.partition_point(|&v| v < x);
    if i == 0 {
        return Some(0);
    }
    if i >= xs.len() {
        return Some(xs.len() - 1);
    }
    Some(if (xs[i] - x).abs() < (x - xs[i - 1]).abs() {
        i
    } else {
        i - 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(steps: &[i64]) -> Vec<Point> {
        steps
            .iter()
            .enumerate()
            .map(|(i, &s)| Point {
                step: s,
                wall: 100.0 + i as f64,
                value: (i + 1) as f64,
            })
            .collect()
    }

    #[test]
    fn resumed_run_splits() {
        let p = pts(&[0, 10, 20, 10, 20, 30]);
        let parts = split_resets(&p);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), 3);
        assert_eq!(parts[1][0].step, 10);
        assert_eq!(split_resets(&[]).len(), 0);
    }

    #[test]
    fn axes_and_log() {
        let p = pts(&[5, 6]);
        let s = prepare(&p, XAxis::Relative, 100.0, 0.0, false);
        assert_eq!(s.x, vec![0.0, 1.0]);
        let s = prepare(&p, XAxis::Step, 100.0, 0.0, true);
        assert_eq!(s.raw, vec![0.0, 2f64.log10()]);
        let mut q = p.clone();
        q[0].value = -1.0;
        assert_eq!(prepare(&q, XAxis::Wall, 0.0, 0.0, true).x, vec![101.0]);
    }

    #[test]
    fn downsample_one_per_column() {
        let x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let y: Vec<f64> = x.iter().map(|v| v * 2.0).collect();
        let d = downsample(&x, &y, 0.0, 999.0, 10);
        assert_eq!(d.len(), 10);
        // bucket means stay on the line y = 2x
        for (a, b) in d {
            assert!((b - 2.0 * a).abs() < 1e-9);
        }
        assert_eq!(downsample(&x[..3], &y[..3], 0.0, 2.0, 10).len(), 3);
        // The one-pass pair gives what two passes give, non-finite values included.
        let b: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, v)| if i % 7 == 0 { f64::NAN } else { v * 2.0 })
            .collect();
        for cols in [1, 10, 333, 2000] {
            let (p, q) = downsample_pair(&x, &y, &b, 0.0, 999.0, cols);
            assert_eq!(p, downsample(&x, &y, 0.0, 999.0, cols), "{cols}");
            assert_eq!(q, downsample(&x, &b, 0.0, 999.0, cols), "{cols}");
        }
    }

    #[test]
    fn nearest_index() {
        let xs = [0.0, 10.0, 20.0];
        assert_eq!(nearest(&xs, 4.0), Some(0));
        assert_eq!(nearest(&xs, 6.0), Some(1));
        assert_eq!(nearest(&xs, 99.0), Some(2));
        assert_eq!(nearest(&[], 1.0), None);
    }
}
