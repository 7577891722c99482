//! A SLEAP .slp file as the views' data: skeleton, labeled frames (first user instance as the
//! labels, further instances and stored predictions drawn too), videos, and where each frame's
//! pixels are (embedded bytes, an image file, or a blank canvas for video frames).

use crate::formats::slp::{read_slp, videos::candidates};
use crate::labels::{InstanceKind, Video};
use crate::sanitize::clean;
use crate::tui::data::{Data, Frame, FrameSource, VideoLabels, VideoRow};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

fn video_name(v: &Video, i: usize) -> String {
    let p = v.identity_path();
    let base = p.rsplit(['/', '\\']).next().unwrap_or(p);
    if base.is_empty() || base == "." {
        format!("video{i}")
    } else {
        clean(base).into_owned()
    }
}

fn shape_wh(v: &Video) -> Option<(u32, u32)> {
    v.shape
        .or_else(|| v.source_video.as_ref().and_then(|s| s.shape))
        .map(|s| (s[2] as u32, s[1] as u32))
        .filter(|(w, h)| *w > 0 && *h > 0)
}

fn source_of(v: &Video, vi: usize, frame_idx: u64, dir: &Path, slp: &Path) -> FrameSource {
    let (w, h) = shape_wh(v).unwrap_or((640, 480));
    if let Some(e) = &v.embedded {
        let Some(row) = e.row_of(frame_idx) else {
            return FrameSource::Blank {
                width: w,
                height: h,
                why: format!("frame {frame_idx} is not among the embedded frames"),
            };
        };
        let Some(bytes) = e.frames.get(row) else {
            return FrameSource::Blank {
                width: w,
                height: h,
                why: format!("embedded row {row} missing"),
            };
        };
        let name = format!("{}: video{vi} frame {frame_idx}", slp.display());
        if e.format == "hdf5" {
            return raw_source(e, bytes, name, w, h);
        }
        return FrameSource::Bytes {
            name,
            bytes: Arc::new(bytes.clone()),
        };
    }
    if v.is_image_sequence() {
        let Some(img) = v.image_filenames.get(frame_idx as usize) else {
            return FrameSource::Blank {
                width: w,
                height: h,
                why: format!("image {frame_idx} not in the sequence"),
            };
        };
        return match candidates(img, dir).into_iter().find(|c| c.is_file()) {
            Some(p) => FrameSource::File(p),
            None => FrameSource::Blank {
                width: w,
                height: h,
                why: format!("{} not found", clean(img)),
            },
        };
    }
    FrameSource::Blank {
        width: w,
        height: h,
        why: "video frame: ffmpeg not found, keypoints on a blank canvas".into(),
    }
}

/// Embedded raw pixels (HxWxC u8) re-encoded as PNG so the image worker sees one format.
fn raw_source(
    e: &crate::labels::EmbeddedFrames,
    bytes: &[u8],
    name: String,
    w: u32,
    h: u32,
) -> FrameSource {
    let get = |k: &str| e.attrs.get(k).and_then(|v| v.as_u64());
    let (fw, fh, c) = (
        get("width").unwrap_or(w as u64) as u32,
        get("height").unwrap_or(h as u64) as u32,
        get("channels").unwrap_or(1) as u32,
    );
    let img = match c {
        1 => image::GrayImage::from_raw(fw, fh, bytes.to_vec()).map(image::DynamicImage::ImageLuma8),
        3 => image::RgbImage::from_raw(fw, fh, bytes.to_vec()).map(image::DynamicImage::ImageRgb8),
        _ => None,
    };
    let mut png = Vec::new();
    match img.map(|i| i.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)) {
        Some(Ok(())) => FrameSource::Bytes {
            name,
            bytes: Arc::new(png),
        },
        _ => FrameSource::Blank {
            width: fw.max(1),
            height: fh.max(1),
            why: format!("{name}: raw frame is not {fh}x{fw}x{c} u8"),
        },
    }
}

pub fn load(path: &Path) -> Result<Data, String> {
    let f = read_slp(path).map_err(|e| e.to_string())?;
    let l = &f.labels;
    let dir = path.parent().unwrap_or(Path::new("."));
    let sk = l.skeletons.first();
    let mut d = Data {
        root: path.to_path_buf(),
        kind: format!("SLEAP labels (format {})", f.format_id),
        keypoints: sk
            .map(|s| s.nodes.iter().map(|n| clean(n).into_owned()).collect())
            .unwrap_or_default(),
        edges: sk.map(|s| s.edges.clone()).unwrap_or_default(),
        warnings: f.warnings.iter().map(|w| clean(w).into_owned()).collect(),
        ..Default::default()
    };
    d.keypoint_rgb = vec![None; d.keypoints.len()];
    let xy = |inst: &crate::labels::Instance| -> Vec<Option<(f64, f64)>> {
        inst.points
            .iter()
            .map(|p| p.is_labeled().then_some((p.x, p.y)))
            .collect()
    };
    let mut per_video: BTreeMap<String, VideoLabels> = BTreeMap::new();
    for lf in &l.labeled_frames {
        let Some(v) = l.videos.get(lf.video) else {
            d.warnings
                .push(format!("frame {} refers to missing video {}", lf.frame_idx, lf.video));
            continue;
        };
        let vname = video_name(v, lf.video);
        let users: Vec<Vec<Option<(f64, f64)>>> = lf
            .instances
            .iter()
            .filter(|i| i.kind == InstanceKind::User)
            .map(xy)
            .collect();
        let predicted: Vec<Vec<Option<(f64, f64)>>> = lf
            .instances
            .iter()
            .filter(|i| i.kind != InstanceKind::User)
            .map(xy)
            .collect();
        let mut it = users.into_iter();
        let points = it.next().unwrap_or_default();
        let frame = Frame {
            image: format!("{vname}:{}", lf.frame_idx),
            source: source_of(v, lf.video, lf.frame_idx, dir, path),
            video: vname.clone(),
            points,
            others: it.collect(),
            predicted,
        };
        let e = per_video.entry(vname.clone()).or_insert_with(|| VideoLabels {
            video: vname,
            ..Default::default()
        });
        if !frame.points.is_empty() {
            e.labeled += 1;
            let miss = frame.n_missing();
            if miss > 0 {
                e.with_missing += 1;
                e.missing_keypoints += miss;
            }
        }
        d.frames.push(frame);
    }
    d.per_video = per_video.into_values().collect();
    d.n_labeled = d.per_video.iter().map(|v| v.labeled).sum();
    d.n_missing_frames = d.per_video.iter().map(|v| v.with_missing).sum();
    for (i, v) in l.videos.iter().enumerate() {
        let found = candidates(v.identity_path(), dir).into_iter().find(|c| c.is_file());
        let (folder, file) = match &found {
            Some(p) => (
                p.parent().map(|q| q.display().to_string()).unwrap_or_default(),
                p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            ),
            None => (String::new(), video_name(v, i)),
        };
        let note = if v.embedded.is_some() {
            Some("frames embedded in the .slp".to_owned())
        } else if v.is_image_sequence() {
            Some(format!("image sequence of {}", v.image_filenames.len()))
        } else if found.is_none() {
            Some("not found".to_owned())
        } else {
            None
        };
        d.videos.push(VideoRow {
            folder: clean(&folder).into_owned(),
            file: clean(&file).into_owned(),
            size_bytes: found
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .unwrap_or(0),
            path: found.unwrap_or_default(),
            frames: v.shape.map(|s| s[0]),
            fps: v.fps,
            codec: None,
            width: shape_wh(v).map(|x| x.0 as u64),
            height: shape_wh(v).map(|x| x.1 as u64),
            note,
        });
    }
    Ok(d)
}
