//! `posedeck bench video [VIDEO...]`: the in-process H.264 decoder beside ffmpeg, on real
//! videos (default: the Lightning Pose test video and SLEAP's `clip.mp4` in ../shared/data):
//! - sequential decode of every frame (yuv420p), frames/s and CPU time per frame, and
//!   `ffmpeg -threads 1 -i V -f null -` on the same file when ffmpeg is installed (the peer);
//!   the floor is reading the file's bytes;
//! - random seeks: 20 frames at random, each decoded from its keyframe (median and max);
//! - the Videos view's step to the next frame: the image worker's whole job (decode, RGB,
//!   scale, markers, encode for the terminal) for frame N+1 after it prefetched it while N
//!   was on screen, and without the prefetch.

use super::Common;
use super::timing::{Stats, ms};
use crate::tui::data::FrameSource;
use crate::tui::image::{Cache, ImageRequest, Marker, encode, prefetch};
use crate::video::FrameReader;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Videos to measure (default: ../shared/data's test_vid.mp4 and clip.mp4).
    pub videos: Vec<PathBuf>,
}

#[derive(Serialize)]
struct Report {
    video: PathBuf,
    frames: usize,
    size: (u32, u32),
    keyframe_interval: usize,
    read_file: Stats,
    decode_all: Stats,
    frames_per_s: f64,
    cpu_ms_per_frame: f64,
    ffmpeg_1_thread: Option<Stats>,
    ffmpeg_frames_per_s: Option<f64>,
    seek: Stats,
    view_step_prefetched: Stats,
    view_step_cold: Stats,
}

fn cpu_s() -> f64 {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let ru = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr());
        ru.assume_init()
    };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

pub fn run(args: &Args, common: &Common) -> anyhow::Result<()> {
    let videos = if args.videos.is_empty() {
        vec![
            PathBuf::from("../shared/data/lp-mirror-mouse/videos/test_vid.mp4"),
            PathBuf::from("../shared/data/slp/clip.mp4"),
        ]
    } else {
        args.videos.clone()
    };
    let runs = common.runs.clamp(1, 5);
    let mut reports = Vec::new();
    for v in &videos {
        reports.push(measure(v, runs)?);
    }
    if common.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
        return Ok(());
    }
    for r in &reports {
        println!(
            "{}: {} frames {}x{}, keyframe every {} frames at most",
            r.video.display(),
            r.frames,
            r.size.0,
            r.size.1,
            r.keyframe_interval
        );
        println!("  read the file (floor)      {}", r.read_file.show());
        println!(
            "  decode every frame         {}  = {:.0} frames/s, {:.2} ms CPU a frame",
            r.decode_all.show(),
            r.frames_per_s,
            r.cpu_ms_per_frame
        );
        match (&r.ffmpeg_1_thread, r.ffmpeg_frames_per_s) {
            (Some(s), Some(fps)) => println!(
                "  ffmpeg -threads 1 (peer)   {}  = {fps:.0} frames/s; posedeck at {:.2}x ffmpeg",
                s.show(),
                r.frames_per_s / fps
            ),
            _ => println!("  ffmpeg -threads 1 (peer)   not measured: ffmpeg is not on PATH"),
        }
        println!(
            "  random seek (20 frames)    median {} max {}",
            ms(r.seek.median_s),
            ms(r.seek.max_s)
        );
        println!(
            "  Videos view, next frame    {} prefetched, {} not",
            ms(r.view_step_prefetched.median_s),
            ms(r.view_step_cold.median_s)
        );
    }
    Ok(())
}

fn measure(v: &Path, runs: usize) -> anyhow::Result<Report> {
    let mut read_secs = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(crate::util::read(v)?);
        read_secs.push(t.elapsed().as_secs_f64());
    }
    let mut r = FrameReader::open(v)?;
    let n = r.frame_count();
    let info = crate::video::VideoInfo::of(&r.mp4);
    let mut secs = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu_s());
        let mut k = 0usize;
        r.for_each(|_, y| {
            k += y.y.len() & 1;
            true
        })?;
        std::hint::black_box(k);
        secs.push(t.elapsed().as_secs_f64());
        cpu.push(cpu_s() - c);
    }
    let decode_all = Stats::of(secs);
    cpu.sort_by(f64::total_cmp);
    let cpu_med = cpu[cpu.len() / 2];
    let ffmpeg = crate::video::ffmpeg::path().map(|ff| {
        let mut s = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let ok = std::process::Command::new(&ff)
                .args(["-nostdin", "-v", "error", "-threads", "1", "-i"])
                .arg(v)
                .args(["-map", "0:v:0", "-f", "null", "-"])
                .status()
                .is_ok_and(|st| st.success());
            if ok {
                s.push(t.elapsed().as_secs_f64());
            }
        }
        Stats::of(s)
    });
    // Seeks: a fresh decoder position each time (frames far apart).
    let mut x: u64 = 0x2545f4914f6cdd1d;
    let mut seek = Vec::new();
    for _ in 0..20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let f = (x % n as u64) as usize;
        let mut fresh = FrameReader::open(v)?;
        let t = Instant::now();
        fresh.yuv(f)?;
        seek.push(t.elapsed().as_secs_f64());
    }
    // The Videos view's step, as the image worker does it (halfblocks at 120x40 cells).
    let picker = crate::tui::image::halfblocks_picker();
    let req = |frame: u64| ImageRequest {
        source: FrameSource::Video {
            path: v.to_path_buf(),
            frame,
            width: info.width,
            height: info.height,
        },
        markers: (0..17)
            .map(|i| Marker {
                x: 20.0 + 10.0 * i as f64,
                y: 30.0 + 5.0 * i as f64,
                rgb: [255, 128, 0],
                hollow: false,
            })
            .collect(),
        lines: Vec::new(),
        zoom: 1.0,
        center: None,
        cells: (120, 40),
        protocol: ratatui_image::picker::ProtocolType::Halfblocks,
        look: Default::default(),
    };
    let mut warm = Vec::new();
    let mut cold = Vec::new();
    let mut cache = Cache::default();
    let start = (n / 3) as u64;
    for i in 0..30u64 {
        let f = start + i;
        if f as usize + 1 >= n {
            break;
        }
        let t = Instant::now();
        let ready = encode(&picker, &mut cache, i, &req(f));
        let dt = t.elapsed().as_secs_f64();
        anyhow::ensure!(
            ready.result.is_ok(),
            "{}: frame {f}: {:?}",
            v.display(),
            ready.result.err()
        );
        if i > 0 {
            warm.push(dt);
        }
        prefetch(&picker, &mut cache, &req(f));
    }
    for i in 0..10u64 {
        let mut c = Cache::default();
        let f = start + 40 + i * 3;
        let _ = encode(&picker, &mut c, 0, &req(f));
        let t = Instant::now();
        let _ = encode(&picker, &mut c, 1, &req(f + 1));
        cold.push(t.elapsed().as_secs_f64());
    }
    let fps = n as f64 / decode_all.median_s;
    Ok(Report {
        video: v.to_path_buf(),
        frames: n,
        size: (info.width, info.height),
        keyframe_interval: info.keyframe_max,
        read_file: Stats::of(read_secs),
        decode_all,
        frames_per_s: fps,
        cpu_ms_per_frame: cpu_med * 1e3 / n as f64,
        ffmpeg_frames_per_s: ffmpeg.as_ref().map(|s| n as f64 / s.median_s),
        ffmpeg_1_thread: ffmpeg,
        seek: Stats::of(seek),
        view_step_prefetched: Stats::of(warm),
        view_step_cold: Stats::of(cold),
    })
}
