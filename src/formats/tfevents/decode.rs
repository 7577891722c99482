//! Turns framed records into per-tag series. The hot path compares tag bytes against a
//! predicted tag (training loops log tags in a fixed cycle) and allocates nothing per record.
//! Large buffers are decoded on several threads, each with its own [`Decoder`], then merged.

use super::proto::{self, TensorValue, ValueKind, ValueView};
use super::record::{self, Span};
use super::series::{OtherTag, ScalarSeries, TextSeries};
use std::collections::HashMap;

const NONE: u32 = u32::MAX;

/// Decode on several threads when a buffer holds at least this many records.
const PARALLEL_MIN_RECORDS: usize = 16_384;

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
}

impl Tag {
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
}

/// Damage found while decoding: the index of the bad span and a message.
pub(crate) struct Damage {
    pub span: usize,
    /// Offset of the damage within the buffer.
    pub at: usize,
    pub msg: String,
}

/// Points drained from a decoder.
#[derive(Debug, Default)]
pub(crate) struct Drained {
    pub scalars: Vec<ScalarSeries>,
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

    /// A decoder with the same tag table and no points, for another thread.
    fn fork(&self) -> Self {
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
        }
    }

    #[inline]
    fn lookup(&mut self, name: &[u8]) -> usize {
        let guess = if self.prev == NONE {
            NONE
        } else {
            self.next_guess[self.prev as usize]
        };
        let idx = if guess != NONE && *self.tags[guess as usize].name == *name {
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

    /// Adds one value; `tensor` is the value's decoded tensor when it holds one.
    #[inline]
    fn add(&mut self, step: i64, wall: f64, v: &ValueView<'_>, tensor: Option<TensorValue<'_>>) {
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
                t.steps.push(step);
                t.walls.push(wall);
                t.values.push(x as f64);
            }
            (ValueKind::Tensor(..), Some(TensorValue::Number(x))) => {
                t.steps.push(step);
                t.walls.push(wall);
                t.values.push(x);
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
        let mut values: Vec<(ValueView<'_>, Option<TensorValue<'_>>)> = Vec::with_capacity(4);
        for (i, &s) in spans.iter().enumerate() {
            if !record::data_ok(buf, s) {
                return Err(Damage {
                    span: i,
                    at: s.start,
                    msg: "record data fails its CRC (damaged file)".into(),
                });
            }
            let data = record::data(buf, s);
            let bad = |e: proto::DecodeError| Damage {
                span: i,
                at: s.data_start() + e.at,
                msg: format!("malformed Event record: {}", e.msg),
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
                self.add(ev.step, ev.wall_time, &v, t);
            }
            self.records += 1;
        }
        Ok(())
    }

    /// Like [`Decoder::decode`], on several threads for large inputs. Points and the first
    /// damage come out exactly as a single-threaded decode gives them.
    pub fn decode_parallel(&mut self, buf: &[u8], spans: &[Span]) -> Result<(), Damage> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 8);
        if threads < 2 || spans.len() < PARALLEL_MIN_RECORDS {
            return self.decode(buf, spans);
        }
        let chunk = spans.len().div_ceil(threads);
        let parts: Vec<&[Span]> = spans.chunks(chunk).collect();
        let mut forks: Vec<Decoder> = (1..parts.len()).map(|_| self.fork()).collect();
        let results: Vec<Result<(), Damage>> = std::thread::scope(|sc| {
            let handles: Vec<_> = forks
                .iter_mut()
                .zip(&parts[1..])
                .map(|(d, p)| sc.spawn(move || d.decode(buf, p)))
                .collect();
            let mut out = vec![self.decode(buf, parts[0])];
            for (h, p) in handles.into_iter().zip(&parts[1..]) {
                out.push(h.join().unwrap_or_else(|_| {
                    Err(Damage {
                        span: 0,
                        at: p.first().map_or(0, |s| s.start),
                        msg: "decoder thread failed".into(),
                    })
                }));
            }
            out
        });
        let mut offset = 0usize;
        for (k, r) in results.into_iter().enumerate() {
            if k > 0 {
                self.absorb(std::mem::take(&mut forks[k - 1]));
            }
            if let Err(mut d) = r {
                d.span += offset;
                return Err(d);
            }
            offset += parts[k].len();
        }
        Ok(())
    }

    /// Appends the tag table and points of a decoder that read the records after ours.
    fn absorb(&mut self, other: Decoder) {
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
            let numbers = t.values.len() as u64;
            if scalar {
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

fn append<T>(a: &mut Vec<T>, mut b: Vec<T>) {
    if a.is_empty() {
        *a = b;
    } else {
        a.append(&mut b);
    }
}
