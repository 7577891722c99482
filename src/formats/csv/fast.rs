//! The fast body reader for the files pandas writes: no quotes in the body, one record per
//! line. The body is split at line boundaries into chunks of about 2 MB; each chunk's rows are
//! counted (memchr), one `Vec<f64>` for the whole table is allocated, and the threads fill the
//! chunks' disjoint slices, parsing each number in place (`decimal`, else fast-float2's partial
//! parser; both also find where the cell ends, so the line is walked once). Each thread takes
//! the next chunk when it is free, so on a loaded machine a thread that gets less of a core
//! does less of the work instead of holding the others up at the end.
//!
//! Anything unusual (a quote, a blank line, a lone CR, a ragged row, a cell that is not a plain
//! number, invalid UTF-8) makes it give up (`None`); the careful reader then reads the body and
//! reports the damage with its line. So the fast path never decides an error, and whatever it
//! accepts, the careful reader reads to the same values (a unit test and the fuzz target check
//! this).

use super::decimal;
use super::grid::{Body, Layout, Names};
use super::number::canonical;

/// Below this many body bytes one thread does the work.
const MIN_PARALLEL_BYTES: usize = 1 << 20;

/// The bytes of one chunk of work (a slice of the body to parse, a piece of a file to read).
const CHUNK_BYTES: usize = 2 << 20;

/// Reads the body, or `None` to hand it to the careful reader.
pub(crate) fn parse(body: &[u8], layout: &Layout) -> Option<Body> {
    if layout.n_values == 0 || layout.n_fields != layout.n_values + 1 + layout.has_set as usize {
        return None;
    }
    // The header's last terminator may be the LF of a CRLF; blank lines are skipped anyway.
    let start = body
        .iter()
        .position(|&b| b != b'\n' && b != b'\r')
        .unwrap_or(body.len());
    let body = body.get(start..)?;
    if body.is_empty() {
        return Some(Body::default());
    }
    let (n_chunks, threads) = if body.len() < MIN_PARALLEL_BYTES {
        (1, 1)
    } else {
        (
            body.len().div_ceil(CHUNK_BYTES),
            crate::util::cores().min(8),
        )
    };
    let chunks = split(body, n_chunks);
    let counts = run_all(chunks.clone(), threads, |c| Some(count_rows(c)))?;
    let total: usize = counts.iter().sum();
    let mut values = vec![0.0f64; total.checked_mul(layout.n_values)?];
    crate::util::advise_huge_pages(&mut values);
    let mut parts: Vec<(&[u8], &mut [f64])> = Vec::with_capacity(chunks.len());
    let mut rest: &mut [f64] = &mut values;
    for (&chunk, &rows) in chunks.iter().zip(&counts) {
        let (part, tail) = rest.split_at_mut(rows * layout.n_values);
        parts.push((chunk, part));
        rest = tail;
    }
    let filled = run_all(parts, threads, |(chunk, out)| fill(chunk, layout, out))?;
    let mut body = Body {
        index: Vec::with_capacity(total),
        values: Vec::new(),
        set: Vec::with_capacity(if layout.has_set { total } else { 0 }),
        set_names: Vec::new(),
    };
    let mut names = Names::default();
    for (index, set, chunk_names) in filled {
        body.index.extend(index);
        // Each chunk numbered its own set names; renumber into the body's.
        let ids: Vec<u32> = chunk_names
            .iter()
            .map(|n| names.id(n.as_bytes()))
            .collect::<Option<_>>()?;
        for i in set {
            body.set.push(*ids.get(i as usize)?);
        }
    }
    body.set_names = names.names;
    body.values = values;
    Some(body)
}

/// Splits after a newline near each 1/n of the body.
fn split(body: &[u8], n: usize) -> Vec<&[u8]> {
    let mut chunks = Vec::with_capacity(n);
    let mut from = 0;
    for i in 1..n {
        let target = (body.len() * i / n).max(from);
        let Some(nl) = body.get(target..).and_then(|r| memchr::memchr(b'\n', r)) else {
            break;
        };
        let cut = target + nl + 1;
        if let Some(c) = body.get(from..cut) {
            chunks.push(c);
        }
        from = cut;
    }
    if let Some(c) = body.get(from..)
        && !c.is_empty()
    {
        chunks.push(c);
    }
    chunks
}

/// Lines in a chunk (the last may lack its newline).
fn count_rows(chunk: &[u8]) -> usize {
    let n = memchr::memchr_iter(b'\n', chunk).count();
    n + usize::from(chunk.last().is_some_and(|&b| b != b'\n'))
}

/// Runs `f` on every item on up to `threads` threads (this one among them), each thread
/// taking the next item when it is free; the results in the items' order. `None` if any
/// returns `None` (the others then stop early; the careful reader does the work). A thread
/// that cannot start leaves the work to the others.
fn run_all<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> Option<R> + Sync,
) -> Option<Vec<R>> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let n = items.len();
    let todo: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let done: Vec<Mutex<Option<R>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let (next, failed) = (AtomicUsize::new(0), AtomicBool::new(false));
    let work = || {
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = todo.get(i) else { break };
            let item = slot.lock().ok().and_then(|mut t| t.take());
            let stored = match (item.and_then(&f), done.get(i).map(Mutex::lock)) {
                (Some(r), Some(Ok(mut d))) => {
                    *d = Some(r);
                    true
                }
                _ => false,
            };
            if !stored {
                failed.store(true, Ordering::Relaxed);
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads.clamp(1, n.max(1)) {
            // A thread that cannot start: the others take its share.
            let _ = std::thread::Builder::new().spawn_scoped(s, work);
        }
        work();
    });
    if failed.load(Ordering::Relaxed) {
        return None;
    }
    done.into_iter()
        .map(|d| d.into_inner().ok().flatten())
        .collect()
}

#[inline]
fn eol(b: &[u8], p: usize) -> Option<usize> {
    match b.get(p) {
        None => Some(p),
        Some(b'\n') => Some(p + 1),
        Some(b'\r') if b.get(p + 1) == Some(&b'\n') => Some(p + 2),
        _ => None,
    }
}

/// What [`fill`] returns: index texts, set ids, and the set names the ids point into.
type Filled = (Vec<String>, Vec<u32>, Vec<String>);

/// Parses every row of `chunk` into `out` (rows x n_values); returns the index texts (empty
/// unless `layout.keep_index`) and the set ids with their names.
fn fill(chunk: &[u8], layout: &Layout, out: &mut [f64]) -> Option<Filled> {
    let nv = layout.n_values;
    let rows = out.len() / nv;
    let mut index = Vec::with_capacity(rows);
    let mut set = Vec::with_capacity(if layout.has_set { rows } else { 0 });
    let mut names = Names::default();
    let b = chunk;
    let mut p = 0usize;
    let last = nv - 1;
    for row in out.chunks_exact_mut(nv) {
        let rest = b.get(p..)?;
        let c = memchr::memchr3(b',', b'\n', b'"', rest)?;
        if rest.get(c) != Some(&b',') {
            return None;
        }
        let idx = rest.get(..c)?;
        if memchr::memchr(b'\r', idx).is_some() {
            return None;
        }
        let idx = std::str::from_utf8(idx).ok()?;
        index.push(if layout.keep_index {
            idx.to_owned()
        } else {
            String::new()
        });
        p += c + 1;
        for (k, slot) in row.iter_mut().enumerate() {
            *slot = match b.get(p) {
                None | Some(b',' | b'\n' | b'\r') => f64::NAN,
                Some(_) => {
                    let cell = b.get(p..)?;
                    let (v, n) = match decimal::parse(cell) {
                        Some(r) => r,
                        None => fast_float2::parse_partial::<f64, _>(cell).ok()?,
                    };
                    p += n;
                    canonical(v)
                }
            };
            if k < last || layout.has_set {
                if b.get(p) != Some(&b',') {
                    return None;
                }
                p += 1;
            } else {
                p = eol(b, p)?;
            }
        }
        if layout.has_set {
            let rest = b.get(p..)?;
            let field = match memchr::memchr3(b',', b'\n', b'"', rest) {
                None => {
                    p = b.len();
                    rest
                }
                Some(c) if rest.get(c) == Some(&b'\n') => {
                    p += c + 1;
                    rest.get(..c)?
                }
                Some(_) => return None,
            };
            let field = field.strip_suffix(b"\r").unwrap_or(field);
            if memchr::memchr(b'\r', field).is_some() {
                return None;
            }
            set.push(names.id(field)?);
        }
    }
    (p == b.len()).then_some((index, set, names.names))
}

/// Reads a whole file; a large one in 2 MB pieces by all cores (each thread copies and
/// page-faults the pieces it takes), which roughly halves the time `std::fs::read` takes on
/// two cores. A file that shrinks while being read is read again the plain way.
pub(crate) fn read_file(path: &std::path::Path) -> crate::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let io = |e| crate::Error::io(path, e);
        let (file, _) = crate::util::open_regular(path)?;
        let meta = file.metadata().map_err(io)?;
        let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
        if meta.is_file() && len >= 4 * MIN_PARALLEL_BYTES {
            let threads = crate::util::cores().clamp(1, 8);
            let mut buf = vec![0u8; len];
            crate::util::advise_huge_pages(&mut buf);
            let parts: Vec<(u64, &mut [u8])> = buf
                .chunks_mut(CHUNK_BYTES)
                .enumerate()
                .map(|(i, c)| ((i * CHUNK_BYTES) as u64, c))
                .collect();
            let file = &file;
            let ok = run_all(parts, threads, |(off, part)| {
                file.read_exact_at(part, off).ok()
            });
            if ok.is_some() {
                return Ok(buf);
            }
        }
    }
    crate::util::read(path)
}
