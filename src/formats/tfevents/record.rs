//! TFRecord framing of an events file and its masked CRC-32C checks.
//!
//! Each record is `u64 length (LE) | u32 masked_crc32c(length bytes) | data | u32 masked_crc32c(data)`,
//! where `masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8` (wrapping) and `c` is CRC-32C.

/// Bytes of framing around each record's data: 8 length + 4 length CRC + 4 data CRC.
pub const FRAMING: usize = 16;
/// Bytes before a record's data: 8 length + 4 length CRC.
pub const HEADER: usize = 12;

/// The masked CRC-32C that TFRecord stores after the length and after the data.
#[inline]
pub fn masked_crc32c(bytes: &[u8]) -> u32 {
    mask(crc32c_small(bytes))
}

/// CRC-32C, inlined for the short buffers of events records (8-byte lengths, ~40-byte
/// events): the SSE 4.2 instruction 8 bytes at a time, no call or alignment set-up. Long
/// buffers go to the `crc32c` crate's 3-way interleaved loop.
#[inline]
fn crc32c_small(bytes: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if bytes.len() <= 128 && std::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU supports SSE 4.2 (checked just above).
            return unsafe { crc32c_sse42(bytes) };
        }
    }
    crc32c::crc32c(bytes)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
#[inline]
fn crc32c_sse42(bytes: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_crc32_u8, _mm_crc32_u64};
    let mut c: u64 = 0xffff_ffff;
    let mut chunks = bytes.chunks_exact(8);
    for b in &mut chunks {
        c = _mm_crc32_u64(
            c,
            u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        );
    }
    let mut c = c as u32;
    for &b in chunks.remainder() {
        c = _mm_crc32_u8(c, b);
    }
    !c
}

#[inline]
fn mask(c: u32) -> u32 {
    c.rotate_right(15).wrapping_add(0xa282_ead8)
}

#[inline]
fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[inline]
fn le_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

/// One framed record found in a buffer: where it starts and where its data lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Offset of the record's first byte (its length field) in the buffer.
    pub start: usize,
    /// Length of the record's data.
    pub len: usize,
}

impl Span {
    /// Offset of the record's data.
    #[inline]
    pub fn data_start(&self) -> usize {
        self.start + HEADER
    }
    /// Offset just past the record (past its data CRC).
    #[inline]
    pub fn end(&self) -> usize {
        self.start + FRAMING + self.len
    }
}

/// Why the scan of a buffer's record chain stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The buffer ends exactly after the last record.
    Clean,
    /// The buffer ends inside a record (a file still being written, or truncated): `at` is
    /// that record's start; `have` of `need` bytes are present.
    Partial { at: usize, have: usize, need: u64 },
    /// The record at `at` is damaged (its length fails its CRC).
    Damaged { at: usize, msg: String },
    /// The record at `at` runs past the scan's limit (see [`scan_between`]).
    Overshoot { at: usize },
}

/// Walks the chain of record lengths in `buf`, checking each length's CRC (data CRCs are
/// checked by the caller, in parallel). Returns the complete records and why the walk stopped.
pub fn scan(buf: &[u8]) -> (Vec<Span>, Stop) {
    scan_between(buf, 0, buf.len())
}

/// Like [`scan`], from `start` up to `limit` (<= `buf.len()`): the walk stops with
/// [`Stop::Clean`] when a record ends exactly at `limit`, and with [`Stop::Overshoot`] when
/// a record starting before `limit` ends after it (so `limit` was no record boundary).
pub fn scan_between(buf: &[u8], start: usize, limit: usize) -> (Vec<Span>, Stop) {
    let mut spans = Vec::new();
    let stop = scan_into(buf, start, limit, &mut spans);
    (spans, stop)
}

/// [`scan_between`] appending the records to `spans` (a buffer kept between calls).
pub fn scan_into(buf: &[u8], start: usize, limit: usize, spans: &mut Vec<Span>) -> Stop {
    // Records are rarely smaller than ~40 bytes; reserve a close guess to avoid regrowth.
    spans.reserve(limit.min(buf.len()).saturating_sub(start) / 48 + 1);
    let push = |s| {
        spans.push(s);
        ControlFlow::<std::convert::Infallible>::Continue(())
    };
    match scan_each::<false, _>(buf, start, limit, push) {
        Ok(stop) => stop,
        Err(Halt::Data(_)) => unreachable!("data CRCs are not checked here"),
        Err(Halt::Take(never)) => match never {},
    }
}

/// Why [`scan_checked`] stopped before the scan's end: a record whose data fails its CRC,
/// or what `take` broke with.
pub enum Halt<B> {
    Data(Span),
    Take(B),
}

/// Walks the records as [`scan_between`] does and hands each complete record to `take` in
/// order once its data passes its CRC too: the scan and the CRCs in one pass, without a list
/// of records. Stops at the first record whose data fails its CRC (not handed over), or when
/// `take` breaks.
pub fn scan_checked<B>(
    buf: &[u8],
    start: usize,
    limit: usize,
    take: impl FnMut(Span) -> ControlFlow<B>,
) -> Result<Stop, Halt<B>> {
    scan_each::<true, _>(buf, start, limit, take)
}

use std::ops::ControlFlow;

fn scan_each<const CHECK: bool, B>(
    buf: &[u8],
    start: usize,
    limit: usize,
    mut take: impl FnMut(Span) -> ControlFlow<B>,
) -> Result<Stop, Halt<B>> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU supports SSE 4.2 (checked just above).
            return unsafe { scan_each_sse42::<CHECK, B, _>(buf, start, limit, &mut take) };
        }
    }
    scan_body::<Soft, CHECK, B, _>(buf, start, limit, &mut take)
}

/// [`scan_each`] compiled for SSE 4.2, so that each CRC is the instructions inline rather
/// than a call per record (and `take`, inlined here, runs in the same loop).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
fn scan_each_sse42<const CHECK: bool, B, F: FnMut(Span) -> ControlFlow<B>>(
    buf: &[u8],
    start: usize,
    limit: usize,
    take: &mut F,
) -> Result<Stop, Halt<B>> {
    scan_body::<Hw, CHECK, B, F>(buf, start, limit, take)
}

/// How a CRC-32C is computed: the instruction ([`Hw`], only where the CPU has it) or not.
trait Crc {
    fn masked(bytes: &[u8]) -> u32;
}

struct Soft;

impl Crc for Soft {
    #[inline(always)]
    fn masked(bytes: &[u8]) -> u32 {
        masked_crc32c(bytes)
    }
}

#[cfg(target_arch = "x86_64")]
struct Hw;

#[cfg(target_arch = "x86_64")]
impl Crc for Hw {
    #[inline(always)]
    fn masked(bytes: &[u8]) -> u32 {
        // SAFETY: `Hw` is used only inside functions compiled for SSE 4.2, which are called
        // only after the CPU was found to support it.
        if bytes.len() > 128 {
            return masked_crc32c(bytes);
        }
        mask(unsafe { crc32c_sse42(bytes) })
    }
}

#[inline(always)]
fn scan_body<C: Crc, const CHECK: bool, B, F: FnMut(Span) -> ControlFlow<B>>(
    buf: &[u8],
    start: usize,
    limit: usize,
    take: &mut F,
) -> Result<Stop, Halt<B>> {
    let limit = limit.min(buf.len());
    let mut at = start;
    let stop = loop {
        if at >= limit {
            break Stop::Clean;
        }
        let (Some(len), Some(len_crc)) = (le_u64(buf, at), le_u32(buf, at + 8)) else {
            break Stop::Partial {
                at,
                have: buf.len() - at,
                need: HEADER as u64,
            };
        };
        if C::masked(&buf[at..at + 8]) != len_crc {
            break Stop::Damaged {
                at,
                msg: "record length fails its CRC (damaged file)".into(),
            };
        }
        let need = len.saturating_add(FRAMING as u64);
        let have = buf.len() - at;
        if need > have as u64 {
            break Stop::Partial { at, have, need };
        }
        let len = len as usize; // fits: len + 16 <= have
        if at + FRAMING + len > limit {
            break Stop::Overshoot { at };
        }
        let span = Span { start: at, len };
        if CHECK && le_u32(buf, span.data_start() + len) != Some(C::masked(data(buf, span))) {
            return Err(Halt::Data(span));
        }
        if let ControlFlow::Break(b) = take(span) {
            return Err(Halt::Take(b));
        }
        at += FRAMING + len;
    };
    Ok(stop)
}

/// The first offset at or after `from` where a record header looks valid: its length passes
/// its CRC and the record fits in `buf`. Used to split a buffer between threads; the split is
/// verified afterwards (the previous part's chain must end exactly there).
pub fn find_boundary(buf: &[u8], from: usize) -> Option<usize> {
    find_boundary_within(buf, from, buf.len() as u64)
}

/// [`find_boundary`] in a piece of a file: `buf` holds the first bytes of `avail` bytes
/// that follow in the file, and the record must fit in those.
pub fn find_boundary_within(buf: &[u8], from: usize, avail: u64) -> Option<usize> {
    let last = buf.len().checked_sub(HEADER)?;
    (from..=last).find(|&at| {
        let (Some(len), Some(crc)) = (le_u64(buf, at), le_u32(buf, at + 8)) else {
            return false;
        };
        masked_crc32c(&buf[at..at + 8]) == crc
            && len.saturating_add(FRAMING as u64) <= avail.saturating_sub(at as u64)
    })
}

/// The index of the first of `spans` whose data fails its CRC (`spans` from [`scan`] on the
/// same buffer). (Computing four records' CRCs side by side, to keep the CRC unit busy, was
/// tried here and measured: no difference in `read_events_file`.)
pub fn first_bad_data(buf: &[u8], spans: &[Span]) -> Option<usize> {
    spans.iter().position(|&s| !data_ok(buf, s))
}

/// Checks a complete record's data CRC; `span` must come from [`scan`] on the same buffer.
#[inline]
pub fn data_ok(buf: &[u8], span: Span) -> bool {
    let data = &buf[span.data_start()..span.data_start() + span.len];
    le_u32(buf, span.data_start() + span.len) == Some(masked_crc32c(data))
}

/// The record's data bytes; `span` must come from [`scan`] on the same buffer.
#[inline]
pub fn data(buf: &[u8], span: Span) -> &[u8] {
    &buf[span.data_start()..span.data_start() + span.len]
}

/// Appends one framed record holding `data` to `out`.
pub fn frame(out: &mut Vec<u8>, data: &[u8]) {
    let len = (data.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc32c(data).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_crc_equals_crate() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in 0..data.len() {
            assert_eq!(crc32c_small(&data[..n]), crc32c::crc32c(&data[..n]), "{n}");
            assert_eq!(crc32c_small(&data[n..]), crc32c::crc32c(&data[n..]), "{n}");
        }
    }

    #[test]
    fn first_bad_data_finds_the_first_damaged_record() {
        // Records of every length 0..300 (so four side by side differ in length and in how
        // far they run past the shortest), then each one damaged in turn.
        let mut buf = Vec::new();
        for n in 0..300usize {
            let data: Vec<u8> = (0..n).map(|i| (i * 31 + n) as u8).collect();
            frame(&mut buf, &data);
        }
        let (spans, stop) = scan(&buf);
        assert_eq!(stop, Stop::Clean);
        assert_eq!(first_bad_data(&buf, &spans), None);
        for (k, s) in spans.iter().enumerate() {
            for at in [s.data_start(), s.end() - 1] {
                let mut bad = buf.clone();
                bad[at] ^= 0x10;
                assert_eq!(
                    first_bad_data(&bad, &spans),
                    Some(k),
                    "record {k}, byte {at}"
                );
                let soft = spans.iter().position(|&s| !data_ok(&bad, s));
                assert_eq!(soft, Some(k));
            }
        }
        // Every prefix of the records (the groups of four and the rest).
        for n in 0..12 {
            assert_eq!(first_bad_data(&buf, &spans[..n]), None);
        }
    }

    #[test]
    fn known_crc() {
        // CRC-32C check value of "123456789" is 0xE3069283.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(mask(0), 0xa282_ead8);
    }

    #[test]
    fn frame_then_scan() {
        let mut buf = Vec::new();
        frame(&mut buf, b"hello");
        frame(&mut buf, b"");
        frame(&mut buf, b"world!");
        let (spans, stop) = scan(&buf);
        assert_eq!(stop, Stop::Clean);
        assert_eq!(spans.len(), 3);
        assert!(spans.iter().all(|s| data_ok(&buf, *s)));
        assert_eq!(data(&buf, spans[2]), b"world!");
        // Cut inside the last record: two records and a partial one.
        let cut = &buf[..buf.len() - 3];
        let (spans, stop) = scan(cut);
        assert_eq!(spans.len(), 2);
        assert!(matches!(stop, Stop::Partial { at, .. } if at == spans[1].end()));
        // Cut inside a header.
        let (spans, stop) = scan(&buf[..5]);
        assert!(spans.is_empty());
        assert_eq!(
            stop,
            Stop::Partial {
                at: 0,
                have: 5,
                need: 12
            }
        );
        // Flip a length bit.
        let mut bad = buf.clone();
        bad[21 + 1] ^= 1; // second record's length field (first record is 16 + 5 = 21 bytes)
        let (spans, stop) = scan(&bad);
        assert_eq!(spans.len(), 1);
        assert!(matches!(stop, Stop::Damaged { at: 21, .. }));
        // Flip a data bit: framing intact, data CRC fails.
        let mut bad = buf.clone();
        bad[12] ^= 0x40;
        let (spans, _) = scan(&bad);
        assert!(!data_ok(&bad, spans[0]));
    }
}
