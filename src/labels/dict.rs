//! `to_dict` / `to_json` and back: the whole label set as one JSON document (posedeck's
//! `.json` label format). NaN coordinates are written as `null`.

use super::model::LabelsData;
use super::store::Labels;
use serde_json::Value;

/// Marks posedeck label JSON.
pub const JSON_FORMAT: &str = "posedeck-labels";
/// Version of the JSON layout.
pub const JSON_VERSION: u64 = 1;

impl Labels {
    /// The label set as a JSON value: `{"format", "version", "videos", "skeletons", "tracks",
    /// "labeled_frames", "suggestions", "negative_frames", "negative_anchors", "provenance"}`.
    pub fn to_dict(&self) -> Value {
        let mut v = serde_json::to_value(&self.data).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("format".into(), Value::from(JSON_FORMAT));
            m.insert("version".into(), Value::from(JSON_VERSION));
        }
        v
    }

    /// [`Labels::to_dict`] as compact JSON text.
    pub fn to_json(&self) -> String {
        self.to_dict().to_string()
    }

    /// Builds labels from [`Labels::to_dict`] output; the error says what is wrong.
    pub fn from_dict(v: Value) -> Result<Labels, String> {
        let Value::Object(mut m) = v else {
            return Err("labels JSON is not an object".into());
        };
        match m.remove("format") {
            Some(Value::String(f)) if f == JSON_FORMAT => {}
            Some(other) => return Err(format!("not posedeck labels JSON (format {other})")),
            None => return Err("not posedeck labels JSON (no \"format\" field)".into()),
        }
        match m.remove("version").and_then(|v| v.as_u64()) {
            Some(v) if v <= JSON_VERSION => {}
            Some(v) => {
                return Err(format!(
                    "labels JSON version {v} is newer than {JSON_VERSION}"
                ));
            }
            None => return Err("labels JSON has no numeric \"version\"".into()),
        }
        let data: LabelsData =
            serde_json::from_value(Value::Object(m)).map_err(|e| e.to_string())?;
        Labels::from_data(data)
    }

    /// Parses [`Labels::to_json`] output; errors carry the line and column.
    pub fn from_json(text: &str) -> Result<Labels, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Labels::from_dict(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::{Instance, Point, Skeleton, Video};

    #[test]
    fn dict_round_trip_and_bad_input() {
        let mut l = Labels::new();
        l.add_video(Video::from_path("a.mp4"));
        l.add_skeleton(Skeleton::new("s", &["a", "b"], &[(0, 1)]));
        l.add_instance(
            0,
            3,
            Instance::user(0, vec![Point::new(1.0, 2.0), Point::missing()]),
        )
        .unwrap();
        let j = l.to_json();
        let back = Labels::from_json(&j).unwrap();
        assert_eq!(back, l);
        assert!(back.frame(0, 3).unwrap().instances[0].points[1].x.is_nan());
        assert!(
            Labels::from_json("[1]")
                .unwrap_err()
                .contains("not an object")
        );
        assert!(Labels::from_json("{}").unwrap_err().contains("format"));
        let newer = j.replace("\"version\":1", "\"version\":99");
        assert!(Labels::from_json(&newer).unwrap_err().contains("newer"));
        let bad = j.replace("\"skeleton\":0", "\"skeleton\":5");
        assert!(Labels::from_json(&bad).unwrap_err().contains("skeleton 5"));
        assert!(
            Labels::from_json("{\"format\":")
                .unwrap_err()
                .contains("line 1")
        );
    }
}
