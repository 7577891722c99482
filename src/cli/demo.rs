//! `posedeck demo`: generate the demo project, start a CPU training run on it and open the
//! workstation on its Jobs view (live progress; curves on `4`). `--no-tui`, or no terminal:
//! generate and print the status.

use crate::demo::{DemoSpec, GroundTruth};
use anyhow::Context;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Folder to generate the project into (new or empty); default: a new temporary folder.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Generate and print the project's `posedeck status` only (without it, `demo` trains a
    /// model on the project on the CPU and opens the workstation on it).
    #[arg(long)]
    pub no_tui: bool,
    /// Labeled frames in total.
    #[arg(long, default_value_t = DemoSpec::default().frames)]
    pub frames: usize,
    /// Keypoints per frame (1 to 64).
    #[arg(long, default_value_t = DemoSpec::default().keypoints)]
    pub keypoints: usize,
    /// Random seed: the same seed and options give byte-identical files.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Image size, WIDTHxHEIGHT.
    #[arg(long, default_value = "256x256", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Number of videos the labeled frames come from.
    #[arg(long, default_value_t = DemoSpec::default().videos)]
    pub videos: usize,
    /// Frames of each video written as a PNG frame folder under videos/ (0: none).
    #[arg(long, default_value_t = DemoSpec::default().clip_frames)]
    pub clip_frames: usize,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT (e.g. 256x256), got {s:?}"))?;
    let p = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("expected WIDTHxHEIGHT (e.g. 256x256), got {s:?}"))
    };
    Ok((p(w)?, p(h)?))
}

pub fn run(args: DemoArgs) -> anyhow::Result<i32> {
    let spec = DemoSpec {
        frames: args.frames,
        keypoints: args.keypoints,
        seed: args.seed,
        width: args.size.0,
        height: args.size.1,
        videos: args.videos,
        clip_frames: args.clip_frames,
    };
    spec.validate()?;
    let dir = match args.dir {
        Some(d) => d,
        None => temp_dir()?,
    };
    let tui = !args.no_tui && crate::cli::tui::is_terminal();
    if !args.no_tui && !tui {
        eprintln!(
            "posedeck demo: stdin/stdout is not a terminal, so the workstation cannot open; \
             generating the project and printing its status instead (as with --no-tui)"
        );
    }
    let truth = crate::demo::generate(&spec, &dir)?;
    eprintln!("{}", generated_note(&dir, &truth));
    if !tui {
        // Exactly what `posedeck status DIR` prints.
        let project = super::status::open(&dir.to_string_lossy(), true)?;
        super::status::print(&project, false)?;
        return Ok(0);
    }
    open_workstation(&dir)
}

/// One line for stderr: where the project went and what the generator put in it.
fn generated_note(dir: &std::path::Path, t: &GroundTruth) -> String {
    let s = &t.spec;
    format!(
        "posedeck demo: generated {} ({} labeled frames of {}x{} from {} videos, {} keypoints, \
         {} frames with a missing keypoint, seed {})",
        crate::sanitize::clean(&dir.display().to_string()),
        t.frames.len(),
        s.width,
        s.height,
        t.videos.len(),
        t.keypoint_names.len(),
        t.frames_with_missing(),
        s.seed
    )
}

/// Trains the demo model on the CPU (its config: demo/config.yaml, 64x64 resnet18) while the workstation
/// shows the job (a detached worker); `q` asks whether to keep it running or cancel it, and
/// here cancel is the default (the run stays resumable).
#[cfg(feature = "engine")]
fn open_workstation(dir: &Path) -> anyhow::Result<i32> {
    use crate::tui::state::job_list::{JobSpec, TrainSpec};
    let job = JobSpec::Train(TrainSpec {
        project: dir.to_path_buf(),
        device: "cpu".into(),
        ..Default::default()
    });
    let code = crate::cli::tui::open(tui_args(dir), crate::tui::app::View::Jobs, vec![job])?;
    crate::cli::out::println(&format!(
        "demo project: {}",
        crate::sanitize::clean(&dir.display().to_string())
    ))?;
    Ok(code)
}

#[cfg(not(feature = "engine"))]
fn open_workstation(dir: &Path) -> anyhow::Result<i32> {
    eprintln!(
        "posedeck demo: this build has no training engine (the `engine` feature): opening the project without a training run"
    );
    crate::cli::tui::open(tui_args(dir), crate::tui::app::View::Overview, Vec::new())
}

fn tui_args(dir: &Path) -> crate::cli::tui::TuiArgs {
    crate::cli::tui::TuiArgs {
        project: Some(dir.display().to_string()),
        theme: None,
        image_protocol: None,
    }
}

/// A fresh folder under the system temporary directory.
fn temp_dir() -> anyhow::Result<PathBuf> {
    let base = std::env::temp_dir();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    for i in 0..100u32 {
        let d = base.join(format!(
            "posedeck-demo-{}-{:x}{}",
            std::process::id(),
            stamp & 0xffff_ffff,
            if i == 0 {
                String::new()
            } else {
                format!("-{i}")
            }
        ));
        match std::fs::create_dir(&d) {
            Ok(()) => return Ok(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("{}: cannot create", d.display())),
        }
    }
    anyhow::bail!("{}: cannot create a temporary folder", base.display())
}
