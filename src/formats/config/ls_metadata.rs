//! `label_studio_metadata.yaml` of the old app: project name, id, task counts.
//! The file also holds `api_key`; it is never read into memory, stored or serialised.

use super::read_nonempty;
use crate::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LabelStudioMetadata {
    #[serde(deserialize_with = "lenient_string")]
    pub project_name: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub created_at: Option<String>,
    pub n_labeled_tasks: Option<u64>,
    pub n_total_tasks: Option<u64>,
}

/// Accepts a string, a number or a date-like scalar as text.
fn lenient_string<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Int(i64),
        Float(f64),
        Bool(bool),
    }
    Ok(Option::<Scalar>::deserialize(d)?.map(|s| match s {
        Scalar::Text(s) => s,
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Bool(b) => b.to_string(),
    }))
}

impl LabelStudioMetadata {
    pub fn load(path: &Path) -> Result<LabelStudioMetadata> {
        let text = read_nonempty(path)?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<LabelStudioMetadata> {
        let m: Option<LabelStudioMetadata> = super::yaml_from_str(path, text)?;
        let m = m.ok_or_else(|| Error::invalid(path, "empty document"))?;
        if let (Some(l), Some(t)) = (m.n_labeled_tasks, m.n_total_tasks)
            && l > t
        {
            return Err(Error::invalid(
                path,
                format!("n_labeled_tasks ({l}) is larger than n_total_tasks ({t})"),
            ));
        }
        Ok(m)
    }

    /// Labeling progress in [0, 1], when both counts are known and the total is not 0.
    pub fn progress(&self) -> Option<f64> {
        match (self.n_labeled_tasks, self.n_total_tasks) {
            (Some(l), Some(t)) if t > 0 => Some(l as f64 / t as f64),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_keeps_the_api_key() {
        let text = "project_name: mouse\nid: 4\ncreated_at: 2023-01-02\napi_key: SECRET123\nn_labeled_tasks: 30\nn_total_tasks: 40\n";
        let m = LabelStudioMetadata::parse(Path::new("m.yaml"), text).unwrap();
        assert_eq!(m.project_name.as_deref(), Some("mouse"));
        assert_eq!(m.id.as_deref(), Some("4"));
        assert_eq!(m.progress(), Some(0.75));
        let json = serde_json::to_string(&m).unwrap();
        assert!(
            !json.contains("SECRET") && !json.contains("api_key"),
            "{json}"
        );
        assert!(!format!("{m:?}").contains("SECRET"));
    }
}
