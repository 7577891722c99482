//! `posedeck predict RUN VIDEO_OR_DIR... [--out DIR]`: runs a trained model over videos (H.264
//! MP4 decoded in-process, other codecs via ffmpeg) and PNG/JPEG frame folders, writing Lightning Pose's video prediction CSV
//! and temporal norm (default: the project's video_preds_infer/).

use crate::engine::{self, DeviceRequest, JobEvent, PredictRequest};
use crate::sanitize::clean;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The model folder (with config.yaml and tb_logs/.../checkpoints).
    #[arg(required_unless_present = "job_dir")]
    pub run: Option<PathBuf>,
    /// Videos and/or folders of PNG/JPEG frames.
    #[arg(required_unless_present = "job_dir")]
    pub sources: Vec<PathBuf>,
    /// Output folder (default: <project>/video_preds_infer).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, default_value = "auto")]
    pub device: DeviceRequest,
    /// Frames per batch (default: training.test_batch_size).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Queue the prediction as a detached job (in `<RUN>/predict_jobs/`); prints its folder
    /// and the worker's pid and returns at once.
    #[arg(long)]
    pub detach: bool,
    /// The worker of a queued prediction job: run the job folder DIR's request.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["run", "sources", "out", "batch", "detach"])]
    pub job_dir: Option<PathBuf>,
    #[command(flatten)]
    pub slurm: crate::cli::slurm_args::SlurmArgs,
}

pub fn run(a: &PredictArgs) -> anyhow::Result<()> {
    if let Some(dir) = &a.job_dir {
        return run_worker(a, dir);
    }
    let req = PredictRequest {
        run: a.run.clone().unwrap_or_default(),
        sources: a.sources.clone(),
        out: a.out.clone(),
        device: a.device,
        batch: a.batch,
    };
    if a.slurm.slurm {
        return run_slurm(a, &req);
    }
    if a.detach {
        let dir = crate::jobs::pending::prepare_predict(&req)?;
        let project = crate::jobs::job_file::JobFile::load(&dir)?.project;
        return crate::cli::jobs::detach(&project, &dir, false);
    }
    let job = engine::start_predict(req);
    signal_hook::flag::register(signal_hook::consts::SIGINT, job.cancel_flag())?;
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} frames {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_prefix("predict");
    let handle = |e: JobEvent| match e {
        JobEvent::Device { name, reason } => line(&pb, format!("device: {name} ({reason})")),
        JobEvent::Frames {
            source,
            done,
            total,
        } => {
            pb.set_length(total.unwrap_or(done) as u64);
            pb.set_position(done as u64);
            pb.set_message(clean(&source).into_owned());
        }
        JobEvent::Warning(w) => line(&pb, format!("warning: {}", clean(&w))),
        _ => {}
    };
    while !job.is_finished() {
        if let Some(e) = job.next_event(Duration::from_millis(200)) {
            handle(e);
        }
    }
    for e in job.drain_events() {
        handle(e);
    }
    pb.finish_and_clear();
    let out = job.wait()?;
    report(&out)
}

/// `posedeck predict --job-dir DIR`: the worker of a queued prediction job.
fn run_worker(a: &PredictArgs, dir: &std::path::Path) -> anyhow::Result<()> {
    let cancel = crate::jobs::worker::cancel_on_signals()?;
    let device = (a.device != DeviceRequest::Auto).then_some(a.device);
    let mut show = |e: &JobEvent| match e {
        JobEvent::Device { name, reason } => eprintln!("device: {name} ({reason})"),
        JobEvent::Warning(w) => eprintln!("warning: {}", clean(w)),
        JobEvent::Frames {
            source,
            done,
            total: Some(t),
        } if done == t => println!("{} {done}/{t} frames", clean(source)),
        _ => {}
    };
    let out = crate::jobs::worker::run_predict(dir, device, cancel, &mut show)?;
    report(&out)
}

fn report(out: &crate::engine::PredictOutcome) -> anyhow::Result<()> {
    let mut s = String::new();
    for (csv, n) in &out.outputs {
        s.push_str(&format!(
            "{} ({n} frames)\n",
            clean(&csv.display().to_string())
        ));
    }
    s.push_str(&format!("{:.1} frames/s\n", out.frames_per_sec));
    crate::cli::out::print(&s)?;
    if out.canceled {
        eprintln!("posedeck: canceled");
        std::process::exit(130);
    }
    Ok(())
}

/// A message line above the progress bar (or on stderr when the bar is hidden).
fn line(pb: &ProgressBar, msg: impl AsRef<str>) {
    if pb.is_hidden() {
        eprintln!("{}", msg.as_ref());
    } else {
        pb.println(msg.as_ref());
    }
}

/// `--slurm`: a job array, one task per source, each running `posedeck predict RUN SOURCE`;
/// the job's files go into its folder `RUN/predict_jobs/<stamp>` (made as a local job's is).
fn run_slurm(a: &PredictArgs, req: &PredictRequest) -> anyhow::Result<()> {
    let res = a.slurm.resources()?;
    let crate::jobs::slurm::launch::Submitted { dir, record: rec } =
        crate::jobs::slurm::launch::predict(req, &res)?;
    crate::cli::out::print(&format!(
        "{}\nSLURM job {} ({} tasks)\n",
        clean(&dir.display().to_string()),
        rec.job_id,
        a.sources.len()
    ))?;
    Ok(())
}
