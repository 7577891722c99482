//! Keys typed into text popups (palette, filter, go to frame) and the routing of view actions
//! to the view that owns them.

use crate::tui::action::Action;
use crate::tui::app::{App, Overlay, View};
use crate::tui::state::palette::{self, Command};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Handles a key when a text popup is open; returns true when the key was consumed.
pub fn text_input(app: &mut App, k: &KeyEvent) -> bool {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    match &mut app.overlay {
        Overlay::Palette { input, selected } => {
            match k.code {
                KeyCode::Esc => app.overlay = Overlay::None,
                KeyCode::Enter => {
                    let items = palette::entries(&app.keymap, input);
                    let cmd = items.get(*selected).map(|i| i.command.clone());
                    app.overlay = Overlay::None;
                    match cmd {
                        Some(Command::Action(a)) => app.run(a),
                        Some(Command::Theme(t)) => match crate::tui::theme::Theme::load(&t) {
                            Ok(th) => {
                                let mono = app.theme.mono;
                                app.theme = th.with_no_color(mono);
                                app.info(format!("theme {t}"));
                            }
                            Err(e) => app.error(e.to_string()),
                        },
                        None => app.error("no such command"),
                    }
                }
                KeyCode::Up => *selected = selected.saturating_sub(1),
                KeyCode::Down | KeyCode::Tab => *selected += 1,
                KeyCode::Backspace => {
                    input.pop();
                    *selected = 0;
                }
                KeyCode::Char('c') if ctrl => app.overlay = Overlay::None,
                KeyCode::Char(c) if !ctrl => {
                    input.push(c);
                    *selected = 0;
                }
                _ => {}
            }
            if let Overlay::Palette { input, selected } = &mut app.overlay {
                let n = palette::entries(&app.keymap, input).len();
                *selected = (*selected).min(n.saturating_sub(1));
            }
            true
        }
        Overlay::Filter { input, before } => {
            match k.code {
                KeyCode::Esc => {
                    let b = before.clone();
                    set_filter(app, &b);
                    app.overlay = Overlay::None;
                }
                KeyCode::Enter => app.overlay = Overlay::None,
                KeyCode::Backspace => {
                    input.pop();
                    let t = input.clone();
                    set_filter(app, &t);
                }
                KeyCode::Char('c') if ctrl => app.overlay = Overlay::None,
                KeyCode::Char('u') if ctrl => {
                    input.clear();
                    set_filter(app, "");
                }
                KeyCode::Char(c) if !ctrl => {
                    input.push(c);
                    let t = input.clone();
                    set_filter(app, &t);
                }
                _ => {}
            }
            true
        }
        Overlay::Goto { input } => {
            match k.code {
                KeyCode::Esc => app.overlay = Overlay::None,
                KeyCode::Enter => {
                    let n = input.parse::<usize>().ok();
                    app.overlay = Overlay::None;
                    match n {
                        Some(n) => crate::tui::state::videos::goto(app, n),
                        None => app.error("not a frame number"),
                    }
                }
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Char(c) if c.is_ascii_digit() && input.len() < 9 => input.push(c),
                _ => {}
            }
            true
        }
        Overlay::TrainForm(_) => crate::tui::state::train_form::key(app, k),
        Overlay::ExtractForm(_) => crate::tui::state::extract_form::key(app, k),
        _ => false,
    }
}

/// The filter text of the current view.
pub fn filter_text(app: &App) -> String {
    match app.view {
        View::Curves => app.curves.filter.text.clone(),
        View::Models => app.models.filter.clone(),
        View::Labels => app.labels.filter.clone(),
        View::Overview | View::Videos | View::Jobs => String::new(),
    }
}

/// Applies a filter to the current view (live, as it is typed).
pub fn set_filter(app: &mut App, text: &str) {
    match app.view {
        View::Curves => {
            app.curves.filter.set(text);
            app.curves.selected = 0;
        }
        View::Models => {
            app.models.filter = text.to_owned();
            app.models.selected = 0;
        }
        View::Labels => {
            app.labels.filter = text.to_owned();
            app.labels.selected = 0;
            app.push(crate::tui::app::Effect::RequestImage);
        }
        View::Overview | View::Videos | View::Jobs => {}
    }
}

/// Esc with no popup: cancel a running extraction (Videos), else clear the view's filter.
pub fn back(app: &mut App) {
    if app.view == View::Videos && crate::tui::state::extract_form::cancel(app) {
        return;
    }
    if app.view == View::Curves && !app.curves.grid {
        // An enlarged chart goes back to the dashboard first.
        app.curves.grid = true;
        return;
    }
    if app.view == View::Models && app.models.compare.is_some() {
        app.models.compare = None;
        return;
    }
    if !filter_text(app).is_empty() {
        set_filter(app, "");
    }
}

/// An action that belongs to the current view.
pub fn view_action(app: &mut App, a: Action) {
    match app.view {
        View::Overview => crate::tui::state::overview::on_action(app, a),
        View::Curves => crate::tui::state::curves::on_action(app, a),
        View::Models => crate::tui::state::models::on_action(app, a),
        View::Labels if app.edit.is_some() => crate::tui::state::label_edit::on_action(app, a),
        View::Labels => crate::tui::state::labels::on_action(app, a),
        View::Videos => crate::tui::state::videos::on_action(app, a),
        View::Jobs => crate::tui::state::job_list::on_action(app, a),
    }
}
