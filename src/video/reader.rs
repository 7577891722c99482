//! Decoding frames of an opened MP4 with the in-process H.264 decoder: random access (seek to
//! the frame's sync sample, decode forward), stepping forward without starting over, a small
//! cache of decoded frames around the cursor, and whole-video sequential decoding in
//! presentation order.

use super::color;
use super::file::Mp4;
use crate::{Error, Result};
use rusty_h264_decoder::Decoder;
use std::collections::{BTreeMap, VecDeque};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// A sample larger than this is taken for damage (a 4K intra frame is a few MB).
const MAX_SAMPLE: u32 = 256 << 20;
/// Decoded frames kept around the cursor.
const CACHE: usize = 24;

/// One decoded picture, planar I420 at the video's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yuv {
    pub width: usize,
    pub height: usize,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

impl Yuv {
    /// The planes as ffmpeg's `yuv420p` frame bytes (Y, then U, then V).
    pub fn planes(&self) -> [&[u8]; 3] {
        [&self.y, &self.u, &self.v]
    }
}

/// Reads frames of one video. Not shared between threads: each user opens its own.
pub struct FrameReader {
    pub mp4: Mp4,
    dec: Option<Decoder>,
    /// Next sample (decode order) to feed `dec`.
    next: usize,
    cache: VecDeque<(usize, Arc<Yuv>)>,
    sample: Vec<u8>,
    annexb: Vec<u8>,
    /// Samples decoded since opening (for benchmarks and tests).
    pub decoded: u64,
}

impl FrameReader {
    pub fn new(mp4: Mp4) -> Result<FrameReader> {
        if let Err(why) = mp4.decodable() {
            return Err(Error::invalid(&mp4.path, why));
        }
        Ok(FrameReader {
            mp4,
            dec: None,
            next: 0,
            cache: VecDeque::new(),
            sample: Vec::new(),
            annexb: Vec::new(),
            decoded: 0,
        })
    }

    pub fn open(path: &std::path::Path) -> Result<FrameReader> {
        FrameReader::new(Mp4::open(path)?)
    }

    pub fn frame_count(&self) -> usize {
        self.mp4.table.frame_count()
    }

    /// Frame `f` (presentation order) as planar YUV.
    pub fn yuv(&mut self, f: usize) -> Result<Arc<Yuv>> {
        let n = self.frame_count();
        if f >= n {
            return Err(Error::invalid(
                &self.mp4.path,
                format!("frame {f} is past the video's {n} frames"),
            ));
        }
        if let Some(y) = self.cached(f) {
            return Ok(y);
        }
        let s = self.mp4.table.frames[f] as usize;
        let k = self.mp4.table.sync_for(s);
        if self.dec.is_none() || !(k <= self.next && self.next <= s) {
            self.dec = Some(Decoder::new());
            self.next = k;
        }
        while self.next <= s {
            let cur = self.next;
            self.next += 1;
            let shown = self.mp4.table.frame_of_sample[cur] as usize;
            self.read_sample(cur)?;
            // Seeking: a non-reference picture shown before the wanted frame is not needed.
            if cur < s && shown < f && !is_reference(&self.sample, self.mp4.track.nal_length_size) {
                continue;
            }
            let pic = self.decode_current(cur, cur == k)?;
            if shown != u32::MAX as usize {
                self.remember(shown, Arc::new(pic));
            }
        }
        self.cached(f).ok_or_else(|| {
            Error::invalid(
                &self.mp4.path,
                format!("frame {f}: the decoder returned no picture for it"),
            )
        })
    }

    /// Frame `f` as packed RGB (ffmpeg's `rgb24`).
    pub fn rgb(&mut self, f: usize) -> Result<(u32, u32, Vec<u8>)> {
        let y = self.yuv(f)?;
        let rgb = color::yuv420_to_rgb(&y.y, &y.u, &y.v, y.width, y.height, self.mp4.colour);
        Ok((y.width as u32, y.height as u32, rgb))
    }

    /// Every frame in presentation order, handed to `each` until it returns `false`.
    pub fn for_each(&mut self, mut each: impl FnMut(usize, &Yuv) -> bool) -> Result<()> {
        // The random-access state is used for this pass and left reset.
        self.dec = Some(Decoder::new());
        self.next = usize::MAX;
        let mut pending: BTreeMap<usize, Yuv> = BTreeMap::new();
        let mut want = 0usize;
        let n = self.mp4.table.samples.len();
        let out = (|| {
            for s in 0..n {
                self.read_sample(s)?;
                let pic = self.decode_current(s, s == 0)?;
                let shown = self.mp4.table.frame_of_sample[s];
                if shown != u32::MAX {
                    pending.insert(shown as usize, pic);
                }
                if pending.len() > 64 {
                    return Err(Error::invalid(
                        &self.mp4.path,
                        format!(
                            "frame {want}: not decoded after 64 later frames (the sample table is inconsistent)"
                        ),
                    ));
                }
                while let Some(p) = pending.remove(&want) {
                    if !each(want, &p) {
                        return Ok(());
                    }
                    want += 1;
                }
            }
            if want < self.frame_count() {
                return Err(Error::invalid(
                    &self.mp4.path,
                    format!("frame {want}: never decoded (the sample table is inconsistent)"),
                ));
            }
            Ok(())
        })();
        self.dec = None;
        self.next = 0;
        out
    }

    fn cached(&mut self, f: usize) -> Option<Arc<Yuv>> {
        self.cache
            .iter()
            .find(|(i, _)| *i == f)
            .map(|(_, y)| y.clone())
    }

    fn remember(&mut self, f: usize, y: Arc<Yuv>) {
        if self.cached(f).is_some() {
            return;
        }
        if self.cache.len() >= CACHE {
            self.cache.pop_front();
        }
        self.cache.push_back((f, y));
    }

    /// Reads sample `s` into `self.sample`.
    fn read_sample(&mut self, s: usize) -> Result<()> {
        let smp = self.mp4.table.samples[s];
        let frame = self.frame_name(s);
        if smp.size > MAX_SAMPLE {
            return Err(Error::at_offset(
                &self.mp4.path,
                smp.offset,
                format!("{frame}: a sample of {} bytes is implausible", smp.size),
            ));
        }
        let end = smp.offset.saturating_add(u64::from(smp.size));
        if end > self.mp4.len {
            return Err(Error::at_offset(
                &self.mp4.path,
                smp.offset,
                format!(
                    "{frame}: its {} bytes run past the end of the file ({} bytes): the file is truncated",
                    smp.size, self.mp4.len
                ),
            ));
        }
        self.sample.resize(smp.size as usize, 0);
        self.mp4
            .file
            .read_exact_at(&mut self.sample, smp.offset)
            .map_err(|e| {
                Error::at_offset(
                    &self.mp4.path,
                    smp.offset,
                    format!("{frame}: cannot read its data: {e}"),
                )
            })
    }

    fn frame_name(&self, s: usize) -> String {
        match self.mp4.table.frame_of_sample.get(s) {
            Some(&f) if f != u32::MAX => format!("frame {f}"),
            _ => format!("sample {s} (not shown)"),
        }
    }

    /// Decodes `self.sample` (sample `s`) with `self.dec`; the parameter sets go first on a
    /// fresh start.
    fn decode_current(&mut self, s: usize, fresh: bool) -> Result<Yuv> {
        let smp = self.mp4.table.samples[s];
        let frame = self.frame_name(s);
        self.annexb.clear();
        if fresh {
            for ps in self.mp4.track.sps.iter().chain(&self.mp4.track.pps) {
                self.annexb.extend_from_slice(&[0, 0, 0, 1]);
                self.annexb.extend_from_slice(ps);
            }
        }
        if let Err(at) = to_annexb(
            &self.sample,
            self.mp4.track.nal_length_size,
            &mut self.annexb,
        ) {
            self.dec = None;
            return Err(Error::at_offset(
                &self.mp4.path,
                smp.offset + at as u64,
                format!("{frame}: a NAL unit's length runs past the end of its sample"),
            ));
        }
        let Some(dec) = self.dec.as_mut() else {
            return Err(Error::invalid(
                &self.mp4.path,
                format!("{frame}: no decoder"),
            ));
        };
        let annexb = &self.annexb;
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dec.decode(annexb)));
        self.decoded += 1;
        let fail = |msg: String| {
            Error::at_offset(
                &self.mp4.path,
                smp.offset,
                format!("{frame}: H.264 decoding failed: {msg}"),
            )
        };
        let pic = match out {
            Ok(Ok(Some(p))) => p,
            Ok(Ok(None)) => {
                self.dec = None;
                return Err(fail("the sample holds no picture".into()));
            }
            Ok(Err(e)) => {
                self.dec = None;
                return Err(fail(e.to_string()));
            }
            Err(_) => {
                self.dec = None;
                return Err(fail("the decoder panicked".into()));
            }
        };
        let (w, h) = (pic.width, pic.height);
        let cw = w.div_ceil(2) * h.div_ceil(2);
        if pic.y.len() < w * h || pic.u.len() < cw || pic.v.len() < cw {
            self.dec = None;
            return Err(fail(format!("a {w}x{h} picture with short planes")));
        }
        Ok(Yuv {
            width: w,
            height: h,
            y: pic.y,
            u: pic.u,
            v: pic.v,
        })
    }
}

/// Length-prefixed NAL units to Annex-B; `Err(offset)` when a length overruns the sample.
fn to_annexb(sample: &[u8], len_size: u8, out: &mut Vec<u8>) -> std::result::Result<(), usize> {
    let ls = usize::from(len_size.clamp(1, 4));
    let mut p = 0;
    while p + ls <= sample.len() {
        let n = sample[p..p + ls]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        let start = p + ls;
        if n > sample.len() - start {
            return Err(p);
        }
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&sample[start..start + n]);
        p = start + n;
    }
    Ok(())
}

/// Whether a sample holds a reference picture (a slice with `nal_ref_idc` != 0); a
/// malformed sample counts as one so that it is decoded (and reported).
fn is_reference(sample: &[u8], len_size: u8) -> bool {
    let ls = usize::from(len_size.clamp(1, 4));
    let mut p = 0;
    let mut slices = 0;
    while p + ls < sample.len() {
        let n = sample[p..p + ls]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        let h = sample[p + ls];
        let kind = h & 0x1f;
        if kind == 1 || kind == 5 {
            slices += 1;
            if h & 0x60 != 0 {
                return true;
            }
        }
        p = match (p + ls).checked_add(n) {
            Some(q) => q,
            None => return true,
        };
    }
    slices == 0
}
