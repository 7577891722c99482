//! Numbers in CSV cells: parsing as pandas does (empty cell and pandas' NA tokens are NaN) and
//! writing as pandas `to_csv` does (numpy's shortest round-trip repr, `1e-05` / `1e+16`).

/// The strings pandas `read_csv` reads as NaN by default (besides the empty cell).
const NA_TOKENS: &[&[u8]] = &[
    b"#N/A",
    b"#N/A N/A",
    b"#NA",
    b"-1.#IND",
    b"-1.#QNAN",
    b"-NaN",
    b"-nan",
    b"1.#IND",
    b"1.#QNAN",
    b"<NA>",
    b"N/A",
    b"NA",
    b"NULL",
    b"NaN",
    b"None",
    b"n/a",
    b"nan",
    b"null",
];

/// Every NaN read is this one value (pandas, too, has one NaN), so tables compare bit for bit.
#[inline]
pub(crate) fn canonical(v: f64) -> f64 {
    if v.is_nan() { f64::NAN } else { v }
}

/// Parses one whole cell: `Some(NaN)` for an empty cell or an NA token, `Some(v)` for a number
/// (leading/trailing spaces allowed, as pandas allows them), `None` when it is not a number.
pub(crate) fn parse_cell(cell: &[u8]) -> Option<f64> {
    if cell.is_empty() {
        return Some(f64::NAN);
    }
    let t = cell.trim_ascii();
    if let Ok(v) = fast_float2::parse::<f64, _>(t) {
        return Some(canonical(v));
    }
    if t.is_empty() || NA_TOKENS.contains(&t) {
        return Some(f64::NAN);
    }
    None
}

/// Appends `v` as pandas `to_csv` writes a float64 cell: NaN as the empty cell, infinities as
/// `inf`/`-inf`, otherwise the shortest digits that round-trip, in positional notation when the
/// decimal exponent is in [-4, 16) (`77.25`, `2.0`, `0.0001`) and scientific otherwise (`1e-05`,
/// `1.5e+16`), exactly like Python's `repr(float)`.
pub(crate) fn push_float(out: &mut Vec<u8>, v: f64) {
    use std::io::Write;
    if v.is_nan() {
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let mut tmp = [0u8; 40];
    let n = {
        let mut cur = std::io::Cursor::new(&mut tmp[..]);
        // 40 bytes always hold an f64 in `{:e}` form (at most 17 digits + sign + exponent).
        let _ = write!(cur, "{v:e}");
        cur.position() as usize
    };
    let s = &tmp[..n];
    let (neg, s) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let e_at = s.iter().position(|&b| b == b'e').unwrap_or(s.len());
    let (mant, exp) = s.split_at(e_at);
    let exp: i32 = std::str::from_utf8(exp.get(1..).unwrap_or(b"0"))
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut d: u64 = 0;
    let mut nd: i32 = 0;
    for &b in mant {
        if b.is_ascii_digit() && nd < 19 {
            d = d * 10 + u64::from(b - b'0');
            nd += 1;
        }
    }
    let d = round_half_even(v.abs(), d, exp - (nd - 1));
    let mut digits = [0u8; 20];
    let text = {
        let mut cur = std::io::Cursor::new(&mut digits[..]);
        let _ = write!(cur, "{d}");
        cur.position() as usize
    };
    let mut digits = &digits[..text];
    while let [rest @ .., b'0'] = digits
        && !rest.is_empty()
    {
        digits = rest;
    }
    if neg {
        out.push(b'-');
    }
    // value = 0.d1d2...dn * 10^decpt
    let decpt = exp + 1;
    if decpt <= -4 || decpt > 16 {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push(b'0');
        }
        let _ = write!(out, "{a}");
    } else if decpt <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-decpt) as usize));
        out.extend_from_slice(digits);
    } else {
        let d = decpt as usize;
        if d >= digits.len() {
            out.extend_from_slice(digits);
            out.extend(std::iter::repeat_n(b'0', d - digits.len()));
            out.extend_from_slice(b".0");
        } else {
            out.extend_from_slice(&digits[..d]);
            out.push(b'.');
            out.extend_from_slice(&digits[d..]);
        }
    }
}

/// Rust and Python both print the shortest digits that read back to `v`, but when two such
/// digit strings are exactly equally far from `v` (common for float32 values widened to f64:
/// 206.190582275390625 prints as ...062 or ...063), Python takes the even one and Rust the
/// upper one. `v = d * 10^k` approximately (d has Rust's digits); returns Python's digits.
fn round_half_even(v: f64, d: u64, k: i32) -> u64 {
    if d.is_multiple_of(2) {
        return d;
    }
    for c in [d.wrapping_sub(1), d + 1] {
        if c == 0 || c.ilog10() != d.ilog10() || !c.is_multiple_of(2) {
            continue;
        }
        if is_midpoint(v, d + c, k) && reads_back(v, c, k) {
            return c;
        }
    }
    d
}

/// Whether `2 * v == s * 10^k` exactly (`v` finite, positive). Exact integer arithmetic on
/// both sides written as `int * 2^a * 5^b`; `false` when that does not fit in 128 bits.
fn is_midpoint(v: f64, s: u64, k: i32) -> bool {
    let bits = v.to_bits();
    let (m, e) = {
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        if exp == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), exp - 1075)
        }
    };
    // left: m * 2^(e+1); right: s * 2^k * 5^k
    let (mut l2, mut l5, mut r2, mut r5) = (e + 1, 0, k, k);
    let t = l2.min(r2);
    l2 -= t;
    r2 -= t;
    let f = l5.min(r5);
    l5 -= f;
    r5 -= f;
    let side = |x: u64, twos: i32, fives: i32| -> Option<u128> {
        let mut acc = u128::from(x);
        for _ in 0..fives {
            acc = acc.checked_mul(5)?;
        }
        if twos >= 128 || acc.leading_zeros() < twos as u32 {
            return None;
        }
        Some(acc << twos)
    };
    match (side(m, l2, l5), side(s, r2, r5)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Whether the digits `c * 10^k` parse back to `v`.
fn reads_back(v: f64, c: u64, k: i32) -> bool {
    fast_float2::parse::<f64, _>(format!("{c}e{k}")).is_ok_and(|x| x == v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: f64) -> String {
        let mut o = Vec::new();
        push_float(&mut o, v);
        String::from_utf8(o).unwrap()
    }

    #[test]
    // 206.190582275390625 is exact: the tie the repr must break to even.
    #[allow(clippy::excessive_precision)]
    fn python_repr() {
        let cases: &[(f64, &str)] = &[
            (77.25, "77.25"),
            (2.0, "2.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.2345e20, "1.2345e+20"),
            (1e100, "1e+100"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (-3.5, "-3.5"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, ""),
            (192.6448516845703, "192.6448516845703"),
            (0.0016914412844926119, "0.0016914412844926119"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (206.190582275390625, "206.19058227539062"),
            (-206.190582275390625, "-206.19058227539062"),
        ];
        for &(v, s) in cases {
            assert_eq!(fmt(v), s, "{v:?}");
            if !v.is_nan() {
                assert_eq!(parse_cell(s.as_bytes()).unwrap().to_bits(), v.to_bits());
            }
        }
    }

    #[test]
    fn cells() {
        assert!(parse_cell(b"").unwrap().is_nan());
        assert!(parse_cell(b"NaN").unwrap().is_nan());
        assert!(parse_cell(b"N/A").unwrap().is_nan());
        assert!(parse_cell(b"-nan").unwrap().to_bits() == f64::NAN.to_bits());
        assert_eq!(parse_cell(b" 1.5 "), Some(1.5));
        assert_eq!(parse_cell(b"abc"), None);
        assert_eq!(parse_cell(b"1.5x"), None);
        assert_eq!(parse_cell(b"-inf"), Some(f64::NEG_INFINITY));
    }
}
