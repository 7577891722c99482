//! Opening an MP4 file: only a regular file is read (a FIFO or device is refused at once),
//! the top-level boxes are walked with positioned reads (no memory map: another process may
//! shrink the file), `moov` is read into memory and its video track's sample table built.

use super::boxes::{self, VideoTrack};
use super::color::Colour;
use super::sps::{self, SpsInfo};
use super::table::SampleTable;
use crate::{Error, Result};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// `moov` larger than this is refused (a 24-hour 100 fps video's tables are ~100 MB).
const MAX_MOOV: u64 = 1 << 30;

/// An opened MP4 video: its track, sample table and what they say.
pub struct Mp4 {
    pub path: PathBuf,
    pub file: File,
    /// File length when opened.
    pub len: u64,
    pub track: VideoTrack,
    pub table: SampleTable,
    pub sps: Option<SpsInfo>,
    pub colour: Colour,
}

pub use crate::util::open_regular;

impl Mp4 {
    pub fn open(path: &Path) -> Result<Mp4> {
        let (file, len) = open_regular(path)?;
        let at = |offset: u64, msg: String| Error::at_offset(path, offset, msg);
        // Top-level boxes: find `moov` (before or after `mdat`).
        let mut pos = 0u64;
        let mut moov = None;
        let mut first = true;
        while pos + 8 <= len {
            let mut h = [0u8; 16];
            let n = if pos + 16 <= len { 16 } else { 8 };
            file.read_exact_at(&mut h[..n], pos)
                .map_err(|e| Error::io(path, e))?;
            let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
            let kind: [u8; 4] = [h[4], h[5], h[6], h[7]];
            const TOP: [&[u8; 4]; 10] = [
                b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pdin", b"uuid", b"styp",
                b"meta",
            ];
            if first && (!TOP.contains(&&kind) || (size32 > len && size32 != 1)) {
                return Err(at(0, "not an MP4 file (no MP4 box at the start)".into()));
            }
            first = false;
            let (header, size) = match size32 {
                0 => (8, len - pos),
                1 if n == 16 => (
                    16,
                    u64::from_be_bytes(h[8..16].try_into().unwrap_or([0; 8])),
                ),
                1 => return Err(at(pos, "64-bit box size past the end of the file".into())),
                s => (8, s),
            };
            if size < header {
                return Err(at(
                    pos,
                    format!(
                        "box '{}' of {size} bytes is shorter than its header",
                        boxes::fourcc(&kind)
                    ),
                ));
            }
            if &kind == b"moov" {
                if size > len - pos {
                    return Err(at(
                        pos,
                        format!(
                            "'moov' of {size} bytes runs past the end of the file ({len} bytes): the file is truncated"
                        ),
                    ));
                }
                moov = Some((pos + header, size - header));
                break;
            }
            pos = match pos.checked_add(size) {
                Some(p) => p,
                None => break,
            };
        }
        let Some((moov_at, moov_len)) = moov else {
            return Err(at(
                len,
                "no 'moov' box: the file is not a complete MP4 (a recording that was cut off?)"
                    .into(),
            ));
        };
        if moov_len > MAX_MOOV {
            return Err(at(
                moov_at,
                format!("'moov' of {moov_len} bytes is implausibly large"),
            ));
        }
        let mut buf = vec![0u8; moov_len as usize];
        file.read_exact_at(&mut buf, moov_at)
            .map_err(|e| Error::io(path, e))?;
        let track = boxes::parse_moov(&buf, moov_at).map_err(|e| at(e.offset, e.msg))?;
        drop(buf);
        let table = SampleTable::build(&track).map_err(|e| at(e.offset, e.msg))?;
        let sps = track.sps.first().and_then(|s| sps::parse(s));
        let colour = colour_of(sps.as_ref(), track.colr);
        Ok(Mp4 {
            path: path.to_path_buf(),
            file,
            len,
            track,
            table,
            sps,
            colour,
        })
    }

    /// Whether posedeck decodes this track itself (H.264, 8-bit 4:2:0, progressive).
    pub fn decodable(&self) -> std::result::Result<(), String> {
        if self.track.codec != "avc1" && self.track.codec != "avc3" {
            return Err(format!("codec '{}' is not H.264", self.track.codec));
        }
        if let Some(s) = &self.sps {
            if s.chroma_format_idc != 1 || s.bit_depth != 8 {
                return Err(format!("H.264 {} is not 8-bit 4:2:0", s.pixel_format()));
            }
            if s.interlaced {
                return Err("interlaced H.264 is not decoded in-process".into());
            }
        }
        Ok(())
    }
}

/// The stream's colour description wins (as in ffmpeg), then the container's `colr`.
fn colour_of(sps: Option<&SpsInfo>, colr: Option<boxes::ContainerColour>) -> Colour {
    let mut c = Colour::default();
    if let Some(s) = sps {
        c.full_range = s.full_range;
        if let Some((_, _, m)) = s.colour
            && m != 2
        {
            c.bt709 = m == 1;
            return c;
        }
    }
    if let Some(k) = colr {
        if sps.is_none() {
            c.full_range = k.full_range;
        }
        c.bt709 = k.matrix == 1;
    }
    c
}
