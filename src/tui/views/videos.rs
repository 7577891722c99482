//! The Videos view: a video (an MP4 decoded in-process, or a frame folder) and a model's
//! predictions on it, scrubbed frame by frame; without the video file the keypoints are drawn
//! on a blank canvas (and the view says so); likelihood and temporal-norm timelines run under
//! the frame with the cursor on the current frame.

use crate::tui::app::App;
use crate::tui::frames::videos_layout;
use crate::tui::state::videos::{models_for, n_frames, video_names};
use crate::tui::views::widgets::num;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let (info, img, timelines) = videos_layout(area);
    let names = video_names(app);
    let st = &app.videos;
    let Some(video) = names.get(st.video) else {
        let msg = if app.loading {
            "reading videos…"
        } else {
            "no videos and no video predictions in this project"
        };
        f.render_widget(Paragraph::new(Span::styled(msg, t.dim())), area);
        return;
    };
    let models = models_for(app, video);
    let model = models.get(st.model.min(models.len().saturating_sub(1)));
    let n = n_frames(app);
    let mut l1 = vec![
        Span::styled("video ", t.dim()),
        Span::styled(format!("{video} "), t.title()),
        Span::styled(format!("({}/{})  ", st.video + 1, names.len()), t.dim()),
        Span::styled("model ", t.dim()),
        Span::styled(
            model.map(|m| m.1.clone()).unwrap_or_else(|| "none".into()),
            t.accent(),
        ),
    ];
    if models.len() > 1 {
        l1.push(Span::styled(
            format!(" ({}/{})", st.model + 1, models.len()),
            t.dim(),
        ));
    }
    let note = if !crate::tui::frames::video_present(app) {
        "   video file not found: keypoints on a blank canvas"
    } else if model.is_none() {
        "   no predictions for this video"
    } else {
        ""
    };
    let mut l2 = vec![
        Span::styled("frame ", t.dim()),
        Span::styled(format!("{}", st.frame), t.accent()),
        Span::styled(format!(" / {}", n.saturating_sub(1)), t.dim()),
        Span::styled(note, t.warn()),
    ];
    if let Some(p) = &app.extraction {
        l2.push(Span::styled("   extracting: ", t.dim()));
        l2.push(Span::styled(
            if p.total > 0 {
                format!("{} {}/{}", p.stage, p.done, p.total)
            } else {
                p.stage.clone()
            },
            t.accent(),
        ));
    }
    let l2 = Line::from(l2);
    f.render_widget(Paragraph::new(vec![Line::from(l1), l2]), info);

    let frame_box = img.outer(Margin::new(1, 1));
    f.render_widget(
        Block::default()
            .borders(Borders::ALL)
            .title_bottom(Span::styled(format!(" {} ", app.protocol), t.dim()))
            .border_style(t.dim()),
        frame_box,
    );
    match &st.preds {
        None if model.is_none() && crate::tui::frames::video_present(app) => {
            crate::tui::views::labels::draw_image(app, f, img, false)
        }
        None if model.is_none() => f.render_widget(
            Paragraph::new(Span::styled("no predictions for this video", t.dim())),
            img,
        ),
        None => f.render_widget(
            Paragraph::new(Span::styled("reading predictions…", t.dim())),
            img,
        ),
        Some((_, Err(e))) => f.render_widget(
            Paragraph::new(crate::tui::views::widgets::error_span(t, e))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            img,
        ),
        Some((_, Ok(_))) => crate::tui::views::labels::draw_image(app, f, img, false),
    }

    // Timelines: mean likelihood and temporal norm per frame, downsampled to the width.
    let Some((_, Ok(p))) = &st.preds else { return };
    let [a, b] =
        Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(timelines);
    let lik: Vec<f64> = p
        .frames
        .iter()
        .map(|row| {
            let v: Vec<f64> = row
                .iter()
                .flatten()
                .map(|k| k.2)
                .filter(|x| x.is_finite())
                .collect();
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        })
        .collect();
    timeline(app, f, a, "likelihood", &lik, Some(1.0));
    match &p.temporal_norm {
        Some(tn) => timeline(app, f, b, "temporal norm (px)", tn, None),
        None => f.render_widget(
            Paragraph::new(Span::styled(
                p.note
                    .clone()
                    .unwrap_or_else(|| "no temporal-norm file".into()),
                t.dim(),
            )),
            b,
        ),
    }
}

fn timeline(app: &App, f: &mut Frame, area: Rect, name: &str, v: &[f64], max: Option<f64>) {
    let t = &app.theme;
    if area.height == 0 || area.width < 4 {
        return;
    }
    let cur = v.get(app.videos.frame).copied().unwrap_or(f64::NAN);
    let title = format!(" {name}: {} ", num(cur));
    let w = area.width as usize;
    let n = v.len().max(1);
    let top = max.unwrap_or_else(|| {
        v.iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max)
    });
    let scale = if top > 0.0 { 100.0 / top } else { 0.0 };
    let cols: Vec<u64> = (0..w)
        .map(|c| {
            let (s, e) = (c * n / w, ((c + 1) * n / w).max(c * n / w + 1).min(n));
            let seg = v.get(s..e).unwrap_or(&[]);
            let m = seg
                .iter()
                .copied()
                .filter(|x| x.is_finite())
                .fold(f64::NAN, f64::max);
            if m.is_finite() {
                (m * scale).round().max(0.0) as u64
            } else {
                0
            }
        })
        .collect();
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let cursor = (app.videos.frame * w / n).min(w.saturating_sub(1));
    let mut marker = " ".repeat(cursor);
    marker.push('▼');
    f.render_widget(
        Paragraph::new(Line::from(vec![Span::styled(marker, t.accent())])),
        head,
    );
    f.render_widget(
        Paragraph::new(Span::styled(title, t.dim())),
        Rect {
            width: area.width.min(30),
            ..head
        },
    );
    f.render_widget(
        Sparkline::default().data(&cols).max(100).style(t.accent()),
        body,
    );
}
