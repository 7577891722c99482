//! State of the Curves view (TensorBoard's scalar dashboard) and what its keys do.

use crate::tui::chart::XAxis;
use regex::Regex;

/// A case-insensitive tag filter; an invalid pattern keeps the last good one.
#[derive(Debug, Clone, Default)]
pub struct TagFilter {
    pub text: String,
    pub regex: Option<Regex>,
    pub error: Option<String>,
}

impl TagFilter {
    pub fn set(&mut self, text: &str) {
        self.text = text.to_owned();
        if text.is_empty() {
            self.regex = None;
            self.error = None;
            return;
        }
        match Regex::new(&format!("(?i){text}")) {
            Ok(r) => {
                self.regex = Some(r);
                self.error = None;
            }
            Err(e) => {
                let msg = e.to_string();
                let last = msg
                    .lines()
                    .last()
                    .unwrap_or("invalid regex")
                    .trim()
                    .to_owned();
                self.error = Some(last);
            }
        }
    }
    pub fn matches(&self, tag: &str) -> bool {
        self.regex.as_ref().is_none_or(|r| r.is_match(tag))
    }
}

#[derive(Debug, Clone)]
pub struct CurvesState {
    /// EMA weight in [0, 0.999] (TensorBoard default 0.6).
    pub smoothing: f64,
    pub log_y: bool,
    pub ignore_outliers: bool,
    pub x_axis: XAxis,
    /// Value cursor as a fraction of the x range; `None` hides it.
    pub cursor: Option<f64>,
    /// ASCII dots instead of braille (fonts without braille glyphs).
    pub ascii: bool,
    pub filter: TagFilter,
    /// The dashboard: every tag as a small chart (true), or the selected one enlarged.
    pub grid: bool,
    /// Columns of the grid as last drawn (moving up/down goes by a row).
    pub grid_cols: std::cell::Cell<usize>,
    /// Index into the filtered tag list.
    pub selected: usize,
    /// Runs hidden with space (by name).
    pub hidden: std::collections::BTreeSet<String>,
    /// The run the legend points at (index into the scalar store's runs).
    pub run_cursor: usize,
    /// Only the runs marked in Models (`m`) are drawn.
    pub only_marked: bool,
}

impl Default for CurvesState {
    fn default() -> Self {
        CurvesState {
            smoothing: 0.6,
            log_y: false,
            ignore_outliers: true,
            x_axis: XAxis::Step,
            cursor: None,
            ascii: false,
            filter: TagFilter::default(),
            grid: true,
            grid_cols: std::cell::Cell::new(1),
            selected: 0,
            hidden: Default::default(),
            run_cursor: 0,
            only_marked: false,
        }
    }
}

impl CurvesState {
    pub fn smoothing_step(&mut self, up: bool) {
        let s = if up {
            self.smoothing + 0.1
        } else {
            self.smoothing - 0.1
        };
        // Round to one decimal; 0.99 is TensorBoard's practical maximum.
        self.smoothing = ((s * 10.0).round() / 10.0).clamp(0.0, 0.99);
    }
    pub fn move_cursor(&mut self, right: bool) {
        let c = self.cursor.unwrap_or(if right { 0.0 } else { 1.0 });
        let d = if right { 0.02 } else { -0.02 };
        self.cursor = Some((c + d).clamp(0.0, 1.0));
    }
}

/// The tags shown (filter applied), in the dashboard's order (see [`dashboard_order`]).
pub fn visible_tags(app: &crate::tui::app::App) -> Vec<String> {
    let mut tags: Vec<String> = app
        .scalars
        .tags()
        .into_iter()
        .filter(|t| app.curves.filter.matches(t))
        .map(str::to_owned)
        .collect();
    dashboard_order(&mut tags);
    tags
}

pub use crate::curves::order::{dashboard_order, group_of};

/// The runs not drawn, sorted by name: those hidden with space, and with "only marked" on,
/// every run not marked in Models (matched by folder).
pub fn hidden_runs(app: &crate::tui::app::App) -> Vec<String> {
    let c = &app.curves;
    app.scalars
        .runs
        .values()
        .filter(|r| {
            c.hidden.contains(&r.name)
                || (c.only_marked
                    && !app
                        .models
                        .marked
                        .iter()
                        .any(|m| r.dir.starts_with(m) || m.starts_with(&r.dir)))
        })
        .map(|r| r.name.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The key of `tag`'s plot at `cols` columns with the view's settings; `hidden` is
/// [`hidden_runs`], computed once per draw.
pub fn plot_key(
    app: &crate::tui::app::App,
    tag: &str,
    cols: usize,
    hidden: &[String],
) -> crate::tui::chart::plot::PlotKey {
    let c = &app.curves;
    crate::tui::chart::plot::PlotKey {
        tag: tag.to_owned(),
        generation: app.scalars.tag_generation(tag),
        x_axis: c.x_axis,
        smoothing: c.smoothing,
        log_y: c.log_y,
        ignore_outliers: c.ignore_outliers,
        cols,
        hidden: hidden.to_vec(),
    }
}

/// Keys of the Curves view.
pub fn on_action(app: &mut crate::tui::app::App, a: crate::tui::action::Action) {
    use crate::tui::action::Action as A;
    let n_runs = app.scalars.runs.len();
    match a {
        A::RunNext | A::RunPrev if n_runs > 0 => {
            let c = &mut app.curves;
            c.run_cursor = if a == A::RunNext {
                (c.run_cursor + 1) % n_runs
            } else {
                (c.run_cursor + n_runs - 1) % n_runs
            };
            return;
        }
        A::ToggleRun => {
            if let Some(r) = app.scalars.runs.values().nth(app.curves.run_cursor) {
                let name = r.name.clone();
                let c = &mut app.curves;
                if !c.hidden.remove(&name) {
                    c.hidden.insert(name);
                }
            }
            return;
        }
        A::ExportCurves => {
            crate::tui::export::start(app);
            return;
        }
        A::OnlyMarked => {
            if app.models.marked.is_empty() && !app.curves.only_marked {
                app.info("no runs marked: mark them with m in Models".to_owned());
            } else {
                app.curves.only_marked = !app.curves.only_marked;
            }
            return;
        }
        _ => {}
    }
    let n = visible_tags(app).len();
    let c = &mut app.curves;
    if c.grid {
        // The dashboard: the arrows move between charts, Enter enlarges one.
        let cols = c.grid_cols.get().max(1);
        let last = n.saturating_sub(1);
        match a {
            A::Select => {
                c.grid = false;
                return;
            }
            A::CursorLeft | A::Left => {
                c.selected = c.selected.saturating_sub(1);
                return;
            }
            A::CursorRight | A::Right => {
                c.selected = (c.selected + 1).min(last);
                return;
            }
            A::Down => {
                c.selected = (c.selected + cols).min(last);
                return;
            }
            A::Up => {
                c.selected = c.selected.saturating_sub(cols);
                return;
            }
            _ => {}
        }
    }
    match a {
        A::SmoothingUp => c.smoothing_step(true),
        A::SmoothingDown => c.smoothing_step(false),
        A::LogY => c.log_y = !c.log_y,
        A::Outliers => c.ignore_outliers = !c.ignore_outliers,
        A::XAxis => c.x_axis = c.x_axis.next(),
        A::CursorLeft | A::Left => c.move_cursor(false),
        A::CursorRight | A::Right => c.move_cursor(true),
        A::AsciiMarkers => c.ascii = !c.ascii,
        A::Down => c.selected = (c.selected + 1).min(n.saturating_sub(1)),
        A::Up => c.selected = c.selected.saturating_sub(1),
        A::Top => c.selected = 0,
        A::Bottom => c.selected = n.saturating_sub(1),
        A::PageDown => c.selected = (c.selected + 10).min(n.saturating_sub(1)),
        A::PageUp => c.selected = c.selected.saturating_sub(10),
        A::Select => c.cursor = None,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_filter_keeps_last_good() {
        let mut f = TagFilter::default();
        f.set("LOSS");
        assert!(f.matches("val_supervised_loss") && !f.matches("epoch"));
        f.set("loss(");
        assert!(f.error.is_some());
        assert!(f.matches("train_supervised_loss") && !f.matches("epoch"));
        f.set("");
        assert!(f.matches("epoch"));
    }

    #[test]
    fn smoothing_steps_and_clamps() {
        let mut c = CurvesState::default();
        c.smoothing_step(true);
        assert!((c.smoothing - 0.7).abs() < 1e-9);
        for _ in 0..10 {
            c.smoothing_step(true);
        }
        assert!((c.smoothing - 0.99).abs() < 1e-9);
        for _ in 0..20 {
            c.smoothing_step(false);
        }
        assert_eq!(c.smoothing, 0.0);
    }
}
