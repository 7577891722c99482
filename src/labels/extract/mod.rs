//! Choosing frames to label and preparing them as the new Lightning Pose app does: the
//! chosen frames and their ±context neighbours written as `labeled-data/<video>/img%08d.png`
//! (the frame index, 8 digits), the chosen ones queued in the labeler queue
//! (`CollectedData*.unlabeled.jsonl`, see [`super::queue`]).
//!
//! Methods: `uniform` (evenly spaced), `kmeans` (pose diversity, see [`kmeans`]),
//! `outliers` (a model's least trustworthy frames, see [`outliers`]) and `manual` (given
//! frame indices). Frames already labeled in the CSV or queued are never chosen again; the
//! last `context` frames are left out (their context would run past the end), as the app does.

pub mod kmeans;
pub mod outliers;
pub mod source;
pub mod target;
pub mod write;

pub use outliers::Metric;
pub use source::Source;

use super::queue::{self, QueueEntry};
use crate::{Error, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Progress reports and cancellation for a running extraction.
#[derive(Clone, Default)]
pub struct Control {
    pub cancel: Arc<AtomicBool>,
    #[allow(clippy::type_complexity)]
    pub on_progress: Option<Arc<dyn Fn(&str, usize, usize) + Send + Sync>>,
}

/// The error a canceled extraction ends with (see [`is_cancelled`]).
pub fn cancelled() -> Error {
    Error::usage(CANCELLED)
}

const CANCELLED: &str = "extraction canceled: no frame written, nothing queued";

/// Whether `e` is the error of a canceled extraction.
pub fn is_cancelled(e: &Error) -> bool {
    matches!(e, Error::Usage(m) if m == CANCELLED)
}

impl Control {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
    pub fn progress(&self, stage: &str, done: usize, total: usize) {
        if let Some(f) = &self.on_progress {
            f(stage, done, total);
        }
    }
}

/// How frames are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    Uniform,
    Kmeans,
    /// From the model run folder's `video_preds`.
    Outliers {
        run: PathBuf,
        metric: Metric,
    },
    /// These frame indices.
    Manual(Vec<usize>),
}

impl Method {
    pub fn name(&self) -> &'static str {
        match self {
            Method::Uniform => "uniform",
            Method::Kmeans => "kmeans",
            Method::Outliers { .. } => "outliers",
            Method::Manual(_) => "manual",
        }
    }
}

/// One extraction.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The project (data dir): frames go to `labeled-data/` in it.
    pub root: PathBuf,
    /// A video file or frame folder.
    pub video: PathBuf,
    /// The label CSV whose queue gets the frames (it need not exist).
    pub csv: PathBuf,
    /// Multiview: the same session's other views (video, label CSV), written and queued with
    /// the same frames (see [`target::plan`]).
    pub siblings: Vec<(PathBuf, PathBuf)>,
    pub n: usize,
    pub method: Method,
    /// Neighbours written on each side of a chosen frame.
    pub context: usize,
    /// Outliers: chosen frames are at least this many frames apart.
    pub min_gap: usize,
    /// k-means seed.
    pub seed: u64,
    /// Store each queued frame with this model's predictions on it (a starting point for
    /// labeling): (model name, run folder), read from `<run>/video_preds/<stem>.csv`.
    pub predictions_from: Option<(String, PathBuf)>,
}

/// A chosen frame and why it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Picked {
    pub frame: usize,
    pub reason: Option<String>,
}

/// What an extraction did.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub stem: String,
    pub n_video_frames: usize,
    pub picked: Vec<Picked>,
    pub written: Vec<PathBuf>,
    pub kept: Vec<PathBuf>,
    pub queue: PathBuf,
    pub queued: usize,
}

/// The CSV index path of frame `f` of video `stem` (also the queue's `frame_path`).
pub fn frame_path(stem: &str, f: usize) -> String {
    format!("labeled-data/{stem}/{}", write::frame_name(f))
}

/// The frame index in a CSV index / queue path of `stem` (`labeled-data/<stem>/img<N>.<ext>`).
pub fn frame_of_path(path: &str, stem: &str) -> Option<usize> {
    let p = path.replace('\\', "/");
    let rest = p.strip_prefix("labeled-data/")?.strip_prefix(stem)?;
    let name = rest.strip_prefix('/')?;
    let digits = name.strip_prefix("img")?.split('.').next()?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The frames of `stem` labeled in `csv` (missing file: none) or queued beside it.
pub fn taken_frames(csv: &Path, stem: &str) -> Result<BTreeSet<usize>> {
    let mut out = BTreeSet::new();
    if csv.is_file() {
        let t = crate::formats::csv::PoseTable::read(csv)?;
        out.extend(t.index.iter().filter_map(|i| frame_of_path(i, stem)));
    }
    let q = queue::Queue::read(&queue::path_for_csv(csv))?;
    out.extend(
        q.entries
            .iter()
            .filter_map(|e| frame_of_path(&e.frame_path, stem)),
    );
    Ok(out)
}

/// Chooses the frames (checks everything it can before anything is written).
pub fn choose(req: &Request, src: &mut Source, ctl: &Control) -> Result<Vec<Picked>> {
    let total = src.frame_count();
    let stem = src.stem();
    let mut taken = taken_frames(&req.csv, &stem)?;
    for (video, csv) in &req.siblings {
        let s = Source::open(video)?;
        if s.frame_count() < total {
            return Err(Error::invalid(
                video,
                format!(
                    "has {} frames, fewer than the {total} of {}",
                    s.frame_count(),
                    crate::util::escape_path(src.path())
                ),
            ));
        }
        taken.extend(taken_frames(csv, &s.stem())?);
    }
    let end = total.saturating_sub(req.context);
    let candidates: Vec<usize> = (0..end).filter(|f| !taken.contains(f)).collect();
    if let Method::Manual(frames) = &req.method {
        let mut v = frames.clone();
        v.sort_unstable();
        v.dedup();
        if let Some(&f) = v.iter().find(|&&f| f >= total) {
            return Err(Error::invalid(
                src.path(),
                format!("frame {f} is past the video's {total} frames"),
            ));
        }
        return Ok(v
            .into_iter()
            .filter(|f| !taken.contains(f))
            .map(|frame| Picked {
                frame,
                reason: None,
            })
            .collect());
    }
    if req.n == 0 {
        return Err(Error::usage("--n must be at least 1"));
    }
    if req.n > candidates.len() {
        return Err(Error::invalid(
            src.path(),
            format!(
                "{} frames asked for, but only {} of its {total} frames can be chosen ({} labeled or queued, the last {} kept for context)",
                req.n,
                candidates.len(),
                taken.len(),
                total.min(req.context)
            ),
        ));
    }
    let picked = match &req.method {
        Method::Uniform => (0..req.n)
            .map(|i| Picked {
                frame: candidates[(2 * i + 1) * candidates.len() / (2 * req.n)],
                reason: None,
            })
            .collect(),
        Method::Kmeans => {
            let thumbs = src.thumbnails(ctl)?;
            kmeans::select(&thumbs, &candidates, req.n, req.seed, ctl)?
                .into_iter()
                .map(|frame| Picked {
                    frame,
                    reason: None,
                })
                .collect()
        }
        Method::Outliers { run, metric } => {
            let file = outliers::metric_file(run, &stem, *metric)?;
            let scored = outliers::score(&file, *metric)?;
            if let Some(s) = scored.iter().find(|s| s.frame >= total) {
                return Err(Error::invalid(
                    &file,
                    format!(
                        "has frame {} but the video has {total} frames: the predictions are of another video",
                        s.frame
                    ),
                ));
            }
            let allowed: BTreeSet<usize> = candidates.iter().copied().collect();
            let p = outliers::pick(&scored, req.n, req.min_gap, |f| allowed.contains(&f));
            if p.len() < req.n {
                return Err(Error::invalid(
                    &file,
                    format!(
                        "only {} frames can be chosen (scored, not labeled or queued, {} frames apart); asked for {}",
                        p.len(),
                        req.min_gap,
                        req.n
                    ),
                ));
            }
            p.into_iter()
                .map(|s| Picked {
                    frame: s.frame,
                    reason: Some(s.reason),
                })
                .collect()
        }
        // Returned above.
        Method::Manual(_) => Vec::new(),
    };
    Ok(picked)
}

/// Chooses, writes and queues the frames.
pub fn run(req: &Request, ctl: &Control) -> Result<Report> {
    let mut src = Source::open(&req.video)?;
    let picked = choose(req, &mut src, ctl)?;
    let stem = src.stem();
    let total = src.frame_count();
    let mut all: BTreeSet<usize> = BTreeSet::new();
    for p in &picked {
        let lo = p.frame.saturating_sub(req.context);
        let hi = (p.frame + req.context).min(total.saturating_sub(1));
        all.extend(lo..=hi);
    }
    let frames: Vec<usize> = all.into_iter().collect();
    let mut preds = match &req.predictions_from {
        Some((name, run)) => {
            let chosen: Vec<usize> = picked.iter().map(|p| p.frame).collect();
            outliers::predictions_for(name, run, &stem, &chosen)?
        }
        None => std::collections::HashMap::new(),
    };
    let mut views: Vec<(Source, PathBuf)> = vec![(src, req.csv.clone())];
    for (video, csv) in &req.siblings {
        views.push((Source::open(video)?, csv.clone()));
    }
    // Every view's frames first, then every view's queue; any failure, and a cancel before
    // the queues are written, takes back the images this run wrote (and the folders it
    // made): a canceled run leaves no frame file and no queue entry. Frames already there
    // with the same pixels (`kept`) were not this run's and stay.
    let mut written: Vec<PathBuf> = Vec::new();
    let mut kept: Vec<PathBuf> = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let undo = |written: &[PathBuf], dirs: &[PathBuf]| {
        for p in written {
            let _ = std::fs::remove_file(p);
        }
        for d in dirs {
            let _ = std::fs::remove_dir(d);
        }
    };
    for (s, _) in &mut views {
        let st = s.stem();
        match write::write_frames(&req.root, &st, s, &frames, ctl) {
            Ok(w) => {
                written.extend(w.written);
                kept.extend(w.kept);
                dirs.extend(w.created_dir);
            }
            Err(e) => {
                undo(&written, &dirs);
                return Err(e);
            }
        }
    }
    if ctl.cancelled() {
        undo(&written, &dirs);
        return Err(cancelled());
    }
    let mut queued = 0;
    let mut qpath = PathBuf::new();
    for (i, (s, csv)) in views.iter().enumerate() {
        let st = s.stem();
        let entries: Vec<QueueEntry> = picked
            .iter()
            .map(|p| QueueEntry {
                frame_path: frame_path(&st, p.frame),
                predictions: if i == 0 { preds.remove(&p.frame) } else { None },
            })
            .collect();
        let q = queue::path_for_csv(csv);
        match queue::append(&q, &entries) {
            Ok(n) if i == 0 => {
                queued = n;
                qpath = q;
            }
            Ok(_) => {}
            Err(e) => {
                undo(&written, &dirs);
                return Err(e);
            }
        }
    }
    Ok(Report {
        stem,
        n_video_frames: total,
        picked,
        written,
        kept,
        queue: qpath,
        queued,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn frame_paths() {
        assert_eq!(super::frame_path("v", 12), "labeled-data/v/img00000012.png");
        assert_eq!(
            super::frame_of_path("labeled-data/v/img00000012.png", "v"),
            Some(12)
        );
        assert_eq!(
            super::frame_of_path("labeled-data/v/img7.jpg", "v"),
            Some(7)
        );
        assert_eq!(super::frame_of_path("labeled-data/vv/img7.jpg", "v"), None);
        assert_eq!(super::frame_of_path("labeled-data/img7.png", "v"), None);
    }
}
