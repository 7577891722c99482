//! The shape shared by every Lightning Pose CSV: some header rows, then data rows of
//! `index, v1 .. vn [, set]` where the v are numbers (empty = NaN).
//!
//! Reading goes two ways that give the same result. The careful way tokenizes with the `csv`
//! crate (quoted fields, CR/LF/CRLF, blank lines skipped as pandas skips them) and reports
//! damage with the 1-based line and field. The fast way (see [`super::fast`]) handles the files
//! pandas actually writes (no quotes in the body) in parallel chunks and gives up at anything
//! unusual, in which case the careful way reads the body again and says what is wrong.

use super::{fast, number};
use crate::sanitize::clean;
use crate::{Error, Result};
use std::path::Path;

/// The header rows as text, each with its 1-based line number.
pub(crate) struct Header {
    pub rows: Vec<Vec<String>>,
    pub lines: Vec<u64>,
}

/// What the header says the data rows hold.
pub(crate) struct Layout {
    /// Fields per row, the index included.
    pub n_fields: usize,
    /// Numeric fields after the index.
    pub n_values: usize,
    /// Whether a trailing text field (`set`) follows the numbers.
    pub has_set: bool,
    /// Per numeric field, a name for error messages ("paw1LH_top x").
    pub value_names: Vec<String>,
    /// Keep the index texts; when false each is checked (UTF-8) but left empty, which saves
    /// an allocation per row for readers that only want the numbers.
    pub keep_index: bool,
}

/// The data rows.
#[derive(Default)]
pub(crate) struct Body {
    pub index: Vec<String>,
    pub values: Vec<f64>,
    /// Per row, the `set` field as an index into `set_names` (empty without the column).
    pub set: Vec<u32>,
    /// The distinct `set` values in order of first appearance.
    pub set_names: Vec<String>,
}

impl Body {
    /// The `set` field of every row as text.
    pub fn set_texts(&self) -> Vec<String> {
        self.set
            .iter()
            .map(|&i| self.set_names.get(i as usize).cloned().unwrap_or_default())
            .collect()
    }
}

/// Distinct short texts (a `set` column's values), each stored once.
#[derive(Default)]
pub(crate) struct Names {
    pub names: Vec<String>,
    last: usize,
}

impl Names {
    /// The id of `field`, adding it when new; `None` when a new field is not UTF-8.
    #[inline]
    pub fn id(&mut self, field: &[u8]) -> Option<u32> {
        if self
            .names
            .get(self.last)
            .is_some_and(|n| n.as_bytes() == field)
        {
            return Some(self.last as u32);
        }
        let i = match self.names.iter().position(|n| n.as_bytes() == field) {
            Some(i) => i,
            None => {
                self.names.push(std::str::from_utf8(field).ok()?.to_owned());
                self.names.len() - 1
            }
        };
        self.last = i;
        u32::try_from(i).ok()
    }
}

/// Reads `header_rows` header rows, lets `layout` interpret them, then reads the body (the
/// fast way first when `fast_ok`).
pub(crate) fn read(
    path: &Path,
    bytes: &[u8],
    header_rows: usize,
    what: &str,
    fast_ok: bool,
    layout: impl FnOnce(&Header) -> Result<Layout>,
) -> Result<(Header, Body)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.is_empty() {
        return Err(Error::invalid(
            path,
            format!("empty file (0 bytes); expected {what}"),
        ));
    }
    let mut rdr = reader(bytes);
    let mut rec = ::csv::ByteRecord::new();
    let mut header = Header {
        rows: Vec::with_capacity(header_rows),
        lines: Vec::with_capacity(header_rows),
    };
    while header.rows.len() < header_rows {
        let got = rdr
            .read_byte_record(&mut rec)
            .map_err(|e| Error::invalid(path, format!("unreadable CSV: {e}")))?;
        if !got {
            let line = rdr.position().line();
            return Err(Error::at_line(
                path,
                line,
                format!(
                    "file ends after {} header row(s); expected {what}",
                    header.rows.len()
                ),
            ));
        }
        let line = rec.position().map_or(0, |p| p.line());
        let mut row = Vec::with_capacity(rec.len());
        for (i, f) in rec.iter().enumerate() {
            row.push(text(path, line, i, f)?);
        }
        header.rows.push(row);
        header.lines.push(line);
    }
    let layout = layout(&header)?;
    let body_start = (rdr.position().byte() as usize).min(bytes.len());
    let body = bytes.get(body_start..).unwrap_or_default();
    if fast_ok && let Some(b) = fast::parse(body, &layout) {
        return Ok((header, b));
    }
    let b = careful(path, &mut rdr, &layout)?;
    Ok((header, b))
}

fn reader(bytes: &[u8]) -> ::csv::Reader<&[u8]> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
}

/// A text field: must be UTF-8.
pub(crate) fn text(path: &Path, line: u64, field: usize, f: &[u8]) -> Result<String> {
    text_ref(path, line, field, f).map(str::to_string)
}

/// [`text`] without the copy.
fn text_ref<'a>(path: &Path, line: u64, field: usize, f: &'a [u8]) -> Result<&'a str> {
    match std::str::from_utf8(f) {
        Ok(s) => Ok(s),
        Err(e) => Err(Error::at_line(
            path,
            line,
            format!(
                "field {}: not valid UTF-8 (at byte {} of the field)",
                field + 1,
                e.valid_up_to()
            ),
        )),
    }
}

/// Reads the body record by record with exact positions for errors.
fn careful(path: &Path, rdr: &mut ::csv::Reader<&[u8]>, layout: &Layout) -> Result<Body> {
    let mut body = Body::default();
    let mut names = Names::default();
    let mut rec = ::csv::ByteRecord::new();
    loop {
        let got = rdr
            .read_byte_record(&mut rec)
            .map_err(|e| Error::invalid(path, format!("unreadable CSV: {e}")))?;
        if !got {
            break;
        }
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() != layout.n_fields {
            return Err(Error::at_line(
                path,
                line,
                format!(
                    "ragged row: {} fields where the header has {}",
                    rec.len(),
                    layout.n_fields
                ),
            ));
        }
        let idx = rec.get(0).unwrap_or_default();
        let idx = text_ref(path, line, 0, idx)?;
        body.index.push(if layout.keep_index {
            idx.to_owned()
        } else {
            String::new()
        });
        for k in 0..layout.n_values {
            let cell = rec.get(k + 1).unwrap_or_default();
            match number::parse_cell(cell) {
                Some(v) => body.values.push(v),
                None => {
                    let shown = String::from_utf8_lossy(cell);
                    let shown: String = clean(&shown).chars().take(40).collect();
                    let name = layout.value_names.get(k).map_or("", String::as_str);
                    return Err(Error::at_line(
                        path,
                        line,
                        format!(
                            "field {} ({}): not a number: \"{}\"",
                            k + 2,
                            clean(name),
                            shown
                        ),
                    ));
                }
            }
        }
        if layout.has_set {
            let f = layout.n_values + 1;
            let field = text_ref(path, line, f, rec.get(f).unwrap_or_default())?;
            let id = names
                .id(field.as_bytes())
                .ok_or_else(|| Error::at_line(path, line, "too many distinct set values"))?;
            body.set.push(id);
        }
    }
    body.set_names = names.names;
    Ok(body)
}
