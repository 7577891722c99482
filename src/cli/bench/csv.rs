//! `posedeck bench csv`: a video-predictions CSV of 100,000 rows x 17 keypoints x (x, y,
//! likelihood) (~95 MB), written by posedeck's own [`PoseTable`] writer (values are float32
//! widened to float64, as Lightning Pose writes them), then
//! - `read`: [`PoseTable::read`] (file read + parse, the figure compared with pandas / pyarrow /
//!   polars, which also read the file),
//! - `parse`: [`PoseTable::parse`] of bytes already in memory,
//! - `careful`: the single-threaded careful reader alone (what the fast path saves),
//! - `write`: [`PoseTable::write`] of the same table,
//!
//! `read` is timed in rounds beside the floor (the file read into one reused buffer, as `cat`
//! reads it, and its newlines counted in memory with memchr) and one peer at a time (pandas,
//! pyarrow, polars), one read of each per round, so a loaded machine slows them alike.

use super::Common;
use super::timing::{self, Stats};
use crate::formats::csv::PoseTable;
use anyhow::{Context, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rows (video frames) to generate.
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    /// Keypoints per row (each x, y, likelihood).
    #[arg(long, default_value_t = 17)]
    pub keypoints: usize,
    /// Skip the (slow) careful-reader and writer measurements.
    #[arg(long)]
    pub quick: bool,
    /// Do not run the peers (pandas, pyarrow, polars through `POSEDECK_PEER_PYTHON` or
    /// `python3`).
    #[arg(long)]
    pub no_peers: bool,
}

#[derive(Serialize)]
struct Report {
    file: PathBuf,
    bytes: u64,
    rows: usize,
    values: usize,
    threads: usize,
    read: Stats,
    /// Process CPU time (user + system, all threads) per read: on a loaded machine the wall
    /// time depends on what else runs, this does much less.
    read_cpu: Stats,
    read_mb_per_s: f64,
    /// The floor: the file read into one reused buffer (one thread, as `cat` reads it).
    floor_read: Stats,
    floor_read_cpu: Stats,
    /// The floor of looking at every byte: memchr's newline count of the bytes in memory.
    floor_newlines: Stats,
    /// The kernel's direct-compaction stalls (`/proc/vmstat` `compact_stall`) during the
    /// rounds: with little free memory, each huge-page fault of a fresh buffer may wait for
    /// memory to be compacted, which inflates posedeck's read (not the floor's).
    compact_stalls: Option<u64>,
    parse: Stats,
    careful: Option<Stats>,
    write: Option<Stats>,
    /// The same file read by pandas / pyarrow / polars in the same rounds (where installed).
    peers: Vec<super::peers::Peer>,
}

/// The benchmark table: deterministic pseudo-random predictions, float32 precision.
pub fn table(rows: usize, keypoints: usize) -> crate::Result<PoseTable> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut values = Vec::with_capacity(rows * keypoints * 3);
    for _ in 0..rows {
        for _ in 0..keypoints {
            values.push((next() * 396.0) as f32 as f64);
            values.push((next() * 406.0) as f32 as f64);
            values.push(next() as f32 as f64);
        }
    }
    PoseTable::new(
        "heatmap_tracker",
        (0..keypoints).map(|k| format!("keypoint{k:02}")).collect(),
        vec!["x".into(), "y".into(), "likelihood".into()],
        (0..rows).map(|r| r.to_string()).collect(),
        values,
        None,
    )
}

/// Writes the file unless it is already cached.
fn ensure(path: &Path, rows: usize, keypoints: usize) -> anyhow::Result<()> {
    if timing::file_len(path) > 0 {
        return Ok(());
    }
    eprintln!("generating {} ...", path.display());
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
        .with_context(|| format!("creating {}", path.display()))?;
    table(rows, keypoints)?.write(path)?;
    Ok(())
}

/// The per-round figures: posedeck's read (wall, CPU), the floor read (wall, CPU), the
/// newline count (wall).
#[derive(Default)]
struct Rounds {
    read: Vec<f64>,
    read_cpu: Vec<f64>,
    floor: Vec<f64>,
    floor_cpu: Vec<f64>,
    nl: Vec<f64>,
}

impl Rounds {
    /// One round; returns posedeck's wall time.
    fn round(
        &mut self,
        file: &Path,
        floor_files: &[PathBuf],
        buf: &mut Vec<u8>,
        bytes: &[u8],
    ) -> anyhow::Result<f64> {
        let (w, c) = timing::wall_and_cpu(|| Ok(PoseTable::read(file)?))?;
        self.read.push(w);
        self.read_cpu.push(c);
        let (fw, fc) = timing::wall_and_cpu(|| timing::floor_read_files(floor_files, buf))?;
        self.floor.push(fw);
        self.floor_cpu.push(fc);
        let (nw, _) = timing::wall_and_cpu(|| Ok(memchr::memchr_iter(b'\n', bytes).count()))?;
        self.nl.push(nw);
        Ok(w)
    }
}

pub fn run(args: &Args, common: &Common) -> anyhow::Result<()> {
    if args.rows == 0 || args.keypoints == 0 {
        bail!("--rows and --keypoints must be at least 1");
    }
    let file = common
        .dir()
        .join(format!("predictions_{}x{}.csv", args.rows, args.keypoints));
    ensure(&file, args.rows, args.keypoints)?;
    let t = PoseTable::read(&file)?;
    if t.n_rows() != args.rows || t.n_keypoints() != args.keypoints {
        bail!(
            "{}: cached file has {} rows x {} keypoints; delete it to regenerate",
            file.display(),
            t.n_rows(),
            t.n_keypoints()
        );
    }
    let bytes = std::fs::read(&file).with_context(|| file.display().to_string())?;
    let runs = common.runs.max(1);
    // Warm-up, then rounds: posedeck, the floor and (one peer at a time) the peer read once
    // per round.
    let mut buf = Vec::new();
    PoseTable::read(&file)?;
    let floor_files = [file.clone()];
    timing::floor_read_files(&floor_files, &mut buf)?;
    let mut r = Rounds::default();
    let stalls_before = timing::vmstat_counter("compact_stall");
    let mut peers = Vec::new();
    let specs: &[_] = if args.no_peers {
        &[]
    } else {
        &super::peers::CSV_READERS
    };
    for &(name, import, read) in specs {
        let mut s = match super::peers::Session::start(name, import, read, &file) {
            Ok(s) => s,
            Err(why) => {
                peers.push(super::peers::not_measured(name, why));
                continue;
            }
        };
        let mut mine = Vec::with_capacity(runs);
        let mut failed = None;
        for _ in 0..runs {
            mine.push(r.round(&file, &floor_files, &mut buf, &bytes)?);
            if let Err(why) = s.once() {
                failed = Some(why);
                break;
            }
        }
        match failed {
            Some(why) => {
                s.close();
                peers.push(super::peers::not_measured(name, why));
            }
            None => {
                let mut p = s.finish();
                p.posedeck_walls = mine;
                peers.push(p);
            }
        }
    }
    while r.read.len() < runs {
        r.round(&file, &floor_files, &mut buf, &bytes)?;
    }
    let compact_stalls = timing::vmstat_counter("compact_stall")
        .zip(stalls_before)
        .map(|(a, b)| a.saturating_sub(b));
    let Rounds {
        read,
        read_cpu,
        floor,
        floor_cpu,
        nl,
    } = r;
    let (read, read_cpu) = (Stats::of(read), Stats::of(read_cpu));
    let parse = timing::time_fn(common.runs, || Ok(PoseTable::parse(&file, &bytes)?))?;
    let (careful, write) = if args.quick {
        (None, None)
    } else {
        let runs = common.runs.min(3);
        let careful = timing::time_fn(runs, || Ok(PoseTable::parse_careful(&file, &bytes)?))?;
        let out = common.dir().join("predictions_written.csv");
        let write = timing::time_fn(runs, || Ok(t.write(&out)?))?;
        let _ = std::fs::remove_file(&out);
        (Some(careful), Some(write))
    };
    let report = Report {
        peers,
        bytes: bytes.len() as u64,
        rows: t.n_rows(),
        values: t.values.len(),
        threads: crate::util::cores(),
        read_cpu,
        read_mb_per_s: bytes.len() as f64 / 1e6 / read.median_s,
        floor_read: Stats::of(floor),
        floor_read_cpu: Stats::of(floor_cpu),
        floor_newlines: Stats::of(nl),
        compact_stalls,
        file,
        read,
        parse,
        careful,
        write,
    };
    if common.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "predictions CSV: {} ({:.1} MB, {} rows x {} keypoints x 3 = {} values, {} threads)",
        report.file.display(),
        report.bytes as f64 / 1e6,
        report.rows,
        args.keypoints,
        report.values,
        report.threads
    );
    let (mb, values) = (report.bytes as f64 / 1e6, report.values as f64);
    let per_unit = |cpu_s: f64| {
        format!(
            "{:.1} ns per value, {:.2} ms per MB",
            cpu_s * 1e9 / values,
            cpu_s * 1e3 / mb
        )
    };
    println!(
        "  read (file + parse): {}  = {:.0} MB/s",
        report.read.show(),
        report.read_mb_per_s
    );
    println!(
        "  read CPU time:       {} (user + system, all threads) = {}",
        report.read_cpu.show(),
        per_unit(report.read_cpu.median_s)
    );
    println!(
        "  floor, file read into a reused buffer (1 thread): {}; CPU {}",
        report.floor_read.show(),
        timing::ms(report.floor_read_cpu.median_s)
    );
    println!(
        "  floor, newlines counted in memory (memchr, 1 thread): {}",
        report.floor_newlines.show()
    );
    println!(
        "  posedeck read / floor read: wall {}, CPU {}",
        timing::ratio(report.read.median_s, report.floor_read.median_s),
        timing::ratio(report.read_cpu.median_s, report.floor_read_cpu.median_s)
    );
    if let Some(n) = report.compact_stalls.filter(|&n| n > 0) {
        println!(
            "  kernel compaction stalls during the rounds: {n} (little free memory: huge-page faults of fresh buffers waited)"
        );
    }
    println!("  parse (in memory):   {}", report.parse.show());
    if let Some(c) = &report.careful {
        println!("  careful reader only: {}", c.show());
    }
    if let Some(w) = &report.write {
        println!("  write (atomic):      {}", w.show());
    }
    for p in &report.peers {
        match (&p.read, &p.cpu, &p.not_measured) {
            (Some(r), Some(c), _) => {
                // Per round: the peer's read over posedeck's read just before it.
                let each: Vec<f64> = p
                    .walls
                    .iter()
                    .zip(&p.posedeck_walls)
                    .map(|(a, b)| a / b)
                    .collect();
                println!(
                    "  peer {} {}: read {}; CPU {} = {}",
                    p.name,
                    p.version.as_deref().unwrap_or(""),
                    r.show(),
                    timing::ms(c.median_s),
                    per_unit(c.median_s)
                );
                println!(
                    "    posedeck faster by: wall {} (medians), {} (median of the rounds); CPU {}",
                    timing::ratio(r.median_s, report.read.median_s),
                    timing::ratio(Stats::of(each).median_s, 1.0),
                    timing::ratio(c.median_s, report.read_cpu.median_s)
                );
            }
            (_, _, why) => println!(
                "  peer {}: not measured ({})",
                p.name,
                why.as_deref().unwrap_or("unknown")
            ),
        }
    }
    Ok(())
}
