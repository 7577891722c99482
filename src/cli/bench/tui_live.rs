//! `posedeck bench tui`, the live part: the Curves view while a training run appends to its
//! events file. A writer thread appends a batch of steps (one point of every tag of the big
//! run per step) to a fresh events file of that run every `BATCH_GAP`, and reads it back with
//! the workstation's own tailer, as the scalars worker does after the watcher's event; the
//! loop below is the runner's (messages drained, plots asked of the real plot worker thread,
//! a redraw at most every 16 ms when something changed) on ratatui's TestBackend.
//!
//! Measured: every redraw (median, p99, max; wall and CPU time), the UI thread's handling of
//! a batch of new scalars and its plot request, the time from a batch read to a plot holding
//! it, and the
//! CPU time of the process split into the UI thread, the writer/tailer thread and the rest
//! (the plot worker).

use crate::formats::tfevents::EventsWriter;
use crate::tui::app::App;
use crate::tui::jobs::{ScalarReq, ScalarsReader};
use crate::tui::msg::Msg;
use ratatui::layout::Rect;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Between two batches of appended points (the watcher's debounce is 80 ms: a live session
/// reads a growing file at most about every 0.1 s).
const BATCH_GAP: Duration = Duration::from_millis(100);
/// Training steps per batch.
const STEPS_PER_BATCH: i64 = 10;
/// The runner's shortest gap between two redraws.
const FRAME_GAP: Duration = Duration::from_millis(16);

/// Median, 99th percentile and maximum of a set of durations.
#[derive(Debug, Clone, Copy, Serialize, Default)]
pub struct Spread {
    pub median_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub n: usize,
}

impl Spread {
    pub fn of(mut secs: Vec<f64>) -> Spread {
        secs.sort_by(f64::total_cmp);
        let n = secs.len();
        if n == 0 {
            return Spread::default();
        }
        // Nearest rank.
        let rank = |p: f64| secs[((p * n as f64).ceil() as usize).clamp(1, n) - 1] * 1e3;
        Spread {
            median_ms: rank(0.5),
            p99_ms: rank(0.99),
            max_ms: secs[n - 1] * 1e3,
            n,
        }
    }

    /// "0.84 ms (p99 1.31, max 2.02; 300)".
    pub fn show(&self) -> String {
        format!(
            "{:.2} ms (p99 {:.2}, max {:.2}; n {})",
            self.median_ms, self.p99_ms, self.max_ms, self.n
        )
    }
}

#[derive(Debug, Clone, Copy, Serialize, Default)]
pub struct Cpu {
    pub process_s: f64,
    pub ui_thread_s: f64,
    /// Appending to the events file and reading it back (the scalars worker's part).
    pub writer_tailer_s: f64,
    /// The rest: the plot worker.
    pub plot_worker_s: f64,
}

#[derive(Debug, Serialize)]
pub struct Live {
    pub view: String,
    pub secs: f64,
    pub batches: usize,
    pub points_appended: usize,
    pub redraw: Spread,
    /// The UI thread's CPU time per redraw (what the load on the machine does not inflate).
    pub redraw_cpu: Spread,
    /// The UI thread handling one batch of new scalars (appending them to the store).
    pub apply: Spread,
    /// The UI thread working out what to plot and submitting it.
    pub request: Spread,
    pub plots_built: usize,
    /// From a batch of new points handled to a plot holding them arriving (per plot: its
    /// tag's newest batch).
    pub plot_latency: Spread,
    /// Requests a newer one overtook before all their plots came.
    pub requests_superseded: usize,
    /// Requests whose every plot came.
    pub requests_completed: usize,
    pub cpu: Cpu,
    /// CPU time of the whole process per batch of appended points.
    pub cpu_per_batch_ms: f64,
}

/// CPU time (user + system) of this process, or of the calling thread.
fn cpu(who: libc::c_int) -> f64 {
    // SAFETY: getrusage writes the struct it is handed; an all-zero rusage is valid.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut u) } != 0 {
        return f64::NAN;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// This thread's CPU time in seconds (nanosecond clock: fine enough for one redraw).
pub fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is handed.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Appends batches to a new events file of `run` and reads them back with the tailer, every
/// [`BATCH_GAP`] for `secs`; returns its thread's CPU time.
fn writer(
    tx: mpsc::Sender<Msg>,
    (run, dir): (String, PathBuf),
    tags: Vec<String>,
    first_step: i64,
    secs: Duration,
) -> anyhow::Result<std::thread::JoinHandle<anyhow::Result<f64>>> {
    let folder = std::env::temp_dir().join(format!("posedeck-tui-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let h = std::thread::Builder::new()
        .name("bench-writer".into())
        .spawn(move || {
            let result = (|| {
                let mut w = EventsWriter::create(&folder)?;
                let file = w.path().to_path_buf();
                let mut reader = ScalarsReader::default();
                let end = Instant::now() + secs;
                let mut step = first_step;
                while Instant::now() < end {
                    let next = Instant::now() + BATCH_GAP;
                    for _ in 0..STEPS_PER_BATCH {
                        for (i, t) in tags.iter().enumerate() {
                            let v = 0.05 + 1.0 / (1.0 + step as f32 * 1e-4) + (i as f32) * 0.01;
                            w.add_scalar(t, v, step)?;
                        }
                        step += 1;
                    }
                    w.flush()?;
                    let req = ScalarReq {
                        file: file.clone(),
                        run: run.clone(),
                        dir: dir.clone(),
                    };
                    if let Some(u) = reader.read(req)
                        && tx.send(Msg::Scalars(u)).is_err()
                    {
                        break;
                    }
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                }
                Ok(cpu(libc::RUSAGE_THREAD))
            })();
            let _ = std::fs::remove_dir_all(&folder);
            result
        })?;
    Ok(h)
}

/// The Curves view of `app` as it is (the grid or the enlarged chart) for `secs` while the
/// big run `run` is written to.
pub fn measure(
    app: &mut App,
    size: Rect,
    view: &str,
    run: (String, PathBuf),
    secs: Duration,
) -> anyhow::Result<Live> {
    let tags: Vec<String> = app
        .scalars
        .runs
        .get(&run.0)
        .map(|r| r.tags.keys().cloned().collect())
        .unwrap_or_default();
    let first_step = app
        .scalars
        .runs
        .get(&run.0)
        .and_then(|r| r.tags.values().flat_map(|s| s.last()).map(|p| p.step).max())
        .unwrap_or(0)
        + 1;
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(size.width, size.height))?;
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut worker = crate::tui::plots::spawn(tx.clone());
    let (mut redraw, mut apply, mut request, mut latency) = (vec![], vec![], vec![], vec![]);
    let mut redraw_cpu = Vec::new();
    let (mut batches, mut points, mut plots) = (0, 0, 0);
    // Requests in flight: generation -> plots still to come.
    let mut pending: HashMap<u64, usize> = HashMap::new();
    let (mut superseded, mut completed) = (0, 0);
    // When each batch was handled, by the scalar store's generation after it.
    let mut arrived: HashMap<u64, Instant> = HashMap::new();
    let (p0, ui0) = (cpu(libc::RUSAGE_SELF), cpu(libc::RUSAGE_THREAD));
    let started = Instant::now();
    let w = writer(tx, run, tags, first_step, secs)?;
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME_GAP;
    // Once the writer is done, the last request's plots are waited for (at most 5 s).
    let mut until: Option<Instant> = None;
    loop {
        if w.is_finished() {
            let end = *until.get_or_insert_with(|| Instant::now() + Duration::from_secs(5));
            if (pending.is_empty() && !dirty) || Instant::now() >= end {
                break;
            }
        }
        let wait = if dirty {
            (last_draw + FRAME_GAP).saturating_duration_since(Instant::now())
        } else {
            Duration::from_millis(500)
        };
        let wait = wait.min(Duration::from_millis(50));
        let mut next = rx.recv_timeout(wait).ok();
        while let Some(m) = next.take() {
            match m {
                Msg::Scalars(u) => {
                    batches += 1;
                    points += u.points.len();
                    let t = Instant::now();
                    dirty |= app.handle(Msg::Scalars(u));
                    apply.push(t.elapsed().as_secs_f64());
                    arrived.insert(app.scalars.generation, t);
                }
                Msg::Plot(p) => {
                    plots += 1;
                    let g = p.generation;
                    if let Some(t) = arrived.get(&p.plot.key.generation) {
                        latency.push(t.elapsed().as_secs_f64());
                    }
                    dirty |= app.handle(Msg::Plot(p));
                    if let Some(left) = pending.get_mut(&g) {
                        *left -= 1;
                        if *left == 0 {
                            completed += 1;
                            pending.remove(&g);
                        }
                    }
                }
                m => dirty |= app.handle(m),
            }
            next = rx.try_recv().ok();
        }
        let t = Instant::now();
        if let Some(job) = crate::tui::plots::next_job(app, size) {
            let (n, g) = (job.items.len(), job.generation);
            worker.submit(job);
            superseded += pending.len();
            pending.clear();
            pending.insert(g, n);
        }
        request.push(t.elapsed().as_secs_f64());
        if dirty && Instant::now() >= last_draw + FRAME_GAP {
            let (t, c) = (Instant::now(), thread_cpu());
            term.draw(|f| crate::tui::views::draw(app, f))?;
            redraw.push(t.elapsed().as_secs_f64());
            redraw_cpu.push(thread_cpu() - c);
            last_draw = Instant::now();
            dirty = false;
        }
    }
    let writer_s = w
        .join()
        .map_err(|_| anyhow::anyhow!("the writer thread panicked"))??;
    let elapsed = started.elapsed().as_secs_f64();
    let (p1, ui1) = (cpu(libc::RUSAGE_SELF), cpu(libc::RUSAGE_THREAD));
    drop(worker);
    let process_s = p1 - p0;
    let ui_thread_s = ui1 - ui0;
    Ok(Live {
        view: view.to_owned(),
        secs: elapsed,
        batches,
        points_appended: points,
        redraw: Spread::of(redraw),
        redraw_cpu: Spread::of(redraw_cpu),
        apply: Spread::of(apply),
        request: Spread::of(request),
        plots_built: plots,
        plot_latency: Spread::of(latency),
        requests_superseded: superseded,
        requests_completed: completed,
        cpu: Cpu {
            process_s,
            ui_thread_s,
            writer_tailer_s: writer_s,
            plot_worker_s: (process_s - ui_thread_s - writer_s).max(0.0),
        },
        cpu_per_batch_ms: process_s * 1e3 / batches.max(1) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn spread_by_nearest_rank() {
        let s = Spread::of((1..=100).map(|i| i as f64 / 1e3).collect());
        assert_eq!(
            (s.median_ms, s.p99_ms, s.max_ms, s.n),
            (50.0, 99.0, 100.0, 100)
        );
        assert_eq!(Spread::of(vec![]).n, 0);
    }
}
