//! Latest-request-wins workers: a request slot that a newer request overwrites, served by one
//! background thread. Stale work is never started; results carry the request's generation so
//! the app drops any that arrive after a newer request. A long job can ask between its
//! parts whether a newer request came in ([`Newest::superseded`]) and stop there.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

struct Slot<R> {
    req: Option<(u64, R)>,
    closed: bool,
}

/// The sending side; dropping it stops the thread once it finishes its current job.
pub struct Latest<R> {
    shared: Arc<(Mutex<Slot<R>>, Condvar)>,
    generation: u64,
    newest: Newest,
}

/// The generation of the newest request, as the worker thread sees it.
#[derive(Clone, Default)]
pub struct Newest(Arc<AtomicU64>);

impl Newest {
    /// A request newer than `generation` was submitted (the job in hand is stale).
    pub fn superseded(&self, generation: u64) -> bool {
        self.0.load(Ordering::Acquire) > generation
    }
}

impl<R: Send + 'static> Latest<R> {
    /// Starts a thread that calls `work(generation, request)` for the newest request.
    pub fn spawn(name: &str, mut work: impl FnMut(u64, R) + Send + 'static) -> Latest<R> {
        Latest::spawn_checked(name, move |g, r, _| work(g, r))
    }

    /// [`Latest::spawn`] whose `work` is also handed the [`Newest`] generation, to stop a
    /// long job a newer request made stale.
    pub fn spawn_checked(
        name: &str,
        mut work: impl FnMut(u64, R, &Newest) + Send + 'static,
    ) -> Latest<R> {
        let newest = Newest::default();
        let seen = newest.clone();
        let shared = Arc::new((
            Mutex::new(Slot {
                req: None,
                closed: false,
            }),
            Condvar::new(),
        ));
        let s2 = Arc::clone(&shared);
        let _ = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                loop {
                    let job = {
                        let (lock, cv) = &*s2;
                        let Ok(mut slot) = lock.lock() else { return };
                        loop {
                            if let Some(j) = slot.req.take() {
                                break j;
                            }
                            if slot.closed {
                                return;
                            }
                            slot = match cv.wait(slot) {
                                Ok(s) => s,
                                Err(_) => return,
                            };
                        }
                    };
                    work(job.0, job.1, &seen);
                }
            });
        Latest {
            shared,
            generation: 0,
            newest,
        }
    }

    /// Replaces any request not yet started; returns its generation.
    pub fn submit(&mut self, req: R) -> u64 {
        self.generation += 1;
        self.newest.0.store(self.generation, Ordering::Release);
        let (lock, cv) = &*self.shared;
        if let Ok(mut slot) = lock.lock() {
            slot.req = Some((self.generation, req));
            cv.notify_one();
        }
        self.generation
    }

    /// The generation of the newest request (results with another one are stale).
    pub fn current(&self) -> u64 {
        self.generation
    }
}

impl<R> Drop for Latest<R> {
    fn drop(&mut self) {
        let (lock, cv) = &*self.shared;
        if let Ok(mut slot) = lock.lock() {
            slot.closed = true;
            cv.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn newer_requests_replace_pending_ones() {
        let (tx, rx) = mpsc::channel();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let mut w = Latest::spawn("t", move |g, r: u32| {
            if r == 0 {
                let _ = gate_rx.recv();
            }
            let _ = tx.send((g, r));
        });
        w.submit(0); // blocks the worker until the gate opens
        std::thread::sleep(Duration::from_millis(50));
        for i in 1..=5 {
            w.submit(i);
        }
        gate_tx.send(()).unwrap();
        let a = rx.recv_timeout(Duration::from_secs(2)).unwrap();
        let b = rx.recv_timeout(Duration::from_secs(2)).unwrap();
        assert_eq!(a, (1, 0));
        assert_eq!(b, (6, 5), "only the newest pending request runs");
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
        assert_eq!(w.current(), 6);
    }

    #[test]
    fn a_job_sees_that_it_was_superseded() {
        let (tx, rx) = mpsc::channel();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let mut w = Latest::spawn_checked("t", move |g, (): (), newest| {
            let _ = gate_rx.recv();
            let _ = tx.send((g, newest.superseded(g)));
        });
        w.submit(());
        std::thread::sleep(Duration::from_millis(50));
        w.submit(());
        gate_tx.send(()).unwrap();
        gate_tx.send(()).unwrap();
        let first = rx.recv_timeout(Duration::from_secs(2)).unwrap();
        let second = rx.recv_timeout(Duration::from_secs(2)).unwrap();
        assert_eq!(
            first,
            (1, true),
            "the first job knows a newer one is waiting"
        );
        assert_eq!(second, (2, false));
    }
}
