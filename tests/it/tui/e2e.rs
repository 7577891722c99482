//! The binary in a real terminal (tmux): keys through every view, live changes on screen
//! within a second of the write, and the terminal restored after `q` and after SIGHUP (a
//! dropped SSH connection).

use crate::shared_or_skip;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub name: String,
}

impl Tmux {
    /// Starts `cmd` in a detached tmux session of `w`x`h`; `None` (skip) without tmux.
    pub fn start(cmd: &str, w: u16, h: u16) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("SKIP: tmux not installed");
            return None;
        }
        let name = format!("posedeck-e2e-{}-{}", std::process::id(), rand_suffix());
        let ok = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", &w.to_string(), "-y", &h.to_string()])
            .arg(format!("{cmd}; echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo | tr '\\n' ' '; echo; sleep 30"))
            .env_remove("TMUX")
            .status()
            .ok()?
            .success();
        ok.then_some(Tmux { name })
    }
    pub fn capture(&self) -> String {
        let o = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let _ = Command::new("tmux")
                .args(["send-keys", "-t", &self.name, k])
                .status();
            std::thread::sleep(Duration::from_millis(60));
        }
    }
    pub fn alternate_on(&self) -> bool {
        let o = Command::new("tmux")
            .args(["display", "-p", "-t", &self.name, "#{alternate_on}"])
            .output()
            .expect("tmux display");
        String::from_utf8_lossy(&o.stdout).trim() == "1"
    }
    pub fn pane_pid(&self) -> i32 {
        let o = Command::new("tmux")
            .args(["display", "-p", "-t", &self.name, "#{pane_pid}"])
            .output()
            .expect("tmux display");
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }
    /// Waits until the screen contains `s` (at most `secs`); returns the last capture.
    pub fn wait_for(&self, s: &str, secs: f64) -> Result<Duration, String> {
        let t0 = Instant::now();
        loop {
            let c = self.capture();
            if c.contains(s) {
                return Ok(t0.elapsed());
            }
            if t0.elapsed().as_secs_f64() > secs {
                return Err(c);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// The posedeck process running in the pane (the shell's child).
pub fn child_of(pid: i32) -> Option<i32> {
    let o = Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .ok()?;
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .find(|p: &i32| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "posedeck")
        })
}

#[test]
fn e2e_views_and_terminal_restore_after_q_and_sighup() {
    let data = shared_or_skip!();
    let slp = data.join("slp/minimal_instance.pkg.slp");
    let bin = env!("CARGO_BIN_EXE_posedeck");
    let cmd = format!("{bin} {}", slp.display());
    let Some(t) = Tmux::start(&cmd, 100, 30) else {
        return;
    };
    t.wait_for("labeled frames 1", 5.0).expect("overview shows");
    assert!(t.alternate_on());
    for (key, want) in [
        ("2", "frames 1/1"),
        ("3", "no model runs"),
        ("4", "tags 0"),
        ("5", "video centered_pair_low_quality"),
        ("?", "help (j/k scroll"),
        ("Escape", "video centered_pair_low_quality"),
        (":", "command"),
        ("Escape", "Videos"),
        ("1", "Labeled frames per video"),
    ] {
        t.keys(&[key]);
        if let Err(screen) = t.wait_for(want, 3.0) {
            panic!("after {key:?} no {want:?} on screen:\n{screen}");
        }
    }
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 5.0).expect("q quits with 0");
    t.wait_for("icanon echo", 5.0)
        .expect("cooked mode restored");
    assert!(!t.alternate_on(), "alternate screen left");
    drop(t);

    // SIGHUP: the terminal is restored and the process exits (128 + 1).
    let Some(t) = Tmux::start(&cmd, 100, 30) else {
        return;
    };
    t.wait_for("labeled frames 1", 5.0).expect("overview shows");
    let pid = child_of(t.pane_pid()).expect("posedeck process");
    unsafe { libc::kill(pid, libc::SIGHUP) };
    t.wait_for("EXIT=129", 5.0).expect("exits on SIGHUP");
    t.wait_for("icanon echo", 5.0)
        .expect("cooked mode restored after SIGHUP");
    assert!(!t.alternate_on());
}

/// Polls the pane until it shows `s`; the time from the call (made right after a write) to
/// the first capture that shows it.
fn seen_after(t: &Tmux, s: &str, limit: Duration) -> Result<Duration, String> {
    let t0 = Instant::now();
    loop {
        let c = t.capture();
        if c.contains(s) {
            return Ok(t0.elapsed());
        }
        if t0.elapsed() > limit {
            return Err(c);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A Lightning Pose project live: keys through every view; then, while the app runs, a
/// train_status.json rewritten (atomically, as the app writes it) and scalars appended to an
/// events file (with posedeck's own writer) each appear on screen within a second of the
/// write (the latency measured is printed); then `q` restores the terminal.
#[test]
fn e2e_lp_project_live_status_and_scalars() {
    let data = shared_or_skip!();
    let (_tmp, root) = super::mirror_project(&data);
    let bin = env!("CARGO_BIN_EXE_posedeck");
    let cmd = format!("{bin} {} --image-protocol halfblocks", root.display());
    let Some(t) = Tmux::start(&cmd, 120, 40) else {
        return;
    };
    t.wait_for("tiny_cpu_model", 10.0)
        .expect("overview shows the runs");
    assert!(t.alternate_on());
    for (key, want) in [
        ("2", "frames 90/90"),
        ("p", "○ app_style_model"),
        ("3", "runs 3/3"),
        ("t", "then select another to compare"),
        ("t", "mean pixel error per keypoint"),
        ("4", "tags 13"),
        ("5", "video test_vid"),
        ("l", "frame 1 / 993"),
        ("?", "help (j/k scroll"),
        ("Escape", "video test_vid"),
        (":", "command"),
        ("Escape", "Videos"),
        ("6", "no jobs yet"),
        ("1", "Labeled frames per video"),
    ] {
        t.keys(&[key]);
        if let Err(screen) = t.wait_for(want, 3.0) {
            panic!("after {key:?} no {want:?} on screen:\n{screen}");
        }
    }

    // A status change: the finished run is rewritten as CANCELED.
    let run = root.join("models/tiny_cpu_model");
    assert!(!t.capture().contains("CANCELED"));
    posedeck::util::write_atomic(
        &run.join("train_status.json"),
        br#"{"status": "CANCELED", "progress": {"completed": 1, "total": 2}}"#,
    )
    .unwrap();
    let status_latency = seen_after(&t, "CANCELED", Duration::from_secs(1))
        .unwrap_or_else(|s| panic!("the status change did not show within 1 s:\n{s}"));

    // Scalars appended to the run's events file, on the Curves view.
    t.keys(&["4"]);
    t.wait_for("tags 13", 3.0).expect("curves");
    // Only the new tag passes the filter, so its chart is on the dashboard when it comes.
    t.keys(&["/", "e", "2", "e", "Enter"]);
    t.wait_for("tags 0 /e2e", 3.0).expect("filtered");
    let events = run.join("tb_logs/tiny_cpu_model/version_0");
    let file = std::fs::read_dir(&events)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("tfevents"))
        .unwrap();
    let mut w = posedeck::formats::tfevents::EventsWriter::append(&file).unwrap();
    for step in 18..21 {
        w.add_scalar("e2e_appended", 0.5 / step as f32, step)
            .unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let scalar_latency = seen_after(&t, "e2e_appended", Duration::from_secs(1))
        .unwrap_or_else(|s| panic!("the appended scalars did not show within 1 s:\n{s}"));
    t.wait_for("tags 1 /e2e", 1.0).expect("one more tag");

    // A new run folder (copied in, as a sync from a cluster would) joins the Overview.
    t.keys(&["1"]);
    t.wait_for("Labeled frames per video", 3.0)
        .expect("overview");
    super::copy_dir(&run, &root.join("models/zz_copied_run"));
    let run_latency = seen_after(&t, "zz_copied_run", Duration::from_secs(1))
        .unwrap_or_else(|s| panic!("the new run did not show within 1 s:\n{s}"));
    eprintln!(
        "MEASURED write-to-screen latency: train_status.json {:.0} ms, events append {:.0} ms, \
         new run folder {:.0} ms (pane polled every ~5 ms; goal 300 ms)",
        status_latency.as_secs_f64() * 1e3,
        scalar_latency.as_secs_f64() * 1e3,
        run_latency.as_secs_f64() * 1e3
    );

    t.keys(&["q"]);
    t.wait_for("EXIT=0", 5.0).expect("q quits with 0");
    t.wait_for("icanon echo", 5.0)
        .expect("cooked mode restored");
    assert!(!t.alternate_on(), "alternate screen left");
    // Nothing was written into the project by the app itself.
    assert!(!root.join(".posedeck-trash").exists());
}
