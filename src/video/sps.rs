//! What posedeck reads from an H.264 sequence parameter set itself: profile, chroma format,
//! bit depth, size and the VUI's colour description (the decoder does not expose these).

/// Removes emulation-prevention bytes (`00 00 03` -> `00 00`).
fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let b = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(b))
    }
    fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v = 0;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Some(v)
    }
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.bits(zeros)?;
        Some(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }
    fn se(&mut self) -> Option<i32> {
        let k = self.ue()?;
        Some(if k & 1 == 1 {
            (k / 2 + 1) as i32
        } else {
            -((k / 2) as i32)
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpsInfo {
    pub profile_idc: u8,
    pub level_idc: u8,
    pub chroma_format_idc: u32,
    pub bit_depth: u32,
    pub width: u32,
    pub height: u32,
    pub interlaced: bool,
    /// `video_full_range_flag` of the VUI.
    pub full_range: bool,
    /// (colour_primaries, transfer_characteristics, matrix_coefficients) when the VUI says.
    pub colour: Option<(u8, u8, u8)>,
}

impl SpsInfo {
    /// ffmpeg's name of the pixel format.
    pub fn pixel_format(&self) -> String {
        let base = match self.chroma_format_idc {
            0 => "gray",
            1 if self.full_range && self.bit_depth == 8 => "yuvj420p",
            1 => "yuv420p",
            2 => "yuv422p",
            _ => "yuv444p",
        };
        if self.bit_depth == 8 {
            base.to_string()
        } else {
            format!("{base}{}le", self.bit_depth)
        }
    }
    pub fn profile_name(&self) -> &'static str {
        match self.profile_idc {
            66 => "Baseline",
            77 => "Main",
            88 => "Extended",
            100 => "High",
            110 => "High 10",
            122 => "High 4:2:2",
            244 => "High 4:4:4",
            _ => "other",
        }
    }
}

/// Parses an SPS NAL unit (header byte included); `None` when it is malformed.
pub fn parse(nal: &[u8]) -> Option<SpsInfo> {
    if nal.first()? & 0x1f != 7 {
        return None;
    }
    let rbsp = unescape(&nal[1..]);
    let mut r = Bits {
        data: &rbsp,
        pos: 0,
    };
    let mut s = SpsInfo {
        profile_idc: r.bits(8)? as u8,
        ..SpsInfo::default()
    };
    r.bits(8)?;
    s.level_idc = r.bits(8)? as u8;
    r.ue()?;
    s.chroma_format_idc = 1;
    s.bit_depth = 8;
    if matches!(
        s.profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        s.chroma_format_idc = r.ue()?;
        if s.chroma_format_idc > 3 {
            return None;
        }
        if s.chroma_format_idc == 3 {
            r.bit()?;
        }
        s.bit_depth = r.ue()?.checked_add(8).filter(|&d| d <= 16)?;
        r.ue()?;
        r.bit()?;
        if r.bit()? == 1 {
            let lists = if s.chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? == 1 {
                    let size = if i < 6 { 16 } else { 64 };
                    let (mut last, mut next) = (8i32, 8i32);
                    for _ in 0..size {
                        if next != 0 {
                            next = (last + r.se()? + 256).rem_euclid(256);
                        }
                        last = if next == 0 { last } else { next };
                    }
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?;
        }
        1 => {
            r.bit()?;
            r.se()?;
            r.se()?;
            let n = r.ue()?;
            if n > 255 {
                return None;
            }
            for _ in 0..n {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?;
    let w_mbs = r.ue()?.checked_add(1)?;
    let h_units = r.ue()?.checked_add(1)?;
    let frame_mbs_only = r.bit()? == 1;
    s.interlaced = !frame_mbs_only;
    if !frame_mbs_only {
        r.bit()?;
    }
    r.bit()?;
    let h_mbs = h_units.checked_mul(if frame_mbs_only { 1 } else { 2 })?;
    let (mut cl, mut cr, mut ct, mut cb) = (0, 0, 0, 0);
    if r.bit()? == 1 {
        cl = r.ue()?;
        cr = r.ue()?;
        ct = r.ue()?;
        cb = r.ue()?;
    }
    let (cux, cuy) = match s.chroma_format_idc {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let cuy = cuy * if frame_mbs_only { 1 } else { 2 };
    s.width = (w_mbs.checked_mul(16)?).checked_sub(cux * cl.checked_add(cr)?)?;
    s.height = (h_mbs.checked_mul(16)?).checked_sub(cuy * ct.checked_add(cb)?)?;
    if r.bit()? == 1 {
        if r.bit()? == 1 && r.bits(8)? == 255 {
            r.bits(32)?;
        }
        if r.bit()? == 1 {
            r.bit()?;
        }
        if r.bit()? == 1 {
            r.bits(3)?;
            s.full_range = r.bit()? == 1;
            if r.bit()? == 1 {
                let p = r.bits(8)? as u8;
                let t = r.bits(8)? as u8;
                let m = r.bits(8)? as u8;
                s.colour = Some((p, t, m));
            }
        }
    }
    Some(s)
}
