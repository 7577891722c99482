//! Timing helpers shared by the benchmarks: medians, in-process timing, whole-process timing
//! of posedeck's own executable, and reporting.

use anyhow::{Context, bail};
use serde::Serialize;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Summary of repeated measurements, in seconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Stats {
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub runs: usize,
}

impl Stats {
    pub fn of(mut secs: Vec<f64>) -> Stats {
        secs.sort_by(|a, b| a.total_cmp(b));
        let n = secs.len();
        let median = match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => secs[n / 2],
            _ => (secs[n / 2 - 1] + secs[n / 2]) / 2.0,
        };
        Stats {
            median_s: median,
            min_s: secs.first().copied().unwrap_or(f64::NAN),
            max_s: secs.last().copied().unwrap_or(f64::NAN),
            runs: n,
        }
    }

    /// "12.3 ms (min 11.9, max 13.0, 7 runs)".
    pub fn show(&self) -> String {
        format!(
            "{} (min {}, max {}, {} runs)",
            ms(self.median_s),
            ms(self.min_s),
            ms(self.max_s),
            self.runs
        )
    }
}

pub fn ms(s: f64) -> String {
    if s < 0.001 {
        format!("{:.1} µs", s * 1e6)
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

/// Runs `f` once to warm up, then `runs` times; returns the timings.
pub fn time_fn<T>(runs: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<Stats> {
    f()?;
    let mut secs = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        std::hint::black_box(f()?);
        secs.push(t.elapsed().as_secs_f64());
    }
    Ok(Stats::of(secs))
}

/// Times whole runs of this posedeck executable with `args` (stdout discarded), after one
/// warm-up run; each run must succeed.
pub fn time_posedeck(runs: usize, args: &[&std::ffi::OsStr]) -> anyhow::Result<Stats> {
    time_posedeck_env(runs, args, &[])
}

/// [`time_posedeck`] with extra environment variables for each run.
pub fn time_posedeck_env(
    runs: usize,
    args: &[&std::ffi::OsStr],
    envs: &[(&str, &str)],
) -> anyhow::Result<Stats> {
    let exe = std::env::current_exe().context("locating the posedeck executable")?;
    let once = || -> anyhow::Result<f64> {
        let t = Instant::now();
        let st = Command::new(&exe)
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .with_context(|| format!("running {}", exe.display()))?;
        let dt = t.elapsed().as_secs_f64();
        if !st.success() {
            bail!("{} {:?} failed: {st}", exe.display(), args);
        }
        Ok(dt)
    };
    once()?;
    let mut secs = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        secs.push(once()?);
    }
    Ok(Stats::of(secs))
}

/// Runs `hyperfine` on `posedeck <args>` when it is installed; returns its summary line.
pub fn hyperfine(args: &[&str]) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let cmd = format!("{} {}", exe.display(), args.join(" "));
    let out = Command::new("hyperfine")
        .args([
            "-N",
            "--warmup",
            "3",
            "--style",
            "basic",
            "--export-json",
            "/dev/stdout",
        ])
        .arg(&cmd)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let start = text.find("{\n")?;
    let v: serde_json::Value = serde_json::from_str(&text[start..]).ok()?;
    let r = v.get("results")?.get(0)?;
    let f = |k: &str| r.get(k).and_then(|x| x.as_f64());
    Some(format!(
        "hyperfine: mean {} ± {}, min {}, {} runs",
        ms(f("mean")?),
        ms(f("stddev")?),
        ms(f("min")?),
        r.get("times")?.as_array()?.len()
    ))
}

/// Size of a file in bytes, or 0.
pub fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Whole-process figures: wall time and CPU time (the child's user + system time, from
/// `wait4`), each over the same runs.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProcStats {
    pub wall: Stats,
    pub cpu: Stats,
    /// Median minor page faults of one run.
    pub page_faults: u64,
}

impl ProcStats {
    /// "wall 12.3 ms (min 11.9), CPU 10.1 ms (min 9.8), 1234 page faults".
    pub fn show(&self) -> String {
        format!(
            "wall {} (min {}), CPU {} (min {}), {} page faults",
            ms(self.wall.median_s),
            ms(self.wall.min_s),
            ms(self.cpu.median_s),
            ms(self.cpu.min_s),
            self.page_faults
        )
    }
}

/// One whole run of a process.
#[derive(Debug, Clone, Copy)]
pub struct ProcRun {
    pub wall_s: f64,
    /// User + system time.
    pub cpu_s: f64,
    pub page_faults: u64,
}

/// Runs `cmd` once with stdin, stdout and stderr on /dev/null and measures it. It must
/// exit 0.
pub fn run_measured(cmd: &mut Command) -> anyhow::Result<ProcRun> {
    let t = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unreaped child; `status` and `ru` are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            bail!("waiting for {:?}: {e}", cmd.get_program());
        }
    }
    let wall = t.elapsed().as_secs_f64();
    // Reaped here: dropping `child` neither waits nor kills.
    drop(child);
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!(
            "{:?} {:?} failed (status {status})",
            cmd.get_program(),
            cmd.get_args()
        );
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Ok(ProcRun {
        wall_s: wall,
        cpu_s: tv(ru.ru_utime) + tv(ru.ru_stime),
        page_faults: ru.ru_minflt.max(0) as u64,
    })
}

/// Times whole processes side by side: one warm-up run of each, then `runs` rounds running
/// each command once in turn (so a changing load hits all of them alike).
pub fn measure_procs(runs: usize, cmds: &mut [Command]) -> anyhow::Result<Vec<ProcStats>> {
    let mut all: Vec<Vec<ProcRun>> = vec![Vec::new(); cmds.len()];
    for c in cmds.iter_mut() {
        run_measured(c)?;
    }
    for _ in 0..runs.max(1) {
        for (k, c) in cmds.iter_mut().enumerate() {
            all[k].push(run_measured(c)?);
        }
    }
    Ok(all
        .into_iter()
        .map(|r| {
            let mut faults: Vec<u64> = r.iter().map(|x| x.page_faults).collect();
            faults.sort_unstable();
            ProcStats {
                wall: Stats::of(r.iter().map(|x| x.wall_s).collect()),
                cpu: Stats::of(r.iter().map(|x| x.cpu_s).collect()),
                page_faults: faults[faults.len() / 2],
            }
        })
        .collect())
}

/// This process's CPU time so far (user + system, all threads), in seconds.
pub fn cpu_now() -> f64 {
    self_cpu_seconds()
}

/// CPU time this process has used so far (user + system, all threads), in seconds.
pub fn self_cpu_seconds() -> f64 {
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

/// Like [`time_fn`], also giving the process's CPU time per run (all threads together).
pub fn time_fn_cpu<T>(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(Stats, Stats)> {
    f()?;
    let mut secs = Vec::with_capacity(runs);
    let mut cpus = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let (t, c) = (Instant::now(), cpu_now());
        std::hint::black_box(f()?);
        secs.push(t.elapsed().as_secs_f64());
        cpus.push(cpu_now() - c);
    }
    Ok((Stats::of(secs), Stats::of(cpus)))
}

/// [`time_fn_cpu`] with the result dropped after the clock stops: the time to build it
/// (wall, CPU) and, apart, the wall time of dropping it.
pub fn time_fn_cpu_kept<T>(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(Stats, Stats, Stats)> {
    drop(f()?);
    let mut secs = Vec::with_capacity(runs);
    let mut cpus = Vec::with_capacity(runs);
    let mut drops = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let (t, c) = (Instant::now(), cpu_now());
        let kept = std::hint::black_box(f()?);
        secs.push(t.elapsed().as_secs_f64());
        cpus.push(cpu_now() - c);
        let t = Instant::now();
        drop(kept);
        drops.push(t.elapsed().as_secs_f64());
    }
    Ok((Stats::of(secs), Stats::of(cpus), Stats::of(drops)))
}

/// One in-process run of `f`: its wall time and this process's CPU time over it (seconds).
pub fn wall_and_cpu<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(f64, f64)> {
    let (t, c) = (Instant::now(), self_cpu_seconds());
    std::hint::black_box(f()?);
    Ok((t.elapsed().as_secs_f64(), self_cpu_seconds() - c))
}

/// The floor for reading `files`: each read whole into one reused buffer (no fresh pages),
/// as `cat` reads; returns the bytes read.
pub fn floor_read_files(files: &[std::path::PathBuf], buf: &mut Vec<u8>) -> anyhow::Result<u64> {
    use std::io::Read;
    let mut total = 0u64;
    for f in files {
        let mut file = std::fs::File::open(f).with_context(|| f.display().to_string())?;
        buf.clear();
        total += file
            .read_to_end(buf)
            .with_context(|| f.display().to_string())? as u64;
    }
    Ok(total)
}

/// `num / den` as "2.31x" (or "-" when either is not a positive finite number).
pub fn ratio(num: f64, den: f64) -> String {
    if num.is_finite() && den.is_finite() && num > 0.0 && den > 0.0 {
        format!("{:.2}x", num / den)
    } else {
        "-".into()
    }
}

/// A counter of the kernel's `/proc/vmstat` (Linux), e.g. `compact_stall`: how often an
/// allocation waited for memory to be compacted into huge pages.
pub fn vmstat_counter(name: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/vmstat").ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == name).then(|| v.trim().parse().ok())?
    })
}
