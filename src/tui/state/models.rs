//! State of the Models view: the run table's sort, filter and selection, the detail pane tab,
//! the run marked for a config diff; delete goes through the confirm popup.

use crate::tui::action::Action;
use crate::tui::app::{App, Confirmable, Overlay};
use crate::tui::data::RunRow;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Date,
    Status,
    ValLoss,
    PixelError,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Name => SortKey::Date,
            SortKey::Date => SortKey::Status,
            SortKey::Status => SortKey::ValLoss,
            SortKey::ValLoss => SortKey::PixelError,
            SortKey::PixelError => SortKey::Name,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Date => "date",
            SortKey::Status => "status",
            SortKey::ValLoss => "val loss",
            SortKey::PixelError => "pixel error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetailTab {
    #[default]
    Config,
    Diff,
    Errors,
    Files,
}

impl DetailTab {
    pub fn next(self) -> DetailTab {
        match self {
            DetailTab::Config => DetailTab::Diff,
            DetailTab::Diff => DetailTab::Errors,
            DetailTab::Errors => DetailTab::Files,
            DetailTab::Files => DetailTab::Config,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DetailTab::Config => "config",
            DetailTab::Diff => "diff",
            DetailTab::Errors => "keypoint errors",
            DetailTab::Files => "files",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ModelsState {
    pub sort: SortKey,
    pub reverse: bool,
    pub filter: String,
    pub selected: usize,
    pub tab: DetailTab,
    /// Path of the run marked as the other side of the config diff (the last one marked).
    pub diff_with: Option<std::path::PathBuf>,
    /// The runs marked (with `m`) for the config diff and the Compare view.
    pub marked: Vec<std::path::PathBuf>,
    /// The Compare view, shown in place of the table while open.
    pub compare: Option<crate::tui::state::compare::CompareState>,
    pub detail_scroll: u16,
}

/// Validation (else test, else train) mean pixel error, for sorting.
pub fn headline_error(r: &RunRow) -> Option<f64> {
    ["validation", "test", "train"]
        .iter()
        .find_map(|s| r.pixel_error.get(*s).map(|e| e.mean))
}

fn cmp_opt(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The runs in table order (filtered by case-insensitive substring, sorted).
pub fn rows<'a>(st: &ModelsState, runs: &'a [RunRow]) -> Vec<&'a RunRow> {
    let f = st.filter.to_lowercase();
    let mut v: Vec<&RunRow> = runs
        .iter()
        .filter(|r| {
            f.is_empty()
                || r.name.to_lowercase().contains(&f)
                || r.effective.to_lowercase().contains(&f)
                || r.backbone
                    .as_deref()
                    .unwrap_or("")
                    .to_lowercase()
                    .contains(&f)
        })
        .collect();
    v.sort_by(|a, b| {
        let o = match st.sort {
            SortKey::Name => a.name.cmp(&b.name),
            SortKey::Date => a.date.cmp(&b.date).then(a.name.cmp(&b.name)),
            SortKey::Status => a.effective.cmp(&b.effective).then(a.name.cmp(&b.name)),
            SortKey::ValLoss => cmp_opt(a.best_val_loss, b.best_val_loss).then(a.name.cmp(&b.name)),
            SortKey::PixelError => {
                cmp_opt(headline_error(a), headline_error(b)).then(a.name.cmp(&b.name))
            }
        };
        if st.reverse { o.reverse() } else { o }
    });
    v
}

pub fn selected_run(app: &App) -> Option<&RunRow> {
    let r = rows(&app.models, &app.data.runs);
    r.get(app.models.selected.min(r.len().saturating_sub(1)))
        .copied()
}

pub fn on_action(app: &mut App, a: Action) {
    if app.models.compare.is_some() {
        return crate::tui::state::compare::on_action(app, a);
    }
    let n = rows(&app.models, &app.data.runs).len();
    let st = &mut app.models;
    match a {
        Action::Down => {
            st.selected = (st.selected + 1).min(n.saturating_sub(1));
            st.detail_scroll = 0;
        }
        Action::Up => {
            st.selected = st.selected.saturating_sub(1);
            st.detail_scroll = 0;
        }
        Action::Top => st.selected = 0,
        Action::Bottom => st.selected = n.saturating_sub(1),
        Action::PageDown => st.detail_scroll = st.detail_scroll.saturating_add(10),
        Action::PageUp => st.detail_scroll = st.detail_scroll.saturating_sub(10),
        Action::SortNext => st.sort = st.sort.next(),
        Action::SortReverse => st.reverse = !st.reverse,
        Action::DetailTab => {
            st.tab = st.tab.next();
            st.detail_scroll = 0;
        }
        Action::DiffMark => {
            let p = selected_run(app).map(|r| (r.path.clone(), r.name.clone()));
            if let Some((p, name)) = p {
                let st = &mut app.models;
                if let Some(i) = st.marked.iter().position(|m| *m == p) {
                    st.marked.remove(i);
                    st.diff_with = st.marked.last().cloned();
                    app.info(format!("unmarked {name}"));
                } else {
                    st.marked.push(p.clone());
                    st.diff_with = Some(p);
                    st.tab = DetailTab::Diff;
                    app.info(format!("diff against {name}: select another run"));
                }
            }
        }
        Action::CompareRuns => crate::tui::state::compare::open(app),
        Action::DeleteRun => {
            let p = selected_run(app).map(|r| (r.path.clone(), r.name.clone(), r.is_active()));
            match p {
                Some((_, name, true)) => {
                    app.error(format!("{name} is still running: not deleting it"))
                }
                Some((path, name, false)) => {
                    app.overlay = Overlay::Confirm {
                        text: format!(
                            "Move run {name} to the project's .posedeck-trash/ folder? (nothing is unlinked)"
                        ),
                        action: Confirmable::TrashRun(path),
                    }
                }
                None => {}
            }
        }
        other => crate::tui::state::run_actions::on_action(app, other),
    }
}
