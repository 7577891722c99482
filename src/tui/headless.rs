//! Runs the app's side effects synchronously, without a terminal or threads: for snapshot
//! tests and benchmarks, which need the state a live session would reach once its workers
//! finished. Uses the same loaders, tailers and image encoder as the live runner.

use crate::tui::adapt;
use crate::tui::app::{App, Effect};
use crate::tui::image::{self, Cache};
use crate::tui::jobs::{ScalarReq, ScalarsReader};
use crate::tui::load::Loaded;
use crate::tui::msg::Msg;
use ratatui::layout::Rect;
use std::path::PathBuf;

/// A synchronous stand-in for the runner's workers.
pub struct Headless {
    pub target: String,
    /// Run ffprobe on the project's videos (off: screens that do not depend on whether
    /// ffprobe is installed).
    pub probe_videos: bool,
    /// Starts real jobs when set (their messages go to its channel); else a job start is left
    /// to the test, which feeds the app synthetic messages.
    pub jobs: Option<crate::tui::job_bridge::JobRunner>,
    scalars: ScalarsReader,
    cache: Cache,
    picker: ratatui_image::picker::Picker,
    generation: u64,
}

impl Headless {
    pub fn new(target: &str) -> Headless {
        Headless {
            target: target.to_owned(),
            probe_videos: true,
            jobs: None,
            scalars: ScalarsReader::default(),
            cache: Cache::default(),
            picker: image::halfblocks_picker(),
            generation: 0,
        }
    }

    /// Loads the project into `app` and settles every effect for a screen of `size`.
    pub fn open(&mut self, app: &mut App, size: Rect) {
        let d = adapt::project_with(&self.target, self.probe_videos);
        app.handle(Msg::Loaded(Box::new(Loaded::Project(d))));
        self.settle(app, size);
    }

    /// Carries out pending effects (and the ones they cause) until none is left, then
    /// builds the plots the Curves view wants (the plot worker's job, done here at once).
    pub fn settle(&mut self, app: &mut App, size: Rect) {
        self.run_effects(app, size);
        crate::tui::plots::settle(app, size);
    }

    /// [`Headless::settle`] without building plots: the scalars read, the plots as the
    /// worker left them (a live session between a new point and its plot).
    pub fn run_effects(&mut self, app: &mut App, size: Rect) {
        app.screen = size;
        for _ in 0..16 {
            let effects = app.take_effects();
            if effects.is_empty() {
                break;
            }
            for e in effects {
                self.run(app, e, size);
            }
        }
    }

    fn tail(&mut self, app: &mut App, file: PathBuf, run: String, dir: PathBuf) {
        if let Some(u) = self.scalars.read(ScalarReq { file, run, dir }) {
            app.handle(Msg::Scalars(u));
        }
    }

    fn run(&mut self, app: &mut App, e: Effect, size: Rect) {
        match e {
            Effect::ReloadProject => {
                let d = adapt::project_with(&self.target, self.probe_videos);
                app.handle(Msg::Loaded(Box::new(Loaded::Project(d))));
            }
            Effect::RefreshRun(p) => match crate::tui::jobs::LoadReq::for_run(&app.data, &p) {
                crate::tui::jobs::LoadReq::Run(r) => {
                    let row = adapt::run(&r);
                    app.handle(Msg::Loaded(Box::new(Loaded::Run { path: p, row })));
                }
                crate::tui::jobs::LoadReq::Project => {
                    let d = adapt::project_with(&self.target, self.probe_videos);
                    app.handle(Msg::Loaded(Box::new(Loaded::Project(d))));
                }
            },
            Effect::ReadEvents(file) => {
                if let Some(dir) = crate::tui::load::run_of(&app.data, &file)
                    && let Some(r) = app.data.runs.iter().find(|r| r.path == dir)
                {
                    let name = r.name.clone();
                    self.tail(app, file, name, dir);
                }
            }
            Effect::ReadAllEvents => {
                let files: Vec<(PathBuf, String, PathBuf)> = app
                    .data
                    .runs
                    .iter()
                    .flat_map(|r| {
                        r.events_files
                            .iter()
                            .map(|f| (f.clone(), r.name.clone(), r.path.clone()))
                    })
                    .collect();
                for (f, n, d) in files {
                    self.tail(app, f, n, d);
                }
            }
            Effect::TrashRun(p) => crate::tui::load::trash(app, &p),
            Effect::CycleProtocol => {}
            Effect::RequestImage => {
                let body = crate::tui::views::body_rect(size);
                if let Some(req) = crate::tui::frames::request(
                    app,
                    body,
                    ratatui_image::picker::ProtocolType::Halfblocks,
                ) {
                    self.generation += 1;
                    app.image_gen = self.generation;
                    let r = image::encode(&self.picker, &mut self.cache, self.generation, &req);
                    app.handle(Msg::Image(Box::new(r)));
                    image::prefetch(&self.picker, &mut self.cache, &req);
                }
            }
            Effect::LoadPredictions(csv) => {
                let preds = adapt::frame_predictions(&csv);
                app.handle(Msg::Loaded(Box::new(Loaded::Predictions { csv, preds })));
            }
            Effect::LoadVideoPreds(csv) => {
                let preds = adapt::video_predictions(&csv);
                app.handle(Msg::Loaded(Box::new(Loaded::VideoPreds { csv, preds })));
            }
            Effect::LoadCompare(runs) => {
                let result = crate::tui::state::compare::compute(&runs);
                app.handle(Msg::Loaded(Box::new(Loaded::Compare { runs, result })));
            }
            Effect::StartJob { id, spec } => {
                if let Some(j) = &mut self.jobs {
                    j.start(id, &spec)
                }
            }
            Effect::CancelJob(id) => {
                if let Some(j) = &mut self.jobs {
                    j.cancel(id)
                }
            }
            // No terminal: mouse events come from the test directly.
            Effect::MouseCapture(_) => {}
            Effect::ExportCurves(job) => {
                let r = job.run();
                app.handle(Msg::Loaded(Box::new(Loaded::Exported(r))));
            }
            Effect::Extract(req, cancel) => {
                let (tx, rx) = std::sync::mpsc::channel();
                crate::tui::state::extract_form::run_blocking(&req, &cancel, move |m| {
                    let _ = tx.send(m);
                });
                for m in rx.try_iter() {
                    app.handle(Msg::Extract(m));
                }
            }
            Effect::LabelIo(slot) => {
                if let Some(job) = slot.take() {
                    let m = crate::tui::label_io::run_job(job);
                    app.handle(Msg::LabelIo(Box::new(m)));
                }
            }
            Effect::AttachJobs(root) => {
                if let Some(j) = &mut self.jobs {
                    crate::tui::job_bridge::attach_all(app, j, &root)
                }
            }
        }
    }
}

/// Draws the app on a TestBackend of `w`x`h` and returns the screen as text (one line per row).
pub fn screen(app: &App, w: u16, h: u16) -> String {
    let backend = ratatui::backend::TestBackend::new(w, h);
    let Ok(mut term) = ratatui::Terminal::new(backend);
    let _ = term.draw(|f| crate::tui::views::draw(app, f));
    let buf = term.backend().buffer();
    let mut out = String::with_capacity((w as usize + 1) * h as usize);
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
