//! Keys of the Overview view: scrolling.

use crate::tui::action::Action;
use crate::tui::app::App;

pub fn on_action(app: &mut App, a: Action) {
    let s = &mut app.overview_scroll;
    match a {
        Action::Down => *s += 1,
        Action::Up => *s = s.saturating_sub(1),
        Action::PageDown => *s += 10,
        Action::PageUp => *s = s.saturating_sub(10),
        Action::Top => *s = 0,
        Action::Bottom => *s = usize::MAX / 2,
        _ => {}
    }
}
