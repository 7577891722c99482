//! A SLEAP .slp file as the views' data: skeleton, labeled frames (first user instance as the
//! labels, further instances and stored predictions drawn too), videos, and where each frame's
//! pixels are (embedded bytes, an image file, or a blank canvas for video frames).

use crate::formats::slp::{read_slp, videos::candidates};
use crate::labels::media::FrameSource as MediaSource;
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

fn source_of(v: &Video, src: &MediaSource, frame_idx: u64, dir: &Path) -> FrameSource {
    let (w, h) = shape_wh(v).unwrap_or((640, 480));
    let blank = |why: String| FrameSource::Blank {
        width: w,
        height: h,
        why,
    };
    match src.encoded(frame_idx) {
        Ok(Some(enc)) => FrameSource::Bytes {
            name: format!("{} frame {frame_idx}", src.describe()),
            bytes: Arc::new(enc.bytes),
        },
        // Raw embedded pixels: decoded once here, handed on as PNG.
        Ok(None) if v.embedded.is_some() => match src.image(frame_idx).map(|i| i.to_png()) {
            Ok(Ok(png)) => FrameSource::Bytes {
                name: format!("{} frame {frame_idx}", src.describe()),
                bytes: Arc::new(png),
            },
            Ok(Err(e)) => blank(clean(&e).into_owned()),
            Err(e) => blank(clean(&e.to_string()).into_owned()),
        },
        // A video file: decoded on demand by the image worker (ffmpeg), else a blank canvas.
        Ok(None) => match candidates(&v.filename, dir)
            .into_iter()
            .find(|c| c.is_file())
        {
            Some(path) => FrameSource::Video {
                path,
                frame: frame_idx,
                width: w,
                height: h,
            },
            None => blank(format!("{} not found", clean(&v.filename))),
        },
        Err(e) => blank(clean(&e.to_string()).into_owned()),
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
            d.warnings.push(format!(
                "frame {} refers to missing video {}",
                lf.frame_idx, lf.video
            ));
            continue;
        };
        let vname = video_name(v, lf.video);
        let media = MediaSource::new(v, path);
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
            source: source_of(v, &media, lf.frame_idx, dir),
            video: vname.clone(),
            points,
            others: it.collect(),
            predicted,
            origin: crate::tui::data::FrameOrigin::Slp {
                file: path.to_path_buf(),
                video: lf.video,
                frame_idx: lf.frame_idx,
            },
            queued: false,
        };
        let e = per_video
            .entry(vname.clone())
            .or_insert_with(|| VideoLabels {
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
        let found = candidates(v.identity_path(), dir)
            .into_iter()
            .find(|c| c.is_file());
        let (folder, file) = match &found {
            Some(p) => (
                p.parent()
                    .map(|q| q.display().to_string())
                    .unwrap_or_default(),
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
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
            warnings: Vec::new(),
            frame_files: Vec::new(),
        });
    }
    Ok(d)
}
