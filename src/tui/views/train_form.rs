//! The "train a new model" popup: one line per field, the focused one highlighted, the
//! config it starts from, and why Enter did not start the job. With SLURM as the target its
//! resources follow (slurm.toml's defaults, editable); when SLURM cannot be the target the
//! field says why while it has the focus.

use crate::tui::app::App;
use crate::tui::state::train_form::{Field, TrainForm};
use crate::tui::views::widgets::truncate_left;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn render(app: &App, form: &TrainForm, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let w = 64.min(area.width);
    let fields = form.fields();
    let h = (fields.len() as u16 + 7).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 3,
        width: w,
        height: h,
    };
    let inner_w = w.saturating_sub(2) as usize;
    let cfg = form
        .config
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut lines = vec![Line::from(Span::styled(
        truncate_left(&format!("from {}", crate::sanitize::clean(&cfg)), inner_w),
        t.dim(),
    ))];
    for (i, field) in fields.iter().enumerate() {
        let focused = i == form.focus.min(fields.len() - 1);
        let v = crate::sanitize::clean(form.value(*field)).into_owned();
        let shown = match (field, v.is_empty()) {
            (Field::Name, true) if !focused => "(date/time)".to_string(),
            (f, true) if f.is_slurm() && !focused => "(default)".to_string(),
            _ => v,
        };
        let value = match (field.choices().is_some(), focused) {
            (true, true) => format!("◂ {shown} ▸"),
            (false, true) => format!("{shown}▏"),
            _ => shown,
        };
        let style = if focused { t.selected() } else { t.base() };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<13}", field.label()), t.dim()),
            Span::styled(format!(" {value} "), style),
        ]));
    }
    lines.push(Line::raw(""));
    match &form.error {
        Some(e) => lines.push(Line::from(crate::tui::views::widgets::error_span(t, e))),
        None if form.field() == Field::Target && form.slurm.is_err() => {
            let why = form.slurm.as_ref().err().cloned().unwrap_or_default();
            lines.push(Line::from(Span::styled(
                crate::sanitize::one_line(&why),
                t.warn(),
            )))
        }
        None if form.field().hint().is_some() => lines.push(Line::from(Span::styled(
            form.field().hint().unwrap_or_default(),
            t.dim(),
        ))),
        None => lines.push(Line::from(Span::styled(
            if form.is_slurm() {
                "enter submit to SLURM  ↑↓ field  ←→ choose  esc close"
            } else {
                "enter start  ↑↓ field  ←→ choose  esc close"
            },
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
                    .title(" train a new model ")
                    .border_style(t.accent()),
            ),
        r,
    );
}
