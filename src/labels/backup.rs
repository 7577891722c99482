//! Backups of label files before posedeck writes over them:
//! `<folder of the file>/.posedeck-backup/<file name>.<UTC time>` (`-2`, `-3` ... when taken),
//! a byte-for-byte copy of what the file held.

use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The backup folder for a label file: `.posedeck-backup` beside it (the project root for
/// `CollectedData*.csv`).
pub fn backup_dir(file: &Path) -> PathBuf {
    file.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(".posedeck-backup")
}

/// Keeps `bytes` (what `file` holds now) as a backup; returns the backup's path.
pub fn keep(file: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let dir = backup_dir(file);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let name = file
        .file_name()
        .ok_or_else(|| Error::usage(format!("{}: not a file path", file.display())))?
        .to_string_lossy()
        .into_owned();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let base = format!("{name}.{}", crate::tempfiles::utc_stamp(secs));
    let mut n = 1;
    let path = loop {
        let p = dir.join(if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        if p.symlink_metadata().is_err() {
            break p;
        }
        n += 1;
    };
    crate::util::write_atomic(&path, bytes)?;
    Ok(path)
}

/// A 64-bit FNV-1a hash (to notice that a file changed on disk without keeping its bytes).
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_never_overwrite_each_other() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("CollectedData.csv");
        let a = keep(&f, b"one").unwrap();
        let b = keep(&f, b"two").unwrap();
        assert_ne!(a, b);
        assert_eq!(std::fs::read(&a).unwrap(), b"one");
        assert_eq!(std::fs::read(&b).unwrap(), b"two");
        assert!(a.starts_with(d.path().join(".posedeck-backup")));
        assert!(
            a.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("CollectedData.csv.")
        );
        assert_ne!(hash(b"one"), hash(b"two"));
    }
}
