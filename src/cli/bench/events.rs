//! `posedeck bench events`: a 906,000-scalar events file (12 tags, 100,000 steps, ~51 MB)
//! written by posedeck's own [`EventsWriter`], then
//! - in-process parse time of [`read_events_file`],
//! - whole-process time of `posedeck scalars FILE`,
//! - tail latency: 1,000 scalars appended, picked up by an [`EventsTailer`] poll.

use super::Common;
use super::timing::{self, ProcStats, Stats};
use crate::formats::tfevents::{
    EventsTailer, EventsWriter, read_events_file, read_events_summaries,
};
use anyhow::{Context, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
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
    /// In-process `read_events_file`: wall, and CPU of all threads together.
    parse: Stats,
    parse_cpu: Stats,
    parse_mb_per_s: f64,
    /// In-process `read_events_summaries` (what `posedeck scalars FILE` reads for its table):
    /// wall, and CPU of all threads together.
    summaries: Stats,
    summaries_cpu: Stats,
    /// In-process parts of a parse (see [`Phases`]).
    phases: Phases,
    /// Whole processes, run in turn in the same rounds: the floor (`cat FILE > /dev/null`),
    /// posedeck's start-up alone (`posedeck --version`), `posedeck scalars FILE`, the peer.
    cat: ProcStats,
    startup: ProcStats,
    scalars_process: ProcStats,
    /// `posedeck scalars` wall / `cat` wall (medians); the goal is at most 2.
    ratio_to_cat: f64,
    cpu_ratio_to_cat: f64,
    /// CPU time of the whole `posedeck scalars` process per scalar read.
    cpu_ns_per_scalar: f64,
    tbtui: Option<ProcStats>,
    tbtui_not_measured: Option<String>,
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

/// Median wall and CPU times of the parts of a parse, in process: reading the file through
/// one kept 512 KB buffer and nothing else (what `cat` does), the same read with every record
/// decoded on one thread, and on all threads (`read_events_file`).
#[derive(Serialize, Default)]
struct Phases {
    read_s: f64,
    read_cpu_s: f64,
    serial_s: f64,
    serial_cpu_s: f64,
}

fn phases(file: &Path, runs: usize) -> anyhow::Result<Phases> {
    use crate::formats::tfevents::{decode::Decoder, stream};
    let (read, read_cpu) = timing::time_fn_cpu(runs, || {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::open(file)?;
        let mut buf = vec![0u8; stream::CHUNK];
        let (mut at, mut sum) = (0u64, 0u64);
        loop {
            let n = f.read_at(&mut buf, at)?;
            if n == 0 {
                break;
            }
            sum += buf[n - 1] as u64;
            at += n as u64;
        }
        Ok(sum)
    })?;
    let plan = stream::Plan {
        threads: 1,
        ..stream::Plan::standard()
    };
    let (serial, serial_cpu) = timing::time_fn_cpu(runs, || {
        let f = std::fs::File::open(file)?;
        let len = f.metadata()?.len();
        let mut d = Decoder::new();
        let c = stream::decode_file_range_with(file, &f, &mut d, 0, len, plan)?;
        if c.damage.is_some() {
            bail!("{}: damaged", file.display());
        }
        Ok(d.drain())
    })?;
    Ok(Phases {
        read_s: read.median_s,
        read_cpu_s: read_cpu.median_s,
        serial_s: serial.median_s,
        serial_cpu_s: serial_cpu.median_s,
    })
}

/// `tbtui ls DIR` when tbtui is on PATH (its listing reads every scalar of the file).
fn tbtui_command(dir: &Path) -> Result<std::process::Command, String> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("tbtui").is_file()))
        .unwrap_or(false);
    if !found {
        return Err("tbtui is not installed (not on PATH)".into());
    }
    let mut c = std::process::Command::new("tbtui");
    c.arg("ls").arg(dir);
    Ok(c)
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
    let (parse, parse_cpu) = timing::time_fn_cpu(common.runs, || Ok(read_events_file(&file)?))?;
    let (summaries, summaries_cpu) =
        timing::time_fn_cpu(common.runs, || Ok(read_events_summaries(&file)?))?;
    let phases = phases(&file, common.runs)?;

    // Whole processes, side by side in the same rounds.
    let exe = std::env::current_exe().context("locating the posedeck executable")?;
    let mut cat = Command::new("cat");
    cat.arg(&file);
    let mut version = Command::new(&exe);
    version.arg("--version");
    let mut scalars_cmd = Command::new(&exe);
    scalars_cmd.arg("scalars").arg(&file);
    let mut cmds = vec![cat, version, scalars_cmd];
    let (tbtui_not_measured, with_tbtui) = match tbtui_command(&dir) {
        Ok(c) => {
            cmds.push(c);
            (None, true)
        }
        Err(why) => (Some(why), false),
    };
    let (procs, tbtui, tbtui_not_measured) = match timing::measure_procs(common.runs, &mut cmds) {
        Ok(mut procs) => {
            let tbtui = if with_tbtui { procs.pop() } else { None };
            (procs, tbtui, tbtui_not_measured)
        }
        Err(e) if with_tbtui => {
            // The peer failed: measure without it, and say why.
            cmds.pop();
            let procs = timing::measure_procs(common.runs, &mut cmds)?;
            (procs, None, Some(format!("tbtui failed: {e}")))
        }
        Err(e) => return Err(e),
    };
    let counts = (records, scalars, tags);
    let peer = (tbtui, tbtui_not_measured);
    finish(
        args,
        common,
        file,
        bytes,
        counts,
        [parse, parse_cpu, summaries, summaries_cpu],
        phases,
        procs,
        peer,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    args: &Args,
    common: &Common,
    file: PathBuf,
    bytes: u64,
    (records, scalars, tags): (u64, usize, usize),
    [parse, parse_cpu, summaries, summaries_cpu]: [Stats; 4],
    phases: Phases,
    procs: Vec<ProcStats>,
    (tbtui, tbtui_not_measured): (Option<ProcStats>, Option<String>),
) -> anyhow::Result<()> {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let [cat, startup, scalars_process] = procs[..] else {
        bail!("expected three measured processes");
    };
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
        parse_cpu,
        summaries,
        summaries_cpu,
        ratio_to_cat: scalars_process.wall.median_s / cat.wall.median_s,
        cpu_ratio_to_cat: scalars_process.cpu.median_s / cat.cpu.median_s,
        cpu_ns_per_scalar: scalars_process.cpu.median_s / scalars.max(1) as f64 * 1e9,
        cat,
        startup,
        scalars_process,
        tbtui,
        tbtui_not_measured,
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
    let r = &report;
    println!(
        "whole processes, in turn in the same {} rounds (median, min):",
        r.cat.wall.runs
    );
    println!("  cat FILE > /dev/null     {}", r.cat.show());
    println!("  posedeck --version       {}", r.startup.show());
    println!("  posedeck scalars FILE    {}", r.scalars_process.show());
    match (&r.tbtui, &r.tbtui_not_measured) {
        (Some(t), _) => println!("  tbtui ls DIR             {}", t.show()),
        (None, why) => println!(
            "  tbtui                    not measured: {}",
            why.as_deref().unwrap_or("not run")
        ),
    }
    println!(
        "  posedeck scalars / cat   {:.2}x wall (goal <= 2x), {:.2}x CPU; {:.1} ns CPU per scalar",
        r.ratio_to_cat, r.cpu_ratio_to_cat, r.cpu_ns_per_scalar
    );
    if let Some(t) = &r.tbtui {
        println!(
            "  tbtui / posedeck         {:.2}x wall",
            t.wall.median_s / r.scalars_process.wall.median_s
        );
    }
    println!(
        "in process: read_events_file {}, CPU {} = {:.0} MB/s",
        r.parse.show(),
        timing::ms(r.parse_cpu.median_s),
        r.parse_mb_per_s
    );
    println!(
        "  summaries  read_events_summaries {}, CPU {} (the table's summaries, no series)",
        r.summaries.show(),
        timing::ms(r.summaries_cpu.median_s)
    );
    println!(
        "  parts      read through a 512 KB buffer {} (CPU {}); read + decode on one thread {} (CPU {})",
        timing::ms(r.phases.read_s),
        timing::ms(r.phases.read_cpu_s),
        timing::ms(r.phases.serial_s),
        timing::ms(r.phases.serial_cpu_s)
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
