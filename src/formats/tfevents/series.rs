//! The owned data read from events files: scalar series, text summaries, other tags.

use crate::Error;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Every point of one scalar tag, in file order (TensorBoard keeps duplicates steps too).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalarSeries {
    pub tag: String,
    pub steps: Vec<i64>,
    pub wall_times: Vec<f64>,
    /// `simple_value`s are float32 widened exactly; tensor scalars keep their precision.
    pub values: Vec<f64>,
}

/// One point of a scalar series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScalarPoint {
    pub step: i64,
    pub wall_time: f64,
    pub value: f64,
}

impl ScalarSeries {
    pub fn new(tag: impl Into<String>) -> Self {
        ScalarSeries {
            tag: tag.into(),
            ..Default::default()
        }
    }
    pub fn len(&self) -> usize {
        self.values.len()
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    pub fn push(&mut self, step: i64, wall_time: f64, value: f64) {
        self.steps.push(step);
        self.wall_times.push(wall_time);
        self.values.push(value);
    }
    /// Appends another series' points (the same tag read further on).
    pub fn extend(&mut self, other: &ScalarSeries) {
        self.steps.extend_from_slice(&other.steps);
        self.wall_times.extend_from_slice(&other.wall_times);
        self.values.extend_from_slice(&other.values);
    }
    pub fn point(&self, i: usize) -> Option<ScalarPoint> {
        Some(ScalarPoint {
            step: *self.steps.get(i)?,
            wall_time: *self.wall_times.get(i)?,
            value: *self.values.get(i)?,
        })
    }
    pub fn first(&self) -> Option<ScalarPoint> {
        self.point(0)
    }
    pub fn last(&self) -> Option<ScalarPoint> {
        self.point(self.len().checked_sub(1)?)
    }
    /// The point with the smallest value (NaNs ignored; the first of equal minima).
    pub fn min_point(&self) -> Option<ScalarPoint> {
        self.extreme(|a, b| a < b)
    }
    /// The point with the largest value (NaNs ignored; the first of equal maxima).
    pub fn max_point(&self) -> Option<ScalarPoint> {
        self.extreme(|a, b| a > b)
    }
    fn extreme(&self, better: impl Fn(f64, f64) -> bool) -> Option<ScalarPoint> {
        let mut best: Option<usize> = None;
        for (i, &v) in self.values.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            if best.is_none_or(|b| better(v, self.values[b])) {
                best = Some(i);
            }
        }
        self.point(best?)
    }
}

/// What a table shows of one scalar tag: how many points, the first and the last, and the
/// first of equal minima and maxima (NaNs ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalarSummary {
    pub tag: String,
    pub count: u64,
    pub first: Option<ScalarPoint>,
    pub last: Option<ScalarPoint>,
    pub min: Option<ScalarPoint>,
    pub max: Option<ScalarPoint>,
}

impl ScalarSummary {
    pub fn of(s: &ScalarSeries) -> ScalarSummary {
        ScalarSummary {
            tag: s.tag.clone(),
            count: s.len() as u64,
            first: s.first(),
            last: s.last(),
            min: s.min_point(),
            max: s.max_point(),
        }
    }
}

/// Every entry of one text summary tag (TensorBoard's text plugin), in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextSeries {
    pub tag: String,
    pub steps: Vec<i64>,
    pub wall_times: Vec<f64>,
    /// Each entry's strings, joined by newlines (lossy UTF-8).
    pub texts: Vec<String>,
}

impl TextSeries {
    pub fn extend(&mut self, other: &TextSeries) {
        self.steps.extend_from_slice(&other.steps);
        self.wall_times.extend_from_slice(&other.wall_times);
        self.texts.extend_from_slice(&other.texts);
    }
}

/// A tag that is neither a scalar nor text (images, histograms, hparams ...): listed, not read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherTag {
    pub tag: String,
    /// `SummaryMetadata.plugin_data.plugin_name`, when given.
    pub plugin: Option<String>,
    /// "tensor", "image", "histogram", "audio" or "metadata" (no value).
    pub kind: String,
    pub count: u64,
}

/// What was read from one events file. Damage does not discard what came before it:
/// `error` names the file and byte offset, the series hold every record before it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct EventsFile {
    pub path: PathBuf,
    /// `Event.file_version` of the first record ("brain.Event:2").
    pub file_version: Option<String>,
    /// Records decoded.
    pub records: u64,
    /// Offset just past the last good record (where reading would resume).
    pub bytes_read: u64,
    /// Size of the file when it was read.
    pub file_len: u64,
    pub scalars: Vec<ScalarSeries>,
    /// Each scalar tag's summary, in place of `scalars`, when the file was read for its
    /// summaries only ([`super::read_events_summaries`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summaries: Vec<ScalarSummary>,
    pub texts: Vec<TextSeries>,
    pub other_tags: Vec<OtherTag>,
    /// Damage (bad CRC, malformed record, truncated record), with file and offset.
    #[serde(serialize_with = "ser_error", skip_deserializing)]
    pub error: Option<Error>,
    /// `error` is only a last record cut short by the end of the file (a file still being
    /// written, or a copy cut short): everything before it is whole.
    #[serde(default)]
    pub truncated: bool,
}

fn ser_error<S: serde::Serializer>(e: &Option<Error>, s: S) -> Result<S::Ok, S::Error> {
    match e {
        Some(e) => s.serialize_some(&e.to_string()),
        None => s.serialize_none(),
    }
}

impl EventsFile {
    /// The scalar series with this tag.
    pub fn scalar(&self, tag: &str) -> Option<&ScalarSeries> {
        self.scalars.iter().find(|s| s.tag == tag)
    }
    /// Number of scalar points over all tags.
    pub fn scalar_count(&self) -> usize {
        self.scalars.iter().map(|s| s.len()).sum::<usize>()
            + self
                .summaries
                .iter()
                .map(|s| s.count as usize)
                .sum::<usize>()
    }
    /// Each scalar tag's summary, whether the file was read for its points or its summaries.
    pub fn scalar_summaries(&self) -> Vec<ScalarSummary> {
        let mut out: Vec<ScalarSummary> = self.scalars.iter().map(ScalarSummary::of).collect();
        out.extend(self.summaries.iter().cloned());
        out
    }
}

/// New data read by one [`super::EventsTailer::poll`]: only what was appended since the last call.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TailUpdate {
    /// True when the file shrank or was replaced: it was read again from the start, and the
    /// caller should drop what it had before this update.
    pub reset: bool,
    /// New points per tag (only tags with new points).
    pub scalars: Vec<ScalarSeries>,
    pub texts: Vec<TextSeries>,
    pub other_tags: Vec<OtherTag>,
    /// Records decoded by this call.
    pub new_records: u64,
    /// Offset just past the last good record: the next call resumes here.
    pub offset: u64,
    /// Bytes of an incomplete trailing record left for a later call (a file being written).
    pub pending_bytes: u64,
    /// Damage at `offset` (the tailer does not move past it).
    #[serde(serialize_with = "ser_error", skip_deserializing)]
    pub error: Option<Error>,
}

impl TailUpdate {
    /// Number of new scalar points over all tags.
    pub fn scalar_count(&self) -> usize {
        self.scalars.iter().map(|s| s.len()).sum()
    }
}

/// The lowest value of a tag over one or more files (e.g. the best `val_supervised_loss`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestValue {
    pub tag: String,
    pub value: f64,
    pub step: i64,
    pub wall_time: f64,
    pub file: PathBuf,
}
