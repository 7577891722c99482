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
}

/// The data rows.
#[derive(Default)]
pub(crate) struct Body {
    pub index: Vec<String>,
    pub values: Vec<f64>,
    pub set: Vec<String>,
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
    match std::str::from_utf8(f) {
        Ok(s) => Ok(s.to_string()),
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
        body.index.push(text(path, line, 0, idx)?);
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
            body.set
                .push(text(path, line, f, rec.get(f).unwrap_or_default())?);
        }
    }
    Ok(body)
}
