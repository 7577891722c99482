//! Peers measured in the same run as posedeck: Python readers (pandas, pyarrow, polars) timed
//! inside one Python process each (the read alone, as posedeck's in-process figure), when
//! that Python has them. Nothing is printed for a peer that was not measured here.

use super::timing::Stats;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// One peer's figure, or why there is none.
#[derive(Serialize, Debug, Clone)]
pub struct Peer {
    pub name: String,
    pub version: Option<String>,
    pub read: Option<Stats>,
    /// CPU time of each read (Python's `time.process_time`: all its threads).
    pub cpu: Option<Stats>,
    pub not_measured: Option<String>,
}

/// The Python to run peers with: `POSEDECK_PEER_PYTHON`, else the peer venv the tests
/// build (`~/.cache/posedeck/peers-*`, once complete), else `python3` on PATH.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("POSEDECK_PEER_PYTHON") {
        return PathBuf::from(p);
    }
    let cache = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/posedeck"));
    if let Some(Ok(rd)) = cache.map(std::fs::read_dir) {
        let mut venvs: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("peers-"))
                    && p.join(".complete").is_file()
                    && p.join("bin/python").is_file()
            })
            .collect();
        venvs.sort();
        if let Some(v) = venvs.pop() {
            return v.join("bin/python");
        }
    }
    PathBuf::from("python3")
}

/// Reading a Lightning Pose predictions CSV (3 header rows, index column) with each peer.
pub fn csv_readers(file: &Path, runs: usize) -> Vec<Peer> {
    let peers: [(&str, &str, &str); 3] = [
        (
            "pandas",
            "import pandas as m",
            "m.read_csv(f, header=[0, 1, 2], index_col=0)",
        ),
        (
            "pyarrow",
            "import pyarrow as m, pyarrow.csv as c",
            "c.read_csv(f, read_options=c.ReadOptions(skip_rows=3, autogenerate_column_names=True))",
        ),
        (
            "polars",
            "import polars as m",
            "m.read_csv(f, skip_rows=3, has_header=False)",
        ),
    ];
    peers
        .iter()
        .map(|(name, import, read)| time_python(name, import, read, file, runs, true))
        .collect()
}

/// Times `read` (a Python expression of `f`, the file) inside one Python process that ran
/// `import` (binding the module as `m`, whose `__version__` is reported): one untimed
/// warm-up read when `warmup`, then `runs` timed ones, wall and CPU.
pub fn time_python(
    name: &str,
    import: &str,
    read: &str,
    file: &Path,
    runs: usize,
    warmup: bool,
) -> Peer {
    let warm = if warmup { read } else { "pass" };
    let script = format!(
        "import sys, time, json\n{import}\nf = sys.argv[1]\n{warm}\nts = []\ncs = []\nfor _ in range({}):\n    t = time.perf_counter(); c = time.process_time(); {read}; ts.append(time.perf_counter() - t); cs.append(time.process_time() - c)\nprint(json.dumps({{'version': m.__version__, 'times': ts, 'cpu': cs}}))\n",
        runs.max(1)
    );
    let none = |why: String| Peer {
        name: name.into(),
        version: None,
        read: None,
        cpu: None,
        not_measured: Some(why),
    };
    let child = Command::new(python())
        .arg("-c")
        .arg(&script)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return none(format!("{}: {e}", python().display())),
    };
    // A peer never holds the benchmark up for ever.
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return none("timed out after 600 s".into());
            }
        }
    }
    let out = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => return none(e.to_string()),
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("failed").trim();
        let why = if last.contains("ModuleNotFoundError") || last.contains("ImportError") {
            format!("{name} is not installed for {}", python().display())
        } else {
            crate::sanitize::clean(last).into_owned()
        };
        return none(why);
    }
    let v: serde_json::Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => return none(format!("unexpected output: {e}")),
    };
    let times: Vec<f64> = v["times"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_f64()).collect())
        .unwrap_or_default();
    if times.is_empty() {
        return none("no timings".into());
    }
    let cpu: Vec<f64> = v["cpu"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_f64()).collect())
        .unwrap_or_default();
    Peer {
        name: name.into(),
        version: v["version"]
            .as_str()
            .map(|s| crate::sanitize::clean(s).into_owned()),
        read: Some(Stats::of(times)),
        cpu: (!cpu.is_empty()).then(|| Stats::of(cpu)),
        not_measured: None,
    }
}
