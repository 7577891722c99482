//! The figure's layout: the legend of runs across the top (a colour swatch and the name,
//! wrapped over rows), the grid of charts (the number of columns that gives the largest
//! charts of a slide-like shape), and a footer naming the x axis, smoothing and y range.

use super::chart::{self, Colors};
use super::font::Font;
use super::raster::{Canvas, Mask, Rect};
use super::{Figure, Options};

/// The figure drawn on a canvas of the options' size.
pub fn render(fig: &Figure, o: &Options) -> Canvas {
    let (w, h) = (o.width as f64, o.height as f64);
    let col = Colors::of(o);
    let mut canvas = Canvas::new(o.width, o.height, o.background);
    let mut mask = Mask::new(o.width, o.height);
    let short = w.min(h);
    let margin = (short * 0.025).round().max(6.0);
    let th = (short / 45.0).clamp(8.0, 36.0).round();
    let font = Font::new(th);
    let inner = Rect::new(margin, margin, w - 2.0 * margin, h - 2.0 * margin);

    let legend_h = legend(
        &mut canvas,
        fig,
        inner,
        font,
        (h * 0.2).max(th * 1.5),
        col.fg,
    );
    let foot = Font::new((th * 0.85).round());
    let footer = footer_text(o);
    foot.draw(
        &mut canvas,
        inner.x0,
        inner.y1 - foot.size,
        &foot.fit(&footer, inner.w()),
        col.dim,
    );
    let grid = Rect {
        y0: inner.y0 + legend_h + th * 0.6,
        y1: inner.y1 - foot.size - th * 0.6,
        ..inner
    };
    if fig.charts.is_empty() || grid.h() < th * 4.0 {
        return canvas;
    }
    let n = fig.charts.len();
    let gap = th * 1.2;
    let cols = columns(n, grid.w(), grid.h(), gap);
    let rows = n.div_ceil(cols);
    let cw = (grid.w() - gap * (cols - 1) as f64) / cols as f64;
    let ch = (grid.h() - gap * (rows - 1) as f64) / rows as f64;
    let cell_font = Font::new((cw.min(ch) / 17.0).clamp(8.0, th).round());
    for (i, c) in fig.charts.iter().enumerate() {
        let (r, k) = (i / cols, i % cols);
        let cell = Rect::new(
            grid.x0 + k as f64 * (cw + gap),
            grid.y0 + r as f64 * (ch + gap),
            cw,
            ch,
        );
        chart::draw(&mut canvas, &mut mask, cell, c, o, cell_font);
    }
    canvas
}

/// Columns for `n` charts in a `w` x `h` grid: the count (at most 6) whose charts are the
/// largest of a 1.6:1 shape; fewer columns on a tie.
pub fn columns(n: usize, w: f64, h: f64, gap: f64) -> usize {
    let mut best = (1usize, f64::NEG_INFINITY);
    for cols in 1..=n.clamp(1, 6) {
        let rows = n.div_ceil(cols);
        let cw = (w - gap * (cols - 1) as f64) / cols as f64;
        let ch = (h - gap * (rows - 1) as f64) / rows as f64;
        let score = (cw / 1.6).min(ch);
        if score > best.1 + 1e-9 {
            best = (cols, score);
        }
    }
    best.0
}

/// The legend: each run's swatch and name, wrapped; "+N more" when the rows run out.
/// Returns its height.
fn legend(
    canvas: &mut Canvas,
    fig: &Figure,
    area: Rect,
    font: Font,
    max_h: f64,
    fg: [u8; 3],
) -> f64 {
    let th = font.size;
    let row_h = th * 1.4;
    let max_rows = ((max_h / row_h).floor() as usize).max(1);
    let swatch = th * 1.6;
    let gap = th * 1.2;
    let (mut x, mut row) = (area.x0, 0usize);
    for (i, (name, color)) in fig.runs.iter().enumerate() {
        let name = font.fit(name, area.w() - swatch - th * 0.5);
        let width = swatch + th * 0.5 + font.width(&name);
        if x > area.x0 && x + width > area.x1 {
            row += 1;
            x = area.x0;
        }
        let y = area.y0 + row as f64 * row_h;
        if row + 1 == max_rows && i + 1 < fig.runs.len() {
            // The last row: leave room to say how many are left out.
            let rest = format!("+{} more", fig.runs.len() - i);
            if x + width + gap + font.width(&rest) > area.x1 {
                font.draw(canvas, x, y, &rest, fg);
                return (row + 1) as f64 * row_h;
            }
        }
        canvas.fill(
            Rect::new(x, y + th * 0.35, swatch, (th / 4.0).max(2.0)),
            *color,
        );
        font.draw(canvas, x + swatch + th * 0.5, y, &name, fg);
        x += width + gap;
    }
    if fig.runs.is_empty() {
        0.0
    } else {
        (row + 1) as f64 * row_h
    }
}

/// "x: step · smoothing 0.6 · y: 5th-95th percentile · log y".
pub fn footer_text(o: &Options) -> String {
    let x = match o.x_axis {
        crate::curves::XAxis::Wall => "wall time (UTC)",
        a => a.label(),
    };
    let mut parts = vec![format!("x: {x}")];
    parts.push(if o.smoothing > 0.0 {
        format!("smoothing {:.2} (raw faint)", o.smoothing)
    } else {
        "no smoothing".to_owned()
    });
    parts.push(if o.ignore_outliers {
        "y: 5th-95th percentile".to_owned()
    } else {
        "y: every value".to_owned()
    });
    if o.log_y {
        parts.push("log y".to_owned());
    }
    parts.join("  |  ")
}

#[cfg(test)]
mod tests {
    use super::columns;

    #[test]
    fn columns_like_a_dashboard() {
        // Lightning Pose's 13 tags on a 1600 x 1000 slide: 4 columns.
        assert_eq!(columns(13, 1550.0, 880.0, 24.0), 4);
        assert_eq!(columns(1, 1550.0, 880.0, 24.0), 1);
        assert_eq!(columns(2, 1550.0, 880.0, 24.0), 2);
        assert_eq!(columns(4, 1550.0, 880.0, 24.0), 2);
    }
}
