//! Videos of a project: `videos/`, `videos_infer/`, `videos_tmp/` (originals before
//! re-encoding). File and size always; frame count, fps, codec and frame size through
//! `ffprobe` when it is on PATH, else left unknown (never an error).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The folders that hold videos, in display order.
pub const VIDEO_DIRS: [&str; 3] = ["videos", "videos_infer", "videos_tmp"];
const VIDEO_EXTS: [&str; 10] = [
    "mp4", "avi", "mov", "mkv", "m4v", "webm", "mpg", "mpeg", "wmv", "flv",
];

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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoInfo {
    /// `videos`, `videos_infer` or `videos_tmp`.
    pub folder: String,
    pub file: String,
    pub path: PathBuf,
    pub size_bytes: u64,
    /// `None` when ffprobe is not available or could not read the file.
    pub probe: Option<VideoProbe>,
    /// Why `probe` is missing ("ffprobe not on PATH", ffprobe's error ...).
    pub probe_error: Option<String>,
}

fn is_video(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| VIDEO_EXTS.iter().any(|e| ext.eq_ignore_ascii_case(e)))
}

/// Lists the videos of `root`'s video folders (not recursive), sorted by folder then name.
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
                let name = e.file_name().to_str()?.to_string();
                if !is_video(&name) {
                    return None;
                }
                // Follow symlinks: app projects often link videos in.
                let meta = std::fs::metadata(e.path()).ok()?;
                if !meta.is_file() {
                    return None;
                }
                Some(VideoInfo {
                    folder: folder.to_string(),
                    file: name,
                    path: e.path(),
                    size_bytes: meta.len(),
                    probe: None,
                    probe_error: None,
                })
            })
            .collect();
        here.sort_by(|a, b| a.file.cmp(&b.file));
        out.extend(here);
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

/// Fills `probe` for each video (or `probe_error`).
pub fn probe_all(videos: &mut [VideoInfo]) {
    let Some(ffprobe) = find_ffprobe() else {
        for v in videos.iter_mut() {
            v.probe = None;
            v.probe_error = Some("unknown: ffprobe not on PATH".into());
        }
        return;
    };
    // Start them all, then collect.
    let children: Vec<_> = videos
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
    for (v, child) in videos.iter_mut().zip(children) {
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
