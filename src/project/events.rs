//! The one thing `status` needs from the events files: the best (lowest)
//! `val_supervised_loss` and its step.

use crate::Result;
use crate::formats::tfevents::{best_value, read_events_file};
use std::path::{Path, PathBuf};

/// The tag Lightning Pose's best checkpoint is chosen by.
pub const VAL_LOSS_TAG: &str = "val_supervised_loss";

/// `(step, value)` of the lowest `val_supervised_loss` in one events file. A file that is
/// still being written (partial last record) or damaged counts with the records before the
/// damage; a file that cannot be read at all is an error naming it.
pub fn best_val_loss_in(file: &Path) -> Result<Option<(i64, f64)>> {
    let decoded = read_events_file(file)?;
    Ok(best_value(std::slice::from_ref(&decoded), VAL_LOSS_TAG).map(|b| (b.step, b.value)))
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
