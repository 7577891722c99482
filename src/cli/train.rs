//! `posedeck train [PROJECT] [--config FILE] [--name NAME] [--device auto|gpu|cpu]
//! [--resume RUN] [--backbone-weights FILE]`: trains headless with a progress bar; ctrl-c
//! cancels (the run is saved for `--resume`).

use crate::engine::{self, DeviceRequest, JobEvent, TrainRequest};
use crate::sanitize::clean;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// The project folder (default: the current folder).
    pub project: Option<PathBuf>,
    /// The model config (default: the project's model_config_*.yaml or config.yaml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Name of the run folder (models/NAME); default models/YYYY-MM-DD/HH-MM-SS.
    #[arg(long)]
    pub name: Option<String>,
    /// auto: a real GPU through wgpu, else the CPU (flex); gpu: insist on a GPU; cpu: flex.
    #[arg(long, default_value = "auto")]
    pub device: DeviceRequest,
    /// Continue a canceled run (its folder) from its last checkpoint.
    #[arg(long, value_name = "RUN")]
    pub resume: Option<PathBuf>,
    /// torchvision ResNet weights (.pth) to start the backbone from.
    #[arg(long, value_name = "FILE")]
    pub backbone_weights: Option<PathBuf>,
    /// Data loading threads (default: training.num_workers, at most the CPU count).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Lightning Pose's unsupervised losses to train with, each with an optional log_weight,
    /// e.g. `temporal:5.0,pca_multiview` (sets model.losses_to_use and
    /// losses.<name>.log_weight; `none` for a supervised run).
    #[arg(long, value_name = "LOSSES")]
    pub losses: Option<String>,
    /// A config value written over the config file, Hydra-style (repeatable), e.g.
    /// `--set losses.temporal.log_weight=4.0 --set training.max_epochs=50`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print the outcome as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// The worker of a queued job: train the PENDING run folder RUN in place (made by
    /// `--detach`, the workstation or a SLURM submission), appending its progress stream
    /// `posedeck_events.jsonl`; the config and the options come from its posedeck_job.json.
    #[arg(long, value_name = "RUN", conflicts_with_all = ["config", "name", "resume", "backbone_weights", "workers", "losses", "set"])]
    pub run_dir: Option<PathBuf>,
    /// Queue the training as a detached job (its own process, in its own session: it keeps
    /// running when this terminal or the SSH connection goes); prints the run folder and the
    /// worker's pid and returns at once. `posedeck jobs` lists it, `posedeck cancel` stops it.
    #[arg(long, conflicts_with = "run_dir")]
    pub detach: bool,
    #[command(flatten)]
    pub slurm: crate::cli::slurm_args::SlurmArgs,
}

/// `--losses` and `--set` as config overrides; a malformed one is a usage error.
fn overrides(a: &TrainArgs) -> crate::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    if let Some(l) = &a.losses {
        out = crate::formats::config::overrides::losses_overrides(l)
            .map_err(|e| crate::Error::usage(format!("--{e}")))?;
    }
    for kv in &a.set {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(crate::Error::usage(format!(
                "--set {kv:?}: expected KEY=VALUE, e.g. losses.temporal.log_weight=4.0"
            )));
        };
        let k = k.trim();
        if k.is_empty() || k.split('.').any(str::is_empty) || k.chars().any(char::is_control) {
            return Err(crate::Error::usage(format!(
                "--set {kv:?}: not a dotted config key"
            )));
        }
        out.push((k.to_string(), v.to_string()));
    }
    if a.resume.is_some() && !out.is_empty() {
        return Err(crate::Error::usage(
            "--losses and --set do not apply to --resume (the run keeps its config)",
        ));
    }
    Ok(out)
}

pub fn run(a: &TrainArgs) -> anyhow::Result<()> {
    if let Some(dir) = &a.run_dir {
        return run_worker(a, dir);
    }
    let req = TrainRequest {
        project: a.project.clone().unwrap_or_else(|| PathBuf::from(".")),
        config: a.config.clone(),
        name: a.name.clone(),
        device: a.device,
        resume: a.resume.clone(),
        backbone_weights: a.backbone_weights.clone(),
        workers: a.workers,
        overrides: overrides(a)?,
        run_dir: None,
    };
    if a.slurm.slurm {
        return run_slurm(a, &req);
    }
    if a.detach {
        let dir = crate::jobs::pending::prepare_train(&req)?;
        let project = crate::jobs::job_file::JobFile::load(&dir)?.project;
        return crate::cli::jobs::detach(&project, &dir, a.json);
    }
    let job = engine::start_train(req);
    let cancel = job.cancel_flag();
    signal_hook::flag::register(signal_hook::consts::SIGINT, cancel.clone())?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, cancel)?;
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} steps {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_prefix("train");
    while !job.is_finished() {
        if let Some(e) = job.next_event(Duration::from_millis(200)) {
            show(&pb, e);
        }
    }
    for e in job.drain_events() {
        show(&pb, e);
    }
    pb.finish_and_clear();
    let out = job.wait()?;
    report(a, &out)
}

/// `posedeck train --run-dir RUN`: the worker; progress lines go to stdout (the run's
/// train_stdout.log when started detached), the stream to posedeck_events.jsonl.
fn run_worker(a: &TrainArgs, dir: &std::path::Path) -> anyhow::Result<()> {
    let cancel = crate::jobs::worker::cancel_on_signals()?;
    let device = (a.device != DeviceRequest::Auto).then_some(a.device);
    let pb = ProgressBar::hidden();
    let mut show = |e: &JobEvent| match e {
        JobEvent::Step {
            epoch,
            epochs,
            step,
            batch,
            batches,
            loss,
        } if batch == batches => {
            let l = format!("epoch {}/{epochs} step {step} loss {loss:.6}", epoch + 1);
            if a.json {
                eprintln!("{l}");
            } else {
                println!("{l}");
            }
        }
        JobEvent::Step { .. } | JobEvent::Frames { .. } => {}
        other => show(&pb, other.clone()),
    };
    let out = crate::jobs::worker::run_train(dir, device, cancel, &mut show)?;
    report(a, &out)
}

fn report(a: &TrainArgs, out: &crate::engine::TrainOutcome) -> anyhow::Result<()> {
    if a.json {
        crate::cli::out::print_json(out)?;
    } else {
        let mut s = format!(
            "{} {}\nepochs {} steps {} on {}, {:.1} train images/s\n",
            out.status,
            clean(&out.run_dir.display().to_string()),
            out.epochs_done,
            out.global_step,
            out.device,
            out.train_images_per_sec
        );
        if let Some(v) = out.best_val_loss {
            s.push_str(&format!("best val_supervised_loss {v:.6}\n"));
        }
        for (set, e) in &out.pixel_error {
            s.push_str(&format!(
                "pixel error {set:<10} mean {:.2} median {:.2} (n={})\n",
                e.mean, e.median, e.n
            ));
        }
        crate::cli::out::print(&s)?;
    }
    if out.status == "CANCELED" {
        eprintln!(
            "posedeck: canceled; continue with: posedeck train --resume {}",
            clean(&out.run_dir.display().to_string())
        );
        std::process::exit(130);
    }
    Ok(())
}

fn show(pb: &ProgressBar, e: JobEvent) {
    match e {
        JobEvent::Device { name, reason } => line(pb, format!("device: {name} ({reason})")),
        JobEvent::Warning(w) => line(pb, format!("warning: {}", clean(&w))),
        JobEvent::RunDir(d) => line(pb, format!("run: {}", clean(&d.display().to_string()))),
        JobEvent::Phase(p) => pb.set_prefix(p),
        JobEvent::Step {
            epoch,
            epochs,
            step,
            batches,
            loss,
            ..
        } => {
            pb.set_length((epochs * batches) as u64);
            pb.set_position(step);
            pb.set_message(format!("epoch {}/{epochs} loss {loss:.5}", epoch + 1));
        }
        JobEvent::Validation {
            epoch, loss, rmse, ..
        } => line(
            pb,
            format!("epoch {epoch}: val_supervised_loss {loss:.6} val_supervised_rmse {rmse:.2}"),
        ),
        JobEvent::Frames {
            source,
            done,
            total,
        } => {
            pb.set_message(format!(
                "{} {done}/{}",
                clean(&source),
                total.map_or("?".into(), |t| t.to_string())
            ));
        }
        JobEvent::Info(i) => line(pb, clean(&i)),
    }
}

/// A message line above the progress bar (or on stderr when the bar is hidden).
fn line(pb: &ProgressBar, msg: impl AsRef<str>) {
    if pb.is_hidden() {
        eprintln!("{}", msg.as_ref());
    } else {
        pb.println(msg.as_ref());
    }
}

/// `--slurm`: writes the PENDING run folder, submits `posedeck train --run-dir RUN` with
/// sbatch and returns at once, printing the run folder and the job id.
fn run_slurm(a: &TrainArgs, req: &TrainRequest) -> anyhow::Result<()> {
    let res = a.slurm.resources()?;
    let crate::jobs::slurm::launch::Submitted {
        dir: run,
        record: rec,
    } = crate::jobs::slurm::launch::train(req, &res)?;
    if a.json {
        crate::cli::out::print_json(&serde_json::json!({
            "run_dir": run.to_string_lossy(),
            "job_id": rec.job_id,
            "cluster": rec.cluster,
        }))?;
    } else {
        crate::cli::out::print(&format!(
            "{}\nSLURM job {}\n",
            clean(&run.display().to_string()),
            rec.job_id
        ))?;
    }
    Ok(())
}
