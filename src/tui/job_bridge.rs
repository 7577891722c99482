//! Starts the app's train/predict jobs on background threads through the engine's job API
//! (the same `engine::start_train` / `engine::start_predict` the CLI uses) and forwards their
//! events, stamped with the seconds since the start, to the app's one channel as
//! [`Msg::Job`]. The UI thread only flips a job's cancel flag.

use crate::tui::msg::Msg;
use crate::tui::state::job_list::{JobBody, JobEnd, JobMsg, JobSpec};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The jobs started by this workstation.
pub struct JobRunner {
    tx: Sender<Msg>,
    cancels: HashMap<u64, Arc<AtomicBool>>,
    /// The forwarding threads (one per started job).
    threads: Vec<JoinHandle<()>>,
}

impl JobRunner {
    pub fn new(tx: Sender<Msg>) -> JobRunner {
        JobRunner {
            tx,
            cancels: HashMap::new(),
            threads: Vec::new(),
        }
    }

    /// Starts job `id`; its events and its end arrive as `Msg::Job`.
    pub fn start(&mut self, id: u64, spec: &JobSpec) {
        let t0 = Instant::now();
        let tx = self.tx.clone();
        let send = move |body: JobBody| {
            let _ = tx.send(Msg::Job(JobMsg {
                id,
                t: t0.elapsed().as_secs_f64(),
                body,
            }));
        };
        match spawn(spec.clone(), send) {
            Ok((cancel, handle)) => {
                self.cancels.insert(id, cancel);
                self.threads.extend(handle);
            }
            Err((e, send)) => send(JobBody::Ended(JobEnd::Failed(e))),
        }
    }

    /// Tells job `id` to stop after its current step.
    pub fn cancel(&self, id: u64) {
        if let Some(c) = self.cancels.get(&id) {
            c.store(true, Ordering::Relaxed);
        }
    }

    /// On quit: cancels every job and waits (at most `limit`) for them to save and mark their
    /// runs CANCELED, so no run is left looking as if it were still training.
    pub fn shutdown(&mut self, limit: Duration) {
        for c in self.cancels.values() {
            c.store(true, Ordering::Relaxed);
        }
        let until = Instant::now() + limit;
        while self.threads.iter().any(|h| !h.is_finished()) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn any_running(&self) -> bool {
        self.threads.iter().any(|h| !h.is_finished())
    }
}

/// The job's cancel flag and its forwarding thread (`None`: the thread could not start and
/// the job's failure was sent instead).
type Spawned = (Arc<AtomicBool>, Option<JoinHandle<()>>);

#[cfg(feature = "engine")]
fn spawn<F>(spec: JobSpec, send: F) -> Result<Spawned, (String, F)>
where
    F: Fn(JobBody) + Send + Sync + 'static,
{
    use crate::engine::{self, DeviceRequest, PredictRequest, TrainRequest};
    let device = |s: &str| s.parse::<DeviceRequest>().unwrap_or_default();
    match spec {
        JobSpec::Train(t) => {
            let req = TrainRequest {
                project: t.project.clone(),
                config: t.config.clone(),
                name: t.name.clone(),
                device: device(&t.device),
                resume: t.resume.clone(),
                backbone_weights: None,
                workers: None,
                // The form's values, written over the config by the engine (which writes the
                // effective config into the run folder as usual).
                overrides: t.overrides.clone(),
                run_dir: None,
            };
            let job = engine::start_train(req);
            let cancel = job.cancel_flag();
            let h = forward(job, send, move |r| match r {
                Ok(o) if o.status == "CANCELED" => JobEnd::Canceled(format!(
                    "canceled after {} steps; resume with R in the Models view",
                    o.global_step
                )),
                Ok(o) => {
                    let px = ["test", "validation", "train"]
                        .iter()
                        .find_map(|s| o.pixel_error.get(*s).map(|e| (s, e.mean)));
                    JobEnd::Completed(format!(
                        "{} after {} epochs, {:.1} images/s{}",
                        o.status,
                        o.epochs_done,
                        o.train_images_per_sec,
                        px.map(|(s, m)| format!(", {s} pixel error {m:.2}"))
                            .unwrap_or_default()
                    ))
                }
                Err(e) => JobEnd::Failed(e.to_string()),
            });
            Ok((cancel, h))
        }
        JobSpec::Predict {
            run,
            sources,
            device: d,
        } => {
            let job = engine::start_predict(PredictRequest {
                run,
                sources,
                out: None,
                device: device(&d),
                batch: None,
            });
            let cancel = job.cancel_flag();
            let h = forward(job, send, |r| match r {
                Ok(o) if o.canceled => JobEnd::Canceled(format!(
                    "canceled after {} complete source(s)",
                    o.outputs.len()
                )),
                Ok(o) => JobEnd::Completed(format!(
                    "wrote {} file(s), {:.1} frames/s{}",
                    o.outputs.len(),
                    o.frames_per_sec,
                    o.outputs
                        .first()
                        .and_then(|(p, _)| p.parent())
                        .map(|d| format!(" into {}", d.display()))
                        .unwrap_or_default()
                )),
                Err(e) => JobEnd::Failed(e.to_string()),
            });
            Ok((cancel, h))
        }
    }
}

#[cfg(not(feature = "engine"))]
fn spawn<F>(_: JobSpec, send: F) -> Result<Spawned, (String, F)>
where
    F: Fn(JobBody) + Send + Sync + 'static,
{
    Err((
        "this build has no training engine (built without the `engine` feature)".into(),
        send,
    ))
}

/// Forwards a job's events until it ends, then its outcome. When no thread can be started
/// the job is canceled and reported failed at once.
#[cfg(feature = "engine")]
fn forward<T: Send + 'static>(
    job: crate::engine::Job<T>,
    send: impl Fn(JobBody) + Send + Sync + 'static,
    end: impl FnOnce(crate::Result<T>) -> JobEnd + Send + 'static,
) -> Option<JoinHandle<()>> {
    let send = Arc::new(send);
    let fail = send.clone();
    let cancel = job.cancel_flag();
    let body = move || {
        while !job.is_finished() {
            if let Some(e) = job.next_event(Duration::from_millis(100)) {
                send(JobBody::Event(e));
            }
        }
        for e in job.drain_events() {
            send(JobBody::Event(e));
        }
        send(JobBody::Ended(end(job.wait())));
    };
    match std::thread::Builder::new()
        .name("job-events".into())
        .spawn(body)
    {
        Ok(h) => Some(h),
        Err(e) => {
            cancel.store(true, Ordering::Relaxed);
            fail(JobBody::Ended(JobEnd::Failed(format!(
                "cannot start a thread for the job's events: {e}"
            ))));
            None
        }
    }
}
