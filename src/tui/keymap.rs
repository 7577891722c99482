//! The keymap as data: `keymap.toml` (embedded defaults) merged with the user's partial
//! override. Lookup handles multi-key sequences (`g g`). The help overlay and the hint bar
//! read the same entries, so they never disagree with what a key does.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const DEFAULT: &str = include_str!("keymap.toml");

/// A key with its modifiers, normalised (shift folded into the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Key {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            c => c,
        };
        if let KeyCode::Char(c) = code
            && mods.contains(KeyModifiers::CONTROL)
        {
            return Key {
                code: KeyCode::Char(c.to_ascii_lowercase()),
                mods,
            };
        }
        Key { code, mods }
    }

    /// Parses "q", "S", "ctrl-d", "esc", "pgdn", "f5" ...
    pub fn parse(s: &str) -> Option<Key> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest {
                "esc" => KeyCode::Esc,
                "enter" => KeyCode::Enter,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pgup" => KeyCode::PageUp,
                "pgdn" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                f if f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
                _ => return None,
            },
        };
        Some(Key { code, mods })
    }

    /// The display form used by help and hints ("ctrl-d", "S", "esc").
    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("alt-");
        }
        match self.code {
            KeyCode::Char(' ') => s.push_str("space"),
            KeyCode::Char(c) => s.push(c),
            KeyCode::Esc => s.push_str("esc"),
            KeyCode::Enter => s.push_str("enter"),
            KeyCode::Tab => s.push_str("tab"),
            KeyCode::BackTab => s.push_str("backtab"),
            KeyCode::Backspace => s.push_str("backspace"),
            KeyCode::Up => s.push('↑'),
            KeyCode::Down => s.push('↓'),
            KeyCode::Left => s.push('←'),
            KeyCode::Right => s.push('→'),
            KeyCode::PageUp => s.push_str("pgup"),
            KeyCode::PageDown => s.push_str("pgdn"),
            KeyCode::Home => s.push_str("home"),
            KeyCode::End => s.push_str("end"),
            KeyCode::F(n) => s.push_str(&format!("f{n}")),
            other => s.push_str(&format!("{other:?}")),
        }
        s
    }
}

/// One binding: a key sequence, an action and its description.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub action: Action,
    pub desc: String,
}

impl Binding {
    pub fn label(&self) -> String {
        self.keys
            .iter()
            .map(Key::label)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Deserialize)]
struct RawEntry {
    on: Vec<String>,
    run: String,
    #[serde(default)]
    desc: String,
}

/// Bindings per section ("global", "curves", ...), in file order.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    sections: BTreeMap<String, Vec<Binding>>,
}

/// What a key press resolved to.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Action(Action),
    /// A prefix of a longer sequence: wait for the next key.
    Pending,
    None,
}

impl Keymap {
    /// The embedded defaults.
    pub fn defaults() -> Keymap {
        // The embedded file is tested; a failure here would be a build defect.
        Self::parse(DEFAULT, Path::new("keymap.toml")).unwrap_or_default()
    }

    /// Defaults merged with the user file at `path` when it exists.
    pub fn load(user: Option<&Path>) -> crate::Result<Keymap> {
        let mut km = Self::defaults();
        if let Some(p) = user
            && p.is_file()
        {
            let text = crate::util::read_text(p)?;
            let over = Self::parse(&text, p)?;
            km.merge(over);
        }
        Ok(km)
    }

    /// `~/.config/posedeck/keymap.toml` (or `$XDG_CONFIG_HOME/posedeck/keymap.toml`).
    pub fn user_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("posedeck").join("keymap.toml"))
    }

    pub fn parse(text: &str, path: &Path) -> crate::Result<Keymap> {
        let raw: BTreeMap<String, Vec<RawEntry>> = toml::from_str(text)
            .map_err(|e| crate::Error::invalid(path, format!("keymap: {}", e.message())))?;
        let mut sections = BTreeMap::new();
        for (name, entries) in raw {
            let mut out = Vec::new();
            for e in entries {
                let action = Action::from_name(&e.run).ok_or_else(|| {
                    crate::Error::invalid(path, format!("[{name}]: unknown action {:?}", e.run))
                })?;
                let mut keys = Vec::new();
                for k in &e.on {
                    keys.push(Key::parse(k).ok_or_else(|| {
                        crate::Error::invalid(path, format!("[{name}]: unknown key {k:?}"))
                    })?);
                }
                if keys.is_empty() {
                    return Err(crate::Error::invalid(path, format!("[{name}]: empty `on`")));
                }
                out.push(Binding {
                    keys,
                    action,
                    desc: e.desc,
                });
            }
            sections.insert(name, out);
        }
        Ok(Keymap { sections })
    }

    /// Overrides: an entry with the same key sequence in the same section replaces the
    /// default (a `noop` removes it); new sequences are added.
    pub fn merge(&mut self, over: Keymap) {
        for (name, entries) in over.sections {
            let sec = self.sections.entry(name).or_default();
            for b in entries {
                sec.retain(|d| d.keys != b.keys);
                if b.action != Action::Noop {
                    sec.push(b);
                }
            }
        }
    }

    pub fn section(&self, name: &str) -> &[Binding] {
        self.sections.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Resolves the pending sequence in `ctx` (then global unless `ctx` is modal).
    pub fn lookup(&self, ctx: &str, modal: bool, seq: &[Key]) -> Lookup {
        let mut pending = false;
        let mut sections = vec![self.section(ctx)];
        if !modal {
            sections.push(self.section("global"));
        }
        for sec in sections {
            for b in sec {
                if b.keys == seq {
                    return Lookup::Action(b.action);
                }
                if b.keys.len() > seq.len() && b.keys.starts_with(seq) {
                    pending = true;
                }
            }
        }
        if pending {
            Lookup::Pending
        } else {
            Lookup::None
        }
    }

    /// The first key label bound to `action` in `ctx` or global (for hints in prompts).
    pub fn key_for(&self, ctx: &str, action: Action) -> Option<String> {
        self.section(ctx)
            .iter()
            .chain(self.section("global"))
            .find(|b| b.action == action)
            .map(Binding::label)
    }

    /// One (keys, desc) line per action in `section`, keys of the same action joined.
    pub fn help_lines(&self, section: &str) -> Vec<(String, String)> {
        let mut out: Vec<(Action, String, String)> = Vec::new();
        for b in self.section(section) {
            if let Some(e) = out.iter_mut().find(|e| e.0 == b.action) {
                e.1.push('/');
                e.1.push_str(&b.label());
            } else {
                out.push((b.action, b.label(), b.desc.clone()));
            }
        }
        out.into_iter().map(|(_, k, d)| (k, d)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> Key {
        Key::parse(&c.to_string()).unwrap()
    }

    #[test]
    fn defaults_parse_and_resolve() {
        let km = Keymap::defaults();
        assert!(!km.section("global").is_empty());
        assert_eq!(
            km.lookup("curves", false, &[key('s')]),
            Lookup::Action(Action::SmoothingUp)
        );
        assert_eq!(
            km.lookup("models", false, &[key('s')]),
            Lookup::Action(Action::SortNext)
        );
        assert_eq!(km.lookup("curves", false, &[key('g')]), Lookup::Pending);
        assert_eq!(
            km.lookup("curves", false, &[key('g'), key('g')]),
            Lookup::Action(Action::Top)
        );
        assert_eq!(km.lookup("confirm", true, &[key('q')]), Lookup::None);
    }

    #[test]
    fn user_override_is_partial() {
        let mut km = Keymap::defaults();
        let over = Keymap::parse(
            "[[curves]]\non=[\"s\"]\nrun=\"noop\"\n[[curves]]\non=[\"ctrl-s\"]\nrun=\"smoothing-up\"\ndesc=\"more\"\n",
            Path::new("u.toml"),
        )
        .unwrap();
        km.merge(over);
        assert_eq!(km.lookup("curves", false, &[key('s')]), Lookup::None);
        let cs = Key::parse("ctrl-s").unwrap();
        assert_eq!(
            km.lookup("curves", false, &[cs]),
            Lookup::Action(Action::SmoothingUp)
        );
        // untouched defaults stay
        assert_eq!(
            km.lookup("curves", false, &[key('y')]),
            Lookup::Action(Action::LogY)
        );
    }

    #[test]
    fn bad_user_file_names_the_file() {
        let e = Keymap::parse(
            "[[global]]\non=[\"q\"]\nrun=\"fly\"\n",
            Path::new("/u/k.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/u/k.toml") && e.contains("fly"), "{e}");
        let e = Keymap::parse("[[global]\n", Path::new("/u/k.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/u/k.toml"), "{e}");
    }

    #[test]
    fn shift_is_folded() {
        let ev = KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), key('S'));
        let ev = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ev), Key::parse("ctrl-d").unwrap());
    }
}
