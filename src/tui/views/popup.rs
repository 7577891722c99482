//! Popups: the command palette, the filter line, the confirm dialog, go-to-frame.

use crate::tui::app::{App, View};
use crate::tui::state::palette;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 3,
        width: w,
        height: h,
    }
}

pub fn palette(app: &App, input: &str, selected: usize, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let items = palette::entries(&app.keymap, input);
    let h = (items.len() as u16 + 3)
        .min(area.height.saturating_sub(2))
        .max(4);
    let r = centered(area, 64, h);
    let mut lines = vec![Line::from(vec![
        Span::styled(":", t.accent()),
        Span::raw(input.to_owned()),
        Span::styled("▏", t.accent()),
    ])];
    let room = r.height.saturating_sub(3) as usize;
    let start = selected.saturating_sub(room.saturating_sub(1));
    for (i, it) in items.iter().enumerate().skip(start).take(room) {
        let st = if i == selected {
            t.selected()
        } else {
            t.base()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<24}", it.label), st),
            Span::styled(format!(" {}", it.desc), t.dim()),
        ]));
    }
    if items.is_empty() {
        lines.push(Line::from(Span::styled(" no matching command", t.dim())));
    }
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).style(t.base()).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" command ")
                .border_style(t.accent()),
        ),
        r,
    );
}

pub fn filter(app: &App, input: &str, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let what = match app.view {
        View::Curves => "tags (regex, case-insensitive)",
        View::Models => "runs",
        View::Labels => "frames",
        _ => "nothing to filter here",
    };
    let mut spans = vec![
        Span::styled("/", t.accent()),
        Span::raw(input.to_owned()),
        Span::styled("▏", t.accent()),
        Span::styled(format!("  {what}"), t.dim()),
    ];
    if app.view == View::Curves
        && let Some(e) = &app.curves.filter.error
    {
        spans.push(Span::styled(
            format!("  invalid: {e} (keeping last)"),
            t.err(),
        ));
    }
    let r = Rect {
        x: area.x,
        y: area.y + area.height.saturating_sub(1),
        width: area.width,
        height: 1.min(area.height),
    };
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(Line::from(spans)).style(t.base()), r);
}

pub fn confirm(app: &App, text: &str, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let yes = app
        .keymap
        .key_for("confirm", crate::tui::action::Action::Confirm);
    let no = app
        .keymap
        .key_for("confirm", crate::tui::action::Action::Cancel);
    let r = centered(area, 60, 6);
    let lines = vec![
        Line::raw(crate::sanitize::clean(text).into_owned()),
        Line::raw(""),
        Line::from(vec![
            Span::styled(format!(" {} ", yes.unwrap_or_default()), t.selected()),
            Span::raw(" yes   "),
            Span::styled(format!(" {} ", no.unwrap_or_default()), t.accent()),
            Span::raw(" no"),
        ]),
    ];
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .style(t.base())
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" confirm ")
                    .border_style(t.warn()),
            ),
        r,
    );
}

/// The quit question when jobs are queued or running.
pub fn quit_jobs(app: &App, running: usize, cancel_default: bool, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let (text, keys) = crate::tui::state::quit_jobs::text(running, cancel_default);
    let r = centered(area, 64, 8);
    let lines = vec![
        Line::raw(text),
        Line::raw(""),
        Line::from(Span::styled(keys, t.accent())),
    ];
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .style(t.base())
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" quit ")
                    .border_style(t.warn()),
            ),
        r,
    );
}

pub fn goto(app: &App, input: &str, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let r = centered(area, 30, 3);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(input.to_owned()),
            Span::styled("▏", t.accent()),
        ]))
        .style(t.base())
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" go to frame ")
                .border_style(t.accent()),
        ),
        r,
    );
}
