//! Small helpers shared by every module: reading whole files with path-bearing errors and
//! writing files atomically (temporary file in the same folder, then rename).

use crate::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Opens a file for reading data, refusing at once anything that is not a regular file: a
/// FIFO would block for ever, a device such as `/dev/zero` never ends. The open does not
/// block (O_NONBLOCK) and the type comes from `fstat` on the opened descriptor, so a file
/// swapped between a check and the open cannot slip through. Returns the file and its
/// length at the open.
pub fn open_regular(path: &Path) -> Result<(std::fs::File, u64)> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(Error::io(
            path,
            std::io::Error::from_raw_os_error(libc::EISDIR),
        ));
    }
    if !ft.is_file() {
        let kind = if ft.is_fifo() {
            "a FIFO"
        } else if ft.is_char_device() {
            "a character device"
        } else if ft.is_block_device() {
            "a block device"
        } else if ft.is_socket() {
            "a socket"
        } else {
            "a special file"
        };
        return Err(Error::invalid(
            path,
            format!("not a regular file ({kind}); refusing to read it"),
        ));
    }
    // Back to blocking reads (O_NONBLOCK means nothing for a regular file, but the
    // descriptor may be handed on).
    // SAFETY: fcntl on a descriptor this function owns; failure only leaves the flag set.
    unsafe {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok((file, meta.len()))
}

/// Reads a whole regular file (see [`open_regular`]); the error names the file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    read_limited(path, u64::MAX)
}

/// Asks the kernel to back a large, freshly allocated (still untouched) buffer with huge pages:
/// ~50 page faults instead of ~25,000 for 100 MB. Only advice: nothing changes if refused.
pub fn advise_huge_pages<T>(buf: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let len = std::mem::size_of_val(buf);
        if len < 4 * HUGE {
            return;
        }
        let start = buf.as_mut_ptr() as usize;
        let aligned = start.next_multiple_of(HUGE);
        let end = (start + len) / HUGE * HUGE;
        if end > aligned {
            // SAFETY: madvise(MADV_HUGEPAGE) only changes how the kernel backs pages of this
            // buffer, which we own exclusively; it does not change its contents or validity.
            unsafe {
                libc::madvise(
                    aligned as *mut libc::c_void,
                    end - aligned,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}

/// Files from this size are read by two threads at once, each its half into the same buffer:
/// the copy out of the page cache and the faulting of the fresh pages run on both cores.
const SPLIT_READ_MIN: u64 = 32 << 20;

/// Reads the file's first `len` bytes into `buf`'s spare capacity (at least `len`), its two
/// halves on two threads. `buf`'s length becomes the bytes read up to the first short read
/// (a file that shrank): the second half counts only when the first is whole.
fn read_halves(file: &std::fs::File, buf: &mut Vec<u8>, len: usize) -> std::io::Result<()> {
    let mid = len / 2;
    let (a, b) = buf.spare_capacity_mut()[..len].split_at_mut(mid);
    let (ra, rb) = std::thread::scope(|sc| {
        let hb = sc.spawn(|| fill_at(file, b, mid as u64));
        (fill_at(file, a, 0), hb.join())
    });
    let na = ra?;
    let filled = if na < mid {
        na
    } else {
        // A thread that failed to start or panicked: its half is read again after.
        mid + rb.unwrap_or(Ok(0))?
    };
    // SAFETY: the first `filled` bytes were written by pread (the first half whole when the
    // second counts), and `filled <= len <= capacity`.
    unsafe { buf.set_len(filled) };
    Ok(())
}

/// `pread` into `dst` from `off` until it is full or the file ends; the bytes written.
fn fill_at(
    file: &std::fs::File,
    dst: &mut [std::mem::MaybeUninit<u8>],
    off: u64,
) -> std::io::Result<usize> {
    use std::os::fd::AsRawFd;
    let mut done = 0;
    while done < dst.len() {
        let at = libc::off_t::try_from(off + done as u64).map_err(std::io::Error::other)?;
        // SAFETY: pread writes at most `dst.len() - done` bytes into `dst[done..]`, memory
        // this thread holds exclusively; MaybeUninit bytes may be written by anyone.
        let n = unsafe {
            libc::pread(
                file.as_raw_fd(),
                dst.as_mut_ptr().add(done).cast(),
                dst.len() - done,
                at,
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            break;
        }
        done += n as usize;
    }
    Ok(done)
}

/// Reads a whole regular file of at most `max` bytes: a larger one is refused before
/// anything is read, and one that grows past `max` while it is read is refused too.
pub fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let (file, len) = open_regular(path)?;
    if len > max {
        return Err(Error::invalid(
            path,
            format!("file is {len} bytes, more than the {max} bytes such a file can sensibly hold"),
        ));
    }
    let mut buf = Vec::new();
    buf.try_reserve_exact(len as usize)
        .map_err(|_| Error::invalid(path, format!("file is {len} bytes: not enough memory")))?;
    advise_huge_pages(buf.spare_capacity_mut());
    let io = |e| Error::io(path, e);
    if len >= SPLIT_READ_MIN && cores() >= 2 {
        read_halves(&file, &mut buf, len as usize).map_err(io)?;
        // On from where the halves left off: the rest of a file that grew, or (a half cut
        // short) what a file that shrank still holds.
        std::io::Seek::seek(&mut &file, std::io::SeekFrom::Start(buf.len() as u64)).map_err(io)?;
    }
    let left = max.saturating_add(1).saturating_sub(buf.len() as u64);
    (&file).take(left).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > max {
        return Err(Error::invalid(
            path,
            format!("file grew past {max} bytes while it was read"),
        ));
    }
    Ok(buf)
}

/// Reads a whole UTF-8 text file; the error names the file.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = read(path)?;
    String::from_utf8(bytes).map_err(|e| {
        let off = e.utf8_error().valid_up_to() as u64;
        Error::at_offset(path, off, "not valid UTF-8")
    })
}

/// Writes `bytes` to `path` atomically: a sibling temporary file (`.NAME.PID.tmp`) is
/// written, flushed and renamed over the target, so readers never see a half-written file.
/// The temporary is registered with [`crate::tempfiles`]: removed on failure (a full disk)
/// and, where the command installed the handler, on SIGINT / SIGTERM / SIGHUP.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Like [`write_atomic`] but streams through a writer.
pub fn write_atomic_with(
    path: &Path,
    f: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Error::usage(format!("{}: not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    // Registered while it exists: removed on an error, a panic, or (in commands that
    // install it) by the signal handler; the rename runs with the registry locked.
    let temp = crate::tempfiles::register(&tmp, crate::tempfiles::Kind::File);
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        f(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_data()?;
        drop(file);
        crate::tempfiles::test_pause();
        temp.commit(|tmp| std::fs::rename(tmp, path))
    })();
    result.map_err(|e| Error::io(path, e))
}

/// Creates the folders of `rel` (a relative path) inside `root`, which must exist: unlike
/// `create_dir_all` it never creates `root` itself, so writes into a folder that was removed
/// meanwhile fail instead of bringing it back.
pub fn create_dirs_below(root: &Path, rel: &Path) -> Result<()> {
    let mut p = root.to_path_buf();
    for c in rel.components() {
        match c {
            std::path::Component::Normal(n) => p.push(n),
            std::path::Component::CurDir => continue,
            _ => {
                return Err(Error::usage(format!(
                    "{}: not a path inside {}",
                    rel.display(),
                    root.display()
                )));
            }
        }
        match std::fs::create_dir(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && p.is_dir() => {}
            Err(e) => return Err(Error::io(&p, e)),
        }
    }
    Ok(())
}

/// The number of cores this process may use (at least 1), asked once: the standard library
/// reads cgroup files on every call, which costs more than parsing a small file.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A file name or path as text: valid UTF-8 as it is, every byte that is not as `\xNN`
/// (so a non-UTF-8 name is shown, told apart from others and never dropped).
pub fn escape_os(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = s.as_bytes();
    if let Ok(text) = std::str::from_utf8(bytes) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`escape_os`] of a path.
pub fn escape_path(p: &Path) -> std::borrow::Cow<'_, str> {
    escape_os(p.as_os_str())
}

/// Paths as JSON strings even when they are not UTF-8 (serde refuses those): invalid bytes
/// shown as `\xNN`, as everywhere else posedeck shows such a name. For
/// `#[serde(serialize_with = "crate::util::ser_path")]` on `PathBuf`, `Option<PathBuf>` and
/// `Vec<PathBuf>` fields.
pub fn ser_path<T: PathField + ?Sized, S: serde::Serializer>(
    v: &T,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    v.ser(s)
}

/// The path-holding field shapes [`ser_path`] writes.
pub trait PathField {
    fn ser<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error>;
}

impl PathField for std::path::PathBuf {
    fn ser<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&escape_path(self))
    }
}

impl PathField for Option<std::path::PathBuf> {
    fn ser<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Some(p) => s.serialize_some(&*escape_path(p)),
            None => s.serialize_none(),
        }
    }
}

impl PathField for Vec<std::path::PathBuf> {
    fn ser<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(|p| escape_path(p)))
    }
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
pub fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two halves: a file as long as asked is read whole; one shorter than asked (it
    /// shrank after its length was taken) gives what it holds, never a gap.
    #[test]
    fn halves_read_what_the_file_holds() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let f = std::fs::File::open(&p).unwrap();
        for (file_len, asked) in [
            (1000, 1000),
            (1000, 1400),
            (600, 1400),
            (300, 1400),
            (0, 64),
        ] {
            std::fs::write(&p, &data[..file_len]).unwrap();
            let mut buf = Vec::with_capacity(asked);
            read_halves(&f, &mut buf, asked).unwrap();
            let want = if file_len >= asked / 2 {
                file_len.min(asked)
            } else {
                file_len
            };
            assert_eq!(buf, data[..want], "file {file_len}, asked {asked}");
        }
    }

    #[test]
    fn a_large_file_reads_as_std_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        let n = SPLIT_READ_MIN as usize + 12_345;
        let data: Vec<u8> = (0..n).map(|i| (i % 253) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        assert!(read(&p).unwrap() == data);
        let e = read_limited(&p, n as u64 - 1).unwrap_err().to_string();
        assert!(e.contains("more than"), "{e}");
    }
}
