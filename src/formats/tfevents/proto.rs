//! A zero-copy protobuf decoder for the few TensorFlow messages an events file holds:
//! Event, Summary, Summary.Value, TensorProto, TensorShapeProto and SummaryMetadata.
//! Nothing is allocated on the hot path: views borrow the record's bytes.

/// A malformed message: what was wrong and where (offset within the record's data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    pub at: usize,
    pub msg: &'static str,
}

type R<T> = Result<T, DecodeError>;

/// One field's payload.
#[derive(Debug, Clone, Copy)]
pub enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// Iterates the fields of one message.
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf` within the record, for error positions.
    base: usize,
}

impl<'a> Fields<'a> {
    pub fn new(buf: &'a [u8], base: usize) -> Self {
        Fields { buf, pos: 0, base }
    }

    #[inline]
    fn err(&self, msg: &'static str) -> DecodeError {
        DecodeError {
            at: self.base + self.pos,
            msg,
        }
    }

    #[inline]
    fn varint(&mut self) -> R<u64> {
        // Fast path: one byte.
        if let Some(&b) = self.buf.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(b as u64);
        }
        let mut v: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.err("varint runs past the end of the message"));
            };
            self.pos += 1;
            v |= ((b & 0x7f) as u64) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(self.err("varint longer than 10 bytes"))
    }

    #[inline]
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| self.err("field runs past the end of the message"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// Offset (within the record) of the next byte to read.
    #[inline]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// The next field: `(field number, payload)`, or `None` at the end of the message.
    #[inline]
    pub fn next_field(&mut self) -> R<Option<(u32, Wire<'a>)>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = (key >> 3) as u32;
        if field == 0 || key >> 3 > u32::MAX as u64 {
            return Err(self.err("invalid field number"));
        }
        let wire = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                let s = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(s);
                Wire::Fixed64(u64::from_le_bytes(a))
            }
            2 => {
                let n = self.varint()?;
                let n = usize::try_from(n).map_err(|_| self.err("length too large"))?;
                Wire::Bytes(self.take(n)?)
            }
            5 => {
                let s = self.take(4)?;
                Wire::Fixed32(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
            }
            _ => return Err(self.err("unsupported wire type (groups are not used by events)")),
        };
        Ok(Some((field, wire)))
    }

    /// Offset within the record of a sub-message just returned as `Wire::Bytes(sub)`.
    #[inline]
    pub fn sub_base(&self, sub: &[u8]) -> usize {
        self.base + self.pos - sub.len()
    }
}

/// The parts of an `Event` posedeck uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventView<'a> {
    pub wall_time: f64,
    pub step: i64,
    pub file_version: Option<&'a [u8]>,
    /// The first `summary` field (and its offset in the record).
    pub summary: Option<(&'a [u8], usize)>,
    /// True when the event holds more than one `summary` field (protobuf merges them).
    pub more_summaries: bool,
    data: &'a [u8],
}

/// Decodes an `Event` record (wall_time = 1, step = 2, file_version = 3, summary = 5).
#[inline]
pub fn event(data: &[u8]) -> R<EventView<'_>> {
    let mut ev = EventView {
        data,
        ..Default::default()
    };
    let mut f = Fields::new(data, 0);
    while let Some((num, w)) = f.next_field()? {
        match (num, w) {
            (1, Wire::Fixed64(v)) => ev.wall_time = f64::from_bits(v),
            (2, Wire::Varint(v)) => ev.step = v as i64,
            (3, Wire::Bytes(b)) => ev.file_version = Some(b),
            (5, Wire::Bytes(b)) => {
                if ev.summary.is_none() {
                    ev.summary = Some((b, f.sub_base(b)));
                } else {
                    ev.more_summaries = true;
                }
            }
            (1 | 2 | 3 | 5, _) => return Err(f.err("Event field has the wrong wire type")),
            _ => {}
        }
    }
    Ok(ev)
}

impl<'a> EventView<'a> {
    /// Calls `f` for every `Summary.Value` of the event, in order.
    #[inline]
    pub fn for_each_value(&self, mut f: impl FnMut(ValueView<'a>)) -> R<()> {
        let Some((first, base)) = self.summary else {
            return Ok(());
        };
        if !self.more_summaries {
            return summary_values(first, base, &mut f);
        }
        let mut fields = Fields::new(self.data, 0);
        while let Some((num, w)) = fields.next_field()? {
            if let (5, Wire::Bytes(b)) = (num, w) {
                summary_values(b, fields.sub_base(b), &mut f)?;
            }
        }
        Ok(())
    }
}

#[inline]
fn summary_values<'a>(buf: &'a [u8], base: usize, f: &mut impl FnMut(ValueView<'a>)) -> R<()> {
    let mut fields = Fields::new(buf, base);
    while let Some((num, w)) = fields.next_field()? {
        match (num, w) {
            (1, Wire::Bytes(b)) => f(value(b, fields.sub_base(b))?),
            (1, _) => return Err(fields.err("Summary.value has the wrong wire type")),
            _ => {}
        }
    }
    Ok(())
}

/// Which member of `Summary.Value`'s `value` oneof is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueKind<'a> {
    None,
    Simple(f32),
    /// A `TensorProto`'s bytes (and its offset in the record).
    Tensor(&'a [u8], usize),
    Image,
    Histogram,
    Audio,
}

/// A `Summary.Value` (tag = 1, simple_value = 2, image = 4, histo = 5, audio = 6,
/// tensor = 8, metadata = 9).
#[derive(Debug, Clone, Copy)]
pub struct ValueView<'a> {
    pub tag: &'a [u8],
    /// `metadata.plugin_data.plugin_name`, when the value carries metadata.
    pub plugin: Option<&'a [u8]>,
    pub kind: ValueKind<'a>,
}

#[inline]
fn value(buf: &[u8], base: usize) -> R<ValueView<'_>> {
    let mut v = ValueView {
        tag: &[],
        plugin: None,
        kind: ValueKind::None,
    };
    let mut f = Fields::new(buf, base);
    while let Some((num, w)) = f.next_field()? {
        match (num, w) {
            (1, Wire::Bytes(b)) => v.tag = b,
            (2, Wire::Fixed32(x)) => v.kind = ValueKind::Simple(f32::from_bits(x)),
            (4, Wire::Bytes(_)) => v.kind = ValueKind::Image,
            (3 | 5, Wire::Bytes(_)) => v.kind = ValueKind::Histogram,
            (6, Wire::Bytes(_)) => v.kind = ValueKind::Audio,
            (8, Wire::Bytes(b)) => v.kind = ValueKind::Tensor(b, f.sub_base(b)),
            (9, Wire::Bytes(b)) => {
                let base = f.sub_base(b);
                if let Some(p) = plugin_name(b, base)? {
                    v.plugin = Some(p);
                }
            }
            (1..=6 | 8 | 9, _) => return Err(f.err("Summary.Value field has the wrong wire type")),
            _ => {}
        }
    }
    Ok(v)
}

/// `SummaryMetadata.plugin_data (1) .plugin_name (1)`.
fn plugin_name(buf: &[u8], base: usize) -> R<Option<&[u8]>> {
    let mut f = Fields::new(buf, base);
    let mut name = None;
    while let Some((num, w)) = f.next_field()? {
        if let (1, Wire::Bytes(pd)) = (num, w) {
            let mut g = Fields::new(pd, f.sub_base(pd));
            while let Some((n2, w2)) = g.next_field()? {
                if let (1, Wire::Bytes(s)) = (n2, w2) {
                    name = Some(s);
                }
            }
        }
    }
    Ok(name)
}

/// TensorFlow `DataType` values posedeck reads.
pub mod dtype {
    pub const FLOAT: u64 = 1;
    pub const DOUBLE: u64 = 2;
    pub const INT32: u64 = 3;
    pub const UINT8: u64 = 4;
    pub const INT16: u64 = 5;
    pub const INT8: u64 = 6;
    pub const STRING: u64 = 7;
    pub const INT64: u64 = 9;
    pub const BOOL: u64 = 10;
    pub const BFLOAT16: u64 = 14;
    pub const UINT16: u64 = 17;
    pub const HALF: u64 = 19;
    pub const UINT32: u64 = 22;
    pub const UINT64: u64 = 23;
}

/// What a tensor holds, as far as posedeck cares.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorValue<'a> {
    /// A single number (a scalar, or a tensor of one element).
    Number(f64),
    /// Strings (`DT_STRING`), in order.
    Strings(Vec<&'a [u8]>),
    /// Anything else (several numbers, unknown dtypes).
    Other,
}

/// Decodes a `TensorProto` (dtype = 1, tensor_shape = 2, tensor_content = 4, float_val = 5,
/// double_val = 6, int_val = 7, string_val = 8, int64_val = 10, bool_val = 11, half_val = 13,
/// uint32_val = 16, uint64_val = 17).
pub fn tensor(buf: &[u8], base: usize) -> R<TensorValue<'_>> {
    let mut dt = 0u64;
    let mut elems: Option<u64> = None; // None: shape absent (scalar)
    let mut content: Option<&[u8]> = None;
    let mut first: Option<f64> = None;
    let mut n_vals = 0usize;
    let mut strings: Vec<&[u8]> = Vec::new();
    let mut f = Fields::new(buf, base);
    while let Some((num, w)) = f.next_field()? {
        match (num, w) {
            (1, Wire::Varint(v)) => dt = v,
            (2, Wire::Bytes(b)) => elems = Some(shape_elements(b, f.sub_base(b))?),
            (4, Wire::Bytes(b)) => content = Some(b),
            (8, Wire::Bytes(b)) => strings.push(b),
            (5, w) => numbers(w, 4, &mut first, &mut n_vals, |x| {
                f32::from_bits(x as u32) as f64
            }),
            (6, w) => numbers(w, 8, &mut first, &mut n_vals, f64::from_bits),
            (7 | 11, w) => numbers(w, 0, &mut first, &mut n_vals, |x| (x as i32) as f64),
            (10, w) => numbers(w, 0, &mut first, &mut n_vals, |x| (x as i64) as f64),
            (16 | 17, w) => numbers(w, 0, &mut first, &mut n_vals, |x| x as f64),
            (13, w) => numbers(w, 0, &mut first, &mut n_vals, |x| match dt {
                dtype::BFLOAT16 => f32::from_bits((x as u32) << 16) as f64,
                _ => f16_to_f32(x as u16) as f64,
            }),
            _ => {}
        }
    }
    if dt == dtype::STRING {
        return Ok(TensorValue::Strings(strings));
    }
    let one = elems.is_none_or(|n| n == 1);
    if !one {
        return Ok(TensorValue::Other);
    }
    if let Some(c) = content {
        let x = match dt {
            dtype::FLOAT => c
                .get(..4)
                .map(|s| f32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f64),
            dtype::DOUBLE => c.get(..8).map(|s| {
                let mut a = [0u8; 8];
                a.copy_from_slice(s);
                f64::from_le_bytes(a)
            }),
            dtype::HALF => c
                .get(..2)
                .map(|s| f16_to_f32(u16::from_le_bytes([s[0], s[1]])) as f64),
            dtype::BFLOAT16 => c
                .get(..2)
                .map(|s| f32::from_bits((u16::from_le_bytes([s[0], s[1]]) as u32) << 16) as f64),
            dtype::INT32 => c
                .get(..4)
                .map(|s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f64),
            dtype::UINT32 => c
                .get(..4)
                .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f64),
            dtype::INT64 | dtype::UINT64 => c.get(..8).map(|s| {
                let mut a = [0u8; 8];
                a.copy_from_slice(s);
                if dt == dtype::INT64 {
                    i64::from_le_bytes(a) as f64
                } else {
                    u64::from_le_bytes(a) as f64
                }
            }),
            dtype::INT16 => c.get(..2).map(|s| i16::from_le_bytes([s[0], s[1]]) as f64),
            dtype::UINT16 => c.get(..2).map(|s| u16::from_le_bytes([s[0], s[1]]) as f64),
            dtype::INT8 => c.first().map(|&b| b as i8 as f64),
            dtype::UINT8 | dtype::BOOL => c.first().map(|&b| b as f64),
            _ => None,
        };
        return Ok(x.map_or(TensorValue::Other, TensorValue::Number));
    }
    match (first, n_vals) {
        (Some(x), 1) => Ok(TensorValue::Number(x)),
        _ => Ok(TensorValue::Other),
    }
}

/// Reads a repeated numeric field, packed (`Bytes`) or not: keeps the first value and counts.
/// `width` is 4 or 8 for fixed-width encodings, 0 for varints.
fn numbers(
    w: Wire<'_>,
    width: usize,
    first: &mut Option<f64>,
    n: &mut usize,
    conv: impl Fn(u64) -> f64,
) {
    let mut push = |x: u64| {
        if first.is_none() {
            *first = Some(conv(x));
        }
        *n += 1;
    };
    match w {
        Wire::Varint(x) => push(x),
        Wire::Fixed32(x) => push(x as u64),
        Wire::Fixed64(x) => push(x),
        Wire::Bytes(b) => match width {
            4 => b
                .chunks_exact(4)
                .for_each(|s| push(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64)),
            8 => b.chunks_exact(8).for_each(|s| {
                let mut a = [0u8; 8];
                a.copy_from_slice(s);
                push(u64::from_le_bytes(a))
            }),
            _ => {
                let mut f = Fields::new(b, 0);
                while let Ok(x) = f.varint() {
                    push(x);
                    if f.pos >= b.len() {
                        break;
                    }
                }
            }
        },
    }
}

/// Number of elements of a `TensorShapeProto` (dim = 2 { size = 1 }); rank 0 gives 1.
fn shape_elements(buf: &[u8], base: usize) -> R<u64> {
    let mut n: u64 = 1;
    let mut f = Fields::new(buf, base);
    while let Some((num, w)) = f.next_field()? {
        if let (2, Wire::Bytes(d)) = (num, w) {
            let mut g = Fields::new(d, f.sub_base(d));
            let mut size = 0u64;
            while let Some((n2, w2)) = g.next_field()? {
                if let (1, Wire::Varint(s)) = (n2, w2) {
                    size = s;
                }
            }
            n = n.saturating_mul(size);
        }
    }
    Ok(n)
}

/// IEEE 754 half precision to single precision.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: normalise.
            let mut e: i32 = 0;
            let mut m = m;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            m &= 0x3ff;
            sign | (((127 - 15 + 1 + e) as u32) << 23) | (m << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn truncated_varint_is_an_error() {
        let mut f = Fields::new(&[0x08, 0x80], 0);
        assert!(f.next_field().is_err());
        assert!(event(&[0x2a, 0x05, 0x0a]).is_err());
    }
}
