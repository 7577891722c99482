//! The one thing `status` needs from the events files: the best (lowest)
//! `val_supervised_loss` and its step, and the damage found in each file.

use crate::Result;
use crate::formats::tfevents::{best_value, read_events_file_tag};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The tag Lightning Pose's best checkpoint is chosen by.
pub const VAL_LOSS_TAG: &str = "val_supervised_loss";

/// What `status` takes from one events file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventsSummary {
    /// `(step, value)` of the lowest `val_supervised_loss` in the records before any damage.
    pub best: Option<(i64, f64)>,
    /// The damage that stopped the read (`FILE: at byte N: ...`), when there was one.
    pub error: Option<String>,
    /// The error is a record the file ends inside of (a file still being written, or cut
    /// short), not a failed check.
    #[serde(default)]
    pub truncated: bool,
}

/// The lowest `val_supervised_loss` in one events file and its damage. A file that is still
/// being written (partial last record) or damaged counts with the records before the
/// damage, which is reported in `error` with its byte offset; a file that cannot be read at
/// all is an error naming it.
pub fn summarize_events(file: &Path) -> Result<EventsSummary> {
    let decoded = read_events_file_tag(file, VAL_LOSS_TAG)?;
    Ok(EventsSummary {
        best: best_value(std::slice::from_ref(&decoded), VAL_LOSS_TAG).map(|b| (b.step, b.value)),
        error: decoded.error.as_ref().map(|e| e.to_string()),
        // Only a cut-off last record: no check failed.
        truncated: decoded
            .error
            .as_ref()
            .is_some_and(|e| e.to_string().contains("truncated record")),
    })
}

/// `(step, value)` of the lowest `val_supervised_loss` in one events file (see
/// [`summarize_events`], whose damage report this leaves out).
pub fn best_val_loss_in(file: &Path) -> Result<Option<(i64, f64)>> {
    Ok(summarize_events(file)?.best)
}

/// The lowest over several files (one decoded at a time).
pub fn best_val_loss(files: &[PathBuf]) -> Result<Option<(i64, f64)>> {
    let mut best: Option<(i64, f64)> = None;
    for f in files {
        if let Some((step, v)) = best_val_loss_in(f)?
            && best.is_none_or(|(_, b)| v < b)
        {
            best = Some((step, v));
        }
    }
    Ok(best)
}
