//! The files a run leaves: checkpoints, events files, video predictions, logs.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `tb_logs/<model>/version_<N>/checkpoints/epoch=<E>-step=<S>[-best].ckpt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub name: String,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub path: PathBuf,
    pub epoch: Option<u64>,
    pub step: Option<u64>,
    pub size_bytes: u64,
    /// Lightning Pose keeps one best checkpoint (lowest `val_supervised_loss`), named `-best`.
    pub best: bool,
}

/// A video prediction CSV (`video_preds/<stem>.csv`) with what sits beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoPrediction {
    pub video: String,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub path: PathBuf,
    pub size_bytes: u64,
    /// Metric files present for it: `temporal_norm`, `pca_singleview_error`, ...
    pub metrics: Vec<String>,
    /// `labeled_videos/<stem>_labeled.mp4` or `<stem>.labeled.mp4` when present.
    #[serde(serialize_with = "crate::util::ser_path")]
    pub labeled_video: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFile {
    pub name: String,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub path: PathBuf,
    pub size_bytes: u64,
}

/// Parses `epoch=3-step=120-best.ckpt`, `epoch=3-step=120.ckpt`, `last.ckpt`.
pub fn parse_checkpoint_name(name: &str) -> (Option<u64>, Option<u64>, bool) {
    let stem = name.strip_suffix(".ckpt").unwrap_or(name);
    let mut epoch = None;
    let mut step = None;
    let mut best = false;
    for part in stem.split('-') {
        if let Some(v) = part.strip_prefix("epoch=") {
            epoch = v.parse().ok();
        } else if let Some(v) = part.strip_prefix("step=") {
            step = v.parse().ok();
        } else if part == "best" {
            best = true;
        }
    }
    (epoch, step, best)
}

/// The entries of `dir` with their metadata (links followed), sorted by name; names that
/// are not UTF-8 are kept with their other bytes as `\xNN`. A folder that is absent gives
/// nothing; one that cannot be read, or an entry whose metadata cannot be read, adds a
/// line to `errors` (a dangling link is not an error here).
fn list(dir: &Path, errors: &mut Vec<String>) -> Vec<(String, PathBuf, std::fs::Metadata)> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => return Vec::new(),
        Err(e) => {
            errors.push(crate::Error::io(dir, e).to_string());
            return Vec::new();
        }
    };
    let mut v = Vec::new();
    for entry in rd {
        let e = match entry {
            Ok(e) => e,
            Err(err) => {
                errors.push(crate::Error::io(dir, err).to_string());
                break;
            }
        };
        let name = crate::util::escape_os(&e.file_name()).into_owned();
        let path = e.path();
        // The entry's own metadata unless it is a link (no path walk per entry).
        let meta = match e.file_type() {
            Ok(t) if !t.is_symlink() => e.metadata(),
            _ => std::fs::metadata(&path),
        };
        match meta {
            Ok(m) => v.push((name, path, m)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => errors.push(crate::Error::io(&path, err).to_string()),
        }
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// The `version_N` folders of `tb_logs/<model>/` (sorted by N), where events files and
/// checkpoints live, each with its listing. Folders that cannot be read are in `errors`.
pub fn version_dirs(run: &Path, errors: &mut Vec<String>) -> Vec<VersionDir> {
    let mut out = Vec::new();
    for (_, model_dir, meta) in list(&run.join("tb_logs"), errors) {
        if !meta.is_dir() {
            continue;
        }
        let mut versions: Vec<(u64, PathBuf)> = list(&model_dir, errors)
            .into_iter()
            .filter(|(_, _, m)| m.is_dir())
            .filter_map(|(n, p, _)| Some((n.strip_prefix("version_")?.parse().ok()?, p)))
            .collect();
        versions.sort();
        for (_, path) in versions {
            let entries = list(&path, errors);
            out.push(VersionDir { path, entries });
        }
    }
    out
}

/// A `version_N` folder and its entries (name, path, metadata), sorted by name.
pub struct VersionDir {
    pub path: PathBuf,
    pub entries: Vec<(String, PathBuf, std::fs::Metadata)>,
}

/// Events files (`events.out.tfevents.*`) under the version folders, oldest version first.
pub fn events_files(versions: &[VersionDir]) -> Vec<PathBuf> {
    versions
        .iter()
        .flat_map(|v| {
            v.entries
                .iter()
                .filter(|(n, _, m)| m.is_file() && n.starts_with("events.out.tfevents."))
                .map(|(_, p, _)| p.clone())
        })
        .collect()
}

/// The host in `events.out.tfevents.<ts>.<host>.<pid>.<n>`.
pub fn events_host(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix("events.out.tfevents.")?;
    let parts: Vec<&str> = rest.split('.').collect();
    (parts.len() >= 4).then(|| parts[1..parts.len() - 2].join("."))
}

/// Checkpoints under the version folders' `checkpoints/`.
pub fn checkpoints(versions: &[VersionDir], errors: &mut Vec<String>) -> Vec<Checkpoint> {
    let mut out = Vec::new();
    for v in versions {
        if !v
            .entries
            .iter()
            .any(|(n, _, m)| n == "checkpoints" && m.is_dir())
        {
            continue;
        }
        for (name, path, meta) in list(&v.path.join("checkpoints"), errors) {
            if !meta.is_file() || !name.ends_with(".ckpt") {
                continue;
            }
            let (epoch, step, best) = parse_checkpoint_name(&name);
            out.push(Checkpoint {
                name,
                path,
                epoch,
                step,
                size_bytes: meta.len(),
                best,
            });
        }
    }
    out
}

const VIDEO_METRICS: [&str; 3] = [
    "temporal_norm",
    "pca_singleview_error",
    "pca_multiview_error",
];

/// The video prediction CSVs of `dir` (`video_preds/` or `video_preds_infer/`).
/// Folders that cannot be read are in `errors`.
pub fn video_predictions(dir: &Path, errors: &mut Vec<String>) -> Vec<VideoPrediction> {
    let files = list(dir, errors);
    let labeled = if files
        .iter()
        .any(|(n, _, m)| n == "labeled_videos" && m.is_dir())
    {
        list(&dir.join("labeled_videos"), errors)
    } else {
        Vec::new()
    };
    let names: Vec<&str> = files.iter().map(|(n, _, _)| n.as_str()).collect();
    files
        .iter()
        .filter(|(n, _, m)| m.is_file() && n.ends_with(".csv") && !n.ends_with(".short.csv"))
        .filter(|(n, _, _)| {
            !VIDEO_METRICS
                .iter()
                .any(|s| n.ends_with(&format!("_{s}.csv")))
        })
        .map(|(name, path, meta)| {
            let stem = name.strip_suffix(".csv").unwrap_or(name);
            let metrics = VIDEO_METRICS
                .iter()
                .filter(|s| names.contains(&format!("{stem}_{s}.csv").as_str()))
                .map(|s| s.to_string())
                .collect();
            let labeled_video = labeled
                .iter()
                .find(|(n, _, _)| n == &format!("{stem}_labeled.mp4"))
                .map(|(_, p, _)| p.clone())
                .or_else(|| {
                    let p = dir.join(format!("{stem}.labeled.mp4"));
                    names
                        .contains(&format!("{stem}.labeled.mp4").as_str())
                        .then_some(p)
                });
            VideoPrediction {
                video: stem.to_string(),
                path: path.clone(),
                size_bytes: meta.len(),
                metrics,
                labeled_video,
            }
        })
        .collect()
}

/// The last line of a log that reports an error (`Error`, `Exception`, `Traceback`,
/// `Killed`, `error:`), looking at the last 8 KiB only; progress-bar carriage returns keep the
/// text after the last one.
pub fn last_error_line(path: &Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let (mut f, _) = crate::util::open_regular(path).ok()?;
    let len = f.metadata().ok()?.len();
    let start = len.saturating_sub(8192);
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = Vec::new();
    f.take(8192).read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    const MARKS: [&str; 6] = [
        "Error",
        "Exception",
        "Traceback",
        "Killed",
        "error:",
        "CUDA out of memory",
    ];
    text.lines()
        .rev()
        .map(|l| l.rsplit('\r').find(|s| !s.trim().is_empty()).unwrap_or(""))
        .find(|l| MARKS.iter().any(|m| l.contains(m)) && !l.contains("Warning"))
        .map(|l| l.trim().chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_names() {
        assert_eq!(
            parse_checkpoint_name("epoch=1-step=18-best.ckpt"),
            (Some(1), Some(18), true)
        );
        assert_eq!(
            parse_checkpoint_name("epoch=12-step=300.ckpt"),
            (Some(12), Some(300), false)
        );
        assert_eq!(parse_checkpoint_name("last.ckpt"), (None, None, false));
    }

    #[test]
    fn error_line_of_a_log() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("err.log");
        std::fs::write(&p, "Epoch 1: 10%\rEpoch 1: 50%\nTraceback (most recent call last):\n  File x\nRuntimeError: CUDA error\nsome UserWarning: meh\n").unwrap();
        assert_eq!(
            last_error_line(&p).as_deref(),
            Some("RuntimeError: CUDA error")
        );
        std::fs::write(&p, "all fine\n").unwrap();
        assert_eq!(last_error_line(&p), None);
    }

    #[test]
    fn host_of_events_file() {
        let p = Path::new("events.out.tfevents.1795261589.vm.23686.0");
        assert_eq!(events_host(p).as_deref(), Some("vm"));
        let p = Path::new("events.out.tfevents.1795261589.gpu1.lab.org.23686.0");
        assert_eq!(events_host(p).as_deref(), Some("gpu1.lab.org"));
    }
}
