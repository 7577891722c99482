//! The one thing `status` needs from the events files: the best (lowest)
//! `val_supervised_loss` and its step.

use crate::Result;
use crate::formats::tfevents::{best_value, read_events_file};
use std::path::PathBuf;

/// The tag Lightning Pose's best checkpoint is chosen by.
pub const VAL_LOSS_TAG: &str = "val_supervised_loss";

/// `(step, value)` of the lowest `val_supervised_loss` over `files`. A file that is still being
/// written (partial last record) or damaged counts with the records before the damage; a file
/// that cannot be read at all is an error naming it.
pub fn best_val_loss(files: &[PathBuf]) -> Result<Option<(i64, f64)>> {
    let mut best: Option<(i64, f64)> = None;
    for f in files {
        // One file decoded at a time: memory stays at one file's scalars.
        let decoded = read_events_file(f)?;
        if let Some(b) = best_value(std::slice::from_ref(&decoded), VAL_LOSS_TAG)
            && best.is_none_or(|(_, v)| b.value < v)
        {
            best = Some((b.step, b.value));
        }
    }
    Ok(best)
}
