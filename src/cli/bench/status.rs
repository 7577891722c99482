//! `posedeck bench status`: the whole-process time of `posedeck status DIR` and
//! `posedeck status DIR --json` on a generated project with 100 model runs, 5,000 labeled
//! frames over 20 videos (see [`crate::demo::bench`]): on a first open (the derived-value
//! cache off, so every metric CSV and events file is read) and with the warm cache. The
//! project is generated once and cached under `--dir`; `--big-log` adds a 900,000-scalar
//! events file to the first run (the TUI benchmark's project).

use super::Common;
use super::timing::{self, Stats};
use crate::demo::{BenchSpec, bench_project};
use anyhow::{Context, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model runs in the generated project.
    #[arg(long, default_value_t = 100)]
    pub model_runs: usize,
    /// Labeled frames in CollectedData.csv.
    #[arg(long, default_value_t = 5000)]
    pub labeled_frames: usize,
    /// Videos the labeled frames come from.
    #[arg(long, default_value_t = 20)]
    pub videos: usize,
    /// Give the first run a 900,000-scalar events file (12 tags).
    #[arg(long)]
    pub big_log: bool,
}

#[derive(Serialize)]
struct Report {
    project: PathBuf,
    spec: BenchSpec,
    generated_now: bool,
    generate_s: Option<f64>,
    project_bytes: u64,
    /// First open: `POSEDECK_NO_CACHE=1`, every file read.
    status_first_open: Stats,
    status_json_first_open: Stats,
    /// With the warm cache of derived values.
    status: Stats,
    status_json: Stats,
    goal_s: f64,
}

/// Name of the marker that says a cached project is complete (and for which spec).
const MARKER: &str = ".posedeck-bench-project.json";

pub fn run(args: &Args, common: &Common) -> anyhow::Result<()> {
    let spec = BenchSpec {
        runs: args.model_runs,
        labeled_frames: args.labeled_frames,
        videos: args.videos,
        big_log: args.big_log,
        ..BenchSpec::default()
    };
    let dir = cached_dir(common, &spec);
    let (generated_now, generate_s) = ensure_project(&dir, &spec)?;
    let d = dir.as_os_str();
    eprintln!("timing `posedeck status {}` ...", dir.display());
    let human = ["status".as_ref(), d];
    let json = ["status".as_ref(), d, "--json".as_ref()];
    let no_cache = [("POSEDECK_NO_CACHE", "1")];
    let status_first_open = timing::time_posedeck_env(common.runs, &human, &no_cache)?;
    let status_json_first_open = timing::time_posedeck_env(common.runs, &json, &no_cache)?;
    let status = timing::time_posedeck(common.runs, &human)?;
    let status_json = timing::time_posedeck(common.runs, &json)?;
    let report = Report {
        status_first_open,
        status_json_first_open,
        project_bytes: dir_bytes(&dir),
        project: dir,
        spec,
        generated_now,
        generate_s,
        status,
        status_json,
        goal_s: 0.200,
    };
    if common.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "project: {} ({} runs, {} labeled frames, {} videos{}; {:.1} MB)",
        report.project.display(),
        report.spec.runs,
        report.spec.labeled_frames,
        report.spec.videos,
        if report.spec.big_log {
            ", 900,000-scalar log"
        } else {
            ""
        },
        report.project_bytes as f64 / 1e6
    );
    if let Some(g) = report.generate_s {
        println!("generated in {:.1} s", g);
    }
    println!("first open (POSEDECK_NO_CACHE=1, every file read):");
    println!(
        "  posedeck status DIR         {}",
        report.status_first_open.show()
    );
    println!(
        "  posedeck status DIR --json  {}",
        report.status_json_first_open.show()
    );
    println!("with the warm cache of derived values:");
    println!("  posedeck status DIR         {}", report.status.show());
    println!(
        "  posedeck status DIR --json  {}",
        report.status_json.show()
    );
    println!("goal: <= 200 ms (first open)");
    Ok(())
}

/// Where the project of `spec` is cached.
fn cached_dir(common: &Common, spec: &BenchSpec) -> PathBuf {
    common.dir().join(format!(
        "status-r{}-f{}-v{}{}",
        spec.runs,
        spec.labeled_frames,
        spec.videos,
        if spec.big_log { "-biglog" } else { "" }
    ))
}

/// The project of `spec`, generated unless cached (shared with `bench tui`).
pub fn ensure_cached(common: &Common, spec: &BenchSpec) -> anyhow::Result<PathBuf> {
    let dir = cached_dir(common, spec);
    if let (true, Some(s)) = ensure_project(&dir, spec)? {
        eprintln!("generated in {s:.1} s");
    }
    Ok(dir)
}

/// Generates the project unless a complete copy for the same spec is cached. The spec is
/// written into the folder when generation finishes; a `<dir>.incomplete` file beside it
/// marks a generation in progress. A folder with neither is not ours and is never touched.
fn ensure_project(dir: &Path, spec: &BenchSpec) -> anyhow::Result<(bool, Option<f64>)> {
    let marker = dir.join(MARKER);
    let pending = dir.with_extension("incomplete");
    if let Ok(text) = std::fs::read_to_string(&marker)
        && serde_json::from_str::<BenchSpec>(&text).ok().as_ref() == Some(spec)
    {
        return Ok((false, None));
    }
    if dir.exists() {
        if !marker.exists() && !pending.exists() {
            bail!(
                "{}: exists but is not a posedeck benchmark project; choose another --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("{}: cannot remove", dir.display()))?;
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot create", parent.display()))?;
    }
    crate::util::write_atomic(&pending, b"posedeck bench: generation in progress\n")?;
    eprintln!("generating the benchmark project in {} ...", dir.display());
    let t = Instant::now();
    bench_project(dir, spec)?;
    crate::util::write_atomic(&marker, serde_json::to_string(spec)?.as_bytes())?;
    std::fs::remove_file(&pending)
        .with_context(|| format!("{}: cannot remove", pending.display()))?;
    Ok((true, Some(t.elapsed().as_secs_f64())))
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => n += m.len(),
                Err(_) => {}
            }
        }
    }
    n
}
