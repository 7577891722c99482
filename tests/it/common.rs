//! Shared test helpers: locating `../shared/data`, the posedeck binary, and a cached Python
//! virtual environment holding the real peers (pandas, tensorboard, sleap-io).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared/data` relative to the project root, or `None` (and a message saying why) when
/// it is absent: tests that need it then skip.
pub fn shared_data() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = std::env::var_os("POSEDECK_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/data"));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIP: {} not found (set POSEDECK_SHARED_DATA)", p.display());
        None
    }
}

/// Skips the current test (returns) when `../shared/data` is missing.
#[macro_export]
macro_rules! shared_or_skip {
    () => {
        match $crate::common::shared_data() {
            Some(p) => p,
            None => return,
        }
    };
}

/// The `posedeck` binary built alongside this test binary.
pub fn posedeck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posedeck"))
}

/// Runs posedeck with args; returns (exit code, stdout, stderr).
pub fn run_posedeck(args: &[&str]) -> (i32, String, String) {
    let out = posedeck().args(args).output().expect("run posedeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Packages installed in the cached peer venv. Changing this list makes a new venv.
const PEER_PACKAGES: &[&str] = &["pandas==2.3.3", "tensorboard==2.20.0", "sleap-io==0.9.5"];

/// Path to the python of a virtual environment holding the real peers, built once and cached
/// outside the checkout (`$POSEDECK_PYENV`, else `~/.cache/posedeck/peers-<hash>`). Returns
/// `None` with a message when it cannot be built (no python3, no network): the test skips.
pub fn peer_python() -> Option<PathBuf> {
    static PY: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    PY.get_or_init(build_peer_venv).clone()
}

fn build_peer_venv() -> Option<PathBuf> {
    let tag = {
        let mut h: u64 = 1469598103934665603;
        for b in PEER_PACKAGES.join(" ").bytes() {
            h = (h ^ b as u64).wrapping_mul(1099511628211);
        }
        format!("{:08x}", h as u32)
    };
    let dir = match std::env::var_os("POSEDECK_PYENV") {
        Some(p) => PathBuf::from(p),
        None => {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir);
            home.join(".cache/posedeck").join(format!("peers-{tag}"))
        }
    };
    let py = dir.join("bin/python");
    let done = dir.join(".complete");
    if done.exists() {
        return Some(py);
    }
    // Cross-process lock: mkdir is atomic.
    let lock = dir.with_extension("lock");
    let _ = std::fs::create_dir_all(dir.parent().unwrap());
    let start = std::time::Instant::now();
    while std::fs::create_dir(&lock).is_err() {
        if done.exists() {
            return Some(py);
        }
        if start.elapsed().as_secs() > 900 {
            eprintln!("SKIP: waited 15 min for {} (stale lock?)", lock.display());
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let result = (|| {
        if done.exists() {
            return Some(py.clone());
        }
        let _ = std::fs::remove_dir_all(&dir);
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .ok()?
            .success();
        if !ok {
            eprintln!("SKIP: python3 -m venv failed");
            return None;
        }
        let mut pip = Command::new(&py);
        pip.args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(PEER_PACKAGES);
        if !pip.status().ok()?.success() {
            eprintln!("SKIP: pip install {:?} failed", PEER_PACKAGES);
            return None;
        }
        std::fs::write(&done, b"ok").ok()?;
        Some(py.clone())
    })();
    let _ = std::fs::remove_dir(&lock);
    result
}

/// Runs a Python script with the peer venv; returns stdout, panicking with stderr on failure.
pub fn run_python(py: &Path, script: &str, args: &[&str]) -> String {
    let out = Command::new(py)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    if !out.status.success() {
        panic!("python failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Skips the current test (returns) when the peer venv cannot be built.
#[macro_export]
macro_rules! peers_or_skip {
    () => {
        match $crate::common::peer_python() {
            Some(p) => p,
            None => return,
        }
    };
}

/// Recursive copy; copied files are writable (the shared data is read-only).
pub fn copy_dir(from: &Path, to: &Path) {
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

/// Writes `text` to `path`, creating its folder.
pub fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Runs `cmd` to its end; panics with its stderr unless it succeeded.
pub fn output_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().expect("the command starts");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
