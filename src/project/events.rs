//! The one thing `status` needs from the events files: the best (lowest)
//! `val_supervised_loss` and its step.
//!
//! Interim: the events reader (`formats::tfevents`) has not landed yet, so no value is read
//! and `best_val_loss` stays `null`; this is wired to the reader as soon as it lands.

use crate::Result;
use std::path::Path;

/// The tag Lightning Pose's best checkpoint is chosen by.
pub const VAL_LOSS_TAG: &str = "val_supervised_loss";

/// `(step, value)` of the lowest `val_supervised_loss` in one events file (interim: none).
pub fn best_val_loss_in(_file: &Path) -> Result<Option<(i64, f64)>> {
    Ok(None)
}
