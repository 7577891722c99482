//! The Labels view in edit mode: the keypoints (the selected one marked, each with its
//! position or "missing"), the frame with the cursor and the selected keypoint ringed, what
//! is being edited (file, instance, context frame, brightness/contrast, last write), and the
//! conflict prompt when the file changed on disk.

use crate::sanitize::clean;
use crate::tui::app::App;
use crate::tui::frames::labels_layout;
use crate::tui::state::label_doc::Doc;
use crate::tui::state::label_edit::{ConflictPrompt, EditSession};
use crate::tui::views::models::keypoint_color;
use crate::tui::views::widgets::truncate;
use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let Some(s) = &app.edit else { return };
    let t = &app.theme;
    let (list, img, side) = labels_layout(area);
    let pts = s.points(app);
    let unwritten = s.doc.unwritten();

    // Keypoints.
    let lw = list.width.saturating_sub(2) as usize;
    let room = list.height.saturating_sub(2) as usize;
    let start = s.keypoint.saturating_sub(room.saturating_sub(1));
    let mut lines = Vec::new();
    for (i, p) in pts.iter().enumerate().skip(start).take(room) {
        let name = app.data.keypoints.get(i).map_or("?", String::as_str);
        let sel = i == s.keypoint;
        let pos = match p {
            Some((x, y)) => format!(" {x:.0},{y:.0}"),
            None => " missing".to_owned(),
        };
        let nw = lw.saturating_sub(2 + pos.chars().count());
        let st = if sel { t.selected() } else { t.base() };
        lines.push(Line::from(vec![
            Span::styled(
                if sel { "▶" } else { "●" },
                Style::default().fg(keypoint_color(app, i)),
            ),
            Span::styled(format!(" {:<nw$}", truncate(&clean(name), nw)), st),
            Span::styled(pos, if p.is_some() { t.dim() } else { t.warn() }),
        ]));
    }
    let title = format!(
        " edit {}/{} {}",
        s.keypoint + 1,
        pts.len(),
        if unwritten { "● " } else { "" }
    );
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(
                    title,
                    if unwritten { t.warn() } else { t.title() },
                ))
                .border_style(t.accent()),
        ),
        list,
    );

    // The frame.
    let mut head = format!(" {} ", s.image);
    if s.context != 0 {
        head.push_str(&format!("· context {:+} ", s.context));
    }
    if s.brightness != 0.0 || s.contrast != 0.0 {
        head.push_str(&format!("· b{:+.1} c{:+.1} ", s.brightness, s.contrast));
    }
    head.push_str(&format!("· zoom {:.1}x ", app.labels.zoom.max(1.0)));
    f.render_widget(
        Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(
                truncate(&clean(&head), img.width as usize + 2),
                t.title(),
            ))
            .title_bottom(Span::styled(
                truncate(&clean(&footer(s, unwritten)), img.width as usize + 2),
                if unwritten { t.warn() } else { t.dim() },
            ))
            .border_style(t.accent()),
        img.outer(Margin::new(1, 1)),
    );
    crate::tui::views::labels::draw_image(app, f, img, app.labels.names);

    if side.width > 0 {
        f.render_widget(
            Paragraph::new(side_lines(app, s))
                .wrap(Wrap { trim: true })
                .block(
                    Block::default()
                        .borders(Borders::LEFT)
                        .border_style(t.dim()),
                ),
            side,
        );
    }
    if let Some(c) = &s.conflict {
        conflict(app, s, c, f, area);
    }
}

/// The frame box's bottom line: the file, the instance (SLEAP), unwritten or the last write.
fn footer(s: &EditSession, unwritten: bool) -> String {
    let mut out = format!(" {}", s.doc.file_name());
    if let Doc::Slp { doc, key, instance } = &s.doc {
        let users = doc.user_instances(*key);
        match instance.and_then(|i| users.iter().position(|&u| u == i)) {
            Some(p) => out.push_str(&format!(" · instance {}/{}", p + 1, users.len())),
            None => out.push_str(" · no instance (a adds one)"),
        }
    }
    if unwritten {
        out.push_str(" · ● unwritten edits");
    } else if s.last_write.is_some() {
        out.push_str(" · written");
    }
    out.push(' ');
    out
}

fn side_lines<'a>(app: &'a App, s: &'a EditSession) -> Vec<Line<'a>> {
    let t = &app.theme;
    let name = app
        .data
        .keypoints
        .get(s.keypoint)
        .map_or("?".into(), |n| clean(n).into_owned());
    let mut l = vec![
        Line::from(Span::styled("editing", t.dim())),
        Line::from(Span::styled(
            name,
            Style::default().fg(keypoint_color(app, s.keypoint)),
        )),
        Line::from(format!("cursor {:.2}, {:.2}", s.cursor.0, s.cursor.1)),
        Line::from(format!(
            "step {} px",
            crate::tui::state::label_edit::step(app.labels.zoom.max(1.0))
        )),
        Line::from(format!(
            "edits {}  redo {}",
            s.undo.len(),
            s.undo.redo_len()
        )),
    ];
    if let Some(w) = &s.last_write {
        l.push(Line::raw(""));
        l.push(Line::from(Span::styled(clean(w).into_owned(), t.ok())));
    }
    l
}

fn conflict(app: &App, s: &EditSession, c: &ConflictPrompt, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let key = |a| {
        app.keymap
            .key_for("label-conflict", a)
            .unwrap_or_else(|| "?".into())
    };
    let w = area.width.saturating_sub(4).min(76);
    let h = area.height.saturating_sub(2).min(12);
    let r = Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    );
    let file = s.doc.file_name();
    let mut lines = vec![Line::from(Span::styled(
        if c.gone {
            format!("{file} is gone from disk since it was read.")
        } else {
            format!("{file} changed on disk since it was read (someone else labeled).")
        },
        t.warn(),
    ))];
    if c.frames.is_empty() {
        lines.push(Line::raw(
            "None of the frames you edited changed there: keep mine merges safely.",
        ));
    } else {
        lines.push(Line::raw(format!(
            "Frames you edited that changed there ({}):",
            c.frames.len()
        )));
        let room = (h as usize).saturating_sub(6).max(1);
        for fr in c.frames.iter().take(room) {
            lines.push(Line::from(Span::styled(
                format!("  {}", clean(fr)),
                t.err(),
            )));
        }
        if c.frames.len() > room {
            lines.push(Line::raw(format!("  … {} more", c.frames.len() - room)));
        }
    }
    lines.push(Line::from(vec![
        Span::styled(
            format!(" {} ", key(crate::tui::action::Action::ReloadLabels)),
            t.selected(),
        ),
        Span::raw(" reload (drop my edits)  "),
        Span::styled(
            format!(" {} ", key(crate::tui::action::Action::KeepMine)),
            t.selected(),
        ),
        Span::raw(" keep mine (their other changes stay)  "),
        Span::styled(
            format!(" {} ", key(crate::tui::action::Action::Cancel)),
            t.accent(),
        ),
        Span::raw(" cancel"),
    ]));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .style(t.base())
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" labels changed on disk ")
                    .border_style(t.err()),
            ),
        r,
    );
}
