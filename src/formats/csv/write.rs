//! Writing pose and metric tables exactly as pandas `to_csv` writes them (Python's csv module,
//! QUOTE_MINIMAL, `\n` line ends, empty cell for NaN, floats as numpy's shortest repr), always
//! atomically (temporary file + rename).

use super::metric::MetricTable;
use super::number::push_float;
use super::pose::PoseTable;
use crate::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Appends a text field, quoted as Python's csv module does under QUOTE_MINIMAL.
pub(crate) fn push_text(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Writes the data rows: `index, values..., [set]`.
fn write_rows(
    w: &mut impl Write,
    index: &[String],
    values: &[f64],
    width: usize,
    set: Option<&[String]>,
) -> std::io::Result<()> {
    let mut line = Vec::with_capacity(width * 24 + 64);
    for (r, (idx, row)) in index.iter().zip(values.chunks_exact(width)).enumerate() {
        line.clear();
        push_text(&mut line, idx);
        for &v in row {
            line.push(b',');
            push_float(&mut line, v);
        }
        if let Some(set) = set {
            line.push(b',');
            push_text(&mut line, set.get(r).map_or("", String::as_str));
        }
        line.push(b'\n');
        w.write_all(&line)?;
    }
    Ok(())
}

impl PoseTable {
    /// Writes the CSV text to `w` (the shape must be valid: see [`PoseTable::check_shape`]).
    pub fn write_to(&self, w: &mut impl Write) -> std::io::Result<()> {
        self.check_shape().map_err(std::io::Error::other)?;
        let mut head = Vec::new();
        let set = self.set.as_deref();
        for (level, name) in ["scorer", "bodyparts", "coords"].into_iter().enumerate() {
            push_text(&mut head, name);
            for k in &self.keypoints {
                for c in &self.coords {
                    head.push(b',');
                    push_text(&mut head, [self.scorer.as_str(), k, c][level]);
                }
            }
            if set.is_some() {
                head.extend_from_slice(if level == 0 { b",set" } else { b"," });
            }
            head.push(b'\n');
        }
        w.write_all(&head)?;
        write_rows(w, &self.index, &self.values, self.row_width(), set)
    }

    /// The CSV text as bytes.
    pub fn to_csv_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write_to(&mut out)
            .map_err(|e| Error::usage(e.to_string()))?;
        Ok(out)
    }

    /// Writes the table to `path` atomically (a half-written file is never left behind).
    pub fn write(&self, path: &Path) -> Result<()> {
        self.check_shape().map_err(|m| Error::invalid(path, m))?;
        crate::util::write_atomic_with(path, |w| self.write_to(w))
    }
}

impl MetricTable {
    /// Writes the CSV text to `w` (the shape must be valid: see [`MetricTable::check_shape`]).
    pub fn write_to(&self, w: &mut impl Write) -> std::io::Result<()> {
        self.check_shape().map_err(std::io::Error::other)?;
        let mut head = Vec::new();
        push_text(&mut head, &self.index_name);
        for c in &self.columns {
            head.push(b',');
            push_text(&mut head, c);
        }
        if self.set.is_some() {
            head.extend_from_slice(b",set");
        }
        head.push(b'\n');
        w.write_all(&head)?;
        write_rows(
            w,
            &self.index,
            &self.values,
            self.columns.len(),
            self.set.as_deref(),
        )
    }

    /// The CSV text as bytes.
    pub fn to_csv_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write_to(&mut out)
            .map_err(|e| Error::usage(e.to_string()))?;
        Ok(out)
    }

    /// Writes the table to `path` atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        self.check_shape().map_err(|m| Error::invalid(path, m))?;
        crate::util::write_atomic_with(path, |w| self.write_to(w))
    }
}
