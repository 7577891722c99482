//! `posedeck bench <what>`: benchmarks that generate their inputs with posedeck's own writers
//! (cached under `--dir`), then time in-process work and whole `posedeck` processes.
//!
//! Adding a benchmark: write `src/cli/bench/<what>.rs` with an `Args` struct (clap::Args)
//! and `pub fn run(args: &Args, common: &Common) -> anyhow::Result<()>`, then add one variant
//! to [`What`] and one arm to [`run`].

use clap::{Args, Subcommand};
use std::path::PathBuf;

pub mod csv;
#[cfg(feature = "engine")]
pub mod engine;
pub mod events;
pub mod peers;
pub mod pty;
pub mod slp;
pub mod status;
pub mod timing;
pub mod tui;
pub mod tui_live;
pub mod video;

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub what: What,
}

/// Options every benchmark takes.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Where generated inputs are cached (default: $TMPDIR/posedeck-bench).
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
    /// Repetitions per measurement (the median is reported).
    #[arg(long, global = true, default_value_t = 7)]
    pub runs: usize,
    /// Print the figures as JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Common {
    /// The cache folder for generated inputs.
    pub fn dir(&self) -> PathBuf {
        self.dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("posedeck-bench"))
    }
}

#[derive(Subcommand, Debug)]
pub enum What {
    /// TensorBoard events: 906,000 scalars (12 tags, 100k steps): parse, `posedeck scalars`
    /// as a whole process, and tail-append latency.
    Events(events::Args),
    /// Training throughput of the pose network (images/s) on random inputs.
    #[cfg(feature = "engine")]
    Train(engine::Args),
    /// Inference throughput of the pose network (frames/s) on random inputs.
    #[cfg(feature = "engine")]
    Predict(engine::Args),
    /// Lightning Pose predictions CSV: 100,000 rows x 17 keypoints x (x, y, likelihood)
    /// (~95 MB): read, parse, careful reader, write.
    Csv(csv::Args),
    /// `posedeck status` (and `--json`) as whole processes on a generated project with 100
    /// model runs, 5,000 labeled frames and 20 videos.
    Status(status::Args),
    /// SLEAP .slp: a 100,000-frame prediction file (2 instances x 13 nodes per frame,
    /// ~83 MB): read into the labels model, raw tables, `posedeck labels info`.
    Slp(slp::Args),
    /// The workstation on the `status --big-log` project (100 runs, a 900,000-scalar log):
    /// time to first frame, redraw time per view, CPU and bytes written over an idle minute.
    Tui(tui::Args),
    /// Video: the in-process H.264 decoder beside ffmpeg on real videos: sequential decode,
    /// random seeks, the Videos view's step to the next frame.
    Video(video::Args),
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match &args.what {
        What::Events(a) => events::run(a, &args.common),
        #[cfg(feature = "engine")]
        What::Train(a) => engine::run_train(a, &args.common),
        #[cfg(feature = "engine")]
        What::Predict(a) => engine::run_predict(a, &args.common),
        What::Csv(a) => csv::run(a, &args.common),
        What::Status(a) => status::run(a, &args.common),
        What::Slp(a) => slp::run(a, &args.common),
        What::Tui(a) => tui::run(a, &args.common),
        What::Video(a) => video::run(a, &args.common),
    }
}
