//! The `?` overlay: every binding of the current view, then the global ones, straight from the
//! keymap (so it never disagrees with what the keys do).

use crate::tui::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn render(app: &App, scroll: u16, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut lines = Vec::new();
    for (title, section) in [
        match app.context() {
            ("compare", _) => ("Compare", "compare"),
            ("label-edit", _) => ("Labels: edit mode", "label-edit"),
            _ => (app.view.title(), app.view.section()),
        },
        ("Everywhere", "global"),
    ] {
        let items = app.keymap.help_lines(section);
        if items.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(title.to_owned(), t.title())));
        let w = items
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, d) in items {
            lines.push(Line::from(vec![
                Span::styled(format!("  {k:<w$}  "), t.accent()),
                Span::raw(d),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::from(Span::styled(
        "keys are data: ~/.config/posedeck/keymap.toml overrides any of them",
        t.dim(),
    )));
    let w = area.width.saturating_sub(4).min(72);
    let h = area.height.saturating_sub(2).min(lines.len() as u16 + 2);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .scroll((scroll, 0))
            .style(t.base())
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" help (j/k scroll, esc close) ")
                    .border_style(t.accent()),
            ),
        r,
    );
}
