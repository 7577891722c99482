//! The one small wrapper around `hdf5-pure`: open a file, list groups and datasets, read
//! attributes, read a dataset's raw bytes together with a plain description of its element
//! type (compound field offsets included), read variable-length byte sequences, and write
//! files (groups, attributes, numeric / string / compound / padded-byte datasets).
//!
//! Nothing else in posedeck imports `hdf5_pure`. Every error names the file and the object.

use crate::{Error, Result};
use hdf5_pure as h5;
use std::path::{Path, PathBuf};

/// A plain description of an HDF5 element type.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Dtype {
    /// Integer (booleans written by h5py are enums over int8 and arrive here).
    Int {
        size: usize,
        signed: bool,
        big_endian: bool,
    },
    Float {
        size: usize,
        big_endian: bool,
    },
    /// Fixed-length string of `size` bytes (NUL- or space-padded).
    FixedString {
        size: usize,
    },
    VlenString,
    /// Variable-length sequence of `base` elements.
    VlenSeq {
        base: Box<Dtype>,
    },
    Compound {
        size: usize,
        fields: Vec<Field>,
    },
    /// Fixed-size array type (`base` repeated `count` times).
    Array {
        base: Box<Dtype>,
        count: usize,
    },
    /// Anything else (references, opaque, bitfield, time): its size and a name.
    Other {
        size: usize,
        what: String,
    },
}

/// A named member of a compound type at a byte offset.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Field {
    pub name: String,
    pub offset: usize,
    pub dtype: Dtype,
}

impl Dtype {
    /// Bytes one element occupies in a dataset's raw buffer.
    pub fn size(&self) -> usize {
        match self {
            Dtype::Int { size, .. } | Dtype::Float { size, .. } => *size,
            Dtype::FixedString { size } => *size,
            Dtype::VlenString | Dtype::VlenSeq { .. } => 16,
            Dtype::Compound { size, .. } => *size,
            Dtype::Array { base, count } => base.size() * count,
            Dtype::Other { size, .. } => *size,
        }
    }

    /// The member of a compound type with this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        match self {
            Dtype::Compound { fields, .. } => fields.iter().find(|f| f.name == name),
            _ => None,
        }
    }

    fn from_h5(dt: &h5::Datatype) -> Dtype {
        use h5::Datatype as D;
        match dt {
            D::FixedPoint {
                size,
                byte_order,
                layout,
            } => Dtype::Int {
                size: *size as usize,
                signed: layout.signed,
                big_endian: matches!(byte_order, h5::DatatypeByteOrder::BigEndian),
            },
            D::FloatingPoint {
                size, byte_order, ..
            } => Dtype::Float {
                size: *size as usize,
                big_endian: matches!(byte_order, h5::DatatypeByteOrder::BigEndian),
            },
            D::String { size, .. } => Dtype::FixedString {
                size: *size as usize,
            },
            D::Enumeration { base_type, .. } => Dtype::from_h5(base_type),
            D::VariableLength {
                is_string,
                base_type,
                ..
            } => {
                if *is_string {
                    Dtype::VlenString
                } else {
                    Dtype::VlenSeq {
                        base: Box::new(Dtype::from_h5(base_type)),
                    }
                }
            }
            D::Compound { size, members } => Dtype::Compound {
                size: *size as usize,
                fields: members
                    .iter()
                    .map(|m| Field {
                        name: m.name.clone(),
                        offset: m.byte_offset as usize,
                        dtype: Dtype::from_h5(&m.datatype),
                    })
                    .collect(),
            },
            D::Array {
                base_type,
                dimensions,
            } => Dtype::Array {
                base: Box::new(Dtype::from_h5(base_type)),
                count: dimensions.iter().map(|&d| d as usize).product(),
            },
            other => Dtype::Other {
                size: other.type_size() as usize,
                what: format!("{other:?}").chars().take(40).collect(),
            },
        }
    }
}

/// An attribute value, reduced to what posedeck needs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Attr {
    Int(i64),
    Float(f64),
    Str(String),
    Ints(Vec<i64>),
    Floats(Vec<f64>),
    Strs(Vec<String>),
    /// Present but of a type that has no plain value (compound, reference ...).
    Unreadable,
}

impl Attr {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Attr::Float(v) => Some(*v),
            Attr::Int(v) => Some(*v as f64),
            Attr::Floats(v) if v.len() == 1 => v.first().copied(),
            Attr::Ints(v) if v.len() == 1 => v.first().map(|&x| x as f64),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Attr::Int(v) => Some(*v),
            Attr::Float(v) if v.fract() == 0.0 => Some(*v as i64),
            Attr::Ints(v) if v.len() == 1 => v.first().copied(),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Attr::Str(s) => Some(s),
            Attr::Strs(v) if v.len() == 1 => v.first().map(String::as_str),
            _ => None,
        }
    }

    fn from_h5(v: &h5::AttrValue) -> Attr {
        if let Some(s) = v.as_str() {
            return Attr::Str(s.trim_end_matches('\0').to_string());
        }
        if let Some(ss) = v.as_strings() {
            return Attr::Strs(
                ss.iter()
                    .map(|s| s.trim_end_matches('\0').to_string())
                    .collect(),
            );
        }
        use h5::AttrValue as A;
        match v {
            A::F32(x) => Attr::Float(*x as f64),
            A::F64(x) => Attr::Float(*x),
            A::F32Array(_) | A::F64Array(_) => Attr::Floats(v.to_f64s().unwrap_or_default()),
            _ => {
                if let Some(i) = v.as_i64() {
                    Attr::Int(i)
                } else if let Some(is) = v.to_i64s() {
                    Attr::Ints(is)
                } else if let Some(f) = v.as_f64() {
                    Attr::Float(f)
                } else if let Some(fs) = v.to_f64s() {
                    Attr::Floats(fs)
                } else {
                    Attr::Unreadable
                }
            }
        }
    }
}

/// hdf5-pure reads through this, so metadata and chunks come straight from the backing.
/// The file's bytes are read into memory, never memory-mapped: a file that another process
/// truncates while it is mapped turns the next read of it into SIGBUS.
struct SharedSource(std::sync::Arc<Vec<u8>>);

impl h5::Source for SharedSource {
    fn len(&self) -> u64 {
        self.0.as_slice().len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::result::Result<(), h5::FormatError> {
        let data = self.0.as_slice();
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        match start
            .checked_add(buf.len())
            .and_then(|end| data.get(start..end))
        {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(h5::FormatError::UnexpectedEof {
                expected: start.saturating_add(buf.len()),
                available: data.len(),
            }),
        }
    }
}

/// An HDF5 file opened for reading (held in memory).
pub struct H5File {
    path: PathBuf,
    file: h5::File,
    backing: std::sync::Arc<Vec<u8>>,
}

/// One dataset of an open file.
pub struct H5Dataset<'f> {
    owner: &'f H5File,
    name: String,
    ds: h5::Dataset,
}

impl H5File {
    /// Opens `path`: a regular file, read whole into memory (see [`SharedSource`]).
    pub fn open(path: &Path) -> Result<H5File> {
        H5File::from_backing(path, crate::util::read(path)?)
    }

    /// Parses an HDF5 image already in memory; `path` names it in errors.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<H5File> {
        H5File::from_backing(path, bytes)
    }

    fn from_backing(path: &Path, backing: Vec<u8>) -> Result<H5File> {
        if !h5::is_hdf5_bytes(&backing) {
            return Err(Error::at_offset(
                path,
                0,
                "not an HDF5 file (no HDF5 signature)",
            ));
        }
        let len = backing.len() as u64;
        let backing = std::sync::Arc::new(backing);
        let source = SharedSource(backing.clone());
        let file = guard(path, "opening the file", || h5::File::from_source(source)).map_err(
            |e| match e {
                Error::Invalid { path, msg } => Error::Invalid {
                    path,
                    msg: format!("{msg} (file is {len} bytes; truncated or damaged?)"),
                },
                e => e,
            },
        )?;
        let sb = file.superblock();
        let eof = sb.eof_address.saturating_add(sb.base_address.get());
        if eof > len && eof != u64::MAX {
            return Err(Error::at_offset(
                path,
                len,
                format!(
                    "file is truncated: it ends at byte {len} but its HDF5 superblock says {eof}"
                ),
            ));
        }
        Ok(H5File {
            path: path.to_path_buf(),
            file,
            backing,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole file image.
    pub fn bytes(&self) -> &[u8] {
        &self.backing
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> Error {
        Error::invalid(&self.path, format!("{what}: {e}"))
    }

    fn group_handle(&self, group: &str) -> Result<Option<h5::Group>> {
        let g = group.trim_matches('/');
        if g.is_empty() {
            return Ok(Some(self.file.root()));
        }
        match guard(&self.path, group, || self.file.group(g)) {
            Ok(h) => Ok(Some(h)),
            Err(_) if !self.exists(g) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether an object (group or dataset) exists at `path`.
    pub fn exists(&self, path: &str) -> bool {
        let p = path.trim_matches('/');
        if p.is_empty() {
            return true;
        }
        let (parent, name) = match p.rsplit_once('/') {
            Some((a, b)) => (a, b),
            None => ("", p),
        };
        let Ok(Some(g)) = self.group_handle(parent) else {
            return false;
        };
        let in_groups = catch(|| g.groups()).is_some_and(|v| v.iter().any(|n| n == name));
        in_groups || catch(|| g.datasets()).is_some_and(|v| v.iter().any(|n| n == name))
    }

    /// Whether `path` is a group.
    pub fn is_group(&self, path: &str) -> bool {
        matches!(self.group_handle(path), Ok(Some(_)))
    }

    /// Names of the sub-groups of `group` ("" or "/" for the root); empty if it is absent.
    pub fn groups(&self, group: &str) -> Result<Vec<String>> {
        match self.group_handle(group)? {
            Some(g) => guard(&self.path, group, || g.groups()),
            None => Ok(Vec::new()),
        }
    }

    /// Names of the datasets directly in `group`; empty if it is absent.
    pub fn datasets(&self, group: &str) -> Result<Vec<String>> {
        match self.group_handle(group)? {
            Some(g) => guard(&self.path, group, || g.datasets()),
            None => Ok(Vec::new()),
        }
    }

    /// Opens the dataset at `path`, or `None` when nothing of that name exists.
    pub fn dataset(&self, path: &str) -> Result<Option<H5Dataset<'_>>> {
        let p = path.trim_matches('/');
        match guard(&self.path, path, || self.file.dataset(p)) {
            Ok(ds) => Ok(Some(H5Dataset {
                owner: self,
                name: format!("/{p}"),
                ds,
            })),
            Err(e) => {
                if self.exists(p) {
                    Err(e)
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// All readable attributes of the group or dataset at `path` (sorted by name).
    pub fn attrs(&self, path: &str) -> Result<Vec<(String, Attr)>> {
        let map = if let Some(g) = self.group_handle(path).ok().flatten() {
            guard(&self.path, path, || g.attrs())?
        } else if let Some(d) = self.dataset(path)? {
            guard(&self.path, path, || d.ds.attrs())?
        } else {
            return Err(self.err(path, "no such group or dataset"));
        };
        let mut out: Vec<(String, Attr)> = map
            .iter()
            .map(|(k, v)| (k.clone(), Attr::from_h5(v)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// One attribute of the object at `path`, `None` if the object or attribute is absent.
    pub fn attr(&self, path: &str, name: &str) -> Result<Option<Attr>> {
        if !self.exists(path) {
            return Ok(None);
        }
        Ok(self
            .attrs(path)?
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v))
    }

    /// Locates one object of a global heap collection (variable-length data): its byte
    /// range in the file.
    fn global_heap_object(
        &self,
        addr: u64,
        index: u32,
    ) -> std::result::Result<std::ops::Range<usize>, String> {
        heap_object_range(
            self.bytes(),
            self.file.superblock().base_address.get(),
            addr,
            index,
        )
    }
}

fn heap_object_range(
    data: &[u8],
    base: u64,
    addr: u64,
    index: u32,
) -> std::result::Result<std::ops::Range<usize>, String> {
    let at = base
        .checked_add(addr)
        .and_then(|a| usize::try_from(a).ok())
        .ok_or("heap address overflows")?;
    let sig = data
        .get(at..at.saturating_add(4))
        .ok_or("heap address past end of file")?;
    if sig != b"GCOL" {
        return Err(format!("no global heap collection at byte {at}"));
    }
    let size = le_u64(data, at + 8).ok_or("truncated heap header")? as usize;
    let end = at.saturating_add(size).min(data.len());
    let mut pos = at + 16;
    while pos + 16 <= end {
        let idx = u16::from_le_bytes([data[pos], data[pos + 1]]);
        if idx == 0 {
            break;
        }
        let len = le_u64(data, pos + 8).ok_or("truncated heap object")? as usize;
        let start = pos + 16;
        if idx as u32 == index {
            let stop = start.saturating_add(len);
            if stop > data.len() {
                return Err(format!("heap object at byte {start} runs past end of file"));
            }
            return Ok(start..stop);
        }
        pos = start.saturating_add(len.div_ceil(8).saturating_mul(8));
    }
    Err(format!("heap object {index} not found at byte {at}"))
}

fn le_u64(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

impl<'f> H5Dataset<'f> {
    pub fn name(&self) -> &str {
        &self.name
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::invalid(&self.owner.path, format!("dataset {}: {e}", self.name))
    }

    pub fn shape(&self) -> Result<Vec<u64>> {
        guard(&self.owner.path, &self.name, || self.ds.shape())
    }

    /// Number of rows (first dimension; 1 for a scalar).
    pub fn len(&self) -> Result<usize> {
        Ok(self.shape()?.first().copied().unwrap_or(1) as usize)
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    pub fn dtype(&self) -> Result<Dtype> {
        let dt = guard(&self.owner.path, &self.name, || self.ds.datatype())?;
        Ok(Dtype::from_h5(&dt))
    }

    /// Whether the dataset is chunked and gzip-compressed.
    pub fn is_chunked(&self) -> bool {
        self.ds.is_chunked()
    }

    /// The exact element bytes (decompressed, in row-major order).
    pub fn read_raw(&self) -> Result<Vec<u8>> {
        let want = self.checked_size()?;
        let raw = guard(&self.owner.path, &self.name, || self.ds.read_raw())?;
        if raw.len() as u64 != want {
            return Err(self.err(format!(
                "{} bytes read, {want} expected from its shape and type",
                raw.len()
            )));
        }
        Ok(raw)
    }

    /// The dataset's size in bytes from its shape and type, checked against what the file
    /// can hold before anything is allocated for it: the HDF5 layer allocates the whole
    /// output first and aborts the process when that fails. Stored contiguously, the data must
    /// lie inside the file; chunked, it can be at most deflate's best ratio (1032:1) times
    /// the file's length; and the memory must be there.
    fn checked_size(&self) -> Result<u64> {
        let shape = self.shape()?;
        let elem = self.dtype()?.size() as u64;
        let file_len = self.owner.bytes().len() as u64;
        let mut total = elem;
        for d in &shape {
            total = total.checked_mul(*d).ok_or_else(|| {
                self.err(format!(
                    "its shape {shape:?} of {elem}-byte elements overflows"
                ))
            })?;
        }
        let limit = match self.ds.layout() {
            Ok(h5::Layout::Contiguous { .. }) | Ok(h5::Layout::Compact { .. }) => file_len,
            _ => file_len.saturating_mul(1100).saturating_add(1 << 20),
        };
        if total > limit {
            return Err(self.err(format!(
                "its shape {shape:?} of {elem}-byte elements is {total} bytes, more than a \
                 {file_len}-byte file can hold; damaged?"
            )));
        }
        if self.ds.is_chunked() {
            self.check_chunks(elem, file_len)?;
        }
        let mut probe: Vec<u8> = Vec::new();
        probe
            .try_reserve_exact(total as usize)
            .map_err(|_| self.err(format!("{total} bytes needed for it: not enough memory")))?;
        Ok(total)
    }

    /// Every allocated chunk's stored bytes lie inside the file, and one chunk's
    /// decompressed size is one the HDF5 layer can allocate: it sizes its buffers from these
    /// numbers before reading anything.
    fn check_chunks(&self, elem: u64, file_len: u64) -> Result<()> {
        let shape = guard(&self.owner.path, &self.name, || self.ds.chunk_shape())?;
        if let Some(shape) = shape {
            let mut n = elem;
            for d in &shape {
                n = n.saturating_mul(*d);
            }
            if n > file_len.saturating_mul(1100).saturating_add(1 << 20) {
                return Err(self.err(format!(
                    "its chunk shape {shape:?} of {elem}-byte elements is {n} bytes, more \
                     than a {file_len}-byte file can hold; damaged?"
                )));
            }
        }
        let chunks = guard(&self.owner.path, &self.name, || self.ds.chunks())?;
        for c in chunks {
            let end = c.address.checked_add(c.storage_size);
            if end.is_none_or(|e| e > file_len) {
                return Err(Error::at_offset(
                    &self.owner.path,
                    c.address,
                    format!(
                        "dataset {}: a chunk of {} bytes at byte {} runs past the end of the \
                         file ({file_len} bytes); truncated or damaged?",
                        self.name, c.storage_size, c.address
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The element bytes, borrowed straight from the file when the dataset is stored
    /// contiguously without filters (no copy), else read and decompressed.
    pub fn raw_bytes(&self) -> Result<std::borrow::Cow<'f, [u8]>> {
        let n: u64 = self.shape()?.iter().product();
        let want = n.saturating_mul(self.dtype()?.size() as u64);
        if let Ok(h5::Layout::Contiguous {
            address: Some(addr),
            size,
        }) = self.ds.layout()
            && size == want
            && self.ds.filters().is_empty()
        {
            let data = self.owner.bytes();
            let start = usize::try_from(addr).unwrap_or(usize::MAX);
            let end = start.saturating_add(size as usize);
            return match data.get(start..end) {
                Some(s) => Ok(std::borrow::Cow::Borrowed(s)),
                None => Err(Error::at_offset(
                    &self.owner.path,
                    start as u64,
                    format!(
                        "dataset {}: its {size} bytes run past the end of the file ({} bytes); truncated?",
                        self.name,
                        data.len()
                    ),
                )),
            };
        }
        if n == 0 {
            return Ok(std::borrow::Cow::Owned(Vec::new()));
        }
        self.read_raw().map(std::borrow::Cow::Owned)
    }

    /// Attributes of this dataset.
    pub fn attrs(&self) -> Result<Vec<(String, Attr)>> {
        self.owner.attrs(&self.name)
    }

    /// Reads a 1-D dataset of strings: fixed-length (NUL padding trimmed) or variable-length.
    /// A numeric dataset with zero elements (how old SLEAP files store an empty list) reads as
    /// an empty list.
    pub fn read_strings(&self) -> Result<Vec<String>> {
        let dt = self.dtype()?;
        match dt {
            Dtype::FixedString { size } => {
                let raw = self.read_raw()?;
                if size == 0 {
                    return Ok(Vec::new());
                }
                Ok(raw
                    .chunks_exact(size)
                    .map(|c| {
                        let end = c.iter().position(|&b| b == 0).unwrap_or(c.len());
                        String::from_utf8_lossy(&c[..end]).into_owned()
                    })
                    .collect())
            }
            Dtype::VlenString | Dtype::VlenSeq { .. } => Ok(self
                .read_vlen_bytes()?
                .into_iter()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .collect()),
            _ if self.shape()?.iter().product::<u64>() == 0 => Ok(Vec::new()),
            other => Err(self.err(format!("expected strings, found {other:?}"))),
        }
    }

    /// Reads each element of a variable-length dataset (strings or sequences of 1-byte
    /// elements such as encoded images) as bytes.
    pub fn read_vlen_bytes(&self) -> Result<Vec<Vec<u8>>> {
        let dt = self.dtype()?;
        let elem = match &dt {
            Dtype::VlenString => 1,
            Dtype::VlenSeq { base } => base.size(),
            other => {
                return Err(self.err(format!("expected variable-length data, found {other:?}")));
            }
        };
        let raw = self.read_raw()?;
        let refs = self.vlen_refs(&raw)?;
        let mut out = Vec::with_capacity(refs.len());
        for (row, r) in refs.into_iter().enumerate() {
            let Some((n, addr, idx)) = r else {
                out.push(Vec::new());
                continue;
            };
            let range = self
                .owner
                .global_heap_object(addr, idx)
                .map_err(|e| self.err(format!("row {row}: {e}")))?;
            let want = n.saturating_mul(elem);
            if want > range.len() {
                return Err(self.err(format!("row {row}: heap object shorter than {want} bytes")));
            }
            out.push(self.owner.bytes()[range.start..range.start + want].to_vec());
        }
        Ok(out)
    }

    /// Decodes the (length, heap address, object index) references of a vlen dataset.
    fn vlen_refs(&self, raw: &[u8]) -> Result<Vec<Option<(usize, u64, u32)>>> {
        let osz = self.owner.file.superblock().offset_size as usize;
        let rec = 4 + osz + 4;
        if !raw.len().is_multiple_of(rec) {
            return Err(self.err(format!(
                "{} bytes of references is not a multiple of {rec}",
                raw.len()
            )));
        }
        Ok(raw
            .chunks_exact(rec)
            .map(|r| {
                let n = u32::from_le_bytes([r[0], r[1], r[2], r[3]]) as usize;
                let mut addr = 0u64;
                for (i, b) in r[4..4 + osz].iter().enumerate() {
                    addr |= (*b as u64) << (8 * i);
                }
                let idx = u32::from_le_bytes([r[4 + osz], r[5 + osz], r[6 + osz], r[7 + osz]]);
                (n > 0 && addr != 0).then_some((n, addr, idx))
            })
            .collect())
    }
}

/// Runs a hdf5-pure call, turning its errors (and any panic inside it, so a damaged file can
/// never bring posedeck down) into an error naming the file and object.
fn guard<T>(
    path: &Path,
    what: &str,
    f: impl FnOnce() -> std::result::Result<T, h5::Error>,
) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Error::invalid(path, format!("{what}: {e}"))),
        Err(_) => Err(Error::invalid(
            path,
            format!("{what}: damaged HDF5 structure (reader failed)"),
        )),
    }
}

fn catch<T>(f: impl FnOnce() -> std::result::Result<T, h5::Error>) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .ok()
        .and_then(|r| r.ok())
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

/// Storage of one numeric value in a written dataset or compound field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WNum {
    U8,
    I8,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
    /// h5py's boolean: an enum over int8 with FALSE = 0 and TRUE = 1.
    Bool,
}

impl WNum {
    pub fn width(self) -> usize {
        match self {
            WNum::U8 | WNum::I8 | WNum::Bool => 1,
            WNum::U32 | WNum::I32 | WNum::F32 => 4,
            WNum::U64 | WNum::I64 | WNum::F64 => 8,
        }
    }
    fn datatype(self) -> std::result::Result<h5::Datatype, h5::FormatError> {
        Ok(match self {
            WNum::U8 => h5::make_u8_type(),
            WNum::I8 => h5::make_i8_type(),
            WNum::U32 => h5::make_u32_type(),
            WNum::I32 => h5::make_i32_type(),
            WNum::U64 => h5::make_u64_type(),
            WNum::I64 => h5::make_i64_type(),
            WNum::F32 => h5::make_f32_type(),
            WNum::F64 => h5::make_f64_type(),
            WNum::Bool => h5::EnumTypeBuilder::with_base(h5::make_i8_type())
                .value("FALSE", 0)
                .value("TRUE", 1)
                .build()?,
        })
    }
}

/// An attribute to write.
#[derive(Debug, Clone, PartialEq)]
pub enum WAttr {
    F64(f64),
    I64(i64),
    /// A fixed-length UTF-8 string (what h5py writes for `np.bytes_` / `str` values read
    /// back as text).
    Str(String),
}

/// The data of a dataset to write.
#[derive(Debug, Clone)]
pub enum WData {
    /// Rows of a compound type: `(name, byte offset, storage)` fields in `row_size` bytes.
    Compound {
        fields: Vec<(String, usize, WNum)>,
        row_size: usize,
        bytes: Vec<u8>,
    },
    /// A numeric array of the given shape (little-endian element bytes).
    Numeric {
        num: WNum,
        shape: Vec<u64>,
        bytes: Vec<u8>,
    },
    /// Variable-length UTF-8 strings (h5py's `string_dtype()`).
    VlenStrings(Vec<String>),
    /// Variable-length int8 sequences (one encoded image per row).
    VlenBytes(Vec<Vec<u8>>),
    /// One fixed-length string in a scalar dataset (h5py's `np.bytes_` dataset).
    ScalarString(String),
}

/// A dataset to write.
#[derive(Debug, Clone)]
pub struct WDataset {
    pub name: String,
    pub data: WData,
    pub attrs: Vec<(String, WAttr)>,
    /// Chunk rows and gzip level, for data stored chunked and compressed.
    pub gzip: Option<(u64, u32)>,
}

impl WDataset {
    pub fn new(name: &str, data: WData) -> WDataset {
        WDataset {
            name: name.to_string(),
            data,
            attrs: Vec::new(),
            gzip: None,
        }
    }
}

/// A group to write (the root group is one too).
#[derive(Debug, Clone, Default)]
pub struct WGroup {
    pub attrs: Vec<(String, WAttr)>,
    pub datasets: Vec<WDataset>,
    pub groups: Vec<(String, WGroup)>,
}

fn wattr(a: &WAttr) -> h5::AttrValue {
    match a {
        WAttr::F64(v) => h5::AttrValue::F64(*v),
        WAttr::I64(v) => h5::AttrValue::I64(*v),
        WAttr::Str(s) => h5::AttrValue::String(s.clone()),
    }
}

fn build_dataset(
    b: &mut h5::DatasetBuilder,
    d: &WDataset,
) -> std::result::Result<(), h5::FormatError> {
    match &d.data {
        WData::Compound {
            fields,
            row_size,
            bytes,
        } => {
            let mut t = h5::CompoundTypeBuilder::with_size(*row_size as u32);
            for (name, off, num) in fields {
                t = t.field(name, *off as u64, num.datatype()?);
            }
            let rows = bytes.len().checked_div(*row_size).unwrap_or(0) as u64;
            b.with_compound_data(t.build()?, bytes.clone(), rows);
        }
        WData::Numeric { num, shape, bytes } => {
            let n: u64 = shape.iter().product();
            b.with_raw_data(num.datatype()?, bytes.clone(), n);
            b.with_shape(shape);
        }
        WData::VlenStrings(v) => {
            let refs: Vec<&str> = v.iter().map(String::as_str).collect();
            b.with_vlen_strings(&refs);
        }
        WData::VlenBytes(rows) => {
            // hdf5-pure writes variable-length data only for strings: stage placeholders of
            // the exact byte lengths as strings, declare the type an int8 sequence, and
            // [`patch_vlen_bytes`] writes the real bytes into the heap afterwards.
            let placeholders: Vec<String> = rows.iter().map(|r| "x".repeat(r.len())).collect();
            let refs: Vec<&str> = placeholders.iter().map(String::as_str).collect();
            b.with_vlen_strings(&refs);
            b.with_dtype(h5::Datatype::VariableLength {
                is_string: false,
                padding: None,
                charset: None,
                base_type: Box::new(h5::make_i8_type()),
            });
        }
        WData::ScalarString(s) => {
            b.with_strings(&[s.as_str()])?;
            b.with_shape(&[]);
        }
    }
    if let Some((rows, level)) = d.gzip {
        let mut chunk = match &d.data {
            WData::Numeric { shape, .. } => shape.clone(),
            _ => vec![rows],
        };
        if let Some(c0) = chunk.first_mut() {
            *c0 = rows.clamp(1, (*c0).max(1));
        }
        b.with_chunks(&chunk);
        b.with_deflate(level);
    }
    for (k, v) in &d.attrs {
        b.set_attr(k, wattr(v));
    }
    Ok(())
}

fn build_group(
    g: &WGroup,
    mut gb: h5::GroupBuilder,
) -> std::result::Result<h5::FinishedGroup, h5::FormatError> {
    for (k, v) in &g.attrs {
        gb.set_attr(k, wattr(v));
    }
    for d in &g.datasets {
        build_dataset(gb.create_dataset(&d.name), d)?;
    }
    for (sub_name, sub) in &g.groups {
        let sb = gb.create_group(sub_name);
        let fin = build_group(sub, sb)?;
        gb.add_group(fin);
    }
    Ok(gb.finish())
}

impl WGroup {
    /// Serialises the tree as an HDF5 file image. `path` names the target in errors.
    pub fn to_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        let err = |e: &dyn std::fmt::Display| Error::invalid(path, format!("writing HDF5: {e}"));
        let mut fb = h5::FileBuilder::new();
        for (k, v) in &self.attrs {
            fb.set_attr(k, wattr(v));
        }
        for d in &self.datasets {
            build_dataset(fb.create_dataset(&d.name), d).map_err(|e| err(&e))?;
        }
        for (name, g) in &self.groups {
            let gb = fb.create_group(name);
            let fin = build_group(g, gb).map_err(|e| err(&e))?;
            fb.add_group(fin);
        }
        let mut bytes = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fb.finish()))
        {
            Ok(r) => r.map_err(|e| err(&e))?,
            Err(_) => return Err(err(&"the HDF5 writer failed")),
        };
        self.patch_vlen_bytes(path, "", &mut bytes)?;
        Ok(bytes)
    }

    /// Writes the real bytes of every [`WData::VlenBytes`] dataset over its placeholders.
    fn patch_vlen_bytes(&self, path: &Path, prefix: &str, bytes: &mut Vec<u8>) -> Result<()> {
        for d in &self.datasets {
            let WData::VlenBytes(rows) = &d.data else {
                continue;
            };
            let full = format!("{prefix}/{}", d.name);
            let ranges = {
                let f = H5File::from_bytes(path, std::mem::take(bytes))?;
                let ds = f.dataset(&full)?.ok_or_else(|| {
                    Error::invalid(path, format!("written dataset {full} is missing"))
                })?;
                let raw = ds.read_raw()?;
                let refs = ds.vlen_refs(&raw)?;
                let base = f.file.superblock().base_address.get();
                let mut ranges = Vec::with_capacity(refs.len());
                for r in refs {
                    ranges.push(match r {
                        Some((_, addr, idx)) => Some(
                            heap_object_range(f.bytes(), base, addr, idx)
                                .map_err(|e| Error::invalid(path, format!("{full}: {e}")))?,
                        ),
                        None => None,
                    });
                }
                drop(ds);
                let H5File { backing, file, .. } = f;
                drop(file);
                *bytes = match std::sync::Arc::try_unwrap(backing) {
                    Ok(b) => b,
                    _ => return Err(Error::invalid(path, "internal: file image still shared")),
                };
                ranges
            };
            if ranges.len() != rows.len() {
                return Err(Error::invalid(
                    path,
                    format!("{full}: row count changed while writing"),
                ));
            }
            // Each row must own its heap object, or patching one would change another.
            let mut spans: Vec<(usize, usize)> =
                ranges.iter().flatten().map(|r| (r.start, r.end)).collect();
            spans.sort_unstable();
            if spans.windows(2).any(|w| w[1].0 < w[0].1) {
                return Err(Error::invalid(
                    path,
                    format!("{full}: rows share heap storage"),
                ));
            }
            for (row, range) in rows.iter().zip(ranges) {
                match range {
                    Some(r) if r.len() == row.len() => bytes[r].copy_from_slice(row),
                    None if row.is_empty() => {}
                    _ => {
                        return Err(Error::invalid(
                            path,
                            format!("{full}: heap layout not as written"),
                        ));
                    }
                }
            }
        }
        for (name, g) in &self.groups {
            g.patch_vlen_bytes(path, &format!("{prefix}/{name}"), bytes)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlen_bytes_round_trip_exactly() {
        let rows: Vec<Vec<u8>> = vec![
            b"\x89PNG\r\n\x1a\n\x00\x00binary\xff\xfe".to_vec(),
            Vec::new(),
            vec![0u8; 5],
            b"\x89PNG\r\n\x1a\n\x00\x00binary\xff\xfe".to_vec(),
            (0..=255u8).cycle().take(70_000).collect(),
        ];
        let mut root = WGroup::default();
        let mut g = WGroup::default();
        let mut ds = WDataset::new("video", WData::VlenBytes(rows.clone()));
        ds.attrs.push(("format".into(), WAttr::Str("png".into())));
        g.datasets.push(ds);
        root.groups.push(("video0".into(), g));
        let p = Path::new("mem.h5");
        let bytes = root.to_bytes(p).unwrap();
        let f = H5File::from_bytes(p, bytes).unwrap();
        let d = f.dataset("video0/video").unwrap().unwrap();
        assert!(matches!(d.dtype().unwrap(), Dtype::VlenSeq { .. }));
        assert_eq!(d.read_vlen_bytes().unwrap(), rows);
        assert_eq!(
            f.attr("video0/video", "format").unwrap(),
            Some(Attr::Str("png".into()))
        );
    }

    #[test]
    fn compound_fields_are_read_at_their_offsets() {
        let mut root = WGroup::default();
        let mut bytes = Vec::new();
        for i in 0..3u64 {
            bytes.extend_from_slice(&(i * 10).to_le_bytes());
            bytes.push(i as u8 % 2);
            bytes.extend_from_slice(&(i as f32 * 0.5).to_le_bytes());
        }
        root.datasets.push(WDataset::new(
            "t",
            WData::Compound {
                fields: vec![
                    ("a".into(), 0, WNum::U64),
                    ("flag".into(), 8, WNum::Bool),
                    ("s".into(), 9, WNum::F32),
                ],
                row_size: 13,
                bytes: bytes.clone(),
            },
        ));
        let p = Path::new("mem.h5");
        let f = H5File::from_bytes(p, root.to_bytes(p).unwrap()).unwrap();
        let d = f.dataset("t").unwrap().unwrap();
        let dt = d.dtype().unwrap();
        assert_eq!(dt.field("s").unwrap().offset, 9);
        assert_eq!(
            dt.field("flag").unwrap().dtype,
            Dtype::Int {
                size: 1,
                signed: true,
                big_endian: false
            }
        );
        assert_eq!(d.raw_bytes().unwrap().as_ref(), bytes.as_slice());
        assert!(f.dataset("nope").unwrap().is_none());
        assert!(f.attr("nope", "x").unwrap().is_none());
    }

    #[test]
    fn damaged_images_are_errors_not_panics() {
        let p = Path::new("bad.h5");
        assert!(H5File::from_bytes(p, Vec::new()).is_err());
        let mut root = WGroup::default();
        root.attrs.push(("x".into(), WAttr::F64(1.0)));
        let good = root.to_bytes(p).unwrap();
        for cut in [8, 16, 40, good.len() / 2, good.len() - 1] {
            let e = H5File::from_bytes(p, good[..cut].to_vec());
            assert!(e.is_err(), "cut {cut}");
        }
        let mut flipped = good.clone();
        for b in flipped.iter_mut().skip(48).step_by(7) {
            *b ^= 0x5a;
        }
        if let Ok(f) = H5File::from_bytes(p, flipped) {
            let _ = f.attrs("");
            let _ = f.groups("");
        }
    }
}
