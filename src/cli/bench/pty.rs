//! A pseudo-terminal for whole-process benchmarks of the workstation: the child runs with the
//! slave side as its controlling terminal (stdin, stdout, stderr), and every byte it writes
//! is read on the master side with the time it arrived. Like a terminal, it answers the
//! cursor position and status queries, and whatever else the caller asks it to answer
//! ([`PtyChild::spawn_answering`]).

use anyhow::{Context, bail};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the child wrote, chunk by chunk, with arrival times.
#[derive(Default)]
pub struct Output {
    pub chunks: Vec<(Instant, Vec<u8>)>,
    /// The master side reported end of file (the child closed the terminal).
    pub closed: bool,
}

impl Output {
    pub fn bytes(&self) -> u64 {
        self.chunks.iter().map(|c| c.1.len() as u64).sum()
    }
    pub fn bytes_between(&self, from: Instant, to: Instant) -> u64 {
        self.chunks
            .iter()
            .filter(|c| c.0 >= from && c.0 < to)
            .map(|c| c.1.len() as u64)
            .sum()
    }
    pub fn last_write(&self) -> Option<Instant> {
        self.chunks.last().map(|c| c.0)
    }
    /// When `needle` first appeared in the stream (searching across chunk borders).
    pub fn first_seen(&self, needle: &[u8]) -> Option<Instant> {
        let mut carry: Vec<u8> = Vec::new();
        for (t, c) in &self.chunks {
            carry.extend_from_slice(c);
            if carry.windows(needle.len()).any(|w| w == needle) {
                return Some(*t);
            }
            let keep = needle.len().saturating_sub(1).min(carry.len());
            carry.drain(..carry.len() - keep);
        }
        None
    }
}

/// A child process on a pseudo-terminal.
pub struct PtyChild {
    pub child: Child,
    pub started: Instant,
    master: File,
    pub out: Arc<Mutex<Output>>,
}

fn check(rc: libc::c_int, what: &str) -> anyhow::Result<libc::c_int> {
    if rc < 0 {
        bail!("{what}: {}", std::io::Error::last_os_error());
    }
    Ok(rc)
}

/// What every terminal answers: the cursor position query (ratatui asks one at start) and
/// the status query (`ESC [ 5 n`, which ends the background colour and image probes).
pub fn standard_answers() -> Vec<(Vec<u8>, Vec<u8>)> {
    vec![
        (b"\x1b[6n".to_vec(), b"\x1b[1;1R".to_vec()),
        (b"\x1b[5n".to_vec(), b"\x1b[0n".to_vec()),
    ]
}

/// The replies due for the queries that end in `new` (the bytes after `old`, the tail kept
/// from earlier reads, so a query split between two reads is still seen), in stream order.
fn replies(answers: &[(Vec<u8>, Vec<u8>)], old: &[u8], new: &[u8]) -> Vec<u8> {
    let mut all = Vec::with_capacity(old.len() + new.len());
    all.extend_from_slice(old);
    all.extend_from_slice(new);
    let mut due: Vec<(usize, &[u8])> = Vec::new();
    for (q, a) in answers {
        if q.is_empty() {
            continue;
        }
        for (i, w) in all.windows(q.len()).enumerate() {
            if w == q.as_slice() && i + q.len() > old.len() {
                due.push((i, a));
            }
        }
    }
    due.sort_by_key(|d| d.0);
    due.into_iter().flat_map(|d| d.1.iter().copied()).collect()
}

impl PtyChild {
    /// Starts `cmd` on a new `cols`x`rows` pseudo-terminal that answers
    /// [`standard_answers`].
    pub fn spawn(cmd: Command, cols: u16, rows: u16) -> anyhow::Result<PtyChild> {
        Self::spawn_answering(cmd, cols, rows, standard_answers())
    }

    /// Starts `cmd` on a new pseudo-terminal that writes the reply of each `(query, reply)`
    /// pair whenever the child writes the query (in the order the queries came).
    pub fn spawn_answering(
        mut cmd: Command,
        cols: u16,
        rows: u16,
        answers: Vec<(Vec<u8>, Vec<u8>)>,
    ) -> anyhow::Result<PtyChild> {
        // SAFETY: plain libc calls on a descriptor this function owns; the buffer outlives
        // the call that fills it.
        let (master, slave_path) = unsafe {
            let m = check(
                libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY),
                "posix_openpt",
            )?;
            let master = OwnedFd::from_raw_fd(m);
            check(libc::grantpt(m), "grantpt")?;
            check(libc::unlockpt(m), "unlockpt")?;
            let mut buf = [0 as libc::c_char; 256];
            if libc::ptsname_r(m, buf.as_mut_ptr(), buf.len()) != 0 {
                bail!("ptsname_r: {}", std::io::Error::last_os_error());
            }
            let ws = libc::winsize {
                ws_row: rows,
                ws_col: cols,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            check(libc::ioctl(m, libc::TIOCSWINSZ, &ws), "TIOCSWINSZ")?;
            let path = std::ffi::CStr::from_ptr(buf.as_ptr())
                .to_string_lossy()
                .into_owned();
            (File::from(master), path)
        };
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&slave_path)
            .with_context(|| format!("opening {slave_path}"))?;
        cmd.stdin(Stdio::from(slave.try_clone()?))
            .stdout(Stdio::from(slave.try_clone()?))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec: a new session whose
        // controlling terminal is the slave side (already on fd 0).
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let started = Instant::now();
        let child = cmd
            .spawn()
            .context("starting posedeck on a pseudo-terminal")?;
        let out = Arc::new(Mutex::new(Output::default()));
        let mut reader = master.try_clone()?;
        let mut answer = master.try_clone()?;
        let sink = out.clone();
        std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || {
                let mut buf = vec![0u8; 1 << 16];
                let keep = answers.iter().map(|a| a.0.len()).max().unwrap_or(1) - 1;
                let mut tail: Vec<u8> = Vec::new();
                loop {
                    match reader.read(&mut buf) {
                        Ok(n) if n > 0 => {
                            let now = Instant::now();
                            let reply = replies(&answers, &tail, &buf[..n]);
                            if !reply.is_empty() {
                                let _ = answer.write_all(&reply);
                            }
                            tail.extend_from_slice(&buf[..n]);
                            let cut = tail.len().saturating_sub(keep);
                            tail.drain(..cut);
                            if let Ok(mut o) = sink.lock() {
                                o.chunks.push((now, buf[..n].to_vec()));
                            }
                        }
                        // EIO once the child closed the terminal, or end of file.
                        _ => {
                            if let Ok(mut o) = sink.lock() {
                                o.closed = true;
                            }
                            return;
                        }
                    }
                }
            })?;
        Ok(PtyChild {
            child,
            started,
            master,
            out,
        })
    }

    /// Types `keys` into the terminal.
    pub fn send(&mut self, keys: &[u8]) -> anyhow::Result<()> {
        self.master.write_all(keys)?;
        self.master.flush()?;
        Ok(())
    }

    /// Waits until the child has written nothing for `quiet` (after having written at
    /// least once), at most `limit`; returns the time of its last write.
    pub fn wait_quiet(&self, quiet: Duration, limit: Duration) -> Option<Instant> {
        let end = Instant::now() + limit;
        loop {
            let last = self.out.lock().ok()?.last_write();
            if let Some(t) = last
                && t.elapsed() >= quiet
            {
                return Some(t);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the child has used no CPU for `quiet` (its background work is done), at
    /// most `limit`; returns when its CPU time last grew.
    pub fn wait_cpu_idle(&self, quiet: Duration, limit: Duration) -> anyhow::Result<Instant> {
        let end = Instant::now() + limit;
        let mut last = self.cpu_time()?;
        let mut since = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let now = self.cpu_time()?;
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() >= quiet {
                return Ok(since);
            }
            if Instant::now() >= end {
                bail!("posedeck was still busy after {:?}", limit);
            }
        }
    }

    /// CPU time (user + system, all threads) the child has used so far.
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        let pid = self.child.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .with_context(|| format!("reading /proc/{pid}/stat"))?;
        // Fields after the command name (which may hold spaces) start at state (field 3).
        let rest = stat
            .rsplit_once(')')
            .map(|x| x.1)
            .context("unexpected /proc/PID/stat")?;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| -> anyhow::Result<u64> {
            f.get(i)
                .and_then(|v| v.parse().ok())
                .context("unexpected /proc/PID/stat")
        };
        // utime and stime are fields 14 and 15: indexes 11 and 12 after the name.
        let total = ticks(11)? + ticks(12)?;
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        Ok(Duration::from_secs_f64(total as f64 / hz))
    }

    /// Waits for the child to exit (at most `limit`, then kills it); its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> anyhow::Result<Option<i32>> {
        let end = Instant::now() + limit;
        loop {
            if let Some(st) = self.child.try_wait()? {
                return Ok(st.code());
            }
            if Instant::now() >= end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("posedeck did not exit within {:?}", limit);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_answered_in_order_across_reads() {
        let a = standard_answers();
        assert_eq!(replies(&a, b"", b"x\x1b[5n..\x1b[6n"), b"\x1b[0n\x1b[1;1R");
        // Split between two reads: answered once, when it completes.
        assert_eq!(replies(&a, b"", b"ab\x1b["), b"");
        assert_eq!(replies(&a, b"\x1b[", b"5n"), b"\x1b[0n");
        // Entirely in the earlier bytes: already answered.
        assert_eq!(replies(&a, b"\x1b[5n", b"x"), b"");
    }
}
