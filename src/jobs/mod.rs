//! Jobs that outlive the workstation: each train or predict job is a worker process in its own
//! session that writes its folder (the run folder of a training), started by the project's
//! scheduler when a device slot is free, listed and canceled from the folders by any
//! workstation or script.
//!
//! - [`events`]: the progress stream `posedeck_events.jsonl` (writer and tolerant reader).
//! - [`job_file`]: `posedeck_job.json` (kind, request, attempt, where it was started), claims.
//! - [`pending`]: preparing a PENDING job folder (`prepare_train`, `prepare_predict`).
//! - [`worker`]: starting a worker detached, and the worker's body.
//! - [`list`]: every job of a project with its state, progress, rate and log tail.
//! - [`cancel`]: canceling a queued or running job.
//! - [`lock`], [`slots`], [`queue`]: the scheduler (one per project) and its device slots.
//! - [`slurm`]: jobs submitted to SLURM, and SLURM's view of them.

pub mod cancel;
pub mod events;
pub mod job_file;
pub mod list;
pub mod lock;
#[cfg(feature = "engine")]
pub mod pending;
pub mod queue;
pub mod slots;
pub mod slurm;
pub mod worker;
