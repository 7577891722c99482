//! `posedeck bench csv`: a video-predictions CSV of 100,000 rows x 17 keypoints x (x, y,
//! likelihood) (~95 MB), written by posedeck's own [`PoseTable`] writer (values are float32
//! widened to float64, as Lightning Pose writes them), then
//! - `read`: [`PoseTable::read`] (file read + parse, the figure compared with pandas / pyarrow /
//!   polars, which also read the file),
//! - `parse`: [`PoseTable::parse`] of bytes already in memory,
//! - `careful`: the single-threaded careful reader alone (what the fast path saves),
//! - `write`: [`PoseTable::write`] of the same table.

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
    parse: Stats,
    careful: Option<Stats>,
    write: Option<Stats>,
    /// The same file read by pandas / pyarrow / polars in this run (where installed).
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

/// Process CPU time so far (user + system, all threads), in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct we pass, which is plain data.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut ru) != 0 {
            return f64::NAN;
        }
        ru
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Like [`timing::time_fn`], also measuring the process CPU time of each run.
fn time_with_cpu<T>(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(Stats, Stats)> {
    f()?;
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let (t, c) = (std::time::Instant::now(), cpu_seconds());
        std::hint::black_box(f()?);
        wall.push(t.elapsed().as_secs_f64());
        cpu.push(cpu_seconds() - c);
    }
    Ok((Stats::of(wall), Stats::of(cpu)))
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
    let (read, read_cpu) = time_with_cpu(common.runs, || Ok(PoseTable::read(&file)?))?;
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
    let peers = if args.no_peers {
        Vec::new()
    } else {
        super::peers::csv_readers(&file, common.runs.min(5))
    };
    let report = Report {
        peers,
        bytes: bytes.len() as u64,
        rows: t.n_rows(),
        values: t.values.len(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        read_cpu,
        read_mb_per_s: bytes.len() as f64 / 1e6 / read.median_s,
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
    println!(
        "  read (file + parse): {}  = {:.0} MB/s",
        report.read.show(),
        report.read_mb_per_s
    );
    println!(
        "  read CPU time:       {} (user + system, both threads)",
        report.read_cpu.show()
    );
    println!("  parse (in memory):   {}", report.parse.show());
    if let Some(c) = &report.careful {
        println!("  careful reader only: {}", c.show());
    }
    if let Some(w) = &report.write {
        println!("  write (atomic):      {}", w.show());
    }
    for p in &report.peers {
        match (&p.read, &p.not_measured) {
            (Some(r), _) => println!(
                "  peer {} {} read: {}; posedeck read at {:.2}x its speed",
                p.name,
                p.version.as_deref().unwrap_or(""),
                r.show(),
                r.median_s / report.read.median_s
            ),
            (None, why) => println!(
                "  peer {}: not measured ({})",
                p.name,
                why.as_deref().unwrap_or("unknown")
            ),
        }
    }
    Ok(())
}
