//! Finding model runs in every layout:
//! `models/<name>/` (new app), `models/YYYY-MM-DD/HH-MM-SS/`, the old app's
//! `models/YYYY-MM-DD/HH-MM-NN_<type>-<seed>/`, litpose's `outputs/YYYY-MM-DD/HH-MM-SS/`, and
//! ensemble folders (`ensemble.yaml`). Only two levels are looked at, never deeper.

use super::layout::looks_like_run;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RunLayout {
    /// `models/<name>/`.
    Named,
    /// `<dir>/YYYY-MM-DD/HH-MM-SS/` (the app's dated layout or litpose's `outputs/`).
    Dated,
    /// The old app's `YYYY-MM-DD/HH-MM-NN_<type>-<seed>/`.
    OldApp { model_kind: String, seed: u64 },
    /// A folder with `ensemble.yaml` (EKS over member models).
    Ensemble,
    /// The project folder is itself one run.
    Single,
}

/// A run folder found by [`discover`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDir {
    #[serde(serialize_with = "crate::util::ser_path")]
    pub path: PathBuf,
    /// The path relative to its model folder (`2024-05-01/12-00-00`, `my_model`).
    pub name: String,
    pub layout: RunLayout,
}

fn date_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^\d{4}-\d{2}-\d{2}$").unwrap_or_else(|_| unreachable!()))
}

fn time_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^\d{2}-\d{2}-\d{2}$").unwrap_or_else(|_| unreachable!()))
}

fn old_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^\d{2}-\d{2}-\d{2}_([A-Za-z][A-Za-z-]*?)-(\d+)$")
            .unwrap_or_else(|_| unreachable!())
    })
}

/// The layout a run folder's name implies (`None`: nothing special in the name).
pub fn layout_from_name(parent_is_date: bool, name: &str) -> Option<RunLayout> {
    if let Some(c) = old_re().captures(name) {
        return Some(RunLayout::OldApp {
            model_kind: c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default(),
            seed: c.get(2).and_then(|m| m.as_str().parse().ok()).unwrap_or(0),
        });
    }
    (parent_is_date && time_re().is_match(name)).then_some(RunLayout::Dated)
}

/// The folders in `dir` (links to folders included, hidden ones left out), sorted by name;
/// names that are not UTF-8 keep their other bytes as `\xNN`. A folder that cannot be read
/// adds a line to `problems`.
fn sorted_subdirs(dir: &Path, problems: &mut Vec<String>) -> Vec<(String, PathBuf)> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            problems.push(crate::Error::io(dir, e).to_string());
            return Vec::new();
        }
    };
    let mut v: Vec<(String, PathBuf)> = Vec::new();
    for entry in rd {
        let e = match entry {
            Ok(e) => e,
            Err(err) => {
                problems.push(crate::Error::io(dir, err).to_string());
                break;
            }
        };
        let is_dir = match e.file_type() {
            Ok(t) if t.is_symlink() => e.path().is_dir(),
            Ok(t) => t.is_dir(),
            Err(_) => e.path().is_dir(),
        };
        let name = crate::util::escape_os(&e.file_name()).into_owned();
        if is_dir && !name.starts_with('.') {
            v.push((name, e.path()));
        }
    }
    v.sort();
    v
}

fn entries(dir: &Path) -> std::io::Result<Vec<(String, bool)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = crate::util::escape_os(&e.file_name()).into_owned();
        let is_dir = match e.file_type() {
            Ok(t) if t.is_symlink() => e.path().is_dir(),
            Ok(t) => t.is_dir(),
            Err(_) => false,
        };
        out.push((name, is_dir));
    }
    Ok(out)
}

fn classify(name: &str, parent_is_date: bool, listing: &[(String, bool)]) -> RunLayout {
    if listing.iter().any(|(n, d)| n == "ensemble.yaml" && !d) {
        return RunLayout::Ensemble;
    }
    layout_from_name(parent_is_date, name).unwrap_or(if parent_is_date {
        RunLayout::Dated
    } else {
        RunLayout::Named
    })
}

/// Finds the runs under `model_dir` (two levels at most), sorted by name.
pub fn discover(model_dir: &Path) -> Vec<RunDir> {
    discover_checked(model_dir).0
}

/// [`discover`], with the folders that could not be looked into. A run folder that cannot be
/// read is still a run (its load reports why); an unreadable folder that only groups runs
/// (a date folder, `models/` itself) is a problem.
pub fn discover_checked(model_dir: &Path) -> (Vec<RunDir>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (name, path) in sorted_subdirs(model_dir, &mut problems) {
        let is_date = date_re().is_match(&name);
        let listing = match entries(&path) {
            Ok(l) => l,
            // A date folder only groups runs; any other folder directly in the model
            // folder is most likely a run.
            Err(e) if is_date => {
                problems.push(crate::Error::io(&path, e).to_string());
                continue;
            }
            Err(_) => {
                out.push(RunDir {
                    layout: classify(&name, false, &[]),
                    path,
                    name,
                });
                continue;
            }
        };
        if looks_like_run(&listing) || (!is_date && layout_from_name(false, &name).is_some()) {
            out.push(RunDir {
                layout: classify(&name, false, &listing),
                path,
                name,
            });
            continue;
        }
        // A date folder or a group of runs: one level deeper.
        for (sub, subpath) in sorted_subdirs(&path, &mut problems) {
            let sublisting = match entries(&subpath) {
                Ok(l) => l,
                // Inside a date folder: a run (its load says why it cannot be read).
                Err(_) if is_date => {
                    out.push(RunDir {
                        layout: classify(&sub, true, &[]),
                        name: format!("{name}/{sub}"),
                        path: subpath,
                    });
                    continue;
                }
                Err(e) => {
                    problems.push(crate::Error::io(&subpath, e).to_string());
                    continue;
                }
            };
            if looks_like_run(&sublisting) || (is_date && layout_from_name(true, &sub).is_some()) {
                out.push(RunDir {
                    layout: classify(&sub, is_date, &sublisting),
                    name: format!("{name}/{sub}"),
                    path: subpath,
                });
            }
        }
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_layout() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path();
        let mk = |rel: &str, files: &[&str]| {
            let p = m.join(rel);
            std::fs::create_dir_all(&p).unwrap();
            for f in files {
                std::fs::write(p.join(f), "x").unwrap();
            }
        };
        mk("named", &["config.yaml", "train_status.json"]);
        mk("2024-05-01/12-00-00", &["config.yaml"]);
        mk(
            "2024-05-01/13-10-02_semisuper-ctx-1",
            &["config.yaml", "predictions.csv"],
        );
        mk("2024-05-01/notes", &[]);
        mk("eks", &["ensemble.yaml"]);
        mk("empty", &[]);
        let runs = discover(m);
        let got: Vec<(&str, &RunLayout)> =
            runs.iter().map(|r| (r.name.as_str(), &r.layout)).collect();
        assert_eq!(
            got,
            [
                ("2024-05-01/12-00-00", &RunLayout::Dated),
                (
                    "2024-05-01/13-10-02_semisuper-ctx-1",
                    &RunLayout::OldApp {
                        model_kind: "semisuper-ctx".into(),
                        seed: 1
                    }
                ),
                ("eks", &RunLayout::Ensemble),
                ("named", &RunLayout::Named),
            ]
        );
    }
}
