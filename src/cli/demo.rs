//! `posedeck demo`: generate the demo project and show its status.

use crate::demo::{DemoSpec, GroundTruth};
use anyhow::Context;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Folder to generate the project into (new or empty); default: a new temporary folder.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Generate and print the project's `posedeck status` (without it, `demo` will open the
    /// workstation once the TUI exists; until then both behave the same).
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

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
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
    let truth = crate::demo::generate(&spec, &dir)?;
    eprintln!("{}", generated_note(&dir, &truth));
    // Exactly what `posedeck status DIR` prints.
    let project = super::status::open(&dir.to_string_lossy(), true)?;
    super::status::print(&project, false)
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
