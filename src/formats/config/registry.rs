//! The new app's project registry, `~/.lightning-pose/projects.toml`
//! (folder overridden by `LP_SYSTEM_DIR`): `[<key>] data_dir = "..", model_dir = ".."`;
//! `model_dir` defaults to `<data_dir>/models`.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryEntry {
    pub data_dir: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_dir: Option<PathBuf>,
}

impl RegistryEntry {
    /// `model_dir`, else `<data_dir>/models`.
    pub fn model_dir(&self) -> PathBuf {
        self.model_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("models"))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    /// The file this registry was read from (or will be written to).
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(flatten)]
    pub projects: BTreeMap<String, RegistryEntry>,
}

impl Registry {
    /// `$LP_SYSTEM_DIR`, else `~/.lightning-pose`.
    pub fn system_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("LP_SYSTEM_DIR").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(d));
        }
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".lightning-pose"))
    }

    /// The registry file's path.
    pub fn default_path() -> Option<PathBuf> {
        Self::system_dir().map(|d| d.join("projects.toml"))
    }

    /// Reads the default registry; a missing file is an empty registry.
    pub fn load_default() -> Result<Registry> {
        match Self::default_path() {
            Some(p) => Self::load(&p),
            None => Ok(Registry::default()),
        }
    }

    /// Reads a registry file; a missing file is an empty registry, a bad one an error naming
    /// the file and line.
    pub fn load(path: &Path) -> Result<Registry> {
        let text = match crate::util::read_text(path) {
            Ok(t) => t,
            Err(Error::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
                String::new()
            }
            Err(e) => return Err(e),
        };
        let mut r = Self::parse(path, &text)?;
        r.path = path.to_path_buf();
        Ok(r)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Registry> {
        let projects: BTreeMap<String, RegistryEntry> = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| {
                    1 + text.as_bytes()[..s.start.min(text.len())]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count() as u64
                })
                .unwrap_or(0);
            let msg = e.message().to_string();
            if line > 0 {
                Error::at_line(path, line, msg)
            } else {
                Error::invalid(path, msg)
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let projects = projects
            .into_iter()
            .map(|(k, mut v)| {
                // Relative paths are taken relative to the registry's folder.
                if v.data_dir.is_relative() {
                    v.data_dir = base.join(&v.data_dir);
                }
                if let Some(m) = v.model_dir.as_mut().filter(|m| m.is_relative()) {
                    *m = base.join(&*m);
                }
                (k, v)
            })
            .collect();
        Ok(Registry {
            path: path.to_path_buf(),
            projects,
        })
    }

    pub fn get(&self, key: &str) -> Option<&RegistryEntry> {
        self.projects.get(key)
    }

    /// The key whose data_dir is `dir` (compared after canonicalisation).
    pub fn key_for(&self, dir: &Path) -> Option<&str> {
        let want = dir.canonicalize().ok()?;
        self.projects
            .iter()
            .find(|(_, e)| e.data_dir.canonicalize().ok().as_deref() == Some(want.as_path()))
            .map(|(k, _)| k.as_str())
    }

    /// Adds or replaces a project.
    pub fn insert(&mut self, key: &str, entry: RegistryEntry) {
        self.projects.insert(key.to_string(), entry);
    }

    /// Writes the registry atomically to `self.path` (creating its folder).
    pub fn save(&self) -> Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let text = toml::to_string(&self.projects)
            .map_err(|e| Error::invalid(&self.path, e.to_string()))?;
        crate::util::write_atomic(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keys_and_default_model_dir() {
        let r = Registry::parse(
            Path::new("/sys/projects.toml"),
            "[mouse]\ndata_dir = \"/data/mouse\"\n\n[fly]\ndata_dir = \"/data/fly\"\nmodel_dir = \"/models/fly\"\n",
        )
        .unwrap();
        assert_eq!(
            r.get("mouse").unwrap().model_dir(),
            Path::new("/data/mouse/models")
        );
        assert_eq!(r.get("fly").unwrap().model_dir(), Path::new("/models/fly"));
    }

    #[test]
    fn bad_toml_names_the_line() {
        let e = Registry::parse(Path::new("p.toml"), "[a]\ndata_dir = \"/x\"\n[b\n").unwrap_err();
        assert!(e.to_string().starts_with("p.toml:3:"), "{e}");
    }

    #[test]
    fn save_and_load() {
        let d = tempfile::tempdir().unwrap();
        let mut r = Registry {
            path: d.path().join("sub/projects.toml"),
            ..Default::default()
        };
        r.insert(
            "k",
            RegistryEntry {
                data_dir: d.path().join("data"),
                model_dir: None,
            },
        );
        r.save().unwrap();
        let back = Registry::load(&r.path).unwrap();
        assert_eq!(back.projects, r.projects);
    }
}
