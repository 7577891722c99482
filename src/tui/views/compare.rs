//! The Compare view (from Models, on the marked runs): per keypoint a horizontal box plot per
//! run for the chosen set (whiskers p10-p90, box q1-q3, median), sortable by the difference;
//! the per-frame error of run A against run B as a braille scatter with the diagonal, and the
//! frames they disagree on most.

use crate::cli::compare::letter;
use crate::compare::{BoxStats, Comparison};
use crate::sanitize::clean;
use crate::tui::app::App;
use crate::tui::state::compare::{CompareState, FRAMES_LISTED};
use crate::tui::views::widgets::{error_span, truncate, truncate_left};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine, Points};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn render(app: &App, st: &CompareState, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let names: Vec<String> = st
        .runs
        .iter()
        .enumerate()
        .map(|(i, (n, _))| format!("{} {}", letter(i), clean(n)))
        .collect();
    // With three or more runs, which one the scatter holds against A.
    let b = match st.shown_pair() {
        Some(p) if st.runs.len() > 2 => format!("  scatter: A vs {}", letter(p.b)),
        _ => String::new(),
    };
    let title = format!(
        " compare {}  set: {}  sort: {}{b} ",
        names.join(" vs "),
        st.set,
        if st.by_diff { "|B-A| median" } else { "file" }
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, t.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let c = match &st.result {
        None => {
            let p = Paragraph::new(Span::styled("reading the runs' pixel errors…", t.dim()));
            return f.render_widget(p, inner);
        }
        Some(Err(e)) => {
            let p = Paragraph::new(error_span(t, e)).wrap(ratatui::widgets::Wrap { trim: false });
            return f.render_widget(p, inner);
        }
        Some(Ok(c)) => c,
    };
    let wide = inner.width >= 110;
    let (boxes, right) = if wide {
        let [l, r] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Min(30)]).areas(inner);
        (l, r)
    } else {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Min(5)]).areas(inner);
        (top, bottom)
    };
    box_plots(app, st, c, f, boxes);
    let [scatter_area, list_area] = if wide {
        Layout::vertical([Constraint::Percentage(60), Constraint::Min(4)]).areas(right)
    } else {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Min(20)]).areas(right)
    };
    scatter(app, st, c, f, scatter_area);
    top_frames(app, st, f, list_area);
}

/// One box plot of `width` cells over [0, `max`]: `├──▒▒┃▒▒──┤`.
pub fn box_line(b: &BoxStats, max: f64, width: usize) -> String {
    let (Some(p10), Some(q1), Some(med), Some(q3), Some(p90)) =
        (b.p10, b.q1, b.median, b.q3, b.p90)
    else {
        return " ".repeat(width);
    };
    if width == 0 || max.is_nan() || max <= 0.0 {
        return " ".repeat(width);
    }
    let cell = |v: f64| (((v / max) * (width - 1) as f64).round().max(0.0) as usize).min(width - 1);
    let mut row = vec![' '; width];
    let (w0, w1, b0, b1, m) = (cell(p10), cell(p90), cell(q1), cell(q3), cell(med));
    for c in row.iter_mut().take(w1 + 1).skip(w0) {
        *c = '─';
    }
    for c in row.iter_mut().take(b1 + 1).skip(b0) {
        *c = '▒';
    }
    row[w0] = '├';
    row[w1] = '┤';
    row[m] = '┃';
    row.into_iter().collect()
}

fn box_plots(app: &App, st: &CompareState, c: &Comparison, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let set = st.set.as_str();
    let nr = c.runs.len();
    let colors: Vec<Color> = c.runs.iter().map(|r| t.run_color(&r.name)).collect();
    let kp_w = c
        .keypoints
        .iter()
        .map(|k| clean(k).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(13, 16);
    // name, letter, plot, median, difference
    let plot_w = (area.width as usize)
        .saturating_sub(kp_w + 3 + 8 + 9)
        .max(4);
    let rows: Vec<(String, &crate::compare::SetStats)> =
        std::iter::once(("all keypoints", c.pooled.get(set)))
            .map(|(n, s)| (n.to_owned(), s))
            .chain(c.order(set, st.sort()).into_iter().map(|i| {
                (
                    clean(&c.per_keypoint[i].keypoint).into_owned(),
                    c.per_keypoint[i].sets.get(set),
                )
            }))
            .filter_map(|(n, s)| Some((n, s?)))
            .collect();
    let max = rows
        .iter()
        .flat_map(|(_, s)| s.runs.iter().filter_map(|b| b.p90))
        .fold(0.0f64, f64::max);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<kp_w$}   {:<plot_w$} {:>7}  {:>7}",
            "keypoint",
            format!("0 … {max:.0}  ├p10 ▒q1–q3 ┃median p90┤"),
            "median",
            "B-A"
        ),
        t.dim(),
    ))];
    let per = nr.max(1);
    let fit = (area.height as usize).saturating_sub(1) / per;
    let first = st.scroll.min(rows.len().saturating_sub(1));
    // The pooled row stays on top; keypoints scroll under it.
    let shown = std::iter::once(0)
        .chain((first + 1).max(1)..rows.len())
        .take(fit.max(1));
    for ri in shown {
        let Some((name, s)) = rows.get(ri) else {
            continue;
        };
        for (i, b) in s.runs.iter().enumerate() {
            let label = if i == 0 {
                truncate(name, kp_w)
            } else {
                String::new()
            };
            let diff = match i
                .checked_sub(1)
                .and_then(|j| s.diff.get(j))
                .and_then(|d| d.median)
            {
                Some(d) => format!("{d:+8.2}"),
                None => String::new(),
            };
            let style = Style::default().fg(colors[i]);
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{label:<kp_w$} "),
                    if i == 0 { t.accent() } else { t.base() },
                ),
                Span::styled(format!("{} ", letter(i)), style),
                Span::styled(box_line(b, max, plot_w), style),
                Span::raw(format!(
                    " {:>7} ",
                    b.median
                        .map(|m| format!("{m:.2}"))
                        .unwrap_or_else(|| "-".into())
                )),
                Span::styled(diff, t.dim()),
            ]));
        }
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn scatter(app: &App, st: &CompareState, c: &Comparison, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(p) = st.shown_pair() else { return };
    let bl = letter(p.b);
    let pts: Vec<(f64, f64)> = p.in_set(&st.set).map(|f| (f.a, f.b)).collect();
    let top: Vec<(f64, f64)> = p.top(&st.set, 5).iter().map(|f| (f.a, f.b)).collect();
    // Both axes over the same range (so the diagonal is y = x), fitted to the cloud.
    let (lo, hi) = pts
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.05).max(0.5);
    let (lo, m) = ((lo - pad).max(0.0), hi + pad);
    let title = truncate(
        &format!(" {} frames: x A, y {bl}, {lo:.0}–{m:.0} px ", pts.len()),
        area.width as usize,
    );
    let (ca, cb) = (
        t.run_color(&c.runs[0].name),
        t.accent().fg.unwrap_or(Color::Reset),
    );
    let canvas = Canvas::default()
        .block(
            Block::default()
                .borders(Borders::TOP)
                .title(Span::styled(title, t.dim())),
        )
        .marker(Marker::Braille)
        .x_bounds([lo, m])
        .y_bounds([lo, m])
        .paint(move |ctx| {
            ctx.draw(&CanvasLine {
                x1: lo,
                y1: lo,
                x2: m,
                y2: m,
                color: Color::DarkGray,
            });
            ctx.layer();
            ctx.draw(&Points {
                coords: &pts,
                color: ca,
            });
            ctx.draw(&Points {
                coords: &top,
                color: cb,
            });
        });
    f.render_widget(canvas, area);
}

fn top_frames(app: &App, st: &CompareState, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(p) = st.shown_pair() else { return };
    let bl = letter(p.b);
    let n = (area.height as usize).saturating_sub(1);
    let fw = (area.width as usize)
        .saturating_sub(1 + 4 + 7 + 7 + 8)
        .max(8);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            " {:<w$} {:>6} {:>6} {:>7}",
            truncate(
                if st.on_frames {
                    "most disagreeing frames (Enter: open)"
                } else {
                    "most disagreeing frames"
                },
                fw + 4
            ),
            "A",
            bl,
            format!("{bl}-A"),
            w = fw + 4
        ),
        t.dim(),
    ))];
    let mut extra = String::new();
    if p.only_a + p.only_b > 0 {
        extra = format!("  ({} only in A, {} only in B)", p.only_a, p.only_b);
    }
    let listed = p.top(&st.set, FRAMES_LISTED);
    let sel = st.frame.min(listed.len().saturating_sub(1));
    // Keep the selected frame in sight.
    let start = if st.on_frames {
        (sel + 1).saturating_sub(n)
    } else {
        0
    };
    for (i, fr) in listed.iter().enumerate().skip(start).take(n) {
        let name = truncate_left(&clean(&fr.frame), fw);
        let row = format!(
            " {name:<fw$} {} {:>6.1} {:>6.1} ",
            short(&fr.set),
            fr.a,
            fr.b
        );
        let diff = format!("{:>+7.1}", fr.diff());
        lines.push(if st.on_frames && i == sel {
            Line::from(Span::styled(format!("{row}{diff}"), t.selected()))
        } else {
            Line::from(vec![Span::raw(row), Span::styled(diff, t.accent())])
        });
    }
    if lines.len() == 1 {
        lines.push(Line::from(Span::styled(
            format!("no frames in {}{extra}", st.set),
            t.dim(),
        )));
    } else if !extra.is_empty() && lines.len() < n + 1 {
        lines.push(Line::from(Span::styled(extra.trim().to_owned(), t.dim())));
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// `trn` / `val` / `tst` in three cells.
fn short(set: &str) -> String {
    let s = match set {
        "train" => "trn",
        "validation" => "val",
        "test" => "tst",
        s => s,
    };
    format!("{:<3}", truncate(&clean(s), 3))
}
