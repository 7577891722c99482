//! Row tables of a .slp file (`frames`, `instances`, `points`, `pred_points`,
//! `negative_frames`) decoded by name from the raw dataset bytes.
//!
//! Two layouts exist: h5py compound datasets (each field at the byte offset the datatype
//! reports) and h5wasm plain 2-D numeric arrays whose columns are named by a `field_names`
//! JSON attribute. Both become a [`Table`] of rows with named [`Column`]s.

use crate::Error;
use crate::formats::hdf5::{Attr, Dtype, H5File};
use std::borrow::Cow;
use std::path::Path;

/// How one numeric value is stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
}

impl Num {
    fn from_dtype(d: &Dtype) -> Option<Num> {
        Some(match d {
            Dtype::Int {
                size,
                signed,
                big_endian: false,
            } => match (size, signed) {
                (1, false) => Num::U8,
                (1, true) => Num::I8,
                (2, false) => Num::U16,
                (2, true) => Num::I16,
                (4, false) => Num::U32,
                (4, true) => Num::I32,
                (8, false) => Num::U64,
                (8, true) => Num::I64,
                _ => return None,
            },
            Dtype::Float {
                size,
                big_endian: false,
            } => match size {
                4 => Num::F32,
                8 => Num::F64,
                _ => return None,
            },
            _ => return None,
        })
    }
    fn width(self) -> usize {
        match self {
            Num::U8 | Num::I8 => 1,
            Num::U16 | Num::I16 => 2,
            Num::U32 | Num::I32 | Num::F32 => 4,
            Num::U64 | Num::I64 | Num::F64 => 8,
        }
    }
}

/// One named field: its byte offset within a row and its storage.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub offset: usize,
    pub num: Num,
}

#[inline(always)]
fn arr<const N: usize>(row: &[u8], at: usize) -> [u8; N] {
    let mut b = [0u8; N];
    if let Some(s) = row.get(at..at + N) {
        b.copy_from_slice(s);
    }
    b
}

impl Column {
    /// The value as f64 (integers converted).
    #[inline(always)]
    pub fn f64(&self, row: &[u8]) -> f64 {
        let o = self.offset;
        match self.num {
            Num::F64 => f64::from_le_bytes(arr(row, o)),
            Num::F32 => f32::from_le_bytes(arr(row, o)) as f64,
            Num::U8 => arr::<1>(row, o)[0] as f64,
            Num::I8 => arr::<1>(row, o)[0] as i8 as f64,
            Num::U16 => u16::from_le_bytes(arr(row, o)) as f64,
            Num::I16 => i16::from_le_bytes(arr(row, o)) as f64,
            Num::U32 => u32::from_le_bytes(arr(row, o)) as f64,
            Num::I32 => i32::from_le_bytes(arr(row, o)) as f64,
            Num::U64 => u64::from_le_bytes(arr(row, o)) as f64,
            Num::I64 => i64::from_le_bytes(arr(row, o)) as f64,
        }
    }

    /// The value as i64. Floats (h5wasm stores every column as float) must be integral;
    /// anything that is not (NaN, fractions, out of range) reads as `None`.
    #[inline(always)]
    pub fn i64(&self, row: &[u8]) -> Option<i64> {
        let o = self.offset;
        Some(match self.num {
            Num::U8 => arr::<1>(row, o)[0] as i64,
            Num::I8 => arr::<1>(row, o)[0] as i8 as i64,
            Num::U16 => u16::from_le_bytes(arr(row, o)) as i64,
            Num::I16 => i16::from_le_bytes(arr(row, o)) as i64,
            Num::U32 => u32::from_le_bytes(arr(row, o)) as i64,
            Num::I32 => i32::from_le_bytes(arr(row, o)) as i64,
            Num::U64 => i64::try_from(u64::from_le_bytes(arr(row, o))).ok()?,
            Num::I64 => i64::from_le_bytes(arr(row, o)),
            Num::F32 | Num::F64 => {
                let v = self.f64(row);
                if v.fract() != 0.0 || !(-9.0e15..=9.0e15).contains(&v) {
                    return None;
                }
                v as i64
            }
        })
    }

    /// A boolean (non-zero).
    #[inline(always)]
    pub fn bool(&self, row: &[u8]) -> bool {
        match self.num {
            Num::U8 | Num::I8 => arr::<1>(row, self.offset)[0] != 0,
            _ => self.f64(row) != 0.0,
        }
    }
}

/// A decoded table: the raw rows (borrowed from the file when possible) and its columns.
pub struct Table<'f> {
    pub name: String,
    bytes: Cow<'f, [u8]>,
    row_size: usize,
    rows: usize,
    columns: Vec<(String, Column)>,
}

impl<'f> Table<'f> {
    /// Reads table `name` from `file`; `None` when the dataset is absent.
    pub fn read(file: &'f H5File, name: &str) -> crate::Result<Option<Table<'f>>> {
        let Some(ds) = file.dataset(name)? else {
            return Ok(None);
        };
        let path = file.path();
        let dtype = ds.dtype()?;
        let shape = ds.shape()?;
        let bad = |msg: String| Error::invalid(path, format!("dataset /{name}: {msg}"));
        let (row_size, rows, columns) = match &dtype {
            Dtype::Compound { size, fields } => {
                if shape.len() != 1 {
                    return Err(bad(format!("expected a 1-D table, found shape {shape:?}")));
                }
                let mut cols = Vec::new();
                for f in fields {
                    let num = Num::from_dtype(&f.dtype).ok_or_else(|| {
                        bad(format!(
                            "field {:?} has unsupported type {:?}",
                            f.name, f.dtype
                        ))
                    })?;
                    if f.offset + num.width() > *size {
                        return Err(bad(format!(
                            "field {:?} at byte {} does not fit a {size}-byte row",
                            f.name, f.offset
                        )));
                    }
                    cols.push((
                        f.name.clone(),
                        Column {
                            offset: f.offset,
                            num,
                        },
                    ));
                }
                (*size, shape.first().copied().unwrap_or(0) as usize, cols)
            }
            other => {
                // h5wasm: a plain 2-D numeric array with a `field_names` attribute.
                let num = Num::from_dtype(other)
                    .ok_or_else(|| bad(format!("unsupported table type {other:?}")))?;
                let names = match ds.attrs()?.into_iter().find(|(k, _)| k == "field_names") {
                    Some((_, Attr::Str(s))) => {
                        serde_json::from_str::<Vec<String>>(&s).map_err(|e| {
                            bad(format!("field_names attribute is not a JSON list: {e}"))
                        })?
                    }
                    Some((_, Attr::Strs(v))) => v,
                    _ => {
                        return Err(bad(
                            "a plain array without a field_names attribute".to_string()
                        ));
                    }
                };
                let (rows, width) = match shape.as_slice() {
                    [r, c] => (*r as usize, *c as usize),
                    _ => return Err(bad(format!("expected a 2-D array, found shape {shape:?}"))),
                };
                if names.len() > width {
                    return Err(bad(format!(
                        "{} field names for {width} columns",
                        names.len()
                    )));
                }
                let cols = names
                    .into_iter()
                    .enumerate()
                    .map(|(i, n)| {
                        (
                            n,
                            Column {
                                offset: i * num.width(),
                                num,
                            },
                        )
                    })
                    .collect();
                (width * num.width(), rows, cols)
            }
        };
        let bytes = ds.raw_bytes()?;
        if rows.checked_mul(row_size) != Some(bytes.len()) {
            return Err(bad(format!(
                "{} bytes of data for {rows} rows of {row_size} bytes",
                bytes.len()
            )));
        }
        Ok(Some(Table {
            name: name.to_string(),
            bytes,
            row_size,
            rows,
            columns,
        }))
    }

    /// Builds a table from raw parts (tests and fuzzing).
    pub fn from_parts(
        name: &str,
        bytes: Vec<u8>,
        row_size: usize,
        columns: Vec<(String, Column)>,
    ) -> Table<'static> {
        let rows = bytes.len().checked_div(row_size).unwrap_or(0);
        Table {
            name: name.to_string(),
            bytes: Cow::Owned(bytes),
            row_size,
            rows,
            columns,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The bytes of row `i` (empty past the end).
    #[inline(always)]
    pub fn row(&self, i: usize) -> &[u8] {
        let s = i.saturating_mul(self.row_size);
        self.bytes.get(s..s + self.row_size).unwrap_or(&[])
    }

    /// Bytes per row.
    pub fn row_size(&self) -> usize {
        self.row_size
    }

    /// The bytes of rows `a..b`, clamped to the table.
    #[inline]
    pub fn rows_bytes(&self, a: usize, b: usize) -> &[u8] {
        let b = b.min(self.rows);
        let a = a.min(b);
        self.bytes
            .get(a * self.row_size..b * self.row_size)
            .unwrap_or(&[])
    }

    /// The column called `name`, if the table has it.
    pub fn column(&self, name: &str) -> Option<Column> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| *c)
    }

    /// The column called `name`, or an error naming the file and table.
    pub fn require(&self, path: &Path, name: &str) -> crate::Result<Column> {
        self.column(name).ok_or_else(|| {
            Error::invalid(
                path,
                format!("dataset /{}: has no field {name:?}", self.name),
            )
        })
    }
}
