//! `posedeck scalars PATH [--json] [--tag REGEX]`: the scalars of every TensorBoard events
//! file under PATH (an events file, a model directory or a project).

use crate::formats::tfevents::{
    self, EventsFile, OtherTag, ScalarSeries, ScalarSummary, TextSeries,
};
use crate::sanitize::clean;
use crate::{Error, Result};
use serde::Serialize;
use serde::ser::SerializeSeq;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct ScalarsArgs {
    /// An events file, a model directory or a project (every events file below is read).
    pub path: PathBuf,
    /// Print every point as JSON: [step, wall_time, value] per tag, per file.
    #[arg(long)]
    pub json: bool,
    /// Only tags matching this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub tag: Option<String>,
}

pub fn run(args: &ScalarsArgs) -> Result<()> {
    let filter = match &args.tag {
        Some(re) => Some(regex::Regex::new(re).map_err(|e| Error::usage(regex_error(re, &e)))?),
        None => None,
    };
    let paths = tfevents::find_events_files(&args.path)?;
    if paths.is_empty() {
        return Err(Error::invalid(
            &args.path,
            "no TensorBoard events files (events.out.tfevents.*) below this directory",
        ));
    }
    // The table needs each tag's summary, not its points: those files are folded as they
    // are read (no series is built); JSON prints every point.
    let read = if args.json {
        tfevents::read_events_file
    } else {
        tfevents::read_events_summaries
    };
    let mut files = Vec::with_capacity(paths.len());
    for p in &paths {
        files.push(read(p)?);
    }
    let keep = |tag: &str| filter.as_ref().is_none_or(|re| re.is_match(tag));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = if args.json {
        write_json(&mut out, &args.path, &files, &keep)
    } else {
        write_table(&mut out, &args.path, &files, &keep)
    };
    match written.and_then(|_| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(Error::io("<stdout>", e)),
    }
    // Damage: every file's error on stderr, the last one returned (exit code 2).
    let mut errors: Vec<Error> = files.into_iter().filter_map(|f| f.error).collect();
    let last = errors.pop();
    for e in errors {
        crate::cli::error_line(&e.to_string());
    }
    match last {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The file's path shown to the user: relative to the directory asked about.
fn shown(root: &Path, file: &Path) -> String {
    let rel = file
        .strip_prefix(root)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .unwrap_or(file);
    clean(&rel.to_string_lossy()).into_owned()
}

/// The run a file belongs to: its folder, relative to the directory asked about.
fn run_name(root: &Path, file: &Path) -> String {
    let dir = file.parent().unwrap_or(Path::new(""));
    match dir.strip_prefix(root) {
        Ok(r) if r.as_os_str().is_empty() => ".".into(),
        Ok(r) => clean(&r.to_string_lossy()).into_owned(),
        Err(_) => clean(&dir.to_string_lossy()).into_owned(),
    }
}

/// A value in the table: float32 values print in their shortest form.
pub fn fmt_value(v: f64) -> String {
    let a = v.abs();
    if v.is_nan() || v.is_infinite() {
        return format!("{v}");
    }
    let f = v as f32;
    let short = if f as f64 == v {
        if a != 0.0 && !(1e-4..1e7).contains(&a) {
            format!("{f:e}")
        } else {
            format!("{f}")
        }
    } else if a != 0.0 && !(1e-4..1e7).contains(&a) {
        format!("{v:.6e}")
    } else {
        format!("{v:.7}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    };
    if short.len() > 12 {
        format!("{v:.5e}")
    } else {
        short
    }
}

fn write_table(
    out: &mut impl Write,
    root: &Path,
    files: &[EventsFile],
    keep: &dyn Fn(&str) -> bool,
) -> std::io::Result<()> {
    for (k, f) in files.iter().enumerate() {
        if k > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{}", shown(root, &f.path))?;
        let total = f.scalar_count();
        writeln!(
            out,
            "  run {}  ·  {} records, {} scalars, {} bytes{}",
            run_name(root, &f.path),
            f.records,
            total,
            f.file_len,
            if f.error.is_some() {
                "  ·  DAMAGED (see error)"
            } else {
                ""
            }
        )?;
        let mut scalars: Vec<ScalarSummary> = f
            .scalar_summaries()
            .into_iter()
            .filter(|s| keep(&s.tag))
            .collect();
        scalars.sort_by(|a, b| a.tag.cmp(&b.tag));
        if !scalars.is_empty() {
            let tags: Vec<String> = scalars.iter().map(|s| clean(&s.tag).into_owned()).collect();
            let w = tags
                .iter()
                .map(|t| t.chars().count())
                .max()
                .unwrap_or(3)
                .max(3);
            writeln!(
                out,
                "  {:<w$}  {:>8}  {:>17}  {:>12}  {:>12}  {:>12}  {:>12}",
                "tag", "count", "steps", "first", "last", "min", "max"
            )?;
            for (s, tag) in scalars.iter().zip(&tags) {
                let cell =
                    |p: Option<tfevents::ScalarPoint>| p.map_or("-".into(), |p| fmt_value(p.value));
                let steps = match (s.first, s.last) {
                    (Some(a), Some(b)) => format!("{}..{}", a.step, b.step),
                    _ => "-".into(),
                };
                writeln!(
                    out,
                    "  {:<w$}  {:>8}  {:>17}  {:>12}  {:>12}  {:>12}  {:>12}",
                    tag,
                    s.count,
                    steps,
                    cell(s.first),
                    cell(s.last),
                    cell(s.min),
                    cell(s.max),
                )?;
            }
        }
        let texts: Vec<&TextSeries> = f.texts.iter().filter(|t| keep(&t.tag)).collect();
        if !texts.is_empty() {
            let mut names: Vec<String> = texts
                .iter()
                .map(|t| format!("{} ({})", clean(&t.tag), t.texts.len()))
                .collect();
            names.sort();
            writeln!(out, "  text: {}", names.join(", "))?;
        }
        let others: Vec<&OtherTag> = f.other_tags.iter().filter(|t| keep(&t.tag)).collect();
        if !others.is_empty() {
            let mut names: Vec<String> = others
                .iter()
                .map(|t| {
                    let kind = t.plugin.as_deref().unwrap_or(&t.kind);
                    format!("{} ({}, {})", clean(&t.tag), clean(kind), t.count)
                })
                .collect();
            names.sort();
            writeln!(out, "  other: {}", names.join(", "))?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonOut<'a> {
    files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    run: String,
    file_version: Option<&'a str>,
    records: u64,
    bytes_read: u64,
    file_len: u64,
    error: Option<String>,
    scalars: BTreeMap<&'a str, JsonScalar<'a>>,
    texts: BTreeMap<&'a str, JsonText<'a>>,
    other_tags: Vec<&'a OtherTag>,
}

#[derive(Serialize)]
struct JsonScalar<'a> {
    count: usize,
    first_wall_time: Option<f64>,
    /// [step, wall_time, value] for every point.
    points: Points<'a>,
}

struct Points<'a>(&'a ScalarSeries);

impl Serialize for Points<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let v = self.0;
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for i in 0..v.len() {
            seq.serialize_element(&(v.steps[i], v.wall_times[i], v.values[i]))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct JsonText<'a> {
    count: usize,
    /// [step, wall_time, text] for every entry.
    entries: Vec<(i64, f64, &'a str)>,
}

fn write_json(
    out: &mut impl Write,
    root: &Path,
    files: &[EventsFile],
    keep: &dyn Fn(&str) -> bool,
) -> std::io::Result<()> {
    let doc = JsonOut {
        files: files
            .iter()
            .map(|f| JsonFile {
                path: f.path.to_string_lossy().into_owned(),
                run: run_name(root, &f.path),
                file_version: f.file_version.as_deref(),
                records: f.records,
                bytes_read: f.bytes_read,
                file_len: f.file_len,
                error: f.error.as_ref().map(|e| e.to_string()),
                scalars: f
                    .scalars
                    .iter()
                    .filter(|s| keep(&s.tag))
                    .map(|s| {
                        (
                            s.tag.as_str(),
                            JsonScalar {
                                count: s.len(),
                                first_wall_time: s.wall_times.first().copied(),
                                points: Points(s),
                            },
                        )
                    })
                    .collect(),
                texts: f
                    .texts
                    .iter()
                    .filter(|t| keep(&t.tag))
                    .map(|t| {
                        (
                            t.tag.as_str(),
                            JsonText {
                                count: t.texts.len(),
                                entries: (0..t.texts.len())
                                    .map(|i| (t.steps[i], t.wall_times[i], t.texts[i].as_str()))
                                    .collect(),
                            },
                        )
                    })
                    .collect(),
                other_tags: f.other_tags.iter().filter(|t| keep(&t.tag)).collect(),
            })
            .collect(),
    };
    // DEL, C1 controls and bidirectional overrides escaped too (serde_json escapes only C0).
    let mut w = crate::sanitize::JsonControls::new(&mut *out);
    serde_json::to_writer(&mut w, &doc).map_err(std::io::Error::other)?;
    w.flush()?;
    writeln!(out)
}

/// "--tag \"(\": not a valid regular expression: unclosed group" (the regex crate's own
/// message draws the pattern over several lines).
pub(crate) fn regex_error(re: &str, e: &regex::Error) -> String {
    let why = e
        .to_string()
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: ").map(str::to_string))
        .unwrap_or_else(|| e.to_string());
    format!("--tag {re:?}: not a valid regular expression: {why}")
}
