//! Background jobs (training, prediction) for the CLI and the TUI: start one on a thread, read
//! its progress events from a channel, cancel it (it stops within one step), take its result.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// What a running job reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JobEvent {
    /// The device chosen and why.
    Device { name: String, reason: String },
    /// One warning (e.g. every config key posedeck does not implement, in one message).
    Warning(String),
    /// The model folder being written.
    RunDir(PathBuf),
    /// A new phase: "training", "evaluating", "predicting videos", "predicting".
    Phase(String),
    /// After each training step.
    Step {
        epoch: usize,
        epochs: usize,
        step: u64,
        batch: usize,
        batches: usize,
        loss: f64,
    },
    /// After each validation.
    Validation {
        epoch: usize,
        step: u64,
        loss: f64,
        rmse: f64,
    },
    /// Frames done in one inference source.
    Frames {
        source: String,
        done: usize,
        total: Option<usize>,
    },
    /// Anything else worth a line.
    Info(String),
}

/// Given to the job's body: the cancel flag and the event sender.
#[derive(Clone)]
pub struct JobCtx {
    cancel: Arc<AtomicBool>,
    tx: Option<Sender<JobEvent>>,
}

impl JobCtx {
    /// A context with no listener (for running a job body in place).
    pub fn detached(cancel: Arc<AtomicBool>) -> JobCtx {
        JobCtx { cancel, tx: None }
    }
    pub fn canceled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
    pub fn emit(&self, e: JobEvent) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(e);
        }
    }
}

/// A job running on its own thread.
pub struct Job<T> {
    events: Receiver<JobEvent>,
    cancel: Arc<AtomicBool>,
    handle: Option<JoinHandle<crate::Result<T>>>,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `body` on a new thread.
    pub fn spawn(body: impl FnOnce(&JobCtx) -> crate::Result<T> + Send + 'static) -> Job<T> {
        let (tx, rx) = channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let ctx = JobCtx {
            cancel: cancel.clone(),
            tx: Some(tx),
        };
        let handle = std::thread::Builder::new()
            .name("posedeck-job".into())
            .spawn(move || body(&ctx))
            .ok();
        Job {
            events: rx,
            cancel,
            handle,
        }
    }

    /// Asks the job to stop; it finishes its current step and saves what it needs to resume.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The cancel flag, for signal handlers.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// The next event, waiting at most `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Option<JobEvent> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Every event already sent.
    pub fn drain_events(&self) -> Vec<JobEvent> {
        self.events.try_iter().collect()
    }

    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Waits for the job's result; a panic becomes an error.
    pub fn wait(mut self) -> crate::Result<T> {
        let Some(h) = self.handle.take() else {
            return Err(crate::Error::usage("could not start a job thread"));
        };
        match h.join() {
            Ok(r) => r,
            Err(p) => Err(crate::Error::usage(format!(
                "internal error: {}",
                panic_message(&p)
            ))),
        }
    }
}

/// The text of a panic payload.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".into()
    }
}
