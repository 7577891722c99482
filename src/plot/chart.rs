//! One chart: the tag as title, y ticks on the left, x ticks below, grid lines, and every
//! run's series: the raw curve faint behind the smoothed one. The series are prepared as in
//! the Curves view (split at step resets, smoothed, log y, the 5th-95th percentile range);
//! each is reduced to the first, lowest, highest and last point of every pixel column (M4),
//! which draws the same lines as all of its points.

use super::font::Font;
use super::raster::{Canvas, Mask, Rect, Rgb, mix};
use super::{Chart, Options, axes};
use crate::curves::{XAxis, range, series};

/// The figure's colours, derived from its background and foreground.
#[derive(Debug, Clone, Copy)]
pub struct Colors {
    pub bg: Rgb,
    pub fg: Rgb,
    pub dim: Rgb,
    pub grid: Rgb,
    pub frame: Rgb,
}

impl Colors {
    pub fn of(o: &Options) -> Colors {
        let (bg, fg) = (o.background, o.foreground);
        Colors {
            bg,
            fg,
            dim: mix(fg, bg, 0.35),
            grid: mix(fg, bg, 0.88),
            frame: mix(fg, bg, 0.6),
        }
    }
}

/// Opacity of the raw curve behind the smoothed one.
const RAW_ALPHA: f64 = 0.25;

struct Drawn {
    color: Rgb,
    prepared: series::Prepared,
}

/// Draws `chart` inside `cell` with text of `font`'s size.
pub fn draw(
    canvas: &mut Canvas,
    mask: &mut Mask,
    cell: Rect,
    chart: &Chart,
    o: &Options,
    font: Font,
) {
    let col = Colors::of(o);
    let th = font.size;
    let title = Font::new(th * 1.1);
    title.draw(
        canvas,
        cell.x0,
        cell.y0,
        &title.fit(&chart.tag, cell.w()),
        col.fg,
    );
    let body = Rect {
        y0: cell.y0 + title.size + th * 0.4,
        ..cell
    };
    let mut drawn = Vec::new();
    for s in &chart.series {
        let t0 = s.points.first().map_or(0.0, |p| p.wall);
        for part in series::split_resets(&s.points) {
            drawn.push(Drawn {
                color: s.color,
                prepared: series::prepare(part, o.x_axis, t0, o.smoothing, o.log_y),
            });
        }
    }
    let (x0, x1) = drawn
        .iter()
        .flat_map(|d| d.prepared.x.iter().copied())
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    let y = range::y_range(
        drawn
            .iter()
            .flat_map(|d| d.prepared.raw.iter().chain(&d.prepared.smooth).copied()),
        o.ignore_outliers,
    );
    let (Some((y0, y1)), true) = (y, x0.is_finite()) else {
        canvas.frame(body, 1.0, col.grid);
        let msg = if chart.series.is_empty() {
            "no run has this tag"
        } else if o.log_y {
            "no positive values to plot on a log axis"
        } else {
            "no finite values to plot"
        };
        let f = Font::new(th * 0.9);
        f.draw_centered(
            canvas,
            (body.x0 + body.x1) / 2.0,
            (body.y0 + body.y1) / 2.0,
            &f.fit(msg, body.w()),
            col.dim,
        );
        return;
    };
    let (x0, x1) = if x1 > x0 {
        (x0, x1)
    } else {
        (x0 - 1.0, x1 + 1.0)
    };

    // Y ticks first: their labels' width sets the left gutter.
    let plot_h = body.h() - th * 1.6;
    let y_count = ((plot_h / (th * 2.6)).floor() as usize).clamp(2, 10);
    let y_ticks = if o.log_y {
        axes::log10(y0, y1, y_count)
    } else {
        axes::linear(y0, y1, y_count)
    };
    let gutter = y_ticks
        .iter()
        .map(|t| font.width(&t.label))
        .fold(0.0, f64::max)
        + th * 0.5;
    let plot = Rect {
        x0: body.x0 + gutter,
        y0: body.y0,
        x1: body.x1 - th * 0.8,
        y1: body.y1 - th * 1.6,
    };
    if plot.w() < th * 2.0 || plot.h() < th * 2.0 {
        return;
    }
    let pad = (th * 0.25).max(2.0);
    let sx = |x: f64| plot.x0 + pad + (x - x0) / (x1 - x0) * (plot.w() - 2.0 * pad);
    let sy = |y: f64| plot.y1 - pad - (y - y0) / (y1 - y0) * (plot.h() - 2.0 * pad);

    let x_ticks = fit_x_ticks(o.x_axis, x0, x1, plot.w(), font);
    for t in &y_ticks {
        let py = sy(t.at).round();
        if py < plot.y0 || py > plot.y1 {
            continue;
        }
        canvas.fill(Rect::new(plot.x0, py, plot.w(), 1.0), col.grid);
        font.draw_right(
            canvas,
            plot.x0 - th * 0.3,
            py - th * 0.45,
            &t.label,
            col.dim,
        );
    }
    for t in &x_ticks {
        let px = sx(t.at).round();
        if px < plot.x0 || px > plot.x1 {
            continue;
        }
        canvas.fill(Rect::new(px, plot.y0, 1.0, plot.h()), col.grid);
        font.draw_centered(canvas, px, plot.y1 + th * 0.35, &t.label, col.dim);
    }
    canvas.frame(plot, 1.0, col.frame);

    // The curves: every raw one (faint) under every smoothed one.
    let lw = (th / 7.0).max(1.5);
    mask.set_clip(plot.inset(1.0));
    let to_px = |xs: &[f64], ys: &[f64]| -> Vec<(f64, f64)> {
        m4(xs.iter().zip(ys).map(|(&x, &y)| (sx(x), sy(y))))
    };
    let smoothed = o.smoothing > 0.0;
    if smoothed {
        for d in &drawn {
            let pts = to_px(&d.prepared.x, &d.prepared.raw);
            mask.polyline(&pts, lw * 0.4, lw * 0.9);
            canvas.composite(mask, d.color, RAW_ALPHA);
        }
    }
    for d in &drawn {
        let ys = if smoothed {
            &d.prepared.smooth
        } else {
            &d.prepared.raw
        };
        let pts = to_px(&d.prepared.x, ys);
        mask.polyline(&pts, lw / 2.0, lw * 1.2);
        canvas.composite(mask, d.color, 1.0);
    }
}

/// X ticks whose labels do not overlap in `width` pixels.
fn fit_x_ticks(axis: XAxis, x0: f64, x1: f64, width: f64, font: Font) -> Vec<axes::Tick> {
    let mut count = ((width / (font.size * 3.0)).floor() as usize).clamp(2, 12);
    loop {
        let t = axes::x_ticks(axis, x0, x1, count);
        let widest = t.iter().map(|t| font.width(&t.label)).fold(0.0, f64::max);
        if count <= 2 || (widest + font.size * 1.5) * t.len() as f64 <= width {
            return t;
        }
        count -= 1;
    }
}

/// The M4 reduction of a pixel-space polyline: per run of points in one pixel column, the
/// first, the lowest, the highest and the last (in their order); non-finite points kept as
/// breaks.
pub fn m4(pts: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut bucket: Vec<(usize, (f64, f64))> = Vec::new();
    let mut col = i64::MIN;
    let flush = |bucket: &mut Vec<(usize, (f64, f64))>, out: &mut Vec<(f64, f64)>| {
        if bucket.len() <= 4 {
            out.extend(bucket.iter().map(|b| b.1));
        } else {
            let lo = bucket
                .iter()
                .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
                .map(|b| b.0);
            let hi = bucket
                .iter()
                .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
                .map(|b| b.0);
            let (first, last) = (bucket[0].0, bucket[bucket.len() - 1].0);
            let mut keep = vec![first, last];
            keep.extend(lo);
            keep.extend(hi);
            keep.sort_unstable();
            keep.dedup();
            for k in keep {
                if let Some(b) = bucket.iter().find(|b| b.0 == k) {
                    out.push(b.1);
                }
            }
        }
        bucket.clear();
    };
    for (i, p) in pts.enumerate() {
        if !p.0.is_finite() || !p.1.is_finite() {
            flush(&mut bucket, &mut out);
            out.push((f64::NAN, f64::NAN));
            col = i64::MIN;
            continue;
        }
        let c = p.0.floor() as i64;
        if c != col {
            flush(&mut bucket, &mut out);
            col = c;
        }
        bucket.push((i, p));
    }
    flush(&mut bucket, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::m4;

    #[test]
    fn m4_keeps_each_columns_extremes_in_order() {
        let pts: Vec<(f64, f64)> = (0..100)
            .map(|i| (i as f64 / 50.0, if i == 20 { -5.0 } else { i as f64 }))
            .collect();
        let r = m4(pts.into_iter());
        // Two columns: first, min, max, last of each.
        assert_eq!(
            r,
            vec![
                (0.0, 0.0),
                (0.4, -5.0),
                (0.98, 49.0),
                (1.0, 50.0),
                (1.98, 99.0)
            ]
        );
        let r = m4([(0.0, 1.0), (f64::NAN, 1.0), (0.5, 2.0)].into_iter());
        assert_eq!(r.len(), 3);
        assert!(r[1].0.is_nan());
    }
}
