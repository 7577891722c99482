//! The label worker: opens label files for edit mode and writes them, one job after another
//! on one background thread (a write never races another write of the same file), so that a
//! big `.slp` being read or written never blocks a redraw or a key. Jobs and results travel
//! as [`LabelJob`] and [`LabelIoMsg`]; the headless runner calls [`run_job`] inline.

use crate::tui::data::FrameOrigin;
use crate::tui::msg::Msg;
use crate::tui::state::label_doc::{Doc, WriteDone, WriteJob};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One job for the label worker; `id` comes back with its result.
pub enum LabelJob {
    Open { id: u64, origin: FrameOrigin },
    Write { id: u64, job: WriteJob },
}

/// What the label worker reports.
pub enum LabelIoMsg {
    Opened {
        id: u64,
        result: Result<Box<Doc>, String>,
    },
    Written {
        id: u64,
        result: Result<WriteDone, String>,
    },
}

impl std::fmt::Debug for LabelIoMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabelIoMsg::Opened { id, result } => {
                write!(f, "Opened({id}, ok: {})", result.is_ok())
            }
            LabelIoMsg::Written { id, result } => {
                write!(f, "Written({id}, ok: {})", result.is_ok())
            }
        }
    }
}

/// A job carried in an [`crate::tui::app::Effect`] (which must be `Clone` and `PartialEq`):
/// taken out once by whoever carries the effect out; equal only to itself.
#[derive(Clone)]
pub struct JobSlot(Arc<Mutex<Option<LabelJob>>>);

impl JobSlot {
    pub fn new(job: LabelJob) -> JobSlot {
        JobSlot(Arc::new(Mutex::new(Some(job))))
    }
    pub fn take(&self) -> Option<LabelJob> {
        self.0.lock().ok()?.take()
    }
}

impl PartialEq for JobSlot {
    fn eq(&self, o: &Self) -> bool {
        Arc::ptr_eq(&self.0, &o.0)
    }
}

impl std::fmt::Debug for JobSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobSlot")
    }
}

/// Carries out one job.
pub fn run_job(job: LabelJob) -> LabelIoMsg {
    match job {
        LabelJob::Open { id, origin } => LabelIoMsg::Opened {
            id,
            result: Doc::open(&origin).map(Box::new),
        },
        LabelJob::Write { id, job } => LabelIoMsg::Written {
            id,
            result: job.run(),
        },
    }
}

/// The live session's label worker thread.
pub struct LabelWorker {
    jobs: Option<Sender<LabelJob>>,
    thread: Option<JoinHandle<()>>,
}

impl LabelWorker {
    /// Starts the thread; its results go to `tx`.
    pub fn spawn(tx: Sender<Msg>) -> LabelWorker {
        let (jtx, jrx) = mpsc::channel::<LabelJob>();
        let thread = std::thread::Builder::new()
            .name("label-io".into())
            .spawn(move || {
                for job in jrx {
                    if tx.send(Msg::LabelIo(Box::new(run_job(job)))).is_err() {
                        // The app is gone; later jobs (writes) still run to the end.
                        continue;
                    }
                }
            })
            .ok();
        LabelWorker {
            jobs: Some(jtx),
            thread,
        }
    }

    /// Queues a job; `false` when the worker is not running.
    pub fn submit(&self, job: LabelJob) -> bool {
        self.jobs.as_ref().is_some_and(|t| t.send(job).is_ok())
    }

    /// Waits for every queued job (a write in flight ends with its file replaced whole, or
    /// not at all), then ends the thread.
    pub fn shutdown(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for LabelWorker {
    fn drop(&mut self) {
        self.shutdown();
    }
}
