//! The "extract frames" popup of the Videos view: the video, method, N and (for outliers)
//! the metric and model, and why Enter did not start.

use crate::tui::app::App;
use crate::tui::state::extract_form::{ExtractForm, METHODS, METRICS};
use crate::tui::views::widgets::truncate_left;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn render(app: &App, form: &ExtractForm, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let w = 60.min(area.width);
    let h = 9.min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 3,
        width: w,
        height: h,
    };
    let inner_w = w.saturating_sub(2) as usize;
    let video = form
        .video
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut lines = vec![Line::from(Span::styled(
        truncate_left(
            &format!(
                "from {} → labeled-data/, queued",
                crate::sanitize::clean(&video)
            ),
            inner_w,
        ),
        t.dim(),
    ))];
    let outliers = METHODS[form.method] == "outliers";
    let model = form
        .model
        .as_ref()
        .map(|m| crate::sanitize::clean(&m.0).into_owned())
        .unwrap_or_else(|| "no model".into());
    let rows = [
        ("method", format!("◂ {} ▸", METHODS[form.method]), true),
        ("frames (N)", format!("{}▏", form.n), true),
        (
            "metric",
            format!("◂ {} ▸  ({model})", METRICS[form.metric]),
            outliers,
        ),
    ];
    for (i, (label, value, shown)) in rows.into_iter().enumerate() {
        if !shown {
            continue;
        }
        let style = if i == form.focus {
            t.selected()
        } else {
            t.base()
        };
        let value = if i == form.focus {
            value
        } else {
            value.replace(['◂', '▸', '▏'], " ").trim().to_string()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {label:<11}"), t.dim()),
            Span::styled(format!(" {value} "), style),
        ]));
    }
    lines.push(Line::raw(""));
    match &form.error {
        Some(e) => lines.push(Line::from(crate::tui::views::widgets::error_span(t, e))),
        None => lines.push(Line::from(Span::styled(
            "enter start  ↑↓ field  ←→ choose  esc close",
            t.dim(),
        ))),
    }
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .style(t.base())
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" extract frames to label ")
                    .border_style(t.accent()),
            ),
        r,
    );
}
