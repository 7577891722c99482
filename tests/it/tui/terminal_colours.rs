//! The real binary on a pseudo-terminal that answers the background colour query (OSC 11)
//! as a light or a dark terminal would, or not at all: the theme follows the answer, the
//! config file and `--theme` override it, and a terminal that answers nothing costs at most
//! the probe's timeout. The theme chosen is read from the `POSEDECK_TIMINGS` line written
//! at exit.

use posedeck::cli::bench::pty::{PtyChild, standard_answers};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

const QUERY: &[u8] = b"\x1b]11;?\x1b\\";
const WHITE: &[u8] = b"\x1b]11;rgb:ffff/ffff/ffff\x1b\\";
const BLACK: &[u8] = b"\x1b]11;rgb:0000/0000/0000\x07";

struct Run {
    fields: BTreeMap<String, String>,
    /// Everything the binary wrote to the terminal.
    screen: Vec<u8>,
}

impl Run {
    fn get(&self, k: &str) -> &str {
        self.fields
            .get(k)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {k} in {:?}", self.fields))
    }
    fn probe_ms(&self) -> f64 {
        self.get("background_probe_ms").parse().unwrap()
    }
    fn asked(&self) -> bool {
        self.screen.windows(QUERY.len()).any(|w| w == QUERY)
    }
}

/// Runs the workstation on an empty folder on a 160x40 pty answering `answers`, with
/// `config` (if any) as its config file; quits with `q`.
fn run(
    answers: Vec<(Vec<u8>, Vec<u8>)>,
    config: Option<&str>,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    let xdg = tmp.path().join("config");
    if let Some(text) = config {
        std::fs::create_dir_all(xdg.join("posedeck")).unwrap();
        std::fs::write(xdg.join("posedeck/config.toml"), text).unwrap();
    }
    let timings = tmp.path().join("timings.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_posedeck"));
    cmd.arg(&project)
        .args(["--image-protocol", "halfblocks"])
        .args(args)
        .env("POSEDECK_TIMINGS", &timings)
        .env("XDG_CONFIG_HOME", &xdg)
        .env("HOME", tmp.path())
        .env("TERM", "xterm-256color")
        .env_remove("TMUX")
        .env_remove("STY")
        .env_remove("TERM_PROGRAM")
        .env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut p = PtyChild::spawn_answering(cmd, 160, 40, answers).unwrap();
    p.wait_quiet(Duration::from_millis(400), Duration::from_secs(20))
        .expect("the workstation drew nothing");
    p.send(b"q").unwrap();
    let code = p.wait_exit(Duration::from_secs(20)).unwrap();
    let screen: Vec<u8> = {
        let o = p.out.lock().unwrap();
        o.chunks.iter().flat_map(|c| c.1.iter().copied()).collect()
    };
    assert_eq!(
        code,
        Some(0),
        "exit; output:\n{}",
        String::from_utf8_lossy(&screen)
    );
    let line = std::fs::read_to_string(&timings).expect("the timings line");
    let fields = line
        .split_whitespace()
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Run { fields, screen }
}

fn answering(reply: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut a = vec![(QUERY.to_vec(), reply.to_vec())];
    a.extend(standard_answers());
    a
}

#[test]
fn a_light_background_gets_the_light_theme() {
    let r = run(answering(WHITE), None, &[], &[]);
    assert!(r.asked());
    assert_eq!(r.get("theme"), "light");
    assert_eq!(r.get("theme_from"), "background");
    assert_eq!(r.get("background"), "#ffffff");
    // Answered at once: no waiting for the timeout.
    assert!(r.probe_ms() < 150.0, "{}", r.probe_ms());
}

#[test]
fn a_dark_background_gets_the_dark_theme() {
    let r = run(answering(BLACK), None, &[], &[]);
    assert_eq!(r.get("theme"), "dark");
    assert_eq!(r.get("theme_from"), "background");
    assert_eq!(r.get("background"), "#000000");
    // Short replies (1-digit channels, as some terminals send) scale the same.
    let r = run(answering(b"\x1b]11;rgb:e/e/d\x1b\\"), None, &[], &[]);
    assert_eq!(r.get("theme"), "light");
    assert_eq!(r.get("background"), "#eeeedd");
}

#[test]
fn no_answer_keeps_the_default_within_the_timeout() {
    // Answers neither OSC 11 nor the status query (only the cursor position ratatui needs):
    // the probe waits its timeout once.
    let t = posedeck::tui::background::TIMEOUT.as_secs_f64() * 1e3;
    let cursor_only = vec![(b"\x1b[6n".to_vec(), b"\x1b[1;1R".to_vec())];
    let r = run(cursor_only, None, &[], &[]);
    assert!(r.asked());
    assert_eq!(r.get("theme"), "dark");
    assert_eq!(r.get("theme_from"), "default");
    assert_eq!(r.get("background"), "no-answer");
    assert!(
        r.probe_ms() >= t - 5.0 && r.probe_ms() < t + 400.0,
        "{}",
        r.probe_ms()
    );
    // A terminal that knows no OSC 11 but answers the status query: no waiting.
    let r = run(standard_answers(), None, &[], &[]);
    assert_eq!(r.get("theme"), "dark");
    assert_eq!(r.get("background"), "unsupported");
    assert!(r.probe_ms() < t, "{}", r.probe_ms());
}

#[test]
fn config_file_and_flag_override_the_background() {
    let r = run(
        answering(WHITE),
        Some("theme = \"high-contrast\"\n"),
        &[],
        &[],
    );
    assert_eq!(r.get("theme"), "high-contrast");
    assert_eq!(r.get("theme_from"), "config");
    assert!(
        !r.asked(),
        "the background is not asked when the theme is set"
    );
    let r = run(
        answering(WHITE),
        Some("theme = \"high-contrast\"\n"),
        &["--theme", "dark"],
        &[],
    );
    assert_eq!(r.get("theme"), "dark");
    assert_eq!(r.get("theme_from"), "flag");
    // `--theme auto` asks even when the file names a theme.
    let r = run(
        answering(WHITE),
        Some("theme = \"dark\"\n"),
        &["--theme", "auto"],
        &[],
    );
    assert_eq!(r.get("theme"), "light");
    assert!(r.asked());
}

#[test]
fn a_bad_config_file_is_shown_not_fatal() {
    let r = run(
        answering(WHITE),
        Some("theme = \"light\"\ncolour = \"red\"\n"),
        &[],
        &[],
    );
    // The file is not used (its theme neither); the background decides.
    assert_eq!(r.get("theme_from"), "background");
    let screen = String::from_utf8_lossy(&r.screen);
    assert!(screen.contains("config.toml:2:"), "{screen}");
}

#[test]
fn gnu_screen_is_not_asked() {
    let r = run(answering(WHITE), None, &[], &[("STY", "1234.pts-0.host")]);
    assert!(!r.asked());
    assert_eq!(r.get("theme"), "dark");
    assert_eq!(r.get("background"), "not-asked");
}

fn posedeck_config(config: Option<&str>) -> (i32, String, String, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("posedeck/config.toml");
    if let Some(text) = config {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, text).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_posedeck"))
        .arg("config")
        .env("XDG_CONFIG_HOME", tmp.path())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        file,
    )
}

#[test]
fn posedeck_config_reports_the_file() {
    let (code, out, _, file) = posedeck_config(None);
    assert_eq!(code, 0);
    assert!(out.contains("not there") && out.contains("auto"), "{out}");
    assert!(out.contains(file.to_str().unwrap()), "{out}");
    let (code, out, _, _) = posedeck_config(Some(
        "theme = \"light\"\n[slurm]\npartition = \"gpu\"\ntime = \"4:00:00\"\ngpus = 1\n",
    ));
    assert_eq!(code, 0);
    for w in ["light", "gpu", "4:00:00", "slurm.gres      gpu:1"] {
        assert!(out.contains(w), "{w}: {out}");
    }
    // A bad file: one line naming the file and the line, exit 2.
    let (code, out, err, file) = posedeck_config(Some("[slurm]\ngpus = 1\nqueue = \"x\"\n"));
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("posedeck: error: {}:3:", file.display())),
        "{err}"
    );
    assert!(err.contains("queue"), "{err}");
}
