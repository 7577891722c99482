//! The command line (clap). Errors print one clear line naming the file and exit with code 2.

pub mod demo;
pub mod labels;

use clap::{Parser, Subcommand};

pub mod bench;
pub mod compare;
pub mod completions;
pub mod config;
pub mod frames;
pub mod fuzz;
pub mod jobs;
pub mod out;
pub mod plot;
#[cfg(feature = "engine")]
pub mod predict;
pub mod scalars;
pub mod slurm_args;
pub mod status;
#[cfg(feature = "engine")]
pub mod train;
pub mod tui;

#[derive(Parser, Debug)]
#[command(
    name = "posedeck",
    version,
    about = "A terminal workstation for animal pose estimation"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand: open the workstation.
    #[command(flatten)]
    pub tui: tui::TuiArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Summarise a Lightning Pose project: labels, videos, model runs and their status.
    Status(status::StatusArgs),
    /// Scalars of TensorBoard events files: a table per file, or every point as JSON.
    Scalars(scalars::ScalarsArgs),
    /// Curves as a PNG for slides (TensorBoard's smoothing, a chart per tag, runs overlaid),
    /// and every point as CSV.
    Plot(plot::PlotArgs),
    /// Compare model runs' pixel errors: per keypoint and set, and frame by frame.
    Compare(compare::CompareArgs),
    /// Benchmarks that generate their inputs with posedeck's own writers.
    Bench(bench::BenchArgs),
    /// Train a pose model on a project's labels (writes a Lightning Pose model folder).
    #[cfg(feature = "engine")]
    Train(train::TrainArgs),
    /// Run a trained model over videos or frame folders.
    #[cfg(feature = "engine")]
    Predict(predict::PredictArgs),
    /// Every job of a project (queued, running, finished): `posedeck jobs [PROJECT] [--json]`;
    /// `posedeck jobs run [PROJECT]` runs the queue headless.
    Jobs(jobs::JobsArgs),
    /// Cancel a job: SIGINT to its worker (it saves a resumable checkpoint), or off the queue.
    Cancel(jobs::CancelArgs),
    /// The config files (~/.config/posedeck/config.toml, slurm.toml): where they are and what they set.
    Config(config::ConfigArgs),
    /// Generate the demo project (rendered frames with exact keypoints) and show its status.
    Demo(demo::DemoArgs),
    /// Frames of a video as PNG (img%08d.png), or what the video's boxes say.
    Frames(frames::FramesArgs),
    /// Shell completions: `source <(posedeck completions bash)` (bash, zsh) or
    /// `posedeck completions fish > ~/.config/fish/completions/posedeck.fish`.
    Completions(completions::CompletionsArgs),
    /// Mutation fuzzing of posedeck's readers under a memory limit (see README).
    #[command(hide = true)]
    Fuzz(fuzz::FuzzArgs),
    /// Label files: SLEAP .slp and Lightning Pose CSVs.
    Labels {
        #[command(subcommand)]
        cmd: labels::LabelsCommand,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) if e.downcast_ref::<out::Closed>().is_some() => 0,
        Err(e) => {
            error_line(&format!("{e:#}"));
            2
        }
    }
}

/// Prints `posedeck: error: MSG` as one line on stderr (control characters escaped, length
/// capped); a closed or full stderr is ignored rather than a panic.
pub fn error_line(msg: &str) {
    use std::io::Write;
    let line = format!("posedeck: error: {}\n", crate::sanitize::one_line(msg));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        None => tui::run(cli.tui),
        Some(Command::Status(a)) => status::run(&a).map(|()| 0),
        Some(Command::Scalars(a)) => scalars::run(&a).map(|()| 0).map_err(Into::into),
        Some(Command::Plot(a)) => plot::run(&a).map(|()| 0).map_err(Into::into),
        Some(Command::Compare(a)) => compare::run(&a),
        Some(Command::Bench(a)) => bench::run(&a).map(|()| 0),
        #[cfg(feature = "engine")]
        Some(Command::Train(a)) => train::run(&a).map(|()| 0),
        #[cfg(feature = "engine")]
        Some(Command::Predict(a)) => predict::run(&a).map(|()| 0),
        Some(Command::Jobs(a)) => jobs::run(&a),
        Some(Command::Cancel(a)) => jobs::run_cancel(&a),
        Some(Command::Config(a)) => config::run(&a).map(|()| 0),
        Some(Command::Demo(a)) => demo::run(a),
        Some(Command::Frames(a)) => frames::run(&a).map(|()| 0).map_err(Into::into),
        Some(Command::Labels { cmd }) => labels::run(cmd).map(|()| 0),
        Some(Command::Fuzz(a)) => fuzz::run(&a),
        Some(Command::Completions(a)) => completions::run(&a).map(|()| 0),
    }
}
