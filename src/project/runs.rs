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

fn sorted_subdirs(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<(String, PathBuf)> = rd
        .flatten()
        .filter(|e| {
            e.file_type()
                .map(|t| t.is_dir() || t.is_symlink())
                .unwrap_or(false)
        })
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let path = e.path();
            (!name.starts_with('.') && path.is_dir()).then_some((name, path))
        })
        .collect();
    v.sort();
    v
}

fn entries(dir: &Path) -> Vec<(String, bool)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let is_dir = match e.file_type() {
                Ok(t) if t.is_symlink() => e.path().is_dir(),
                Ok(t) => t.is_dir(),
                Err(_) => false,
            };
            Some((name, is_dir))
        })
        .collect()
}

fn classify(
    path: &Path,
    name: &str,
    parent_is_date: bool,
    listing: &[(String, bool)],
) -> RunLayout {
    if listing.iter().any(|(n, d)| n == "ensemble.yaml" && !d) {
        return RunLayout::Ensemble;
    }
    let _ = path;
    layout_from_name(parent_is_date, name).unwrap_or(if parent_is_date {
        RunLayout::Dated
    } else {
        RunLayout::Named
    })
}

/// Finds the runs under `model_dir` (two levels at most), sorted by name.
pub fn discover(model_dir: &Path) -> Vec<RunDir> {
    let mut out = Vec::new();
    for (name, path) in sorted_subdirs(model_dir) {
        let listing = entries(&path);
        let is_date = date_re().is_match(&name);
        if looks_like_run(&listing) || (!is_date && layout_from_name(false, &name).is_some()) {
            out.push(RunDir {
                layout: classify(&path, &name, false, &listing),
                path,
                name,
            });
            continue;
        }
        // A date folder or a group of runs: one level deeper.
        for (sub, subpath) in sorted_subdirs(&path) {
            let sublisting = entries(&subpath);
            if looks_like_run(&sublisting) || (is_date && layout_from_name(true, &sub).is_some()) {
                out.push(RunDir {
                    layout: classify(&subpath, &sub, is_date, &sublisting),
                    name: format!("{name}/{sub}"),
                    path: subpath,
                });
            }
        }
    }
    out
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
