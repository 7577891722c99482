//! The fast body reader for the files pandas writes: no quotes in the body, one record per
//! line. The body is split at line boundaries into one chunk per core; each chunk's rows are
//! counted (memchr), one `Vec<f64>` for the whole table is allocated, and the threads fill their
//! disjoint slices, parsing each number in place with fast-float2's partial parser (which also
//! finds where the cell ends, so the line is walked once).
//!
//! Anything unusual (a quote, a blank line, a lone CR, a ragged row, a cell that is not a plain
//! number, invalid UTF-8) makes it give up (`None`); the careful reader then reads the body and
//! reports the damage with its line. So the fast path never decides an error, and whatever it
//! accepts, the careful reader reads to the same values (a unit test and the fuzz target check
//! this).

use super::grid::{Body, Layout};
use super::number::canonical;

/// Below this many body bytes one thread does the work.
const MIN_PARALLEL_BYTES: usize = 1 << 20;

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
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let n_chunks = cores.min(8).min(body.len() / MIN_PARALLEL_BYTES).max(1);
    let chunks = split(body, n_chunks);
    let counts = run_all(chunks.clone(), |c| Some(count_rows(c)))?;
    let total: usize = counts.iter().sum();
    let mut values = vec![0.0f64; total.checked_mul(layout.n_values)?];
    let mut parts: Vec<(&[u8], &mut [f64])> = Vec::with_capacity(chunks.len());
    let mut rest: &mut [f64] = &mut values;
    for (&chunk, &rows) in chunks.iter().zip(&counts) {
        let (part, tail) = rest.split_at_mut(rows * layout.n_values);
        parts.push((chunk, part));
        rest = tail;
    }
    let filled = run_all(parts, |(chunk, out)| fill(chunk, layout, out))?;
    let mut body = Body {
        index: Vec::with_capacity(total),
        values: Vec::new(),
        set: Vec::with_capacity(if layout.has_set { total } else { 0 }),
    };
    for (index, set) in filled {
        body.index.extend(index);
        body.set.extend(set);
    }
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

/// Runs `f` on every item, the first on this thread and each other on its own thread;
/// `None` if any returns `None` or a thread cannot start (the careful reader then does the work).
fn run_all<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> Option<R> + Sync) -> Option<Vec<R>> {
    let mut items = items.into_iter();
    let Some(first) = items.next() else {
        return Some(Vec::new());
    };
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = items
            .map(|item| std::thread::Builder::new().spawn_scoped(s, move || f(item)))
            .collect();
        let mut out = Vec::with_capacity(handles.len() + 1);
        out.push(f(first)?);
        for h in handles {
            out.push(h.ok()?.join().ok()??);
        }
        Some(out)
    })
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

/// Parses every row of `chunk` into `out` (rows x n_values); returns (index, set) texts.
fn fill(chunk: &[u8], layout: &Layout, out: &mut [f64]) -> Option<(Vec<String>, Vec<String>)> {
    let nv = layout.n_values;
    let rows = out.len() / nv;
    let mut index = Vec::with_capacity(rows);
    let mut set = Vec::with_capacity(if layout.has_set { rows } else { 0 });
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
        index.push(std::str::from_utf8(idx).ok()?.to_owned());
        p += c + 1;
        for (k, slot) in row.iter_mut().enumerate() {
            *slot = match b.get(p) {
                None | Some(b',' | b'\n' | b'\r') => f64::NAN,
                Some(_) => {
                    let (v, n) = fast_float2::parse_partial::<f64, _>(b.get(p..)?).ok()?;
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
            set.push(std::str::from_utf8(field).ok()?.to_owned());
        }
    }
    (p == b.len()).then_some((index, set))
}
