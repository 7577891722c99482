//! Writing command output to stdout: a closed pipe (`| head`) ends the command quietly as
//! other command-line tools do; any other write error (a full disk, `>/dev/full`) is one line
//! naming stdout, exit 2. JSON leaves with every control character escaped.

use std::io::Write;

/// Returned when stdout was closed under the command; `main` exits quietly (code 0).
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed")]
pub struct Closed;

/// Writes `s` to stdout and flushes.
pub fn print(s: &str) -> anyhow::Result<()> {
    write_bytes(s.as_bytes())
}

/// Writes `s` and a newline.
pub fn println(s: &str) -> anyhow::Result<()> {
    let mut line = String::with_capacity(s.len() + 1);
    line.push_str(s);
    line.push('\n');
    print(&line)
}

/// Writes `v` as pretty JSON (control characters escaped) and a newline.
pub fn print_json<T: serde::Serialize + ?Sized>(v: &T) -> anyhow::Result<()> {
    let mut s = crate::sanitize::json_controls(serde_json::to_string_pretty(v)?);
    s.push('\n');
    print(&s)
}

fn write_bytes(b: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(b).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) => Err(stdout_error(e)),
    }
}

/// The error for a failed write to stdout: [`Closed`] for a closed pipe, else one naming
/// stdout.
pub fn stdout_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Closed.into()
    } else {
        crate::Error::io("<stdout>", e).into()
    }
}
