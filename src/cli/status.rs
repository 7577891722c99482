//! `posedeck status [PROJECT] [--json]`: the whole project model, as a readable summary or
//! as JSON (documented in README.md).

use crate::project::{ErrorStats, ModelRun, Project};
use crate::sanitize::clean;
use std::fmt::Write as _;

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Project folder, model run folder or registry key (~/.lightning-pose/projects.toml).
    #[arg(default_value = ".")]
    pub project: String,
    /// Print the project model as JSON.
    #[arg(long)]
    pub json: bool,
    /// Do not run ffprobe on the videos.
    #[arg(long)]
    pub no_probe: bool,
}

pub fn run(args: &StatusArgs) -> anyhow::Result<()> {
    let (root, entry) = crate::project::layout::resolve(&args.project)?;
    let layout = crate::project::layout::discover(&root, entry)?;
    let opts = crate::project::LoadOptions {
        probe_videos: !args.no_probe,
        ..Default::default()
    };
    let project = Project::from_layout(layout, opts);
    let out = if args.json {
        let mut s = serde_json::to_string_pretty(&project)?;
        s.push('\n');
        s
    } else {
        render(&project)
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    match stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// "1.6 MB".
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn c(s: &str) -> String {
    clean(s).into_owned()
}

fn pixel_error_text(m: &ModelRun) -> String {
    let fmt = |s: &ErrorStats| match (s.mean, s.median) {
        (Some(a), Some(b)) => format!("{a:.2}/{b:.2}"),
        _ => "-".into(),
    };
    let order = ["train", "validation", "test"];
    let mut parts: Vec<String> = order
        .iter()
        .filter_map(|k| m.pixel_error.get(*k).map(|s| format!("{k} {}", fmt(s))))
        .collect();
    for (k, s) in &m.pixel_error {
        if !order.contains(&k.as_str()) && k != "all" && k != "unused" {
            parts.push(format!("{} {}", c(k), fmt(s)));
        }
    }
    if parts.is_empty()
        && let Some(all) = m.pixel_error.get("all")
    {
        parts.push(format!("all {}", fmt(all)));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("  ")
    }
}

/// The human summary.
pub fn render(p: &Project) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}  ({}){}",
        c(&p.name),
        p.layout.kind.describe(),
        if p.views.is_empty() {
            String::new()
        } else {
            format!(", views: {}", c(&p.views.join(", ")))
        }
    );
    let _ = writeln!(o, "  {}", c(&p.root.display().to_string()));
    let l = &p.labels;
    if !l.keypoints.is_empty() {
        let names: Vec<String> = l
            .keypoints
            .iter()
            .map(|k| match p.keypoint_styles.iter().find(|s| &s.name == k) {
                Some(s) => {
                    let mut t = c(k);
                    if let Some(h) = &s.hotkey {
                        t.push_str(&format!(" [{}]", c(h)));
                    }
                    t
                }
                None => c(k),
            })
            .collect();
        let _ = writeln!(o, "keypoints ({}): {}", l.keypoints.len(), names.join(", "));
    }
    if !l.per_view.is_empty() || !l.label_errors.is_empty() {
        let _ = writeln!(
            o,
            "labels: {} labeled frames, {} with a missing keypoint, {} context frames{}",
            l.n_labeled_frames,
            l.n_frames_with_missing_keypoints,
            l.n_context_frames,
            if l.n_missing_images > 0 {
                format!(", {} images missing", l.n_missing_images)
            } else {
                String::new()
            }
        );
        let w = l
            .labeled_frames_per_video
            .keys()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0)
            .min(40);
        for (video, n) in &l.labeled_frames_per_video {
            let _ = writeln!(o, "  {:<w$}  {n}", c(video));
        }
        for e in &l.label_errors {
            let _ = writeln!(o, "  error: {}", c(e));
        }
    }
    match &p.labeling_progress {
        Some(g) => {
            let _ = writeln!(
                o,
                "labeling progress: {}/{} ({:.0}%)",
                g.n_labeled_tasks,
                g.n_total_tasks,
                g.fraction * 100.0
            );
        }
        None => {
            let _ = writeln!(o, "labeling progress: unknown");
        }
    }
    let _ = writeln!(o, "videos ({}):", p.videos.len());
    for v in &p.videos {
        let probe = match &v.probe {
            Some(pr) => {
                let mut parts = Vec::new();
                parts.push(
                    pr.frames
                        .map_or("? frames".into(), |f| format!("{f} frames")),
                );
                parts.push(pr.fps.map_or("? fps".into(), |f| {
                    format!("{f:.4} fps").replace(".0000", "")
                }));
                parts.push(pr.codec.as_deref().map_or("?".into(), c));
                if let (Some(w), Some(h)) = (pr.width, pr.height) {
                    parts.push(format!("{w}x{h}"));
                }
                parts.join(", ")
            }
            None => "unknown".to_string(),
        };
        let _ = writeln!(
            o,
            "  {}/{}  {}  {}",
            c(&v.folder),
            c(&v.file),
            human_size(v.size_bytes),
            probe
        );
    }
    let _ = writeln!(o, "models ({}):", p.models.len());
    if !p.models.is_empty() {
        let rows: Vec<[String; 7]> = p
            .models
            .iter()
            .map(|m| {
                let written = m.status.map_or("-".to_string(), |s| s.to_string());
                let progress = m
                    .progress
                    .and_then(|g| Some(format!("{}/{}", g.completed?, g.total?)))
                    .unwrap_or_else(|| "-".into());
                let kind = format!(
                    "{} {}",
                    m.model_type.as_deref().map_or("-".into(), c),
                    m.backbone.as_deref().map_or("-".into(), c)
                );
                [
                    c(&m.name),
                    written,
                    m.judgement.effective_status.to_string(),
                    progress,
                    kind,
                    m.best_val_loss.map_or("-".into(), |v| format!("{v:.5}")),
                    pixel_error_text(m),
                ]
            })
            .collect();
        let head = [
            "NAME",
            "STATUS",
            "EFFECTIVE",
            "PROGRESS",
            "MODEL",
            "BEST VAL LOSS",
            "PIXEL ERROR mean/median",
        ];
        let mut widths = head.map(|h| h.len());
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r.iter()) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths.iter()).enumerate() {
                if i + 1 == cells.len() {
                    s.push_str(&format!("  {cell}"));
                } else {
                    s.push_str(&format!("  {cell:<w$}"));
                }
            }
            s.trim_end().to_string()
        };
        let _ = writeln!(o, "{}", line(&head.map(String::from)));
        for (r, m) in rows.iter().zip(&p.models) {
            let _ = writeln!(o, "{}", line(r));
            if let Some(reason) = &m.judgement.effective_reason
                && m.status.map(|s| s.to_string()) != Some(m.judgement.effective_status.to_string())
            {
                let _ = writeln!(o, "      {}: {}", m.judgement.effective_status, c(reason));
            }
            if let Some(t) = &m.stderr_tail {
                let _ = writeln!(o, "      stderr: {}", c(t));
            }
            for e in &m.errors {
                let _ = writeln!(o, "      error: {}", c(e));
            }
        }
    }
    if !p.problems.is_empty() {
        let _ = writeln!(o, "problems:");
        for e in &p.problems {
            let _ = writeln!(o, "  {}", c(e));
        }
    }
    o
}
