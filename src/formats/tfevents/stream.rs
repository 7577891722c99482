//! Reading and decoding a byte range of an events file without ever holding it: the range
//! is walked through pieces of [`CHUNK`] bytes in kept buffers, each piece decoded right
//! after it is read, while its bytes are still in the core's cache. No buffer the size of
//! the file is allocated, zeroed or page-faulted, and nothing is mapped (a file cut short
//! while it is read gives what is there, never SIGBUS).
//!
//! On 2-3 cores one walk runs on two threads (`stream_pipe`: reading and CRCs there,
//! decoding here, nothing merged). On 4 or more, and on any number for summaries (which
//! merge at no cost), the range is cut into parts at record boundaries found by their length
//! CRC (one per thread; eight per thread for summaries, each thread taking the next part
//! when it is free), and the parts merged in order. Each cut is verified: the previous
//! part's chain must end exactly on it; a wrong cut, a part whose thread failed, or a file
//! that shrank under a part falls back to a serial walk from the last good record, so the
//! result is always what one thread reading the range from its start gives.

use super::decode::Decoder;
use super::fileread::{read_at_most, with_thread_buffer};
use super::pipeline::Chunk;
use super::record::{self, HEADER, Span, Stop};
use std::fs::File;
use std::path::Path;

/// Bytes read per step: half a core's L2 cache, so the decode finds them there.
#[cfg(not(fuzzing))]
pub(crate) const CHUNK: usize = 512 << 10;
#[cfg(fuzzing)]
pub(crate) const CHUNK: usize = 256;

/// How a range is read: piece size, the range size from which it is cut between threads,
/// the bytes searched for a record boundary at each cut, and the threads. Tests use tiny
/// values to exercise every seam on small files.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub chunk: usize,
    pub parallel_min: u64,
    pub probe: usize,
    pub threads: usize,
    /// Cut the range into one part per thread (decoded apart, then merged), rather than one
    /// walk with reading and decoding on two threads.
    pub parts: bool,
}

impl Plan {
    pub fn standard() -> Plan {
        Plan {
            chunk: CHUNK,
            parallel_min: 2 * CHUNK as u64,
            probe: 64 << 10,
            threads: crate::util::cores().clamp(1, 8),
            // Parts cost a merge (each point written twice): worth it from 4 cores.
            parts: crate::util::cores() >= 4,
        }
    }
}

/// How one part's walk ended (offsets in the file).
#[derive(Debug)]
pub(super) enum PartEnd {
    /// The chain reached the part's limit exactly (or the file's end, when it shrank
    /// under the last part at a record boundary).
    Clean { at: u64 },
    /// The file ends inside the record at `at`: `have` of its `need` bytes are there
    /// (`need` is the header's size when even the header is cut).
    Partial { at: u64, have: u64, need: u64 },
    /// The record at `at` runs past the part's limit (the cut was no record boundary), or
    /// the file shrank under a part that is not the last: go on serially from `at`.
    Overshoot { at: u64 },
    /// The record at `good_end` is damaged; the damage is at `at`.
    Damaged { good_end: u64, at: u64, msg: String },
}

/// Where a walk's records go: decoded on the spot, or handed to another thread.
pub(super) trait Sink {
    /// Scans `buf` (a piece, from a record start) for its complete records into `spans`.
    /// A sink may instead take the records as they are scanned (leaving `spans` empty);
    /// damage it finds then comes out of the next [`piece`](Self::piece).
    fn scan(&mut self, buf: &[u8], spans: &mut Vec<Span>) -> Stop {
        record::scan_into(buf, 0, buf.len(), spans)
    }

    /// Takes the records `spans` of `buf[..filled]` (the file's bytes from `pos`).
    /// Afterwards `buf` must start with what was `buf[keep..filled]` (a record the piece's
    /// end cut). Damage ends the walk with `Err`.
    fn piece(
        &mut self,
        buf: &mut Vec<u8>,
        filled: usize,
        spans: &mut Vec<Span>,
        pos: u64,
        keep: usize,
    ) -> Result<(), PartEnd>;
}

/// Decodes each piece on the walking thread, as it is scanned (one pass: lengths, CRCs
/// and decoding record by record, while the record is in the core's registers and cache).
struct DecodeHere<'a> {
    decoder: &'a mut Decoder,
    /// Damage the last scan found, ending the walk at the next piece.
    damage: Option<super::decode::Damaged>,
}

impl<'a> DecodeHere<'a> {
    fn new(decoder: &'a mut Decoder) -> Self {
        DecodeHere {
            decoder,
            damage: None,
        }
    }
}

impl Sink for DecodeHere<'_> {
    fn scan(&mut self, buf: &[u8], _spans: &mut Vec<Span>) -> Stop {
        match self.decoder.scan_decode(buf) {
            Ok(stop) => stop,
            Err(d) => {
                self.damage = Some(d);
                // Whatever follows is not read: `piece` ends the walk first.
                Stop::Clean
            }
        }
    }

    fn piece(
        &mut self,
        buf: &mut Vec<u8>,
        filled: usize,
        _spans: &mut Vec<Span>,
        pos: u64,
        keep: usize,
    ) -> Result<(), PartEnd> {
        if let Some(d) = self.damage.take() {
            return Err(PartEnd::Damaged {
                good_end: pos + d.start as u64,
                at: pos + d.at as u64,
                msg: d.msg,
            });
        }
        buf.copy_within(keep..filled, 0);
        Ok(())
    }
}

/// The end of a walk at a record that failed to decode.
pub(super) fn damaged(pos: u64, spans: &[Span], e: super::decode::Damage) -> PartEnd {
    let start = spans.get(e.span).map_or(0, |s| s.start);
    PartEnd::Damaged {
        good_end: pos + start as u64,
        at: pos + e.at as u64,
        msg: e.msg,
    }
}

/// Walks the records of `file` from `from` (a record start) up to `limit`, handing them to
/// `sink` piece by piece; `end` is the file's length (`limit <= end`). `buf` is the piece
/// buffer, `spans` the records' buffer (both kept between calls).
#[allow(clippy::too_many_arguments)]
pub(super) fn walk(
    file: &File,
    sink: &mut impl Sink,
    buf: &mut Vec<u8>,
    spans: &mut Vec<Span>,
    from: u64,
    limit: u64,
    end: u64,
    chunk: usize,
) -> std::io::Result<PartEnd> {
    let last = limit >= end;
    let (mut limit, mut end) = (limit, end);
    // `buf[..filled]` holds the file's bytes from `pos`, a record start.
    let mut pos = from;
    let mut filled = 0usize;
    // Bytes wanted in the buffer: a piece, or a whole record larger than a piece.
    let mut want = chunk.max(1) as u64;
    loop {
        if pos >= limit {
            return Ok(PartEnd::Clean { at: pos });
        }
        // `want` never exceeds the part (and so the file): no allocation beyond the file.
        let target = want.min(limit - pos) as usize;
        if filled < target {
            if buf.len() < target {
                buf.resize(target, 0);
            }
            let got = read_at_most(file, &mut buf[filled..target], pos + filled as u64)?;
            filled += got;
            if filled < target {
                // The file shrank while it is read.
                if !last {
                    return Ok(PartEnd::Overshoot { at: pos });
                }
                end = pos + filled as u64;
                limit = end;
            }
        }
        spans.clear();
        let stop = sink.scan(&buf[..filled], spans);
        // What the sink keeps (a record cut by the piece's end), and how the walk ends.
        let (keep, next, ended) = match stop {
            Stop::Clean => (filled, 0, None),
            Stop::Damaged { at, msg } => {
                let at = pos + at as u64;
                let end = PartEnd::Damaged {
                    good_end: at,
                    at,
                    msg,
                };
                (filled, 0, Some(end))
            }
            // Never: the scan's limit is the piece's end, so a record running past it is
            // partial. Going on serially from it is right whatever happened.
            Stop::Overshoot { at } => (
                filled,
                0,
                Some(PartEnd::Overshoot {
                    at: pos + at as u64,
                }),
            ),
            Stop::Partial { at, have, need } => {
                let rec = pos + at as u64;
                if pos + filled as u64 >= limit || need > limit - rec {
                    let end = if !last {
                        PartEnd::Overshoot { at: rec }
                    } else {
                        // The file ends inside it: left pending, the rest never read.
                        let have = if need > end - rec {
                            end - rec
                        } else {
                            have as u64
                        };
                        PartEnd::Partial {
                            at: rec,
                            have,
                            need,
                        }
                    };
                    (filled, 0, Some(end))
                } else {
                    // The piece ends inside it: keep its start, read the rest (all of it).
                    (at, need, None)
                }
            }
        };
        if let Err(end) = sink.piece(buf, filled, spans, pos, keep) {
            return Ok(end);
        }
        if let Some(end) = ended {
            return Ok(end);
        }
        pos += keep as u64;
        filled -= keep;
        want = next.max(chunk.max(1) as u64);
    }
}

/// A record boundary at or after `at` (and before `end`), found in the `probe` bytes there.
/// The first 4 KB are searched first (a boundary is rarely further than one record away),
/// then the whole probe: the same first boundary, with less read at each of the many cuts.
fn probe_boundary(file: &File, at: u64, end: u64, probe: usize) -> std::io::Result<Option<u64>> {
    const FIRST: usize = 4 << 10;
    let mut buf = Vec::new();
    for size in [probe.min(FIRST), probe] {
        let n = (end - at).min(size as u64) as usize;
        buf.resize(n, 0);
        let got = read_at_most(file, &mut buf, at)?;
        buf.truncate(got);
        if let Some(b) = record::find_boundary_within(&buf, 0, end - at) {
            return Ok(Some(at + b as u64));
        }
        if got < n || size >= probe {
            break;
        }
    }
    Ok(None)
}

/// Reads and decodes `file`'s bytes from `start` (a record start) up to `end` into
/// `decoder` (see the module's text). Stops at damage; a record that runs past `end` is left
/// as `pending` (its declared size in `pending_need`) without reading it.
pub(crate) fn decode_file_range(
    path: &Path,
    file: &File,
    decoder: &mut Decoder,
    start: u64,
    end: u64,
) -> crate::Result<Chunk> {
    decode_file_range_with(path, file, decoder, start, end, Plan::standard())
}

pub(crate) fn decode_file_range_with(
    path: &Path,
    file: &File,
    decoder: &mut Decoder,
    start: u64,
    end: u64,
    plan: Plan,
) -> crate::Result<Chunk> {
    let before = decoder.records;
    let io = |e| crate::Error::io(path, e);
    let end_state = if start >= end {
        PartEnd::Clean { at: start }
    } else if plan.threads < 2 || end - start < plan.parallel_min {
        serial(file, decoder, start, end, plan).map_err(io)?
    } else if plan.parts {
        parallel(file, decoder, start, end, plan).map_err(io)?
    } else {
        pipe(file, decoder, start, end, plan).map_err(io)?
    };
    let (good_end, pending, pending_need, damage) = match end_state {
        PartEnd::Clean { at } => (at, 0, 0, None),
        PartEnd::Partial { at, have, need } => {
            let need = if have >= HEADER as u64 { need } else { 0 };
            (at, have, need, None)
        }
        PartEnd::Damaged { good_end, at, msg } => (good_end, 0, 0, Some((at, msg))),
        // A serial walk to the end never overshoots.
        PartEnd::Overshoot { at } => (at, 0, 0, None),
    };
    Ok(Chunk {
        new_records: decoder.records - before,
        good_end,
        pending,
        pending_need,
        damage,
    })
}

fn serial(
    file: &File,
    d: &mut Decoder,
    from: u64,
    end: u64,
    plan: Plan,
) -> std::io::Result<PartEnd> {
    with_thread_buffer(|buf| {
        let mut spans = Vec::new();
        walk(
            file,
            &mut DecodeHere::new(d),
            buf,
            &mut spans,
            from,
            end,
            end,
            plan.chunk,
        )
    })
}

fn pipe(file: &File, d: &mut Decoder, from: u64, end: u64, plan: Plan) -> std::io::Result<PartEnd> {
    thread_local! {
        static POOL: std::cell::RefCell<Vec<(Vec<u8>, Vec<Span>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    POOL.with(|cell| match cell.try_borrow_mut() {
        Ok(mut pool) => super::stream_pipe::pipelined(file, d, from, end, plan.chunk, &mut pool),
        Err(_) => super::stream_pipe::pipelined(file, d, from, end, plan.chunk, &mut Vec::new()),
    })
}

/// Parts per thread when the parts merge at no cost (summaries): the threads take the next
/// part when free, so a thread that gets less of a core (or a slower one) does less of the
/// work instead of holding the others up at the end. With two fixed halves on the 2-core
/// machine one thread finished ~2 ms after the other (`perf sched timehist`).
const PARTS_PER_THREAD: usize = 8;

/// The smallest part worth a cut of its own.
const MIN_PART: u64 = 1 << 20;

fn parallel(
    file: &File,
    decoder: &mut Decoder,
    start: u64,
    end: u64,
    plan: Plan,
) -> std::io::Result<PartEnd> {
    let threads = plan.threads.max(1);
    let n = if decoder.folds() {
        let by_size = ((end - start) / MIN_PART.min(plan.parallel_min.max(1))).max(1);
        ((threads * PARTS_PER_THREAD) as u64).min(by_size)
    } else {
        threads as u64
    };
    let mut cuts = vec![start];
    for k in 1..n {
        let nominal = start + (end - start) / n * k;
        if nominal <= *cuts.last().unwrap_or(&start) {
            continue;
        }
        if let Some(b) = probe_boundary(file, nominal, end, plan.probe)?
            && b > *cuts.last().unwrap_or(&start)
            && b < end
        {
            cuts.push(b);
        }
    }
    cuts.push(end);
    if cuts.len() == 2 {
        return serial(file, decoder, start, end, plan);
    }
    let ranges: Vec<(u64, u64)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let mut forks: Vec<Decoder> = (1..ranges.len()).map(|_| decoder.fork()).collect();
    let parts = walk_parts(file, decoder, &mut forks, &ranges, end, plan.chunk, threads);
    let count = parts.len();
    for (k, part) in parts.into_iter().enumerate() {
        let Some(part) = part else {
            // A thread that failed, or a part never walked: redo from it on, here.
            return serial(file, decoder, ranges[k].0, end, plan);
        };
        let part = part?;
        if k > 0 {
            decoder.absorb(std::mem::take(&mut forks[k - 1]));
        }
        match part {
            PartEnd::Clean { at } if k + 1 < count && at == ranges[k].1 => continue,
            PartEnd::Clean { at } if k + 1 < count => {
                return serial(file, decoder, at, end, plan);
            }
            PartEnd::Overshoot { at } => return serial(file, decoder, at, end, plan),
            done => return Ok(done),
        }
    }
    Ok(PartEnd::Clean { at: end })
}

/// Walks each of `ranges` (part 0 into `first`, part k into `forks[k - 1]`) on up to
/// `threads` threads, this one among them, each taking the next part when it is free and
/// keeping its piece buffer across its parts. A part's result is `None` when the thread
/// walking it failed (or could not start and no other thread got to it).
fn walk_parts(
    file: &File,
    first: &mut Decoder,
    forks: &mut [Decoder],
    ranges: &[(u64, u64)],
    end: u64,
    chunk: usize,
    threads: usize,
) -> Vec<Option<std::io::Result<PartEnd>>> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let decoders: Vec<Mutex<&mut Decoder>> = std::iter::once(first)
        .chain(forks.iter_mut())
        .map(Mutex::new)
        .collect();
    let results: Vec<Mutex<Option<std::io::Result<PartEnd>>>> =
        ranges.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = |buf: &mut Vec<u8>| {
        let mut spans = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let (Some(&(a, b)), Some(d), Some(r)) =
                (ranges.get(k), decoders.get(k), results.get(k))
            else {
                break;
            };
            // Each part is taken once, so neither lock is ever contended (nor poisoned
            // unless this thread already failed on this very part).
            let Ok(mut d) = d.lock() else { break };
            // Decoded in a copy on this thread's stack: the decoders lie side by side, and
            // two threads writing their per-record fields into one cache line cost a third
            // more CPU (measured with eight parts per thread).
            let mut local = std::mem::take(&mut **d);
            let end_state = walk(
                file,
                &mut DecodeHere::new(&mut local),
                buf,
                &mut spans,
                a,
                b,
                end,
                chunk,
            );
            **d = local;
            if let Ok(mut r) = r.lock() {
                *r = Some(end_state);
            }
        }
    };
    std::thread::scope(|sc| {
        let handles: Vec<_> = (1..threads.min(ranges.len()))
            .filter_map(|_| {
                std::thread::Builder::new()
                    .spawn_scoped(sc, || work(&mut Vec::new()))
                    .ok()
            })
            .collect();
        with_thread_buffer(|buf| work(buf));
        for h in handles {
            // A thread that panicked leaves its part's result empty.
            let _ = h.join();
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().ok().flatten())
        .collect()
}
