//! Cancel: `scancel ID` under the client timeout. SLURM sends the batch script SIGTERM (the
//! worker saves a resumable checkpoint and writes CANCELED) and SIGKILL `KillWait` later.

use super::client;
use super::submit::read_record;
use super::view::{SlurmView, view_for_run};
use crate::{Error, Result};
use std::path::Path;

/// Cancels the job of the folder `dir` (its `slurm_job.json`). A job SLURM reports finished
/// is not canceled again (scancel of such an id says nothing): that is an error naming its
/// state. Returns SLURM's view from before the cancel.
pub fn cancel_run(dir: &Path) -> Result<SlurmView> {
    let rec = read_record(dir)?.ok_or_else(|| {
        Error::usage(format!(
            "{}: no {} (not a SLURM job folder)",
            crate::util::escape_path(dir),
            super::submit::RECORD
        ))
    })?;
    let view = view_for_run(dir).unwrap_or_else(|| Err(Error::usage("no record")))?;
    if view.is_final() {
        return Err(Error::usage(format!(
            "SLURM job {} already ended: {}",
            rec.job_id, view.summary
        )));
    }
    cancel_id(rec.job_id)?;
    Ok(view)
}

/// `scancel ID`.
pub fn cancel_id(id: u64) -> Result<()> {
    client::run_ok("scancel", &[&id.to_string()], None).map(|_| ())
}
