//! `posedeck bench tui`: the workstation on the generated project of `bench status --big-log`
//! (100 model runs, 5,000 labeled frames, 20 videos, a 900,000-scalar events file).
//!
//! In process (headless, the same loaders and views as a live session): the background load
//! of the project and of every events file, and the redraw time of each view (rendering the
//! widgets and diffing the frame on ratatui's TestBackend); then the Curves grid and the
//! enlarged chart while new points are appended to the big run's log, with the live plot
//! worker (`tui_live`).
//!
//! As a whole process on a pseudo-terminal: time to the first frame (the runner's own clock,
//! and from spawn to the first frame's bytes), when the background load went quiet, CPU time
//! and bytes written to the terminal over an idle period, then the draw times the runner
//! logged (`POSEDECK_TIMINGS`) after a round of view switches.

use super::Common;
use super::pty::PtyChild;
use super::timing::{self, Stats};
use super::tui_live::{Live, Spread};
use crate::demo::BenchSpec;
use crate::tui::action::Action;
use crate::tui::app::{App, View};
use crate::tui::headless::Headless;
use anyhow::Context;
use ratatui::layout::Rect;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model runs in the generated project.
    #[arg(long, default_value_t = 100)]
    pub model_runs: usize,
    /// Seconds of idling measured (CPU time, bytes written to the terminal).
    #[arg(long, default_value_t = 60)]
    pub idle_secs: u64,
    /// Terminal size, columns x rows.
    #[arg(long, default_value_t = 160)]
    pub cols: u16,
    #[arg(long, default_value_t = 48)]
    pub rows: u16,
    /// Only the in-process measurements (no pseudo-terminal run).
    #[arg(long)]
    pub no_process: bool,
    /// Seconds of appending to the big run's log per live measurement (grid, enlarged).
    #[arg(long, default_value_t = 10)]
    pub live_secs: u64,
}

/// Redraws measured per view.
const REDRAWS: usize = 200;

#[derive(Serialize)]
struct ViewDraw {
    view: &'static str,
    redraw: Spread,
    /// CPU time of each redraw (the thread's own clock).
    redraw_cpu: Spread,
}

#[derive(Serialize)]
struct InProcess {
    /// The project model (labels, videos, 100 runs) as the views' data.
    load_project: Stats,
    /// Every events file of every run, read once (the scalars worker's job).
    read_events_s: f64,
    scalars: usize,
    redraws: Vec<ViewDraw>,
    /// The Curves views while points are appended (the plot worker running).
    live: Vec<Live>,
}

#[derive(Serialize, Default)]
struct Process {
    /// The runner's clock: from entering `tui::run` to the first frame drawn.
    first_frame_ms: Option<f64>,
    /// From spawning the process to the first frame's bytes on the terminal.
    spawn_to_first_frame_ms: Option<f64>,
    /// From spawning to the last write before the terminal went quiet (the project shown).
    spawn_to_settled_s: Option<f64>,
    /// From spawning to the last CPU use of the background load (events files read).
    spawn_to_cpu_idle_s: Option<f64>,
    idle_s: f64,
    idle_cpu_s: f64,
    idle_cpu_percent: f64,
    idle_bytes: u64,
    bytes_per_idle_minute: f64,
    /// From the runner's log, after switching through every view.
    draws: Option<u64>,
    mean_draw_ms: Option<f64>,
    p50_draw_ms: Option<f64>,
    p99_draw_ms: Option<f64>,
    max_draw_ms: Option<f64>,
    exit_code: Option<i32>,
}

#[derive(Serialize)]
struct Report {
    project: PathBuf,
    spec: BenchSpec,
    size: (u16, u16),
    in_process: InProcess,
    process: Option<Process>,
    goals: &'static str,
}

pub fn run(args: &Args, common: &Common) -> anyhow::Result<()> {
    let spec = BenchSpec {
        runs: args.model_runs,
        big_log: true,
        ..BenchSpec::default()
    };
    let dir = super::status::ensure_cached(common, &spec)?;
    let target = dir.to_string_lossy().into_owned();
    let size = Rect::new(0, 0, args.cols, args.rows);

    eprintln!("in process: loading {} ...", dir.display());
    let load_project = timing::time_fn(common.runs.clamp(1, 3), || {
        crate::tui::adapt::project_with(&target, false).map_err(anyhow::Error::msg)
    })?;
    let mut app = App::new(
        "bench".into(),
        crate::tui::keymap::Keymap::defaults(),
        crate::tui::theme::Theme::dark(),
    );
    let mut hl = Headless::new(&target);
    hl.probe_videos = false;
    let t = Instant::now();
    hl.open(&mut app, size);
    let read_events_s = t.elapsed().as_secs_f64();
    let scalars = app.scalars.total_points();
    let mut redraws = Vec::new();
    for (v, a) in [
        (View::Overview, Action::ViewOverview),
        (View::Labels, Action::ViewLabels),
        (View::Models, Action::ViewModels),
        (View::Curves, Action::ViewCurves),
        (View::Videos, Action::ViewVideos),
    ] {
        app.run(a);
        hl.settle(&mut app, size);
        let (redraw, redraw_cpu) = redraw_time(&app, size)?;
        redraws.push(ViewDraw {
            view: if v == View::Curves {
                "Curves (the dashboard: every tag, all runs overlaid)"
            } else {
                v.title()
            },
            redraw,
            redraw_cpu,
        });
    }
    // The Curves view on the 900,000-scalar run's busiest tag.
    app.run(Action::ViewCurves);
    crate::tui::input::set_filter(&mut app, "^train_supervised_loss$");
    app.run(Action::Select);
    hl.settle(&mut app, size);
    let (redraw, redraw_cpu) = redraw_time(&app, size)?;
    redraws.push(ViewDraw {
        view: "Curves enlarged (train_supervised_loss, 99,000 points in one run)",
        redraw,
        redraw_cpu,
    });
    // Both again while the big run's log grows.
    let big = app
        .scalars
        .runs
        .values()
        .max_by_key(|r| r.tags.values().map(|s| s.len()).sum::<usize>())
        .map(|r| (r.name.clone(), r.dir.clone()));
    let mut live = Vec::new();
    if let Some(run) = big {
        let secs = Duration::from_secs(args.live_secs.max(1));
        eprintln!(
            "live: appending to {}'s log, {} s per view ...",
            run.0,
            secs.as_secs()
        );
        app.run(Action::Back);
        crate::tui::input::set_filter(&mut app, "");
        app.curves.selected = 0;
        hl.settle(&mut app, size);
        live.push(super::tui_live::measure(
            &mut app,
            size,
            "Curves grid (every tag, 100 runs overlaid)",
            run.clone(),
            secs,
        )?);
        crate::tui::input::set_filter(&mut app, "^train_supervised_loss$");
        app.run(Action::Select);
        hl.settle(&mut app, size);
        live.push(super::tui_live::measure(
            &mut app,
            size,
            "Curves enlarged (train_supervised_loss of the big run)",
            run,
            secs,
        )?);
    }
    drop(hl);
    drop(app);

    let process = if args.no_process {
        None
    } else {
        Some(in_pty(&dir, args)?)
    };
    let report = Report {
        project: dir,
        spec,
        size: (args.cols, args.rows),
        in_process: InProcess {
            load_project,
            read_events_s,
            scalars,
            redraws,
            live,
        },
        process,
        goals: "first frame <= 150 ms (loading in the background); every redraw < 10 ms, \
                the Curves grid and enlarged chart included while points are appended (the \
                plots built off the UI thread); ~0% CPU and no bytes written when idle",
    };
    if common.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

/// [`REDRAWS`] redraws of the app's current state on a TestBackend of `size` (after one):
/// wall and CPU time.
fn redraw_time(app: &App, size: Rect) -> anyhow::Result<(Spread, Spread)> {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(size.width, size.height))?;
    term.draw(|f| crate::tui::views::draw(app, f))?;
    let (mut secs, mut cpu) = (Vec::with_capacity(REDRAWS), Vec::with_capacity(REDRAWS));
    for _ in 0..REDRAWS {
        let (t, c) = (Instant::now(), super::tui_live::thread_cpu());
        term.draw(|f| crate::tui::views::draw(app, f))?;
        secs.push(t.elapsed().as_secs_f64());
        cpu.push(super::tui_live::thread_cpu() - c);
    }
    Ok((Spread::of(secs), Spread::of(cpu)))
}

fn in_pty(dir: &Path, args: &Args) -> anyhow::Result<Process> {
    let exe = std::env::current_exe().context("locating the posedeck executable")?;
    let timings =
        std::env::temp_dir().join(format!("posedeck-tui-bench-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&timings);
    let mut cmd = std::process::Command::new(exe);
    cmd.arg(dir)
        .args(["--image-protocol", "halfblocks"])
        .env("POSEDECK_TIMINGS", &timings)
        .env("TERM", "xterm-256color")
        .env_remove("TMUX")
        .env_remove("NO_COLOR");
    eprintln!(
        "whole process on a {}x{} pseudo-terminal ...",
        args.cols, args.rows
    );
    let mut p = PtyChild::spawn(cmd, args.cols, args.rows)?;
    let mut out = Process::default();
    let settled = p
        .wait_quiet(Duration::from_secs(3), Duration::from_secs(300))
        .context("the workstation never went quiet (still loading after 5 minutes?)")?;
    {
        let o = p.out.lock().map_err(|_| anyhow::anyhow!("pty reader"))?;
        // The status bar's badge is part of the first frame.
        out.spawn_to_first_frame_ms = o
            .first_seen(b" posedeck ")
            .map(|t| (t - p.started).as_secs_f64() * 1e3);
    }
    out.spawn_to_settled_s = Some((settled - p.started).as_secs_f64());
    // The events files are read after the project shows (no redraw on the Overview): the
    // idle period starts once the process has used no CPU for 2 s.
    let busy_until = p.wait_cpu_idle(Duration::from_secs(2), Duration::from_secs(300))?;
    out.spawn_to_cpu_idle_s = Some((busy_until - p.started).as_secs_f64());

    eprintln!("idle for {} s ...", args.idle_secs);
    let cpu0 = p.cpu_time()?;
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(args.idle_secs));
    let t1 = Instant::now();
    let cpu1 = p.cpu_time()?;
    out.idle_s = (t1 - t0).as_secs_f64();
    out.idle_cpu_s = (cpu1 - cpu0).as_secs_f64();
    out.idle_cpu_percent = 100.0 * out.idle_cpu_s / out.idle_s;
    out.idle_bytes = p
        .out
        .lock()
        .map_err(|_| anyhow::anyhow!("pty reader"))?
        .bytes_between(t0, t1);
    out.bytes_per_idle_minute = out.idle_bytes as f64 * 60.0 / out.idle_s;

    // A round through the views (each key a redraw; in Curves the selected chart enlarged
    // and back), then quit.
    let keys: [&[u8]; 7] = [b"2", b"3", b"4", b"\r", b"\x1b", b"5", b"1"];
    for k in keys {
        p.send(k)?;
        std::thread::sleep(Duration::from_millis(400));
    }
    p.send(b"q")?;
    out.exit_code = p.wait_exit(Duration::from_secs(10))?;
    if out.exit_code != Some(0) {
        let o = p.out.lock().map_err(|_| anyhow::anyhow!("pty reader"))?;
        let all: Vec<u8> = o.chunks.iter().flat_map(|c| c.1.iter().copied()).collect();
        let tail = String::from_utf8_lossy(&all[all.len().saturating_sub(2000)..]).into_owned();
        anyhow::bail!(
            "posedeck exited with {:?}; its last output:\n{}",
            out.exit_code,
            crate::sanitize::clean(&tail)
        );
    }
    if let Ok(text) = std::fs::read_to_string(&timings) {
        let field = |k: &str| -> Option<f64> {
            text.split_whitespace()
                .find_map(|w| w.strip_prefix(k)?.strip_prefix('=')?.parse().ok())
        };
        out.first_frame_ms = field("first_frame_ms");
        out.draws = field("draws").map(|d| d as u64);
        out.mean_draw_ms = field("mean_draw_ms");
        out.p50_draw_ms = field("p50_draw_ms");
        out.p99_draw_ms = field("p99_draw_ms");
        out.max_draw_ms = field("max_draw_ms");
    }
    let _ = std::fs::remove_file(&timings);
    Ok(out)
}

fn opt_ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1} ms"))
        .unwrap_or_else(|| "-".into())
}

fn print_report(r: &Report) {
    println!(
        "project: {} ({} runs, {} labeled frames, {} videos, 900,000-scalar log); terminal {}x{}",
        r.project.display(),
        r.spec.runs,
        r.spec.labeled_frames,
        r.spec.videos,
        r.size.0,
        r.size.1
    );
    let ip = &r.in_process;
    println!("in process (headless):");
    println!(
        "  load the project model          {}",
        ip.load_project.show()
    );
    println!(
        "  read every events file          {:.2} s ({} scalars)",
        ip.read_events_s, ip.scalars
    );
    for d in &ip.redraws {
        println!("  redraw {}:", d.view);
        println!("    wall {}; CPU {}", d.redraw.show(), d.redraw_cpu.show());
    }
    for l in &ip.live {
        println!(
            "  live, {}: {} batches of new points ({} scalars) over {:.1} s",
            l.view, l.batches, l.points_appended, l.secs
        );
        println!("    redraw                      {}", l.redraw.show());
        println!("    redraw, CPU time            {}", l.redraw_cpu.show());
        println!("    UI thread: a batch applied  {}", l.apply.show());
        println!("    UI thread: plots asked for  {}", l.request.show());
        println!(
            "    new points to their plot    {} ({} plots built; requests: {} done, {} \
             overtaken)",
            l.plot_latency.show(),
            l.plots_built,
            l.requests_completed,
            l.requests_superseded
        );
        println!(
            "    CPU {:.2} s ({:.1} ms per batch): UI thread {:.2} s, writer+tailer {:.2} s, \
             plot worker {:.2} s",
            l.cpu.process_s,
            l.cpu_per_batch_ms,
            l.cpu.ui_thread_s,
            l.cpu.writer_tailer_s,
            l.cpu.plot_worker_s
        );
    }
    if let Some(p) = &r.process {
        println!("whole process on a pseudo-terminal:");
        println!(
            "  first frame (runner's clock)    {}",
            opt_ms(p.first_frame_ms)
        );
        println!(
            "  spawn to first frame on screen  {}",
            opt_ms(p.spawn_to_first_frame_ms)
        );
        let secs = |v: Option<f64>| v.map(|s| format!("{s:.2} s")).unwrap_or_else(|| "-".into());
        println!(
            "  spawn to project shown (quiet)  {}",
            secs(p.spawn_to_settled_s)
        );
        println!(
            "  spawn to background load done   {} (no CPU used for 2 s after it)",
            secs(p.spawn_to_cpu_idle_s)
        );
        println!(
            "  idle {:.0} s: CPU {:.3} s ({:.2}%), {} bytes written ({:.0} bytes/min)",
            p.idle_s, p.idle_cpu_s, p.idle_cpu_percent, p.idle_bytes, p.bytes_per_idle_minute
        );
        println!(
            "  draws {} (mean {}, median {}, p99 {}, max {}) after a round through the views; \
             exit code {}",
            p.draws.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
            opt_ms(p.mean_draw_ms),
            opt_ms(p.p50_draw_ms),
            opt_ms(p.p99_draw_ms),
            opt_ms(p.max_draw_ms),
            p.exit_code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into())
        );
    }
    println!("goals: {}", r.goals);
}
