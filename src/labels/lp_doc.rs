//! A Lightning Pose `CollectedData*.csv` held for editing, byte for byte: every field is kept
//! as the raw text it had in the file (quotes included) with each line's own terminator, so
//! cells that were not edited are written back exactly as they were and an unedited document
//! writes the very bytes it was read from. New values are written as pandas `to_csv` writes
//! floats (the shortest repr that round-trips). Writing, conflicts and merging: `lp_write`.

use crate::formats::csv::PoseTable;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// One data row: its raw fields (the index first) and its line terminator (`\n`, `\r\n`,
/// `\r`, or nothing for a last line without one).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawRow {
    pub fields: Vec<Vec<u8>>,
    pub term: Vec<u8>,
}

/// What follows the header: data rows and the blank lines between them (kept as they were).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Piece {
    Row(usize),
    Blank(Vec<u8>),
}

/// The raw text of the cells of one keypoint in one row: x, y and (when the file has it)
/// visible. Undo puts these back exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellTexts {
    pub x: Vec<u8>,
    pub y: Vec<u8>,
    pub visible: Option<Vec<u8>>,
}

/// One keypoint edit (for undo/redo): the row's image, the keypoint, the texts before and after.
#[derive(Clone, Debug, PartialEq)]
pub struct PointEdit {
    pub image: String,
    pub keypoint: usize,
    pub before: CellTexts,
    pub after: CellTexts,
}

/// A CollectedData CSV open for editing.
#[derive(Clone, Debug)]
pub struct LpDocument {
    pub(crate) path: PathBuf,
    /// The bytes the document was read from (or last written): what the disk must still hold
    /// for a write to go ahead.
    pub(crate) original: Vec<u8>,
    pub(crate) header: Vec<u8>,
    pub(crate) pieces: Vec<Piece>,
    pub(crate) rows: Vec<RawRow>,
    /// The rows as read, to tell edited rows from the others.
    pub(crate) base: Vec<RawRow>,
    /// Rows whose fields were set (or that were added) since `base`: only these can differ
    /// from it, so asking whether anything is edited (every redraw in edit mode) does not
    /// compare every row of the file.
    pub(crate) touched: std::collections::BTreeSet<usize>,
    pub(crate) keypoints: Vec<String>,
    pub(crate) coords: Vec<String>,
    x: usize,
    y: usize,
    visible: Option<usize>,
    /// The unquoted index of each row.
    pub(crate) index: Vec<String>,
    /// The terminator new lines get (the file's first one).
    newline: Vec<u8>,
}

/// Splits one CSV record starting at `pos`: the raw fields, the terminator, and where the
/// next record starts. Quoted fields may hold commas, quotes (doubled) and line breaks.
pub(crate) fn split_record(b: &[u8], mut pos: usize) -> (Vec<Vec<u8>>, Vec<u8>, usize) {
    let mut fields = Vec::new();
    let mut start = pos;
    let mut quoted = false;
    while pos < b.len() {
        let c = b[pos];
        if quoted {
            if c == b'"' {
                if b.get(pos + 1) == Some(&b'"') {
                    pos += 1;
                } else {
                    quoted = false;
                }
            }
            pos += 1;
            continue;
        }
        match c {
            b'"' => quoted = true,
            b',' => {
                fields.push(b[start..pos].to_vec());
                start = pos + 1;
            }
            b'\n' | b'\r' => {
                fields.push(b[start..pos].to_vec());
                let end = if c == b'\r' && b.get(pos + 1) == Some(&b'\n') {
                    pos + 2
                } else {
                    pos + 1
                };
                return (fields, b[pos..end].to_vec(), end);
            }
            _ => {}
        }
        pos += 1;
    }
    fields.push(b[start..pos].to_vec());
    (fields, Vec::new(), pos)
}

/// A raw field's text: quotes removed and doubled quotes undone.
pub(crate) fn unquote(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => s.into_owned(),
    }
}

/// A cell's number: NaN when empty (or not a number, which the table reader already refused).
fn number(raw: &[u8]) -> f64 {
    let s = unquote(raw);
    let s = s.trim();
    if s.is_empty() {
        f64::NAN
    } else {
        s.parse().unwrap_or(f64::NAN)
    }
}

/// A new value as pandas writes a float: the shortest repr that round-trips.
pub fn float_text(v: f64) -> Vec<u8> {
    let mut out = Vec::new();
    crate::formats::csv::push_float(&mut out, v);
    out
}

impl LpDocument {
    /// Reads a CollectedData CSV; errors name the file (and line) as the table reader does.
    pub fn read(path: &Path) -> Result<LpDocument> {
        let bytes = crate::util::read(path)?;
        LpDocument::parse(path, bytes)
    }

    /// Parses CSV bytes; `path` is where the document will be written.
    pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<LpDocument> {
        let table = PoseTable::parse(path, &bytes)?;
        let bad = |m: String| Error::invalid(path, m);
        let (x, y) = match (table.coord_index("x"), table.coord_index("y")) {
            (Some(x), Some(y)) => (x, y),
            _ => return Err(bad("no x and y coords: not a labels file".into())),
        };
        if table.set.is_some() || table.coords.iter().any(|c| c == "likelihood") {
            return Err(bad(
                "a predictions file (likelihood/set columns), not CollectedData labels".into(),
            ));
        }
        let width = 1 + table.row_width();
        let mut pos = 0;
        for _ in 0..3 {
            pos = split_record(&bytes, pos).2;
        }
        let header = bytes[..pos].to_vec();
        let mut pieces = Vec::new();
        let mut rows = Vec::new();
        let mut line: u64 = 4;
        while pos < bytes.len() {
            let (fields, term, next) = split_record(&bytes, pos);
            if fields.len() == 1 && fields[0].is_empty() {
                pieces.push(Piece::Blank(bytes[pos..next].to_vec()));
            } else {
                if fields.len() != width {
                    return Err(Error::at_line(
                        path,
                        line,
                        format!("{} fields, expected {width}", fields.len()),
                    ));
                }
                pieces.push(Piece::Row(rows.len()));
                rows.push(RawRow { fields, term });
            }
            line += bytes[pos..next]
                .iter()
                .filter(|&&c| c == b'\n')
                .count()
                .max(1) as u64;
            pos = next;
        }
        let index: Vec<String> = rows.iter().map(|r| unquote(&r.fields[0])).collect();
        if index != table.index {
            return Err(bad(
                "the rows could not be matched to the table reader's (unusual quoting)".into(),
            ));
        }
        let newline = split_record(&bytes, 0).1;
        Ok(LpDocument {
            path: path.to_path_buf(),
            original: bytes,
            header,
            pieces,
            base: rows.clone(),
            touched: Default::default(),
            rows,
            keypoints: table.keypoints.clone(),
            visible: table.coord_index("visible"),
            coords: table.coords,
            x,
            y,
            index,
            newline: if newline.is_empty() {
                b"\n".to_vec()
            } else {
                newline
            },
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn keypoints(&self) -> &[String] {
        &self.keypoints
    }
    pub fn n_rows(&self) -> usize {
        self.rows.len()
    }
    /// The unquoted index (image path) of each row.
    pub fn images(&self) -> &[String] {
        &self.index
    }
    pub fn has_visible(&self) -> bool {
        self.visible.is_some()
    }
    /// The row of an image.
    pub fn row_of(&self, image: &str) -> Option<usize> {
        self.index.iter().position(|i| i == image)
    }

    fn col(&self, keypoint: usize, coord: usize) -> usize {
        1 + keypoint * self.coords.len() + coord
    }

    /// (x, y) of a keypoint, `None` when missing (an empty x or y).
    pub fn point(&self, row: usize, keypoint: usize) -> Option<(f64, f64)> {
        let r = self.rows.get(row)?;
        if keypoint >= self.keypoints.len() {
            return None;
        }
        let x = number(&r.fields[self.col(keypoint, self.x)]);
        let y = number(&r.fields[self.col(keypoint, self.y)]);
        (x.is_finite() && y.is_finite()).then_some((x, y))
    }

    /// Every keypoint of a row.
    pub fn points(&self, row: usize) -> Vec<Option<(f64, f64)>> {
        (0..self.keypoints.len())
            .map(|k| self.point(row, k))
            .collect()
    }

    /// The raw texts of a keypoint's cells.
    pub fn texts(&self, row: usize, keypoint: usize) -> Option<CellTexts> {
        let r = self.rows.get(row)?;
        if keypoint >= self.keypoints.len() {
            return None;
        }
        Some(CellTexts {
            x: r.fields[self.col(keypoint, self.x)].clone(),
            y: r.fields[self.col(keypoint, self.y)].clone(),
            visible: self
                .visible
                .map(|v| r.fields[self.col(keypoint, v)].clone()),
        })
    }

    /// Writes a keypoint's cells (the inverse of [`LpDocument::texts`]).
    pub fn set_texts(&mut self, row: usize, keypoint: usize, t: &CellTexts) -> Result<()> {
        if row >= self.rows.len() || keypoint >= self.keypoints.len() {
            return Err(Error::usage(format!(
                "{}: no row {row} / keypoint {keypoint}",
                self.path.display()
            )));
        }
        let (cx, cy) = (self.col(keypoint, self.x), self.col(keypoint, self.y));
        let cv = self.visible.map(|v| self.col(keypoint, v));
        self.touched.insert(row);
        let r = &mut self.rows[row];
        r.fields[cx] = t.x.clone();
        r.fields[cy] = t.y.clone();
        if let (Some(c), Some(v)) = (cv, &t.visible) {
            r.fields[c] = v.clone();
        }
        Ok(())
    }

    /// How this file writes a visibility flag: as an integer (`2`) or as pandas writes a float
    /// column (`2.0`), judged from the cells it already has.
    fn visible_text(&self, flag: u8) -> Vec<u8> {
        let Some(v) = self.visible else {
            return Vec::new();
        };
        let float = self
            .rows
            .iter()
            .flat_map(|r| (0..self.keypoints.len()).map(move |k| (r, k)))
            .map(|(r, k)| &r.fields[self.col(k, v)])
            .find(|f| !f.is_empty())
            .is_some_and(|f| f.contains(&b'.'));
        if float {
            float_text(flag as f64)
        } else {
            flag.to_string().into_bytes()
        }
    }

    /// Places a keypoint at (x, y), or marks it missing (`None`: empty x and y; `visible` 0).
    /// Returns the edit for the undo stack (`None` when nothing changed).
    pub fn set_point(
        &mut self,
        row: usize,
        keypoint: usize,
        at: Option<(f64, f64)>,
    ) -> Result<Option<PointEdit>> {
        let before = self
            .texts(row, keypoint)
            .ok_or_else(|| Error::usage(format!("no row {row} / keypoint {keypoint}")))?;
        if let Some((x, y)) = at
            && !(x.is_finite() && y.is_finite())
        {
            return Err(Error::usage("a keypoint needs finite coordinates"));
        }
        let unchanged_xy = match at {
            Some((x, y)) => self.point(row, keypoint) == Some((x, y)),
            None => before.x.is_empty() && before.y.is_empty(),
        };
        let after = CellTexts {
            x: if unchanged_xy {
                before.x.clone()
            } else {
                at.map(|p| float_text(p.0)).unwrap_or_default()
            },
            y: if unchanged_xy {
                before.y.clone()
            } else {
                at.map(|p| float_text(p.1)).unwrap_or_default()
            },
            visible: before.visible.as_ref().map(|old| {
                let want = if at.is_some() { 2 } else { 0 };
                if number(old) == want as f64 {
                    old.clone()
                } else {
                    self.visible_text(want)
                }
            }),
        };
        if after == before {
            return Ok(None);
        }
        self.set_texts(row, keypoint, &after)?;
        Ok(Some(PointEdit {
            image: self.index[row].clone(),
            keypoint,
            before,
            after,
        }))
    }

    /// Applies an edit forwards (redo) or backwards (undo).
    pub fn apply(&mut self, e: &PointEdit, forward: bool) -> Result<()> {
        let row = self
            .row_of(&e.image)
            .ok_or_else(|| Error::usage(format!("{}: no row {}", self.path.display(), e.image)))?;
        self.set_texts(row, e.keypoint, if forward { &e.after } else { &e.before })
    }

    /// The row of `image`, appended with every keypoint missing when the file has none (a
    /// frame from the labeling queue). Returns the row.
    pub fn ensure_row(&mut self, image: &str) -> usize {
        if let Some(r) = self.row_of(image) {
            return r;
        }
        // The last line gets a terminator if it had none.
        if let Some(Piece::Row(last)) = self.pieces.last()
            && self.rows[*last].term.is_empty()
        {
            let nl = self.newline.clone();
            self.rows[*last].term = nl;
        }
        let mut index = Vec::new();
        crate::formats::csv::push_text(&mut index, image);
        let mut fields = vec![index];
        for _ in 0..self.keypoints.len() {
            for c in 0..self.coords.len() {
                fields.push(if Some(c) == self.visible {
                    self.visible_text(0)
                } else {
                    Vec::new()
                });
            }
        }
        let row = self.rows.len();
        self.rows.push(RawRow {
            fields,
            term: self.newline.clone(),
        });
        self.pieces.push(Piece::Row(row));
        self.index.push(image.to_owned());
        self.touched.insert(row);
        row
    }

    /// The document as CSV bytes: the header as read, then every row's fields joined by
    /// commas with its own terminator.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.original.len() + 64);
        out.extend_from_slice(&self.header);
        for p in &self.pieces {
            match p {
                Piece::Blank(b) => out.extend_from_slice(b),
                Piece::Row(r) => {
                    let row = &self.rows[*r];
                    for (i, f) in row.fields.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(f);
                    }
                    out.extend_from_slice(&row.term);
                }
            }
        }
        out
    }

    /// Whether row `r` has cells that differ from the file as read (or last written); a new
    /// row always does.
    pub(crate) fn row_edited(&self, r: usize) -> bool {
        self.base
            .get(r)
            .is_none_or(|b| b.fields != self.rows[r].fields)
    }

    /// The images of rows that differ from the file as read (or last written).
    pub fn edited_images(&self) -> Vec<String> {
        self.touched
            .iter()
            .copied()
            .filter(|&r| self.row_edited(r))
            .map(|r| self.index[r].clone())
            .collect()
    }

    /// Whether anything differs from the file as read (or last written).
    pub fn is_edited(&self) -> bool {
        self.touched.iter().any(|&r| self.row_edited(r))
    }
}
