//! The Curves dashboard: every tag that passes the filter as a small chart, TensorBoard's
//! grid (2-4 columns by width, grouped by prefix, losses first, `epoch` and `hp_metric`
//! last), all runs overlaid in their stable colours with one legend below. Enter enlarges the
//! selected chart to the full view (cursor, smoothing, axes), Esc comes back.

use crate::tui::app::App;
use crate::tui::state::curves::group_of;
use crate::tui::views::curves::axis_num;
use crate::tui::views::widgets::truncate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::Canvas;
use ratatui::widgets::{Block, Borders, Paragraph};

/// Rows of text one small chart takes (border and title included).
const CELL_H: u16 = 9;

/// Columns for a width: 2 below 100, 3 below 160, else 4 (1 when very narrow).
pub fn columns(width: u16) -> usize {
    match width {
        0..60 => 1,
        60..100 => 2,
        100..160 => 3,
        _ => 4,
    }
}

/// Where the dashboard's parts go on `area`.
struct Grid {
    head: Rect,
    legend: Rect,
    cols: usize,
    /// The charts of the page shown: (index into the tags, its cell).
    cells: Vec<(usize, Rect)>,
}

fn grid(app: &App, area: Rect, n_tags: usize) -> Grid {
    let [head, body, legend] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(legend_height(app, area)),
    ])
    .areas(area);
    let cols = columns(area.width);
    let sel = app.curves.selected.min(n_tags.saturating_sub(1));
    let rows_visible = (body.height / CELL_H).max(1) as usize;
    let row_of_sel = sel / cols;
    let first_row = row_of_sel.saturating_sub(rows_visible - 1);
    let cell_w = body.width / cols as u16;
    let cell_h = if rows_visible == 1 {
        body.height
    } else {
        CELL_H
    };
    let mut cells = Vec::new();
    for i in (first_row * cols)..n_tags {
        let r = i / cols - first_row;
        if r >= rows_visible {
            break;
        }
        let col = (i % cols) as u16;
        cells.push((
            i,
            Rect {
                x: body.x + col * cell_w,
                y: body.y + r as u16 * cell_h,
                width: if col as usize == cols - 1 {
                    body.width - col * cell_w
                } else {
                    cell_w
                },
                height: cell_h.min(body.height - r as u16 * cell_h),
            },
        ));
    }
    Grid {
        head,
        legend,
        cols,
        cells,
    }
}

/// Inside a chart's border: the y labels' column and the canvas (`None`: too small to plot).
fn chart_parts(cell: Rect) -> Option<(Rect, Rect)> {
    let inner = Block::default().borders(Borders::ALL).inner(cell);
    if inner.width < 8 || inner.height < 2 {
        return None;
    }
    let label_w = 7u16.min(inner.width / 3);
    let [labels, graph] =
        Layout::horizontal([Constraint::Length(label_w), Constraint::Min(1)]).areas(inner);
    Some((labels, graph))
}

/// Values per canvas row: two per cell in braille, one in ASCII.
fn plot_cols(app: &App, graph: Rect) -> usize {
    graph.width as usize * if app.curves.ascii { 1 } else { 2 }
}

/// The plots the dashboard draws on `area` (the selected chart's first); `hidden` is
/// [`crate::tui::state::curves::hidden_runs`].
pub fn wanted(
    app: &App,
    area: Rect,
    tags: &[String],
    hidden: &[String],
) -> Vec<crate::tui::chart::plot::PlotKey> {
    let g = grid(app, area, tags.len());
    let sel = app.curves.selected.min(tags.len().saturating_sub(1));
    let mut cells = g.cells;
    cells.sort_by_key(|(i, _)| *i != sel);
    cells
        .into_iter()
        .filter_map(|(i, cell)| {
            let (_, graph) = chart_parts(cell)?;
            let cols = plot_cols(app, graph);
            Some(crate::tui::state::curves::plot_key(
                app, &tags[i], cols, hidden,
            ))
        })
        .collect()
}

pub fn render(app: &App, f: &mut Frame, area: Rect, tags: &[String]) {
    let t = &app.theme;
    let c = &app.curves;
    let Grid {
        head,
        legend,
        cols,
        cells,
    } = grid(app, area, tags.len());
    c.grid_cols.set(cols);
    let sel = c.selected.min(tags.len().saturating_sub(1));
    let hidden = crate::tui::state::curves::hidden_runs(app);
    let mut spans = vec![Span::styled(format!("tags {}", tags.len()), t.title())];
    if !c.filter.text.is_empty() {
        spans.push(Span::styled(format!(" /{}", c.filter.text), t.accent()));
    }
    if let Some(e) = &c.filter.error {
        spans.push(Span::styled(format!("  bad regex: {e}"), t.err()));
    }
    spans.push(Span::styled(
        format!(
            "   smoothing {:.2}{}{}   enter: enlarge  /: filter  r/space: runs",
            c.smoothing,
            if c.log_y { "  log y" } else { "" },
            if c.only_marked {
                "  marked runs only"
            } else {
                ""
            }
        ),
        t.dim(),
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), head);

    for (i, cell) in cells {
        let tag = &tags[i];
        let first_of_group = i == 0 || group_of(&tags[i - 1]) != group_of(tag);
        small_chart(
            app,
            f,
            cell,
            Cell {
                tag,
                selected: i == sel,
                first_of_group,
                hidden: &hidden,
            },
        );
    }

    // One legend for all charts: each run's colour; the run `r`/`R` points at is
    // underlined (space hides or shows it), hidden runs are dim.
    let mut lines = Vec::new();
    let mut spans = Vec::new();
    let mut width = 0usize;
    for (i, run) in app.scalars.runs.values().enumerate() {
        let name = truncate(&crate::sanitize::clean(&run.name), 30);
        let off = hidden.binary_search(&run.name).is_ok();
        let w = name.chars().count() + 5 + if off { 9 } else { 0 };
        if width + w > legend.width as usize && !spans.is_empty() {
            lines.push(Line::from(std::mem::take(&mut spans)));
            width = 0;
        }
        let mark = if off { "── " } else { "━━ " };
        spans.push(Span::styled(
            mark,
            Style::default().fg(t.run_color(&run.name)),
        ));
        let mut st = if off { t.dim() } else { t.base() };
        if i == c.run_cursor {
            st = st.add_modifier(ratatui::style::Modifier::UNDERLINED);
        }
        spans.push(Span::styled(name, st));
        spans.push(Span::styled(
            if off { " (hidden)  " } else { "  " },
            t.dim(),
        ));
        width += w;
    }
    if !spans.is_empty() {
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), legend);
}

fn legend_height(app: &App, area: Rect) -> u16 {
    let total: usize = app
        .scalars
        .runs
        .values()
        .map(|r| r.name.chars().count().min(30) + 14)
        .sum();
    let lines = total.div_ceil(area.width.max(1) as usize).max(1) as u16;
    lines.min(area.height / 4).max(1)
}

/// One chart of the grid; `hidden` is the runs not drawn (computed once per draw).
struct Cell<'a> {
    tag: &'a str,
    selected: bool,
    first_of_group: bool,
    hidden: &'a [String],
}

fn small_chart(app: &App, f: &mut Frame, area: Rect, cell: Cell) {
    let Cell {
        tag,
        selected,
        first_of_group: group,
        hidden,
    } = cell;
    let cell = area;
    let t = &app.theme;
    let c = &app.curves;
    let border = if selected { t.accent() } else { t.dim() };
    let mut title = vec![Span::styled(
        truncate(
            &format!(" {} ", crate::sanitize::clean(tag)),
            cell.width.saturating_sub(2) as usize,
        ),
        if selected { t.selected() } else { t.title() },
    )];
    if group && !selected {
        title.insert(0, Span::styled("▸", t.dim()));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Line::from(title));
    let inner = block.inner(cell);
    f.render_widget(block, cell);
    let Some((labels, graph)) = chart_parts(cell) else {
        return;
    };
    let label_w = labels.width;
    let key = crate::tui::state::curves::plot_key(app, tag, plot_cols(app, graph), hidden);
    // The plot built for this chart, or until it comes the last one of its tag.
    let Some(plot) = app.plots.best(&key) else {
        f.render_widget(Paragraph::new(Span::styled("building…", t.dim())), inner);
        return;
    };
    let (Some((y0, y1)), Some((x0, x1))) = (plot.y, plot.x_bounds()) else {
        f.render_widget(
            Paragraph::new(Span::styled("no finite values", t.dim())),
            inner,
        );
        return;
    };
    let log_y = plot.key.log_y;
    let show = |v: f64| {
        let v = if log_y { 10f64.powf(v) } else { v };
        truncate(&axis_num(v, (y1 - y0).abs()), label_w as usize)
    };
    let mut ls = vec![Line::from(Span::styled(show(y1), t.dim()))];
    for _ in 2..labels.height {
        ls.push(Line::raw(""));
    }
    ls.push(Line::from(Span::styled(show(y0), t.dim())));
    f.render_widget(Paragraph::new(ls), labels);
    let marker = if c.ascii {
        Marker::Dot
    } else {
        Marker::Braille
    };
    let canvas = Canvas::default()
        .marker(marker)
        .x_bounds([x0, x1])
        .y_bounds([y0, y1])
        .paint(|ctx| {
            for d in &plot.drawn {
                let color = t.run_color(&d.run);
                let color = if color == Color::Reset {
                    Color::Gray
                } else {
                    color
                };
                crate::tui::views::curves::polyline(ctx, &d.smooth_cols, color);
            }
        });
    f.render_widget(canvas, graph);
}
