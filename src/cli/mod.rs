//! The command line (clap). Errors print one clear line naming the file and exit with code 2.

pub mod demo;
pub mod labels;

use clap::{Parser, Subcommand};

pub mod bench;
pub mod scalars;

#[derive(Parser, Debug)]
#[command(
    name = "posedeck",
    version,
    about = "A terminal workstation for animal pose estimation"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scalars of TensorBoard events files: a table per file, or every point as JSON.
    Scalars(scalars::ScalarsArgs),
    /// Benchmarks that generate their inputs with posedeck's own writers.
    Bench(bench::BenchArgs),
    /// Generate the demo project (rendered frames with exact keypoints) and show its status.
    Demo(demo::DemoArgs),
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
        Ok(()) => 0,
        Err(e) => {
            eprintln!("posedeck: error: {e:#}");
            2
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => Ok(()),
        Some(Command::Scalars(a)) => Ok(scalars::run(&a)?),
        Some(Command::Bench(a)) => bench::run(&a),
        Some(Command::Demo(a)) => demo::run(a),
        Some(Command::Labels { cmd }) => labels::run(cmd),
    }
}
