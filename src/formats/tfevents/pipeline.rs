//! Scan + decode of a buffer of records, on several threads when it is large: the buffer is
//! cut at record boundaries found by their length CRC, each thread walks and decodes its part
//! with its own [`Decoder`], and the parts are merged in order. Each cut is verified (the
//! previous part's chain must end exactly on it); a wrong cut falls back to a serial walk, so
//! the result is always what a single thread gives.

use super::decode::{Damage, Decoder};
use super::record::{self, Stop};

/// Decode on several threads when the buffer is at least this large (tiny under the fuzzer,
/// so that it exercises the cuts and the merge).
#[cfg(not(fuzzing))]
const PARALLEL_MIN_BYTES: usize = 1 << 20;
#[cfg(fuzzing)]
const PARALLEL_MIN_BYTES: usize = 64;

/// Where a read of a byte range stopped.
pub(crate) struct Chunk {
    pub new_records: u64,
    /// Offset just past the last good record.
    pub good_end: u64,
    /// Bytes of a partial trailing record.
    pub pending: u64,
    /// The partial record's whole size (framing included) as its length says; 0 when even
    /// its header is cut.
    pub pending_need: u64,
    /// Damage: offset and message.
    pub damage: Option<(u64, String)>,
}

/// Decodes `buf` (the file's bytes from offset `start`) into `decoder`.
pub(crate) fn decode_chunk(decoder: &mut Decoder, buf: &[u8], start: u64) -> Chunk {
    let before = decoder.records;
    let end = decode_buf(decoder, buf);
    Chunk {
        new_records: decoder.records - before,
        good_end: start + end.good_end as u64,
        pending: end.pending as u64,
        pending_need: end.need,
        damage: end.damage.map(|(at, m)| (start + at as u64, m)),
    }
}

struct End {
    good_end: usize,
    pending: usize,
    need: u64,
    damage: Option<(usize, String)>,
}

fn threads() -> usize {
    crate::util::cores().clamp(1, 8)
}

/// One thread's part: how its walk stopped, and its decode result.
struct Part {
    stop: Stop,
    decoded: Result<(), Damage>,
    /// Start of the damaged record, when decoding failed.
    damaged_at: usize,
}

fn decode_part(d: &mut Decoder, buf: &[u8], from: usize, limit: usize) -> Part {
    let (spans, stop) = record::scan_between(buf, from, limit);
    let decoded = d.decode(buf, &spans);
    let damaged_at = match &decoded {
        Err(e) => spans.get(e.span).map_or(from, |s| s.start),
        Ok(()) => 0,
    };
    Part {
        stop,
        decoded,
        damaged_at,
    }
}

/// Turns a finished part into the end of the read, or `None` to go on with the next part.
fn finish(part: Part, last: bool) -> Result<Option<End>, usize> {
    if let Err(d) = part.decoded {
        return Ok(Some(End {
            good_end: part.damaged_at,
            pending: 0,
            need: 0,
            damage: Some((d.at, d.msg)),
        }));
    }
    match part.stop {
        Stop::Clean => Ok(None),
        Stop::Partial { at, have, need } if last => Ok(Some(End {
            good_end: at,
            pending: have,
            need: if have >= record::HEADER { need } else { 0 },
            damage: None,
        })),
        Stop::Damaged { at, msg } => Ok(Some(End {
            good_end: at,
            pending: 0,
            need: 0,
            damage: Some((at, msg)),
        })),
        // The cut after this part was no record boundary: continue serially from `at`.
        Stop::Partial { at, .. } | Stop::Overshoot { at } => Err(at),
    }
}

fn serial_from(decoder: &mut Decoder, buf: &[u8], from: usize) -> End {
    let part = decode_part(decoder, buf, from, buf.len());
    match finish(part, true) {
        Ok(Some(end)) => end,
        // A walk up to the end of the buffer cannot overshoot it.
        Ok(None) | Err(_) => End {
            good_end: buf.len(),
            pending: 0,
            need: 0,
            damage: None,
        },
    }
}

fn decode_buf(decoder: &mut Decoder, buf: &[u8]) -> End {
    let n = threads();
    if n < 2 || buf.len() < PARALLEL_MIN_BYTES {
        return serial_from(decoder, buf, 0);
    }
    let mut cuts = vec![0usize];
    for k in 1..n {
        let from = buf.len() / n * k;
        if let Some(b) = record::find_boundary(buf, from)
            && cuts.last().is_some_and(|&l| b > l)
        {
            cuts.push(b);
        }
    }
    cuts.push(buf.len());
    let ranges: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let mut forks: Vec<Decoder> = (1..ranges.len()).map(|_| decoder.fork()).collect();
    let parts: Vec<Option<Part>> = std::thread::scope(|sc| {
        let handles: Vec<_> = forks
            .iter_mut()
            .zip(&ranges[1..])
            .map(|(d, &(a, b))| sc.spawn(move || decode_part(d, buf, a, b)))
            .collect();
        let (a, b) = ranges[0];
        let mut out = vec![Some(decode_part(decoder, buf, a, b))];
        out.extend(handles.into_iter().map(|h| h.join().ok()));
        out
    });
    let count = parts.len();
    for (k, part) in parts.into_iter().enumerate() {
        let Some(part) = part else {
            // A thread that failed: redo its part here.
            return serial_from(decoder, buf, ranges[k].0);
        };
        if k > 0 {
            decoder.absorb(std::mem::take(&mut forks[k - 1]));
        }
        match finish(part, k + 1 == count) {
            Ok(None) => continue,
            Ok(Some(end)) => return end,
            Err(at) => return serial_from(decoder, buf, at),
        }
    }
    End {
        good_end: buf.len(),
        pending: 0,
        need: 0,
        damage: None,
    }
}
