//! Which kind of Lightning Pose folder a directory is, and where its files are.
//!
//! - new app (lightning-pose-app 2.x): `project.yaml`, registry key, `CollectedData[_<view>].csv`;
//! - old app (Pose-app): `model_config_<P>.yaml`, `label_studio_*`;
//! - bare litpose data dir: a config and/or `CollectedData.csv`;
//! - a folder that only holds `models/` or `outputs/`;
//! - a single model run folder (`config.yaml` with `train_status.json`, `tb_logs/` or predictions).

use crate::formats::config::{Registry, RegistryEntry};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayoutKind {
    NewApp,
    OldApp,
    BareData,
    ModelsOnly,
    SingleRun,
}

impl LayoutKind {
    pub fn describe(self) -> &'static str {
        match self {
            LayoutKind::NewApp => "Lightning Pose app project (project.yaml)",
            LayoutKind::OldApp => "Pose-app project (Label Studio era)",
            LayoutKind::BareData => "litpose data directory",
            LayoutKind::ModelsOnly => "folder of model runs",
            LayoutKind::SingleRun => "single model run",
        }
    }
}

/// A labels CSV and the view it belongs to (`None` for single-view projects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelFile {
    pub view: Option<String>,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    pub kind: LayoutKind,
    /// The data directory.
    #[serde(serialize_with = "crate::util::ser_path")]
    pub root: PathBuf,
    pub registry_key: Option<String>,
    /// The project's model config (old app `model_config_<P>.yaml`, or a bare dir's config).
    #[serde(serialize_with = "crate::util::ser_path")]
    pub config_path: Option<PathBuf>,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub project_yaml: Option<PathBuf>,
    pub label_files: Vec<LabelFile>,
    /// Folders that hold model runs (`models/` or the registry's model_dir, `outputs/`).
    #[serde(serialize_with = "crate::util::ser_path")]
    pub model_dirs: Vec<PathBuf>,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub ls_metadata: Option<PathBuf>,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub ls_config: Option<PathBuf>,
    /// New app labeler queues `CollectedData_<view>.unlabeled.jsonl`.
    #[serde(serialize_with = "crate::util::ser_path")]
    pub unlabeled_queues: Vec<PathBuf>,
}

/// Resolves a `status` argument: an existing folder, else a registry key.
pub fn resolve(arg: &str) -> Result<(PathBuf, Option<(String, RegistryEntry)>)> {
    let p = Path::new(arg);
    if p.is_dir() {
        let registry = Registry::load_default().unwrap_or_default();
        let entry = registry
            .key_for(p)
            .and_then(|k| registry.get(k).map(|e| (k.to_string(), e.clone())));
        return Ok((p.to_path_buf(), entry));
    }
    if p.exists() {
        return Err(Error::invalid(
            p,
            "not a folder (give a project folder or a registry key)",
        ));
    }
    let registry = Registry::load_default()?;
    match registry.get(arg) {
        Some(e) => Ok((e.data_dir.clone(), Some((arg.to_string(), e.clone())))),
        None => Err(Error::usage(format!(
            "{arg}: no such folder, and no such key in the project registry {}",
            registry.path.display()
        ))),
    }
}

fn file_names(dir: &Path) -> Result<Vec<(String, bool)>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut out: Vec<(String, bool)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let is_dir = std::fs::metadata(e.path())
                .map(|m| m.is_dir())
                .unwrap_or(false);
            Some((name, is_dir))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Is `dir` a model run folder (what lightning-pose or the app writes)?
pub fn looks_like_run(names: &[(String, bool)]) -> bool {
    let has = |n: &str, d: bool| names.iter().any(|(x, isd)| x == n && *isd == d);
    has("train_status.json", false)
        || has("ensemble.yaml", false)
        || (has("config.yaml", false)
            && (has("tb_logs", true)
                || has("predictions.csv", false)
                || has("train_stdout.log", false)))
        || (has("tb_logs", true) && has("predictions.csv", false))
}

/// Discovers the layout of `root` (registry entry, when the project came from the registry).
pub fn discover(root: &Path, registry: Option<(String, RegistryEntry)>) -> Result<Layout> {
    let meta = std::fs::metadata(root).map_err(|e| Error::io(root, e))?;
    if !meta.is_dir() {
        return Err(Error::invalid(root, "not a folder"));
    }
    let names = file_names(root)?;
    let has_file = |n: &str| names.iter().any(|(x, d)| x == n && !*d);
    let has_dir = |n: &str| names.iter().any(|(x, d)| x == n && *d);

    let project_yaml = has_file("project.yaml").then(|| root.join("project.yaml"));
    let ls_metadata =
        has_file("label_studio_metadata.yaml").then(|| root.join("label_studio_metadata.yaml"));
    let ls_config =
        has_file("label_studio_config.xml").then(|| root.join("label_studio_config.xml"));
    let dir_name = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();

    // Old app: model_config_<P>.yaml, preferring the one named after the folder.
    let model_configs: Vec<&String> = names
        .iter()
        .filter(|(n, d)| !*d && n.starts_with("model_config_") && n.ends_with(".yaml"))
        .map(|(n, _)| n)
        .collect();
    let mut config_path = model_configs
        .iter()
        .find(|n| **n == &format!("model_config_{dir_name}.yaml"))
        .or(model_configs.first())
        .map(|n| root.join(n));
    let single_run = config_path.is_none() && project_yaml.is_none() && looks_like_run(&names);
    if config_path.is_none() && !single_run {
        // A bare data dir's config: config*.yaml at the top or in configs/.
        let candidate = names
            .iter()
            .filter(|(n, d)| {
                !*d && n.starts_with("config") && (n.ends_with(".yaml") || n.ends_with(".yml"))
            })
            .map(|(n, _)| root.join(n))
            .next()
            .or_else(|| {
                let dir = root.join("configs");
                file_names(&dir).ok()?.into_iter().find_map(|(n, d)| {
                    (!d && n.starts_with("config") && n.ends_with(".yaml")).then(|| dir.join(n))
                })
            });
        config_path = candidate;
    }

    let label_files = if single_run {
        Vec::new()
    } else {
        find_label_files(root, &names, project_yaml.as_deref())
    };
    let unlabeled_queues = names
        .iter()
        .filter(|(n, d)| !*d && n.starts_with("CollectedData") && n.ends_with(".unlabeled.jsonl"))
        .map(|(n, _)| root.join(n))
        .collect();

    let mut model_dirs = Vec::new();
    if !single_run {
        match &registry {
            Some((_, e)) => model_dirs.push(e.model_dir()),
            None => {
                if has_dir("models") {
                    model_dirs.push(root.join("models"));
                }
            }
        }
        if has_dir("outputs") {
            model_dirs.push(root.join("outputs"));
        }
    }

    let kind = if single_run {
        LayoutKind::SingleRun
    } else if project_yaml.is_some() || registry.is_some() {
        LayoutKind::NewApp
    } else if !model_configs.is_empty() || ls_metadata.is_some() || ls_config.is_some() {
        LayoutKind::OldApp
    } else if config_path.is_some() || !label_files.is_empty() {
        LayoutKind::BareData
    } else if !model_dirs.is_empty() {
        LayoutKind::ModelsOnly
    } else if names.iter().any(|(n, d)| {
        *d && !n.starts_with('.') && {
            let sub = root.join(n);
            file_names(&sub).is_ok_and(|l| looks_like_run(&l))
        }
    }) {
        // A folder that holds run folders directly.
        model_dirs.push(root.to_path_buf());
        LayoutKind::ModelsOnly
    } else {
        return Err(Error::invalid(
            root,
            "not a Lightning Pose project: no project.yaml, model_config_*.yaml, config, \
             CollectedData*.csv, models/ or outputs/ here",
        ));
    };
    Ok(Layout {
        kind,
        root: root.to_path_buf(),
        registry_key: registry.map(|(k, _)| k),
        config_path,
        project_yaml,
        label_files,
        model_dirs,
        ls_metadata,
        ls_config,
        unlabeled_queues,
    })
}

/// `CollectedData.csv` (single view) or `CollectedData_<view>.csv` per view (the views of
/// project.yaml when it lists them).
fn find_label_files(
    root: &Path,
    names: &[(String, bool)],
    project_yaml: Option<&Path>,
) -> Vec<LabelFile> {
    let has_file = |n: &str| names.iter().any(|(x, d)| x == n && !*d);
    let views: Vec<String> = project_yaml
        .and_then(|p| crate::formats::config::ProjectYaml::load(p).ok())
        .map(|p| p.view_names)
        .unwrap_or_default();
    if !views.is_empty() {
        let files: Vec<LabelFile> = views
            .iter()
            .filter(|v| has_file(&format!("CollectedData_{v}.csv")))
            .map(|v| LabelFile {
                view: Some(v.clone()),
                path: root.join(format!("CollectedData_{v}.csv")),
            })
            .collect();
        if !files.is_empty() {
            return files;
        }
    }
    if has_file("CollectedData.csv") {
        return vec![LabelFile {
            view: None,
            path: root.join("CollectedData.csv"),
        }];
    }
    names
        .iter()
        .filter(|(n, d)| !*d && n.starts_with("CollectedData_") && n.ends_with(".csv"))
        .filter_map(|(n, _)| {
            let view = n.strip_prefix("CollectedData_")?.strip_suffix(".csv")?;
            (!view.is_empty() && !view.contains('.')).then(|| LabelFile {
                view: Some(view.to_string()),
                path: root.join(n),
            })
        })
        .collect()
}
