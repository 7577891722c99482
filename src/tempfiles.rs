//! Temporary files and folders of output writes, and their removal when the process is
//! interrupted.
//!
//! Every write of an output goes through a temporary beside the final name (a file from
//! [`crate::util::write_atomic_with`], a whole folder from [`stage_dir`]) that is renamed
//! when complete. Each temporary is registered here while it exists: [`Temp`] removes it when
//! dropped (an error, a panic) and [`Temp::commit`] does the final rename with the registry
//! locked, so the signal handler sees either the temporary or the finished output, never half
//! of a rename. [`install_signal_cleanup`] (called by the CLI commands that write outputs, not
//! by the workstation, which handles its own signals) starts a thread that, on SIGINT,
//! SIGTERM or SIGHUP, removes every registered temporary and exits with 128 + the signal
//! (130, 143, 129). A SIGKILL cannot be caught: it leaves the temporary, never a partial
//! output under the final name, and [`remove_stale`] clears such leftovers of dead processes
//! on the next run.
//!
//! An existing output is refused unless forced; forced, it is kept as a backup
//! (`NAME.posedeck-backup.<UTC time>`): a file by a hard link made before the write (the write's
//! rename then replaces only the name), a folder by a rename just before the new one is renamed
//! into place.

use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a registered path is, which says how it is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    /// A backup of an output (a hard link or a copy): removed only while the output is
    /// still the file it was made of (the write did not happen), never once the write
    /// replaced it.
    Backup,
}

struct Entry {
    id: u64,
    path: PathBuf,
    kind: Kind,
    /// For [`Kind::Backup`]: the output the backup is of.
    original: Option<Original>,
}

/// An output as it was when its backup was made: its path, device and inode.
#[derive(Clone, Debug)]
struct Original {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl Original {
    /// Whether the path still names the same file.
    fn unchanged(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        self.path
            .symlink_metadata()
            .is_ok_and(|m| m.dev() == self.dev && m.ino() == self.ino)
    }
}

static REGISTRY: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn registry() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// A registered temporary: removed (and unregistered) on drop unless committed or kept.
#[derive(Debug)]
pub struct Temp {
    id: u64,
    path: PathBuf,
    kind: Kind,
    original: Option<Original>,
    live: bool,
}

/// Registers `path` (which may not exist yet) as a temporary of the given kind.
pub fn register(path: &Path, kind: Kind) -> Temp {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    registry().push(Entry {
        id,
        path: path.to_path_buf(),
        kind,
        original: None,
    });
    Temp {
        id,
        path: path.to_path_buf(),
        kind,
        original: None,
        live: true,
    }
}

/// The paths registered now (for tests and diagnostics).
pub fn registered() -> Vec<PathBuf> {
    registry().iter().map(|e| e.path.clone()).collect()
}

impl Temp {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `finish` (the rename that makes the output final) with the registry locked and,
    /// when it succeeds, unregisters the temporary without removing it. When it fails the
    /// temporary is removed as on drop.
    pub fn commit<T>(
        mut self,
        finish: impl FnOnce(&Path) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let mut reg = registry();
        let r = finish(&self.path);
        if r.is_ok() {
            reg.retain(|e| e.id != self.id);
            self.live = false;
        }
        drop(reg);
        r
    }

    /// Unregisters the temporary and leaves it where it is.
    pub fn keep(mut self) {
        registry().retain(|e| e.id != self.id);
        self.live = false;
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.live {
            return;
        }
        let mut reg = registry();
        reg.retain(|e| e.id != self.id);
        remove(&self.path, self.kind, self.original.as_ref());
    }
}

/// Removes one registered path as its kind says; errors are ignored (best effort).
fn remove(path: &Path, kind: Kind, original: Option<&Original>) {
    match kind {
        Kind::File => {
            let _ = std::fs::remove_file(path);
        }
        Kind::Backup => {
            if original.is_some_and(Original::unchanged) {
                let _ = std::fs::remove_file(path);
            }
        }
        Kind::Dir => remove_dir(path),
    }
}

/// Removes a folder that another thread of this process may still be writing into: it is
/// first renamed away (so writes by path into the old name fail instead of landing in it;
/// writers into a staged folder never create its root), then removed, retrying while files
/// still appear.
fn remove_dir(path: &Path) {
    let mut doomed = path.as_os_str().to_owned();
    doomed.push(".removing");
    let doomed = PathBuf::from(doomed);
    let target = if std::fs::rename(path, &doomed).is_ok() {
        doomed
    } else {
        path.to_path_buf()
    };
    for _ in 0..50 {
        match std::fs::remove_dir_all(&target) {
            Ok(()) => return,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(2)),
        }
    }
}

/// Removes every registered temporary and leaves the registry locked (the process is about
/// to exit: no write may be renamed into place after this).
fn cleanup_and_hold() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    let mut reg = registry();
    for e in reg.drain(..).rev() {
        remove(&e.path, e.kind, e.original.as_ref());
    }
    reg
}

/// Installs (once) the handler thread: on SIGINT, SIGTERM or SIGHUP it removes every
/// registered temporary and exits with 128 + the signal number. For CLI commands that write
/// outputs; the workstation installs its own signal handling instead.
pub fn install_signal_cleanup() -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    static INSTALLED: std::sync::OnceLock<std::result::Result<(), String>> =
        std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
                .map_err(|e| format!("installing the signal handler: {e}"))?;
            std::thread::Builder::new()
                .name("posedeck-signal-cleanup".into())
                .spawn(move || {
                    if let Some(sig) = signals.forever().next() {
                        let _held = cleanup_and_hold();
                        std::process::exit(128 + sig);
                    }
                })
                .map_err(|e| format!("starting the signal handler thread: {e}"))?;
            Ok(())
        })
        .clone()
        .map_err(Error::usage)
}

/// The process id in a temporary's name, when `name` is a temporary of `final_name` that
/// posedeck makes: `.NAME.posedeck-tmp.PID[...]` (folders) or `.NAME.PID.tmp` (files).
fn temp_pid(name: &str, final_name: &str) -> Option<i32> {
    let rest = name.strip_prefix('.')?.strip_prefix(final_name)?;
    let rest = rest.strip_prefix('.')?;
    let digits = |s: &str| -> Option<i32> {
        let d: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
        if d.is_empty() { None } else { d.parse().ok() }
    };
    if let Some(r) = rest.strip_prefix("posedeck-tmp.") {
        let pid = digits(r)?;
        let tail = &r[pid.to_string().len()..];
        (tail.is_empty() || tail == ".removing").then_some(pid)
    } else {
        let pid = digits(rest)?;
        (&rest[pid.to_string().len()..] == ".tmp").then_some(pid)
    }
}

fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return true;
    }
    // SAFETY: kill with signal 0 only checks whether the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Removes the temporaries of `output` left by processes that no longer run (a SIGKILL, a
/// power cut); those of live processes are left alone. Returns what was removed.
pub fn remove_stale(output: &Path) -> Vec<PathBuf> {
    let (dir, name) = split(output);
    let Some(name) = name else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let me = std::process::id() as i32;
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(pid) = temp_pid(&file_name.to_string_lossy(), &name) else {
            continue;
        };
        if pid == me || pid_alive(pid) {
            continue;
        }
        let p = e.path();
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        let ok = if is_dir {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        if ok.is_ok() {
            removed.push(p);
        }
    }
    removed
}

/// The folder a path is in ("." for a bare name) and its file name.
fn split(path: &Path) -> (PathBuf, Option<String>) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    (dir, name)
}

/// The temporary name of a folder output: `.NAME.posedeck-tmp.PID` beside it.
pub fn dir_temp_name(output: &Path) -> Result<PathBuf> {
    let (dir, name) = split(output);
    let name =
        name.ok_or_else(|| Error::usage(format!("{}: not a folder name", output.display())))?;
    Ok(dir.join(format!(".{name}.posedeck-tmp.{}", std::process::id())))
}

/// Whether an output exists in the sense that writing would replace something: any file,
/// link or non-empty folder (an empty folder holds nothing to lose and is written into).
pub fn output_exists(path: &Path) -> bool {
    match path.symlink_metadata() {
        Err(_) => false,
        Ok(m) if m.is_dir() => std::fs::read_dir(path).map_or(true, |mut d| d.next().is_some()),
        Ok(_) => true,
    }
}

/// Refuses an existing output unless `force`; the error is one line naming it.
pub fn check_output(path: &Path, force: bool) -> Result<()> {
    if !force && output_exists(path) {
        return Err(Error::usage(format!(
            "{}: already exists; use --force to replace it (the old one is then kept as a backup)",
            path.display()
        )));
    }
    Ok(())
}

/// A free backup name for `path`: `NAME.posedeck-backup.YYYYMMDDTHHMMSSZ` (`-2`, `-3` ...
/// appended when taken).
pub fn backup_name(path: &Path) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let base = format!("{}.posedeck-backup.{}", path.display(), utc_stamp(secs));
    let mut n = 1;
    loop {
        let p = PathBuf::from(if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        if p.symlink_metadata().is_err() {
            return p;
        }
        n += 1;
    }
}

/// `YYYYMMDDTHHMMSSZ` for seconds since the epoch (UTC).
pub fn utc_stamp(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = crate::util::civil(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Before a file output is written over with `--force`: keeps the existing file as a
/// backup (a hard link, or a copy where the file system has none) and returns the guard and
/// the backup's name. The guard removes the backup again if the write never happens (the
/// output is then still the old file); [`Temp::keep`] it once the write succeeded. `None`
/// when there is nothing to back up.
pub fn backup_file(output: &Path) -> Result<Option<(Temp, PathBuf)>> {
    let Ok(meta) = output.symlink_metadata() else {
        return Ok(None);
    };
    if meta.is_dir() {
        return Err(Error::usage(format!(
            "{}: is a folder; choose a file name for this output",
            output.display()
        )));
    }
    let backup = backup_name(output);
    let original = {
        use std::os::unix::fs::MetadataExt;
        Original {
            path: output.to_path_buf(),
            dev: meta.dev(),
            ino: meta.ino(),
        }
    };
    // The link and its registration under one lock: a signal in between finds either
    // nothing or a registered backup.
    let mut reg = registry();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let linked = std::fs::hard_link(output, &backup).is_ok();
    reg.push(Entry {
        id,
        path: backup.clone(),
        kind: Kind::Backup,
        original: Some(original.clone()),
    });
    drop(reg);
    let guard = Temp {
        id,
        path: backup.clone(),
        kind: Kind::Backup,
        original: Some(original),
        live: true,
    };
    if !linked {
        // No hard links on this file system: a byte-for-byte copy (removed like the link
        // while the output is unchanged).
        std::fs::copy(output, &backup).map_err(|e| Error::io(&backup, e))?;
    }
    Ok(Some((guard, backup)))
}

/// Before a file output is written: refuses an existing one unless `force`, removes stale
/// temporaries of dead processes, and with `force` keeps the existing file as a backup
/// (see [`backup_file`]; keep the guard once the write succeeded).
pub fn prepare_file(output: &Path, force: bool) -> Result<Option<(Temp, PathBuf)>> {
    check_output(output, force)?;
    remove_stale(output);
    if force { backup_file(output) } else { Ok(None) }
}

/// A folder output being built under its temporary name (see [`dir_temp_name`]); dropped
/// without [`StagedDir::commit`] it is removed.
pub struct StagedDir {
    output: PathBuf,
    temp: Temp,
}

/// Creates the temporary folder of `output` (its parent folders too), after removing stale
/// temporaries of dead processes. `output` must not exist as anything but an empty folder
/// unless `force` (checked again at the commit).
pub fn stage_dir(output: &Path, force: bool) -> Result<StagedDir> {
    check_output(output, force)?;
    let (parent, _) = split(output);
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    remove_stale(output);
    let tmp = dir_temp_name(output)?;
    if tmp.symlink_metadata().is_ok() {
        remove_dir(&tmp);
    }
    let temp = register(&tmp, Kind::Dir);
    std::fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    Ok(StagedDir {
        output: output.to_path_buf(),
        temp,
    })
}

impl StagedDir {
    /// The temporary folder to write into.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// Renames the finished folder into place. An existing output is refused unless `force`,
    /// then renamed to a backup first (put back if the second rename fails). Returns the
    /// backup's name when one was made.
    pub fn commit(self, force: bool) -> Result<Option<PathBuf>> {
        let output = self.output;
        let mut refused = false;
        let r = self.temp.commit(|tmp| {
            let mut backup = None;
            if output_exists(&output) {
                if !force {
                    refused = true;
                    return Err(std::io::Error::from_raw_os_error(libc::EEXIST));
                }
                let b = backup_name(&output);
                std::fs::rename(&output, &b)?;
                backup = Some(b);
            }
            match std::fs::rename(tmp, &output) {
                Ok(()) => Ok(backup),
                Err(e) => {
                    if let Some(b) = &backup {
                        let _ = std::fs::rename(b, &output);
                    }
                    Err(e)
                }
            }
        });
        match r {
            Ok(b) => Ok(b),
            Err(_) if refused => Err(Error::usage(format!(
                "{}: appeared while the folder was written; use --force to replace it (the new one was not kept)",
                output.display()
            ))),
            Err(e) => Err(Error::io(&output, e)),
        }
    }
}

/// Test hook: `POSEDECK_TEST_PAUSE_MS` makes [`crate::util::write_atomic_with`] pause that
/// long between writing its temporary file and renaming it, so tests can interrupt a write
/// half way (a folder output pauses at each of its files). Unset (always, outside tests):
/// nothing.
pub fn test_pause() {
    static MS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let ms = *MS.get_or_init(|| {
        std::env::var("POSEDECK_TEST_PAUSE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    });
    if ms > 0 {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamps() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(1_709_210_096), "20240229T123456Z");
    }

    #[test]
    fn temp_names_parse_their_pid() {
        assert_eq!(temp_pid(".out.posedeck-tmp.123", "out"), Some(123));
        assert_eq!(temp_pid(".out.posedeck-tmp.123.removing", "out"), Some(123));
        assert_eq!(temp_pid(".a.slp.42.tmp", "a.slp"), Some(42));
        assert_eq!(temp_pid(".out.posedeck-tmp.12x", "out"), None);
        assert_eq!(temp_pid(".other.posedeck-tmp.1", "out"), None);
        assert_eq!(
            temp_pid("out.posedeck-backup.19700101T000000Z", "out"),
            None
        );
        assert_eq!(temp_pid(".a.slp.42.tmpx", "a.slp"), None);
    }

    #[test]
    fn drop_removes_and_commit_keeps() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        std::fs::write(&a, b"x").unwrap();
        drop(register(&a, Kind::File));
        assert!(!a.exists());
        assert!(!registered().contains(&a));
        let d = tmp.path().join("d");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/f"), b"x").unwrap();
        let t = register(&d, Kind::Dir);
        assert!(registered().contains(&d));
        let fin = tmp.path().join("fin");
        t.commit(|p| std::fs::rename(p, &fin)).unwrap();
        assert!(fin.join("sub/f").exists());
        assert!(!registered().contains(&d));
        drop(register(&d, Kind::Dir));
        assert!(fin.exists());
    }

    #[test]
    fn a_backup_link_goes_only_while_the_output_is_unchanged() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("o.json");
        std::fs::write(&out, b"old").unwrap();
        let (g, b) = backup_file(&out).unwrap().unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"old");
        drop(g);
        assert!(!b.exists(), "write never happened: no backup needed");
        let (g, b) = backup_file(&out).unwrap().unwrap();
        crate::util::write_atomic(&out, b"new").unwrap();
        drop(g);
        assert_eq!(std::fs::read(&b).unwrap(), b"old", "kept once replaced");
        assert_eq!(std::fs::read(&out).unwrap(), b"new");
    }
}
