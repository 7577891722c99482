//! `posedeck fuzz TARGET FILE...` (hidden): mutation fuzzing of posedeck's own readers, in
//! process, under an address-space limit. Each iteration writes one mutated copy of a real
//! file (a flipped bit, overwritten bytes, a truncation, a duplicated or inserted range) to a
//! work folder and reads it exactly as the commands do. The reader may refuse the file; it
//! may not panic, abort, hang or run out of the memory limit. The mutated input of the
//! iteration running is always on disk (`<work>/input.<ext>`), so whatever kills the process
//! leaves the file that did it; a panic or a hang keeps a copy and is reported.

mod mutate;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct FuzzArgs {
    /// What to read: slp (the HDF5 / SLEAP reader, as `labels info`), csv (Lightning Pose
    /// pose CSVs as `labels info`, metric CSVs as `status`), events (TensorBoard events files, as `scalars`), config
    /// (config.yaml, as `status`).
    #[arg(value_enum)]
    pub target: Target,
    /// Real files to mutate.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// How long to run.
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Address-space limit (RLIMIT_AS) in MiB.
    #[arg(long, default_value_t = 2048)]
    pub memory_mib: u64,
    /// One read taking longer than this is a hang.
    #[arg(long, default_value_t = 20.0)]
    pub hang_seconds: f64,
    /// Work folder (the current input, kept failures); default a fresh temporary folder.
    #[arg(long)]
    pub work: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum Target {
    Slp,
    Csv,
    Events,
    Config,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    pub target: String,
    pub files: usize,
    pub iterations: u64,
    pub accepted: u64,
    pub refused: u64,
    pub panics: u64,
    pub seconds: f64,
    pub slowest_read_ms: f64,
    pub max_rss_mib: f64,
    pub memory_limit_mib: u64,
    pub kept: Vec<String>,
}

static ITERATION: AtomicU64 = AtomicU64::new(0);
static STARTED_MS: AtomicU64 = AtomicU64::new(u64::MAX);

pub fn run(a: &FuzzArgs) -> anyhow::Result<i32> {
    let seeds: Vec<(PathBuf, Vec<u8>)> = a
        .files
        .iter()
        .map(|p| Ok((p.clone(), crate::util::read(p)?)))
        .collect::<crate::Result<_>>()?;
    let work = match &a.work {
        Some(w) => w.clone(),
        None => std::env::temp_dir().join(format!("posedeck-fuzz.{}", std::process::id())),
    };
    std::fs::create_dir_all(&work).map_err(|e| crate::Error::io(&work, e))?;
    limit_memory(a.memory_mib << 20)?;
    watchdog(Duration::from_secs_f64(a.hang_seconds), work.clone());
    // Panics are counted, not printed.
    let last_panic = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let lp = last_panic.clone();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut s) = lp.lock() {
            *s = info.to_string();
        }
    }));
    let t0 = Instant::now();
    let mut rng = mutate::Rng::new(a.seed);
    let mut sum = Summary {
        target: format!("{:?}", a.target).to_lowercase(),
        files: seeds.len(),
        memory_limit_mib: a.memory_mib,
        ..Default::default()
    };
    let mut slowest = Duration::ZERO;
    while t0.elapsed().as_secs_f64() < a.seconds {
        let (src, bytes) = &seeds[rng.below(seeds.len() as u64) as usize];
        let input = work.join(input_name(a.target, src));
        let data = mutate::mutate(&mut rng, bytes, a.target != Target::Slp);
        std::fs::write(&input, &data).map_err(|e| crate::Error::io(&input, e))?;
        ITERATION.store(sum.iterations, Ordering::Relaxed);
        STARTED_MS.store(t0.elapsed().as_millis() as u64, Ordering::Relaxed);
        let t = Instant::now();
        let r = std::panic::catch_unwind(|| read(a.target, &input));
        STARTED_MS.store(u64::MAX, Ordering::Relaxed);
        slowest = slowest.max(t.elapsed());
        match r {
            Ok(true) => sum.accepted += 1,
            Ok(false) => sum.refused += 1,
            Err(_) => {
                sum.panics += 1;
                let keep = work.join(format!(
                    "panic-{}-{}",
                    sum.iterations,
                    input_name(a.target, src)
                ));
                let _ = std::fs::copy(&input, &keep);
                let msg = last_panic.lock().map(|s| s.clone()).unwrap_or_default();
                crate::cli::error_line(&format!(
                    "fuzz: panic ({msg}); input kept: {}",
                    keep.display()
                ));
                sum.kept.push(keep.display().to_string());
            }
        }
        sum.iterations += 1;
    }
    for (src, _) in &seeds {
        let _ = std::fs::remove_file(work.join(input_name(a.target, src)));
    }
    sum.seconds = t0.elapsed().as_secs_f64();
    sum.slowest_read_ms = slowest.as_secs_f64() * 1e3;
    sum.max_rss_mib = max_rss_mib();
    if a.json {
        crate::cli::out::print_json(&sum)?;
    } else {
        crate::cli::out::println(&format!(
            "fuzz {}: {} iterations over {} files in {:.0} s: {} read, {} refused, {} panics; \
             slowest read {:.1} ms, max RSS {:.0} MiB under a {} MiB address-space limit",
            sum.target,
            sum.iterations,
            sum.files,
            sum.seconds,
            sum.accepted,
            sum.refused,
            sum.panics,
            sum.slowest_read_ms,
            sum.max_rss_mib,
            sum.memory_limit_mib
        ))?;
    }
    Ok(if sum.panics > 0 { 1 } else { 0 })
}

fn input_name(target: Target, src: &Path) -> String {
    let name = src.file_name().map(|n| n.to_string_lossy().into_owned());
    match name {
        // CSV readers go by the whole name (CollectedData, predictions, *_error.csv).
        Some(n) if target == Target::Csv => n,
        // Keep the kind the readers go by (`.slp`, `.csv`, `config.yaml`, `events.out...`).
        Some(n) if n.starts_with("events.out.tfevents") => "events.out.tfevents.fuzz".into(),
        Some(n) if n.ends_with(".pkg.slp") => "input.pkg.slp".into(),
        Some(n) => match n.rsplit_once('.') {
            Some((_, ext)) => format!("input.{ext}"),
            None => "input".into(),
        },
        None => "input".into(),
    }
}

/// Reads `path` as the commands do; true when it was accepted.
fn read(target: Target, path: &Path) -> bool {
    match target {
        Target::Csv if is_metric_csv(path) => crate::formats::csv::MetricTable::read(path).is_ok(),
        Target::Slp | Target::Csv => crate::cli::labels::load_info(path).is_ok(),
        Target::Events => crate::formats::tfevents::read_events_file(path)
            .map(|f| f.error.is_none())
            .unwrap_or(false),
        Target::Config => crate::formats::config::LpConfig::load(path).is_ok(),
    }
}

/// Lightning Pose's per-keypoint metric CSVs (pixel error, PCA errors, temporal norm), read
/// by the metric reader as `status` does; the others are pose CSVs.
fn is_metric_csv(path: &Path) -> bool {
    let n = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    n.ends_with("_error.csv") || n.ends_with("_norm.csv")
}

fn limit_memory(bytes: u64) -> crate::Result<()> {
    let lim = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: setrlimit reads the struct we pass.
    if unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) } != 0 {
        return Err(crate::Error::usage(format!(
            "fuzz: cannot limit the address space: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

/// A thread that ends the process (exit 3) when one read runs past `limit`, keeping its
/// input.
fn watchdog(limit: Duration, work: PathBuf) {
    let t0 = Instant::now();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let started = STARTED_MS.load(Ordering::Relaxed);
            if started == u64::MAX {
                continue;
            }
            let now = t0.elapsed().as_millis() as u64;
            if now.saturating_sub(started) > limit.as_millis() as u64 {
                crate::cli::error_line(&format!(
                    "fuzz: iteration {} read for more than {:.0} s (a hang); its input is in {}",
                    ITERATION.load(Ordering::Relaxed),
                    limit.as_secs_f64(),
                    work.display()
                ));
                std::process::exit(3);
            }
        }
    });
}

fn max_rss_mib() -> f64 {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) } == 0;
    if !ok {
        return 0.0;
    }
    // SAFETY: initialised by the successful call above.
    unsafe { ru.assume_init() }.ru_maxrss as f64 / 1024.0
}
