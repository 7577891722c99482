//! `posedeck bench slp`: a 100,000-frame prediction file (2 predicted instances x 13 nodes
//! per frame, ~83 MB) written by posedeck's own .slp writer, then
//! - reading it whole into the labels model, every point materialised (the work of
//!   sleap-io's eager `load_slp`),
//! - reading just the four raw tables (the work of h5py's `f[table][:]`),
//! - `posedeck labels info FILE` as a whole process.

use super::Common;
use super::timing::{self, Stats};
use crate::formats::hdf5::H5File;
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
    read_labels: Stats,
    read_raw_tables: Stats,
    labels_info_process: Stats,
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

    let read_labels = timing::time_fn(common.runs, || {
        let s = read_slp(&file)?;
        Ok(s.labels.labeled_frames.len())
    })?;
    let read_raw_tables = timing::time_fn(common.runs, || {
        let f = H5File::open(&file)?;
        let mut n = 0;
        for t in ["frames", "instances", "points", "pred_points"] {
            if let Some(t) = Table::read(&f, t)? {
                // Touch every row so borrowed (memory-mapped) bytes are really read.
                n += (0..t.len()).map(|r| t.row(r)[0] as usize).sum::<usize>();
            }
        }
        Ok(n)
    })?;
    let labels_info_process = timing::time_posedeck(
        common.runs,
        &["labels".as_ref(), "info".as_ref(), file.as_os_str()],
    )?;
    let report = Report {
        file: file.clone(),
        bytes,
        frames: l.labeled_frames.len(),
        instances,
        points,
        read_labels,
        read_raw_tables,
        labels_info_process,
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
    println!(
        "  read into labels (every point):  {}",
        r.read_labels.show()
    );
    println!(
        "  read the 4 raw tables:           {}",
        r.read_raw_tables.show()
    );
    println!(
        "  `posedeck labels info` process:  {}",
        r.labels_info_process.show()
    );
}
