//! `train_status.json`: `{"status": S, "pid": int|null, "progress": {completed,total,timestamp}|null}`
//! as lightning-pose-app and litpose write it (atomically, via a temporary file + rename).

use super::json_error;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The states the app and litpose write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunState {
    Pending,
    Starting,
    Started,
    Training,
    Evaluating,
    Completed,
    Failed,
    Canceled,
    Paused,
}

impl RunState {
    pub const ALL: [RunState; 9] = [
        RunState::Pending,
        RunState::Starting,
        RunState::Started,
        RunState::Training,
        RunState::Evaluating,
        RunState::Completed,
        RunState::Failed,
        RunState::Canceled,
        RunState::Paused,
    ];

    /// The name as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Pending => "PENDING",
            RunState::Starting => "STARTING",
            RunState::Started => "STARTED",
            RunState::Training => "TRAINING",
            RunState::Evaluating => "EVALUATING",
            RunState::Completed => "COMPLETED",
            RunState::Failed => "FAILED",
            RunState::Canceled => "CANCELED",
            RunState::Paused => "PAUSED",
        }
    }

    /// A run in this state still expects a process to move it on
    /// (PENDING .. EVALUATING; PAUSED keeps its process too).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            RunState::Pending
                | RunState::Starting
                | RunState::Started
                | RunState::Training
                | RunState::Evaluating
                | RunState::Paused
        )
    }

    /// A final state.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            RunState::Completed | RunState::Failed | RunState::Canceled
        )
    }
}

impl std::fmt::Display for RunState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    pub completed: Option<u64>,
    pub total: Option<u64>,
    /// Unix seconds of the last progress write.
    pub timestamp: Option<f64>,
}

impl Progress {
    /// completed / total in [0, 1] when both are known.
    pub fn fraction(&self) -> Option<f64> {
        match (self.completed, self.total) {
            (Some(c), Some(t)) if t > 0 => Some((c as f64 / t as f64).min(1.0)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainStatus {
    pub status: RunState,
    #[serde(default)]
    pub pid: Option<i64>,
    #[serde(default)]
    pub progress: Option<Progress>,
}

impl TrainStatus {
    pub fn new(status: RunState) -> TrainStatus {
        TrainStatus {
            status,
            pid: None,
            progress: None,
        }
    }

    /// Reads the file. A 0-byte, half-written or otherwise invalid file is an error naming
    /// the file and the line.
    pub fn load(path: &Path) -> Result<TrainStatus> {
        let bytes = crate::util::read(path)?;
        Self::parse(path, &bytes)
    }

    pub fn parse(path: &Path, bytes: &[u8]) -> Result<TrainStatus> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::invalid(
                path,
                format!("empty file ({} bytes): no status written", bytes.len()),
            ));
        }
        serde_json::from_slice(bytes).map_err(|e| json_error(path, e))
    }

    /// Writes the file atomically (temporary file + rename), as the app does.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text =
            serde_json::to_string_pretty(self).map_err(|e| Error::invalid(path, e.to_string()))?;
        crate::util::write_atomic(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_state() {
        for s in RunState::ALL {
            let text = format!("{{\"status\": \"{s}\", \"pid\": null, \"progress\": null}}");
            let t = TrainStatus::parse(Path::new("t.json"), text.as_bytes()).unwrap();
            assert_eq!(t.status, s);
        }
    }

    #[test]
    fn half_written_is_an_error_with_line() {
        let text = b"{\n  \"status\": \"TRAINING\",\n  \"pid\": 12,\n  \"progr";
        let e = TrainStatus::parse(Path::new("t.json"), text).unwrap_err();
        assert!(matches!(e, Error::AtLine { line: 4, .. }), "{e}");
        let e = TrainStatus::parse(Path::new("t.json"), b"").unwrap_err();
        assert!(e.to_string().contains("empty file"), "{e}");
    }

    #[test]
    fn unknown_state_is_an_error() {
        let e = TrainStatus::parse(Path::new("t.json"), b"{\"status\": \"RUNNING\"}").unwrap_err();
        assert!(e.to_string().contains("t.json:1"), "{e}");
    }

    #[test]
    fn save_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("train_status.json");
        let t = TrainStatus {
            status: RunState::Training,
            pid: Some(42),
            progress: Some(Progress {
                completed: Some(3),
                total: Some(10),
                timestamp: Some(1.5),
            }),
        };
        t.save(&p).unwrap();
        assert_eq!(TrainStatus::load(&p).unwrap(), t);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
