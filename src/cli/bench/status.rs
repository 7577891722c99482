//! `posedeck bench status`: the whole-process time of `posedeck status DIR` and
//! `posedeck status DIR --json` on a generated project with 100 model runs, 5,000 labeled
//! frames over 20 videos (see [`crate::demo::bench`]): on a first open (the derived-value
//! cache off, so every metric CSV and events file is read) and with the warm cache. The
//! project is generated once and cached under `--dir`; `--big-log` adds a 900,000-scalar
//! events file to the first run (the TUI benchmark's project).
//!
//! Each `posedeck status` process is measured with `wait4` (wall, its own CPU time, max RSS),
//! and in the same rounds the floor: the files a first open reads (every config, status,
//! metric CSV and events file; no images, checkpoints or predictions) read whole into one
//! reused buffer, as `cat` reads them. The ratios to the floor are printed.

mod floor;

use super::Common;
use super::timing::{self, Stats};
use crate::demo::{BenchSpec, bench_project};
use anyhow::{Context, bail};
use floor::{Floor, floor_round, median_of, status_files};
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
    /// Instead: the scale case, a project of 5,000 runs (100 labeled frames, 20 videos;
    /// 3.3 GB, about 30 s to generate once): wall time, CPU time and peak memory (max RSS)
    /// of each `posedeck status` process, first open and with the warm cache.
    #[arg(long)]
    pub scale: bool,
}

/// The scale case's runs (goal: under 3 s and 300 MB max RSS on 2 cores).
pub const SCALE_RUNS: usize = 5000;

/// One process measured: wall time, CPU time (user + system) and peak memory.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProcStats {
    pub wall_s: f64,
    pub user_s: f64,
    pub sys_s: f64,
    /// `ru_maxrss` of the process (bytes).
    pub max_rss_bytes: u64,
}

impl ProcStats {
    fn show(&self) -> String {
        format!(
            "wall {:.2} s, CPU {:.2} s (user {:.2} + sys {:.2}), max RSS {:.0} MB",
            self.wall_s,
            self.user_s + self.sys_s,
            self.user_s,
            self.sys_s,
            self.max_rss_bytes as f64 / 1e6
        )
    }
}

/// Runs this executable with `args` (stdout discarded) and reads its resource use from
/// `wait4`: the child's own CPU time and max RSS, whatever else this process does.
/// One of the measured `posedeck` invocations: its label, arguments and environment.
type Kind<'a> = (&'a str, &'a [&'a std::ffi::OsStr], &'a [(&'a str, &'a str)]);

/// `runs` rounds, each running every kind once in turn and then the floor: every kind's
/// measurements, and the floor's (wall, CPU) per round.
#[allow(clippy::type_complexity)]
fn rounds(
    kinds: &[Kind<'_>],
    files: &[PathBuf],
    buf: &mut Vec<u8>,
    runs: usize,
) -> anyhow::Result<(Vec<Vec<ProcStats>>, Vec<(f64, f64)>)> {
    let mut each = vec![Vec::with_capacity(runs); kinds.len()];
    let mut floor = Vec::with_capacity(runs);
    for _ in 0..runs {
        for ((_, args, envs), out) in kinds.iter().zip(&mut each) {
            out.push(measure_process(args, envs)?);
        }
        floor.push(floor_round(files, buf)?);
    }
    Ok((each, floor))
}

pub fn measure_process(
    args: &[&std::ffi::OsStr],
    envs: &[(&str, &str)],
) -> anyhow::Result<ProcStats> {
    let exe = std::env::current_exe().context("locating the posedeck executable")?;
    let t = Instant::now();
    let child = std::process::Command::new(&exe)
        .args(args)
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("running {}", exe.display()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let got = loop {
        // SAFETY: `pid` is our child, not yet reaped (`child` is never waited on); the
        // pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let wall_s = t.elapsed().as_secs_f64();
    if got != pid {
        bail!(
            "waiting for {}: {}",
            exe.display(),
            std::io::Error::last_os_error()
        );
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!("{} {:?} failed (wait status {status})", exe.display(), args);
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    Ok(ProcStats {
        wall_s,
        user_s: secs(ru.ru_utime),
        sys_s: secs(ru.ru_stime),
        // Linux reports kilobytes.
        max_rss_bytes: ru.ru_maxrss.max(0) as u64 * 1024,
    })
}

#[derive(Serialize)]
struct ScaleReport {
    project: PathBuf,
    spec: BenchSpec,
    generate_s: Option<f64>,
    /// `(case, each run)`: first open (`POSEDECK_NO_CACHE=1`) and warm cache, human / JSON.
    cases: Vec<(String, Vec<ProcStats>)>,
    floor: Floor,
    goal: &'static str,
}

fn run_scale(common: &Common) -> anyhow::Result<()> {
    let spec = BenchSpec {
        runs: SCALE_RUNS,
        labeled_frames: 100,
        videos: 20,
        ..BenchSpec::default()
    };
    let dir = cached_dir(common, &spec);
    let (_, generate_s) = ensure_project(&dir, &spec)?;
    let d = dir.as_os_str();
    let human = ["status".as_ref(), d];
    let json = ["status".as_ref(), d, "--json".as_ref()];
    let no_cache = [("POSEDECK_NO_CACHE", "1")];
    // Fills the warm cache (and the page cache) first.
    measure_process(&human, &[])?;
    let files = status_files(&dir);
    let mut buf = Vec::new();
    let floor_bytes = timing::floor_read_files(&files, &mut buf)?;
    let runs = common.runs.max(1);
    let kinds = [
        ("status DIR, first open", &human[..], &no_cache[..]),
        ("status DIR --json, first open", &json[..], &no_cache[..]),
        ("status DIR, warm cache", &human[..], &[][..]),
        ("status DIR --json, warm cache", &json[..], &[][..]),
    ];
    let (each, floor) = rounds(&kinds, &files, &mut buf, runs)?;
    let cases = kinds
        .iter()
        .zip(each)
        .map(|((name, _, _), e)| (name.to_string(), e))
        .collect();
    let report = ScaleReport {
        project: dir,
        spec,
        generate_s,
        cases,
        floor: Floor::of(&files, floor_bytes, &floor),
        goal: "under 3 s wall and 300 MB max RSS",
    };
    if common.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "project: {} ({} runs, {} labeled frames, {} videos)",
        report.project.display(),
        report.spec.runs,
        report.spec.labeled_frames,
        report.spec.videos
    );
    if let Some(g) = report.generate_s {
        println!("generated in {g:.1} s");
    }
    for (name, each) in &report.cases {
        let mut sorted = each.clone();
        sorted.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
        let median = sorted[sorted.len() / 2];
        let rss = each.iter().map(|p| p.max_rss_bytes).max().unwrap_or(0);
        println!("{name} (median of {} by wall time):", each.len());
        println!("  {}", median.show());
        let cpu = median_of(each, |p| p.user_s + p.sys_s);
        println!(
            "  largest max RSS over the runs: {:.0} MB; median CPU {:.2} s = {:.2} ms per model run; to the floor: wall {}, CPU {}",
            rss as f64 / 1e6,
            cpu,
            cpu * 1e3 / report.spec.runs as f64,
            timing::ratio(median_of(each, |p| p.wall_s), report.floor.read.median_s),
            timing::ratio(cpu, report.floor.read_cpu.median_s)
        );
    }
    println!("{}", report.floor.show());
    println!("goal: {}", report.goal);
    Ok(())
}

#[derive(Serialize)]
struct Report {
    project: PathBuf,
    spec: BenchSpec,
    generated_now: bool,
    generate_s: Option<f64>,
    project_bytes: u64,
    /// `(case, each run)`: first open (`POSEDECK_NO_CACHE=1`, every file read) and with the
    /// warm cache of derived values, human / JSON; each run measured with `wait4`.
    cases: Vec<(String, Vec<ProcStats>)>,
    floor: Floor,
    goal_s: f64,
}

/// Name of the marker that says a cached project is complete (and for which spec).
const MARKER: &str = ".posedeck-bench-project.json";

pub fn run(args: &Args, common: &Common) -> anyhow::Result<()> {
    if args.scale {
        return run_scale(common);
    }
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
    let kinds = [
        ("status DIR, first open", &human[..], &no_cache[..]),
        ("status DIR --json, first open", &json[..], &no_cache[..]),
        ("status DIR, warm cache", &human[..], &[][..]),
        ("status DIR --json, warm cache", &json[..], &[][..]),
    ];
    let files = status_files(&dir);
    let mut buf = Vec::new();
    // Warm-up: one run of each (the last one fills the cache), and the floor.
    for (_, args, envs) in &kinds {
        measure_process(args, envs)?;
    }
    let floor_bytes = timing::floor_read_files(&files, &mut buf)?;
    let runs = common.runs.max(1);
    let (each, floor) = rounds(&kinds, &files, &mut buf, runs)?;
    let report = Report {
        cases: kinds
            .iter()
            .zip(each)
            .map(|((name, _, _), e)| (name.to_string(), e))
            .collect(),
        floor: Floor::of(&files, floor_bytes, &floor),
        project_bytes: dir_bytes(&dir),
        project: dir,
        spec,
        generated_now,
        generate_s,
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
    println!("{}", report.floor.show());
    println!(
        "(first open: POSEDECK_NO_CACHE=1, every file read; warm cache: the derived values cached)"
    );
    let (floor_wall, floor_cpu) = (report.floor.read.median_s, report.floor.read_cpu.median_s);
    for (name, each) in &report.cases {
        let wall = Stats::of(each.iter().map(|p| p.wall_s).collect());
        let cpu = median_of(each, |p| p.user_s + p.sys_s);
        println!("  {name:31} {}", wall.show());
        println!(
            "  {:31} CPU {} (user {} + sys {}) = {:.2} ms per model run; max RSS {:.0} MB; to the floor: wall {}, CPU {}",
            "",
            timing::ms(cpu),
            timing::ms(median_of(each, |p| p.user_s)),
            timing::ms(median_of(each, |p| p.sys_s)),
            cpu * 1e3 / report.spec.runs.max(1) as f64,
            each.iter().map(|p| p.max_rss_bytes).max().unwrap_or(0) as f64 / 1e6,
            timing::ratio(wall.median_s, floor_wall),
            timing::ratio(cpu, floor_cpu)
        );
    }
    println!("goal: <= 200 ms wall (first open)");
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
