//! The frame around every view: the tab line, the status bar (project, loading, jobs, watcher,
//! messages) and the hint line generated from the keymap.

use crate::tui::app::{App, Severity, View};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn tabs(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut spans = Vec::new();
    for (i, v) in View::ALL.iter().enumerate() {
        let label = format!(" {} {} ", i + 1, v.title());
        spans.push(if *v == app.view {
            Span::styled(label, t.selected())
        } else {
            Span::styled(label, t.dim())
        });
    }
    let right = format!(" {} ", app.title);
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let room = (area.width as usize).saturating_sub(used);
    if room > 4 {
        let r = crate::tui::views::widgets::truncate_left(&right, room);
        spans.push(Span::raw(" ".repeat(room - r.chars().count())));
        spans.push(Span::styled(r, t.title()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn status(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" posedeck ", t.bar())];
    if app.loading {
        spans.push(Span::styled(
            format!(" {} loading ", SPINNER[app.spinner % SPINNER.len()]),
            t.warn(),
        ));
    }
    // Edit mode: the keypoint, the cursor pixel and whether edits are unwritten.
    let edit = crate::tui::state::label_edit::status_text(app)
        .or_else(|| crate::tui::state::label_write::status_text(app));
    if let Some(e) = edit {
        spans.push(Span::styled(
            format!(" {} ", crate::sanitize::clean(&e)),
            t.warn(),
        ));
    }
    // A message comes first: on a narrow screen it is what must be read.
    if let Some((sev, msg)) = &app.note {
        let style = match sev {
            Severity::Info => t.accent(),
            Severity::Error => t.err(),
        };
        spans.push(Span::styled(
            format!(" {} ", crate::sanitize::clean(msg)),
            style,
        ));
    }
    let (active, runs) = crate::tui::load::activity(&app.data);
    spans.push(Span::raw(format!(" runs {runs}")));
    spans.push(Span::styled(
        format!("  training: {active} "),
        if active > 0 { t.ok() } else { t.dim() },
    ));
    let (running, queued) = app.jobs.counts();
    let jobs = match (running, queued) {
        (0, 0) => " jobs: none ".to_string(),
        (r, 0) => format!(" jobs: {r} running{} ", job_progress(app)),
        (r, q) => format!(" jobs: {r} running{}, {q} queued ", job_progress(app)),
    };
    spans.push(Span::styled(
        jobs,
        if running > 0 { t.ok() } else { t.dim() },
    ));
    if !app.watch_mode.is_empty() {
        spans.push(Span::styled(
            format!(" watch: {} ", app.watch_mode),
            t.dim(),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The running job's progress in percent, for the status bar.
fn job_progress(app: &App) -> String {
    app.jobs
        .running()
        .and_then(|j| j.progress)
        .filter(|p| p.total > 0)
        .map(|p| format!(" {}%", p.done * 100 / p.total))
        .unwrap_or_default()
}

/// Hints: the current view's bindings, then the global essentials, as many as fit.
pub fn hints(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let (ctx, modal) = app.context();
    let mut items: Vec<(String, String)> = app.keymap.help_lines(ctx);
    if !modal {
        for a in [
            crate::tui::action::Action::Help,
            crate::tui::action::Action::Palette,
            crate::tui::action::Action::Filter,
            crate::tui::action::Action::Quit,
        ] {
            if let Some(k) = app.keymap.key_for("global", a) {
                let desc = app
                    .keymap
                    .section("global")
                    .iter()
                    .find(|b| b.action == a)
                    .map(|b| b.desc.clone())
                    .unwrap_or_default();
                items.push((k, desc));
            }
        }
    }
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (k, d) in items {
        let w = k.chars().count() + d.chars().count() + 3;
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(format!(" {k}"), t.accent()));
        spans.push(Span::styled(format!(" {d} "), t.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
