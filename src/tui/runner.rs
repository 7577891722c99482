//! The event loop: one channel, one consumer. Input, signals, the watcher and the workers all
//! send [`Msg`]s; the loop drains everything pending, updates the app, carries out its effects
//! and redraws once, only when something changed (at most every 16 ms). With nothing
//! happening it blocks in `recv` and uses no CPU.

use crate::tui::app::{App, Effect, View};
use crate::tui::effects::Workers;
use crate::tui::image::{self, Cache, ImageRequest};
use crate::tui::msg::Msg;
use crate::tui::worker::Latest;
use crate::tui::{jobs, term, views};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui_image::picker::{Picker, ProtocolType};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

pub struct Options {
    pub target: String,
    /// A theme name or file; `None`: the one matching the terminal's background (asked once
    /// at start, see [`crate::tui::background`]).
    pub theme: Option<String>,
    /// Where `theme` came from (`--theme`, the config file), for the timings line.
    pub theme_from: &'static str,
    /// The config file could not be used (shown in the status bar; its defaults are not).
    pub config_error: Option<String>,
    pub image_protocol: Option<ProtocolType>,
    pub no_color: bool,
    /// Where timings are appended (`POSEDECK_TIMINGS`), for the README's measurements.
    pub timings: Option<PathBuf>,
    /// The view shown first.
    pub view: View,
    /// Jobs submitted at start (`posedeck demo` trains its model).
    pub jobs: Vec<crate::tui::state::job_list::JobSpec>,
    /// The quit question (jobs still running) defaults to cancel them (`posedeck demo`).
    pub quit_cancels_jobs: bool,
}

const FRAME_GAP: Duration = Duration::from_millis(16);
const SPIN: Duration = Duration::from_millis(120);

/// Runs the workstation until quit; returns the process exit code.
pub fn run(opts: Options) -> anyhow::Result<i32> {
    let started = Instant::now();
    // A theme named on the command line that does not load ends here, before the terminal.
    let named = match &opts.theme {
        Some(t) => Some(crate::tui::theme::Theme::load(t)?),
        None => None,
    };
    let keymap =
        crate::tui::keymap::Keymap::load(crate::tui::keymap::Keymap::user_path().as_deref())?;
    let (tx, rx) = mpsc::channel::<Msg>();

    // Loading starts before the terminal is even set up.
    let mut loader = jobs::spawn_loader(tx.clone(), opts.target.clone());
    loader.submit(jobs::LoadReq::Project);
    let scalars = jobs::spawn_scalars(tx.clone());
    let tables = jobs::spawn_jobs(tx.clone());

    let _guard = term::Guard::enter(false)?;
    // The background colour is asked in raw mode, before the first frame (drawn in the
    // theme it decides) and before anything else reads stdin.
    let probe_started = Instant::now();
    let (theme, theme_from, probe) = match named {
        Some(t) => (t, opts.theme_from, None),
        None => {
            let p = crate::tui::background::detect();
            let from = match p {
                crate::tui::background::Probe::Answered(_) => "background",
                _ => "default",
            };
            let t = crate::tui::theme::Theme::load(p.theme_name())
                .unwrap_or_else(|_| crate::tui::theme::Theme::dark());
            (t, from, Some(p))
        }
    };
    let probe_time = probe_started.elapsed();
    let theme = theme.with_no_color(opts.no_color);
    let theme_line = format!(
        " theme={} theme_from={} background={} background_probe_ms={:.1}",
        theme.name,
        theme_from,
        probe.as_ref().map_or("not-asked".into(), |p| p.describe()),
        probe_time.as_secs_f64() * 1e3
    );
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    terminal.clear()?;
    let mut app = App::new(
        crate::sanitize::clean(&title(&opts.target)).into_owned(),
        keymap,
        theme,
    );
    if let Some(e) = &opts.config_error {
        app.error(e.clone());
    }
    app.view = opts.view;
    app.quit_cancels_jobs = opts.quit_cancels_jobs;
    for spec in opts.jobs.clone() {
        crate::tui::state::job_list::submit(&mut app, spec);
    }
    terminal.draw(|f| views::draw(&app, f))?;
    let first_frame = started.elapsed();

    // Probe the terminal's image support once, before anything reads stdin.
    let mut picker = match opts.image_protocol {
        Some(ProtocolType::Halfblocks) => Picker::halfblocks(),
        _ if tmux_blocks_queries() => Picker::halfblocks(),
        _ => Picker::from_query_stdio().unwrap_or_else(|_| Picker::halfblocks()),
    };
    if let Some(p) = opts.image_protocol {
        picker.set_protocol_type(p);
    }
    let protocol = picker.protocol_type();
    app.protocol = image::protocol_name(protocol).to_owned();
    let img_tx = tx.clone();
    let mut cache = Cache::default();
    let img_picker = picker.clone();
    let images: Latest<ImageRequest> = Latest::spawn("image", move |g, req| {
        let m = match image::encode_step(&img_picker, &mut cache, g, &req) {
            image::Encoded::Full(r) => Msg::Image(Box::new(r)),
            image::Encoded::Patch(p) => Msg::ImagePatch(Box::new(p)),
        };
        let _ = img_tx.send(m);
        // The next frame decoded while the user looks at this one.
        image::prefetch(&img_picker, &mut cache, &req);
    });
    let mut workers = Workers {
        tx: tx.clone(),
        loader,
        scalars,
        tables,
        images,
        plots: crate::tui::plots::spawn(tx.clone()),
        protocol,
        watcher: None,
        watched: Vec::new(),
        engine_jobs: crate::tui::job_bridge::JobRunner::new(tx.clone()),
        label_io: crate::tui::label_io::LabelWorker::spawn(tx.clone()),
    };

    spawn_input(tx.clone());
    let sig_tx = tx.clone();
    term::forward_signals(move |s| {
        let _ = sig_tx.send(Msg::Signal(s));
    })?;

    let mut dirty = true;
    let mut last_draw = Instant::now();
    let mut draws: u64 = 1;
    let mut draw_time = Duration::ZERO;
    let mut max_draw = Duration::ZERO;
    // Every draw's time (for the timings line's percentiles).
    let mut draw_ms: Vec<f32> = Vec::new();
    let mut deadline: Option<Instant> = None;
    loop {
        if dirty {
            let now = Instant::now();
            if now.duration_since(last_draw) < FRAME_GAP && deadline.is_none() {
                deadline = Some(last_draw + FRAME_GAP);
            } else if deadline.is_none_or(|d| now >= d) {
                let t0 = Instant::now();
                terminal.draw(|f| views::draw(&app, f))?;
                draw_time += t0.elapsed();
                max_draw = max_draw.max(t0.elapsed());
                draw_ms.push(t0.elapsed().as_secs_f32() * 1e3);
                draws += 1;
                last_draw = Instant::now();
                dirty = false;
                deadline = None;
            }
        }
        let wait = match (deadline, app.loading) {
            (Some(d), _) => Some(d.saturating_duration_since(Instant::now())),
            (None, true) => Some(SPIN),
            (None, false) => None,
        };
        let first = match wait {
            Some(w) => match rx.recv_timeout(w) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            },
            None => match rx.recv() {
                Ok(m) => Some(m),
                Err(_) => break,
            },
        };
        match first {
            None => {
                if app.loading && deadline.is_none() {
                    app.spinner += 1;
                    dirty = true;
                }
            }
            Some(m) => {
                dirty |= handle(&mut app, m);
                while let Ok(m) = rx.try_recv() {
                    dirty |= handle(&mut app, m);
                }
            }
        }
        let size = terminal
            .size()
            .map(|s| Rect::new(0, 0, s.width, s.height))
            .unwrap_or_default();
        app.screen = size;
        // Effects may queue further effects (a trash reloads the project): until none is left.
        for _ in 0..8 {
            let effects = app.take_effects();
            if effects.is_empty() {
                break;
            }
            for e in effects {
                dirty |= workers.carry_out(&mut app, e, size);
            }
        }
        // The plots the Curves view now wants are built off this thread (never in a draw).
        crate::tui::plots::request(&mut app, size, &mut workers.plots);
        if let Some(code) = app.quit {
            // The workers are detached: they go on (or, asked to cancel, save a checkpoint and
            // write CANCELED themselves). The followers stop; the cancel requests are sent.
            for e in app.take_effects() {
                if let crate::tui::app::Effect::CancelJob(id) = e {
                    workers.engine_jobs.cancel(id);
                }
            }
            workers.engine_jobs.shutdown(Duration::from_secs(2));
            // A label write in flight (a signal, stdin closed) is waited for: the file is
            // replaced whole, never left half-written or with its edits lost.
            workers.label_io.shutdown();
            drop(workers);
            if let Some(p) = &opts.timings {
                draw_ms.sort_by(f32::total_cmp);
                let rank = |q: f64| {
                    let n = draw_ms.len();
                    let i = ((q * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1;
                    draw_ms.get(i).copied().unwrap_or(f32::NAN)
                };
                let line = format!(
                    "first_frame_ms={:.2} draws={} mean_draw_ms={:.3} p50_draw_ms={:.3} \
                     p99_draw_ms={:.3} max_draw_ms={:.3}{theme_line}\n",
                    first_frame.as_secs_f64() * 1e3,
                    draws,
                    draw_time.as_secs_f64() * 1e3 / draws.max(1) as f64,
                    rank(0.5),
                    rank(0.99),
                    max_draw.as_secs_f64() * 1e3
                );
                let _ = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
            }
            return Ok(code);
        }
    }
    Ok(0)
}

/// The tab line's title: the target as given, the current folder's path for `.`.
fn title(target: &str) -> String {
    match target {
        "." | "./" => std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| target.to_owned()),
        _ => target.to_owned(),
    }
}

/// Handles one message; a resize also asks for a new image at the new size.
fn handle(app: &mut App, m: Msg) -> bool {
    let resize = matches!(m, Msg::Input(crossterm::event::Event::Resize(..)));
    let d = app.handle(m);
    if resize && matches!(app.view, View::Labels | View::Videos) {
        app.push(Effect::RequestImage);
    }
    d
}

/// Inside tmux the image queries travel wrapped in passthrough sequences, which tmux drops
/// unless `allow-passthrough` is on; the query would then go unanswered and its reader would
/// swallow the user's keys. Ask tmux itself (images fall back to halfblocks).
/// Whether the image probe must be skipped inside a multiplexer. tmux shows an unwrapped
/// query (an APC string) as the pane's title, and the probe wraps its queries for tmux only
/// when TERM or TERM_PROGRAM says tmux, which tmux's default TERM (`screen`) does not; GNU
/// screen passes nothing through. So: inside tmux the probe runs only when passthrough is on
/// and the probe will know it is in tmux; inside screen never.
fn tmux_blocks_queries() -> bool {
    let term = std::env::var("TERM").unwrap_or_default();
    let says_tmux =
        term.starts_with("tmux") || std::env::var("TERM_PROGRAM").is_ok_and(|p| p == "tmux");
    if std::env::var_os("TMUX").is_none() {
        return term.starts_with("screen") && !says_tmux;
    }
    if !says_tmux {
        return true;
    }
    let out = std::process::Command::new("tmux")
        .args(["show", "-gv", "allow-passthrough"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let v = String::from_utf8_lossy(&o.stdout);
            !matches!(v.trim(), "on" | "all")
        }
        _ => true,
    }
}

fn spawn_input(tx: Sender<Msg>) {
    let _ = std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            loop {
                match crossterm::event::read() {
                    Ok(ev) => {
                        if tx.send(Msg::Input(ev)).is_err() {
                            return;
                        }
                    }
                    Err(_) => {
                        let _ = tx.send(Msg::InputClosed);
                        return;
                    }
                }
            }
        });
}
