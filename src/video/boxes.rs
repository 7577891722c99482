//! The MP4 (ISO BMFF) boxes posedeck needs from a video file: the first video track's sample
//! description (codec, size, `avcC`, `colr`), its timing (`mdhd`, `stts`, `ctts`, `elst`) and
//! where its samples lie (`stsz`, `stsc`, `stco`/`co64`, `stss`).
//!
//! Every size and count read from the file is checked against the bytes that hold it before
//! anything is allocated, so a damaged or hostile file gives an error naming the byte offset.

use std::fmt;

/// A box parse error: what is wrong and at which byte of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxError {
    pub offset: u64,
    pub msg: String,
}

impl fmt::Display for BoxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.msg)
    }
}

pub type BoxResult<T> = std::result::Result<T, BoxError>;

fn err<T>(offset: u64, msg: impl Into<String>) -> BoxResult<T> {
    Err(BoxError {
        offset,
        msg: msg.into(),
    })
}

/// A read position inside an in-memory box payload; `base` is the payload's offset in the file.
#[derive(Clone, Copy)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8], base: u64) -> Self {
        Cursor { data, pos: 0, base }
    }
    /// The file offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
    pub fn bytes(&mut self, n: usize, what: &str) -> BoxResult<&'a [u8]> {
        if self.remaining() < n {
            return err(
                self.offset(),
                format!(
                    "{what}: needs {n} bytes, the box has {} left",
                    self.remaining()
                ),
            );
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn skip(&mut self, n: usize, what: &str) -> BoxResult<()> {
        self.bytes(n, what).map(|_| ())
    }
    pub fn u8(&mut self, what: &str) -> BoxResult<u8> {
        Ok(self.bytes(1, what)?[0])
    }
    pub fn u16(&mut self, what: &str) -> BoxResult<u16> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub fn u32(&mut self, what: &str) -> BoxResult<u32> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self, what: &str) -> BoxResult<u64> {
        let b = self.bytes(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    /// A table's entry count, checked to fit in what is left of the box.
    pub fn count(&mut self, entry_size: usize, what: &str) -> BoxResult<usize> {
        let at = self.offset();
        let n = self.u32(what)? as usize;
        if n.checked_mul(entry_size)
            .is_none_or(|b| b > self.remaining())
        {
            return err(
                at,
                format!(
                    "{what}: {n} entries of {entry_size} bytes do not fit in the {} bytes left of the box",
                    self.remaining()
                ),
            );
        }
        Ok(n)
    }
}

/// One box: its type and payload (header excluded).
pub struct Boxed<'a> {
    pub kind: [u8; 4],
    /// File offset of the box header.
    pub start: u64,
    pub body: Cursor<'a>,
}

/// The boxes inside a payload, in order. A box that overruns its parent is an error.
pub fn children<'a>(mut c: Cursor<'a>) -> BoxResult<Vec<Boxed<'a>>> {
    let mut out = Vec::new();
    while c.remaining() >= 8 {
        let start = c.offset();
        let size32 = c.u32("box size")?;
        let kind: [u8; 4] = c.bytes(4, "box type")?.try_into().unwrap_or([0; 4]);
        let (header, size) = match size32 {
            0 => (8, 8 + c.remaining() as u64),
            1 => (16, c.u64("64-bit box size")?),
            s => (8, s as u64),
        };
        if size < header {
            return err(
                start,
                format!(
                    "box '{}' of {size} bytes is shorter than its header",
                    fourcc(&kind)
                ),
            );
        }
        let body_len = size - header;
        if body_len > c.remaining() as u64 {
            return err(
                start,
                format!(
                    "box '{}' of {size} bytes overruns its parent ({} bytes left)",
                    fourcc(&kind),
                    c.remaining()
                ),
            );
        }
        let base = c.offset();
        let body = c.bytes(body_len as usize, "box body")?;
        out.push(Boxed {
            kind,
            start,
            body: Cursor::new(body, base),
        });
    }
    Ok(out)
}

/// A four-character code, printable (other bytes escaped).
pub fn fourcc(k: &[u8; 4]) -> String {
    k.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

fn find<'a, 'b>(boxes: &'b [Boxed<'a>], kind: &[u8; 4]) -> Option<&'b Boxed<'a>> {
    boxes.iter().find(|b| &b.kind == kind)
}

fn need<'a, 'b>(
    boxes: &'b [Boxed<'a>],
    kind: &[u8; 4],
    parent: &str,
    at: u64,
) -> BoxResult<&'b Boxed<'a>> {
    find(boxes, kind).ok_or_else(|| BoxError {
        offset: at,
        msg: format!("'{parent}' has no '{}' box", fourcc(kind)),
    })
}

/// `colr` of type `nclx`/`nclc`: the colour description the container carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ContainerColour {
    pub primaries: u16,
    pub transfer: u16,
    pub matrix: u16,
    pub full_range: bool,
}

/// What the file says about its first video track, before any sample is read.
#[derive(Debug, Clone, Default)]
pub struct VideoTrack {
    /// Sample entry type: `avc1`/`avc3` for H.264, else what the file names (`hvc1`, `mp4v`, ...).
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub timescale: u32,
    /// Movie timescale (`mvhd`), the unit of edit-list durations.
    pub movie_timescale: u32,
    /// `avcC`: NAL length size and the parameter sets.
    pub nal_length_size: u8,
    pub sps: Vec<Vec<u8>>,
    pub pps: Vec<Vec<u8>>,
    pub colr: Option<ContainerColour>,
    /// `stts` as (count, delta).
    pub stts: Vec<(u32, u32)>,
    /// `ctts` as (count, offset); empty when absent.
    pub ctts: Vec<(u32, i32)>,
    /// 1-based sync sample numbers; `None` when `stss` is absent (every sample is a sync sample).
    pub stss: Option<Vec<u32>>,
    pub sizes: Vec<u32>,
    /// `stsc` as (first_chunk, samples_per_chunk).
    pub stsc: Vec<(u32, u32)>,
    pub chunk_offsets: Vec<u64>,
    /// First edit: (media_time, segment_duration in movie timescale, empty edits' total duration).
    pub edit: Option<(i64, u64, u64)>,
    /// File offset of the track's `stbl`, for messages.
    pub stbl_at: u64,
}

/// Parses `moov` (its payload at file offset `base`) and returns its first video track.
pub fn parse_moov(moov: &[u8], base: u64) -> BoxResult<VideoTrack> {
    let kids = children(Cursor::new(moov, base))?;
    let mut movie_timescale = 0;
    if let Some(mvhd) = find(&kids, b"mvhd") {
        let mut c = mvhd.body;
        let version = c.u8("mvhd version")?;
        c.skip(3, "mvhd flags")?;
        c.skip(if version == 1 { 16 } else { 8 }, "mvhd times")?;
        movie_timescale = c.u32("mvhd timescale")?;
    }
    let mut first_other = None;
    for trak in kids.iter().filter(|b| &b.kind == b"trak") {
        let tk = children(trak.body)?;
        let mdia = need(&tk, b"mdia", "trak", trak.start)?;
        let md = children(mdia.body)?;
        let hdlr = need(&md, b"hdlr", "mdia", mdia.start)?;
        let mut h = hdlr.body;
        h.skip(8, "hdlr header")?;
        let handler: [u8; 4] = h
            .bytes(4, "hdlr handler type")?
            .try_into()
            .unwrap_or([0; 4]);
        if &handler != b"vide" {
            first_other.get_or_insert(fourcc(&handler));
            continue;
        }
        let mut t = track(&tk, &md, mdia.start)?;
        t.movie_timescale = movie_timescale;
        return Ok(t);
    }
    err(
        base,
        match first_other {
            Some(h) => format!("no video track (the first track is '{h}')"),
            None => "no track in 'moov'".into(),
        },
    )
}

fn track(tk: &[Boxed], md: &[Boxed], mdia_at: u64) -> BoxResult<VideoTrack> {
    let mut t = VideoTrack::default();
    let mdhd = need(md, b"mdhd", "mdia", mdia_at)?;
    let mut c = mdhd.body;
    let version = c.u8("mdhd version")?;
    c.skip(3, "mdhd flags")?;
    c.skip(if version == 1 { 16 } else { 8 }, "mdhd times")?;
    t.timescale = c.u32("mdhd timescale")?;
    if t.timescale == 0 {
        return err(mdhd.start, "mdhd timescale is 0");
    }
    if let Some(edts) = find(tk, b"edts") {
        t.edit = edit_list(&children(edts.body)?)?;
    }
    let minf = need(md, b"minf", "mdia", mdia_at)?;
    let mi = children(minf.body)?;
    let stbl = need(&mi, b"stbl", "minf", minf.start)?;
    t.stbl_at = stbl.start;
    let st = children(stbl.body)?;
    sample_description(&mut t, need(&st, b"stsd", "stbl", stbl.start)?)?;

    let mut c = need(&st, b"stts", "stbl", stbl.start)?.body;
    c.skip(4, "stts version")?;
    let n = c.count(8, "stts")?;
    t.stts = (0..n)
        .map(|_| Ok((c.u32("stts count")?, c.u32("stts delta")?)))
        .collect::<BoxResult<_>>()?;
    if let Some(ctts) = find(&st, b"ctts") {
        let mut c = ctts.body;
        c.skip(4, "ctts version")?;
        let n = c.count(8, "ctts")?;
        t.ctts = (0..n)
            .map(|_| Ok((c.u32("ctts count")?, c.u32("ctts offset")? as i32)))
            .collect::<BoxResult<_>>()?;
    }
    if let Some(stss) = find(&st, b"stss") {
        let mut c = stss.body;
        c.skip(4, "stss version")?;
        let n = c.count(4, "stss")?;
        t.stss = Some(
            (0..n)
                .map(|_| c.u32("stss entry"))
                .collect::<BoxResult<_>>()?,
        );
    }
    if let Some(stsz) = find(&st, b"stsz") {
        let mut c = stsz.body;
        c.skip(4, "stsz version")?;
        let fixed = c.u32("stsz sample size")?;
        if fixed == 0 {
            let n = c.count(4, "stsz")?;
            t.sizes = (0..n)
                .map(|_| c.u32("stsz entry"))
                .collect::<BoxResult<_>>()?;
        } else {
            let at = c.offset();
            let n = c.u32("stsz sample count")? as usize;
            // No table to bound the count: each sample must at least fit in the file.
            if n > (1 << 28) {
                return err(
                    at,
                    format!("stsz: {n} samples of {fixed} bytes is implausible"),
                );
            }
            t.sizes = vec![fixed; n];
        }
    } else if find(&st, b"stz2").is_some() {
        return err(
            stbl.start,
            "compact sample sizes ('stz2') are not read; remux the video (ffmpeg -c copy)",
        );
    } else {
        return err(stbl.start, "'stbl' has no 'stsz' box");
    }
    let mut c = need(&st, b"stsc", "stbl", stbl.start)?.body;
    c.skip(4, "stsc version")?;
    let n = c.count(12, "stsc")?;
    t.stsc = (0..n)
        .map(|_| {
            let first = c.u32("stsc first chunk")?;
            let per = c.u32("stsc samples per chunk")?;
            c.skip(4, "stsc description index")?;
            Ok((first, per))
        })
        .collect::<BoxResult<_>>()?;
    if let Some(stco) = find(&st, b"stco") {
        let mut c = stco.body;
        c.skip(4, "stco version")?;
        let n = c.count(4, "stco")?;
        t.chunk_offsets = (0..n)
            .map(|_| c.u32("stco entry").map(u64::from))
            .collect::<BoxResult<_>>()?;
    } else if let Some(co64) = find(&st, b"co64") {
        let mut c = co64.body;
        c.skip(4, "co64 version")?;
        let n = c.count(8, "co64")?;
        t.chunk_offsets = (0..n)
            .map(|_| c.u64("co64 entry"))
            .collect::<BoxResult<_>>()?;
    } else {
        return err(stbl.start, "'stbl' has no chunk offsets ('stco' or 'co64')");
    }
    Ok(t)
}

fn edit_list(ed: &[Boxed]) -> BoxResult<Option<(i64, u64, u64)>> {
    let Some(elst) = find(ed, b"elst") else {
        return Ok(None);
    };
    let mut c = elst.body;
    let version = c.u8("elst version")?;
    c.skip(3, "elst flags")?;
    let n = c.count(if version == 1 { 20 } else { 12 }, "elst")?;
    let mut empty = 0u64;
    for _ in 0..n {
        let (dur, time) = if version == 1 {
            (c.u64("elst duration")?, c.u64("elst media time")? as i64)
        } else {
            (
                u64::from(c.u32("elst duration")?),
                i64::from(c.u32("elst media time")? as i32),
            )
        };
        c.skip(4, "elst rate")?;
        if time == -1 {
            empty = empty.saturating_add(dur);
            continue;
        }
        return Ok(Some((time, dur, empty)));
    }
    Ok(None)
}

fn sample_description(t: &mut VideoTrack, stsd: &Boxed) -> BoxResult<()> {
    let mut c = stsd.body;
    c.skip(4, "stsd version")?;
    let n = c.u32("stsd entry count")?;
    if n == 0 {
        return err(stsd.start, "'stsd' describes no sample format");
    }
    let entries = children(c)?;
    let Some(e) = entries.first() else {
        return err(stsd.start, "'stsd' holds no sample entry");
    };
    t.codec = fourcc(&e.kind);
    let mut c = e.body;
    // VisualSampleEntry: 6 reserved, data_reference_index, 16 pre-defined/reserved, size,
    // resolutions, reserved, frame count, compressor name, depth, pre-defined.
    c.skip(24, "visual sample entry")?;
    t.width = u32::from(c.u16("sample entry width")?);
    t.height = u32::from(c.u16("sample entry height")?);
    c.skip(50, "visual sample entry")?;
    let kids = children(c)?;
    if let Some(colr) = find(&kids, b"colr") {
        let mut c = colr.body;
        let kind = c.bytes(4, "colr type")?;
        if kind == b"nclx" || kind == b"nclc" {
            let primaries = c.u16("colr primaries")?;
            let transfer = c.u16("colr transfer")?;
            let matrix = c.u16("colr matrix")?;
            let full_range =
                kind == b"nclx" && c.u8("colr range").map(|b| b & 0x80 != 0).unwrap_or(false);
            t.colr = Some(ContainerColour {
                primaries,
                transfer,
                matrix,
                full_range,
            });
        }
    }
    if t.codec == "avc1" || t.codec == "avc3" {
        let avcc = need(&kids, b"avcC", &t.codec, e.start)?;
        let mut c = avcc.body;
        c.skip(4, "avcC profile")?;
        t.nal_length_size = (c.u8("avcC length size")? & 3) + 1;
        let nsps = c.u8("avcC SPS count")? & 0x1f;
        for _ in 0..nsps {
            let len = c.u16("avcC SPS length")? as usize;
            t.sps.push(c.bytes(len, "avcC SPS")?.to_vec());
        }
        let npps = c.u8("avcC PPS count")?;
        for _ in 0..npps {
            let len = c.u16("avcC PPS length")? as usize;
            t.pps.push(c.bytes(len, "avcC PPS")?.to_vec());
        }
    }
    Ok(())
}
