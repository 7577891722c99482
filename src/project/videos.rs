//! Videos of a project: `videos/`, `videos_infer/`, `videos_tmp/` (originals before
//! re-encoding). File and size always; frame count, fps, codec, frame size, B-frames and the
//! keyframe interval read from the MP4 boxes in-process (milliseconds, no decoding), with
//! what would break Lightning Pose's DALI readers as warnings; other containers through
//! `ffprobe` when it is on PATH, else left unknown with the reason (never an error).
//!
//! A folder of images in one of those folders (one image per frame, as `posedeck demo` writes
//! `videos/<video>/img%08d.png`) is listed as a frame folder: frames = the number of images,
//! the frame size from the first image's header, fps unknown. Lightning Pose itself reads
//! only video files there, so it is never shown as one.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The folders that hold videos, in display order.
pub const VIDEO_DIRS: [&str; 3] = ["videos", "videos_infer", "videos_tmp"];
const VIDEO_EXTS: [&str; 10] = [
    "mp4", "avi", "mov", "mkv", "m4v", "webm", "mpg", "mpeg", "wmv", "flv",
];
/// Images that make a frame folder.
const IMAGE_EXTS: [&str; 3] = ["png", "jpg", "jpeg"];

/// What a video entry is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoKind {
    /// A video file (mp4, avi, ...).
    #[default]
    File,
    /// A folder of images, one per frame.
    FrameFolder,
}

/// What ffprobe says about a video's first video stream; all `None` when unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VideoProbe {
    pub frames: Option<u64>,
    pub fps: Option<f64>,
    pub codec: Option<String>,
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub pix_fmt: Option<String>,
    pub duration_s: Option<f64>,
    /// Frames presented out of decode order (read from the MP4 boxes).
    #[serde(default)]
    pub bframes: Option<bool>,
    /// Largest distance between keyframes, in frames (MP4 boxes).
    #[serde(default)]
    pub keyframe_interval: Option<u64>,
    /// Frame durations differ (MP4 boxes).
    #[serde(default)]
    pub vfr: Option<bool>,
    /// What breaks Lightning Pose's DALI readers: a codec other than H.264, a pixel format
    /// other than yuv420p, a variable frame rate.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl VideoProbe {
    /// From the MP4 boxes (see [`crate::video::VideoInfo`]).
    pub fn from_mp4(i: &crate::video::VideoInfo) -> VideoProbe {
        VideoProbe {
            frames: Some(i.frames as u64),
            fps: (i.fps > 0.0).then_some(i.fps),
            codec: Some(i.codec_name.clone()),
            width: Some(u64::from(i.width)),
            height: Some(u64::from(i.height)),
            pix_fmt: i.pixel_format.clone(),
            duration_s: Some(i.duration_s),
            bframes: Some(i.bframes),
            keyframe_interval: Some(i.keyframe_max as u64),
            vfr: Some(i.vfr),
            warnings: i.dali_warnings(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoInfo {
    /// `videos`, `videos_infer` or `videos_tmp`.
    pub folder: String,
    /// The file name, or the frame folder's name.
    pub file: String,
    #[serde(serialize_with = "crate::util::ser_path")]
    pub path: PathBuf,
    #[serde(default)]
    pub kind: VideoKind,
    /// The file's size, or the frame folder's images together.
    pub size_bytes: u64,
    /// `None` when ffprobe is not available or could not read the file. For a frame folder:
    /// the image count as `frames`, the first image's size, its format as `codec`, no fps.
    pub probe: Option<VideoProbe>,
    /// Why `probe` (or part of it) is missing ("ffprobe not on PATH", ffprobe's error, an
    /// unreadable first image ...).
    pub probe_error: Option<String>,
}

fn has_ext(name: &str, exts: &[&str]) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| exts.iter().any(|e| ext.eq_ignore_ascii_case(e)))
}

fn is_video(name: &str) -> bool {
    has_ext(name, &VIDEO_EXTS)
}

/// A frame folder's images, sorted by name (frame order for `img%08d.png`).
pub fn frame_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| has_ext(n, &IMAGE_EXTS))
                })
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A folder of images as a video: `None` when it holds no image.
fn frame_folder(folder: &str, name: String, dir: &Path) -> Option<VideoInfo> {
    let mut images: Vec<(String, u64)> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let n = crate::util::escape_os(&e.file_name()).into_owned();
            if !has_ext(&n, &IMAGE_EXTS) {
                return None;
            }
            // The entry's own metadata (no path walk per frame); a link is followed.
            let meta = match e.file_type().ok()?.is_symlink() {
                true => std::fs::metadata(e.path()).ok()?,
                false => e.metadata().ok()?,
            };
            meta.is_file().then_some((n, meta.len()))
        })
        .collect();
    if images.is_empty() {
        return None;
    }
    images.sort();
    let size_bytes = images.iter().map(|(_, n)| n).sum();
    let first = images.first().map(|(n, _)| dir.join(n))?;
    let codec = first
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .map(|e| if e == "jpg" { "jpeg".to_string() } else { e });
    let (size, probe_error) = match image::image_dimensions(&first) {
        Ok((w, h)) => (Some((u64::from(w), u64::from(h))), None),
        Err(e) => (
            None,
            Some(format!("{}: image header unreadable: {e}", first.display())),
        ),
    };
    Some(VideoInfo {
        folder: folder.to_string(),
        file: name,
        path: dir.to_path_buf(),
        kind: VideoKind::FrameFolder,
        size_bytes,
        probe: Some(VideoProbe {
            frames: Some(images.len() as u64),
            fps: None,
            codec,
            width: size.map(|s| s.0),
            height: size.map(|s| s.1),
            ..VideoProbe::default()
        }),
        probe_error,
    })
}

/// Lists the videos of `root`'s video folders (not recursive), sorted by folder then name;
/// frame folders are counted and their first image's header read (no ffprobe).
pub fn list(root: &Path) -> Vec<VideoInfo> {
    let mut out = Vec::new();
    for folder in VIDEO_DIRS {
        let dir = root.join(folder);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut here: Vec<VideoInfo> = rd
            .flatten()
            .filter_map(|e| {
                let name = crate::util::escape_os(&e.file_name()).into_owned();
                // Follow symlinks: app projects often link videos in.
                let meta = std::fs::metadata(e.path()).ok()?;
                if meta.is_dir() {
                    return frame_folder(folder, name, &e.path());
                }
                if !is_video(&name) || !meta.is_file() {
                    return None;
                }
                // MP4 boxes are read here (milliseconds, no decoding); ffprobe only in probe_all.
                let (probe, probe_error) = if is_mp4_name(&name) {
                    match crate::video::info(&e.path()) {
                        Ok(i) => (Some(VideoProbe::from_mp4(&i)), None),
                        Err(err) => (
                            None,
                            Some(crate::sanitize::clean(&err.to_string()).into_owned()),
                        ),
                    }
                } else {
                    (None, None)
                };
                Some(VideoInfo {
                    folder: folder.to_string(),
                    file: name,
                    path: e.path(),
                    kind: VideoKind::File,
                    size_bytes: meta.len(),
                    probe,
                    probe_error,
                })
            })
            .collect();
        here.sort_by(|a, b| a.file.cmp(&b.file));
        out.extend(here);
    }
    out
}

/// The video folders (and folders inside them) that exist but cannot be read, one line
/// each naming the folder and the OS's reason: what [`list`] could not look into.
pub fn folder_problems(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for folder in VIDEO_DIRS {
        let dir = root.join(folder);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => continue,
            Err(e) => {
                out.push(Error::io(&dir, e).to_string());
                continue;
            }
        };
        let mut bad: Vec<String> = Vec::new();
        for entry in rd {
            let e = match entry {
                Ok(e) => e,
                Err(err) => {
                    bad.push(Error::io(&dir, err).to_string());
                    break;
                }
            };
            let path = e.path();
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => {
                    if let Err(err) = std::fs::read_dir(&path) {
                        bad.push(Error::io(&path, err).to_string());
                    }
                }
                Ok(_) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => bad.push(Error::io(&path, err).to_string()),
            }
        }
        bad.sort();
        out.extend(bad);
    }
    out
}

/// `ffprobe`'s path when it is on PATH.
pub fn find_ffprobe() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("ffprobe"))
        .find(|p| p.is_file())
}

/// Lists and probes: ffprobe runs for every video at once (one process each), so a folder of
/// videos costs about one ffprobe start.
pub fn scan(root: &Path) -> Vec<VideoInfo> {
    let mut videos = list(root);
    probe_all(&mut videos);
    videos
}

/// Fills `probe` for each video file (or `probe_error`); frame folders keep what
/// [`list`] found. MP4 files are read in-process; ffprobe is asked only about the others.
pub fn probe_all(videos: &mut [VideoInfo]) {
    let mut files: Vec<&mut VideoInfo> = Vec::new();
    for v in videos.iter_mut().filter(|v| v.kind == VideoKind::File) {
        if v.probe.is_some() {
            continue;
        }
        match crate::video::info(&v.path) {
            Ok(i) => {
                v.probe = Some(VideoProbe::from_mp4(&i));
                v.probe_error = None;
            }
            Err(e @ (crate::Error::AtOffset { offset: 0, .. } | crate::Error::Invalid { .. }))
                if !is_mp4_name(&v.file) =>
            {
                // Not an MP4 (AVI, MKV ...): ffprobe's turn.
                v.probe_error = Some(crate::sanitize::clean(&e.to_string()).into_owned());
                files.push(v);
            }
            Err(e) => {
                v.probe = None;
                v.probe_error = Some(crate::sanitize::clean(&e.to_string()).into_owned());
            }
        }
    }
    if files.is_empty() {
        return;
    }
    let Some(ffprobe) = find_ffprobe() else {
        for v in files.iter_mut() {
            v.probe = None;
            v.probe_error = Some(format!(
                "unknown: not an MP4 file posedeck reads, and ffprobe is not on PATH (install ffmpeg) ({})",
                v.probe_error.take().unwrap_or_default()
            ));
        }
        return;
    };
    // Start them all, then collect.
    let children: Vec<_> = files
        .iter()
        .map(|v| {
            Command::new(&ffprobe)
                .args(["-v", "error", "-print_format", "json", "-show_streams"])
                .arg(&v.path)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
        })
        .collect();
    for (v, child) in files.iter_mut().zip(children) {
        let result = child
            .and_then(|c| c.wait_with_output())
            .map_err(|e| format!("ffprobe could not run: {e}"))
            .and_then(|out| {
                if out.status.success() {
                    parse_ffprobe(&v.path, &out.stdout).map_err(|e| e.to_string())
                } else {
                    let msg = String::from_utf8_lossy(&out.stderr);
                    Err(format!(
                        "ffprobe failed: {}",
                        msg.lines().last().unwrap_or("no message").trim()
                    ))
                }
            });
        match result {
            Ok(p) => {
                v.probe = Some(p);
                v.probe_error = None;
            }
            Err(e) => {
                v.probe = None;
                v.probe_error = Some(e);
            }
        }
    }
}

fn is_mp4_name(name: &str) -> bool {
    has_ext(name, &["mp4", "m4v", "mov"])
}

/// "30000/1001" -> 29.97; "0/0" -> None.
fn parse_rate(s: &str) -> Option<f64> {
    let (n, d) = s.split_once('/').unwrap_or((s, "1"));
    let (n, d) = (n.trim().parse::<f64>().ok()?, d.trim().parse::<f64>().ok()?);
    (d != 0.0 && n > 0.0).then(|| n / d)
}

fn num(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parses `ffprobe -v error -print_format json -show_streams` output (the first video stream).
pub fn parse_ffprobe(path: &Path, json: &[u8]) -> Result<VideoProbe> {
    let v: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| Error::invalid(path, format!("ffprobe output is not JSON: {e}")))?;
    let streams = v
        .get("streams")
        .and_then(|s| s.as_array())
        .ok_or_else(|| Error::invalid(path, "ffprobe found no streams"))?;
    let s = streams
        .iter()
        .find(|s| s.get("codec_type").and_then(|t| t.as_str()) == Some("video"))
        .ok_or_else(|| Error::invalid(path, "ffprobe found no video stream"))?;
    let text = |k: &str| s.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let fps = text("avg_frame_rate")
        .as_deref()
        .and_then(parse_rate)
        .or_else(|| text("r_frame_rate").as_deref().and_then(parse_rate));
    let duration_s = s.get("duration").and_then(num);
    let frames = s
        .get("nb_frames")
        .and_then(num)
        .map(|f| f as u64)
        .filter(|&f| f > 0);
    Ok(VideoProbe {
        frames,
        fps,
        codec: text("codec_name"),
        width: s.get("width").and_then(num).map(|w| w as u64),
        height: s.get("height").and_then(num).map(|h| h as u64),
        pix_fmt: text("pix_fmt"),
        duration_s,
        ..VideoProbe::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_of_images_are_frame_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let v = tmp.path().join("videos");
        std::fs::create_dir_all(v.join("clip")).unwrap();
        std::fs::create_dir_all(v.join("empty")).unwrap();
        std::fs::create_dir_all(v.join("broken")).unwrap();
        let img = image::RgbImage::new(7, 5);
        for i in 0..3 {
            img.save(v.join(format!("clip/img{i:08}.png"))).unwrap();
        }
        std::fs::write(v.join("clip/notes.txt"), b"not a frame").unwrap();
        std::fs::write(v.join("broken/img00000000.png"), b"not a png").unwrap();
        std::fs::write(v.join("a.mp4"), b"x").unwrap();
        let list = list(tmp.path());
        let names: Vec<(&str, VideoKind)> =
            list.iter().map(|v| (v.file.as_str(), v.kind)).collect();
        assert_eq!(
            names,
            [
                ("a.mp4", VideoKind::File),
                ("broken", VideoKind::FrameFolder),
                ("clip", VideoKind::FrameFolder)
            ]
        );
        let clip = &list[2];
        let p = clip.probe.as_ref().unwrap();
        assert_eq!(
            (p.frames, p.width, p.height, p.fps),
            (Some(3), Some(7), Some(5), None)
        );
        assert_eq!(p.codec.as_deref(), Some("png"));
        assert!(clip.probe_error.is_none());
        let total: u64 = (0..3)
            .map(|i| {
                std::fs::metadata(v.join(format!("clip/img{i:08}.png")))
                    .unwrap()
                    .len()
            })
            .sum();
        assert_eq!(clip.size_bytes, total);
        // An unreadable first image: still a frame folder, counted, the reason named.
        let broken = &list[1];
        assert_eq!(broken.probe.as_ref().unwrap().frames, Some(1));
        assert_eq!(broken.probe.as_ref().unwrap().width, None);
        let e = broken.probe_error.as_deref().unwrap();
        assert!(
            e.contains("img00000000.png") && e.contains("unreadable"),
            "{e}"
        );
        // ffprobe is never asked about frame folders.
        let mut probed = list.clone();
        probe_all(&mut probed);
        assert_eq!(probed[2], list[2]);
    }

    #[test]
    fn parses_ffprobe_json() {
        let out = br#"{"streams": [
            {"index": 0, "codec_name": "aac", "codec_type": "audio"},
            {"index": 1, "codec_name": "h264", "codec_type": "video", "width": 396, "height": 406,
             "pix_fmt": "yuv420p", "r_frame_rate": "250/1", "avg_frame_rate": "250/1",
             "duration": "3.976000", "nb_frames": "994"}]}"#;
        let p = parse_ffprobe(Path::new("v.mp4"), out).unwrap();
        assert_eq!(p.frames, Some(994));
        assert_eq!(p.fps, Some(250.0));
        assert_eq!(p.codec.as_deref(), Some("h264"));
        assert_eq!((p.width, p.height), (Some(396), Some(406)));
        assert_eq!(
            parse_rate("30000/1001").map(|f| (f * 100.0).round()),
            Some(2997.0)
        );
        assert_eq!(parse_rate("0/0"), None);
        assert!(parse_ffprobe(Path::new("v"), b"{\"streams\": []}").is_err());
        assert!(parse_ffprobe(Path::new("v"), b"garbage").is_err());
    }
}
