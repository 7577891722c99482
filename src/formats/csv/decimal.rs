//! The hot number parser of the fast reader, for the one shape pandas writes for almost every
//! cell: `-?digits[.digits]`, at most 19 significant digits, no exponent, at most 25 digits
//! after the point. It is correctly rounded like fast-float2 (the careful reader's parser):
//! the Eisel-Lemire step (two 64x64-bit multiplications, faster than Clinger's exact
//! division on this hardware), restricted to decimal exponents -25..=0 so its 128-bit powers
//! of five fit in a small table. Anything else returns `None` and fast-float2 parses the cell.
//! (The algorithm and the table entries are fast-float2's / fast_float's, MIT / Apache-2.0.)

/// Parses a number at the start of `b`; returns the value and the bytes used.
#[inline]
pub(crate) fn parse(b: &[u8]) -> Option<(f64, usize)> {
    let neg = b.first() == Some(&b'-');
    let start = usize::from(neg);
    let (mut m, mut i) = digits(b, start, 0);
    let n_int = i - start;
    let mut n_frac = 0;
    if b.get(i) == Some(&b'.') {
        let frac_start = i + 1;
        (m, i) = digits(b, frac_start, m);
        n_frac = i - frac_start;
    }
    let n = n_int + n_frac;
    if n == 0 || n_frac > 25 || matches!(b.get(i), Some(b'e' | b'E')) {
        return None;
    }
    if n > 19 {
        // Leading zeros ("0.00169...") do not count; more than 19 significant digits wrapped.
        let zeros = b
            .get(start..i)?
            .iter()
            .take_while(|&&c| c == b'0' || c == b'.')
            .filter(|&&c| c == b'0')
            .count();
        if n - zeros > 19 {
            return None;
        }
    }
    // Eisel-Lemire even where Clinger's exact division would do: a division is slower than
    // its two integer multiplications.
    let v = if m == 0 {
        0.0
    } else {
        eisel_lemire(-(n_frac as i32), m)?
    };
    Some((if neg { -v } else { v }, i))
}

/// Reads the ASCII digits of `b` from `i` on into `m` (wrapping, exactly as `m = m * 10 + d`
/// per digit would); returns `m` and where the digits end. Eight bytes at a time: a whole
/// word of digits, or the digits before the first other byte of the word in one step.
#[inline]
fn digits(b: &[u8], mut i: usize, mut m: u64) -> (u64, usize) {
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let other = non_digits(w);
        if other == 0 {
            m = m
                .wrapping_mul(100_000_000)
                .wrapping_add(digit_word(w.wrapping_sub(ZEROS)));
            i += 8;
            continue;
        }
        // Bytes before the first non-digit (the lowest flagged byte is exact, see
        // `non_digits`); 0..=7 of them.
        let k = (other.trailing_zeros() / 8) as usize;
        if k > 0 {
            let d = w.wrapping_sub(ZEROS) & ((1u64 << (8 * k)) - 1);
            // Shifted up, the k digits are the word's last ones after 8 - k leading zeros.
            m = m
                .wrapping_mul(POW10[k & 7])
                .wrapping_add(digit_word(d << (8 * (8 - k))));
        }
        return (m, i + k);
    }
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    (m, i)
}

const ZEROS: u64 = 0x3030_3030_3030_3030;
const POW10: [u64; 8] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000];

/// The high bit of each byte of `w` (little-endian: byte 0 comes first) that is not an ASCII
/// digit. Exact for the first such byte: the digit bytes before it neither carry nor borrow.
/// Bytes after it may be flagged wrongly, which no caller looks at.
#[inline]
fn non_digits(w: u64) -> u64 {
    let a = w.wrapping_add(0x4646_4646_4646_4646);
    let b = w.wrapping_sub(ZEROS);
    (a | b) & 0x8080_8080_8080_8080
}

/// The number written by eight digit values 0..=9 (byte 0 the most significant).
#[inline]
fn digit_word(mut w: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 0x000F_4240_0000_0064;
    const MUL2: u64 = 0x0000_2710_0000_0001;
    w = (w * 10) + (w >> 8);
    let v1 = (w & MASK).wrapping_mul(MUL1);
    let v2 = ((w >> 16) & MASK).wrapping_mul(MUL2);
    ((v1.wrapping_add(v2) >> 32) as u32) as u64
}

/// fast-float2's `POWER_OF_FIVE_128` entries for q = -25..=0 (high word, low word).
const POW5: [(u64, u64); 26] = [
    (0xf79687aed3eec551, 0x3a83ddbd83f52205),
    (0x9abe14cd44753b52, 0xc4926a9672793543),
    (0xc16d9a0095928a27, 0x75b7053c0f178294),
    (0xf1c90080baf72cb1, 0x5324c68b12dd6339),
    (0x971da05074da7bee, 0xd3f6fc16ebca5e04),
    (0xbce5086492111aea, 0x88f4bb1ca6bcf585),
    (0xec1e4a7db69561a5, 0x2b31e9e3d06c32e6),
    (0x9392ee8e921d5d07, 0x3aff322e62439fd0),
    (0xb877aa3236a4b449, 0x09befeb9fad487c3),
    (0xe69594bec44de15b, 0x4c2ebe687989a9b4),
    (0x901d7cf73ab0acd9, 0x0f9d37014bf60a11),
    (0xb424dc35095cd80f, 0x538484c19ef38c95),
    (0xe12e13424bb40e13, 0x2865a5f206b06fba),
    (0x8cbccc096f5088cb, 0xf93f87b7442e45d4),
    (0xafebff0bcb24aafe, 0xf78f69a51539d749),
    (0xdbe6fecebdedd5be, 0xb573440e5a884d1c),
    (0x89705f4136b4a597, 0x31680a88f8953031),
    (0xabcc77118461cefc, 0xfdc20d2b36ba7c3e),
    (0xd6bf94d5e57a42bc, 0x3d32907604691b4d),
    (0x8637bd05af6c69b5, 0xa63f9a49c2c1b110),
    (0xa7c5ac471b478423, 0x0fcf80dc33721d54),
    (0xd1b71758e219652b, 0xd3c36113404ea4a9),
    (0x83126e978d4fdf3b, 0x645a1cac083126ea),
    (0xa3d70a3d70a3d70a, 0x3d70a3d70a3d70a4),
    (0xcccccccccccccccc, 0xcccccccccccccccd),
    (0x8000000000000000, 0x0000000000000000),
];

/// w * 10^q correctly rounded, for q in -25..=0 and w > 0; `None` where fast-float2 would
/// need its slow path (never for these exponents, but kept honest) or for subnormals.
#[inline]
fn eisel_lemire(q: i32, w: u64) -> Option<f64> {
    const MANT_BITS: i32 = 52;
    let &(hi5, lo5) = POW5.get(usize::try_from(q + 25).ok()?)?;
    let lz = w.leading_zeros();
    let w = w << lz;
    let mask = u64::MAX >> (MANT_BITS + 3);
    let full = |a: u64, b: u64| {
        let r = u128::from(a) * u128::from(b);
        (r as u64, (r >> 64) as u64)
    };
    let (mut lo, mut hi) = full(w, hi5);
    if hi & mask == mask {
        let (_, second_hi) = full(w, lo5);
        lo = lo.wrapping_add(second_hi);
        if second_hi > lo {
            hi += 1;
        }
    }
    let upperbit = (hi >> 63) as i32;
    let shift = upperbit + 64 - MANT_BITS - 3;
    let mut mantissa = hi >> shift;
    let power = ((q.wrapping_mul(152_170 + 65536)) >> 16) + 63;
    let mut power2 = power + upperbit - lz as i32 + 1023;
    if power2 <= 0 {
        return None;
    }
    if lo <= 1 && (-4..=23).contains(&q) && mantissa & 3 == 1 && (mantissa << shift) == hi {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= (2u64 << MANT_BITS) {
        mantissa = 1u64 << MANT_BITS;
        power2 += 1;
    }
    mantissa &= !(1u64 << MANT_BITS);
    if power2 >= 0x7FF {
        return None;
    }
    Some(f64::from_bits(mantissa | ((power2 as u64) << MANT_BITS)))
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn check(s: &str) {
        let want = fast_float2::parse_partial::<f64, _>(s.as_bytes()).ok();
        if let Some((v, n)) = parse(s.as_bytes()) {
            let (w, wn) = want.unwrap_or_else(|| panic!("{s}: fast-float2 fails"));
            assert_eq!((v.to_bits(), n), (w.to_bits(), wn), "{s}");
        }
    }

    #[test]
    fn agrees_with_fast_float2() {
        for s in [
            "0",
            "-0",
            "0.0",
            "1",
            "77.25",
            "101.900392541708",
            "192.6448516845703",
            "184.50363159179688",
            "0.0016914412844926119",
            "206.19058227539062",
            "9007199254740993",
            "9007199254740992.5",
            "18446744073709551615",
            "0.1",
            "0.30000000000000004",
            "1.7976931348623157",
            "123.",
            ".5",
            "-.5",
            ".",
            "-",
            "",
            "1.5e3",
            "0.000000000000000000000001",
            "0.0000000000000000000000012345678901234567",
            "99999999999999999999",
            "12,3",
            "1.2.3",
        ] {
            check(s);
        }
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..300_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = format!("{}", x % 10u64.pow((x >> 60) as u32 % 19 + 1));
            let cut = (x >> 40) as usize % (digits.len() + 1);
            let lead = "0".repeat((x >> 50) as usize % 4);
            let s = format!(
                "{}{lead}{}.{}",
                if x & 1 == 1 { "-" } else { "" },
                &digits[..cut],
                &digits[cut..]
            );
            check(&s);
            // Followed by more bytes, as in a row: the word-at-a-time path reads those.
            check(&format!("{s},12345678,9"));
            check(&format!("{s}\n"));
            let f = f64::from_bits(x >> 2);
            if f.is_finite() {
                check(&format!("{f}"));
                check(&format!("{}", f as f32 as f64));
                check(&format!("{},x,yz", f as f32 as f64));
            }
        }
    }
}
