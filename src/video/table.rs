//! The sample table of a video track, built once when the file is opened: every sample's
//! file offset, size, decode and presentation time and sync flag, frames numbered in
//! presentation order (B-frames reordered, the edit list applied), and for each frame the
//! sync sample to start decoding from.

use super::boxes::{BoxError, BoxResult, VideoTrack};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub offset: u64,
    pub size: u32,
    /// Decode time, in the track's timescale.
    pub dts: i64,
    /// Presentation (composition) time: decode time plus the `ctts` offset.
    pub pts: i64,
    pub sync: bool,
}

#[derive(Debug, Clone, Default)]
pub struct SampleTable {
    /// In decode order (the order in the file's tables).
    pub samples: Vec<Sample>,
    /// Frame `i` (presentation order, the frame index users see) is sample `frames[i]`.
    pub frames: Vec<u32>,
    /// Presentation index of each sample (`u32::MAX` for samples the edit list hides).
    pub frame_of_sample: Vec<u32>,
}

fn bad<T>(offset: u64, msg: String) -> BoxResult<T> {
    Err(BoxError { offset, msg })
}

impl SampleTable {
    pub fn build(t: &VideoTrack) -> BoxResult<SampleTable> {
        let n = t.sizes.len();
        if n == 0 {
            return bad(t.stbl_at, "the video track has no samples".into());
        }
        if n > u32::MAX as usize / 2 {
            return bad(t.stbl_at, format!("{n} samples is implausible"));
        }
        let mut samples = Vec::with_capacity(n);
        // Offsets: chunks in order, each holding the samples-per-chunk of the last `stsc`
        // entry whose first chunk is at or before it.
        let mut entry = 0usize;
        let mut s = 0usize;
        for (ci, &chunk_off) in t.chunk_offsets.iter().enumerate() {
            let chunk = ci as u64 + 1;
            while entry + 1 < t.stsc.len() && u64::from(t.stsc[entry + 1].0) <= chunk {
                entry += 1;
            }
            let per = t.stsc.get(entry).map(|e| e.1).unwrap_or(0) as usize;
            let mut off = chunk_off;
            for _ in 0..per.min(n - s) {
                let size = t.sizes[s];
                samples.push(Sample {
                    offset: off,
                    size,
                    dts: 0,
                    pts: 0,
                    sync: t.stss.is_none(),
                });
                off = off.saturating_add(u64::from(size));
                s += 1;
            }
            if s == n {
                break;
            }
        }
        if s < n {
            return bad(
                t.stbl_at,
                format!("the chunk tables ('stsc', 'stco') place {s} of the {n} samples"),
            );
        }
        // Decode times; a short `stts` repeats its last delta (as demuxers do).
        let mut dts = 0i64;
        let mut i = 0;
        let mut last_delta = 1u32;
        'stts: for &(count, delta) in &t.stts {
            last_delta = delta;
            for _ in 0..count {
                if i == n {
                    break 'stts;
                }
                samples[i].dts = dts;
                dts = dts.saturating_add(i64::from(delta));
                i += 1;
            }
        }
        for smp in samples.iter_mut().skip(i) {
            smp.dts = dts;
            dts = dts.saturating_add(i64::from(last_delta));
        }
        let mut i = 0;
        'ctts: for &(count, off) in &t.ctts {
            for _ in 0..count {
                if i == n {
                    break 'ctts;
                }
                samples[i].pts = i64::from(off);
                i += 1;
            }
        }
        for smp in &mut samples {
            smp.pts = smp.pts.saturating_add(smp.dts);
        }
        if let Some(stss) = &t.stss {
            for &k in stss {
                if k >= 1 && (k as usize) <= n {
                    samples[k as usize - 1].sync = true;
                }
            }
        }
        // The first sample must be decodable from: treat it as a sync sample even when the
        // table forgot it (decoding then reports what is missing).
        samples[0].sync = true;

        // The edit list: samples presented before the edit's media time (or after its end)
        // are decoded but not shown.
        let (start, end) = match t.edit {
            Some((media_time, dur, _)) if media_time >= 0 => {
                let end = if dur > 0 && t.movie_timescale > 0 {
                    let d = (dur as u128 * t.timescale as u128).div_ceil(t.movie_timescale as u128);
                    media_time.saturating_add(i64::try_from(d).unwrap_or(i64::MAX))
                } else {
                    i64::MAX
                };
                (media_time, end)
            }
            _ => (i64::MIN, i64::MAX),
        };
        let mut shown: Vec<u32> = (0..n as u32)
            .filter(|&k| {
                let p = samples[k as usize].pts;
                p >= start && p < end
            })
            .collect();
        if shown.is_empty() {
            // An edit list that hides everything is more likely wrong than meant.
            shown = (0..n as u32).collect();
        }
        shown.sort_by_key(|&k| (samples[k as usize].pts, k));
        let mut frame_of_sample = vec![u32::MAX; n];
        for (f, &k) in shown.iter().enumerate() {
            frame_of_sample[k as usize] = f as u32;
        }
        Ok(SampleTable {
            samples,
            frames: shown,
            frame_of_sample,
        })
    }

    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// The sample to start decoding at to get sample `s`: the last sync sample at or before
    /// it in decode order that is also presented no later than it (a leading picture of an
    /// open GOP may refer to the GOP before).
    pub fn sync_for(&self, s: usize) -> usize {
        let pts = self.samples[s].pts;
        let mut k = s;
        loop {
            if self.samples[k].sync && (self.samples[k].pts <= pts || k == 0) {
                return k;
            }
            if k == 0 {
                return 0;
            }
            k -= 1;
        }
    }

    /// Whether any frame is presented out of decode order (B-frames).
    pub fn reordered(&self) -> bool {
        self.samples.windows(2).any(|w| w[1].pts < w[0].pts)
    }

    /// Largest and mean distance between sync samples, in samples.
    pub fn keyframe_interval(&self) -> (usize, f64) {
        let syncs: Vec<usize> = (0..self.samples.len())
            .filter(|&i| self.samples[i].sync)
            .collect();
        if syncs.len() < 2 {
            return (self.samples.len(), self.samples.len() as f64);
        }
        let max = syncs.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        let mean = (syncs[syncs.len() - 1] - syncs[0]) as f64 / (syncs.len() - 1) as f64;
        (max, mean)
    }
}
