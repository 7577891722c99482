//! The Jobs view: queued and running training jobs (and those written as running whose process
//! is gone) with their progress, and the selected job's log tail.

use crate::tui::app::App;
use crate::tui::state::jobs::{jobs, selected};
use crate::tui::views::overview::status_style;
use crate::tui::views::widgets::{bar, truncate};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let list = jobs(app);
    let n = list.len() as u16 + 2;
    let [top, bottom] = Layout::vertical([
        Constraint::Length(n.clamp(3, (area.height / 2).max(3))),
        Constraint::Min(3),
    ])
    .areas(area);
    let w = top.width.saturating_sub(2) as usize;
    let nw = w.saturating_sub(12 + 16 + 4).clamp(10, 40);
    let sel = app.jobs.selected.min(list.len().saturating_sub(1));
    let mut lines: Vec<Line> = Vec::new();
    if list.is_empty() {
        lines.push(Line::from(Span::styled(
            if app.loading {
                "reading runs…"
            } else {
                "no training job queued or running in this project"
            },
            t.dim(),
        )));
    }
    for (i, r) in list.iter().enumerate() {
        let prog = match r.progress {
            Some((c, n)) if n > 0 => format!("{} {c}/{n}", bar(c as f64 / n as f64, 8)),
            _ => String::new(),
        };
        let mut spans = vec![
            Span::styled(
                format!("{:<nw$} ", truncate(&r.name, nw)),
                if i == sel { t.selected() } else { t.base() },
            ),
            Span::styled(
                format!("{:<11} ", r.effective),
                status_style(t, &r.effective),
            ),
            Span::raw(format!("{prog:<16} ")),
        ];
        if let Some(why) = &r.reason {
            spans.push(Span::styled(why.clone(), t.dim()));
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.dim())
                .title(Span::styled(format!(" jobs {} ", list.len()), t.title())),
        ),
        top,
    );
    let (title, log): (String, Vec<Line>) = match selected(app) {
        None => (" log ".into(), Vec::new()),
        Some(r) if r.log_tail.is_empty() => (
            format!(" {} log ", r.name),
            vec![Line::from(Span::styled(
                "no train_stdout.log or train_stderr.log in the run folder",
                t.dim(),
            ))],
        ),
        Some(r) => (
            format!(" {} log (last {} lines) ", r.name, r.log_tail.len()),
            r.log_tail.iter().map(|l| Line::raw(l.clone())).collect(),
        ),
    };
    // The end of the log is what matters: scrolled to the bottom unless paged up.
    let inner_h = bottom.height.saturating_sub(2);
    let bottom_scroll = (log.len() as u16).saturating_sub(inner_h);
    let scroll = bottom_scroll.saturating_sub(app.jobs.log_scroll);
    f.render_widget(
        Paragraph::new(log).scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.dim())
                .title(Span::styled(title, t.title())),
        ),
        bottom,
    );
}
