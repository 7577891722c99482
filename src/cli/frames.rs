//! `posedeck frames VIDEO --at N[,M...] | --every K [-o DIR]`: frames of a video as PNG files
//! named as Lightning Pose names labeled frames (`img%08d.png`, the frame index), decoded
//! in-process for H.264 MP4. Without `--at`/`--every` it prints what the video's boxes say.

use crate::sanitize::clean;
use crate::video::{self, Frames, VideoInfo};
use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct FramesArgs {
    /// The video file (H.264 MP4 is decoded by posedeck; other codecs need ffmpeg).
    pub video: PathBuf,
    /// Frame indices to write (0-based, presentation order), comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with = "every")]
    pub at: Vec<usize>,
    /// Write every K-th frame (0, K, 2K, ...).
    #[arg(long, value_name = "K")]
    pub every: Option<usize>,
    /// Output folder (default: a folder named after the video, in the current folder).
    #[arg(short = 'o', long = "out")]
    pub out: Option<PathBuf>,
    /// Replace PNG files that already exist.
    #[arg(long)]
    pub force: bool,
    /// Print the video's information (or the files written) as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &FramesArgs) -> Result<()> {
    if args.at.is_empty() && args.every.is_none() {
        let info = video::info(&args.video)?;
        return print(&if args.json {
            crate::sanitize::json_controls(serde_json::to_string_pretty(&info).unwrap_or_default())
                + "\n"
        } else {
            describe(&args.video, &info)
        });
    }
    if args.every == Some(0) {
        return Err(Error::usage("--every must be at least 1"));
    }
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(
            args.video
                .file_stem()
                .map(|s| s.to_os_string())
                .unwrap_or_else(|| "frames".into()),
        )
    });
    let mut src = Frames::open(&args.video)?;
    let n = src.frame_count();
    let mut wanted: Vec<usize> = match args.every {
        Some(k) => {
            let n = n.ok_or_else(|| {
                Error::invalid(
                    &args.video,
                    "--every needs the frame count, which ffmpeg does not give here; use --at",
                )
            })?;
            (0..n).step_by(k).collect()
        }
        None => args.at.clone(),
    };
    wanted.sort_unstable();
    wanted.dedup();
    if let (Some(n), Some(&last)) = (n, wanted.last())
        && last >= n
    {
        return Err(Error::invalid(
            &args.video,
            format!(
                "frame {last} is past the video's {n} frames (0..{})",
                n.saturating_sub(1)
            ),
        ));
    }
    let names: Vec<PathBuf> = wanted
        .iter()
        .map(|f| out.join(format!("img{f:08}.png")))
        .collect();
    if !args.force
        && let Some(p) = names.iter().find(|p| p.exists())
    {
        return Err(Error::invalid(
            p,
            "already exists (use --force to replace it)",
        ));
    }
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    let bar = indicatif::ProgressBar::new(wanted.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} frames  {per_sec}  eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let t = std::time::Instant::now();
    for (&f, name) in wanted.iter().zip(&names) {
        let rgb = src.rgb(f)?;
        let png = crate::labels::media::FrameImage {
            height: rgb.height,
            width: rgb.width,
            channels: 3,
            pixels: rgb.pixels,
        }
        .to_png()
        .map_err(|e| Error::invalid(name, e))?;
        crate::util::write_atomic(name, &png)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let secs = t.elapsed().as_secs_f64();
    if args.json {
        let files: Vec<String> = names.iter().map(|p| p.display().to_string()).collect();
        print(
            &(crate::sanitize::json_controls(
                serde_json::to_string_pretty(
                    &serde_json::json!({ "video": args.video, "frames": wanted, "files": files }),
                )
                .unwrap_or_default(),
            ) + "\n"),
        )
    } else {
        print(&format!(
            "wrote {} frame(s) of {} to {} in {secs:.2} s\n",
            wanted.len(),
            clean(&args.video.display().to_string()),
            clean(&out.display().to_string())
        ))
    }
}

/// The human description of a video.
pub fn describe(path: &Path, i: &VideoInfo) -> String {
    let mut s = format!(
        "{}\n  {} {}x{}, {} frames at {:.3} fps ({:.1} s)\n  codec {}{}, pixel format {}, {}\n  B-frames: {}, keyframe every {:.0} frames (at most {})\n",
        clean(&path.display().to_string()),
        i.codec_name,
        i.width,
        i.height,
        i.frames,
        i.fps,
        i.duration_s,
        i.codec,
        i.profile
            .as_deref()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default(),
        i.pixel_format.as_deref().unwrap_or("unknown"),
        i.colour,
        if i.bframes { "yes" } else { "no" },
        i.keyframe_mean,
        i.keyframe_max,
    );
    for w in i.dali_warnings() {
        s.push_str(&format!("  warning: {w}\n"));
    }
    s
}

fn print(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("<stdout>", e)),
    }
}
