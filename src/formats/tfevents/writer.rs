//! Writing events files the way PyTorch Lightning's TensorBoardLogger does: a file_version
//! record first, then one Event per scalar (`simple_value`) or text summary (plugin "text").
//!
//! Events files are append-only logs that TensorBoard reads while they grow, so the writer
//! appends records to the file in place (a new file is created with `create_new`: nothing
//! existing is overwritten).

use super::record;
use crate::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// `Event.file_version` written in the first record.
pub const FILE_VERSION: &str = "brain.Event:2";

/// Writes TensorBoard events to any byte sink (a file for [`EventsWriter::create`]).
pub struct EventsWriter<W: Write = BufWriter<File>> {
    out: W,
    path: PathBuf,
    event: Vec<u8>,
    framed: Vec<u8>,
}

/// Seconds since the Unix epoch, as TensorBoard stores `wall_time`.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let name = if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    };
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if name.is_empty() {
        "localhost".into()
    } else {
        name
    }
}

impl EventsWriter<BufWriter<File>> {
    /// Creates `dir` if needed and a new file `events.out.tfevents.<ts>.<host>.<pid>.<n>` in
    /// it (n counts up if the name is taken), starting with the file_version record.
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let wall = now();
        let stem = format!(
            "events.out.tfevents.{}.{}.{}",
            wall as u64,
            hostname(),
            std::process::id()
        );
        for n in 0..1000 {
            let path = dir.join(format!("{stem}.{n}"));
            match File::create_new(&path) {
                Ok(f) => return Self::start(BufWriter::with_capacity(1 << 16, f), path, wall),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::invalid(dir, "no free events file name"))
    }

    /// Creates a new events file at exactly `path` (which must not exist).
    pub fn create_file(path: &Path) -> Result<Self> {
        let f = File::create_new(path).map_err(|e| Error::io(path, e))?;
        Self::start(
            BufWriter::with_capacity(1 << 16, f),
            path.to_path_buf(),
            now(),
        )
    }

    /// Opens an existing events file to continue a run: new records go after the last one.
    /// Refuses a damaged file or one ending in a partial record (appending after it would
    /// hide the records that follow from every reader).
    pub fn append(path: &Path) -> Result<Self> {
        let existing = super::read_events_file(path)?;
        if let Some(e) = existing.error {
            return Err(e);
        }
        if existing.records == 0 {
            return Err(Error::invalid(path, "not an events file (no records)"));
        }
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(EventsWriter {
            out: BufWriter::with_capacity(1 << 16, f),
            path: path.to_path_buf(),
            event: Vec::new(),
            framed: Vec::new(),
        })
    }
}

impl<W: Write> EventsWriter<W> {
    /// Starts an events stream on `out` with the file_version record; `path` names the
    /// stream in errors.
    pub fn new(out: W, path: impl Into<PathBuf>) -> Result<Self> {
        Self::start(out, path.into(), now())
    }

    fn start(out: W, path: PathBuf, wall: f64) -> Result<Self> {
        let mut w = EventsWriter {
            out,
            path,
            event: Vec::new(),
            framed: Vec::new(),
        };
        w.event.clear();
        put_fixed64(&mut w.event, 1, wall.to_bits());
        put_bytes(&mut w.event, 3, FILE_VERSION.as_bytes());
        // source_metadata { writer: "posedeck" }
        let mut src = Vec::new();
        put_bytes(&mut src, 1, b"posedeck");
        put_bytes(&mut w.event, 10, &src);
        w.emit()?;
        Ok(w)
    }

    /// The file (or stream name) written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A scalar as `simple_value` at `step`, stamped now.
    pub fn add_scalar(&mut self, tag: &str, value: f32, step: i64) -> Result<()> {
        self.add_scalar_at(tag, value, step, now())
    }

    /// A scalar as `simple_value` with an explicit wall time (seconds since the epoch).
    pub fn add_scalar_at(
        &mut self,
        tag: &str,
        value: f32,
        step: i64,
        wall_time: f64,
    ) -> Result<()> {
        // Summary.Value { tag = 1, simple_value = 2 }
        let mut v = [0u8; 0].to_vec();
        v.reserve(tag.len() + 12);
        put_bytes(&mut v, 1, tag.as_bytes());
        put_key(&mut v, 2, 5);
        v.extend_from_slice(&value.to_bits().to_le_bytes());
        self.event_with_value(step, wall_time, &v)
    }

    /// A text summary (plugin "text", a DT_STRING tensor of shape [1]). PyTorch and
    /// Lightning name such tags `<name>/text_summary`; `tag` is written as given.
    pub fn add_text(&mut self, tag: &str, text: &str, step: i64) -> Result<()> {
        self.add_text_at(tag, text, step, now())
    }

    /// [`add_text`](Self::add_text) with an explicit wall time.
    pub fn add_text_at(&mut self, tag: &str, text: &str, step: i64, wall_time: f64) -> Result<()> {
        // TensorProto { dtype = DT_STRING, tensor_shape { dim { size: 1 } }, string_val }
        let mut dim = Vec::new();
        put_varint_field(&mut dim, 1, 1);
        let mut shape = Vec::new();
        put_bytes(&mut shape, 2, &dim);
        let mut tensor = Vec::new();
        put_varint_field(&mut tensor, 1, super::proto::dtype::STRING);
        put_bytes(&mut tensor, 2, &shape);
        put_bytes(&mut tensor, 8, text.as_bytes());
        // SummaryMetadata { plugin_data { plugin_name: "text" } }
        let mut pd = Vec::new();
        put_bytes(&mut pd, 1, b"text");
        let mut meta = Vec::new();
        put_bytes(&mut meta, 1, &pd);
        let mut v = Vec::new();
        put_bytes(&mut v, 1, tag.as_bytes());
        put_bytes(&mut v, 8, &tensor);
        put_bytes(&mut v, 9, &meta);
        self.event_with_value(step, wall_time, &v)
    }

    fn event_with_value(&mut self, step: i64, wall_time: f64, value: &[u8]) -> Result<()> {
        self.event.clear();
        put_fixed64(&mut self.event, 1, wall_time.to_bits());
        if step != 0 {
            put_varint_field(&mut self.event, 2, step as u64);
        }
        // Event.summary (5) { Summary.value (1) { value } }
        let inner = value.len() + 1 + varint_len(value.len() as u64);
        put_key(&mut self.event, 5, 2);
        put_varint(&mut self.event, inner as u64);
        put_bytes(&mut self.event, 1, value);
        self.emit()
    }

    fn emit(&mut self) -> Result<()> {
        self.framed.clear();
        record::frame(&mut self.framed, &self.event);
        self.out
            .write_all(&self.framed)
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Pushes buffered records to the file so readers see them.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))
    }

    /// Flushes and returns the sink.
    pub fn into_inner(mut self) -> Result<W> {
        self.flush()?;
        Ok(self.out)
    }
}

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_key(out: &mut Vec<u8>, field: u32, wire: u8) {
    put_varint(out, ((field as u64) << 3) | wire as u64);
}

fn put_varint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    put_key(out, field, 0);
    put_varint(out, v);
}

fn put_fixed64(out: &mut Vec<u8>, field: u32, v: u64) {
    put_key(out, field, 1);
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    put_key(out, field, 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_memory() {
        let mut w = EventsWriter::new(Vec::new(), "mem").unwrap();
        w.add_scalar_at("loss", 0.5, 0, 100.0).unwrap();
        w.add_scalar_at("loss", 0.25, 300, 101.5).unwrap();
        w.add_scalar_at("lr", 1e-3, 300, 101.5).unwrap();
        w.add_text_at("cfg/text_summary", "a: 1\nb: 2", 0, 99.0)
            .unwrap();
        let buf = w.into_inner().unwrap();
        let f = super::super::decode_events(Path::new("mem"), &buf);
        assert!(f.error.is_none(), "{:?}", f.error);
        assert_eq!(f.file_version.as_deref(), Some(FILE_VERSION));
        assert_eq!(f.records, 5);
        let loss = f.scalar("loss").unwrap();
        assert_eq!(loss.steps, vec![0, 300]);
        assert_eq!(loss.values, vec![0.5, 0.25]);
        assert_eq!(loss.wall_times, vec![100.0, 101.5]);
        assert_eq!(f.scalar("lr").unwrap().values, vec![1e-3f32 as f64]);
        assert_eq!(f.texts.len(), 1);
        assert_eq!(f.texts[0].tag, "cfg/text_summary");
        assert_eq!(f.texts[0].texts, vec!["a: 1\nb: 2".to_string()]);
    }

    #[test]
    fn varints() {
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v));
        }
    }
}
