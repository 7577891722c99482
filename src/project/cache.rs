//! A cache of what `status` derives from big files that rarely change: the summary of each
//! metric CSV and the best `val_supervised_loss` of each events file, keyed by the file's
//! path, size and modification time (a changed file is read again).
//!
//! One JSON file per project under `$POSEDECK_CACHE_DIR`, else `$XDG_CACHE_HOME/posedeck`,
//! else `~/.cache/posedeck` (never inside the project). `POSEDECK_NO_CACHE=1` turns it off.
//! Entries not used by the last load are dropped when it is saved.

use super::metrics::MetricSummary;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

const VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CachedValue {
    Metric(MetricSummary),
    /// The lowest val_supervised_loss in one events file and the damage found in it.
    Events(super::events::EventsSummary),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    size: u64,
    mtime_ns: u128,
    value: CachedValue,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    entries: HashMap<PathBuf, Entry>,
}

/// A file's identity for the cache: (size, mtime in ns).
fn stamp(path: &Path) -> Option<(u64, u128)> {
    let m = std::fs::metadata(path).ok()?;
    let t = m
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((m.len(), t))
}

/// What is written: the entries used, borrowed (never copied for saving).
#[derive(Serialize)]
struct ToDisk<'a> {
    version: u32,
    entries: &'a HashMap<PathBuf, Entry>,
}

/// Entries move from `old` to `used` as they are asked for (one copy of each in memory,
/// however many runs a project has).
#[derive(Debug, Default)]
pub struct DerivedCache {
    file: Option<PathBuf>,
    old: Mutex<HashMap<PathBuf, Entry>>,
    used: Mutex<HashMap<PathBuf, Entry>>,
    /// A value was computed (not found): the file must be written.
    changed: std::sync::atomic::AtomicBool,
}

fn cache_dir() -> Option<PathBuf> {
    if std::env::var_os("POSEDECK_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    if let Some(d) = std::env::var_os("POSEDECK_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("posedeck"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".cache/posedeck"))
}

impl DerivedCache {
    /// A cache that remembers nothing.
    pub fn disabled() -> DerivedCache {
        DerivedCache::default()
    }

    /// The cache of the project in `root` (empty when there is none yet or it is unreadable).
    pub fn for_project(root: &Path) -> DerivedCache {
        let Some(dir) = cache_dir() else {
            return DerivedCache::disabled();
        };
        let canon = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        // FNV-1a of the path: a stable file name per project.
        let mut h: u64 = 0xcbf29ce484222325;
        for b in canon.to_string_lossy().bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100000001b3);
        }
        let file = dir.join("status").join(format!("{h:016x}.json"));
        let old = crate::util::read_limited(&file, 256 << 20)
            .ok()
            .and_then(|b| serde_json::from_slice::<OnDisk>(&b).ok())
            .filter(|d| d.version == VERSION)
            .map(|d| d.entries)
            .unwrap_or_default();
        DerivedCache {
            file: Some(file),
            old: Mutex::new(old),
            used: Mutex::new(HashMap::new()),
            changed: Default::default(),
        }
    }

    /// The cached value for `path` when the file is unchanged, else `compute()` (remembered
    /// when it succeeds).
    pub fn get_or<E>(
        &self,
        path: &Path,
        compute: impl FnOnce() -> Result<CachedValue, E>,
    ) -> Result<CachedValue, E> {
        let Some(file_stamp) = self.file.as_ref().and_then(|_| stamp(path)) else {
            return compute();
        };
        let hit = self.old.lock().ok().and_then(|mut old| {
            let e = old.remove(path)?;
            if (e.size, e.mtime_ns) == file_stamp {
                Some(e)
            } else {
                None
            }
        });
        if let Some(e) = hit {
            let value = e.value.clone();
            if let Ok(mut used) = self.used.lock() {
                used.insert(path.to_path_buf(), e);
            }
            return Ok(value);
        }
        let value = compute()?;
        self.changed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut used) = self.used.lock() {
            used.insert(
                path.to_path_buf(),
                Entry {
                    size: file_stamp.0,
                    mtime_ns: file_stamp.1,
                    value: value.clone(),
                },
            );
        }
        Ok(value)
    }

    /// Writes the entries used since loading (atomically); does nothing when unchanged or
    /// disabled. A cache that cannot be written is not an error for `status`.
    pub fn save(&self) {
        let Some(file) = &self.file else { return };
        let Ok(used) = self.used.lock() else { return };
        // Unchanged: nothing computed and every old entry used again.
        let stale_left = self.old.lock().map(|o| !o.is_empty()).unwrap_or(true);
        if !self.changed.load(std::sync::atomic::Ordering::Relaxed) && !stale_left {
            return;
        }
        let disk = ToDisk {
            version: VERSION,
            entries: &used,
        };
        if let Some(dir) = file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(bytes) = serde_json::to_vec(&disk) {
            let _ = crate::util::write_atomic(file, &bytes);
        }
    }
}
