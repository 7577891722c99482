//! What the Curves view plots for one tag: every run's series prepared (x, raw, smoothed),
//! the x extent and the y range, downsampled to one value per column. Building one costs
//! O(points) (a 900,000-scalar run has ~99,000 points per tag), so it is never done on the
//! UI thread of a live session: the plot worker (`tui::plots`) builds from a snapshot of the
//! scalars and the views draw the latest plot it sent.

use crate::tui::chart::{XAxis, range, series};
use crate::tui::scalars::{ScalarStore, Series};
use std::cell::Cell;

/// One drawable series of one run (a run split at a step reset gives several).
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    pub run: String,
    pub part: usize,
    pub prepared: series::Prepared,
    pub steps: Vec<i64>,
    /// Raw and smoothed values downsampled to one per column (what is drawn).
    pub raw_cols: Vec<(f64, f64)>,
    pub smooth_cols: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// What it was built for.
    pub key: PlotKey,
    pub drawn: Vec<Drawn>,
    /// Extent of every x (infinite when nothing is finite).
    pub x: (f64, f64),
    pub y: Option<(f64, f64)>,
}

/// What a plot depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotKey {
    pub tag: String,
    /// [`ScalarStore::tag_generation`] of the tag.
    pub generation: u64,
    pub x_axis: XAxis,
    pub smoothing: f64,
    pub log_y: bool,
    pub ignore_outliers: bool,
    /// Columns to downsample to.
    pub cols: usize,
    /// Runs left out (by name, sorted).
    pub hidden: Vec<String>,
}

thread_local! {
    /// Plots built on this thread (the test that the UI thread's draw builds none).
    static BUILDS: Cell<u64> = const { Cell::new(0) };
}

/// How many plots this thread has built so far.
pub fn builds_on_this_thread() -> u64 {
    BUILDS.with(Cell::get)
}

/// The plot of `k` from the store (the synchronous build: what the worker's plot equals).
pub fn build(store: &ScalarStore, k: &PlotKey) -> Plot {
    build_from(&store.snapshot(&k.tag, &k.hidden), k)
}

/// The plot of `k` from a snapshot of the tag's series (run name, points), the runs in
/// their order and the hidden ones already left out ([`ScalarStore::snapshot`]).
pub fn build_from(runs: &[(String, Series)], k: &PlotKey) -> Plot {
    BUILDS.with(|b| b.set(b.get() + 1));
    let mut drawn = Vec::new();
    for (name, points) in runs {
        let points = points.contiguous();
        let t0 = points.first().map(|p| p.wall).unwrap_or(0.0);
        for (i, part) in series::split_resets(&points).into_iter().enumerate() {
            drawn.push(Drawn {
                run: name.clone(),
                part: i,
                prepared: series::prepare(part, k.x_axis, t0, k.smoothing, k.log_y),
                steps: part.iter().map(|p| p.step).collect(),
                raw_cols: Vec::new(),
                smooth_cols: Vec::new(),
            });
        }
    }
    let x = drawn
        .iter()
        .flat_map(|d| d.prepared.x.iter().copied())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    let y = range::y_range(
        drawn.iter().flat_map(|d| {
            d.prepared
                .raw
                .iter()
                .chain(d.prepared.smooth.iter())
                .copied()
        }),
        k.ignore_outliers,
    );
    let mut plot = Plot {
        key: k.clone(),
        drawn,
        x,
        y,
    };
    if let Some((x0, x1)) = plot.x_bounds() {
        for d in &mut plot.drawn {
            let p = &d.prepared;
            (d.raw_cols, d.smooth_cols) =
                series::downsample_pair(&p.x, &p.raw, &p.smooth, x0, x1, k.cols);
        }
    }
    plot
}

impl Plot {
    /// The x bounds to draw (a single x widened by one each way); `None` when nothing is
    /// finite.
    pub fn x_bounds(&self) -> Option<(f64, f64)> {
        let (x0, x1) = self.x;
        if !x0.is_finite() || !x1.is_finite() {
            return None;
        }
        Some(if x1 > x0 {
            (x0, x1)
        } else {
            (x0 - 1.0, x1 + 1.0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::chart::Point;
    use crate::tui::scalars::ScalarUpdate;

    fn pts(a: i64, b: i64) -> Vec<(String, Point)> {
        (a..b)
            .map(|i| {
                (
                    "loss".to_string(),
                    Point {
                        step: i,
                        wall: i as f64,
                        value: 1.0 / (i + 1) as f64,
                    },
                )
            })
            .collect()
    }

    fn key(s: &ScalarStore) -> PlotKey {
        PlotKey {
            tag: "loss".into(),
            generation: s.tag_generation("loss"),
            x_axis: XAxis::Step,
            smoothing: 0.6,
            log_y: false,
            ignore_outliers: true,
            cols: 100,
            hidden: Vec::new(),
        }
    }

    #[test]
    fn built_from_a_snapshot_that_appends_leave_alone() {
        let mut s = ScalarStore::default();
        s.apply(ScalarUpdate {
            run: "r".into(),
            points: pts(0, 10),
            ..Default::default()
        });
        let a = build(&s, &key(&s));
        assert_eq!(a.x, (0.0, 9.0));
        assert_eq!(a.key, key(&s));
        // A hidden run is not drawn.
        let mut hidden = key(&s);
        hidden.hidden = vec!["r".into()];
        assert!(build(&s, &hidden).drawn.is_empty());
        // A snapshot taken before an append still holds the points it had (the append
        // copied the shared series), and builds what the store built then.
        let snap = s.snapshot("loss", &[]);
        let before = builds_on_this_thread();
        s.apply(ScalarUpdate {
            run: "r".into(),
            points: pts(10, 12),
            ..Default::default()
        });
        assert_eq!(snap[0].1.len(), 10);
        assert_eq!(build_from(&snap, &a.key), a);
        let b = build(&s, &key(&s));
        assert_eq!(builds_on_this_thread(), before + 2);
        assert_eq!(b.x, (0.0, 11.0));
        assert_eq!(b.drawn[0].steps.len(), 12);
        assert_ne!(a.key, b.key, "the tag's generation moved on");
        // Scalars of another tag leave the tag's generation as it is.
        s.apply(ScalarUpdate {
            run: "r".into(),
            points: vec![(
                "epoch".into(),
                Point {
                    step: 12,
                    wall: 0.0,
                    value: 1.0,
                },
            )],
            ..Default::default()
        });
        assert_eq!(key(&s), b.key);
    }
}
