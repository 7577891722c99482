//! The event loop: one channel, one consumer. Input, signals, the watcher and the workers all
//! send [`Msg`]s; the loop drains everything pending, updates the app, carries out its effects
//! and redraws once, only when something changed (at most every 16 ms). With nothing
//! happening it blocks in `recv` and uses no CPU.

use crate::tui::app::{App, Effect, View};
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
    pub theme: String,
    pub image_protocol: Option<ProtocolType>,
    pub no_color: bool,
    /// Where timings are appended (`POSEDECK_TIMINGS`), for the README's measurements.
    pub timings: Option<PathBuf>,
    /// The view shown first.
    pub view: View,
    /// Jobs submitted at start (`posedeck demo` trains its model).
    pub jobs: Vec<crate::tui::state::job_list::JobSpec>,
}

const FRAME_GAP: Duration = Duration::from_millis(16);
const SPIN: Duration = Duration::from_millis(120);

/// Runs the workstation until quit; returns the process exit code.
pub fn run(opts: Options) -> anyhow::Result<i32> {
    let started = Instant::now();
    let theme = crate::tui::theme::Theme::load(&opts.theme)?.with_no_color(opts.no_color);
    let keymap =
        crate::tui::keymap::Keymap::load(crate::tui::keymap::Keymap::user_path().as_deref())?;
    let (tx, rx) = mpsc::channel::<Msg>();

    // Loading starts before the terminal is even set up.
    let mut loader = jobs::spawn_loader(tx.clone(), opts.target.clone());
    loader.submit(jobs::LoadReq::Project);
    let scalars = jobs::spawn_scalars(tx.clone());
    let job_tx = jobs::spawn_jobs(tx.clone());
    let mut engine_jobs = crate::tui::job_bridge::JobRunner::new(tx.clone());

    let _guard = term::Guard::enter(false)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    terminal.clear()?;
    let mut app = App::new(
        crate::sanitize::clean(&opts.target).into_owned(),
        keymap,
        theme,
    );
    app.view = opts.view;
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
    let mut protocol = picker.protocol_type();
    app.protocol = image::protocol_name(protocol).to_owned();
    let img_tx = tx.clone();
    let mut cache = Cache::default();
    let img_picker = picker.clone();
    let mut images: Latest<ImageRequest> = Latest::spawn("image", move |g, req| {
        let r = image::encode(&img_picker, &mut cache, g, &req);
        let _ = img_tx.send(Msg::Image(Box::new(r)));
    });

    spawn_input(tx.clone());
    let sig_tx = tx.clone();
    term::forward_signals(move |s| {
        let _ = sig_tx.send(Msg::Signal(s));
    })?;

    let mut watcher: Option<crate::watch::Watcher> = None;
    let mut watched: Vec<PathBuf> = Vec::new();
    let mut dirty = true;
    let mut last_draw = Instant::now();
    let mut draws: u64 = 1;
    let mut draw_time = Duration::ZERO;
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
        for e in app.take_effects() {
            match e {
                Effect::ReloadProject => {
                    loader.submit(jobs::LoadReq::Project);
                }
                Effect::RefreshRun(p) => {
                    loader.submit(jobs::LoadReq::Run(p));
                }
                Effect::ReadEvents(file) => {
                    let run = crate::tui::load::run_of(&app.data, &file);
                    let name = run
                        .as_ref()
                        .and_then(|d| app.data.runs.iter().find(|r| &r.path == d))
                        .map(|r| r.name.clone());
                    match (run, name) {
                        (Some(dir), Some(name)) => {
                            let _ = scalars.send(jobs::ScalarReq {
                                file,
                                run: name,
                                dir,
                            });
                        }
                        _ => loader.submit(jobs::LoadReq::Project),
                    };
                }
                Effect::ReadAllEvents => {
                    for r in &app.data.runs {
                        for f in &r.events_files {
                            let _ = scalars.send(jobs::ScalarReq {
                                file: f.clone(),
                                run: r.name.clone(),
                                dir: r.path.clone(),
                            });
                        }
                    }
                    let mut roots = vec![app.data.root.clone()];
                    roots.extend(app.data.model_dirs.iter().cloned());
                    roots.retain(|r| !r.as_os_str().is_empty());
                    roots.sort();
                    roots.dedup();
                    if roots != watched {
                        let wtx = tx.clone();
                        match crate::watch::Watcher::start(&roots, move |m| {
                            let _ = wtx.send(Msg::Watch(m));
                        }) {
                            Ok(w) => {
                                app.watch_mode = match w.polling {
                                    Some(fs) => format!("polling ({fs})"),
                                    None => "inotify".into(),
                                };
                                watcher = Some(w);
                            }
                            Err(e) => {
                                app.watch_mode = "off".into();
                                app.error(format!("watcher: {e}"));
                            }
                        }
                        watched = roots;
                        dirty = true;
                    }
                }
                Effect::TrashRun(p) => {
                    match jobs::trash_run(&app.data.root, &p) {
                        Ok(dest) => {
                            if let Some(r) = app.data.runs.iter().find(|r| r.path == p) {
                                let name = r.name.clone();
                                app.scalars.remove_run(&name);
                            }
                            app.data.runs.retain(|r| r.path != p);
                            app.info(format!("moved to {}", dest.display()));
                        }
                        Err(e) => app.error(e.to_string()),
                    }
                    loader.submit(jobs::LoadReq::Project);
                    dirty = true;
                }
                Effect::CycleProtocol => {
                    protocol = protocol.next();
                    app.protocol = image::protocol_name(protocol).to_owned();
                    if let Some(g) = request_image(&app, &mut images, size, protocol) {
                        app.image_gen = g;
                    }
                    dirty = true;
                }
                Effect::RequestImage => {
                    if let Some(g) = request_image(&app, &mut images, size, protocol) {
                        app.image_gen = g;
                    }
                }
                Effect::LoadPredictions(csv) => {
                    let _ = job_tx.send(jobs::Job::Predictions(csv));
                }
                Effect::LoadVideoPreds(csv) => {
                    let _ = job_tx.send(jobs::Job::VideoPreds(csv));
                }
                Effect::StartJob { id, spec } => engine_jobs.start(id, &spec),
                Effect::CancelJob(id) => engine_jobs.cancel(id),
            }
        }
        if let Some(code) = app.quit {
            drop(watcher);
            if engine_jobs.any_running() {
                // Say why quitting takes a moment: jobs save a checkpoint and mark their runs
                // CANCELED before the process ends.
                app.info("canceling running jobs (their runs are saved for resume)…");
                let _ = terminal.draw(|f| views::draw(&app, f));
                engine_jobs.shutdown(Duration::from_secs(20));
            }
            if let Some(p) = &opts.timings {
                let line = format!(
                    "first_frame_ms={:.2} draws={} mean_draw_ms={:.3}\n",
                    first_frame.as_secs_f64() * 1e3,
                    draws,
                    draw_time.as_secs_f64() * 1e3 / draws.max(1) as f64
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

/// Handles one message; a resize also asks for a new image at the new size.
fn handle(app: &mut App, m: Msg) -> bool {
    let resize = matches!(m, Msg::Input(crossterm::event::Event::Resize(..)));
    let d = app.handle(m);
    if resize && matches!(app.view, View::Labels | View::Videos) {
        app.push(Effect::RequestImage);
    }
    d
}

/// Submits the current view's frame to the image worker; returns the request's generation.
fn request_image(
    app: &App,
    images: &mut Latest<ImageRequest>,
    size: Rect,
    protocol: ProtocolType,
) -> Option<u64> {
    let body = views::body_rect(size);
    crate::tui::frames::request(app, body, protocol).map(|req| images.submit(req))
}

/// Inside tmux the image queries travel wrapped in passthrough sequences, which tmux drops
/// unless `allow-passthrough` is on; the query would then go unanswered and its reader would
/// swallow the user's keys. Ask tmux itself (images fall back to halfblocks).
fn tmux_blocks_queries() -> bool {
    if std::env::var_os("TMUX").is_none() {
        return false;
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
