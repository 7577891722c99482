//! The workstation in tmux: every catchable signal restores the terminal; the image probe
//! leaves no query behind as the pane title; a .slp replaced under it is followed.

use super::{copy_into, scratch};
use crate::shared_or_skip;
use crate::tui::e2e::{Tmux, child_of};

/// Finding 9: SIGQUIT and SIGUSR1 (and the rest of the quitting signals) leave the terminal
/// as it was: cooked mode, main screen, and the exit status 128 + signal.
#[test]
fn quitting_signals_restore_the_terminal() {
    let data = shared_or_skip!();
    let slp = data.join("slp/minimal_instance.pkg.slp");
    let bin = env!("CARGO_BIN_EXE_posedeck");
    for (sig, name) in [
        (libc::SIGQUIT, "QUIT"),
        (libc::SIGUSR1, "USR1"),
        (libc::SIGUSR2, "USR2"),
        (libc::SIGALRM, "ALRM"),
    ] {
        let Some(t) = Tmux::start(&format!("{bin} {}", slp.display()), 100, 30) else {
            return;
        };
        t.wait_for("labeled frames 1", 10.0)
            .expect("overview shows");
        let pid = child_of(t.pane_pid()).expect("posedeck in the pane");
        // SAFETY: sending a signal to a child process we started.
        unsafe {
            libc::kill(pid, sig);
        }
        let code = format!("EXIT={}", 128 + sig);
        if let Err(screen) = t.wait_for(&code, 10.0) {
            panic!("SIG{name}: no {code}:\n{screen}");
        }
        t.wait_for("icanon echo", 5.0)
            .unwrap_or_else(|s| panic!("SIG{name}: cooked mode not restored:\n{s}"));
        assert!(!t.alternate_on(), "SIG{name}: alternate screen left");
    }
}

/// Finding 9: inside tmux with passthrough on and tmux's default TERM (`screen`), the image
/// probe's kitty query (an APC string) became the pane's title. The probe is skipped there;
/// with TERM=tmux-256color it is wrapped for tmux. Either way the title stays.
#[test]
fn image_probe_leaves_no_title_in_tmux() {
    let data = shared_or_skip!();
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("SKIP: tmux not installed");
        return;
    }
    let slp = data.join("slp/minimal_instance.pkg.slp");
    let bin = env!("CARGO_BIN_EXE_posedeck");
    for term in ["screen", "tmux-256color"] {
        let sock = format!("posedeck-adv-{}-{term}", std::process::id());
        let tmux = |args: &[&str]| {
            std::process::Command::new("tmux")
                .args(["-L", &sock, "-f", "/dev/null"])
                .args(args)
                .env_remove("TMUX")
                .output()
                .expect("tmux")
        };
        tmux(&["new-session", "-d", "-s", "p", "-x", "100", "-y", "30"]);
        tmux(&["set", "-g", "allow-passthrough", "on"]);
        tmux(&["select-pane", "-t", "p", "-T", "before"]);
        tmux(&[
            "send-keys",
            "-t",
            "p",
            &format!("TERM={term} {bin} {}", slp.display()),
            "Enter",
        ]);
        let t0 = std::time::Instant::now();
        let mut screen = String::new();
        while t0.elapsed().as_secs() < 10 {
            let o = tmux(&["capture-pane", "-p", "-t", "p"]);
            screen = String::from_utf8_lossy(&o.stdout).into_owned();
            if screen.contains("labeled frames 1") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(
            screen.contains("labeled frames 1"),
            "TERM={term}:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(1500));
        tmux(&["send-keys", "-t", "p", "q"]);
        std::thread::sleep(std::time::Duration::from_millis(500));
        let title = tmux(&["display", "-p", "-t", "p", "#{pane_title}"]);
        let title = String::from_utf8_lossy(&title.stdout).into_owned();
        tmux(&["kill-server"]);
        assert!(
            !title.contains("Gi="),
            "TERM={term}: the probe's query is the title: {title:?}"
        );
        assert_eq!(title.trim(), "before", "TERM={term}: title changed");
    }
}

/// Finding 10: a .slp replaced (renamed over) while the workstation shows it: the screen
/// follows the new file, and garbage shows its error in place, without a crash.
#[test]
fn replaced_slp_is_followed() {
    let data = shared_or_skip!();
    let dir = scratch("replace");
    let shown = copy_into(&data.join("slp/minimal_instance.pkg.slp"), &dir, "x.slp");
    let bin = env!("CARGO_BIN_EXE_posedeck");
    let Some(t) = Tmux::start(&format!("{bin} {}", shown.display()), 100, 30) else {
        return;
    };
    t.wait_for("labeled frames 1", 10.0)
        .expect("overview shows");
    let tmp = copy_into(
        &data.join("slp/centered_pair_predictions.slp"),
        &dir,
        ".x.slp.new",
    );
    std::fs::rename(&tmp, &shown).unwrap();
    if let Err(s) = t.wait_for("keypoints 24", 10.0) {
        panic!("replacement not shown:\n{s}");
    }
    std::fs::write(dir.join(".x.slp.new"), b"this is not HDF5\n").unwrap();
    std::fs::rename(dir.join(".x.slp.new"), &shown).unwrap();
    if let Err(s) = t.wait_for("not an HDF5 file", 10.0) {
        panic!("garbage not reported:\n{s}");
    }
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 5.0).expect("q quits with 0");
}

/// Findings 1 and 3 in the workstation: the .slp whose damaged dataspace made the HDF5 layer
/// abort shows its error in place; a project whose labels file and a run's status file are
/// FIFOs still shows its runs (it showed "reading the project…" for ever). `q` then quits
/// with 0 and the terminal is restored.
#[test]
fn workstation_shows_hostile_files_in_place() {
    let data = shared_or_skip!();
    let dir = scratch("ws-hostile");
    let mut d = std::fs::read(data.join("slp/typical.slp")).unwrap();
    d[14805] = 143;
    let slp = dir.join("bad.slp");
    std::fs::write(&slp, d).unwrap();
    let bin = env!("CARGO_BIN_EXE_posedeck");
    let Some(t) = Tmux::start(&format!("{bin} {}", slp.display()), 120, 30) else {
        return;
    };
    if let Err(s) = t.wait_for("bad.slp: ", 10.0) {
        panic!("no error in place:\n{s}");
    }
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 5.0).expect("q quits with 0");
    t.wait_for("icanon echo", 5.0)
        .expect("cooked mode restored");
    drop(t);

    let proj = dir.join("proj");
    let run = proj.join("models/2024-01-01/00-00-00");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::copy(
        data.join("lp-real-model/tiny_cpu_model/config.yaml"),
        run.join("config.yaml"),
    )
    .unwrap();
    super::mkfifo(&run.join("train_status.json"));
    super::mkfifo(&proj.join("CollectedData.csv"));
    let Some(t) = Tmux::start(&format!("{bin} {}", proj.display()), 120, 30) else {
        return;
    };
    if let Err(s) = t.wait_for("Model runs 1", 10.0) {
        panic!("runs not shown:\n{s}");
    }
    t.wait_for("not a regular file", 5.0)
        .expect("the FIFO named in place");
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 5.0).expect("q quits with 0");
}
