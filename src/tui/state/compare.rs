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
    /// Which of the comparison's pairs (A against each later run) the scatter and the
    /// frames list show.
    pub pair: usize,
    /// Keys move through the most-disagreeing frames (Enter opens one in Labels) rather than
    /// the keypoint rows.
    pub on_frames: bool,
    /// The selected row of the frames list.
    pub frame: usize,
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
    /// The pair shown (A against run `pair + 1`).
    pub fn shown_pair(&self) -> Option<&crate::compare::PairCompare> {
        let c = self.comparison()?;
        c.pairs.get(self.pair.min(c.pairs.len().saturating_sub(1)))
    }
}

/// How many frames the frames list offers (the most disagreeing first).
pub const FRAMES_LISTED: usize = 200;

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
        pair: 0,
        on_frames: false,
        frame: 0,
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
    if st.on_frames && a == Action::Select {
        return open_frame(app);
    }
    let n = if st.on_frames {
        st.shown_pair()
            .map(|p| p.top(&st.set, FRAMES_LISTED).len())
            .unwrap_or(0)
    } else {
        st.comparison().map(|c| c.per_keypoint.len()).unwrap_or(0)
    };
    let last = n.saturating_sub(1);
    let cur = if st.on_frames { st.frame } else { st.scroll };
    let moved = match a {
        Action::Down => Some((cur + 1).min(last)),
        Action::Up => Some(cur.saturating_sub(1)),
        Action::PageDown => Some((cur + 5).min(last)),
        Action::PageUp => Some(cur.saturating_sub(5)),
        Action::Top => Some(0),
        Action::Bottom => Some(last),
        _ => None,
    };
    if let Some(m) = moved {
        if st.on_frames {
            st.frame = m;
        } else {
            st.scroll = m;
        }
        return;
    }
    match a {
        Action::CycleSet => {
            if let Some(c) = st.comparison() {
                let i = c.sets.iter().position(|s| *s == st.set).unwrap_or(0);
                st.set = c.sets[(i + 1) % c.sets.len()].clone();
                st.frame = 0;
            }
        }
        Action::SortDiff => {
            st.by_diff = !st.by_diff;
            st.scroll = 0;
        }
        Action::NextPair => {
            let n_pairs = st.comparison().map(|c| c.pairs.len()).unwrap_or(0);
            if n_pairs > 1 {
                st.pair = (st.pair + 1) % n_pairs;
                st.frame = 0;
            } else {
                app.info("two runs compared: mark more in Models to choose another run B");
            }
        }
        Action::FocusFrames => st.on_frames = !st.on_frames,
        _ => {}
    }
}

/// Enter on a frame of the list: the Labels view on that frame, with run A's predictions
/// drawn as usual and run B's beside them.
fn open_frame(app: &mut App) {
    let Some(st) = app.models.compare.as_ref() else {
        return;
    };
    let (Some(c), Some(p)) = (st.comparison(), st.shown_pair()) else {
        return;
    };
    let Some(fr) = p
        .top(&st.set, FRAMES_LISTED)
        .get(st.frame)
        .map(|f| f.frame.clone())
    else {
        return;
    };
    let path = |i: usize| c.runs.get(i).map(|r| r.path.clone());
    let (Some(a), Some(b)) = (path(p.a), path(p.b)) else {
        return;
    };
    crate::tui::state::labels::show_frame_with(app, &fr, &a, &b);
}

/// Reads and compares the runs (on the tables worker).
pub fn compute(runs: &[(String, PathBuf)]) -> Result<Comparison, String> {
    Comparison::load(runs).map_err(|e| e.to_string())
}
