//! The Curves view: TensorBoard's scalar dashboard. It opens on the grid of every tag
//! (`curves_grid`); Enter enlarges one: tags on the left (regex filter), the selected tag's
//! chart with every run overlaid in its stable colour (raw faint, smoothed bright), a value
//! cursor and a legend with the values under it; Esc goes back to the grid.

use crate::tui::app::App;
use crate::tui::chart::{XAxis, series};
use crate::tui::state::curves::visible_tags;
use crate::tui::views::widgets::{num, truncate};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine, Points};
use ratatui::widgets::{Axis, Block, Borders, Chart, Paragraph};

/// The enlarged view's halves: the tag list and settings (its width), and the chart's side.
fn halves(area: Rect) -> (u16, Rect, Rect) {
    let left_w = if area.width >= 120 { 36 } else { 26 }.min(area.width / 3);
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_w), Constraint::Min(10)]).areas(area);
    (left_w, left, right)
}

/// The enlarged chart and its legend on the chart's side.
fn chart_and_legend(app: &App, area: Rect) -> (Rect, Rect) {
    let legend_h = (app.scalars.runs.len() as u16 + 1)
        .min(area.height / 3)
        .max(2);
    let [chart_area, legend] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(legend_h)]).areas(area);
    (chart_area, legend)
}

/// Values the enlarged chart's canvas has room for (braille: two per cell).
fn chart_cols(app: &App, chart_area: Rect) -> usize {
    chart_area.width.saturating_sub(10) as usize * if app.curves.ascii { 1 } else { 2 }
}

/// The plots the Curves view draws on a screen of `screen` (what it needs the plot worker
/// to build), by the layout [`render`] uses; none in the other views.
pub fn wanted_plots(app: &App, screen: Rect) -> Vec<crate::tui::chart::plot::PlotKey> {
    if app.view != crate::tui::app::View::Curves {
        return Vec::new();
    }
    let area = crate::tui::views::body_rect(screen);
    let tags = visible_tags(app);
    let hidden = crate::tui::state::curves::hidden_runs(app);
    if app.curves.grid && !tags.is_empty() {
        return crate::tui::views::curves_grid::wanted(app, area, &tags, &hidden);
    }
    let sel = app.curves.selected.min(tags.len().saturating_sub(1));
    let Some(tag) = tags.get(sel) else {
        return Vec::new();
    };
    let (chart_area, _) = chart_and_legend(app, halves(area).2);
    let cols = chart_cols(app, chart_area);
    vec![crate::tui::state::curves::plot_key(app, tag, cols, &hidden)]
}

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let tags = visible_tags(app);
    if app.curves.grid && !tags.is_empty() {
        return crate::tui::views::curves_grid::render(app, f, area, &tags);
    }
    let (left_w, left, right) = halves(area);

    // Tag list.
    let mut lines = Vec::new();
    let c = &app.curves;
    let head = if c.filter.text.is_empty() {
        format!("tags {}", tags.len())
    } else {
        format!("tags {} /{}", tags.len(), c.filter.text)
    };
    lines.push(Line::from(Span::styled(
        truncate(&head, left_w as usize - 2),
        t.title(),
    )));
    if let Some(e) = &c.filter.error {
        lines.push(Line::from(Span::styled(
            truncate(&format!("bad regex: {e}"), left_w as usize - 2),
            t.err(),
        )));
    }
    let room = left.height.saturating_sub(2 + lines.len() as u16 + 5) as usize;
    let sel = c.selected.min(tags.len().saturating_sub(1));
    let start = sel.saturating_sub(room.saturating_sub(1));
    for (i, tag) in tags.iter().enumerate().skip(start).take(room) {
        let st = if i == sel { t.selected() } else { t.base() };
        lines.push(Line::from(Span::styled(
            truncate(&crate::sanitize::clean(tag), left_w as usize - 2),
            st,
        )));
    }
    let pad = left.height.saturating_sub(2 + lines.len() as u16 + 5);
    for _ in 0..pad {
        lines.push(Line::raw(""));
    }
    let onoff = |b: bool| if b { "on" } else { "off" };
    for (k, v) in [
        ("smoothing", format!("{:.2}", c.smoothing)),
        ("log y", onoff(c.log_y).to_owned()),
        (
            "outliers",
            (if c.ignore_outliers {
                "ignored"
            } else {
                "shown"
            })
            .to_owned(),
        ),
        ("x axis", c.x_axis.label().to_owned()),
        (
            "marker",
            (if c.ascii { "ascii" } else { "braille" }).to_owned(),
        ),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("{k:<10}"), t.dim()),
            Span::styled(v, t.accent()),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::RIGHT)
                .border_style(t.dim()),
        ),
        left,
    );

    let Some(tag) = tags.get(sel) else {
        let msg = if app.scalars.runs.is_empty() {
            if app.loading {
                "reading events files…"
            } else {
                "no scalars: no events files under the runs' tb_logs/"
            }
        } else {
            "no tag matches the filter"
        };
        f.render_widget(Paragraph::new(Span::styled(msg, t.dim())), right);
        return;
    };
    chart(app, tag, f, right);
}

fn chart(app: &App, tag: &str, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let c = &app.curves;
    let runs: Vec<_> = app.scalars.runs.values().collect();
    let (chart_area, legend) = chart_and_legend(app, area);
    let hidden = crate::tui::state::curves::hidden_runs(app);
    let key = crate::tui::state::curves::plot_key(app, tag, chart_cols(app, chart_area), &hidden);
    // The plot built for this chart, or until it comes the last one of its tag (the grid's).
    let Some(plot) = app.plots.best(&key) else {
        f.render_widget(
            Paragraph::new(Span::styled(
                format!("{}: building the plot…", crate::sanitize::clean(tag)),
                t.dim(),
            )),
            chart_area,
        );
        return;
    };
    // The settings the plot was built with (until the plot for new ones comes).
    let (log_y, smoothing) = (plot.key.log_y, plot.key.smoothing);
    let drawn = &plot.drawn;
    let (Some((y0, y1)), Some((x0, x1))) = (plot.y, plot.x_bounds()) else {
        f.render_widget(
            Paragraph::new(Span::styled(
                format!("{tag}: no finite values to plot"),
                t.dim(),
            )),
            chart_area,
        );
        return;
    };

    let mut data: Vec<(&[(f64, f64)], Style)> = Vec::new();
    for d in drawn {
        if smoothing > 0.0 {
            data.push((&d.raw_cols, t.dim()));
        }
        data.push((&d.smooth_cols, Style::default().fg(t.run_color(&d.run))));
    }
    let cursor_x = c.cursor.map(|fr| x0 + (x1 - x0) * fr);
    let cursor_line = cursor_x.map(|cx| [(cx, y0), (cx, y1)]);
    if let Some(l) = &cursor_line {
        data.push((l, t.accent()));
    }
    let marker = if c.ascii {
        Marker::Dot
    } else {
        Marker::Braille
    };
    let ylab = |v: f64| {
        if log_y {
            num(10f64.powf(v))
        } else {
            axis_num(v, y1 - y0)
        }
    };
    let xlab = |v: f64| x_label(c.x_axis, v);
    let title = format!(
        " {}{} ",
        crate::sanitize::clean(tag),
        if log_y { " (log)" } else { "" }
    );
    let xl = [xlab(x0), xlab((x0 + x1) / 2.0), xlab(x1)];
    let yl = [ylab(y0), ylab((y0 + y1) / 2.0), ylab(y1)];
    let block = Block::default().title(Span::styled(title, t.title()));
    let inner = block.inner(chart_area);
    let graph = graph_area(inner, &yl, xl[0].chars().count());
    // The axes and labels by ratatui's Chart; the lines on one canvas layer of our own (the
    // Chart gives every dataset a layer of its own: 200 runs' worth was 50 ms a frame).
    let chart = Chart::new(Vec::new())
        .block(block)
        .x_axis(Axis::default().bounds([x0, x1]).style(t.dim()).labels(xl))
        .y_axis(Axis::default().bounds([y0, y1]).style(t.dim()).labels(yl));
    f.render_widget(chart, chart_area);
    let lines = Canvas::default()
        .marker(marker)
        .x_bounds([x0, x1])
        .y_bounds([y0, y1])
        .paint(|ctx| {
            for (pts, st) in &data {
                let color = st.fg.unwrap_or(Color::Reset);
                ctx.draw(&Points { coords: pts, color });
                polyline(ctx, pts, color);
            }
        });
    f.render_widget(lines, graph);

    // Legend: value under the cursor (or the last value) per run.
    let mut lines = Vec::new();
    let head = match cursor_x {
        Some(cx) => format!("at x = {}", x_label(c.x_axis, cx)),
        None => "last values (h/l: cursor)".to_owned(),
    };
    lines.push(Line::from(Span::styled(head, t.dim())));
    for d in drawn {
        let i = match cursor_x {
            Some(cx) => series::nearest(&d.prepared.x, cx),
            None => d.prepared.x.len().checked_sub(1),
        };
        let mut spans = vec![Span::styled(
            "━━ ",
            Style::default().fg(t.run_color(&d.run)),
        )];
        let name = if d.part > 0 {
            format!("{} (resumed {})", d.run, d.part)
        } else {
            d.run.clone()
        };
        spans.push(Span::raw(format!(
            "{:<28} ",
            truncate(&crate::sanitize::clean(&name), 28)
        )));
        if let Some(i) = i {
            let (raw, sm) = (d.prepared.raw[i], d.prepared.smooth[i]);
            let (raw, sm) = if log_y {
                (10f64.powf(raw), 10f64.powf(sm))
            } else {
                (raw, sm)
            };
            spans.push(Span::styled(
                format!(
                    "step {:<7} smoothed {:<10} value {}",
                    d.steps.get(i).copied().unwrap_or(0),
                    num(sm),
                    num(raw)
                ),
                t.base(),
            ));
        }
        lines.push(Line::from(spans));
    }
    for r in &runs {
        for e in &r.errors {
            lines.push(Line::from(vec![
                Span::raw(format!("{}: ", r.name)),
                crate::tui::views::widgets::error_span(t, e),
            ]));
        }
    }
    f.render_widget(Paragraph::new(lines), legend);
}

/// Joins consecutive points with lines on a canvas.
pub fn polyline(ctx: &mut ratatui::widgets::canvas::Context, pts: &[(f64, f64)], color: Color) {
    for w in pts.windows(2) {
        ctx.draw(&CanvasLine {
            x1: w[0].0,
            y1: w[0].1,
            x2: w[1].0,
            y2: w[1].1,
            color,
        });
    }
}

/// Axis label for an x value.
pub fn x_label(axis: XAxis, v: f64) -> String {
    match axis {
        XAxis::Step => format!("{}", v.round() as i64),
        XAxis::Relative => {
            let s = v.max(0.0);
            if s >= 3600.0 {
                format!("{:.1}h", s / 3600.0)
            } else if s >= 60.0 {
                format!("{:.1}m", s / 60.0)
            } else {
                format!("{s:.0}s")
            }
        }
        XAxis::Wall => {
            let secs = v as i64;
            let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
            format!("{h:02}:{m:02}:{s:02}Z")
        }
    }
}

/// The plotting area ratatui's Chart leaves inside `inner` for three y labels `yl` and x
/// labels whose first is `first_x` wide, aligned left (its `layout`, for our own canvas).
pub fn graph_area(inner: Rect, yl: &[String], first_x: usize) -> Rect {
    if inner.width == 0 || inner.height == 0 {
        return inner;
    }
    let mut y = inner.bottom() - 1;
    if y > inner.top() {
        y -= 1; // x labels
    }
    let label_w = yl
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(first_x.saturating_sub(1)) as u16;
    let mut x = inner.left() + label_w.min(inner.width / 3);
    if y > inner.top() {
        y -= 1; // x axis
    }
    if x + 1 < inner.right() {
        x += 1; // y axis
    }
    Rect::new(
        x,
        inner.top(),
        inner.right().saturating_sub(x),
        y.saturating_sub(inner.top()) + 1,
    )
}

/// A y-axis label precise enough to tell apart labels a half `span` apart (a loss between
/// 0.02581 and 0.02589 must not read 0.0258 at both ends).
pub fn axis_num(v: f64, span: f64) -> String {
    let a = v.abs();
    if !span.is_finite() || span <= 0.0 || !v.is_finite() || a >= 1e5 {
        return num(v);
    }
    let digits = (-(span / 4.0).log10()).ceil().clamp(0.0, 6.0) as usize;
    if a > 0.0 && a < 1e-3 {
        // A bound near zero on a scale of 0.01 or more (the padding below a loss that
        // reaches 1e-4) is rounded to the scale's digits, as the other bound is.
        if span < 1e-2 {
            return num(v);
        }
        let s = format!("{v:.digits$}");
        return if s
            .trim_start_matches('-')
            .bytes()
            .all(|b| b == b'0' || b == b'.')
        {
            "0".into()
        } else {
            s
        };
    }
    let s = format!("{v:.digits$}");
    // Never less precise than the plain format.
    if s.len() < num(v).len() { num(v) } else { s }
}

#[cfg(test)]
mod tests {
    use super::axis_num;
    use crate::tui::views::widgets::num;

    /// Our canvas lies exactly where ratatui's Chart draws its datasets.
    #[test]
    fn graph_area_matches_the_chart() {
        use ratatui::layout::Rect;
        use ratatui::widgets::{Axis, Chart, Dataset, GraphType};
        let (w, h) = (60u16, 20u16);
        let yl = ["0.02581".to_string(), "0.5".into(), "12".into()];
        let xl = ["1000".to_string(), "2".into(), "3".into()];
        let corners = [(0.0, 0.0), (1.0, 1.0)];
        let mut buf = ratatui::buffer::Buffer::empty(Rect::new(0, 0, w, h));
        let area = Rect::new(0, 0, w, h);
        ratatui::widgets::Widget::render(
            Chart::new(vec![
                Dataset::default()
                    .graph_type(GraphType::Scatter)
                    .marker(ratatui::symbols::Marker::Block)
                    .data(&corners),
            ])
            .x_axis(Axis::default().bounds([0.0, 1.0]).labels(xl.clone()))
            .y_axis(Axis::default().bounds([0.0, 1.0]).labels(yl.clone())),
            area,
            &mut buf,
        );
        let g = super::graph_area(area, &yl, xl[0].len());
        // Bottom-left and top-right points land on the area's corners.
        assert_eq!(buf[(g.x, g.bottom() - 1)].symbol(), "█");
        assert_eq!(buf[(g.right() - 1, g.y)].symbol(), "█");
    }

    #[test]
    fn axis_labels_tell_close_values_apart() {
        assert_eq!(axis_num(0.02581, 0.0001), "0.02581");
        assert_ne!(axis_num(0.02581, 0.0001), axis_num(0.02589, 0.0001));
        assert_eq!(axis_num(0.5, 1.0), "0.5000");
        assert_eq!(axis_num(150.0, 100.0), "150.0");
        assert_eq!(axis_num(f64::NAN, 1.0), "-");
        // The padded lower bound of a loss from 1e-4 to 0.0151 fits a 7-cell label.
        assert_eq!(axis_num(-6.8e-4, 0.0158), "-0.001");
        assert_eq!(axis_num(-2e-4, 0.0158), "0");
        assert_eq!(axis_num(2e-4, 0.001), num(2e-4));
    }
}
