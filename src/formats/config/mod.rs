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
    yaml_from_str(path, text)
}

/// Parses YAML text after [`check_nesting`]; errors name the file and line.
pub(crate) fn yaml_from_str<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    check_nesting(path, text)?;
    serde_norway::from_str(text).map_err(|e| yaml_error(path, e))
}

/// Deepest flow nesting (`[`, `{`) a YAML file may have.
pub const MAX_YAML_FLOW_DEPTH: usize = 64;
/// Widest block indentation (columns, `- ` markers included) a YAML file may have.
pub const MAX_YAML_INDENT: usize = 512;

/// Refuses YAML nested deeper than any config needs, before the parser sees it: the YAML
/// parser's time grows with the square of the nesting (a 200 KB file of `{a: ` took 47 s),
/// so its own recursion limit comes too late. One linear pass; quotes and comments are
/// skipped.
pub fn check_nesting(path: &Path, text: &str) -> Result<()> {
    let mut depth = 0usize;
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let mut rest = &line[indent..];
        let mut col = indent;
        while let Some(r) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("-\t")) {
            let t = r.trim_start_matches([' ', '\t']);
            col += rest.len() - t.len();
            rest = t;
        }
        if col > MAX_YAML_INDENT {
            return Err(Error::at_line(
                path,
                line_no,
                format!("nested more than {MAX_YAML_INDENT} columns deep; refusing to parse it"),
            ));
        }
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        for c in rest.chars() {
            match quote {
                Some(q) => {
                    if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    '"' | '\'' if matches!(prev, ' ' | '\t' | '[' | '{' | ',' | ':') => {
                        quote = Some(c)
                    }
                    '#' if matches!(prev, ' ' | '\t') => break,
                    '[' | '{' => {
                        depth += 1;
                        if depth > MAX_YAML_FLOW_DEPTH {
                            return Err(Error::at_line(
                                path,
                                line_no,
                                format!(
                                    "brackets nested more than {MAX_YAML_FLOW_DEPTH} deep; \
                                     refusing to parse it"
                                ),
                            ));
                        }
                    }
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
            prev = c;
        }
    }
    Ok(())
}
