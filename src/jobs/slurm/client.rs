//! Runs SLURM's clients (sbatch, squeue, sacct, scancel) under a timeout: a controller that
//! is down makes every client block for about 9 s, a hung one forever. A failure is one line
//! naming the command.

use crate::{Error, Result};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The default limit for one client call; `POSEDECK_SLURM_TIMEOUT` (seconds) overrides it
/// (in the thread's client environment, else the process's).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Most bytes kept of a client's output.
const MAX_OUTPUT: u64 = 64 << 20;

thread_local! {
    static ENV: std::cell::RefCell<Vec<(String, std::ffi::OsString)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Environment variables the clients started from this thread get on top of the process's
/// (`SLURM_CONF` of another cluster, a `PATH` with other clients); replaces earlier ones.
pub fn set_thread_env(vars: Vec<(String, std::ffi::OsString)>) {
    ENV.with(|e| *e.borrow_mut() = vars);
}

/// The limit in effect.
pub fn timeout() -> Duration {
    let own = ENV.with(|e| {
        e.borrow()
            .iter()
            .find(|(k, _)| k == "POSEDECK_SLURM_TIMEOUT")
            .and_then(|(_, v)| v.to_str().map(str::to_owned))
    });
    own.or_else(|| std::env::var("POSEDECK_SLURM_TIMEOUT").ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 86400.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(TIMEOUT)
}

/// Whether `program` is an executable file in a folder of `PATH` (the thread's client
/// environment's, else the process's).
pub fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let own = ENV.with(|e| {
        e.borrow()
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
    });
    let Some(path) = own.or_else(|| std::env::var_os("PATH")) else {
        return false;
    };
    std::env::split_paths(&path).any(|d| {
        std::fs::metadata(d.join(program))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// A client's exit and output.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The first line of stderr (else stdout), for an error message.
    pub fn first_line(&self) -> String {
        let t = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        crate::sanitize::one_line(t.trim().lines().next().unwrap_or("no output"))
    }
}

/// `program args...` as the user would write it (for messages).
pub fn describe(program: &str, args: &[&str]) -> String {
    crate::sanitize::one_line(
        &std::iter::once(program)
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Runs `program args` (in `dir` when given) and waits at most [`timeout`]; on expiry the
/// client's process group is killed. An exit status other than 0 is returned, not an error.
pub fn run(program: &str, args: &[&str], dir: Option<&Path>) -> Result<Output> {
    use std::os::unix::process::CommandExt;
    let what = describe(program, args);
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    ENV.with(|e| {
        for (k, v) in e.borrow().iter() {
            cmd.env(k, v);
        }
    });
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::usage(format!(
                "{what}: {program} is not on PATH (is SLURM installed?)"
            ))
        } else {
            Error::usage(format!("{what}: {e}"))
        }
    })?;
    let reader = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(r) = r {
                let _ = r.take(MAX_OUTPUT).read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let limit = timeout();
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                // SAFETY: kill(2) on the process group this call made; no memory involved.
                unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                let _ = child.wait();
                return Err(Error::usage(format!(
                    "{what}: no answer within {:.0} s (is slurmctld down?)",
                    limit.as_secs_f64()
                )));
            }
            Err(e) => return Err(Error::usage(format!("{what}: {e}"))),
        }
    };
    // A grandchild holding the pipes open must not hang us either.
    let rest = limit
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(200));
    let join = |h: std::thread::JoinHandle<String>| -> String {
        let t0 = Instant::now();
        while !h.is_finished() && t0.elapsed() < rest {
            std::thread::sleep(Duration::from_millis(5));
        }
        if h.is_finished() {
            h.join().unwrap_or_default()
        } else {
            String::new()
        }
    };
    Ok(Output {
        success: status.success(),
        stdout: join(out),
        stderr: join(err),
    })
}

/// Like [`run`], but an exit other than 0 is an error naming the command and its message.
pub fn run_ok(program: &str, args: &[&str], dir: Option<&Path>) -> Result<Output> {
    let o = run(program, args, dir)?;
    if o.success {
        Ok(o)
    } else {
        Err(Error::usage(format!(
            "{}: {}",
            describe(program, args),
            o.first_line()
        )))
    }
}
