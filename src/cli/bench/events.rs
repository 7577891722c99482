//! `posedeck bench events`: a 906,000-scalar events file (12 tags, 100,000 steps, ~51 MB)
//! written by posedeck's own [`EventsWriter`], then
//! - in-process parse time of [`read_events_file`],
//! - whole-process time of `posedeck scalars FILE`,
//! - tail latency: 1,000 scalars appended, picked up by an [`EventsTailer`] poll.

use super::Common;
use super::timing::{self, Stats};
use crate::formats::tfevents::{EventsTailer, EventsWriter, read_events_file};
use anyhow::{Context, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Steps to generate (9 training tags every step, 3 validation tags every 50 steps).
    #[arg(long, default_value_t = 100_000)]
    pub steps: i64,
    /// Scalars appended per tail round.
    #[arg(long, default_value_t = 1000)]
    pub append: usize,
    /// Also run `hyperfine` on `posedeck scalars FILE` when it is installed.
    #[arg(long)]
    pub hyperfine: bool,
}

use crate::demo::bench::{LP_STEP_TAGS as TRAIN_TAGS, LP_VAL_TAGS as VAL_TAGS};

/// Validation tags are logged every `VAL_EVERY` steps.
const VAL_EVERY: i64 = 50;
const T0: f64 = 1_700_000_000.0;

#[derive(Serialize)]
struct Report {
    file: PathBuf,
    bytes: u64,
    records: u64,
    scalars: usize,
    tags: usize,
    parse: Stats,
    parse_mb_per_s: f64,
    /// Median time of each part of a parse: `std::fs::read` of the file (single-threaded;
    /// the reader itself reads in parallel), a serial walk of the record chain (length CRCs;
    /// for reference, the reader walks in parallel), scan + decode on all threads (length and
    /// data CRCs, protobuf, per-tag series), drain into series.
    phases: Phases,
    scalars_process: Stats,
    tail_append_scalars: usize,
    tail_poll: Stats,
    hyperfine: Option<String>,
}

/// Writes the benchmark file (deterministic: fixed wall times and values).
pub fn generate(path: &Path, steps: i64) -> crate::Result<()> {
    crate::util::write_atomic_with(path, |w| {
        let mut ev = EventsWriter::new(w, path).map_err(std::io::Error::other)?;
        write_steps(&mut ev, 0..steps).map_err(std::io::Error::other)?;
        ev.flush().map_err(std::io::Error::other)
    })
}

fn write_steps<W: std::io::Write>(
    ev: &mut EventsWriter<W>,
    steps: std::ops::Range<i64>,
) -> crate::Result<usize> {
    let mut n = 0;
    for step in steps {
        let wall = T0 + step as f64 * 0.05;
        let x = step as f32;
        let loss = 0.05 / (1.0 + x / 5000.0) + 0.002 * ((x * 0.37).sin());
        let values = [
            loss,
            40.0 * loss.sqrt(),
            loss * 2.0,
            loss,
            0.5,
            (step / 1000) as f32,
            1e-3 * 0.5f32.powi((step / 30_000) as i32),
            1e-3,
            loss * 1.5,
        ];
        for (tag, v) in TRAIN_TAGS.iter().zip(values) {
            ev.add_scalar_at(tag, v, step, wall)?;
            n += 1;
        }
        if step % VAL_EVERY == VAL_EVERY - 1 {
            for (tag, v) in VAL_TAGS
                .iter()
                .zip([loss * 1.1, 44.0 * loss.sqrt(), loss * 2.2])
            {
                ev.add_scalar_at(tag, v, step, wall + 0.01)?;
                n += 1;
            }
        }
    }
    Ok(n)
}

#[derive(Serialize, Default)]
struct Phases {
    read_s: f64,
    scan_s: f64,
    decode_s: f64,
    drain_s: f64,
}

fn phases(file: &Path, runs: usize) -> anyhow::Result<Phases> {
    use crate::formats::tfevents::{decode::Decoder, pipeline, record};
    let mut all: [Vec<f64>; 4] = Default::default();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let buf = crate::util::read(file)?;
        let t1 = Instant::now();
        std::hint::black_box(record::scan(&buf));
        let t2 = Instant::now();
        let mut d = Decoder::new();
        if pipeline::decode_chunk(&mut d, &buf, 0).damage.is_some() {
            bail!("{}: damaged", file.display());
        }
        let t3 = Instant::now();
        std::hint::black_box(d.drain());
        let t4 = Instant::now();
        for (k, (a, b)) in [(t, t1), (t1, t2), (t2, t3), (t3, t4)]
            .into_iter()
            .enumerate()
        {
            all[k].push((b - a).as_secs_f64());
        }
    }
    let [r, s, d, n] = all.map(|v| Stats::of(v).median_s);
    Ok(Phases {
        read_s: r,
        scan_s: s,
        decode_s: d,
        drain_s: n,
    })
}

pub fn run(args: &Args, common: &Common) -> anyhow::Result<()> {
    let dir = common.dir().join(format!("events-{}", args.steps));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = dir.join("events.out.tfevents.1700000000.bench.0");
    if !file.exists() {
        eprintln!("generating {} ...", file.display());
        generate(&file, args.steps)?;
    }
    let bytes = timing::file_len(&file);

    // In-process parse.
    let data = read_events_file(&file)?;
    if let Some(e) = data.error {
        bail!("generated file is damaged: {e}");
    }
    let (records, scalars, tags) = (data.records, data.scalar_count(), data.scalars.len());
    drop(data);
    let parse = timing::time_fn(common.runs, || Ok(read_events_file(&file)?))?;
    let phases = phases(&file, common.runs)?;

    // Whole process.
    let args_os = [std::ffi::OsStr::new("scalars"), file.as_os_str()];
    let scalars_process = timing::time_posedeck(common.runs, &args_os)?;
    let hyperfine = if args.hyperfine {
        timing::hyperfine(&["scalars", &file.to_string_lossy()])
    } else {
        None
    };

    // Tail: a copy of the file grows by `append` scalars per round.
    let tail_file = dir.join("events.out.tfevents.1700000000.tail.0");
    std::fs::copy(&file, &tail_file)
        .with_context(|| format!("copying to {}", tail_file.display()))?;
    let mut tailer = EventsTailer::new(&tail_file);
    tailer.poll()?;
    let mut secs = Vec::new();
    let mut step = args.steps;
    let per_step = TRAIN_TAGS.len() as i64;
    let rounds = common.runs.max(1);
    for _ in 0..rounds {
        let mut w = EventsWriter::append(&tail_file)?;
        let n_steps = (args.append as i64 + per_step - 1) / per_step;
        let mut written = 0;
        for s in step..step + n_steps {
            for tag in TRAIN_TAGS {
                if written < args.append {
                    w.add_scalar_at(tag, 0.01, s, T0 + s as f64 * 0.05)?;
                    written += 1;
                }
            }
        }
        step += n_steps;
        w.flush()?;
        drop(w);
        let t = Instant::now();
        let update = tailer.poll()?;
        secs.push(t.elapsed().as_secs_f64());
        if update.scalar_count() != args.append || update.error.is_some() {
            bail!(
                "tailer picked up {} scalars (expected {}), error {:?}",
                update.scalar_count(),
                args.append,
                update.error.map(|e| e.to_string())
            );
        }
    }
    let _ = std::fs::remove_file(&tail_file);
    let tail_poll = Stats::of(secs);

    let report = Report {
        parse_mb_per_s: bytes as f64 / 1e6 / parse.median_s,
        phases,
        file,
        bytes,
        records,
        scalars,
        tags,
        parse,
        scalars_process,
        tail_append_scalars: args.append,
        tail_poll,
        hyperfine,
    };
    if common.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("events file      {}", report.file.display());
    println!(
        "                 {:.1} MB, {} records, {} scalars, {} tags",
        bytes as f64 / 1e6,
        records,
        scalars,
        tags
    );
    println!(
        "parse (in-proc)  {}  = {:.0} MB/s",
        report.parse.show(),
        report.parse_mb_per_s
    );
    println!(
        "  parts          fs::read {}, serial walk {}, parallel scan+decode {}, drain {}",
        timing::ms(report.phases.read_s),
        timing::ms(report.phases.scan_s),
        timing::ms(report.phases.decode_s),
        timing::ms(report.phases.drain_s)
    );
    println!(
        "posedeck scalars {}  (whole process)",
        report.scalars_process.show()
    );
    if let Some(h) = &report.hyperfine {
        println!("                 {h}");
    }
    println!(
        "tail +{} scalars {}  (poll after append)",
        args.append,
        report.tail_poll.show()
    );
    Ok(())
}
