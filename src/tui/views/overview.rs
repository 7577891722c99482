//! The Overview: keypoints, labeled frames and missing keypoints per video with progress bars,
//! Label Studio progress, the videos, and every model run at a glance with its live status.

use crate::tui::app::App;
use crate::tui::views::widgets::{bar, num, truncate, truncate_left};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let lines = lines(app, area.width as usize);
    let max = lines.len().saturating_sub(area.height as usize);
    let scroll = app.overview_scroll.min(max) as u16;
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), area);
}

pub fn status_style(t: &crate::tui::theme::Theme, s: &str) -> ratatui::style::Style {
    match s {
        "COMPLETED" | "DONE" => t.ok(),
        "FAILED" | "STALE" | "CANCELED" => t.err(),
        "PENDING" | "STARTING" | "STARTED" | "TRAINING" | "EVALUATING" => t.warn(),
        _ => t.dim(),
    }
}

fn lines(app: &App, w: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let d = &app.data;
    let mut out: Vec<Line> = Vec::new();
    if app.loading && d.root.as_os_str().is_empty() {
        out.push(Line::from(Span::styled("reading the project…", t.dim())));
        return out;
    }
    if let Some(e) = &d.error {
        out.push(Line::from(crate::tui::views::widgets::error_span(t, e)));
        return out;
    }
    out.push(Line::from(vec![
        Span::styled("Project ", t.title()),
        Span::raw(truncate_left(
            &d.root.display().to_string(),
            w.saturating_sub(30),
        )),
        Span::styled(format!("  {}", d.kind), t.dim()),
    ]));
    let missing_pct = if d.n_labeled > 0 {
        format!(
            " ({:.0}%)",
            100.0 * d.n_missing_frames as f64 / d.n_labeled as f64
        )
    } else {
        String::new()
    };
    out.push(Line::from(vec![
        Span::styled("keypoints ", t.dim()),
        Span::styled(d.keypoints.len().to_string(), t.accent()),
        Span::styled("   labeled frames ", t.dim()),
        Span::styled(d.n_labeled.to_string(), t.accent()),
        Span::styled("   with a missing keypoint ", t.dim()),
        Span::styled(format!("{}{}", d.n_missing_frames, missing_pct), t.accent()),
    ]));
    for l in wrap_words(&d.keypoints, w.saturating_sub(2), 3) {
        out.push(Line::from(Span::styled(l, t.dim())));
    }
    match d.labeling_progress {
        Some((done, total)) if total > 0 => out.push(Line::from(vec![
            Span::styled("Label Studio ", t.dim()),
            Span::styled(bar(done as f64 / total as f64, 20), t.ok()),
            Span::raw(format!(" {done}/{total} tasks")),
        ])),
        _ => out.push(Line::from(Span::styled(
            "Label Studio progress: unknown",
            t.dim(),
        ))),
    }
    if d.n_queued > 0 {
        out.push(Line::from(vec![
            Span::styled("labeling queue ", t.dim()),
            Span::styled(d.n_queued.to_string(), t.accent()),
            Span::styled(" frames to label (Labels view: N / P)", t.dim()),
        ]));
    }
    out.push(Line::raw(""));

    // Labels per video.
    out.push(Line::from(Span::styled(
        "Labeled frames per video",
        t.title(),
    )));
    let bw = if w >= 120 { 30 } else { 12 };
    let nw = (w.saturating_sub(bw + 34)).clamp(12, 40);
    out.push(Line::from(Span::styled(
        format!(
            "  {:<nw$} {:>7} {:>8} {:>9}  complete",
            "video", "frames", "missing", "kp gaps"
        ),
        t.dim(),
    )));
    for v in &d.per_video {
        let frac = if v.labeled > 0 {
            1.0 - v.with_missing as f64 / v.labeled as f64
        } else {
            0.0
        };
        out.push(Line::from(vec![
            Span::raw(format!(
                "  {:<nw$} {:>7} {:>8} {:>9}  ",
                truncate(&v.video, nw),
                v.labeled,
                v.with_missing,
                v.missing_keypoints
            )),
            Span::styled(bar(frac, bw), t.ok()),
        ]));
    }
    out.push(Line::raw(""));

    // Videos.
    out.push(Line::from(Span::styled(
        format!("Videos {}", d.videos.len()),
        t.title(),
    )));
    for v in &d.videos {
        let name = format!("{}/{}", v.folder, v.file);
        let mut s = format!(
            "  {:<nw$} {:>9}",
            truncate(&name, nw),
            human_bytes(v.size_bytes)
        );
        match (v.frames, v.fps) {
            (Some(n), Some(fps)) => s.push_str(&format!(" {n:>7} frames {fps:>6.1} fps")),
            (Some(n), None) => s.push_str(&format!(" {n:>7} frames")),
            _ => {}
        }
        if let Some(c) = &v.codec {
            s.push_str(&format!(" {c}"));
        }
        let mut spans = vec![Span::raw(s)];
        if let Some(n) = &v.note {
            spans.push(Span::styled(format!("  {n}"), t.dim()));
        }
        out.push(Line::from(spans));
        for w in &v.warnings {
            out.push(Line::from(Span::styled(format!("    ! {w}"), t.warn())));
        }
    }
    out.push(Line::raw(""));

    // The workstation's own jobs that have not ended (details in the Jobs view).
    let live: Vec<_> = app
        .jobs
        .jobs
        .iter()
        .filter(|j| !j.state.is_done())
        .collect();
    if !live.is_empty() {
        out.push(Line::from(Span::styled(
            format!("Jobs {} (6: details, cancel)", live.len()),
            t.title(),
        )));
        let jw = w.saturating_sub(2 + 10 + 24 + 12).clamp(12, 48);
        for j in live {
            let prog = match j.progress {
                Some(p) if p.total > 0 => format!(
                    "{} {}/{} {}",
                    bar(p.done as f64 / p.total as f64, 6),
                    p.done,
                    p.total,
                    j.unit
                ),
                _ => j.phase.clone(),
            };
            let left = j
                .remaining()
                .map(|s| format!("{} left", crate::tui::state::job_list::clock(s)))
                .unwrap_or_default();
            out.push(Line::from(vec![
                Span::raw(format!("  {:<jw$} ", truncate(&j.title(), jw))),
                Span::styled(format!("{:<9} ", j.state.label()), t.dim()),
                Span::raw(format!("{:<24} {left}", truncate(&prog, 24))),
            ]));
        }
        out.push(Line::raw(""));
    }

    // Runs.
    out.push(Line::from(Span::styled(
        format!("Model runs {}", d.runs.len()),
        t.title(),
    )));
    // run, status, progress, val loss, px err; the run name takes what is left.
    let rw = w.saturating_sub(2 + 12 + 15 + 11 + 10).clamp(12, 48);
    out.push(Line::from(Span::styled(
        format!(
            "  {:<rw$} {:<11} {:<14} {:>10} {:>9}",
            "run", "status", "progress", "val loss", "px err"
        ),
        t.dim(),
    )));
    for r in &d.runs {
        let prog = match r.progress {
            Some((c, n)) if n > 0 => format!("{} {c}/{n}", bar(c as f64 / n as f64, 6)),
            _ => String::new(),
        };
        let err = crate::tui::state::models::headline_error(r);
        out.push(Line::from(vec![
            Span::raw(format!("  {:<rw$} ", truncate(&r.name, rw))),
            Span::styled(
                format!("{:<11} ", r.effective),
                status_style(t, &r.effective),
            ),
            Span::raw(format!(
                "{:<14} {:>10} {:>9}",
                truncate(&prog, 14),
                r.best_val_loss.map(num).unwrap_or_else(|| "-".into()),
                err.map(num).unwrap_or_else(|| "-".into())
            )),
        ]));
        // Why the judged status differs, and the run's problems, on lines of their own.
        let mut why = Vec::new();
        if r.effective != r.status {
            why.push(format!("written {}", r.status));
        }
        if let Some(x) = &r.reason {
            why.push(x.clone());
        }
        if !why.is_empty() {
            out.push(Line::from(Span::styled(
                truncate(&format!("    {}", why.join(": ")), w),
                t.dim(),
            )));
        }
        for e in &r.errors {
            out.push(Line::from(vec![
                Span::raw("    "),
                crate::tui::views::widgets::error_span(t, e),
            ]));
        }
    }
    if !d.warnings.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::from(Span::styled("Problems", t.title())));
        for wmsg in &d.warnings {
            out.push(Line::from(vec![
                Span::raw("  "),
                crate::tui::views::widgets::error_span(t, wmsg),
            ]));
        }
    }
    out
}

pub fn human_bytes(b: u64) -> String {
    const U: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

/// Words joined by spaces into lines of at most `w` characters, at most `max` lines (the last
/// one says how many did not fit).
fn wrap_words(words: &[String], w: usize, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, word) in words.iter().enumerate() {
        let need = if cur.is_empty() { 0 } else { 1 } + word.chars().count();
        if !cur.is_empty() && cur.chars().count() + need > w {
            lines.push(std::mem::take(&mut cur));
            if lines.len() == max {
                let more = format!(" (+{} more)", words.len() - i);
                let last = lines.last_mut().map(std::mem::take).unwrap_or_default();
                let keep = w.saturating_sub(more.chars().count());
                if let Some(l) = lines.last_mut() {
                    *l = format!("{}{more}", truncate(&last, keep));
                }
                return lines;
            }
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn keypoint_names_wrap() {
        let w: Vec<String> = ["aa", "bb", "cc", "dd", "ee"].map(String::from).to_vec();
        assert_eq!(super::wrap_words(&w, 5, 9), ["aa bb", "cc dd", "ee"]);
        let l = super::wrap_words(&w, 5, 1);
        assert_eq!(l.len(), 1);
        assert!(l[0].ends_with("(+3 more)"), "{l:?}");
    }
}
