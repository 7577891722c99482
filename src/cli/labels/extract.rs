//! `posedeck labels extract PROJECT --video V --n N --method uniform|kmeans|outliers|manual`:
//! chooses frames to label, writes them (with their context frames) to
//! `labeled-data/<video>/img%08d.png` and queues them in the new Lightning Pose app's labeler
//! queue. See [`crate::labels::extract`].

use crate::labels::extract::{self, Control, Method, Metric, Request, target};
use crate::sanitize::clean;
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodArg {
    /// Evenly spaced over the video.
    Uniform,
    /// Pose diversity: k-means on downsampled grey frames (as Lightning Pose does).
    Kmeans,
    /// The frames where --model is least trustworthy (by --metric).
    Outliers,
    /// The frames given with --frames.
    Manual,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricArg {
    /// Lowest keypoint likelihood (`video_preds/<video>.csv`).
    Likelihood,
    /// Largest temporal norm (`<video>_temporal_norm.csv`).
    Temporal,
    /// Largest PCA error (`<video>_pca_singleview_error.csv`, else `_pca_multiview_error.csv`).
    Pca,
}

#[derive(clap::Args, Debug)]
pub struct ExtractArgs {
    /// The project: a folder or a registry key.
    pub project: String,
    /// The video: a file or frame folder, or the name of one in the project's video folders.
    #[arg(long)]
    pub video: String,
    /// How many frames to choose (not with --method manual).
    #[arg(long, default_value_t = 10)]
    pub n: usize,
    #[arg(long, value_enum, default_value_t = MethodArg::Kmeans)]
    pub method: MethodArg,
    /// The model run (a folder, or its name in the project) whose video predictions rank the
    /// frames (outliers) or are stored with them (--with-predictions).
    #[arg(long = "model", value_name = "RUN")]
    pub model: Option<String>,
    #[arg(long, value_enum, default_value_t = MetricArg::Likelihood)]
    pub metric: MetricArg,
    /// Context frames written on each side of a chosen frame (context models read them).
    #[arg(long, default_value_t = 2)]
    pub context: usize,
    /// Frame indices for --method manual, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub frames: Vec<usize>,
    /// Outliers: chosen frames at least this many frames apart.
    #[arg(long, default_value_t = 10)]
    pub min_gap: usize,
    /// k-means seed (the same seed and video give the same frames).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Queue each frame with --model's predictions on it, as a starting point for labeling.
    #[arg(long)]
    pub with_predictions: bool,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &ExtractArgs) -> anyhow::Result<()> {
    crate::tempfiles::install_signal_cleanup()?;
    let (root, entry) = crate::project::layout::resolve(&a.project)?;
    let layout = crate::project::layout::discover(&root, entry)?;
    let video = target::resolve_video(&layout.root, &a.video)?;
    let mut views = target::plan(&target::label_views(&layout), &video)?.into_iter();
    let (video, csv) = views
        .next()
        .ok_or_else(|| anyhow::anyhow!("no label CSV"))?;
    let run = a
        .model
        .as_deref()
        .map(|m| target::resolve_run(&layout, m))
        .transpose()?;
    let method = match a.method {
        MethodArg::Uniform => Method::Uniform,
        MethodArg::Kmeans => Method::Kmeans,
        MethodArg::Manual => {
            if a.frames.is_empty() {
                anyhow::bail!("--method manual needs --frames F1,F2,...");
            }
            Method::Manual(a.frames.clone())
        }
        MethodArg::Outliers => Method::Outliers {
            run: run
                .as_ref()
                .map(|r| r.1.clone())
                .ok_or_else(|| anyhow::anyhow!("--method outliers needs --model RUN"))?,
            metric: match a.metric {
                MetricArg::Likelihood => Metric::Likelihood,
                MetricArg::Temporal => Metric::Temporal,
                MetricArg::Pca => Metric::Pca,
            },
        },
    };
    if a.with_predictions && run.is_none() {
        anyhow::bail!("--with-predictions needs --model RUN");
    }
    let req = Request {
        root: layout.root.clone(),
        video,
        csv,
        siblings: views.collect(),
        n: a.n,
        method,
        context: a.context,
        min_gap: a.min_gap,
        seed: a.seed,
        predictions_from: run.filter(|_| a.with_predictions),
    };
    let bar = indicatif::ProgressBar::hidden();
    if !a.json && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:16} {bar:30} {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    }
    let b = bar.clone();
    let ctl = Control {
        on_progress: Some(std::sync::Arc::new(move |stage: &str, done, total| {
            b.set_message(stage.to_string());
            b.set_length(total as u64);
            b.set_position(done as u64);
        })),
        ..Control::default()
    };
    let t = std::time::Instant::now();
    let report = extract::run(&req, &ctl);
    bar.finish_and_clear();
    let report = report?;
    let secs = t.elapsed().as_secs_f64();
    if a.json {
        let v = serde_json::json!({
            "video": report.stem,
            "method": req.method.name(),
            "n_video_frames": report.n_video_frames,
            "frames": report.picked.iter().map(|p| serde_json::json!({
                "frame": p.frame,
                "frame_path": extract::frame_path(&report.stem, p.frame),
                "reason": p.reason,
            })).collect::<Vec<_>>(),
            "written": report.written.iter().map(|p| crate::util::escape_path(p).into_owned()).collect::<Vec<_>>(),
            "kept": report.kept.len(),
            "queue": crate::util::escape_path(&report.queue),
            "queued": report.queued,
            "seconds": secs,
        });
        return crate::cli::out::print_json(&v);
    }
    let mut out = String::new();
    for p in &report.picked {
        match &p.reason {
            Some(r) => out.push_str(&format!("frame {}: {}\n", p.frame, clean(r))),
            None => out.push_str(&format!("frame {}\n", p.frame)),
        }
    }
    let dir: PathBuf = layout.root.join("labeled-data").join(&report.stem);
    out.push_str(&format!(
        "{} frames chosen ({}) from {} ({} frames); {} images written to {} ({} already there), {} queued in {} ({:.1} s)\n",
        report.picked.len(),
        req.method.name(),
        clean(&report.stem),
        report.n_video_frames,
        report.written.len(),
        crate::util::escape_path(&dir),
        report.kept.len(),
        report.queued,
        crate::util::escape_path(&report.queue),
        secs
    ));
    crate::cli::out::print(&out)
}
