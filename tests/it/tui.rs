//! The workstation's views, drawn on ratatui's TestBackend at 80x24 and 160x48 and compared
//! with insta snapshots, on the real data in ../shared/data: the mirror-mouse project with the
//! real lightning-pose runs placed in its models/ folder, and SLEAP .slp files.

use crate::shared_or_skip;
use posedeck::tui::action::Action;
use posedeck::tui::app::{App, View};
use posedeck::tui::headless::{Headless, screen};
use posedeck::tui::keymap::Keymap;
use posedeck::tui::theme::Theme;
use ratatui::layout::Rect;
use std::path::{Path, PathBuf};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn new_app() -> App {
    App::new("snapshot".into(), Keymap::defaults(), Theme::dark())
}

/// Opens `target` headlessly (every worker's result applied) at the given size. A path under
/// the crate root is opened relative to it, so snapshots do not depend on the checkout's path.
fn open(target: &Path, w: u16, h: u16) -> (App, Headless) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = target.strip_prefix(root).unwrap_or(target);
    let mut app = new_app();
    let mut hl = Headless::new(target.to_str().unwrap());
    hl.open(&mut app, Rect::new(0, 0, w, h));
    (app, hl)
}

fn act(app: &mut App, hl: &mut Headless, w: u16, h: u16, actions: &[Action]) {
    for a in actions {
        app.run(*a);
        hl.settle(app, Rect::new(0, 0, w, h));
    }
}

/// Replaces a temporary folder's path (which changes per run) with a fixed one.
fn stable(s: String, tmp: Option<&Path>) -> String {
    match tmp {
        Some(t) => s.replace(t.to_str().unwrap(), "/TMP"),
        None => s,
    }
}

#[test]
fn slp_views_snapshots() {
    let data = shared_or_skip!();
    let slp = data.join("slp/minimal_instance.pkg.slp");
    for (w, h) in SIZES {
        let (mut app, mut hl) = open(&slp, w, h);
        assert!(app.data.error.is_none(), "{:?}", app.data.error);
        insta::assert_snapshot!(format!("slp_overview_{w}x{h}"), screen(&app, w, h));
        act(&mut app, &mut hl, w, h, &[Action::ViewLabels]);
        assert!(app.image.as_ref().is_some_and(|i| i.result.is_ok()));
        insta::assert_snapshot!(format!("slp_labels_{w}x{h}"), screen(&app, w, h));
        act(
            &mut app,
            &mut hl,
            w,
            h,
            &[Action::ToggleNames, Action::ZoomIn],
        );
        insta::assert_snapshot!(format!("slp_labels_zoom_names_{w}x{h}"), screen(&app, w, h));
    }
}

#[test]
fn slp_multi_animal_frames_and_skeleton() {
    let data = shared_or_skip!();
    let slp = data.join("slp/centered_pair_predictions.slp");
    let (app, _) = open(&slp, 80, 24);
    assert!(app.data.error.is_none(), "{:?}", app.data.error);
    assert!(!app.data.edges.is_empty(), "skeleton edges are read");
    assert!(app.data.frames.iter().any(|f| !f.predicted.is_empty()));
}

#[test]
fn help_and_palette_come_from_the_keymap() {
    let data = shared_or_skip!();
    let slp = data.join("slp/minimal_instance.pkg.slp");
    let (mut app, mut hl) = open(&slp, 80, 24);
    act(
        &mut app,
        &mut hl,
        80,
        24,
        &[Action::ViewCurves, Action::Help],
    );
    let s = screen(&app, 80, 24);
    // Every curves binding of the keymap is listed.
    for (k, d) in app.keymap.help_lines("curves") {
        assert!(s.contains(&d) || s.contains(&k), "help lacks {k} {d}:\n{s}");
    }
    insta::assert_snapshot!("help_curves_80x24", s);
    act(&mut app, &mut hl, 80, 24, &[Action::Back, Action::Palette]);
    insta::assert_snapshot!("palette_80x24", screen(&app, 80, 24));
}

#[test]
fn a_bad_file_shows_its_error_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.slp");
    std::fs::write(&bad, b"\x89HDF\r\n\x1a\ntruncated").unwrap();
    let (mut app, mut hl) = open(&bad, 80, 24);
    let s = stable(screen(&app, 80, 24), Some(dir.path()));
    assert!(s.contains("broken.slp"), "{s}");
    // The other views still draw.
    for v in [
        Action::ViewLabels,
        Action::ViewModels,
        Action::ViewCurves,
        Action::ViewVideos,
    ] {
        act(&mut app, &mut hl, 80, 24, &[v]);
        let _ = screen(&app, 80, 24);
    }
    assert_eq!(app.view, View::Videos);
}

#[allow(dead_code)]
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let q: PathBuf = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &q);
        } else {
            std::fs::copy(&p, &q).unwrap();
            let mut perm = std::fs::metadata(&q).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(&q, perm).unwrap();
        }
    }
}

/// The binary in a real terminal (tmux): views by key, then the terminal restored after `q`
/// and after SIGHUP (a dropped SSH connection).
mod e2e {
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
            String::from_utf8_lossy(&o.stdout).trim().parse().unwrap_or(0)
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
        let o = Command::new("pgrep").args(["-P", &pid.to_string()]).output().ok()?;
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .find(|p: &i32| {
                std::fs::read_to_string(format!("/proc/{p}/comm"))
                    .is_ok_and(|c| c.trim() == "posedeck")
            })
    }
}

#[test]
fn e2e_views_and_terminal_restore_after_q_and_sighup() {
    let data = shared_or_skip!();
    let slp = data.join("slp/minimal_instance.pkg.slp");
    let bin = env!("CARGO_BIN_EXE_posedeck");
    let cmd = format!("{bin} {}", slp.display());
    let Some(t) = e2e::Tmux::start(&cmd, 100, 30) else { return };
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
    t.wait_for("icanon echo", 5.0).expect("cooked mode restored");
    assert!(!t.alternate_on(), "alternate screen left");
    drop(t);

    // SIGHUP: the terminal is restored and the process exits (128 + 1).
    let Some(t) = e2e::Tmux::start(&cmd, 100, 30) else { return };
    t.wait_for("labeled frames 1", 5.0).expect("overview shows");
    let pid = e2e::child_of(t.pane_pid()).expect("posedeck process");
    unsafe { libc::kill(pid, libc::SIGHUP) };
    t.wait_for("EXIT=129", 5.0).expect("exits on SIGHUP");
    t.wait_for("icanon echo", 5.0).expect("cooked mode restored after SIGHUP");
    assert!(!t.alternate_on());
}
