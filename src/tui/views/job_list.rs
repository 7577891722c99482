//! The Jobs view: the workstation's train/predict jobs (queued, running, finished) with their
//! progress, elapsed and remaining time, and the selected job's facts and log tail. A SLURM
//! job shows its job id and SLURM's state; an array is one row with its tasks by state and a
//! detail line per task (see [`crate::tui::state::job_slurm`]).

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::state::job_list::{JobRecord, JobState, clock};
use crate::tui::state::job_slurm;
use crate::tui::views::widgets::{bar, num, truncate, truncate_left};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let n = (app.jobs.jobs.len() + elsewhere(app).len()) as u16;
    let [top, bottom] = Layout::vertical([
        Constraint::Length((n + 3).clamp(4, (area.height / 2).max(4))),
        Constraint::Min(3),
    ])
    .areas(area);
    table(app, f, top);
    detail(app, f, bottom);
}

fn state_style(app: &App, j: &JobRecord) -> Style {
    let t = &app.theme;
    match j.state {
        JobState::Running => t.warn(),
        JobState::Completed => t.ok(),
        JobState::Canceled | JobState::Failed(_) => t.err(),
        JobState::Queued => t.dim(),
    }
}

fn progress_text(j: &JobRecord, width: usize) -> String {
    match j.progress {
        Some(p) if p.total > 0 => format!(
            "{} {}/{} {}",
            bar(p.done as f64 / p.total as f64, width),
            p.done,
            p.total,
            j.unit
        ),
        _ => String::new(),
    }
}

fn remaining_text(j: &JobRecord) -> String {
    match j.remaining() {
        Some(s) => format!("~{}", clock(s)),
        None if j.state == JobState::Running => "…".into(),
        None => String::new(),
    }
}

/// Runs whose status says they are training but that no job of this workstation runs
/// (started by the Lightning Pose app, litpose or another posedeck): listed, not selectable.
pub fn elsewhere(app: &App) -> Vec<&crate::tui::data::RunRow> {
    app.data
        .runs
        .iter()
        .filter(|r| r.is_active() && app.jobs.active_for(&r.path).is_none())
        .collect()
}

fn table(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let l = &app.jobs;
    let (running, queued) = l.counts();
    let others = elsewhere(app).len();
    let unreachable = l
        .jobs
        .iter()
        .any(|j| !j.state.is_done() && j.slurm_error.is_some());
    let title = format!(
        " jobs {}  running {running}  queued {queued}{}{} ",
        l.jobs.len(),
        if others > 0 {
            format!("  training elsewhere {others}")
        } else {
            String::new()
        },
        if unreachable {
            "  SLURM unreachable"
        } else {
            ""
        }
    );
    let wide = area.width >= 120;
    let bw = if wide { 20 } else { 8 };
    let mut rows: Vec<Row> = l
        .jobs
        .iter()
        .map(|j| {
            let state = job_slurm::state_label(j);
            let title = match &j.slurm {
                Some(v) => format!("{}  {}", j.title(), job_slurm::job_id(v)),
                None => j.title(),
            };
            let mut cells = vec![
                Cell::from(j.id.to_string()),
                Cell::from(title),
                Cell::from(Span::styled(state, state_style(app, j))),
            ];
            if wide {
                cells.push(Cell::from(job_slurm::phase(j)));
            }
            cells.extend([
                Cell::from(progress_text(j, bw)),
                Cell::from(clock(j.elapsed)),
                Cell::from(remaining_text(j)),
            ]);
            Row::new(cells)
        })
        .collect();
    for r in elsewhere(app) {
        let prog = match r.progress {
            Some((c, n)) if n > 0 => format!("{} {c}/{n} epochs", bar(c as f64 / n as f64, bw)),
            _ => String::new(),
        };
        let mut cells = vec![
            Cell::from("-"),
            Cell::from(format!("{} (elsewhere)", r.name)),
            Cell::from(Span::styled(r.effective.clone(), t.warn())),
        ];
        if wide {
            cells.push(Cell::from(""));
        }
        cells.extend([Cell::from(prog), Cell::from(""), Cell::from("")]);
        rows.push(Row::new(cells).style(t.dim()));
    }
    let mut header = vec!["#", "job", "state"];
    let mut widths = vec![
        Constraint::Length(3),
        Constraint::Min(14),
        Constraint::Length(10),
    ];
    if wide {
        header.push("phase");
        // Room for a SLURM array's tasks: `3 tasks: 2 COMPLETED 1 RUNNING`.
        widths.push(Constraint::Length(30));
    }
    header.extend(["progress", "elapsed", "left"]);
    widths.extend([
        Constraint::Length(bw as u16 + 16),
        Constraint::Length(8),
        Constraint::Length(8),
    ]);
    let table = super::widgets::table(t, title, header, rows, widths);
    let mut ts = TableState::default();
    if !l.jobs.is_empty() {
        ts.select(Some(l.selected.min(l.jobs.len() - 1)));
    }
    f.render_stateful_widget(table, area, &mut ts);
    if rows_empty(app) {
        let key = app
            .keymap
            .key_for("models", Action::TrainNew)
            .unwrap_or_default();
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1.min(area.height.saturating_sub(3)),
        };
        f.render_widget(
            Paragraph::new(Span::styled(
                format!("no jobs yet: {key} in the Models view trains a model"),
                t.dim(),
            )),
            inner,
        );
    }
}

fn rows_empty(app: &App) -> bool {
    app.jobs.jobs.is_empty() && elsewhere(app).is_empty()
}

fn facts(app: &App, j: &JobRecord, w: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut l = vec![Line::from(vec![
        Span::styled(format!("job {}  {}", j.id, j.title()), t.title()),
        Span::raw("  "),
        Span::styled(job_slurm::state_label(j), state_style(app, j)),
        Span::styled(format!("  {}", j.phase), t.dim()),
    ])];
    if let Some(v) = &j.slurm {
        for (i, line) in job_slurm::detail(v, 8).into_iter().enumerate() {
            let st = if i == 0 { t.base() } else { t.dim() };
            l.push(Line::from(Span::styled(truncate(&line, w), st)));
        }
    }
    if let Some(e) = job_slurm::unreachable(j) {
        l.push(Line::from(Span::styled(truncate(&e, w), t.err())));
    }
    if let Some((name, why)) = &j.device {
        l.push(Line::from(vec![
            Span::styled("device ", t.dim()),
            Span::raw(format!("{name} ({why})")),
        ]));
    }
    let mut nums = Vec::new();
    if let Some((e, n)) = j.epoch {
        nums.push(format!("epoch {e}/{n}"));
    }
    if let Some(p) = j.progress {
        nums.push(format!("{} {}/{}", j.unit, p.done, p.total));
    }
    if let Some(x) = j.loss {
        nums.push(format!("loss {}", num(x)));
    }
    if let Some((v, r)) = j.val {
        nums.push(format!("val loss {} rmse {}", num(v), num(r)));
    }
    if let Some(s) = &j.source {
        nums.push(truncate_left(s, 40));
    }
    if !nums.is_empty() {
        l.push(Line::raw(nums.join("  ")));
    }
    let mut time = format!("elapsed {}", clock(j.elapsed));
    if let (Some(rem), Some(rate)) = (j.remaining(), j.rate) {
        time.push_str(&format!(
            "  remaining ~{} at {} {}/s",
            clock(rem),
            num(rate),
            j.unit
        ));
    }
    if j.warnings > 0 {
        time.push_str(&format!("  warnings {}", j.warnings));
    }
    l.push(Line::from(Span::styled(time, t.dim())));
    if let Some(d) = &j.run_dir {
        l.push(Line::from(Span::styled(
            truncate_left(&crate::sanitize::clean(&d.display().to_string()), w),
            t.dim(),
        )));
    }
    if let JobState::Failed(e) = &j.state {
        l.push(Line::from(crate::tui::views::widgets::error_span(t, e)));
    }
    l
}

fn detail(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" job ", t.title()))
        .border_style(t.dim());
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(j) = app.jobs.selected_job() else {
        return;
    };
    let head = facts(app, j, inner.width as usize);
    let [a, b] = Layout::vertical([
        Constraint::Length(head.len() as u16 + 1),
        Constraint::Min(1),
    ])
    .areas(inner);
    f.render_widget(
        Paragraph::new(head).wrap(ratatui::widgets::Wrap { trim: false }),
        a,
    );
    let room = b.height as usize;
    let skip = j.log.len().saturating_sub(room);
    let lines: Vec<Line> = j
        .log
        .iter()
        .skip(skip)
        .map(|s| {
            let st = if s.contains("warning:") {
                t.warn()
            } else if s.contains("failed:") {
                t.err()
            } else {
                t.base()
            };
            Line::from(Span::styled(s.clone(), st))
        })
        .collect();
    f.render_widget(Paragraph::new(lines), b);
}
