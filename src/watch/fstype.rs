//! Network and cluster filesystems do not deliver inotify events for writes made on other
//! hosts: detect them at start (statfs f_type) and fall back to polling.

use std::path::Path;

/// Filesystem magic numbers (linux/magic.h and vendor headers) where inotify misses remote
/// writes.
const REMOTE: &[(i64, &str)] = &[
    (0x6969, "nfs"),
    (0x0BD0_0BD0, "lustre"),
    (0x517B, "smb"),
    (0xFF53_4D42, "cifs"),
    (0xFE53_4D42, "smb2"),
    (0x4750_4653, "gpfs"),
    (0x00C3_6400, "ceph"),
    (0x0102_1997, "9p"),
    (0x1983_0326, "beegfs"),
    (0x5346_414F, "afs"),
    (0x6B41_4653, "kafs"),
    (0xAAD7_AAEA, "panfs"),
    (0x6573_5546, "fuse"),
    (0x0000_564C, "ncp"),
    (0x7461_636F, "ocfs2"),
    (0x0116_1970, "gfs2"),
];

/// The name of the remote filesystem holding `path`, or `None` for a local one (or when
/// statfs is unavailable). `POSEDECK_WATCH=poll` forces polling (reported as "forced").
pub fn remote_fs(path: &Path) -> Option<&'static str> {
    if std::env::var("POSEDECK_WATCH").is_ok_and(|v| v == "poll") {
        return Some("forced");
    }
    let magic = statfs_type(path)?;
    REMOTE.iter().find(|(m, _)| *m == magic).map(|(_, n)| *n)
}

#[cfg(target_os = "linux")]
fn statfs_type(path: &Path) -> Option<i64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized out-parameter.
    let rc = unsafe { libc::statfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return None;
    }
    #[allow(clippy::unnecessary_cast)]
    Some(st.f_type as i64 & 0xFFFF_FFFF)
}

#[cfg(not(target_os = "linux"))]
fn statfs_type(_path: &Path) -> Option<i64> {
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_tmp_is_not_remote() {
        if std::env::var("POSEDECK_WATCH").is_ok() {
            return;
        }
        let d = std::env::temp_dir();
        assert!(super::statfs_type(&d).is_some());
        assert_eq!(super::remote_fs(&d), None);
    }
}
