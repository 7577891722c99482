//! Lightning Pose's small text files: the model config (`config.yaml`), the new app's
//! `project.yaml`, Label Studio's metadata and labeling config, `train_status.json` and the
//! project registry (`~/.lightning-pose/projects.toml`).
//!
//! Every reader returns [`crate::Error`] naming the file and, where the parser reports one,
//! the line (YAML, JSON, TOML) or byte offset (XML).

pub mod lp_config;
pub mod ls_metadata;
pub mod ls_xml;
pub mod overrides;
pub mod project_yaml;
pub mod registry;
pub mod train_status;

pub use lp_config::{ConfigDiff, ConfigSummary, LpConfig};
pub use ls_metadata::LabelStudioMetadata;
pub use ls_xml::{KeypointStyle, LabelStudioConfig};
pub use project_yaml::ProjectYaml;
pub use registry::{Registry, RegistryEntry};
pub use train_status::{Progress, RunState, TrainStatus};

use crate::{Error, Result};
use std::path::Path;

/// Converts a YAML parse error into an error naming the file and line.
pub(crate) fn yaml_error(path: &Path, e: serde_norway::Error) -> Error {
    match e.location() {
        Some(loc) => Error::at_line(path, loc.line() as u64, strip_position(&e.to_string())),
        None => Error::invalid(path, e.to_string()),
    }
}

/// Converts a JSON parse error into an error naming the file and line.
pub(crate) fn json_error(path: &Path, e: serde_json::Error) -> Error {
    if e.line() == 0 {
        return Error::invalid(path, e.to_string());
    }
    Error::at_line(path, e.line() as u64, strip_position(&e.to_string()))
}

/// Drops a trailing " at line N column M" the parsers append (the error already carries it).
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains("column") => msg[..i].to_string(),
        _ => msg.to_string(),
    }
}

/// Reads a text file that must not be empty; a 0-byte file is an error naming it.
pub(crate) fn read_nonempty(path: &Path) -> Result<String> {
    let text = crate::util::read_text(path)?;
    if text.trim().is_empty() {
        return Err(Error::invalid(
            path,
            format!("empty file ({} bytes)", text.len()),
        ));
    }
    Ok(text)
}

/// Parses YAML text into a value tree; errors name the file and line.
pub(crate) fn parse_yaml_value(path: &Path, text: &str) -> Result<serde_norway::Value> {
    serde_norway::from_str(text).map_err(|e| yaml_error(path, e))
}
