//! Quitting with jobs that have not ended: the workers are detached, so the question is
//! whether to keep them running (the default) or cancel them (SIGINT: each saves a resumable
//! checkpoint). `posedeck demo` asks the same with cancel as the default. `k` keeps, `c`
//! cancels, Enter takes the default, Esc goes back to the workstation.

use crate::tui::app::{App, Effect, Overlay};
use crossterm::event::{KeyCode, KeyEvent};

/// `q`: quits at once when no job is queued or running, else asks.
pub fn quit(app: &mut App) {
    let n = crate::tui::state::job_list::active(&app.jobs);
    if n == 0 {
        app.quit = Some(0);
        return;
    }
    app.overlay = Overlay::QuitJobs {
        running: n,
        cancel_default: app.quit_cancels_jobs,
    };
}

/// The question's text.
pub fn text(running: usize, cancel_default: bool) -> (String, String) {
    let jobs = if running == 1 {
        "1 job is".to_string()
    } else {
        format!("{running} jobs are")
    };
    (
        format!(
            "{jobs} queued or running. They are separate processes: they can keep running after the workstation quits (posedeck jobs lists them; reopening the workstation shows them)."
        ),
        if cancel_default {
            "k keep running   c/enter cancel them   esc stay".into()
        } else {
            "k/enter keep running   c cancel them   esc stay".into()
        },
    )
}

/// Keys while the question is open; `true` when the key was the question's.
pub fn on_key(app: &mut App, k: &KeyEvent) -> bool {
    let Overlay::QuitJobs { cancel_default, .. } = app.overlay else {
        return false;
    };
    let cancel = match k.code {
        KeyCode::Char('k') | KeyCode::Char('K') => false,
        KeyCode::Char('c') | KeyCode::Char('C') => true,
        KeyCode::Enter => cancel_default,
        KeyCode::Esc => {
            app.overlay = Overlay::None;
            return true;
        }
        _ => return true,
    };
    app.overlay = Overlay::None;
    if cancel {
        let ids: Vec<u64> = app
            .jobs
            .jobs
            .iter()
            .filter(|j| !j.state.is_done())
            .map(|j| j.id)
            .collect();
        for id in ids {
            app.push(Effect::CancelJob(id));
        }
    }
    app.quit = Some(0);
    true
}
