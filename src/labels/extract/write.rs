//! Writing extracted frames into `labeled-data/<stem>/img%08d.png`: every frame is decoded
//! and staged as a temporary file first; only when all are staged are they put in place, each
//! by a link that fails rather than replace a file that appeared meanwhile. A file already
//! there with the same pixels is kept; one with other pixels stops the extraction before
//! anything is put in place. On any failure, and on a cancel (checked before every frame),
//! the staged files (and a folder this created) are removed: a canceled extraction leaves no
//! partial frame file.

use super::Control;
use super::source::{Source, read_image};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The file name of frame `f`.
pub fn frame_name(f: usize) -> String {
    format!("img{f:08}.png")
}

/// What [`write_frames`] did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Written {
    pub written: Vec<PathBuf>,
    /// Frames already there with the same pixels.
    pub kept: Vec<PathBuf>,
    /// The frame folder when this call created it (removed again if the run is taken back).
    pub created_dir: Option<PathBuf>,
}

/// Writes `frames` (ascending) of `src` into `root/labeled-data/<stem>/`.
pub fn write_frames(
    root: &Path,
    stem: &str,
    src: &mut Source,
    frames: &[usize],
    ctl: &Control,
) -> Result<Written> {
    let rel = Path::new("labeled-data").join(stem);
    let dir = root.join(&rel);
    let created_dir = !dir.exists();
    crate::util::create_dirs_below(root, &rel)?;
    let result = stage_and_place(&dir, src, frames, ctl);
    match result {
        Err(_) if created_dir => {
            let _ = std::fs::remove_dir(&dir);
            result
        }
        Ok(mut w) => {
            w.created_dir = created_dir.then_some(dir);
            Ok(w)
        }
        Err(e) => Err(e),
    }
}

fn stage_and_place(
    dir: &Path,
    src: &mut Source,
    frames: &[usize],
    ctl: &Control,
) -> Result<Written> {
    let mut staged: Vec<(crate::tempfiles::Temp, PathBuf)> = Vec::new();
    let mut out = Written::default();
    for (i, &f) in frames.iter().enumerate() {
        if ctl.cancelled() {
            return Err(super::cancelled());
        }
        ctl.progress("writing frames", i, frames.len());
        let dest = dir.join(frame_name(f));
        let (png, img) = src.frame(f)?;
        if std::fs::symlink_metadata(&dest).is_ok() {
            let same = read_image(&dest).is_ok_and(|old| {
                old.width == img.width
                    && old.height == img.height
                    && if old.channels == img.channels {
                        old.pixels == img.pixels
                    } else {
                        rgb(&old) == rgb(&img)
                    }
            });
            if !same {
                return Err(Error::invalid(
                    &dest,
                    format!(
                        "already exists with other pixels than frame {f} of {}: not replaced (move it away to extract this frame)",
                        crate::util::escape_path(src.path())
                    ),
                ));
            }
            out.kept.push(dest);
            continue;
        }
        let tmp = dir.join(format!(".{}.{}.tmp", frame_name(f), std::process::id()));
        let temp = crate::tempfiles::register(&tmp, crate::tempfiles::Kind::File);
        std::fs::write(&tmp, &png).map_err(|e| Error::io(&tmp, e))?;
        staged.push((temp, dest));
    }
    ctl.progress("writing frames", frames.len(), frames.len());
    let mut placed: Vec<PathBuf> = Vec::new();
    for (temp, dest) in staged {
        let r = temp.commit(|tmp| {
            std::fs::hard_link(tmp, &dest)?;
            std::fs::remove_file(tmp)
        });
        if let Err(e) = r {
            for p in &placed {
                let _ = std::fs::remove_file(p);
            }
            return Err(Error::io(&dest, e));
        }
        placed.push(dest);
    }
    out.written = placed;
    Ok(out)
}

fn rgb(img: &crate::labels::media::FrameImage) -> Vec<u8> {
    match img.channels {
        1 => img.pixels.iter().flat_map(|&g| [g, g, g]).collect(),
        _ => img.pixels.clone(),
    }
}
