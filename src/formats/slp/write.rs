//! Writing [`LabelsData`] as a format 1.4 .slp file, laid out as sleap-io 0.9.5 writes it:
//! `/metadata` (format_id, json), vlen-UTF-8 JSON row datasets, contiguous compound tables,
//! `provenance_json`, `negative_frames`, and for embedded videos `videoN/{video,
//! frame_numbers, source_video}` stored the way they were read (so images stay
//! byte-for-byte).

use super::skeleton;
use super::videos::{STORAGE_PADDED, STORAGE_RAW};
use crate::formats::hdf5::{WAttr, WData, WDataset, WGroup, WNum};
use crate::labels::{InstanceKind, JsonMap, LabelsData, Video};
use crate::{Error, Result};
use serde_json::{Value, json};
use std::path::Path;

/// The format id this writer produces.
pub const FORMAT_ID: f64 = 1.4;

/// HDF5 caps an attribute at 64 KiB; like sleap-io, keep JSON attributes under this.
pub const ATTR_LIMIT: usize = 64_000;

/// Writes `labels` to `path` atomically. Returns warnings (dropped or relocated data).
pub fn write_slp(path: &Path, labels: &LabelsData) -> Result<Vec<String>> {
    let (bytes, warnings) = to_bytes(path, labels)?;
    crate::util::write_atomic(path, &bytes)?;
    Ok(warnings)
}

/// The file image `write_slp` would write.
pub fn to_bytes(path: &Path, labels: &LabelsData) -> Result<(Vec<u8>, Vec<String>)> {
    let (root, warnings) = build(path, labels)?;
    Ok((root.to_bytes(path)?, warnings))
}

/// The HDF5 tree `write_slp` would write (tests alter it to make damaged files).
pub fn build(path: &Path, labels: &LabelsData) -> Result<(WGroup, Vec<String>)> {
    let mut warnings = Vec::new();
    let mut root = WGroup::default();

    // Metadata JSON (skeletons, nodes; provenance also goes to its own dataset).
    let (skeletons, nodes) = skeleton::encode_all(&labels.skeletons);
    let mut anchors = serde_json::Map::new();
    for a in &labels.negative_anchors {
        let e = anchors
            .entry(a.video.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(v) = e {
            v.push(json!([a.frame_idx, a.x, a.y]));
        }
    }
    let mut md = serde_json::Map::new();
    md.insert("version".into(), json!("2.0.0"));
    md.insert("skeletons".into(), Value::Array(skeletons));
    md.insert("nodes".into(), Value::Array(nodes));
    md.insert("videos".into(), json!([]));
    md.insert("tracks".into(), json!([]));
    md.insert("suggestions".into(), json!([]));
    md.insert("negative_anchors".into(), Value::Object(anchors));
    md.insert(
        "provenance".into(),
        Value::Object(labels.provenance.clone()),
    );
    let md_text = fit_metadata(path, md, &mut warnings)?;
    if !labels.provenance.is_empty() {
        root.datasets.push(WDataset::new(
            "provenance_json",
            WData::ScalarString(Value::Object(labels.provenance.clone()).to_string()),
        ));
    }
    root.groups.push((
        "metadata".into(),
        WGroup {
            attrs: vec![
                ("format_id".into(), WAttr::F64(FORMAT_ID)),
                ("json".into(), WAttr::Str(md_text)),
            ],
            ..Default::default()
        },
    ));

    // JSON row datasets.
    let mut video_rows = Vec::with_capacity(labels.videos.len());
    for (i, v) in labels.videos.iter().enumerate() {
        video_rows.push(video_json(v, v.embedded.is_some().then_some(i)).to_string());
        if let Some(emb) = &v.embedded {
            root.groups.push((
                format!("video{i}"),
                embedded_group(path, v, emb, &mut warnings)?,
            ));
        }
    }
    root.datasets
        .push(WDataset::new("videos_json", WData::VlenStrings(video_rows)));
    root.datasets.push(WDataset::new(
        "tracks_json",
        WData::VlenStrings(
            labels
                .tracks
                .iter()
                .map(|t| json!([t.spawned_on, t.name]).to_string())
                .collect(),
        ),
    ));
    root.datasets.push(WDataset::new(
        "suggestions_json",
        WData::VlenStrings(
            labels
                .suggestions
                .iter()
                .map(|s| {
                    json!({"video": s.video.to_string(), "frame_idx": s.frame_idx, "group": s.group})
                        .to_string()
                })
                .collect(),
        ),
    ));
    if !labels.sessions.is_empty() {
        root.datasets.push(WDataset::new(
            "sessions_json",
            WData::VlenStrings(labels.sessions.iter().map(Value::to_string).collect()),
        ));
    }

    // Tables.
    let t = encode_tables(labels);
    root.datasets.push(t.points);
    root.datasets.push(t.pred_points);
    root.datasets.push(t.instances);
    root.datasets.push(t.frames);
    if !labels.negative_frames.is_empty() {
        let mut bytes = Vec::with_capacity(labels.negative_frames.len() * 12);
        for n in &labels.negative_frames {
            bytes.extend_from_slice(&(n.video as u32).to_le_bytes());
            bytes.extend_from_slice(&n.frame_idx.to_le_bytes());
        }
        root.datasets.push(WDataset::new(
            "negative_frames",
            WData::Compound {
                fields: vec![
                    ("video_id".into(), 0, WNum::U32),
                    ("frame_idx".into(), 4, WNum::U64),
                ],
                row_size: 12,
                bytes,
            },
        ));
    }
    Ok((root, warnings))
}

/// Serialises the metadata object, dropping droppable keys largest-first (as sleap-io does)
/// when it would not fit in an attribute. Provenance is safe in `provenance_json`.
fn fit_metadata(
    path: &Path,
    mut md: serde_json::Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Result<String> {
    let text = Value::Object(md.clone()).to_string();
    if text.len() <= ATTR_LIMIT {
        return Ok(text);
    }
    let mut droppable: Vec<(usize, String)> = md
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "version" | "skeletons" | "nodes"))
        .map(|(k, v)| (v.to_string().len(), k.clone()))
        .collect();
    droppable.sort_by(|a, b| b.cmp(a));
    let mut dropped = Vec::new();
    for (_, k) in droppable {
        md.remove(&k);
        dropped.push(k);
        let t = Value::Object(md.clone()).to_string();
        if t.len() <= ATTR_LIMIT {
            warnings.push(format!(
                "metadata JSON over {ATTR_LIMIT} bytes: moved out of the attribute: {} (provenance is kept in /provenance_json)",
                dropped.join(", ")
            ));
            if dropped.iter().any(|d| d == "negative_anchors") {
                warnings.push("negative anchors did not fit and were not written".into());
            }
            return Ok(t);
        }
    }
    Err(Error::invalid(
        path,
        format!("the skeletons alone need more than the {ATTR_LIMIT}-byte HDF5 attribute limit"),
    ))
}

/// The `videos_json` row of a video. `embedded_at` is the index of its `videoN` group.
pub fn video_json(v: &Video, embedded_at: Option<usize>) -> Value {
    let mut obj: JsonMap = v.extra.clone();
    let mut backend = v.backend.clone();
    match embedded_at {
        Some(i) => {
            backend.insert("filename".into(), json!("."));
            backend.insert("dataset".into(), json!(format!("video{i}/video")));
            obj.insert("filename".into(), json!("."));
        }
        None if v.is_image_sequence() => {
            backend.insert("filename".into(), json!(v.image_filenames[0]));
            backend.insert("filenames".into(), json!(v.image_filenames));
            obj.insert("filename".into(), json!(v.image_filenames));
        }
        None => {
            backend.insert("filename".into(), json!(v.filename));
            obj.insert("filename".into(), json!(v.filename));
        }
    }
    obj.insert("backend".into(), Value::Object(backend));
    if embedded_at.is_none()
        && let Some(src) = &v.source_video
    {
        obj.insert("source_video".into(), video_json(src, None));
    }
    Value::Object(obj)
}

fn json_attr(v: &Value) -> Option<WAttr> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(WAttr::I64(i)),
            None => n.as_f64().map(WAttr::F64),
        },
        Value::String(s) => Some(WAttr::Str(s.clone())),
        Value::Bool(b) => Some(WAttr::I64(*b as i64)),
        _ => None,
    }
}

fn embedded_group(
    path: &Path,
    v: &Video,
    emb: &crate::labels::EmbeddedFrames,
    warnings: &mut Vec<String>,
) -> Result<WGroup> {
    let storage = emb
        .extra
        .get("storage")
        .and_then(Value::as_str)
        .unwrap_or("vlen");
    let data = match storage {
        STORAGE_RAW => {
            let shape: Vec<u64> = emb
                .extra
                .get("shape")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            let bytes: Vec<u8> = emb.frames.concat();
            let n: u64 = shape.iter().product();
            if n as usize != bytes.len() || shape.first() != Some(&(emb.frames.len() as u64)) {
                return Err(Error::invalid(
                    path,
                    format!(
                        "embedded raw frames of {}: {} bytes do not fill shape {shape:?}",
                        emb.dataset,
                        bytes.len()
                    ),
                ));
            }
            WData::Numeric {
                num: WNum::U8,
                shape,
                bytes,
            }
        }
        STORAGE_PADDED => {
            let width = emb.frames.iter().map(Vec::len).max().unwrap_or(0);
            let mut bytes = vec![0u8; width * emb.frames.len()];
            for (r, f) in emb.frames.iter().enumerate() {
                bytes[r * width..r * width + f.len()].copy_from_slice(f);
            }
            WData::Numeric {
                num: WNum::I8,
                shape: vec![emb.frames.len() as u64, width as u64],
                bytes,
            }
        }
        _ => WData::VlenBytes(emb.frames.clone()),
    };
    let mut video = WDataset::new("video", data);
    if storage == STORAGE_PADDED
        && emb.extra.get("chunked") == Some(&Value::Bool(true))
        && !emb.frames.is_empty()
    {
        video.gzip = Some((1, 4));
    }
    for (k, val) in &emb.attrs {
        match json_attr(val) {
            Some(a) => video.attrs.push((k.clone(), a)),
            None => warnings.push(format!(
                "attribute {k:?} of {} not written (unsupported value {val})",
                emb.dataset
            )),
        }
    }
    if !emb.attrs.contains_key("format") {
        video
            .attrs
            .push(("format".into(), WAttr::Str(emb.format.clone())));
    }
    let mut fnb = Vec::with_capacity(emb.frame_numbers.len() * 8);
    for f in &emb.frame_numbers {
        fnb.extend_from_slice(&(*f as i64).to_le_bytes());
    }
    let mut g = WGroup::default();
    g.datasets.push(video);
    g.datasets.push(WDataset::new(
        "frame_numbers",
        WData::Numeric {
            num: WNum::I64,
            shape: vec![emb.frame_numbers.len() as u64],
            bytes: fnb,
        },
    ));
    if let Some(src) = &v.source_video {
        let text = video_json(src, None).to_string();
        let mut sg = WGroup::default();
        if text.len() <= ATTR_LIMIT {
            sg.attrs.push(("json".into(), WAttr::Str(text)));
        } else {
            // As sleap-io: too large for an attribute, so a `json` dataset.
            sg.datasets
                .push(WDataset::new("json", WData::ScalarString(text)));
        }
        g.groups.push(("source_video".into(), sg));
    }
    Ok(g)
}

struct Tables {
    frames: WDataset,
    instances: WDataset,
    points: WDataset,
    pred_points: WDataset,
}

const FRAME_ROW: usize = 36;
const INSTANCE_ROW: usize = 57;
const POINT_ROW: usize = 18;
const PRED_POINT_ROW: usize = 26;

fn encode_tables(labels: &LabelsData) -> Tables {
    let n_frames = labels.labeled_frames.len();
    let n_inst: usize = labels
        .labeled_frames
        .iter()
        .map(|f| f.instances.len())
        .sum();
    let (mut n_user_pts, mut n_pred_pts) = (0usize, 0usize);
    for i in labels.labeled_frames.iter().flat_map(|f| &f.instances) {
        match i.kind {
            InstanceKind::User => n_user_pts += i.points.len(),
            InstanceKind::Predicted => n_pred_pts += i.points.len(),
        }
    }
    let mut frames = Vec::with_capacity(n_frames * FRAME_ROW);
    let mut insts = Vec::with_capacity(n_inst * INSTANCE_ROW);
    let mut pts = Vec::with_capacity(n_user_pts * POINT_ROW);
    let mut pred = Vec::with_capacity(n_pred_pts * PRED_POINT_ROW);
    let mut inst_id: u64 = 0;
    for (fid, f) in labels.labeled_frames.iter().enumerate() {
        let start = inst_id;
        for inst in &f.instances {
            let (kind, ps, pe) = match inst.kind {
                InstanceKind::User => {
                    let s = (pts.len() / POINT_ROW) as u64;
                    for p in &inst.points {
                        pts.extend_from_slice(&p.x.to_le_bytes());
                        pts.extend_from_slice(&p.y.to_le_bytes());
                        pts.push(p.visible as u8);
                        pts.push(p.complete as u8);
                    }
                    (0u8, s, (pts.len() / POINT_ROW) as u64)
                }
                InstanceKind::Predicted => {
                    let s = (pred.len() / PRED_POINT_ROW) as u64;
                    for p in &inst.points {
                        pred.extend_from_slice(&p.x.to_le_bytes());
                        pred.extend_from_slice(&p.y.to_le_bytes());
                        pred.push(p.visible as u8);
                        pred.push(p.complete as u8);
                        pred.extend_from_slice(&p.score.to_le_bytes());
                    }
                    (1u8, s, (pred.len() / PRED_POINT_ROW) as u64)
                }
            };
            let track: i32 = inst.track.map_or(-1, |t| t as i32);
            let from_pred: i64 = inst
                .from_predicted
                .filter(|&p| p < f.instances.len())
                .map_or(-1, |p| (start + p as u64) as i64);
            insts.extend_from_slice(&(inst_id as i64).to_le_bytes());
            insts.push(kind);
            insts.extend_from_slice(&(fid as u64).to_le_bytes());
            insts.extend_from_slice(&(inst.skeleton as u32).to_le_bytes());
            insts.extend_from_slice(&track.to_le_bytes());
            insts.extend_from_slice(&from_pred.to_le_bytes());
            insts.extend_from_slice(&(inst.score as f32).to_le_bytes());
            insts.extend_from_slice(&ps.to_le_bytes());
            insts.extend_from_slice(&pe.to_le_bytes());
            insts.extend_from_slice(&(inst.tracking_score as f32).to_le_bytes());
            inst_id += 1;
        }
        frames.extend_from_slice(&(fid as u64).to_le_bytes());
        frames.extend_from_slice(&(f.video as u32).to_le_bytes());
        frames.extend_from_slice(&f.frame_idx.to_le_bytes());
        frames.extend_from_slice(&start.to_le_bytes());
        frames.extend_from_slice(&inst_id.to_le_bytes());
    }
    let point_fields = |score: bool| {
        let mut f = vec![
            ("x".to_string(), 0, WNum::F64),
            ("y".to_string(), 8, WNum::F64),
            ("visible".to_string(), 16, WNum::Bool),
            ("complete".to_string(), 17, WNum::Bool),
        ];
        if score {
            f.push(("score".to_string(), 18, WNum::F64));
        }
        f
    };
    Tables {
        frames: WDataset::new(
            "frames",
            WData::Compound {
                fields: vec![
                    ("frame_id".into(), 0, WNum::U64),
                    ("video".into(), 8, WNum::U32),
                    ("frame_idx".into(), 12, WNum::U64),
                    ("instance_id_start".into(), 20, WNum::U64),
                    ("instance_id_end".into(), 28, WNum::U64),
                ],
                row_size: FRAME_ROW,
                bytes: frames,
            },
        ),
        instances: WDataset::new(
            "instances",
            WData::Compound {
                fields: vec![
                    ("instance_id".into(), 0, WNum::I64),
                    ("instance_type".into(), 8, WNum::U8),
                    ("frame_id".into(), 9, WNum::U64),
                    ("skeleton".into(), 17, WNum::U32),
                    ("track".into(), 21, WNum::I32),
                    ("from_predicted".into(), 25, WNum::I64),
                    ("score".into(), 33, WNum::F32),
                    ("point_id_start".into(), 37, WNum::U64),
                    ("point_id_end".into(), 45, WNum::U64),
                    ("tracking_score".into(), 53, WNum::F32),
                ],
                row_size: INSTANCE_ROW,
                bytes: insts,
            },
        ),
        points: WDataset::new(
            "points",
            WData::Compound {
                fields: point_fields(false),
                row_size: POINT_ROW,
                bytes: pts,
            },
        ),
        pred_points: WDataset::new(
            "pred_points",
            WData::Compound {
                fields: point_fields(true),
                row_size: PRED_POINT_ROW,
                bytes: pred,
            },
        ),
    }
}
