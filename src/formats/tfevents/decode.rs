//! Turns framed records into per-tag series. The hot path compares tag bytes against a
//! predicted tag (training loops log tags in a fixed cycle) and allocates nothing per record.
//! Large buffers are decoded on several threads, each with its own [`Decoder`], then merged
//! (see `pipeline`).

use super::proto::{self, TensorValue, ValueKind, ValueView};
use super::record::{self, Span};
use super::series::{OtherTag, ScalarPoint, ScalarSeries, ScalarSummary, TextSeries};
use std::collections::HashMap;

const NONE: u32 = u32::MAX;

/// One tag: what kind of data it carries and the points decoded since the last drain.
#[derive(Debug, Clone, Default)]
struct Tag {
    name: Box<[u8]>,
    /// First plugin name seen in the tag's metadata (TF2 writers send it only once).
    plugin: Option<Box<[u8]>>,
    /// Whether any `simple_value` was seen (such a tag is a scalar whatever its plugin).
    simple_seen: bool,
    /// The first non-scalar kind seen, for listing.
    other_kind: Option<&'static str>,
    steps: Vec<i64>,
    walls: Vec<f64>,
    values: Vec<f64>,
    text_steps: Vec<i64>,
    text_walls: Vec<f64>,
    texts: Vec<String>,
    other_count: u64,
    /// The numbers' summary, in place of `steps`/`walls`/`values` when only summaries are
    /// kept ([`Decoder::summaries`]).
    fold: Fold,
}

/// What the `scalars` table shows of a tag, folded point by point: count, first, last, and
/// the first of equal minima and maxima (NaNs ignored), as [`ScalarSeries`] computes them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Fold {
    count: u64,
    first: Option<ScalarPoint>,
    last: Option<ScalarPoint>,
    min: Option<ScalarPoint>,
    max: Option<ScalarPoint>,
}

impl Fold {
    #[inline]
    fn add(&mut self, step: i64, wall_time: f64, value: f64) {
        let p = ScalarPoint {
            step,
            wall_time,
            value,
        };
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(p);
        }
        self.last = Some(p);
        if !value.is_nan() {
            if self.min.is_none_or(|m| value < m.value) {
                self.min = Some(p);
            }
            if self.max.is_none_or(|m| value > m.value) {
                self.max = Some(p);
            }
        }
    }

    /// Folds in the summary of the points that came after ours.
    fn then(&mut self, later: Fold) {
        self.count += later.count;
        if self.first.is_none() {
            self.first = later.first;
        }
        if later.last.is_some() {
            self.last = later.last;
        }
        if let Some(m) = later.min
            && self.min.is_none_or(|a| m.value < a.value)
        {
            self.min = Some(m);
        }
        if let Some(m) = later.max
            && self.max.is_none_or(|a| m.value > a.value)
        {
            self.max = Some(m);
        }
    }
}

impl Tag {
    #[inline]
    fn number(&mut self, fold: bool, step: i64, wall: f64, value: f64) {
        if fold {
            self.fold.add(step, wall, value);
        } else {
            self.steps.push(step);
            self.walls.push(wall);
            self.values.push(value);
        }
    }
    fn is_scalar(&self) -> bool {
        self.simple_seen || self.plugin.as_deref() == Some(b"scalars")
    }
    fn is_text(&self) -> bool {
        match self.plugin.as_deref() {
            Some(p) => p == b"text",
            None => !self.texts.is_empty(),
        }
    }
}

/// Decoding state that persists across calls (tag table) plus points not yet drained.
#[derive(Debug, Clone, Default)]
pub(crate) struct Decoder {
    tags: Vec<Tag>,
    index: HashMap<Box<[u8]>, u32>,
    /// For each tag, the tag that followed it last time (the predicted next tag).
    next_guess: Vec<u32>,
    prev: u32,
    pub file_version: Option<String>,
    pub records: u64,
    /// Keep only this tag's values (every record is still CRC-checked and decoded).
    only: Option<Box<[u8]>>,
    /// Keep each tag's summary instead of its points.
    fold: bool,
}

/// The message for a record whose data fails its CRC.
pub(crate) const DATA_CRC_MSG: &str = "record data fails its CRC (damaged file)";

/// Damage found while decoding: the index of the bad span and a message.
pub(crate) struct Damage {
    pub span: usize,
    /// Offset of the damage within the buffer.
    pub at: usize,
    pub msg: String,
}

/// The first damaged record [`Decoder::scan_decode`] found (offsets in its buffer).
pub(crate) struct Damaged {
    /// The record's start (the end of the good records before it).
    pub start: usize,
    /// Where the damage is.
    pub at: usize,
    pub msg: String,
}

/// Points drained from a decoder.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Drained {
    pub scalars: Vec<ScalarSeries>,
    /// In place of `scalars` when only summaries are kept.
    pub summaries: Vec<ScalarSummary>,
    pub texts: Vec<TextSeries>,
    pub other_tags: Vec<OtherTag>,
}

impl Decoder {
    pub fn new() -> Self {
        Decoder {
            prev: NONE,
            ..Default::default()
        }
    }

    /// A decoder that keeps only the values of `tag` (what `status` needs: one tag of a
    /// whole log), with the same checks and the same result for that tag.
    pub fn only(tag: &str) -> Self {
        Decoder {
            only: Some(tag.as_bytes().into()),
            ..Self::new()
        }
    }

    /// A decoder that keeps each scalar tag's count, first, last, minimum and maximum point
    /// instead of its points (what the `scalars` table shows), with the same checks: no
    /// series is built, so nothing grows with the file.
    pub fn summaries() -> Self {
        Decoder {
            fold: true,
            ..Self::new()
        }
    }

    /// Whether this decoder keeps summaries only (its parts merge at no cost).
    pub fn folds(&self) -> bool {
        self.fold
    }

    #[inline]
    fn wanted(&self, tag: &[u8]) -> bool {
        self.only.as_deref().is_none_or(|o| o == tag)
    }

    /// A decoder with the same tag table and no points, for another thread.
    pub fn fork(&self) -> Self {
        Decoder {
            tags: self
                .tags
                .iter()
                .map(|t| Tag {
                    name: t.name.clone(),
                    plugin: t.plugin.clone(),
                    simple_seen: t.simple_seen,
                    other_kind: t.other_kind,
                    ..Default::default()
                })
                .collect(),
            index: self.index.clone(),
            next_guess: self.next_guess.clone(),
            prev: NONE,
            file_version: self.file_version.clone(),
            records: 0,
            only: self.only.clone(),
            fold: self.fold,
        }
    }

    #[inline]
    fn lookup(&mut self, name: &[u8]) -> usize {
        let guess = if self.prev == NONE {
            NONE
        } else {
            self.next_guess[self.prev as usize]
        };
        let idx = if guess != NONE && same_bytes(&self.tags[guess as usize].name, name) {
            guess
        } else {
            let idx = self.intern(name);
            if self.prev != NONE {
                self.next_guess[self.prev as usize] = idx;
            }
            idx
        };
        self.prev = idx;
        idx as usize
    }

    fn intern(&mut self, name: &[u8]) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.tags.len() as u32;
        self.tags.push(Tag {
            name: name.into(),
            ..Default::default()
        });
        self.next_guess.push(NONE);
        self.index.insert(name.into(), i);
        i
    }

    /// Adds one `simple_value` (the hot path: no plugin, no tensor).
    #[inline]
    fn add_simple(&mut self, step: i64, wall: f64, tag: &[u8], v: f32) {
        let fold = self.fold;
        let i = self.lookup(tag);
        let t = &mut self.tags[i];
        t.simple_seen = true;
        t.number(fold, step, wall, v as f64);
    }

    /// Adds one value; `tensor` is the value's decoded tensor when it holds one.
    #[inline]
    fn add(&mut self, step: i64, wall: f64, v: &ValueView<'_>, tensor: Option<TensorValue<'_>>) {
        let fold = self.fold;
        let i = self.lookup(v.tag);
        let t = &mut self.tags[i];
        if t.plugin.is_none()
            && let Some(p) = v.plugin
        {
            t.plugin = Some(p.into());
        }
        match (v.kind, tensor) {
            (ValueKind::Simple(x), _) => {
                t.simple_seen = true;
                t.number(fold, step, wall, x as f64);
            }
            (ValueKind::Tensor(..), Some(TensorValue::Number(x))) => {
                t.number(fold, step, wall, x);
            }
            (ValueKind::Tensor(..), Some(TensorValue::Strings(s))) => {
                let mut text = String::new();
                for (k, part) in s.iter().enumerate() {
                    if k > 0 {
                        text.push('\n');
                    }
                    text.push_str(&String::from_utf8_lossy(part));
                }
                t.text_steps.push(step);
                t.text_walls.push(wall);
                t.texts.push(text);
            }
            (kind, _) => {
                t.other_kind.get_or_insert(match kind {
                    ValueKind::Image => "image",
                    ValueKind::Histogram => "histogram",
                    ValueKind::Audio => "audio",
                    ValueKind::Tensor(..) => "tensor",
                    _ => "metadata",
                });
                t.other_count += 1;
            }
        }
    }

    /// Decodes `spans` of `buf` in order, checking each record's data CRC. Stops at the
    /// first damaged record; a damaged record adds nothing.
    pub fn decode(&mut self, buf: &[u8], spans: &[Span]) -> Result<(), Damage> {
        match record::first_bad_data(buf, spans) {
            None => self.decode_spans(buf, spans),
            Some(i) => {
                // What comes before the damaged record is added (or its own damage found).
                self.decode_spans(buf, &spans[..i])?;
                Err(Damage {
                    span: i,
                    at: spans[i].start,
                    msg: DATA_CRC_MSG.into(),
                })
            }
        }
    }

    /// [`decode`](Self::decode) of records whose data CRCs were already checked (by the
    /// thread that read them).
    pub fn decode_checked(&mut self, buf: &[u8], spans: &[Span]) -> Result<(), Damage> {
        self.decode_spans(buf, spans)
    }

    fn decode_spans(&mut self, buf: &[u8], spans: &[Span]) -> Result<(), Damage> {
        let mut values = Vec::new();
        for (i, &s) in spans.iter().enumerate() {
            self.decode_record(buf, s, &mut values)
                .map_err(|(at, msg)| Damage { span: i, at, msg })?;
        }
        Ok(())
    }

    /// Scans the records of `buf` from its start (as [`record::scan_into`] does) and decodes
    /// each as soon as its CRCs pass, in one pass with no list of records: the scan's stop,
    /// or the first damaged record (its start, where the damage is, and why); the records
    /// before it are added, it adds nothing.
    pub fn scan_decode(&mut self, buf: &[u8]) -> Result<record::Stop, Damaged> {
        let mut values = Vec::new();
        let r = record::scan_checked(buf, 0, buf.len(), |s| {
            match self.decode_record(buf, s, &mut values) {
                Ok(()) => std::ops::ControlFlow::Continue(()),
                Err((at, msg)) => std::ops::ControlFlow::Break(Damaged {
                    start: s.start,
                    at,
                    msg,
                }),
            }
        });
        r.map_err(|halt| match halt {
            record::Halt::Data(s) => Damaged {
                start: s.start,
                at: s.start,
                msg: DATA_CRC_MSG.into(),
            },
            record::Halt::Take(d) => d,
        })
    }

    /// Decodes one record whose CRCs passed; on damage, where it is in `buf` and why.
    #[inline(always)]
    fn decode_record<'b>(
        &mut self,
        buf: &'b [u8],
        s: Span,
        values: &mut Vec<(ValueView<'b>, Option<TensorValue<'b>>)>,
    ) -> Result<(), (usize, String)> {
        let data = record::data(buf, s);
        if let Some((wall, step, tag, v)) = simple_scalar(data) {
            if self.wanted(tag) {
                self.add_simple(step, wall, tag, v);
            }
            self.records += 1;
            return Ok(());
        }
        self.decode_event(data, s.data_start(), values)
    }

    /// The general path of [`decode_record`](Self::decode_record): any `Event`.
    #[inline(never)]
    fn decode_event<'b>(
        &mut self,
        data: &'b [u8],
        data_start: usize,
        values: &mut Vec<(ValueView<'b>, Option<TensorValue<'b>>)>,
    ) -> Result<(), (usize, String)> {
        let bad = |e: proto::DecodeError| {
            (
                data_start + e.at,
                format!("malformed Event record: {}", e.msg),
            )
        };
        let ev = proto::event(data).map_err(bad)?;
        // Validate the whole record before adding anything from it.
        values.clear();
        let mut err = None;
        ev.for_each_value(|v| {
            if err.is_some() {
                return;
            }
            let tensor = match v.kind {
                ValueKind::Tensor(b, base) => match proto::tensor(b, base) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        err = Some(e);
                        return;
                    }
                },
                _ => None,
            };
            values.push((v, tensor));
        })
        .map_err(bad)?;
        if let Some(e) = err {
            return Err(bad(e));
        }
        if self.file_version.is_none()
            && let Some(v) = ev.file_version
        {
            self.file_version = Some(String::from_utf8_lossy(v).into_owned());
        }
        for (v, t) in values.drain(..) {
            if !self.wanted(v.tag) {
                continue;
            }
            self.add(ev.step, ev.wall_time, &v, t);
        }
        self.records += 1;
        Ok(())
    }

    /// Appends the tag table and points of a decoder that read the records after ours.
    pub fn absorb(&mut self, other: Decoder) {
        if self.file_version.is_none() {
            self.file_version = other.file_version;
        }
        self.records += other.records;
        for t in other.tags {
            let i = self.intern(&t.name) as usize;
            let mine = &mut self.tags[i];
            if mine.plugin.is_none() {
                mine.plugin = t.plugin;
            }
            mine.simple_seen |= t.simple_seen;
            if mine.other_kind.is_none() {
                mine.other_kind = t.other_kind;
            }
            append(&mut mine.steps, t.steps);
            append(&mut mine.walls, t.walls);
            append(&mut mine.values, t.values);
            append(&mut mine.text_steps, t.text_steps);
            append(&mut mine.text_walls, t.text_walls);
            append(&mut mine.texts, t.texts);
            mine.other_count += t.other_count;
            mine.fold.then(t.fold);
        }
        // The predicted-next table of the later decoder describes the end of the data.
        self.prev = NONE;
    }

    /// Takes the points decoded so far, by tag kind, in order of first appearance.
    pub fn drain(&mut self) -> Drained {
        let mut out = Drained::default();
        for t in &mut self.tags {
            let name = String::from_utf8_lossy(&t.name).into_owned();
            let scalar = t.is_scalar();
            let text = t.is_text();
            let mut other = std::mem::take(&mut t.other_count);
            let fold = std::mem::take(&mut t.fold);
            let numbers = t.values.len() as u64 + fold.count;
            if scalar {
                if fold.count > 0 {
                    out.summaries.push(ScalarSummary {
                        tag: name.clone(),
                        count: fold.count,
                        first: fold.first,
                        last: fold.last,
                        min: fold.min,
                        max: fold.max,
                    });
                }
                if !t.values.is_empty() {
                    out.scalars.push(ScalarSeries {
                        tag: name.clone(),
                        steps: std::mem::take(&mut t.steps),
                        wall_times: std::mem::take(&mut t.walls),
                        values: std::mem::take(&mut t.values),
                    });
                }
            } else {
                // Numbers from tensors of a non-scalar plugin: listed, not plotted.
                other += numbers;
                t.steps.clear();
                t.walls.clear();
                t.values.clear();
            }
            if text {
                if !t.texts.is_empty() {
                    out.texts.push(TextSeries {
                        tag: name.clone(),
                        steps: std::mem::take(&mut t.text_steps),
                        wall_times: std::mem::take(&mut t.text_walls),
                        texts: std::mem::take(&mut t.texts),
                    });
                }
            } else {
                other += t.texts.len() as u64;
                t.text_steps.clear();
                t.text_walls.clear();
                t.texts.clear();
            }
            if other > 0 {
                out.other_tags.push(OtherTag {
                    tag: name,
                    plugin: t
                        .plugin
                        .as_deref()
                        .map(|p| String::from_utf8_lossy(p).into_owned()),
                    kind: t
                        .other_kind
                        .unwrap_or(if scalar { "scalar" } else { "tensor" })
                        .to_string(),
                    count: other,
                });
            }
        }
        out
    }
}

/// Recognises the record every scalar logger writes, byte for byte:
/// `Event { wall_time, [step], summary { value { tag, simple_value } } }` with nothing else,
/// each length fitting one byte. Anything else returns `None` and takes the general path,
/// which gives the same result for these bytes.
#[inline]
fn simple_scalar(d: &[u8]) -> Option<(f64, i64, &[u8], f32)> {
    if d.len() < 9 + 2 + 2 + 2 + 5 || d[0] != 0x09 {
        return None;
    }
    let wall = f64::from_le_bytes([d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8]]);
    let mut p = 9;
    let mut step: u64 = 0;
    if d[p] == 0x10 {
        p += 1;
        let mut shift = 0;
        loop {
            let b = *d.get(p)?;
            p += 1;
            step |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                break;
            }
            shift += 7;
            if shift >= 64 {
                return None;
            }
        }
    }
    // summary (5, bytes) then value (1, bytes): each must run to the end of the record.
    if *d.get(p)? != 0x2a || p + 2 + *d.get(p + 1)? as usize != d.len() || d[p + 1] >= 0x80 {
        return None;
    }
    p += 2;
    if *d.get(p)? != 0x0a || p + 2 + *d.get(p + 1)? as usize != d.len() || d[p + 1] >= 0x80 {
        return None;
    }
    p += 2;
    // tag (1, bytes), simple_value (2, fixed32) and nothing after.
    let tlen = *d.get(p + 1)? as usize;
    if *d.get(p)? != 0x0a || tlen >= 0x80 || p + 2 + tlen + 5 != d.len() {
        return None;
    }
    let tag = d.get(p + 2..p + 2 + tlen)?;
    p += 2 + tlen;
    if d[p] != 0x15 {
        return None;
    }
    let v = f32::from_le_bytes([d[p + 1], d[p + 2], d[p + 3], d[p + 4]]);
    Some((wall, step as i64, tag, v))
}

/// `a == b`, inline: lengths, then 8-byte words (the last one overlapping), with no call
/// to `memcmp` (which was 6% of `posedeck scalars` on one predicted tag per record).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a == b;
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

fn append<T>(a: &mut Vec<T>, mut b: Vec<T>) {
    if a.is_empty() {
        *a = b;
    } else {
        a.append(&mut b);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_bytes_is_equality() {
        let text: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for n in 0..text.len() {
            let a = &text[..n];
            let copy = a.to_vec();
            assert!(super::same_bytes(a, &copy));
            for k in 0..n {
                let mut b = a.to_vec();
                b[k] ^= 1;
                assert!(!super::same_bytes(a, &b), "{n} {k}");
            }
            assert!(!super::same_bytes(a, &text[..n + 1]));
        }
    }
}
