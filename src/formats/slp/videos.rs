//! `videos_json` rows and the frames some .slp files embed (`.pkg.slp`).
//!
//! A row is `{filename?, backend: {...}, source_video?}`. `backend.filename == "."` means the
//! frames are stored in this file at `backend.dataset` (`videoN/video`): one encoded image
//! per row (variable-length int8, or an int8 `(n, maxlen)` zero-padded array), or raw pixels
//! when the dataset's `format` attribute is `"hdf5"`. `videoN/frame_numbers` maps stored rows
//! to frame indices and `videoN/source_video` (attribute or dataset `json`; legacy
//! `original_video`) describes the video the frames came from.

use crate::formats::hdf5::{Attr, Dtype, H5File};
use crate::labels::{EmbeddedFrames, JsonMap, Video};
use crate::{Error, Result};
use serde_json::Value;
use std::path::Path;

/// How the encoded frames of an embedded video were stored, recorded in
/// `EmbeddedFrames::extra["storage"]` so the writer can store them the same way.
pub const STORAGE_VLEN: &str = "vlen";
pub const STORAGE_PADDED: &str = "padded";
pub const STORAGE_RAW: &str = "raw";

/// Parses one JSON row of a `*_json` dataset.
pub fn parse_row(path: &Path, dataset: &str, i: usize, row: &str) -> Result<Value> {
    serde_json::from_str(row).map_err(|e| {
        Error::invalid(
            path,
            format!("dataset /{dataset} row {i}: not valid JSON ({e})"),
        )
    })
}

/// Reads `/videos_json` and any embedded frames.
pub fn read_videos(file: &H5File, warnings: &mut Vec<String>) -> Result<Vec<Video>> {
    let Some(ds) = file.dataset("videos_json")? else {
        return Ok(Vec::new());
    };
    let rows = ds.read_strings()?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let v = parse_row(file.path(), "videos_json", i, row)?;
        let video = video_from_json(&v).map_err(|m| {
            Error::invalid(file.path(), format!("dataset /videos_json row {i}: {m}"))
        })?;
        out.push(attach_embedded(file, video, i, warnings)?);
    }
    Ok(out)
}

/// Builds a video from a `videos_json` object (no embedded frames yet).
pub fn video_from_json(v: &Value) -> std::result::Result<Video, String> {
    let obj = v.as_object().ok_or("video entry is not a JSON object")?;
    let backend: JsonMap = match obj.get("backend") {
        Some(Value::Object(b)) => b.clone(),
        None | Some(Value::Null) => JsonMap::new(),
        Some(_) => return Err("\"backend\" is not an object".into()),
    };
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    // An image sequence lists its images in backend.filenames, or (sleap-io) as a list in
    // the top-level filename.
    let image_filenames = match (backend.get("filenames"), obj.get("filename")) {
        (Some(f @ Value::Array(_)), _) => {
            strings(f).ok_or("backend.filenames is not a list of strings")?
        }
        (_, Some(f @ Value::Array(_))) => strings(f).ok_or("filename is not a list of strings")?,
        _ => Vec::new(),
    };
    let filename = match (backend.get("filename"), obj.get("filename")) {
        (Some(Value::String(s)), _) => s.clone(),
        (_, Some(Value::String(s))) => s.clone(),
        _ if !image_filenames.is_empty() => image_filenames[0].clone(),
        _ => return Err("video entry has no filename".into()),
    };
    let shape = backend.get("shape").and_then(|s| {
        let a = s.as_array()?;
        if a.len() != 4 {
            return None;
        }
        let mut r = [0u64; 4];
        for (d, x) in r.iter_mut().zip(a) {
            *d = x.as_u64()?;
        }
        Some(r)
    });
    let fps = backend.get("fps").and_then(Value::as_f64);
    let source = obj
        .get("source_video")
        .filter(|s| !s.is_null())
        .or_else(|| obj.get("original_video").filter(|s| !s.is_null()));
    let source_video = match source {
        Some(s) => Some(Box::new(
            video_from_json(s).map_err(|e| format!("source_video: {e}"))?,
        )),
        None => None,
    };
    let extra: JsonMap = obj
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "filename" | "backend" | "source_video"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Video {
        filename,
        image_filenames,
        backend,
        shape,
        fps,
        embedded: None,
        source_video,
        extra,
    })
}

fn attr_json(a: &Attr) -> Value {
    match a {
        Attr::Int(i) => Value::from(*i),
        Attr::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Attr::Str(s) => Value::String(s.clone()),
        Attr::Ints(v) => Value::from(v.clone()),
        Attr::Floats(v) => Value::Array(
            v.iter()
                .map(|f| serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number))
                .collect(),
        ),
        Attr::Strs(v) => Value::from(v.clone()),
        Attr::Unreadable => Value::Null,
    }
}

/// Reads the frames of an embedded video (`filename == "."`) from this file.
fn attach_embedded(
    file: &H5File,
    mut video: Video,
    index: usize,
    warnings: &mut Vec<String>,
) -> Result<Video> {
    if video.filename != "." {
        return Ok(video);
    }
    let dataset = video
        .backend
        .get("dataset")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim_matches('/')
        .to_string();
    let group = dataset
        .strip_suffix("/video")
        .unwrap_or(&dataset)
        .to_string();
    let bad = |msg: String| {
        Error::invalid(
            file.path(),
            format!("embedded video {index} (/{dataset}): {msg}"),
        )
    };
    let Some(ds) = file.dataset(&format!("{group}/video"))? else {
        warnings.push(format!(
            "video {index}: frames are said to be embedded at /{group}/video but that dataset is missing"
        ));
        return Ok(video);
    };
    let mut attrs = JsonMap::new();
    for (k, v) in ds.attrs()? {
        attrs.insert(k, attr_json(&v));
    }
    let format = attrs
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("png")
        .to_string();
    let dtype = ds.dtype()?;
    let shape = ds.shape()?;
    let mut extra = JsonMap::new();
    let frames: Vec<Vec<u8>> = match (&dtype, format.as_str()) {
        (Dtype::VlenSeq { .. }, _) => {
            extra.insert("storage".into(), STORAGE_VLEN.into());
            ds.read_vlen_bytes()?
        }
        (_, "hdf5") => {
            extra.insert("storage".into(), STORAGE_RAW.into());
            extra.insert("shape".into(), Value::from(shape.clone()));
            let raw = ds.raw_bytes()?;
            let n = shape.first().copied().unwrap_or(0) as usize;
            let per = raw.len().checked_div(n).unwrap_or(0);
            raw.chunks(per.max(1)).take(n).map(<[u8]>::to_vec).collect()
        }
        (Dtype::Int { size: 1, .. }, _) => {
            extra.insert("storage".into(), STORAGE_PADDED.into());
            extra.insert("chunked".into(), Value::Bool(ds.is_chunked()));
            let raw = ds.raw_bytes()?;
            let (n, width) = match shape.as_slice() {
                [n, w] => (*n as usize, *w as usize),
                [n] if *n == 0 => (0, 0),
                _ => {
                    return Err(bad(format!(
                        "unexpected shape {shape:?} for encoded frames"
                    )));
                }
            };
            (0..n)
                .map(|r| {
                    let row = raw.get(r * width..(r + 1) * width).unwrap_or(&[]);
                    let end = row.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
                    row[..end].to_vec()
                })
                .collect()
        }
        (other, _) => return Err(bad(format!("unsupported frame storage {other:?}"))),
    };
    let frame_numbers: Vec<u64> = match file.dataset(&format!("{group}/frame_numbers"))? {
        Some(fnd) => {
            let t = fnd.dtype()?;
            let raw = fnd.raw_bytes()?;
            let w = t.size().max(1);
            raw.chunks_exact(w)
                .map(|c| {
                    let mut b = [0u8; 8];
                    b[..w.min(8)].copy_from_slice(&c[..w.min(8)]);
                    match t {
                        Dtype::Float { size: 8, .. } => f64::from_le_bytes(b) as u64,
                        _ => u64::from_le_bytes(b),
                    }
                })
                .collect()
        }
        None => (0..frames.len() as u64).collect(),
    };
    if frame_numbers.len() != frames.len() {
        warnings.push(format!(
            "video {index}: {} embedded frames but {} frame numbers",
            frames.len(),
            frame_numbers.len()
        ));
    }
    // Source video: dataset `json` (spilled, > 64 KB), attribute `json`, or legacy
    // `original_video`.
    let src_json = source_video_json(file, &format!("{group}/source_video"))?
        .or(source_video_json(file, &format!("{group}/original_video"))?);
    if let Some(text) = src_json {
        let v = parse_row(file.path(), &format!("{group}/source_video"), 0, &text)?;
        match video_from_json(&v) {
            Ok(src) => video.source_video = Some(Box::new(src)),
            Err(e) => warnings.push(format!("video {index}: source video ignored: {e}")),
        }
    }
    video.embedded = Some(EmbeddedFrames {
        dataset: format!("{group}/video"),
        format,
        frame_numbers,
        frames,
        attrs,
        extra,
    });
    Ok(video)
}

fn source_video_json(file: &H5File, group: &str) -> Result<Option<String>> {
    if !file.exists(group) {
        return Ok(None);
    }
    if let Some(ds) = file.dataset(&format!("{group}/json"))? {
        return Ok(ds.read_strings()?.into_iter().next());
    }
    Ok(file
        .attr(group, "json")?
        .and_then(|a| a.as_str().map(str::to_string)))
}

/// The places a stored video path is looked for: as stored, then a file of the same name
/// beside the labels file (as sleap-io does). Windows separators count as separators.
pub fn candidates(stored: &str, labels_dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![std::path::PathBuf::from(stored)];
    if let Some(base) = stored.rsplit(['/', '\\']).next().filter(|b| !b.is_empty()) {
        out.push(labels_dir.join(base));
    }
    out
}

/// Warns about each referenced video (or image) that exists neither where stored nor beside
/// the labels file. Embedded frames need nothing.
pub fn check_media(videos: &[Video], labels_dir: &Path, warnings: &mut Vec<String>) {
    let found = |p: &str| candidates(p, labels_dir).iter().any(|c| c.exists());
    for (i, v) in videos.iter().enumerate() {
        if v.embedded.is_some() {
            continue;
        }
        if v.is_image_sequence() {
            let missing = v.image_filenames.iter().filter(|p| !found(p)).count();
            if missing > 0 {
                warnings.push(format!(
                    "video {i}: {missing} of {} images not found (first: {})",
                    v.image_filenames.len(),
                    crate::sanitize::clean(v.image_filenames.first().map_or("", |s| s.as_str()))
                ));
            }
        } else if !found(&v.filename) {
            warnings.push(format!(
                "video {i}: {} not found (nor beside the labels file); labels are still usable",
                crate::sanitize::clean(&v.filename)
            ));
        }
    }
}
