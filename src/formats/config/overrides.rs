//! Hydra-style overrides of a config's YAML text: `(dotted key, YAML value)` pairs, as
//! `posedeck train --set KEY=VALUE` and the train form write them.

use serde_norway::{Mapping, Value};

/// A config's YAML text with `(dotted key, YAML value)` pairs written over it (missing
/// mappings are created). Comments are not kept: the result is for the engine to read.
pub fn apply_overrides(
    text: &str,
    overrides: &[(String, String)],
) -> std::result::Result<String, String> {
    super::check_nesting(std::path::Path::new("config"), text).map_err(|e| e.to_string())?;
    let mut root: Value = serde_norway::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    if root.is_null() {
        root = Value::Mapping(Mapping::new());
    }
    for (key, raw) in overrides {
        let value: Value = serde_norway::from_str(raw).unwrap_or(Value::String(raw.clone()));
        let parts: Vec<&str> = key.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!("{key:?}: not a dotted key"));
        }
        let mut node = &mut root;
        for (i, part) in parts.iter().enumerate() {
            let Value::Mapping(m) = node else {
                return Err(format!("{key}: {} is not a mapping", parts[..i].join(".")));
            };
            let k = Value::String((*part).to_owned());
            if i + 1 == parts.len() {
                m.insert(k, value.clone());
                break;
            }
            let child = m.entry(k).or_insert_with(|| Value::Mapping(Mapping::new()));
            if child.is_null() {
                *child = Value::Mapping(Mapping::new());
            }
            node = child;
        }
    }
    serde_norway::to_string(&root).map_err(|e| format!("cannot write YAML: {e}"))
}

/// The unsupervised losses a Lightning Pose config can name in `model.losses_to_use` that
/// posedeck trains.
pub const UNSUPERVISED_LOSSES: [&str; 3] = ["temporal", "pca_singleview", "pca_multiview"];

/// A losses field as the train form and `posedeck train --losses` take it: `none` (or empty)
/// for a supervised run, else names separated by commas, each optionally with its
/// `log_weight` after a colon (`temporal:5.0, pca_multiview`). Returns the overrides:
/// `model.losses_to_use` and a `losses.<name>.log_weight` for each weight given.
pub fn losses_overrides(spec: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut names = Vec::new();
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim) {
        if part.is_empty() || part == "none" {
            continue;
        }
        let (name, weight) = match part.split_once(':') {
            Some((n, w)) => (n.trim(), Some(w.trim())),
            None => (part, None),
        };
        if !UNSUPERVISED_LOSSES.contains(&name) {
            return Err(format!(
                "losses: {name:?}: posedeck trains {} (or none)",
                UNSUPERVISED_LOSSES.join(", ")
            ));
        }
        if names.contains(&name) {
            return Err(format!("losses: {name} named twice"));
        }
        if let Some(w) = weight {
            match w.parse::<f64>() {
                Ok(v) if v.is_finite() && v.abs() <= 100.0 => {
                    out.push((format!("losses.{name}.log_weight"), format!("{v:?}")));
                }
                _ => {
                    return Err(format!(
                        "losses: {name}:{w}: the log_weight after the colon must be a number in -100..100"
                    ));
                }
            }
        }
        names.push(name);
    }
    out.insert(
        0,
        (
            "model.losses_to_use".to_string(),
            format!("[{}]", names.join(", ")),
        ),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_and_create_keys() {
        let text = "data:\n  image_resize_dims: {height: 256, width: 256}\nmodel: {backbone: resnet50}\ntraining: null\n";
        let o = vec![
            (
                "data.image_resize_dims.height".to_string(),
                "128".to_string(),
            ),
            ("model.backbone".to_string(), "resnet18".to_string()),
            ("training.max_epochs".to_string(), "2".to_string()),
        ];
        let out = apply_overrides(text, &o).unwrap();
        let v: Value = serde_norway::from_str(&out).unwrap();
        assert_eq!(v["data"]["image_resize_dims"]["height"].as_u64(), Some(128));
        assert_eq!(v["data"]["image_resize_dims"]["width"].as_u64(), Some(256));
        assert_eq!(v["model"]["backbone"].as_str(), Some("resnet18"));
        assert_eq!(v["training"]["max_epochs"].as_u64(), Some(2));
        let bad = vec![("model.backbone.x".to_string(), "1".to_string())];
        assert!(
            apply_overrides(text, &bad)
                .unwrap_err()
                .contains("model.backbone")
        );
    }

    #[test]
    fn losses_field_to_overrides() {
        let o = losses_overrides("temporal:5, pca_multiview").unwrap();
        assert_eq!(
            o,
            vec![
                (
                    "model.losses_to_use".into(),
                    "[temporal, pca_multiview]".into()
                ),
                ("losses.temporal.log_weight".into(), "5.0".into()),
            ]
        );
        assert_eq!(
            losses_overrides("none").unwrap(),
            vec![("model.losses_to_use".to_string(), "[]".to_string())]
        );
        assert!(
            losses_overrides("unimodal")
                .unwrap_err()
                .contains("unimodal")
        );
        assert!(
            losses_overrides("temporal:x")
                .unwrap_err()
                .contains("log_weight")
        );
        assert!(losses_overrides("temporal:inf").is_err());
        assert!(
            losses_overrides("temporal, temporal")
                .unwrap_err()
                .contains("twice")
        );
        let text = apply_overrides("model: {losses_to_use: []}\n", &o).unwrap();
        let v: Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(
            v["model"]["losses_to_use"][1].as_str(),
            Some("pca_multiview")
        );
        assert_eq!(v["losses"]["temporal"]["log_weight"].as_f64(), Some(5.0));
    }
}
