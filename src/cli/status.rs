//! `posedeck status [PROJECT] [--json]`: the whole project model, as a readable summary or
//! as JSON (documented in README.md).

use crate::formats::config::ConfigSummary;
use crate::project::{ErrorStats, ModelRun, Project, VideoInfo, VideoKind};
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
    let project = open(&args.project, !args.no_probe)?;
    print(&project, args.json)
}

/// Opens a project folder, run folder or registry key, as `posedeck status` does.
pub fn open(arg: &str, probe_videos: bool) -> crate::Result<Project> {
    let (root, entry) = crate::project::layout::resolve(arg)?;
    let layout = crate::project::layout::discover(&root, entry)?;
    let opts = crate::project::LoadOptions {
        probe_videos,
        ..Default::default()
    };
    Ok(Project::from_layout(layout, opts))
}

/// Prints a project to stdout as `posedeck status` does: the human summary, or JSON.
pub fn print(project: &Project, json: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout().lock();
    // JSON goes straight to stdout (a 5,000-run project is ~70 MB of it: never held whole).
    let written = if json {
        let mut w =
            crate::sanitize::JsonControls::new(std::io::BufWriter::with_capacity(1 << 16, stdout));
        serde_json::to_writer_pretty(&mut w, project)
            .map_err(std::io::Error::from)
            .and_then(|_| w.write_all(b"\n"))
            .and_then(|_| w.flush())
    } else {
        let out = render(project);
        let mut stdout = stdout;
        stdout
            .write_all(out.as_bytes())
            .and_then(|_| stdout.flush())
    };
    // A closed pipe (`| head`) is not an error worth a message.
    match written {
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

/// A config's summary in one line, from what it sets: "heatmap resnet18, resize 256x256,
/// 30 epochs, split 0.80/0.10/0.10, all train frames". `model`: lead with the model type and
/// backbone. `train_frames_used`: the train set's actual size (from a run's metrics), shown
/// instead of the config's `train_frames`.
pub fn config_text(c: &ConfigSummary, model: bool, train_frames_used: Option<usize>) -> String {
    let mut parts = Vec::new();
    if model {
        let kind: Vec<String> = [&c.model_type, &c.backbone]
            .into_iter()
            .flatten()
            .map(|s| clean(s).into_owned())
            .collect();
        if !kind.is_empty() {
            parts.push(kind.join(" "));
        }
    }
    if let Some([h, w]) = c.image_size {
        parts.push(format!("resize {w}x{h}"));
    }
    match (c.min_epochs, c.max_epochs) {
        (Some(lo), Some(hi)) if lo < hi => parts.push(format!("{lo}-{hi} epochs")),
        (_, Some(hi)) => parts.push(format!("{hi} epochs")),
        (Some(lo), None) => parts.push(format!("at least {lo} epochs")),
        (None, None) => {}
    }
    if let Some(steps) = c.max_steps.filter(|&s| s > 0) {
        parts.push(format!("at most {steps} steps"));
    }
    if let (Some(t), Some(v)) = (c.train_prob, c.val_prob) {
        let test = c.test_prob.unwrap_or(1.0 - t - v).max(0.0);
        parts.push(format!("split {t:.2}/{v:.2}/{test:.2}"));
    }
    match (train_frames_used, c.train_frames) {
        (Some(n), _) => parts.push(format!("{n} train frames")),
        (None, Some(f)) if f > 0.0 && f < 1.0 => {
            parts.push(format!("{:.0}% of train frames", f * 100.0))
        }
        (None, Some(1.0)) => parts.push("all train frames".into()),
        (None, Some(f)) if f > 1.0 => parts.push(format!("{f:.0} train frames")),
        _ => {}
    }
    if !c.losses.is_empty() {
        parts.push(format!("losses {}", clean(&c.losses.join(" + "))));
    }
    parts.join(", ")
}

/// One line of the videos list.
fn video_line(v: &VideoInfo) -> String {
    let frames = |pr: &crate::project::VideoProbe| {
        pr.frames
            .map_or("? frames".into(), |f| format!("{f} frames"))
    };
    let size = |pr: &crate::project::VideoProbe| match (pr.width, pr.height) {
        (Some(w), Some(h)) => Some(format!("{w}x{h}")),
        _ => None,
    };
    let what = match (v.kind, &v.probe) {
        (VideoKind::FrameFolder, Some(pr)) => {
            let mut parts = vec![format!(
                "frame folder: {} {}",
                pr.frames.map_or("?".into(), |f| f.to_string()),
                pr.codec
                    .as_deref()
                    .map_or("image".into(), |c| format!("{} images", clean(c)))
            )];
            parts.extend(size(pr));
            parts.push("fps unknown".into());
            parts.join(", ")
        }
        (VideoKind::File, Some(pr)) => {
            let mut parts = vec![frames(pr)];
            parts.push(pr.fps.map_or("? fps".into(), |f| {
                format!("{f:.4} fps").replace(".0000", "")
            }));
            parts.push(pr.codec.as_deref().map_or("?".into(), c));
            parts.extend(pr.pix_fmt.as_deref().map(c));
            parts.extend(size(pr));
            if let Some(b) = pr.bframes {
                parts.push(if b { "B-frames" } else { "no B-frames" }.into());
            }
            if let Some(k) = pr.keyframe_interval {
                parts.push(format!("keyframe interval {k}"));
            }
            parts.join(", ")
        }
        (_, None) => "unknown".to_string(),
    };
    let slash = if v.kind == VideoKind::FrameFolder {
        "/"
    } else {
        ""
    };
    let mut line = format!(
        "  {}/{}{slash}  {}  {}",
        c(&v.folder),
        c(&v.file),
        human_size(v.size_bytes),
        what
    );
    if let Some(e) = &v.probe_error {
        line.push_str(&format!(" ({})", c(e)));
    }
    for w in v.probe.iter().flat_map(|p| &p.warnings) {
        line.push_str(&format!("\n    warning: {}", c(w)));
    }
    line
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
    if let Some(cfg) = &p.config {
        let name = p
            .layout
            .config_path
            .as_deref()
            .and_then(|f| f.file_name())
            .map_or("config".into(), |n| n.to_string_lossy().into_owned());
        let _ = writeln!(o, "{}: {}", c(&name), config_text(cfg, true, None));
    }
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
    if let Some(q) = &p.labeling_queue {
        let _ = writeln!(
            o,
            "labeling queue: {} frames to label ({})",
            q.n_queued_frames,
            q.files
                .iter()
                .map(|f| f
                    .file_name()
                    .map(|n| c(&n.to_string_lossy()))
                    .unwrap_or_default())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(o, "videos ({}):", p.videos.len());
    for v in &p.videos {
        let _ = writeln!(o, "{}", video_line(v));
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
            if let Some(cfg) = &m.config {
                let text = config_text(cfg, false, m.n_train_frames);
                if !text.is_empty() {
                    let _ = writeln!(o, "      config: {text}");
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_text_says_what_is_set() {
        let mut c = ConfigSummary {
            model_type: Some("heatmap_mhcrnn".into()),
            backbone: Some("resnet50".into()),
            image_size: Some([256, 384]),
            min_epochs: Some(100),
            max_epochs: Some(300),
            train_prob: Some(0.95),
            val_prob: Some(0.05),
            train_frames: Some(0.5),
            losses: vec!["pca_singleview".into(), "temporal".into()],
            ..Default::default()
        };
        assert_eq!(
            config_text(&c, true, None),
            "heatmap_mhcrnn resnet50, resize 384x256, 100-300 epochs, split 0.95/0.05/0.00, \
             50% of train frames, losses pca_singleview + temporal"
        );
        // A run's metrics know the train set's real size; the model is in its own column.
        assert_eq!(
            config_text(&c, false, Some(812)),
            "resize 384x256, 100-300 epochs, split 0.95/0.05/0.00, 812 train frames, \
             losses pca_singleview + temporal"
        );
        c.train_frames = Some(200.0);
        c.max_steps = Some(5000);
        c.min_epochs = None;
        assert!(config_text(&c, false, None).contains("300 epochs, at most 5000 steps"));
        assert!(config_text(&c, false, None).contains("200 train frames"));
        assert_eq!(config_text(&ConfigSummary::default(), true, None), "");
    }
}
