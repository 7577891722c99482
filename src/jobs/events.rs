//! The progress stream of a job, `RUN/posedeck_events.jsonl`: one self-contained JSON object
//! per line, `{"time": UNIX_SECONDS, "kind": ..., ...}`, appended by the worker from its
//! [`JobEvent`]s and fsync'd at the start, at phase changes and at the end, so that any
//! workstation on any host sharing the file system shows the same progress.
//!
//! Kinds: `start {pid, host, attempt}`, `device {name, reason}`, `phase {phase}`,
//! `step {epoch, epochs, step, batch, batches, loss}`, `validation {epoch, step, loss, rmse}`,
//! `frames {source, done, total}`, `warning {message}`, `info {message}`,
//! `end {outcome: COMPLETED|FAILED|CANCELED, message}`. A resumed job appends to the same file:
//! a new `start` follows the earlier `end`.
//!
//! The reader ([`EventsReader`]) follows the file from a byte offset: a torn last line (no
//! newline yet) is left for the next read, a complete line that is not an event is an error
//! naming the file and line while the other lines are still used.

use crate::engine::JobEvent;
use crate::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The file name in a job folder.
pub const EVENTS_FILE: &str = "posedeck_events.jsonl";

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Outcome {
    Completed,
    Failed,
    Canceled,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Completed => "COMPLETED",
            Outcome::Failed => "FAILED",
            Outcome::Canceled => "CANCELED",
        }
    }
}

fn ser_num<S: Serializer>(v: &f64, s: S) -> std::result::Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        s.serialize_none()
    }
}

fn de_num<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// What one line says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    Start {
        pid: u32,
        host: String,
        #[serde(default)]
        attempt: u32,
    },
    Device {
        name: String,
        reason: String,
    },
    Phase {
        phase: String,
    },
    Step {
        epoch: usize,
        epochs: usize,
        step: u64,
        batch: usize,
        batches: usize,
        #[serde(serialize_with = "ser_num", deserialize_with = "de_num")]
        loss: f64,
    },
    Validation {
        epoch: usize,
        step: u64,
        #[serde(serialize_with = "ser_num", deserialize_with = "de_num")]
        loss: f64,
        #[serde(serialize_with = "ser_num", deserialize_with = "de_num")]
        rmse: f64,
    },
    Frames {
        source: String,
        done: usize,
        total: Option<usize>,
    },
    Warning {
        message: String,
    },
    Info {
        message: String,
    },
    End {
        outcome: Outcome,
        message: String,
    },
}

/// One line: the time (Unix seconds) and what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub time: f64,
    #[serde(flatten)]
    pub body: Body,
}

impl Body {
    /// The stream's form of an engine event (`None` for the run folder, which is the file's
    /// own folder).
    pub fn from_event(e: &JobEvent) -> Option<Body> {
        Some(match e.clone() {
            JobEvent::Device { name, reason } => Body::Device { name, reason },
            JobEvent::Warning(message) => Body::Warning { message },
            JobEvent::RunDir(_) => return None,
            JobEvent::Phase(phase) => Body::Phase { phase },
            JobEvent::Step {
                epoch,
                epochs,
                step,
                batch,
                batches,
                loss,
            } => Body::Step {
                epoch,
                epochs,
                step,
                batch,
                batches,
                loss,
            },
            JobEvent::Validation {
                epoch,
                step,
                loss,
                rmse,
            } => Body::Validation {
                epoch,
                step,
                loss,
                rmse,
            },
            JobEvent::Frames {
                source,
                done,
                total,
            } => Body::Frames {
                source,
                done,
                total,
            },
            JobEvent::Info(message) => Body::Info { message },
        })
    }

    /// Lines worth a sync to disk: a reader elsewhere must see them even if the host dies.
    fn durable(&self) -> bool {
        matches!(
            self,
            Body::Start { .. } | Body::Device { .. } | Body::Phase { .. } | Body::End { .. }
        )
    }
}

/// Unix seconds now.
pub fn now() -> f64 {
    crate::project::procinfo::unix_secs(std::time::SystemTime::now())
}

/// Appends records to a job's events file.
pub struct EventsWriter {
    path: PathBuf,
    file: std::fs::File,
}

impl EventsWriter {
    /// Opens (creating) `dir/posedeck_events.jsonl` for appending.
    pub fn open(dir: &Path) -> Result<EventsWriter> {
        let path = dir.join(EVENTS_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(EventsWriter { path, file })
    }

    /// Appends one line (one write, so readers never see two records interleaved); syncs the
    /// durable kinds.
    pub fn write(&mut self, body: Body) -> Result<()> {
        let rec = Record { time: now(), body };
        let mut line = serde_json::to_string(&rec).map_err(|e| Error::usage(e.to_string()))?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| Error::io(&self.path, e))?;
        if rec.body.durable() {
            self.file
                .sync_data()
                .map_err(|e| Error::io(&self.path, e))?;
        }
        Ok(())
    }

    /// Appends an engine event (the run folder event is skipped).
    pub fn event(&mut self, e: &JobEvent) -> Result<()> {
        match Body::from_event(e) {
            Some(b) => self.write(b),
            None => Ok(()),
        }
    }
}

/// A line that is not an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadLine {
    #[serde(serialize_with = "crate::util::ser_path")]
    pub file: PathBuf,
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            crate::util::escape_path(&self.file),
            self.line,
            self.message
        )
    }
}

/// Follows an events file from a byte offset.
#[derive(Debug, Clone)]
pub struct EventsReader {
    pub path: PathBuf,
    /// Bytes consumed (complete lines only).
    pub offset: u64,
    /// Lines consumed.
    pub line: u64,
}

/// At most this many bytes are read per call (a runaway file cannot exhaust memory).
const READ_CHUNK: u64 = 16 << 20;

impl EventsReader {
    pub fn new(path: PathBuf) -> EventsReader {
        EventsReader {
            path,
            offset: 0,
            line: 0,
        }
    }

    /// The records of the complete lines appended since the last call, and the lines that
    /// are not events. A missing file is no records; a file shorter than the offset (it was
    /// replaced) is read again from the start.
    pub fn read_new(&mut self) -> Result<(Vec<Record>, Vec<BadLine>)> {
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        let len = f.metadata().map_err(|e| Error::io(&self.path, e))?.len();
        if len < self.offset {
            self.offset = 0;
            self.line = 0;
        }
        f.seek(SeekFrom::Start(self.offset))
            .map_err(|e| Error::io(&self.path, e))?;
        let mut buf = Vec::new();
        f.take(READ_CHUNK)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(&self.path, e))?;
        let Some(last_nl) = buf.iter().rposition(|&b| b == b'\n') else {
            return Ok((Vec::new(), Vec::new()));
        };
        let (mut recs, mut bad) = (Vec::new(), Vec::new());
        for raw in buf[..last_nl].split(|&b| b == b'\n') {
            self.line += 1;
            let text = String::from_utf8_lossy(raw);
            if text.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(&text) {
                Ok(r) => recs.push(r),
                Err(e) => bad.push(BadLine {
                    file: self.path.clone(),
                    line: self.line,
                    message: format!("not a progress event: {e}"),
                }),
            }
        }
        self.offset += last_nl as u64 + 1;
        Ok((recs, bad))
    }
}

/// Every record of a file and its bad lines.
pub fn read_all(path: &Path) -> Result<(Vec<Record>, Vec<BadLine>)> {
    let mut r = EventsReader::new(path.to_path_buf());
    let (mut recs, mut bad) = (Vec::new(), Vec::new());
    loop {
        let before = r.offset;
        let (a, b) = r.read_new()?;
        recs.extend(a);
        bad.extend(b);
        if r.offset == before {
            return Ok((recs, bad));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_torn_line_and_garbage() {
        let d = tempfile::tempdir().unwrap();
        let mut w = EventsWriter::open(d.path()).unwrap();
        w.write(Body::Phase {
            phase: "training".into(),
        })
        .unwrap();
        w.event(&JobEvent::Step {
            epoch: 0,
            epochs: 2,
            step: 1,
            batch: 1,
            batches: 3,
            loss: f64::NAN,
        })
        .unwrap();
        let p = d.path().join(EVENTS_FILE);
        let mut r = EventsReader::new(p.clone());
        let (recs, bad) = r.read_new().unwrap();
        assert_eq!(recs.len(), 2);
        assert!(bad.is_empty());
        assert!(matches!(recs[1].body, Body::Step { loss, .. } if loss.is_nan()));
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"garbage\x1b[31m\n{\"time\":1.0,\"kind\":\"info\",\"mes")
            .unwrap();
        let (recs, bad) = r.read_new().unwrap();
        assert!(recs.is_empty());
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 3);
        assert!(bad[0].to_string().contains("posedeck_events.jsonl:3: "));
        f.write_all(b"sage\":\"x\"}\n").unwrap();
        let (recs, bad) = r.read_new().unwrap();
        assert_eq!(
            recs[0].body,
            Body::Info {
                message: "x".into()
            }
        );
        assert!(bad.is_empty());
        assert_eq!(read_all(&p).unwrap().0.len(), 3);
    }
}
