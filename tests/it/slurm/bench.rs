//! Figures for the README (benchmarks, not timed tests; run with `--ignored`):
//!
//! - submit to first step: `posedeck train --slurm` started → the worker's first step record
//!   in the run folder (wall clock; the same clock, this host is the compute node);
//! - the workstation following 100 held SLURM jobs for an idle minute: its CPU time (with the
//!   squeue children it reaped), bytes read and bytes written (the terminal), from /proc.

use super::cluster::{Cluster, cluster_or_skip};
use posedeck::jobs::events::{self, Body};
use std::path::Path;
use std::time::{Duration, Instant};

fn now() -> f64 {
    posedeck::jobs::events::now()
}

fn submit(c: &Cluster, proj: &Path, name: &str, epochs: u32, args: &[&str]) {
    let e = format!("training.max_epochs={epochs}");
    let m = format!("training.min_epochs={epochs}");
    crate::common::output_ok(
        c.posedeck()
            .args(["train", proj.to_str().unwrap(), "--slurm", "--name", name])
            .args(["--device", "cpu", "--gres=none", "--set", &e, "--set", &m])
            .args(args),
    );
}

#[test]
#[ignore = "benchmark: cargo test --release --test it -- --ignored slurm_bench"]
fn slurm_bench_submit_to_first_step() {
    let c = cluster_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = super::project(tmp.path());
    let mut figs = Vec::new();
    for i in 0..3 {
        let name = format!("b{i}");
        let t0 = now();
        submit(c, &proj, &name, 2, &[]);
        let submitted = now() - t0;
        let run = proj.join("models").join(&name);
        let start = Instant::now();
        let (began, step) = loop {
            let (recs, _) = events::read_all(&run.join(events::EVENTS_FILE)).unwrap_or_default();
            let began = recs
                .iter()
                .find(|r| matches!(r.body, Body::Start { .. }))
                .map(|r| r.time);
            let step = recs
                .iter()
                .find(|r| matches!(r.body, Body::Step { .. }))
                .map(|r| r.time);
            if let (Some(b), Some(s)) = (began, step) {
                break (b, s);
            }
            assert!(start.elapsed() < Duration::from_secs(120), "no step");
            std::thread::sleep(Duration::from_millis(20));
        };
        figs.push((submitted, began - t0, step - t0));
    }
    for (i, (s, b, f)) in figs.iter().enumerate() {
        eprintln!(
            "slurm bench {i}: sbatch returned {s:.2} s, worker started {b:.2} s, first step {f:.2} s"
        );
    }
}

/// `(utime+stime, cutime+cstime)` of `pid` in seconds: its own CPU time and that of the
/// children it reaped (the squeue calls).
fn cpu_s(pid: i32) -> (f64, f64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &s[s.rfind(')').unwrap() + 2..];
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // Fields 14-17 of stat (utime stime cutime cstime): 11-14 after the state.
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ((f[11] + f[12]) as f64 / hz, (f[13] + f[14]) as f64 / hz)
}

/// `(rchar, read_bytes, wchar)` of `pid`.
fn io(pid: i32) -> (u64, u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    let get = |k: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (get("rchar:"), get("read_bytes:"), get("wchar:"))
}

#[test]
#[ignore = "benchmark: cargo test --release --test it -- --ignored slurm_bench"]
fn slurm_bench_idle_minute_following_100_held_jobs() {
    let c = cluster_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = super::project(tmp.path());
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for k in 0..4 {
            let proj = &proj;
            s.spawn(move || {
                for i in (k..100).step_by(4) {
                    submit(c, proj, &format!("h{i:03}"), 1, &["--sbatch=--hold"]);
                }
            });
        }
    });
    eprintln!(
        "slurm bench: 100 held jobs submitted in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let bin = env!("CARGO_BIN_EXE_posedeck");
    let cmd = format!(
        "SLURM_CONF='{}' '{bin}' '{}' --image-protocol halfblocks",
        c.conf.display(),
        proj.display().to_string().replace('\'', r"'\''")
    );
    let Some(t) = crate::tui::e2e::Tmux::start(&cmd, 160, 48) else {
        return;
    };
    t.wait_for("Labeled frames per video", 20.0).unwrap();
    t.keys(&["6"]);
    t.wait_for("jobs 100", 30.0).unwrap();
    t.wait_for("JobHeldUser", 30.0).unwrap();
    let pid = crate::tui::e2e::child_of(t.pane_pid()).expect("posedeck");
    // Settled: the first polls and the first alive checks are done.
    std::thread::sleep(Duration::from_secs(35));
    let threads = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .count();
    // What reaches the terminal: the pane's output, copied by tmux into a file.
    let tty = tmp.path().join("pane.out");
    std::process::Command::new("tmux")
        .args(["pipe-pane", "-o", "-t", &t.name])
        .arg(format!("cat >> '{}'", tty.display()))
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let size = || std::fs::metadata(&tty).map_or(0, |m| m.len());
    let ((o0, k0), (r0, rb0, w0), t0b, w) = (cpu_s(pid), io(pid), size(), Instant::now());
    std::thread::sleep(Duration::from_secs(60));
    let ((o1, k1), (r1, rb1, w1), t1b) = (cpu_s(pid), io(pid), size());
    let secs = w.elapsed().as_secs_f64();
    eprintln!(
        "slurm bench: idle {secs:.0} s following 100 held SLURM jobs ({threads} threads): \
         CPU {:.2} s own ({:.2}% of one core) + {:.2} s in the squeue calls it made ({:.2}%); \
         bytes read {} (squeue's output and its own reads included; {} from disk), written {} \
         (squeue's output to its pipe included); {} bytes to the terminal",
        o1 - o0,
        100.0 * (o1 - o0) / secs,
        k1 - k0,
        100.0 * (k1 - k0) / secs,
        r1 - r0,
        rb1 - rb0,
        w1 - w0,
        t1b - t0b
    );
    // Quit, keeping the jobs (the default), then cancel them.
    t.keys(&["q"]);
    std::thread::sleep(Duration::from_millis(500));
    t.keys(&["Enter"]);
    let _ = t.wait_for("EXIT=", 10.0);
    let ids: Vec<String> = posedeck::jobs::job_file::job_dirs(&proj)
        .iter()
        .filter_map(|d| posedeck::jobs::slurm::read_record(d).ok().flatten())
        .map(|r| r.job_id.to_string())
        .collect();
    let _ = std::process::Command::new("scancel")
        .args(&ids)
        .env("SLURM_CONF", &c.conf)
        .status();
}
