//! The data pipeline: worker threads decode, augment and resize labeled frames and build the
//! heatmap targets, a few batches ahead of the training loop (bounded prefetch), delivered in
//! order.

use crate::Result;
use crate::engine::augment::{Aug, render};
use crate::engine::config::Imgaug;
use crate::engine::data::{Labels, decode_rgb};
use crate::engine::heatmap;
use crate::engine::rng::Rng;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

/// Geometry and augmentation shared by every batch.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub width: usize,
    pub height: usize,
    pub stride: usize,
    pub uniform_for_nan: bool,
    pub imgaug: Imgaug,
    pub hflip: bool,
    pub flip_pairs: Vec<(usize, usize)>,
    pub seed: u64,
}

impl Pipeline {
    pub fn hm_w(&self) -> usize {
        self.width / self.stride
    }
    pub fn hm_h(&self) -> usize {
        self.height / self.stride
    }
}

/// One batch, ready for the device.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Labels rows in this batch.
    pub rows: Vec<usize>,
    /// B x 3 x H x W.
    pub images: Vec<f32>,
    /// B x K x h x w.
    pub targets: Vec<f32>,
    /// B x K (1 = in the loss).
    pub mask: Vec<f32>,
    /// B x K keypoints in input pixels after augmentation (NaN when missing).
    pub keypoints: Vec<[f32; 2]>,
    /// Per row: (original width / input width, original height / input height).
    pub scale: Vec<[f32; 2]>,
}

/// Builds one batch (on the calling thread).
pub fn build_batch(
    labels: &Labels,
    p: &Pipeline,
    rows: &[usize],
    augment: bool,
    epoch: u64,
) -> Result<Batch> {
    let k = labels.k();
    let (w, h) = (p.width, p.height);
    let (hw, hh) = (p.hm_w(), p.hm_h());
    let mut b = Batch {
        rows: rows.to_vec(),
        images: Vec::with_capacity(rows.len() * 3 * w * h),
        targets: vec![0.0; rows.len() * k * hw * hh],
        mask: vec![0.0; rows.len() * k],
        keypoints: Vec::with_capacity(rows.len() * k),
        scale: Vec::with_capacity(rows.len()),
    };
    for (i, &row) in rows.iter().enumerate() {
        let path = labels
            .images
            .get(row)
            .ok_or_else(|| crate::Error::usage(format!("labeled frame {row} out of range")))?;
        let img = decode_rgb(path)?;
        let kps: Vec<[f32; 2]> = (0..k).map(|j| labels.xy(row, j)).collect();
        let aug = if augment {
            let mut rng = Rng::derive(p.seed, epoch, row as u64);
            Aug::sample(p.imgaug, p.hflip, w, h, &mut rng)
        } else {
            Aug::identity()
        };
        let s = render(&img, &kps, &aug, w, h, &p.flip_pairs);
        b.images.extend_from_slice(&s.image);
        let plane = k * hw * hh;
        heatmap::targets(
            &s.keypoints,
            p.stride as f32,
            hh,
            hw,
            p.uniform_for_nan,
            &mut b.targets[i * plane..(i + 1) * plane],
            &mut b.mask[i * k..(i + 1) * k],
        );
        b.keypoints.extend_from_slice(&s.keypoints);
        b.scale.push([
            img.width() as f32 / w as f32,
            img.height() as f32 / h as f32,
        ]);
    }
    Ok(b)
}

/// Batches of one pass over `order`, produced by `workers` threads with `prefetch` batches
/// buffered, yielded in order. Dropping it stops the workers.
pub struct Batches {
    rx: Receiver<(usize, Result<Batch>)>,
    pending: BTreeMap<usize, Result<Batch>>,
    next: usize,
    total: usize,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Batches {
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        labels: Arc<Labels>,
        pipeline: Arc<Pipeline>,
        order: Vec<usize>,
        batch_size: usize,
        augment: bool,
        epoch: u64,
        skip: usize,
        workers: usize,
        prefetch: usize,
    ) -> Batches {
        let chunks: Arc<Vec<Vec<usize>>> = Arc::new(
            order
                .chunks(batch_size.max(1))
                .map(|c| c.to_vec())
                .collect(),
        );
        let total = chunks.len();
        let (tx, rx) = sync_channel(prefetch.max(1));
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicUsize::new(skip));
        let threads = (0..workers.max(1))
            .map(|_| {
                let (tx, stop, counter) = (tx.clone(), stop.clone(), counter.clone());
                let (labels, pipeline, chunks) = (labels.clone(), pipeline.clone(), chunks.clone());
                std::thread::spawn(move || {
                    loop {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let i = counter.fetch_add(1, Ordering::Relaxed);
                        let Some(rows) = chunks.get(i) else { return };
                        let b = build_batch(&labels, &pipeline, rows, augment, epoch);
                        if tx.send((i, b)).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        Batches {
            rx,
            pending: BTreeMap::new(),
            next: skip,
            total,
            stop,
            threads,
        }
    }

    /// Number of batches in the pass (including skipped ones).
    pub fn len(&self) -> usize {
        self.total
    }
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

impl Iterator for Batches {
    type Item = Result<Batch>;
    fn next(&mut self) -> Option<Result<Batch>> {
        if self.next >= self.total {
            return None;
        }
        loop {
            if let Some(b) = self.pending.remove(&self.next) {
                self.next += 1;
                return Some(b);
            }
            match self.rx.recv() {
                Ok((i, b)) => {
                    self.pending.insert(i, b);
                }
                Err(_) => return None,
            }
        }
    }
}

impl Drop for Batches {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Unblock workers waiting on a full channel.
        while self.rx.try_recv().is_ok() {}
        for t in self.threads.drain(..) {
            // Drain again while joining so a blocked sender can finish.
            while !t.is_finished() {
                while self.rx.try_recv().is_ok() {}
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            let _ = t.join();
        }
    }
}
