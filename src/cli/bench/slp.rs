//! `posedeck bench slp`: a 100,000-frame prediction file (2 predicted instances x 13 nodes
//! per frame, ~83 MB) written by posedeck's own .slp writer, then
//! - reading just the four raw tables (the work of h5py's `f[table][:]`): the floor,
//! - building the labels model from those tables, every point materialised (the work of
//!   sleap-io's eager `load_slp`; the model is dropped after the clock stops, its drop timed
//!   apart), and the whole `read_slp`,
//! - `posedeck labels info --json FILE` as a whole process beside `posedeck --version`,
//! - sleap-io's eager `load_slp` in the same run, when the peer Python has it.

use super::Common;
use super::peers::{self, Peer};
use super::timing::{self, ProcStats, Stats};
use crate::formats::hdf5::H5File;
use crate::formats::slp::read::frames_from_tables;
use crate::formats::slp::table::Table;
use crate::formats::slp::{read_slp, write_slp};
use crate::labels::{Instance, LabeledFrame, LabelsData, Point, Skeleton, Track, Video};
use anyhow::Context;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Frames to generate (2 predicted instances of a 13-node skeleton each).
    #[arg(long, default_value_t = 100_000)]
    pub frames: u64,
    /// Skip the peer (sleap-io; about 20 s a load).
    #[arg(long)]
    pub no_peers: bool,
    /// Timed sleap-io loads (after none untimed: each is long enough on its own).
    #[arg(long, default_value_t = 3)]
    pub peer_runs: usize,
}

const NODES: [&str; 13] = [
    "head",
    "thorax",
    "abdomen",
    "wingL",
    "wingR",
    "forelegL4",
    "forelegR4",
    "midlegL4",
    "midlegR4",
    "hindlegL4",
    "hindlegR4",
    "eyeL",
    "eyeR",
];

#[derive(Serialize)]
struct Report {
    file: PathBuf,
    bytes: u64,
    frames: usize,
    instances: usize,
    points: usize,
    /// The floor: open the file and read the four raw tables, every row touched.
    raw_tables: Stats,
    raw_tables_cpu: Stats,
    /// The labels model built from those tables (already read), every point materialised.
    build: Stats,
    build_cpu: Stats,
    /// Dropping the model afterwards (not in `build`), wall.
    build_drop: Stats,
    /// `build` / `raw_tables` (medians); the goal is at most 3.
    build_ratio_to_raw: f64,
    build_cpu_ns_per_point: f64,
    /// The whole `read_slp`: file, tables, metadata, videos, model.
    read_labels: Stats,
    read_labels_cpu: Stats,
    /// Whole processes in turn in the same rounds.
    startup: ProcStats,
    labels_info_process: ProcStats,
    sleap_io: Option<Peer>,
    /// sleap-io's eager load / `posedeck labels info --json` (wall medians); goal >= 100.
    sleap_io_over_labels_info: Option<f64>,
}

/// The benchmark labels: deterministic tracked predictions, a few nodes missing.
pub fn labels(frames: u64) -> LabelsData {
    let edges: Vec<(usize, usize)> = (1..NODES.len())
        .map(|i| (if i > 10 { 0 } else { 1 }, i))
        .collect();
    let skeleton = Skeleton::new("fly13", &NODES, &edges).with_symmetries(&[(3, 4), (11, 12)]);
    let mut out = LabelsData {
        videos: vec![Video::from_path("bench.mp4")],
        skeletons: vec![skeleton],
        tracks: vec![Track::new("track_0"), Track::new("track_1")],
        ..Default::default()
    };
    out.labeled_frames.reserve(frames as usize);
    for f in 0..frames {
        let t = f as f64;
        let insts = (0..2)
            .map(|k| {
                let cx = 300.0 + 200.0 * k as f64 + 50.0 * (t * 0.01 + k as f64).sin();
                let cy = 400.0 + 40.0 * (t * 0.013).cos();
                let points = (0..NODES.len())
                    .map(|n| {
                        if (f + n as u64 + k).is_multiple_of(97) {
                            Point::missing()
                        } else {
                            let a = n as f64 * 0.48;
                            Point::predicted(
                                cx + 30.0 * a.cos(),
                                cy + 30.0 * a.sin(),
                                0.5 + 0.03 * n as f64,
                            )
                        }
                    })
                    .collect();
                Instance::predicted(0, points, 0.9 - 0.1 * k as f64)
                    .with_track(Some(k as usize))
                    .with_tracking_score(0.8)
            })
            .collect();
        out.labeled_frames
            .push(LabeledFrame::with_instances(0, f, insts));
    }
    out
}

/// The four raw tables of an open file, every row touched; a sum of first bytes.
fn raw_tables_of(f: &H5File) -> anyhow::Result<(usize, [Option<Table<'_>>; 4])> {
    let mut n = 0;
    let mut out: [Option<Table<'_>>; 4] = Default::default();
    for (k, t) in ["frames", "instances", "points", "pred_points"]
        .into_iter()
        .enumerate()
    {
        if let Some(t) = Table::read(f, t)? {
            // Touch every row so borrowed bytes are really read.
            n += (0..t.len()).map(|r| t.row(r)[0] as usize).sum::<usize>();
            out[k] = Some(t);
        }
    }
    Ok((n, out))
}

pub fn run(args: &Args, common: &Common) -> anyhow::Result<()> {
    let dir = common.dir().join(format!("slp-{}", args.frames));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = dir.join("predictions.slp");
    if !file.exists() {
        eprintln!("generating {} ...", file.display());
        write_slp(&file, &labels(args.frames))?;
    }
    let bytes = timing::file_len(&file);

    let once = read_slp(&file)?;
    let l = &once.labels;
    let instances: usize = l.labeled_frames.iter().map(|f| f.instances.len()).sum();
    let points: usize = l
        .labeled_frames
        .iter()
        .flat_map(|f| &f.instances)
        .map(|i| i.points.len())
        .sum();

    let (raw_tables, raw_tables_cpu) = timing::time_fn_cpu(common.runs, || {
        let f = H5File::open(&file)?;
        Ok(raw_tables_of(&f)?.0)
    })?;
    let h5 = H5File::open(&file)?;
    let (_, [Some(fr), Some(inst), pts, pred]) = raw_tables_of(&h5)? else {
        anyhow::bail!("{}: no frames or instances table", file.display());
    };
    let sizes: Vec<usize> = l.skeletons.iter().map(|s| s.nodes.len()).collect();
    let ids = vec![None; l.videos.len()];
    let (build, build_cpu, build_drop) = timing::time_fn_cpu_kept(common.runs, || {
        let (frames, _) = frames_from_tables(
            &file,
            once.format_id,
            &fr,
            &inst,
            pts.as_ref(),
            pred.as_ref(),
            &ids,
            &sizes,
            l.tracks.len(),
        )?;
        Ok(frames)
    })?;
    let (read_labels, read_labels_cpu) = timing::time_fn_cpu(common.runs, || {
        let s = read_slp(&file)?;
        Ok(s.labels.labeled_frames.len())
    })?;

    let exe = std::env::current_exe().context("locating the posedeck executable")?;
    let mut version = std::process::Command::new(&exe);
    version.arg("--version");
    let mut info = std::process::Command::new(&exe);
    info.args(["labels", "info", "--json"]).arg(&file);
    let procs = timing::measure_procs(common.runs, &mut [version, info])?;
    let sleap_io = (!args.no_peers).then(|| {
        peers::time_python(
            "sleap-io",
            "import sleap_io as m",
            "m.load_slp(f)",
            &file,
            args.peer_runs,
            false,
        )
    });
    let sleap_io_over_labels_info = sleap_io
        .as_ref()
        .and_then(|p| p.read)
        .map(|r| r.median_s / procs[1].wall.median_s);
    let report = Report {
        file: file.clone(),
        bytes,
        frames: l.labeled_frames.len(),
        instances,
        points,
        build_ratio_to_raw: build.median_s / raw_tables.median_s,
        build_cpu_ns_per_point: build_cpu.median_s / points.max(1) as f64 * 1e9,
        raw_tables,
        raw_tables_cpu,
        build,
        build_cpu,
        build_drop,
        read_labels,
        read_labels_cpu,
        startup: procs[0],
        labels_info_process: procs[1],
        sleap_io,
        sleap_io_over_labels_info,
    };
    if common.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, &file);
    }
    Ok(())
}

fn print_report(r: &Report, file: &Path) {
    println!(
        "{}: {:.1} MB, {} frames, {} predicted instances, {} points",
        file.display(),
        r.bytes as f64 / 1e6,
        r.frames,
        r.instances,
        r.points
    );
    let cpu = |s: &Stats| timing::ms(s.median_s);
    println!(
        "  floor: open + the 4 raw tables     {}, CPU {}",
        r.raw_tables.show(),
        cpu(&r.raw_tables_cpu)
    );
    println!(
        "  labels model from those tables     {}, CPU {}",
        r.build.show(),
        cpu(&r.build_cpu)
    );
    println!(
        "  dropping that model afterwards     {}",
        r.build_drop.show()
    );
    println!(
        "  model / raw tables                 {:.2}x (goal <= 3x; {:.2}x with the drop); {:.1} ns CPU per point",
        r.build_ratio_to_raw,
        (r.build.median_s + r.build_drop.median_s) / r.raw_tables.median_s,
        r.build_cpu_ns_per_point
    );
    println!(
        "  read_slp (whole, every point)      {}, CPU {}",
        r.read_labels.show(),
        cpu(&r.read_labels_cpu)
    );
    println!(
        "  whole processes, in turn in the same {} rounds:",
        r.startup.wall.runs
    );
    println!("    posedeck --version               {}", r.startup.show());
    println!(
        "    posedeck labels info --json FILE {}",
        r.labels_info_process.show()
    );
    match &r.sleap_io {
        None => println!("  sleap-io eager load_slp            not measured: --no-peers"),
        Some(p) => match (&p.read, &p.not_measured) {
            (Some(s), _) => {
                println!(
                    "  sleap-io {} eager load_slp     {}, CPU {}",
                    p.version.as_deref().unwrap_or("?"),
                    s.show(),
                    p.cpu.as_ref().map_or("?".into(), cpu)
                );
                if let Some(x) = r.sleap_io_over_labels_info {
                    println!("  sleap-io / posedeck labels info    {x:.0}x (goal >= 100x)");
                }
            }
            (None, why) => println!(
                "  sleap-io eager load_slp            not measured: {}",
                why.as_deref().unwrap_or("?")
            ),
        },
    }
}
