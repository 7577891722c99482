//! Views are pure functions of the app state: `render(&App, &mut Frame, Rect)`. They are
//! tested with ratatui's TestBackend and insta snapshots.

pub mod chrome;
pub mod compare;
pub mod curves;
pub mod curves_grid;
pub mod extract_form;
pub mod help;
pub mod job_list;
pub mod label_edit;
pub mod labels;
pub mod models;
pub mod overview;
pub mod popup;
pub mod train_form;
pub mod videos;
pub mod widgets;

use crate::tui::app::{App, Overlay, View};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::widgets::Block;

/// The body area (between the tab line and the status/hint lines) for a screen.
pub fn body_rect(area: ratatui::layout::Rect) -> ratatui::layout::Rect {
    let [_, body, _, _] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    body
}

/// Draws the whole screen.
pub fn draw(app: &App, f: &mut Frame) {
    let area = f.area();
    f.render_widget(Block::default().style(app.theme.base()), area);
    let [tabs, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::tabs(app, f, tabs);
    match app.view {
        View::Overview => overview::render(app, f, body),
        View::Labels => labels::render(app, f, body),
        View::Models => match &app.models.compare {
            Some(c) => compare::render(app, c, f, body),
            None => models::render(app, f, body),
        },
        View::Curves => curves::render(app, f, body),
        View::Videos => videos::render(app, f, body),
        View::Jobs => job_list::render(app, f, body),
    }
    chrome::status(app, f, status);
    chrome::hints(app, f, hints);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => help::render(app, *scroll, f, body),
        Overlay::Palette { input, selected } => popup::palette(app, input, *selected, f, body),
        Overlay::Filter { input, .. } => popup::filter(app, input, f, body),
        Overlay::Confirm { text, .. } => popup::confirm(app, text, f, body),
        Overlay::Goto { input } => popup::goto(app, input, f, body),
        Overlay::TrainForm(form) => train_form::render(app, form, f, body),
        Overlay::ExtractForm(form) => extract_form::render(app, form, f, body),
        Overlay::QuitJobs {
            running,
            cancel_default,
        } => popup::quit_jobs(app, *running, *cancel_default, f, body),
    }
}
