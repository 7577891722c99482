//! `posedeck jobs [PROJECT] [--json]`: every job of a project from its folders (id, kind, run
//! folder, where, state, progress, rate, remaining time, log tail); `posedeck jobs run
//! [PROJECT] [--gpus 0,2] [--cpu-slots N]`: the project's scheduler, headless, until nothing
//! is queued or running; `posedeck cancel RUN|JOB_ID`.

use crate::jobs::list::{self, JobInfo};
use crate::jobs::{cancel, queue, slots};
use crate::sanitize::clean;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct JobsArgs {
    #[command(subcommand)]
    pub cmd: Option<JobsCommand>,
    /// The project folder (default: the current folder).
    pub project: Option<PathBuf>,
    /// Every job as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// Run the project's queue (headless) until no job is queued or running.
    Run(RunArgs),
}

#[derive(Args, Debug, Clone, Default)]
pub struct RunArgs {
    /// The project folder (default: the current folder).
    pub project: Option<PathBuf>,
    /// The GPUs to use, as indices among the real adapters (default: every one), e.g. 0,2.
    #[arg(long, value_name = "LIST")]
    pub gpus: Option<String>,
    /// Jobs that may run on the CPU at once.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub cpu_slots: usize,
}

#[derive(Args, Debug)]
pub struct CancelArgs {
    /// A job's folder (a run folder, or a prediction job's folder) or its id.
    pub target: String,
    /// The project whose jobs an id is looked up in (default: the current folder).
    #[arg(long)]
    pub project: Option<PathBuf>,
}

fn project_of(p: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let p = p.clone().unwrap_or_else(|| PathBuf::from("."));
    if !p.is_dir() {
        return Err(crate::Error::io(
            &p,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such project folder"),
        )
        .into());
    }
    Ok(std::path::absolute(&p).unwrap_or(p))
}

pub fn run(a: &JobsArgs) -> anyhow::Result<i32> {
    if let Some(JobsCommand::Run(r)) = &a.cmd {
        return run_queue(r);
    }
    let project = project_of(&a.project)?;
    let jobs = list::list(&project);
    if a.json {
        crate::cli::out::print_json(&jobs)?;
    } else {
        crate::cli::out::print(&table(&project, &jobs))?;
    }
    Ok(0)
}

/// `1h02m`, `3m05s`, `12s`.
pub fn duration(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "-".into();
    }
    let s = s.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn rel(project: &Path, p: &Path) -> String {
    clean(&p.strip_prefix(project).unwrap_or(p).display().to_string()).into_owned()
}

/// The text listing: one line per job, then its message, problems and last log line.
pub fn table(project: &Path, jobs: &[JobInfo]) -> String {
    if jobs.is_empty() {
        return format!(
            "no jobs in {} (start one with posedeck train --detach)\n",
            clean(&project.display().to_string())
        );
    }
    let mut s = format!(
        "{:<8}  {:<7}  {:<9}  {:>15}  {:>11}  {:>9}  {:<18}  {}\n",
        "ID", "KIND", "STATE", "PROGRESS", "RATE", "REMAINING", "WHERE", "FOLDER"
    );
    for j in jobs {
        let progress = j.summary.progress.map_or("-".into(), |p| match p.total {
            Some(t) => format!("{}/{t} {}", p.done, p.unit),
            None => format!("{} {}", p.done, p.unit),
        });
        let unit = j.summary.progress.map_or("", |p| p.unit);
        let rate = j
            .summary
            .rate
            .map_or("-".into(), |r| format!("{r:.2} {unit}/s"));
        let remaining = j.summary.remaining_s.map_or("-".into(), duration);
        s.push_str(&format!(
            "{:<8}  {:<7}  {:<9}  {:>15}  {:>11}  {:>9}  {:<18}  {}\n",
            clean(&j.id),
            j.kind.map_or("?", |k| k.label()),
            j.state.label(),
            progress,
            rate.replace("steps", "st").replace("frames", "fr"),
            remaining,
            clean(j.where_.as_deref().unwrap_or("-")),
            rel(project, &j.dir)
        ));
        if let Some(m) = &j.message {
            s.push_str(&format!("          {}\n", crate::sanitize::one_line(m)));
        }
        for p in &j.problems {
            s.push_str(&format!(
                "          problem: {}\n",
                crate::sanitize::one_line(p)
            ));
        }
        if j.state.is_active()
            && let Some(l) = j.log_tail.last()
        {
            s.push_str(&format!(
                "          log: {}\n",
                crate::sanitize::one_line(l)
            ));
        }
    }
    s
}

/// The scheduler's slots over this machine's GPUs (probed) and the CPU slots.
pub fn machine_slots(r: &RunArgs) -> anyhow::Result<Vec<slots::Slot>> {
    let gpus = r
        .gpus
        .as_deref()
        .map(slots::parse_gpus)
        .transpose()
        .map_err(crate::Error::usage)?;
    slots::slots(&adapters(), gpus.as_deref(), r.cpu_slots)
        .map_err(|e| crate::Error::usage(e).into())
}

#[cfg(feature = "engine")]
fn adapters() -> Vec<slots::Adapter> {
    crate::engine::device::probe_adapters()
        .into_iter()
        .map(|a| slots::Adapter {
            name: a.name,
            software: a.software,
        })
        .collect()
}

#[cfg(not(feature = "engine"))]
fn adapters() -> Vec<slots::Adapter> {
    Vec::new()
}

fn run_queue(r: &RunArgs) -> anyhow::Result<i32> {
    let project = project_of(&r.project)?;
    let slots = machine_slots(r)?;
    let stop = crate::jobs::worker::cancel_on_signals()?;
    let Some(s) = queue::Scheduler::new(&project, slots)? else {
        let h = crate::jobs::lock::holder(&project);
        crate::cli::error_line(&format!(
            "{}: a scheduler runs already{}",
            crate::jobs::lock::lock_path(&project).display(),
            h.map(|h| format!(" ({}@{})", h.pid, h.host))
                .unwrap_or_default()
        ));
        return Ok(2);
    };
    let names: Vec<String> = s
        .slots()
        .iter()
        .map(|s| match &s.adapter {
            Some(a) => format!("{} ({})", s.name, a),
            None => s.name.clone(),
        })
        .collect();
    eprintln!(
        "scheduler {} on {}: slots {}",
        crate::jobs::job_file::me(),
        clean(&project.display().to_string()),
        clean(&names.join(", "))
    );
    s.run(&stop, &mut |line| eprintln!("{}", clean(&line)))?;
    Ok(0)
}

pub fn run_cancel(a: &CancelArgs) -> anyhow::Result<i32> {
    let project = a.project.clone().unwrap_or_else(|| PathBuf::from("."));
    let dir = cancel::find(&project, &a.target)?;
    let shown = clean(&dir.display().to_string()).into_owned();
    match cancel::cancel(&dir)? {
        cancel::Canceled::Signaled { pid } => crate::cli::out::println(&format!(
            "{shown}: sent SIGINT to the worker (pid {pid}); it saves a checkpoint and ends CANCELED"
        ))?,
        cancel::Canceled::Dequeued => {
            crate::cli::out::println(&format!("{shown}: CANCELED (it had not started)"))?
        }
        cancel::Canceled::Slurm { job_id } => crate::cli::out::println(&format!(
            "{shown}: scancel {job_id}; SLURM sends the worker SIGTERM, it saves a checkpoint and ends CANCELED"
        ))?,
    }
    Ok(0)
}

/// After `--detach` prepared `dir`: makes sure a scheduler runs for the project, waits (a few
/// seconds at most) for the job to start, and prints its folder and pid, or that it waits.
pub fn detach(project: &Path, dir: &Path, json: bool) -> anyhow::Result<()> {
    use std::time::{Duration, Instant};
    let t0 = Instant::now();
    queue::ensure_scheduler(project)?;
    let mut last_try = Instant::now();
    let info = loop {
        let info = list::job_info(dir);
        if info.state != list::State::Pending || t0.elapsed() > Duration::from_secs(15) {
            break info;
        }
        // The scheduler may have ended just before this job was queued: start another.
        if last_try.elapsed() > Duration::from_secs(3) && !crate::jobs::lock::held(project) {
            queue::ensure_scheduler(project)?;
            last_try = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if json {
        return crate::cli::out::print_json(&serde_json::json!({
            "id": info.id,
            "dir": dir.display().to_string(),
            "state": info.state,
            "where": info.where_,
            "pid": info.where_.as_deref().and_then(|w| w.split('@').next()?.parse::<u32>().ok()),
            "slot": info.slot,
        }));
    }
    let shown = clean(&dir.display().to_string()).into_owned();
    let line = match (&info.where_, info.state) {
        (Some(w), _) => format!(
            "{shown}\njob {} {} pid {} ({})",
            clean(&info.id),
            info.state.label(),
            clean(w),
            clean(info.slot.as_deref().unwrap_or("-"))
        ),
        (None, list::State::Pending) => format!(
            "{shown}\njob {} PENDING: queued until a device slot is free (posedeck jobs {})",
            clean(&info.id),
            clean(&project.display().to_string())
        ),
        (None, s) => format!(
            "{shown}\njob {} {}{}",
            clean(&info.id),
            s.label(),
            info.message
                .as_deref()
                .map(|m| format!(": {}", crate::sanitize::one_line(m)))
                .unwrap_or_default()
        ),
    };
    crate::cli::out::println(&line)
}
