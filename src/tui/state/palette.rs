//! The command palette (`:`): every action by name plus `theme NAME`, filtered by substring.

use crate::tui::action::Action;
use crate::tui::keymap::Keymap;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Action(Action),
    Theme(String),
}

#[derive(Debug, Clone)]
pub struct Item {
    pub label: String,
    pub desc: String,
    pub command: Command,
}

/// Aliases users bring from k9s and vim.
const ALIASES: &[(&str, Action)] = &[
    ("q", Action::Quit),
    ("quit", Action::Quit),
    ("overview", Action::ViewOverview),
    ("labels", Action::ViewLabels),
    ("models", Action::ViewModels),
    ("runs", Action::ViewModels),
    ("curves", Action::ViewCurves),
    ("scalars", Action::ViewCurves),
    ("videos", Action::ViewVideos),
    ("jobs", Action::ViewJobs),
    ("help", Action::Help),
];

pub fn entries(keymap: &Keymap, input: &str) -> Vec<Item> {
    let q = input.trim().to_lowercase();
    let mut out = Vec::new();
    if let Some(t) = q.strip_prefix("theme") {
        let t = t.trim();
        for (name, _) in crate::tui::theme::BUILTIN {
            if name.contains(t) {
                out.push(Item {
                    label: format!("theme {name}"),
                    desc: "switch theme".into(),
                    command: Command::Theme((*name).to_owned()),
                });
            }
        }
        if !t.is_empty() && out.is_empty() {
            out.push(Item {
                label: format!("theme {t}"),
                desc: "load a theme file".into(),
                command: Command::Theme(t.to_owned()),
            });
        }
        return out;
    }
    for (alias, a) in ALIASES {
        if *alias == q {
            out.push(Item {
                label: (*alias).to_owned(),
                desc: a.name(),
                command: Command::Action(*a),
            });
        }
    }
    for a in Action::ALL {
        let name = a.name();
        if name.contains(&q) && !out.iter().any(|i| i.command == Command::Action(*a)) {
            let desc = ["global", "overview", "labels", "models", "curves", "videos"]
                .iter()
                .flat_map(|s| keymap.section(s))
                .find(|b| b.action == *a)
                .map(|b| format!("{}  [{}]", b.desc, b.label()))
                .unwrap_or_default();
            out.push(Item {
                label: name,
                desc,
                command: Command::Action(*a),
            });
        }
    }
    if "theme".contains(&q) {
        out.push(Item {
            label: "theme ".into(),
            desc: "theme NAME: dark, light, high-contrast, colorblind".into(),
            command: Command::Theme("dark".into()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_substring_and_alias() {
        let km = Keymap::defaults();
        let e = entries(&km, "smooth");
        assert!(
            e.iter()
                .any(|i| i.command == Command::Action(Action::SmoothingUp))
        );
        assert!(e.iter().all(|i| i.label.contains("smooth")));
        let e = entries(&km, "q");
        assert_eq!(e[0].command, Command::Action(Action::Quit));
        let e = entries(&km, "theme li");
        assert_eq!(e[0].command, Command::Theme("light".into()));
    }
}
