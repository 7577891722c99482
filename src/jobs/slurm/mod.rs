//! Jobs through SLURM, the cluster's own scheduler: the resources (`slurm.toml` and the
//! command line), the batch script, submission (`sbatch --parsable`, the id recorded in the
//! job folder), SLURM's view of a job beside its folder's own progress, and cancel.
//!
//! [`launch`] is the one way a new job is submitted (`train --slurm`, `predict --slurm`, the
//! train form); [`poller`] asks SLURM once per interval for every folder a workstation follows.
//!
//! Every client call runs under a timeout ([`client::timeout`]); its failure is one line
//! naming the command, shown rather than fatal.

pub mod attach;
pub mod cancel;
pub mod client;
pub mod config;
#[cfg(feature = "engine")]
pub mod launch;
pub mod parse;
pub mod poller;
pub mod script;
pub mod state;
pub mod submit;
pub mod view;

pub use config::{Overrides, Resources};
pub use submit::{JobRecord, read_record, submit_predict, submit_train};
pub use view::{SlurmView, shown_state, view_for_run, views_of};
