//! The plot worker: the Curves view's plots (series split, smoothed, ranged and downsampled,
//! [`crate::tui::chart::plot`]) are built on a thread of their own, never on the UI thread.
//!
//! After every batch of messages the event loop asks [`next_job`] what the Curves view is
//! about to draw ([`crate::tui::views::curves::wanted_plots`]: one key per chart, carrying
//! the tag's scalar generation, the settings and the column count). When that changed (new
//! scalars, the filter, smoothing, a hidden run, a resize), the keys no plot was built for
//! go to the worker with a snapshot of their series (shared `Arc`s, no copy), through a
//! latest-request-wins slot ([`crate::tui::worker::Latest`]): a newer request replaces one
//! not started and stops one in progress between two plots. Each plot comes back as a
//! [`crate::tui::msg::Msg::Plot`] with its request's generation; [`PlotStore`] keeps it
//! unless a newer request's plot of the same chart is there already. The views draw the plot
//! built for their key or, until it arrives, the newest one of the same tag: a redraw never
//! waits for a build.

use crate::tui::app::App;
use crate::tui::chart::plot::{self, Plot, PlotKey};
use crate::tui::msg::Msg;
use crate::tui::scalars::{ScalarStore, Series};
use crate::tui::worker::Latest;
use ratatui::layout::Rect;
use std::sync::Arc;
use std::sync::mpsc::Sender;

/// The plots to build, each with the series it is built from.
#[derive(Debug, Clone)]
pub struct PlotJob {
    /// The request's generation, counted by the [`PlotStore`] that made it.
    pub generation: u64,
    pub items: Vec<(PlotKey, Vec<(String, Series)>)>,
}

/// One plot the worker built, for the request of `generation`.
#[derive(Debug)]
pub struct Built {
    pub generation: u64,
    pub plot: Arc<Plot>,
}

struct Entry {
    plot: Arc<Plot>,
    /// The request it was built for.
    generation: u64,
    /// When it arrived (the oldest goes first when the store is full).
    tick: u64,
}

/// The plots the UI thread draws: the latest built per chart.
#[derive(Default)]
pub struct PlotStore {
    plots: Vec<Entry>,
    /// What the view wanted when the last request was made.
    asked: Vec<PlotKey>,
    /// The generation of the last request made (0: none yet).
    pub requested: u64,
    tick: u64,
}

/// Plots kept: a dashboard page of small charts, the enlarged one, and those around them.
const PLOTS_KEPT: usize = 64;

/// Two keys draw the same chart (the same tag at the same width), maybe of other data.
fn same_chart(a: &PlotKey, b: &PlotKey) -> bool {
    a.tag == b.tag && a.cols == b.cols
}

impl PlotStore {
    /// The plot to draw for `key`: the one built for it, else the newest of its tag (drawn
    /// until the one for `key` arrives); `None` when its tag has none yet.
    pub fn best(&self, key: &PlotKey) -> Option<&Arc<Plot>> {
        if let Some(e) = self.plots.iter().find(|e| e.plot.key == *key) {
            return Some(&e.plot);
        }
        self.plots
            .iter()
            .filter(|e| e.plot.key.tag == key.tag)
            .max_by_key(|e| (e.plot.key.cols == key.cols, e.generation, e.tick))
            .map(|e| &e.plot)
    }

    /// Whether a plot was built for exactly `key`.
    pub fn has(&self, key: &PlotKey) -> bool {
        self.plots.iter().any(|e| e.plot.key == *key)
    }

    /// Keeps a built plot; false (dropped) when it is there already, when a newer request's
    /// plot of the same chart is, or when it is not wanted now and the one wanted is.
    pub fn accept(&mut self, b: Built) -> bool {
        let key = &b.plot.key;
        let asked = &self.asked;
        let wanted = asked.contains(key);
        if self.plots.iter().any(|e| {
            same_chart(&e.plot.key, key)
                && (e.plot.key == *key
                    || e.generation > b.generation
                    || (!wanted && asked.contains(&e.plot.key)))
        }) {
            return false;
        }
        // Older versions of the same chart are of no use once it moved on.
        self.plots
            .retain(|e| !same_chart(&e.plot.key, key) || asked.contains(&e.plot.key));
        self.tick += 1;
        self.plots.push(Entry {
            plot: b.plot,
            generation: b.generation,
            tick: self.tick,
        });
        while self.plots.len() > PLOTS_KEPT {
            // The oldest not wanted now goes (a wanted one is never asked for again).
            let asked = &self.asked;
            let Some(i) = (0..self.plots.len())
                .filter(|&i| !asked.iter().any(|k| same_chart(k, &self.plots[i].plot.key)))
                .min_by_key(|&i| self.plots[i].tick)
            else {
                break;
            };
            self.plots.remove(i);
        }
        true
    }

    /// The job for the plots in `wanted` not built yet, when `wanted` differs from what was
    /// asked last (recorded as asked); the charts whose plot is oldest come first.
    pub fn job_for(&mut self, wanted: Vec<PlotKey>, store: &ScalarStore) -> Option<PlotJob> {
        if wanted == self.asked {
            return None;
        }
        // The charts drawn from the oldest plot first (none at all: first of all), so a job
        // a newer one stops makes room for the others next time: while points keep coming,
        // every chart of the page is refreshed in turn.
        let mut todo: Vec<(u64, &PlotKey)> = wanted
            .iter()
            .filter(|k| !self.has(k))
            .map(|k| {
                let age = self
                    .plots
                    .iter()
                    .filter(|e| same_chart(&e.plot.key, k))
                    .map(|e| e.tick)
                    .max()
                    .unwrap_or(0);
                (age, k)
            })
            .collect();
        todo.sort_by_key(|(age, _)| *age);
        let items: Vec<_> = todo
            .into_iter()
            .map(|(_, k)| (k.clone(), store.snapshot(&k.tag, &k.hidden)))
            .collect();
        self.asked = wanted;
        if items.is_empty() {
            return None;
        }
        self.requested += 1;
        Some(PlotJob {
            generation: self.requested,
            items,
        })
    }

    /// How many plots are kept.
    pub fn len(&self) -> usize {
        self.plots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.plots.is_empty()
    }
}

/// The plot job the Curves view needs on a screen of `screen` now, if any.
pub fn next_job(app: &mut App, screen: Rect) -> Option<PlotJob> {
    let wanted = crate::tui::views::curves::wanted_plots(app, screen);
    app.plots.job_for(wanted, &app.scalars)
}

/// Builds `job`'s plots in order (the worker's part, also run at once by headless
/// sessions), handing each to `out` as it is done; stops early when `stale()` says a newer
/// request came in. A plot the newer request asks for again is built again: remembering what
/// was sent would leave a chart without its plot when the store dropped that one as unwanted
/// and the view wants it back.
pub fn build_job(job: PlotJob, stale: impl Fn() -> bool, mut out: impl FnMut(Built)) {
    let generation = job.generation;
    for (key, series) in job.items {
        if stale() {
            break;
        }
        let p = plot::build_from(&series, &key);
        out(Built {
            generation,
            plot: Arc::new(p),
        });
    }
}

/// Starts the plot worker; its plots come back on `tx`.
pub fn spawn(tx: Sender<Msg>) -> Latest<PlotJob> {
    Latest::spawn_checked("plots", move |g, job, newest| {
        build_job(
            job,
            || newest.superseded(g),
            |b| {
                let _ = tx.send(Msg::Plot(Box::new(b)));
            },
        );
    })
}

/// Submits what the Curves view needs now to the worker (the runner's step after every
/// batch of messages).
pub fn request(app: &mut App, screen: Rect, worker: &mut Latest<PlotJob>) {
    if let Some(job) = next_job(app, screen) {
        worker.submit(job);
    }
}

/// [`request`] carried out at once on this thread (headless sessions: tests, benchmarks).
pub fn settle(app: &mut App, screen: Rect) {
    while let Some(job) = next_job(app, screen) {
        let mut built = Vec::new();
        build_job(job, || false, |b| built.push(b));
        for b in built {
            app.handle(Msg::Plot(Box::new(b)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::chart::{Point, XAxis};
    use crate::tui::scalars::ScalarUpdate;
    use std::time::Duration;

    fn store(runs: usize, points: i64) -> ScalarStore {
        let mut s = ScalarStore::default();
        for r in 0..runs {
            s.apply(ScalarUpdate {
                run: format!("run{r}"),
                points: (0..points)
                    .flat_map(|i| {
                        let p = Point {
                            step: i,
                            wall: 1000.0 + i as f64,
                            value: ((i * 7919 + r as i64) % 101) as f64 / (i + 1) as f64,
                        };
                        [("loss".to_string(), p), ("acc".to_string(), p)]
                    })
                    .collect(),
                ..Default::default()
            });
        }
        s
    }

    fn key(s: &ScalarStore, tag: &str, cols: usize) -> PlotKey {
        PlotKey {
            tag: tag.into(),
            generation: s.tag_generation(tag),
            x_axis: XAxis::Step,
            smoothing: 0.6,
            log_y: false,
            ignore_outliers: true,
            cols,
            hidden: vec!["run1".into()],
        }
    }

    #[test]
    fn the_worker_builds_what_the_synchronous_build_gives() {
        let mut s = store(3, 5000);
        let (tx, rx) = std::sync::mpsc::channel();
        let mut w = spawn(tx);
        let mut ps = PlotStore::default();
        let wanted = vec![key(&s, "loss", 120), key(&s, "acc", 40)];
        let job = ps.job_for(wanted.clone(), &s).expect("a job");
        assert!(ps.job_for(wanted.clone(), &s).is_none(), "asked already");
        let g = job.generation;
        w.submit(job);
        // The store goes on taking scalars while the worker builds from its snapshot.
        let before = s.clone();
        s.apply(ScalarUpdate {
            run: "run0".into(),
            points: vec![(
                "loss".into(),
                Point {
                    step: 9999,
                    wall: 0.0,
                    value: 5.0,
                },
            )],
            ..Default::default()
        });
        for k in &wanted {
            let Ok(Msg::Plot(b)) = rx.recv_timeout(Duration::from_secs(10)) else {
                panic!("no plot from the worker");
            };
            assert_eq!(b.generation, g);
            assert_eq!(*b.plot, plot::build(&before, k), "{}", k.tag);
            assert!(b.plot.drawn.iter().all(|d| d.run != "run1"), "hidden run");
            assert!(ps.accept(*b));
        }
        for k in &wanted {
            assert!(ps.has(k));
        }
        // The new scalar asks for the loss chart again; until it comes, the old one is drawn.
        let k2 = key(&s, "loss", 120);
        let job = ps.job_for(vec![k2.clone(), wanted[1].clone()], &s).unwrap();
        assert_eq!(job.items.len(), 1, "only the chart whose data changed");
        assert_eq!(ps.best(&k2).unwrap().key, wanted[0]);
        let g2 = job.generation;
        assert_eq!(g2, g + 1);
        w.submit(job);
        let Ok(Msg::Plot(b)) = rx.recv_timeout(Duration::from_secs(10)) else {
            panic!("no plot");
        };
        assert_eq!((b.generation, &b.plot.key), (g2, &k2));
        assert_eq!(*b.plot, plot::build(&s, &k2));
        // A late plot of an older request does not replace it.
        let late = Built {
            generation: g,
            plot: Arc::new(plot::build(&before, &wanted[0])),
        };
        assert!(ps.accept(*b));
        assert!(!ps.accept(late));
        assert_eq!(ps.best(&k2).unwrap().key, k2);
        // Smoothing changed and changed back while the first change was being built: the
        // first change's plot, arriving last, does not replace the wanted one.
        let mut smoother = k2.clone();
        smoother.smoothing = 0.9;
        let stale = Built {
            generation: g2 + 1,
            plot: Arc::new(plot::build(&s, &smoother)),
        };
        assert!(
            ps.job_for(vec![k2.clone(), wanted[1].clone()], &s)
                .is_none()
        );
        assert!(!ps.accept(stale));
        assert_eq!(ps.best(&k2).unwrap().key, k2);
    }

    #[test]
    fn a_newer_request_stops_a_stale_job_between_plots() {
        let s = store(2, 100);
        let job = PlotJob {
            generation: 1,
            items: (1..=5)
                .map(|c| (key(&s, "loss", c * 10), s.snapshot("loss", &[])))
                .collect(),
        };
        let n = std::cell::Cell::new(0);
        let mut out = Vec::new();
        build_job(
            job.clone(),
            || n.get() >= 2,
            |p| {
                n.set(n.get() + 1);
                out.push(p)
            },
        );
        assert_eq!(out.len(), 2, "stopped once superseded");
        assert!(
            out.iter().all(|p| p.plot.key.cols <= 20),
            "in the job's order"
        );
    }

    #[test]
    fn a_plot_dropped_as_unwanted_is_built_again_when_wanted_back() {
        // Smoothing 0.7 built, set to 0.6, back to 0.7 before the 0.6 plot came, then 0.6
        // again: the 0.6 plot that came while 0.7 was wanted was dropped, so it is rebuilt.
        let s = store(1, 50);
        let mut ps = PlotStore::default();
        let k6 = key(&s, "loss", 30);
        let mut k7 = k6.clone();
        k7.smoothing = 0.7;
        let job = ps.job_for(vec![k7.clone()], &s).unwrap();
        build_job(job, || false, |p| assert!(ps.accept(p)));
        let job6 = ps.job_for(vec![k6.clone()], &s).unwrap();
        assert!(ps.job_for(vec![k7.clone()], &s).is_none(), "0.7 is there");
        build_job(job6, || false, |p| assert!(!ps.accept(p), "unwanted now"));
        let job = ps.job_for(vec![k6.clone()], &s).expect("0.6 asked again");
        build_job(job, || false, |p| assert!(ps.accept(p)));
        assert_eq!(ps.best(&k6).unwrap().key, k6);
    }

    #[test]
    fn charts_left_behind_by_a_stopped_job_come_first_in_the_next() {
        let mut s = store(1, 10);
        let mut ps = PlotStore::default();
        let wanted =
            |s: &ScalarStore| -> Vec<_> { ["loss", "acc"].map(|t| key(s, t, 50)).to_vec() };
        let job = ps.job_for(wanted(&s), &s).unwrap();
        build_job(job, || false, |p| assert!(ps.accept(p)));
        // New points of both tags; the job is stopped after its first plot (loss).
        let more = |s: &mut ScalarStore, step: i64| {
            let p = Point {
                step,
                wall: 0.0,
                value: 1.0,
            };
            s.apply(ScalarUpdate {
                run: "run0".into(),
                points: vec![("loss".into(), p), ("acc".into(), p)],
                ..Default::default()
            });
        };
        more(&mut s, 100);
        let job = ps.job_for(wanted(&s), &s).unwrap();
        let order: Vec<_> = job.items.iter().map(|(k, _)| k.tag.clone()).collect();
        assert_eq!(order, ["loss", "acc"], "equal age: the view's order");
        let n = std::cell::Cell::new(0);
        build_job(
            job,
            || n.get() == 1,
            |p| {
                n.set(1);
                assert!(ps.accept(p));
            },
        );
        more(&mut s, 101);
        let job = ps.job_for(wanted(&s), &s).unwrap();
        let order: Vec<_> = job.items.iter().map(|(k, _)| k.tag.clone()).collect();
        assert_eq!(order, ["acc", "loss"], "the chart left behind first");
    }

    #[test]
    fn the_store_keeps_what_is_wanted() {
        let s = store(1, 10);
        let mut ps = PlotStore::default();
        let wanted: Vec<_> = (1..=3).map(|c| key(&s, "loss", c)).collect();
        let job = ps.job_for(wanted.clone(), &s).unwrap();
        build_job(job, || false, |p| assert!(ps.accept(p)));
        for c in 100..(100 + PLOTS_KEPT + 10) {
            ps.accept(Built {
                generation: 2,
                plot: Arc::new(plot::build(&s, &key(&s, "acc", c))),
            });
        }
        assert_eq!(ps.len(), PLOTS_KEPT);
        assert!(wanted.iter().all(|k| ps.has(k)), "wanted plots stay");
    }
}
