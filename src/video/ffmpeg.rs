//! The `ffmpeg` program, the fallback for videos posedeck does not decode itself.

use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The `ffmpeg` program on PATH, if any.
pub fn path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("ffmpeg"))
        .find(|p| p.is_file())
}

/// One frame of a video file as PNG bytes, decoded by ffmpeg.
pub fn frame_png(video: &Path, frame_idx: u64) -> Result<Vec<u8>> {
    let Some(ff) = path() else {
        return Err(Error::invalid(
            video,
            "reading frames of a video file needs ffmpeg, which is not installed (not found on PATH)",
        ));
    };
    let out = std::process::Command::new(ff)
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(video)
        .args([
            "-vf",
            &format!("select=eq(n\\,{frame_idx})"),
            "-vsync",
            "0",
            "-frames:v",
            "1",
            "-f",
            "image2pipe",
            "-vcodec",
            "png",
            "-",
        ])
        .output()
        .map_err(|e| Error::io(video, e))?;
    if !out.status.success() || out.stdout.is_empty() {
        let msg = String::from_utf8_lossy(&out.stderr);
        return Err(Error::invalid(
            video,
            format!(
                "ffmpeg could not decode frame {frame_idx}: {}",
                crate::sanitize::clean(msg.trim())
            ),
        ));
    }
    Ok(out.stdout)
}
