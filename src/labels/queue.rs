//! The labeler queue of the new Lightning Pose app: `CollectedData.unlabeled.jsonl` (and
//! `CollectedData_<view>.unlabeled.jsonl` next to each view's CSV), the frames extracted for
//! labeling and not labeled yet.
//!
//! The format is the app's own, read from paninski-lab/lightning-pose-app:
//! `app_server/src/litpose_app/utils/mv_label_file.py` (`LabelingQueueEntry`,
//! `add_to_unlabeled_sidecar_files`): one JSON object per line, pydantic's compact
//! `model_dump_json` (`{"frame_path":"labeled-data/<video>/img00000012.png","predictions":null}`),
//! lines joined by `\n` with a final `\n`; `frame_path` is relative to the data dir and equal
//! to the CSV index the frame gets once labeled; `predictions` is `null` or
//! `{"model_name":..,"date_time":<int>,"predictions":[{"keypoint_name":..,"x":..,"y":..}]}`.
//! The sidecar's name is the CSV's with `.csv` replaced (`Path.with_suffix(".unlabeled.jsonl")`);
//! `routes/labeler/save_mvframe.py` removes a frame from it once the frame is saved. In a
//! multiview project the i-th line of every view's queue is the same frame.
//!
//! Reading is strict except for a torn last line (no final newline, not valid JSON: a
//! writer that did not write atomically was interrupted), which is left out and reported.
//! Every write is atomic (temporary file + rename); lines that are kept keep their exact text.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One keypoint of a queued frame's model predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueKeypoint {
    pub keypoint_name: String,
    pub x: f64,
    pub y: f64,
}

/// The predictions a model made on a queued frame: a starting point for labeling it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuePredictions {
    pub model_name: String,
    /// Unix time in milliseconds (the app's `Date.now()`).
    pub date_time: i64,
    pub predictions: Vec<QueueKeypoint>,
}

/// One line of the queue (field order as pydantic writes it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub frame_path: String,
    #[serde(default)]
    pub predictions: Option<QueuePredictions>,
}

impl QueueEntry {
    pub fn new(frame_path: impl Into<String>) -> QueueEntry {
        QueueEntry {
            frame_path: frame_path.into(),
            predictions: None,
        }
    }

    /// The line as the app writes it (no newline).
    pub fn to_line(&self) -> String {
        crate::sanitize::json_controls(serde_json::to_string(self).unwrap_or_default())
    }
}

/// A queue file as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Queue {
    pub path: PathBuf,
    pub entries: Vec<QueueEntry>,
    /// The exact text of each entry's line (kept on rewrite).
    lines: Vec<String>,
    /// The 1-based line number of a torn last line that was left out.
    pub torn_line: Option<usize>,
}

/// The queue file that belongs to a label CSV: `CollectedData.csv` ->
/// `CollectedData.unlabeled.jsonl`, `CollectedData_top.csv` -> `CollectedData_top.unlabeled.jsonl`.
pub fn path_for_csv(csv: &Path) -> PathBuf {
    csv.with_extension("unlabeled.jsonl")
}

impl Queue {
    /// Reads a queue; a missing file is an empty queue. A line that is not a queue entry is
    /// an error naming the file and line, except a torn last line (see the module docs).
    pub fn read(path: &Path) -> Result<Queue> {
        let text = match crate::util::read_text(path) {
            Ok(t) => t,
            Err(Error::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Queue {
                    path: path.to_path_buf(),
                    ..Queue::default()
                });
            }
            Err(e) => return Err(e),
        };
        Self::parse(path, &text)
    }

    /// Parses queue text; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Queue> {
        let mut q = Queue {
            path: path.to_path_buf(),
            ..Queue::default()
        };
        let n_lines = text.split('\n').count();
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let last_unterminated = i + 1 == n_lines && !text.ends_with('\n');
            match serde_json::from_str::<QueueEntry>(line) {
                Ok(e) if !e.frame_path.is_empty() => {
                    q.entries.push(e);
                    q.lines.push(line.to_string());
                }
                Ok(_) => {
                    return Err(Error::at_line(path, i as u64 + 1, "empty frame_path"));
                }
                Err(_) if last_unterminated => q.torn_line = Some(i + 1),
                Err(e) => {
                    return Err(Error::at_line(
                        path,
                        i as u64 + 1,
                        format!(
                            "not a labeler queue entry ({{\"frame_path\": ..., \"predictions\": ...}}): {e}"
                        ),
                    ));
                }
            }
        }
        Ok(q)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, frame_path: &str) -> bool {
        self.entries.iter().any(|e| e.frame_path == frame_path)
    }

    fn text(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }

    fn write(&self) -> Result<()> {
        crate::util::write_atomic(&self.path, self.text().as_bytes())
    }
}

/// Appends the entries whose frame is not queued yet (in order, once each) to the queue at
/// `path`, creating it; returns how many were added. Nothing is written when none is new.
pub fn append(path: &Path, entries: &[QueueEntry]) -> Result<usize> {
    let mut q = Queue::read(path)?;
    let mut added = 0;
    for e in entries {
        if q.contains(&e.frame_path) {
            continue;
        }
        q.lines.push(e.to_line());
        q.entries.push(e.clone());
        added += 1;
    }
    if added > 0 || q.torn_line.is_some() {
        q.write()?;
    }
    Ok(added)
}

/// Removes every entry for the given frames (CSV index paths, e.g. after they were labeled
/// and written to the CSV) from the queue at `path`; returns how many lines were removed.
/// A missing queue is left missing; nothing is written when nothing matches.
pub fn remove(path: &Path, frame_paths: &[&str]) -> Result<usize> {
    if !path.exists() {
        return Ok(0);
    }
    let mut q = Queue::read(path)?;
    let before = q.entries.len();
    let keep: Vec<bool> = q
        .entries
        .iter()
        .map(|e| !frame_paths.contains(&e.frame_path.as_str()))
        .collect();
    let mut k = keep.iter();
    q.entries.retain(|_| *k.next().unwrap_or(&true));
    let mut k = keep.iter();
    q.lines.retain(|_| *k.next().unwrap_or(&true));
    let removed = before - q.entries.len();
    if removed > 0 {
        q.write()?;
    }
    Ok(removed)
}

/// The number of queued frames over a project's queues: in a multiview project the i-th
/// line of each view's queue is one frame, so the longest queue counts.
pub fn count_frames(queues: &[Queue]) -> usize {
    queues.iter().map(Queue::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("posedeck-queue-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d.join("CollectedData.unlabeled.jsonl")
    }

    #[test]
    fn app_format_round_trip() {
        let p = tmp("fmt");
        let e = QueueEntry::new("labeled-data/v/img00000012.png");
        assert_eq!(
            e.to_line(),
            r#"{"frame_path":"labeled-data/v/img00000012.png","predictions":null}"#
        );
        let with = QueueEntry {
            frame_path: "labeled-data/v/img00000013.png".into(),
            predictions: Some(QueuePredictions {
                model_name: "m".into(),
                date_time: 5,
                predictions: vec![QueueKeypoint {
                    keypoint_name: "nose".into(),
                    x: 1.0,
                    y: 2.5,
                }],
            }),
        };
        assert_eq!(
            append(&p, &[e.clone(), with.clone(), e.clone()]).unwrap(),
            2
        );
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "{\"frame_path\":\"labeled-data/v/img00000012.png\",\"predictions\":null}\n{\"frame_path\":\"labeled-data/v/img00000013.png\",\"predictions\":{\"model_name\":\"m\",\"date_time\":5,\"predictions\":[{\"keypoint_name\":\"nose\",\"x\":1.0,\"y\":2.5}]}}\n"
        );
        assert_eq!(Queue::read(&p).unwrap().entries, vec![e, with]);
        assert_eq!(remove(&p, &["labeled-data/v/img00000012.png"]).unwrap(), 1);
        assert_eq!(remove(&p, &["labeled-data/v/img00000013.png"]).unwrap(), 1);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "");
    }

    #[test]
    fn torn_last_line_and_garbage() {
        let p = tmp("torn");
        // Python's json.dumps spacing (the migration's) reads too; its text is kept.
        let first = r#"{"frame_path": "labeled-data/v/img1.png", "predictions": null}"#;
        std::fs::write(&p, format!("{first}\n{{\"frame_pa")).unwrap();
        let q = Queue::read(&p).unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q.torn_line, Some(2));
        append(&p, &[QueueEntry::new("labeled-data/v/img2.png")]).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with(&format!("{first}\n")), "{text}");
        assert_eq!(text.lines().count(), 2);

        std::fs::write(&p, format!("{first}\nnot json\n{first}\n")).unwrap();
        let e = Queue::read(&p).unwrap_err().to_string();
        assert!(e.contains("CollectedData.unlabeled.jsonl:2:"), "{e}");
        assert!(append(&p, &[QueueEntry::new("x")]).is_err());
        assert!(remove(&p, &["labeled-data/v/img1.png"]).is_err());
        assert!(std::fs::read_to_string(&p).unwrap().contains("not json"));
    }

    #[test]
    fn missing_queue() {
        let p = tmp("missing");
        assert!(Queue::read(&p).unwrap().is_empty());
        assert_eq!(remove(&p, &["a"]).unwrap(), 0);
        assert!(!p.exists());
        assert_eq!(
            path_for_csv(Path::new("/d/CollectedData_top.csv")),
            Path::new("/d/CollectedData_top.unlabeled.jsonl")
        );
    }
}
