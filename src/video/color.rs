//! YUV 4:2:0 to RGB as ffmpeg's `rgb24` conversion does it: BT.601 unless the stream says
//! BT.709, limited range unless it says full; each chroma sample serves its 2x2 luma block,
//! with swscale's 16-bit fixed-point arithmetic (so the result equals ffmpeg's to the bit on
//! most pixels).

/// Which conversion matrix and range a stream uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Colour {
    pub bt709: bool,
    pub full_range: bool,
}

impl Colour {
    pub fn describe(&self) -> &'static str {
        match (self.bt709, self.full_range) {
            (false, false) => "BT.601 limited range",
            (false, true) => "BT.601 full range",
            (true, false) => "BT.709 limited range",
            (true, true) => "BT.709 full range",
        }
    }
}

/// The 16-bit coefficients of swscale's SIMD `yuv2rgb` (what ffmpeg's `-pix_fmt rgb24` runs
/// on x86-64): each term is a `pmulhw` (product >> 16, floored) of the sample scaled by 8.
struct Coeffs {
    y: i32,
    y_off: i32,
    vr: i32,
    ub: i32,
    ug: i32,
    vg: i32,
}

/// swscale's `roundToInt16` of a 16.16 coefficient scaled by 2^13.
fn round16(c: i64) -> i32 {
    (((c << 13) + (1 << 15)) >> 16).clamp(-0x8000, 0x7fff) as i32
}

fn coeffs(c: Colour) -> Coeffs {
    // ff_yuv2rgb_coeffs: crv, cbu, cgu, cgv in 16.16.
    let [mut crv, mut cbu, cgu, cgv]: [i64; 4] = if c.bt709 {
        [117489, 138438, 13975, 34925]
    } else {
        [104597, 132201, 25675, 53279]
    };
    let (mut cgu, mut cgv) = (-cgu, -cgv);
    let (cy, oy) = if c.full_range {
        crv = crv * 224 / 255;
        cbu = cbu * 224 / 255;
        cgu = cgu * 224 / 255;
        cgv = cgv * 224 / 255;
        (1i64 << 16, 0i64)
    } else {
        ((1i64 << 16) * 255 / 219, 16i64 << 16)
    };
    Coeffs {
        y: round16(cy),
        y_off: (((oy << 3) + (1 << 15)) >> 16) as i32,
        vr: round16(crv),
        ub: round16(cbu),
        ug: round16(cgu),
        vg: round16(cgv),
    }
}

#[inline]
fn mulhi(a: i32, b: i32) -> i32 {
    (a * b) >> 16
}

#[inline]
fn sat(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Converts planar I420 (`y`: width x height, `u`/`v`: ceil(width/2) x ceil(height/2)) to
/// packed RGB, row-major.
pub fn yuv420_to_rgb(
    y: &[u8],
    u: &[u8],
    v: &[u8],
    width: usize,
    height: usize,
    colour: Colour,
) -> Vec<u8> {
    let k = coeffs(colour);
    let cw = width.div_ceil(2);
    let mut out = vec![0u8; width * height * 3];
    if y.len() < width * height
        || u.len() < cw * height.div_ceil(2)
        || v.len() < cw * height.div_ceil(2)
    {
        return out;
    }
    for row in 0..height {
        let yr = &y[row * width..(row + 1) * width];
        let ur = &u[(row / 2) * cw..(row / 2) * cw + cw];
        let vr = &v[(row / 2) * cw..(row / 2) * cw + cw];
        let o = &mut out[row * width * 3..(row + 1) * width * 3];
        for (x, (px, &yy)) in o.chunks_exact_mut(3).zip(yr).enumerate() {
            let us = (i32::from(ur[x / 2]) << 3) - 1024;
            let vs = (i32::from(vr[x / 2]) << 3) - 1024;
            let l = mulhi((i32::from(yy) << 3) - k.y_off, k.y);
            px[0] = sat(l + mulhi(vs, k.vr));
            px[1] = sat(l + mulhi(us, k.ug) + mulhi(vs, k.vg));
            px[2] = sat(l + mulhi(us, k.ub));
        }
    }
    out
}
