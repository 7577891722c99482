//! Peers measured in the same run as posedeck: Python readers (pandas, pyarrow, polars), each
//! kept running in its own Python process and asked for one read at a time, so that their
//! reads interleave with posedeck's and a loaded machine slows both alike. One peer runs at a
//! time (a peer holding its table in memory would otherwise shrink the free memory the others
//! and posedeck fault their fresh pages from). Each read is timed
//! inside Python (the read alone, after one warm-up read, as posedeck's in-process figure):
//! wall time and the process's CPU time (`time.process_time`, all threads). Nothing is
//! printed for a peer that was not measured here.

use super::timing::Stats;
use serde::Serialize;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// One peer's figures, or why there are none.
#[derive(Serialize, Debug, Clone)]
pub struct Peer {
    pub name: String,
    pub version: Option<String>,
    /// Wall time per read.
    pub read: Option<Stats>,
    /// The Python process's CPU time (user + system, all threads) per read.
    pub cpu: Option<Stats>,
    pub not_measured: Option<String>,
    /// Wall time of each read, in the order of the rounds.
    #[serde(skip)]
    pub walls: Vec<f64>,
    /// posedeck's wall time in the same rounds (filled in by the benchmark).
    #[serde(skip)]
    pub posedeck_walls: Vec<f64>,
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

/// A peer never holds the benchmark up for ever.
const PEER_TIMEOUT: Duration = Duration::from_secs(600);

/// The readers of a Lightning Pose predictions CSV (3 header rows, index column): name, import,
/// read expression (of the file `f`).
pub const CSV_READERS: [(&str, &str, &str); 3] = [
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

/// One peer reader running in its own Python process, warmed up; [`Session::once`] asks it
/// for one read.
pub struct Session {
    name: String,
    version: Option<String>,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
    walls: Vec<f64>,
    cpus: Vec<f64>,
}

pub fn not_measured(name: &str, why: String) -> Peer {
    Peer {
        name: name.into(),
        version: None,
        read: None,
        cpu: None,
        not_measured: Some(why),
        walls: Vec::new(),
        posedeck_walls: Vec::new(),
    }
}

impl Session {
    /// Starts the peer and lets it read the file once (the warm-up).
    pub fn start(name: &str, import: &str, read: &str, file: &Path) -> Result<Session, String> {
        let script = format!(
            "import sys, time, json\n{import}\nf = sys.argv[1]\n{read}\nprint(json.dumps({{'version': m.__version__}}), flush=True)\nfor _ in sys.stdin:\n    t0_ = time.perf_counter(); c0_ = time.process_time(); {read}; w_ = time.perf_counter() - t0_; c_ = time.process_time() - c0_\n    print(json.dumps({{'wall': w_, 'cpu': c_}}), flush=True)\n"
        );
        let mut child = Command::new(python())
            .arg("-c")
            .arg(&script)
            .arg(file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", python().display()))?;
        let (Some(stdin), Some(stdout), Some(mut err)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("no pipes to the peer".into());
        };
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        let mut s = Session {
            name: name.into(),
            version: None,
            child,
            stdin,
            lines,
            stderr: Some(stderr),
            walls: Vec::new(),
            cpus: Vec::new(),
        };
        match s.line() {
            Ok(v) => {
                s.version = v["version"]
                    .as_str()
                    .map(|t| crate::sanitize::clean(t).into_owned());
                Ok(s)
            }
            Err(why) => {
                s.close();
                Err(why)
            }
        }
    }

    /// The peer's next line of JSON, or why there is none (its last error line).
    fn line(&mut self) -> Result<serde_json::Value, String> {
        match self.lines.recv_timeout(PEER_TIMEOUT) {
            Ok(l) => serde_json::from_str(&l).map_err(|e| format!("unexpected output: {e}")),
            Err(RecvTimeoutError::Timeout) => {
                Err(format!("timed out after {} s", PEER_TIMEOUT.as_secs()))
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = self.child.wait();
                let err = self
                    .stderr
                    .take()
                    .and_then(|h| h.join().ok())
                    .unwrap_or_default();
                let last = err.lines().last().unwrap_or("failed").trim();
                Err(
                    if last.contains("ModuleNotFoundError") || last.contains("ImportError") {
                        format!("{} is not installed for {}", self.name, python().display())
                    } else {
                        crate::sanitize::clean(last).into_owned()
                    },
                )
            }
        }
    }

    /// One read, timed inside Python.
    pub fn once(&mut self) -> Result<(), String> {
        self.stdin
            .write_all(b"\n")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("peer stopped: {e}"))?;
        let v = self.line()?;
        match (v["wall"].as_f64(), v["cpu"].as_f64()) {
            (Some(w), Some(c)) => {
                self.walls.push(w);
                self.cpus.push(c);
                Ok(())
            }
            _ => Err("no timings".into()),
        }
    }

    /// Ends the process; the figures.
    pub fn finish(self) -> Peer {
        let peer = Peer {
            name: self.name.clone(),
            version: self.version.clone(),
            read: Some(Stats::of(self.walls.clone())),
            cpu: Some(Stats::of(self.cpus.clone())),
            not_measured: None,
            walls: self.walls.clone(),
            posedeck_walls: Vec::new(),
        };
        self.close();
        peer
    }

    /// Ends the process.
    pub fn close(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
    let none = |why: String| not_measured(name, why);
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
        read: Some(Stats::of(times.clone())),
        cpu: (!cpu.is_empty()).then(|| Stats::of(cpu)),
        not_measured: None,
        walls: times,
        posedeck_walls: Vec::new(),
    }
}
