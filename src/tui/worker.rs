//! Latest-request-wins workers: a request slot that a newer request overwrites, served by one
//! background thread. Stale work is never started; results carry the request's generation so
//! the app drops any that arrive after a newer request.

use std::sync::{Arc, Condvar, Mutex};

struct Slot<R> {
    req: Option<(u64, R)>,
    closed: bool,
}

/// The sending side; dropping it stops the thread once it finishes its current job.
pub struct Latest<R> {
    shared: Arc<(Mutex<Slot<R>>, Condvar)>,
    generation: u64,
}

impl<R: Send + 'static> Latest<R> {
    /// Starts a thread that calls `work(generation, request)` for the newest request.
    pub fn spawn(name: &str, mut work: impl FnMut(u64, R) + Send + 'static) -> Latest<R> {
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
                    work(job.0, job.1);
                }
            });
        Latest {
            shared,
            generation: 0,
        }
    }

    /// Replaces any request not yet started; returns its generation.
    pub fn submit(&mut self, req: R) -> u64 {
        self.generation += 1;
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
}
