//! Edit mode on a SLEAP frame: the user instances (add one, from the frame's unused
//! prediction when it has one; delete the selected one; select the next).

use super::label_doc::{Doc, Op};
use crate::tui::action::Action;
use crate::tui::app::App;

pub fn on_action(app: &mut App, a: Action) {
    let Some(s) = app.edit.as_mut() else { return };
    let Doc::Slp { doc, key, instance } = &mut s.doc else {
        app.info("a Lightning Pose frame holds one animal: instances are for SLEAP files");
        return;
    };
    let users = doc.user_instances(*key);
    match a {
        Action::NextInstance => {
            if users.is_empty() {
                app.info("no user instance in this frame (a adds one)");
                return;
            }
            let at = instance
                .and_then(|i| users.iter().position(|&u| u == i))
                .map_or(0, |p| (p + 1) % users.len());
            *instance = Some(users[at]);
            app.info(format!("instance {} of {}", at + 1, users.len()));
        }
        Action::AddInstance => {
            let skeleton = instance
                .and_then(|i| doc.labels.frame(key.0, key.1)?.instances.get(i))
                .map_or(0, |i| i.skeleton);
            match doc.add_instance(*key, skeleton) {
                Ok(e) => {
                    if let crate::labels::slp_doc::SlpEdit::Add { at, .. } = &e {
                        *instance = Some(*at);
                    }
                    s.undo.push(Op::Slp(e));
                    app.info("instance added");
                }
                Err(e) => app.error(e.to_string()),
            }
        }
        Action::DeleteInstance => {
            let Some(i) = *instance else {
                app.info("no instance selected");
                return;
            };
            match doc.remove_instance(*key, i) {
                Ok(e) => {
                    let users = doc.user_instances(*key);
                    *instance = users
                        .iter()
                        .copied()
                        .find(|&u| u >= i)
                        .or(users.last().copied());
                    s.undo.push(Op::Slp(e));
                    app.info("instance deleted (u undoes)");
                }
                Err(e) => app.error(e.to_string()),
            }
        }
        _ => {}
    }
}
