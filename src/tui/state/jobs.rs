//! State of the Jobs view: the jobs the workstation knows and the selected one. Today these
//! are the project's training runs whose status file says they are queued or running (started
//! by the app, litpose or posedeck elsewhere); jobs the workstation starts itself join them.

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::data::RunRow;

#[derive(Debug, Clone, Default)]
pub struct JobsState {
    pub selected: usize,
    /// Lines scrolled back from the end of the log.
    pub log_scroll: u16,
}

/// Written as queued or running (PENDING .. EVALUATING, PAUSED).
pub fn written_active(r: &RunRow) -> bool {
    matches!(
        r.status.as_str(),
        "PENDING" | "STARTING" | "STARTED" | "TRAINING" | "EVALUATING" | "PAUSED"
    )
}

/// The jobs: runs judged active first, then those written as active that are not (died,
/// stale), each group by name.
pub fn jobs(app: &App) -> Vec<&RunRow> {
    let mut v: Vec<&RunRow> = app
        .data
        .runs
        .iter()
        .filter(|r| r.is_active() || written_active(r))
        .collect();
    v.sort_by(|a, b| b.is_active().cmp(&a.is_active()).then(a.name.cmp(&b.name)));
    v
}

pub fn selected(app: &App) -> Option<&RunRow> {
    let j = jobs(app);
    j.get(app.jobs.selected.min(j.len().saturating_sub(1)))
        .copied()
}

pub fn on_action(app: &mut App, a: Action) {
    let n = jobs(app).len();
    let st = &mut app.jobs;
    match a {
        Action::Down => {
            st.selected = (st.selected + 1).min(n.saturating_sub(1));
            st.log_scroll = 0;
        }
        Action::Up => {
            st.selected = st.selected.saturating_sub(1);
            st.log_scroll = 0;
        }
        Action::Top => st.selected = 0,
        Action::Bottom => st.selected = n.saturating_sub(1),
        // The log is shown from its end: paging up goes back in it.
        Action::PageUp => st.log_scroll = st.log_scroll.saturating_add(10),
        Action::PageDown => st.log_scroll = st.log_scroll.saturating_sub(10),
        _ => {}
    }
}
