//! The new app's `<data_dir>/project.yaml`: `view_names, keypoint_names, schema_version`.

use super::read_nonempty;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProjectYaml {
    pub view_names: Vec<String>,
    pub keypoint_names: Vec<String>,
    pub schema_version: Option<serde_norway::Value>,
}

impl ProjectYaml {
    pub fn load(path: &Path) -> Result<ProjectYaml> {
        let text = read_nonempty(path)?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<ProjectYaml> {
        let v: serde_norway::Value = super::yaml_from_str(path, text)?;
        if !matches!(v, serde_norway::Value::Mapping(_)) {
            return Err(Error::invalid(path, "project.yaml is not a mapping"));
        }
        // Parse from the text again so a wrongly typed field names its line.
        let p: Option<ProjectYaml> = super::yaml_from_str(path, text)?;
        Ok(p.unwrap_or_default())
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text =
            serde_norway::to_string(self).map_err(|e| Error::invalid(path, e.to_string()))?;
        crate::util::write_atomic(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_views_and_keypoints() {
        let p = ProjectYaml::parse(
            Path::new("project.yaml"),
            "view_names: [top, bot]\nkeypoint_names:\n- nose\n- tail\nschema_version: 1\n",
        )
        .unwrap();
        assert_eq!(p.view_names, ["top", "bot"]);
        assert_eq!(p.keypoint_names, ["nose", "tail"]);
    }

    #[test]
    fn wrong_type_is_an_error_with_line() {
        let e = ProjectYaml::parse(Path::new("p.yaml"), "view_names: []\nkeypoint_names: 3\n")
            .unwrap_err();
        assert!(matches!(e, Error::AtLine { line: 2, .. }), "{e}");
    }
}
