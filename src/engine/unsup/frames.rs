//! Unlabeled frames for the unsupervised losses: sequences of `sequence_length` consecutive
//! frames from the videos of `data.video_dir` (H.264 MP4 decoded in-process, and frame
//! folders), resized and normalized as the labeled frames are, prepared on a worker thread a
//! few sequences ahead of the training step. As Lightning Pose's DALI reader does, each video
//! is cut into consecutive non-overlapping sequences, shuffled, and gone through in turn.

use crate::engine::augment::{Aug, render, to_original};
use crate::engine::predict::{FrameSource, frame_folders_in, videos_in};
use crate::engine::rng::Rng;
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

/// One sequence, ready for the network.
pub struct Sequence {
    /// T x 3 x H x W normalized pixels.
    pub images: Vec<f32>,
    pub len: usize,
    /// Network-input pixels -> the frame's own pixels (undoes the resize and the
    /// augmentation), see [`crate::engine::augment::to_original`].
    pub to_original: [f64; 6],
    pub source: PathBuf,
    pub start: usize,
}

/// A video (or frame folder) usable for unlabeled frames, with its frame count.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub frames: usize,
}

/// The sources in `dir`, and one line for each video that cannot be used (named, with why).
pub fn sources(dir: &Path) -> (Vec<Source>, Vec<String>) {
    let mut ok = Vec::new();
    let mut skipped = Vec::new();
    for p in videos_in(dir).into_iter().chain(frame_folders_in(dir)) {
        match FrameSource::open(&p) {
            Ok(s @ (FrameSource::Native(_) | FrameSource::Folder(_))) => {
                if let Some(n) = s.len_hint() {
                    ok.push(Source { path: p, frames: n });
                }
            }
            Ok(_) => skipped.push(format!(
                "{}: not H.264 MP4 or a frame folder; not used for unlabeled frames",
                p.display()
            )),
            Err(e) => skipped.push(e.to_string()),
        }
    }
    (ok, skipped)
}

/// Sequences produced ahead of the training step.
pub struct Sequences {
    rx: Receiver<Result<Sequence>>,
    /// Time the training loop spent waiting for a sequence.
    pub waited: Duration,
    pub received: usize,
}

impl Sequences {
    /// Starts the worker. Errors when no source has `len` frames.
    pub fn start(
        sources: Vec<Source>,
        len: usize,
        width: usize,
        height: usize,
        seed: u64,
        augment: bool,
        ahead: usize,
    ) -> Result<Sequences> {
        let windows: Vec<(usize, usize)> = sources
            .iter()
            .enumerate()
            .flat_map(|(i, s)| (0..s.frames / len).map(move |w| (i, w * len)))
            .collect();
        if windows.is_empty() {
            let names: Vec<String> = sources
                .iter()
                .map(|s| format!("{} ({} frames)", s.path.display(), s.frames))
                .collect();
            return Err(Error::usage(format!(
                "the unsupervised losses need videos of at least {len} frames (dali.base.train.sequence_length) in data.video_dir; found: {}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        let (tx, rx) = sync_channel(ahead.max(1));
        std::thread::Builder::new()
            .name("unlabeled-frames".into())
            .spawn(move || produce(sources, windows, (len, width, height), seed, augment, tx))
            .map_err(|e| Error::usage(format!("cannot start the unlabeled-frame worker: {e}")))?;
        Ok(Sequences {
            rx,
            waited: Duration::ZERO,
            received: 0,
        })
    }

    /// The next sequence (waits for the worker; the wait is added to `waited`).
    pub fn recv(&mut self) -> Result<Sequence> {
        let t = Instant::now();
        let r = self
            .rx
            .recv()
            .map_err(|_| Error::usage("the unlabeled-frame worker stopped"))?;
        self.waited += t.elapsed();
        self.received += 1;
        r
    }
}

/// `shape`: (sequence length, width, height) of what the network takes.
fn produce(
    sources: Vec<Source>,
    mut windows: Vec<(usize, usize)>,
    (len, width, height): (usize, usize, usize),
    seed: u64,
    augment: bool,
    tx: SyncSender<Result<Sequence>>,
) {
    let mut open: Vec<Option<FrameSource>> = sources.iter().map(|_| None).collect();
    for round in 0u64.. {
        Rng::derive(seed, 2_000_003 + round, 11).shuffle(&mut windows);
        let mut rng = Rng::derive(seed, 3_000_017 + round, 13);
        for &(i, start) in &windows {
            let aug = if augment {
                Aug::sample_unlabeled(&mut rng)
            } else {
                Aug::identity()
            };
            let r = sequence(&sources[i], &mut open[i], start, len, width, height, &aug);
            let failed = r.is_err();
            if tx.send(r).is_err() || failed {
                return;
            }
        }
    }
}

fn sequence(
    src: &Source,
    slot: &mut Option<FrameSource>,
    start: usize,
    len: usize,
    width: usize,
    height: usize,
    aug: &Aug,
) -> Result<Sequence> {
    if slot.is_none() {
        *slot = Some(FrameSource::open(&src.path)?);
    }
    let Some(fs) = slot.as_mut() else {
        return Err(Error::usage("unreachable: source not open"));
    };
    let plane = 3 * width * height;
    let mut images = Vec::with_capacity(len * plane);
    let mut to_orig = None;
    for f in start..start + len {
        let img = fs
            .next_frame(f)?
            .ok_or_else(|| Error::invalid(&src.path, format!("frame {f} is past the end")))?;
        // One map for the sequence: its frames share their size and augmentation.
        to_orig.get_or_insert_with(|| {
            to_original(
                aug,
                img.width() as usize,
                img.height() as usize,
                width,
                height,
            )
        });
        images.extend(render(&img, &[], aug, width, height, &[]).image);
    }
    Ok(Sequence {
        images,
        len,
        to_original: to_orig.unwrap_or([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
        source: src.path.clone(),
        start,
    })
}
