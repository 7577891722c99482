//! The adversarial suite (issue #10): every command against hostile inputs made from the
//! real files in ../shared/data (single-byte mutations, truncations, FIFOs, devices, closed
//! and full stdout, control characters, pathological nesting and widths), and the
//! workstation in tmux against signals and a file replaced under it. Each run checks the
//! exit code, a one-line stderr, that the input is unchanged, and that nothing hangs (a
//! generous timeout catches a hang; no timing is asserted).

mod inputs;
mod terminal;

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run of the binary did.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub timed_out: bool,
}

impl Outcome {
    /// Refused cleanly: exit 2 and exactly one line on stderr naming `what`.
    #[track_caller]
    pub fn assert_refused(&self, what: &str) {
        assert!(!self.timed_out, "hang: {self:?}");
        assert_eq!(self.signal, None, "killed by a signal: {self:?}");
        assert_eq!(self.code, Some(2), "exit code: {self:?}");
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "one line: {:?}",
            self.stderr
        );
        assert!(
            self.stderr.contains(what),
            "{what:?} not in {:?}",
            self.stderr
        );
        assert_no_raw_controls(self.stderr.as_bytes());
    }
    /// Ended by itself with 0 or 2, never a signal, a panic (101) or a hang.
    #[track_caller]
    pub fn assert_clean(&self) {
        assert!(!self.timed_out, "hang: {self:?}");
        assert_eq!(self.signal, None, "killed by a signal: {self:?}");
        assert!(matches!(self.code, Some(0 | 2)), "exit code: {self:?}");
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(
            self.stderr.lines().count() <= 1,
            "one line: {:?}",
            self.stderr
        );
    }
}

/// Runs posedeck with `args` under a 2 GiB address-space limit and a timeout.
pub fn run(args: &[&str], secs: u64) -> Outcome {
    run_cmd(posedeck_limited().args(args), secs)
}

pub fn posedeck_limited() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_posedeck"));
    // One empty home for every run of this test process (no registry, no user config).
    static HOME: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    c.env("HOME", HOME.get_or_init(|| scratch("home")))
        .env_remove("XDG_CONFIG_HOME")
        .stdin(Stdio::null());
    // SAFETY: setrlimit is async-signal-safe and only affects the child.
    unsafe {
        c.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &lim);
            Ok(())
        });
    }
    c
}

pub fn run_cmd(c: &mut Command, secs: u64) -> Outcome {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn posedeck");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let so = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut v);
        v
    });
    let se = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut v);
        v
    });
    let t0 = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(secs) {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Outcome {
        code: status.code(),
        signal: status.signal(),
        stdout: so.join().unwrap_or_default(),
        stderr: String::from_utf8_lossy(&se.join().unwrap_or_default()).into_owned(),
        timed_out,
    }
}

/// No ESC, BEL, other C0 (but newline and tab), DEL, C1 or bidirectional override raw in
/// what reached the terminal or a JSON document.
#[track_caller]
pub fn assert_no_raw_controls(b: &[u8]) {
    let s = String::from_utf8_lossy(b);
    if let Some(c) = s.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }) {
        panic!("raw control U+{:04X} in output: {s:?}", c as u32);
    }
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "posedeck-adv-{}-{name}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Copies `src` into `dir`, returning the copy (writable).
pub fn copy_into(src: &Path, dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(src, &to).unwrap();
    let mut p = std::fs::metadata(&to).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o644);
    std::fs::set_permissions(&to, p).unwrap();
    to
}

pub fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {p:?}"
    );
}
