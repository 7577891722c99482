//! What the Curves view plots for one tag: every run's series prepared (x, raw, smoothed),
//! the x extent and the y range. Building it costs O(points) (a 900,000-scalar run has ~99,000
//! points per tag), so the last one is kept and reused until the scalars or the settings
//! change: a redraw then only downsamples.

use crate::tui::chart::{XAxis, range, series};
use crate::tui::scalars::ScalarStore;
use std::cell::RefCell;
use std::rc::Rc;

/// One drawable series of one run (a run split at a step reset gives several).
pub struct Drawn {
    pub run: String,
    pub part: usize,
    pub prepared: series::Prepared,
    pub steps: Vec<i64>,
    /// Raw and smoothed values downsampled to one per column (what is drawn).
    pub raw_cols: Vec<(f64, f64)>,
    pub smooth_cols: Vec<(f64, f64)>,
}

pub struct Plot {
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

pub fn build(store: &ScalarStore, k: &PlotKey) -> Plot {
    let mut drawn = Vec::new();
    for r in store.runs.values() {
        if k.hidden.binary_search(&r.name).is_ok() {
            continue;
        }
        let Some(points) = r.tags.get(&k.tag) else {
            continue;
        };
        let t0 = points.first().map(|p| p.wall).unwrap_or(0.0);
        for (i, part) in series::split_resets(points).into_iter().enumerate() {
            drawn.push(Drawn {
                run: r.name.clone(),
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
    let mut plot = Plot { drawn, x, y };
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

/// The plots built lately, each reused while its key holds (the UI thread's own memo: views
/// stay functions of the state). Holds enough for a dashboard grid; the least recently used
/// goes first.
#[derive(Default)]
pub struct PlotCache(RefCell<Vec<(PlotKey, Rc<Plot>, u64)>>, std::cell::Cell<u64>);

/// Plots kept: a full dashboard page of small charts and the enlarged one.
const PLOTS_KEPT: usize = 48;

impl PlotCache {
    pub fn get(&self, store: &ScalarStore, key: PlotKey) -> Rc<Plot> {
        let tick = self.1.get() + 1;
        self.1.set(tick);
        if let Some(e) = self.0.borrow_mut().iter_mut().find(|e| e.0 == key) {
            e.2 = tick;
            return e.1.clone();
        }
        let p = Rc::new(build(store, &key));
        let mut v = self.0.borrow_mut();
        // Older versions of the same chart are of no use once its data or settings moved on.
        v.retain(|e| !(e.0.tag == key.tag && e.0.cols == key.cols));
        if v.len() >= PLOTS_KEPT
            && let Some(i) = (0..v.len()).min_by_key(|&i| v[i].2)
        {
            v.swap_remove(i);
        }
        v.push((key, p.clone(), tick));
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::chart::Point;
    use crate::tui::scalars::ScalarUpdate;

    #[test]
    fn reused_until_the_scalars_or_settings_change() {
        let mut s = ScalarStore::default();
        let pts = |a: i64, b: i64| -> Vec<(String, Point)> {
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
        };
        s.apply(ScalarUpdate {
            run: "r".into(),
            points: pts(0, 10),
            ..Default::default()
        });
        let key = |s: &ScalarStore| PlotKey {
            tag: "loss".into(),
            generation: s.tag_generation("loss"),
            x_axis: XAxis::Step,
            smoothing: 0.6,
            log_y: false,
            ignore_outliers: true,
            cols: 100,
            hidden: Vec::new(),
        };
        let c = PlotCache::default();
        let a = c.get(&s, key(&s));
        assert!(Rc::ptr_eq(&a, &c.get(&s, key(&s))));
        // A hidden run is not drawn, and the plot is a different one.
        let mut hidden = key(&s);
        hidden.hidden = vec!["r".into()];
        let h = c.get(&s, hidden);
        assert!(h.drawn.is_empty() && !Rc::ptr_eq(&a, &h));
        assert_eq!(a.x, (0.0, 9.0));
        s.apply(ScalarUpdate {
            run: "r".into(),
            points: pts(10, 12),
            ..Default::default()
        });
        let b = c.get(&s, key(&s));
        assert!(!Rc::ptr_eq(&a, &b));
        assert_eq!(b.x, (0.0, 11.0));
        assert_eq!(b.drawn[0].steps.len(), 12);
        // Scalars of another tag leave the plot as it is.
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
        assert!(Rc::ptr_eq(&b, &c.get(&s, key(&s))));
        let mut k = key(&s);
        k.log_y = true;
        assert!(!Rc::ptr_eq(&b, &c.get(&s, k)));
    }
}
