//! State of the Compare view (opened from Models on the marked runs): the runs compared,
//! their comparison once the tables worker read it, the set shown, the sort, the scroll.

use crate::compare::{ALL, Comparison, KeypointSort};
use crate::tui::action::Action;
use crate::tui::app::{App, Effect};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct CompareState {
    /// (name, run folder), A first.
    pub runs: Vec<(String, PathBuf)>,
    /// `None` while the worker reads the files.
    pub result: Option<Result<Arc<Comparison>, String>>,
    /// The set shown (a name from the comparison's sets).
    pub set: String,
    /// Keypoints by |median(B) - median(A)|, largest first (else in file order).
    pub by_diff: bool,
    /// First keypoint row shown.
    pub scroll: usize,
}

impl CompareState {
    pub fn sort(&self) -> KeypointSort {
        if self.by_diff {
            KeypointSort::Diff
        } else {
            KeypointSort::File
        }
    }
    pub fn comparison(&self) -> Option<&Comparison> {
        match &self.result {
            Some(Ok(c)) => Some(c),
            _ => None,
        }
    }
}

/// The runs to compare: the marked ones when two or more are, else the marked one and the
/// selected one, in table order; `None` when that is fewer than two.
pub fn chosen(app: &App) -> Option<Vec<(String, PathBuf)>> {
    let rows = crate::tui::state::models::rows(&app.models, &app.data.runs);
    let marked: Vec<(String, PathBuf)> = rows
        .iter()
        .filter(|r| app.models.marked.contains(&r.path))
        .map(|r| (r.name.clone(), r.path.clone()))
        .collect();
    if marked.len() >= 2 {
        return Some(marked);
    }
    let sel = crate::tui::state::models::selected_run(app)?;
    let first = marked.into_iter().next()?;
    (first.1 != sel.path).then(|| vec![first, (sel.name.clone(), sel.path.clone())])
}

/// Opens the Compare view on [`chosen`] runs and asks the worker for the comparison.
pub fn open(app: &mut App) {
    let Some(runs) = chosen(app) else {
        let key = app
            .keymap
            .key_for("models", Action::DiffMark)
            .unwrap_or_default();
        app.error(format!(
            "mark two or more runs with {key} (or one, then select another) to compare them"
        ));
        return;
    };
    app.models.compare = Some(CompareState {
        runs: runs.clone(),
        result: None,
        set: "validation".into(),
        by_diff: false,
        scroll: 0,
    });
    app.push(Effect::LoadCompare(runs));
}

/// The worker's answer (ignored when the view was closed or opened on other runs since).
pub fn loaded(app: &mut App, runs: Vec<(String, PathBuf)>, result: Result<Comparison, String>) {
    let Some(st) = app.models.compare.as_mut().filter(|s| s.runs == runs) else {
        return;
    };
    if let Ok(c) = &result
        && !c.sets.contains(&st.set)
    {
        st.set = c.sets.first().cloned().unwrap_or_else(|| ALL.into());
    }
    st.result = Some(
        result
            .map(Arc::new)
            .map_err(|e| crate::sanitize::clean(&e).into_owned()),
    );
}

pub fn on_action(app: &mut App, a: Action) {
    let Some(st) = app.models.compare.as_mut() else {
        return;
    };
    let n = st.comparison().map(|c| c.per_keypoint.len()).unwrap_or(0);
    match a {
        Action::CycleSet => {
            if let Some(c) = st.comparison() {
                let i = c.sets.iter().position(|s| *s == st.set).unwrap_or(0);
                st.set = c.sets[(i + 1) % c.sets.len()].clone();
            }
        }
        Action::SortDiff => {
            st.by_diff = !st.by_diff;
            st.scroll = 0;
        }
        Action::Down => st.scroll = (st.scroll + 1).min(n.saturating_sub(1)),
        Action::Up => st.scroll = st.scroll.saturating_sub(1),
        Action::PageDown => st.scroll = (st.scroll + 5).min(n.saturating_sub(1)),
        Action::PageUp => st.scroll = st.scroll.saturating_sub(5),
        Action::Top => st.scroll = 0,
        Action::Bottom => st.scroll = n.saturating_sub(1),
        _ => {}
    }
}

/// Reads and compares the runs (on the tables worker).
pub fn compute(runs: &[(String, PathBuf)]) -> Result<Comparison, String> {
    Comparison::load(runs).map_err(|e| e.to_string())
}
