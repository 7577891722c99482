//! The Models view: a sortable, filterable table of runs and a detail pane (effective config,
//! config diff against a marked run, per-keypoint errors as bars, files present).

use crate::tui::app::App;
use crate::tui::data::RunRow;
use crate::tui::state::models::{DetailTab, rows};
use crate::tui::views::overview::{human_bytes, status_style};
use crate::tui::views::widgets::{bar, num, truncate};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    // The table over the detail pane: every column needs the full width. The table takes
    // what its rows need, at most half the height.
    let wide = area.width >= 120;
    let n = app.data.runs.len() as u16 + 3;
    let [table_area, detail_area] = Layout::vertical([
        Constraint::Length(n.min(area.height / 2).max(4)),
        Constraint::Min(3),
    ])
    .areas(area);
    table(app, f, table_area, wide);
    detail(app, f, detail_area);
}

fn table(app: &App, f: &mut Frame, area: Rect, wide: bool) {
    let t = &app.theme;
    let st = &app.models;
    let runs = rows(st, &app.data.runs);
    let arrow = if st.reverse { "▼" } else { "▲" };
    let title = format!(
        " runs {}/{}  sort: {} {}{} ",
        runs.len(),
        app.data.runs.len(),
        st.sort.label(),
        arrow,
        if st.filter.is_empty() {
            String::new()
        } else {
            format!("  filter: {}", st.filter)
        }
    );
    let mut header = vec!["run", "status", "progress"];
    if wide {
        header.extend(["date", "backbone", "size", "train fr"]);
    }
    header.extend(["val loss", "px mean", "px med"]);
    let body: Vec<Row> = runs
        .iter()
        .map(|r| {
            let prog = match r.progress {
                Some((c, n)) if n > 0 => format!("{} {c}/{n}", bar(c as f64 / n as f64, 4)),
                _ => String::new(),
            };
            let px = ["validation", "test", "train"]
                .iter()
                .find_map(|s| r.pixel_error.get(*s));
            let mut cells = vec![
                Cell::from(if st.marked.contains(&r.path) {
                    format!("● {}", r.name)
                } else {
                    r.name.clone()
                }),
                Cell::from(Span::styled(
                    r.effective.clone(),
                    status_style(t, &r.effective),
                )),
                Cell::from(prog),
            ];
            if wide {
                cells.push(Cell::from(r.date.clone().unwrap_or_default()));
                cells.push(Cell::from(r.backbone.clone().unwrap_or_default()));
                cells.push(Cell::from(
                    r.image_size
                        .map(|(h, w)| format!("{h}x{w}"))
                        .unwrap_or_default(),
                ));
                cells.push(Cell::from(r.train_frames.clone().unwrap_or_default()));
            }
            cells.push(Cell::from(
                r.best_val_loss.map(num).unwrap_or_else(|| "-".into()),
            ));
            cells.push(Cell::from(
                px.map(|e| num(e.mean)).unwrap_or_else(|| "-".into()),
            ));
            cells.push(Cell::from(
                px.map(|e| num(e.median)).unwrap_or_else(|| "-".into()),
            ));
            let row = Row::new(cells);
            if r.errors.is_empty() {
                row
            } else {
                row.style(t.err())
            }
        })
        .collect();
    let mut widths = vec![
        Constraint::Min(12),
        Constraint::Length(10),
        Constraint::Length(10),
    ];
    if wide {
        widths.extend([
            Constraint::Length(10),
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Length(8),
        ]);
    }
    widths.extend([
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
    ]);
    let table = super::widgets::table(t, title, header, body, widths);
    let mut ts = TableState::default();
    if !runs.is_empty() {
        ts.select(Some(st.selected.min(runs.len() - 1)));
    }
    f.render_stateful_widget(table, area, &mut ts);
    if runs.is_empty() {
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1.min(area.height.saturating_sub(3)),
        };
        let msg = if app.loading {
            "reading runs…"
        } else if app.data.runs.is_empty() {
            "no model runs in this project"
        } else {
            "no run matches the filter"
        };
        f.render_widget(Paragraph::new(Span::styled(msg, t.dim())), inner);
    }
}

fn detail(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let st = &app.models;
    let run = crate::tui::state::models::selected_run(app);
    let tabs: Vec<Span> = [
        DetailTab::Config,
        DetailTab::Diff,
        DetailTab::Errors,
        DetailTab::Files,
    ]
    .iter()
    .map(|d| {
        if *d == st.tab {
            Span::styled(format!(" {} ", d.label()), t.selected())
        } else {
            Span::styled(format!(" {} ", d.label()), t.dim())
        }
    })
    .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::from(tabs))
        .border_style(t.dim());
    let inner_w = area.width.saturating_sub(2) as usize;
    let lines = match run {
        None => vec![Line::from(Span::styled("no run selected", t.dim()))],
        Some(r) => {
            let mut l = head(app, r);
            l.extend(match st.tab {
                DetailTab::Config => config(app, r),
                DetailTab::Diff => diff(app, r),
                DetailTab::Errors => errors(app, r, inner_w),
                DetailTab::Files => files(app, r),
            });
            l
        }
    };
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((st.detail_scroll, 0)),
        area,
    );
}

fn head(app: &App, r: &RunRow) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut l = vec![Line::from(vec![
        Span::styled(r.name.clone(), t.title()),
        Span::raw("  "),
        Span::styled(r.effective.clone(), status_style(t, &r.effective)),
        Span::styled(
            if r.effective != r.status {
                format!(" (written {})", r.status)
            } else {
                String::new()
            },
            t.dim(),
        ),
    ])];
    if let Some(why) = &r.reason {
        l.push(Line::from(Span::styled(why.clone(), t.warn())));
    }
    let mut facts = Vec::new();
    if let Some(m) = &r.model_type {
        facts.push(m.clone());
    }
    if let Some(b) = &r.backbone {
        facts.push(b.clone());
    }
    if let Some((h, w)) = r.image_size {
        facts.push(format!("{h}x{w}"));
    }
    if let Some(v) = r.best_val_loss {
        facts.push(format!("best val loss {}", num(v)));
    }
    if !facts.is_empty() {
        l.push(Line::from(Span::styled(facts.join("  "), t.dim())));
    }
    for (set, e) in &r.pixel_error {
        l.push(Line::from(Span::styled(
            format!(
                "px error {set:<10} mean {:<8} median {:<8}{}",
                num(e.mean),
                num(e.median),
                e.p90
                    .map(|p| format!(" p90 {}", num(p)))
                    .unwrap_or_default()
            ),
            t.base(),
        )));
    }
    for e in &r.errors {
        l.push(Line::from(crate::tui::views::widgets::error_span(t, e)));
    }
    l.push(Line::raw(""));
    l
}

fn config(app: &App, r: &RunRow) -> Vec<Line<'static>> {
    match &r.config_yaml {
        Some(y) => y.lines().map(|s| Line::raw(s.to_owned())).collect(),
        None => vec![Line::from(Span::styled("no config.yaml", app.theme.dim()))],
    }
}

fn diff(app: &App, r: &RunRow) -> Vec<Line<'static>> {
    let t = &app.theme;
    let key = app
        .keymap
        .key_for("models", crate::tui::action::Action::DiffMark);
    let Some(other_path) = &app.models.diff_with else {
        return vec![Line::from(Span::styled(
            format!(
                "mark a run with {} then select another to compare configs",
                key.unwrap_or_default()
            ),
            t.dim(),
        ))];
    };
    let Some(other) = app.data.runs.iter().find(|x| &x.path == other_path) else {
        return vec![Line::from(Span::styled("the marked run is gone", t.dim()))];
    };
    if other.path == r.path {
        return vec![Line::from(Span::styled(
            format!("marked: {} (select another run)", r.name),
            t.dim(),
        ))];
    }
    let mut out = vec![Line::from(Span::styled(
        format!("- {}   + {}", other.name, r.name),
        t.dim(),
    ))];
    let mut keys: Vec<&String> = other
        .config_flat
        .keys()
        .chain(r.config_flat.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let a = other.config_flat.get(k);
        let b = r.config_flat.get(k);
        if a == b {
            continue;
        }
        out.push(Line::from(Span::styled(k.clone(), t.accent())));
        if let Some(a) = a {
            out.push(Line::from(Span::styled(format!("  - {a}"), t.err())));
        }
        if let Some(b) = b {
            out.push(Line::from(Span::styled(format!("  + {b}"), t.ok())));
        }
    }
    if out.len() == 1 {
        out.push(Line::raw("configs are identical"));
    }
    out
}

fn errors(app: &App, r: &RunRow, w: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let set = ["validation", "test", "train"]
        .into_iter()
        .find(|s| r.per_keypoint.get(*s).is_some_and(|v| !v.is_empty()));
    let Some(set) = set else {
        return vec![Line::from(Span::styled(
            "no predictions_pixel_error.csv yet",
            t.dim(),
        ))];
    };
    let kp = &r.per_keypoint[set];
    let max = kp
        .iter()
        .map(|x| x.1)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let nw = kp
        .iter()
        .map(|x| x.0.chars().count())
        .max()
        .unwrap_or(4)
        .min(18);
    let bw = w.saturating_sub(nw + 12).max(4);
    let mut out = vec![Line::from(Span::styled(
        format!("mean pixel error per keypoint ({set} set)"),
        t.dim(),
    ))];
    for (i, (name, v)) in kp.iter().enumerate() {
        let frac = if max > 0.0 { v / max } else { 0.0 };
        out.push(Line::from(vec![
            Span::raw(format!("{:<nw$} ", truncate(name, nw))),
            Span::styled(
                bar(frac, bw).replace('░', " "),
                ratatui::style::Style::default().fg(keypoint_color(app, i)),
            ),
            Span::raw(format!(" {}", num(*v))),
        ]));
    }
    out
}

fn files(app: &App, r: &RunRow) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(Span::styled(
        r.path.display().to_string(),
        app.theme.dim(),
    ))];
    for (name, size) in &r.files {
        out.push(Line::raw(format!("{:>10}  {name}", human_bytes(*size))));
    }
    out
}

/// The colour of keypoint `i`: the project's Label Studio colour, else the theme palette.
pub fn keypoint_color(app: &App, i: usize) -> ratatui::style::Color {
    match app.data.keypoint_rgb.get(i).copied().flatten() {
        Some([r, g, b]) if !app.theme.mono => ratatui::style::Color::Rgb(r, g, b),
        _ => app.theme.keypoint_color(i),
    }
}
