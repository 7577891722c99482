//! The Labels view: the labeled frames (filters: video, missing keypoints, text), the selected
//! frame drawn with its keypoints in per-keypoint colours (filled: labels; hollow: a model's
//! predictions, with red error lines), names on demand, zoom and pan.

use crate::tui::app::App;
use crate::tui::frames::labels_layout;
use crate::tui::state::labels::{current, visible};
use crate::tui::views::models::keypoint_color;
use crate::tui::views::widgets::{num, truncate, truncate_left};
use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    if app.edit.is_some() {
        return crate::tui::views::label_edit::render(app, f, area);
    }
    let t = &app.theme;
    let (list, img, legend) = labels_layout(area);
    let st = &app.labels;
    let vis = visible(app);
    let cur = current(app);

    // Frame list.
    let mut title = format!(" frames {}/{} ", vis.len(), app.data.frames.len());
    if app.data.n_queued > 0 {
        title.push_str(&format!("({} queued) ", app.data.n_queued));
    }
    if st.missing_only {
        title.push_str("missing ");
    }
    if let Some(v) = &st.video {
        title.push_str(&format!("{v} "));
    }
    if !st.filter.is_empty() {
        title.push_str(&format!("/{} ", st.filter));
    }
    let lw = list.width.saturating_sub(2) as usize;
    let room = list.height.saturating_sub(2) as usize;
    let sel = st.selected.min(vis.len().saturating_sub(1));
    let start = sel.saturating_sub(room.saturating_sub(1));
    let mut lines = Vec::new();
    for (i, &fi) in vis.iter().enumerate().skip(start).take(room) {
        let Some(fr) = app.data.frames.get(fi) else {
            continue;
        };
        let miss = fr.n_missing();
        let tag = if fr.queued {
            " queued".to_string()
        } else if miss > 0 {
            format!(" -{miss}")
        } else {
            String::new()
        };
        // Lightning Pose frames all lie under labeled-data/: the rest is what tells them apart.
        let short = fr.image.strip_prefix("labeled-data/").unwrap_or(&fr.image);
        let name = truncate_left(short, lw.saturating_sub(tag.len()));
        let st_ = if i == sel { t.selected() } else { t.base() };
        lines.push(Line::from(vec![
            Span::styled(name, st_),
            Span::styled(tag, t.warn()),
        ]));
    }
    if vis.is_empty() {
        let msg = if app.loading {
            "reading labels…"
        } else if app.data.frames.is_empty() {
            "no labeled frames"
        } else {
            "no frame matches"
        };
        lines.push(Line::from(Span::styled(msg, t.dim())));
    }
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(title, t.title()))
                .border_style(t.dim()),
        ),
        list,
    );

    // The frame.
    let frame = cur.and_then(|i| app.data.frames.get(i));
    let model = match (&st.preds, st.model) {
        (Some((p, _)), Some(_)) => app
            .data
            .runs
            .iter()
            .find(|r| r.predictions.as_ref() == Some(p))
            .map(|r| r.name.clone()),
        _ => None,
    };
    let second = st.second.as_ref().map(|s| match &s.preds {
        None => format!(" ◌ {} (reading…)", s.name),
        Some(Err(_)) => format!(" ◌ {} (unreadable)", s.name),
        Some(Ok(_)) => format!(" ◌ {} blue lines", s.name),
    });
    let img_title = match (frame, &model) {
        (Some(fr), Some(m)) => format!(
            " {}  ● labels ○ {}{} ",
            fr.image,
            m,
            second
                .as_deref()
                .map(|s| format!(" red lines{s}"))
                .unwrap_or_default()
        ),
        (Some(fr), None) if second.is_some() => {
            format!(" {}  ● labels{} ", fr.image, second.unwrap_or_default())
        }
        (Some(fr), None) => format!(" {}  zoom {:.1}x ", fr.image, st.zoom.max(1.0)),
        _ => String::new(),
    };
    let frame_box = img.outer(Margin::new(1, 1));
    f.render_widget(
        Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(
                truncate(&crate::sanitize::clean(&img_title), img.width as usize),
                t.title(),
            ))
            .title_bottom(Span::styled(format!(" {} ", app.protocol), t.dim()))
            .border_style(t.dim()),
        frame_box,
    );
    if let Some(fr) = frame {
        draw_image(app, f, img, st.names);
        let why = match &fr.source {
            crate::tui::data::FrameSource::Blank { why, .. } => why.clone(),
            _ => String::new(),
        };
        if !why.is_empty() && img.height > 0 {
            f.render_widget(
                Paragraph::new(Span::styled(
                    crate::sanitize::clean(&why).into_owned(),
                    t.warn(),
                )),
                Rect {
                    y: img.bottom() - 1,
                    height: 1,
                    ..img
                },
            );
        }
    }
    if let Some((_, Err(e))) = &st.preds {
        f.render_widget(
            Paragraph::new(crate::tui::views::widgets::error_span(t, e)),
            Rect {
                height: 1.min(img.height),
                ..img
            },
        );
    }

    // Legend.
    if legend.width > 0 {
        let preds = match (&st.preds, frame) {
            (Some((_, Ok(p))), Some(fr)) => p.get(&fr.image),
            _ => None,
        };
        let second = frame.and_then(|fr| crate::tui::state::labels::second_preds(app, &fr.image));
        let mut l = vec![Line::from(Span::styled(
            match (preds.is_some(), second.is_some()) {
                (_, true) => "keypoint  err A  err B",
                (true, false) => "keypoint   x,y   err px",
                (false, false) => "keypoint   x, y",
            },
            t.dim(),
        ))];
        let nw = (legend.width as usize)
            .saturating_sub(if second.is_some() { 22 } else { 16 })
            .max(6);
        let err = |pt: Option<(f64, f64)>, p: Option<(f64, f64, f64)>| match (pt, p) {
            (Some((x, y)), Some((px, py, _))) => Some(((x - px).powi(2) + (y - py).powi(2)).sqrt()),
            _ => None,
        };
        for (i, name) in app.data.keypoints.iter().enumerate() {
            let pt = frame.and_then(|fr| fr.points.get(i).copied().flatten());
            let mut spans = vec![
                Span::styled("● ", Style::default().fg(keypoint_color(app, i))),
                Span::raw(format!("{:<nw$}", truncate(name, nw))),
            ];
            let pa = preds.and_then(|p| p.get(i).copied().flatten());
            if let Some(sb) = second {
                let pb = sb.get(i).copied().flatten();
                match pt {
                    Some(_) => {
                        let cell = |e: Option<f64>| e.map(num).unwrap_or_else(|| "-".into());
                        spans.push(Span::raw(format!(
                            " {:>5} {:>6}",
                            cell(err(pt, pa)),
                            cell(err(pt, pb))
                        )));
                    }
                    None => spans.push(Span::styled(" missing", t.warn())),
                }
                l.push(Line::from(spans));
                continue;
            }
            match (pt, pa) {
                (Some(_), Some(_)) => {
                    let e = err(pt, pa).unwrap_or(f64::NAN);
                    spans.push(Span::raw(format!(" {}", num(e))));
                }
                (Some((x, y)), None) => {
                    spans.push(Span::styled(format!(" {x:.0},{y:.0}"), t.dim()))
                }
                (None, _) => spans.push(Span::styled(" missing", t.warn())),
            }
            l.push(Line::from(spans));
        }
        f.render_widget(
            Paragraph::new(l).block(
                Block::default()
                    .borders(Borders::LEFT)
                    .border_style(t.dim()),
            ),
            legend,
        );
    }
}

/// Draws the finished image (or why there is none), then names when asked.
pub fn draw_image(app: &App, f: &mut Frame, area: Rect, names: bool) {
    let t = &app.theme;
    match &app.image {
        Some(img) if img.cells == (area.width, area.height) => match &img.result {
            Ok(p) => {
                f.render_widget(ratatui_image::Image::new(p), area);
                // Edit mode (sixel, kitty): the crosshair's cells over the base.
                if let Some(pt) = &img.patch {
                    let r = Rect::new(area.x + pt.area.x, area.y + pt.area.y, pt.area.w, pt.area.h)
                        .intersection(area);
                    f.render_widget(ratatui_image::Image::new(&pt.protocol), r);
                    if let ratatui_image::protocol::Protocol::Kitty(_) = &pt.protocol {
                        let cols = p.size().width;
                        crate::tui::image::patch::kitty_resume(f.buffer_mut(), area, pt.area, cols);
                    }
                }
                if names {
                    for (i, c) in img.marker_cells.iter().enumerate() {
                        let (Some((cx, cy)), Some(name)) = (c, app.data.keypoints.get(i)) else {
                            continue;
                        };
                        let x = area.x + cx + 1;
                        let y = area.y + cy;
                        if x >= area.right() || y >= area.bottom() {
                            continue;
                        }
                        let w = (area.right() - x).min(name.chars().count() as u16);
                        f.render_widget(
                            Paragraph::new(Span::styled(
                                name.clone(),
                                Style::default().fg(keypoint_color(app, i)),
                            )),
                            Rect::new(x, y, w, 1),
                        );
                    }
                }
            }
            Err(e) => f.render_widget(
                Paragraph::new(crate::tui::views::widgets::error_span(t, e))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            ),
        },
        _ => f.render_widget(Paragraph::new(Span::styled("drawing…", t.dim())), area),
    }
}
