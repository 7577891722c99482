//! The live session's side effects: what the app asks for ([`Effect`]) carried out by the
//! workers (loader, scalars reader, tables reader, image encoder, plot builder) and the
//! watcher. The headless stand-in for tests and benchmarks is [`crate::tui::headless`].

use crate::tui::app::{App, Effect};
use crate::tui::image::{self, ImageRequest};
use crate::tui::jobs;
use crate::tui::msg::Msg;
use crate::tui::worker::Latest;
use ratatui::layout::Rect;
use ratatui_image::picker::ProtocolType;
use std::path::PathBuf;
use std::sync::mpsc::Sender;

/// The workers of a live session.
pub struct Workers {
    /// The app's one channel (the watcher sends on it).
    pub tx: Sender<Msg>,
    pub loader: jobs::Loader,
    pub scalars: Sender<jobs::ScalarReq>,
    pub tables: Sender<jobs::Job>,
    pub images: Latest<ImageRequest>,
    /// Builds the Curves view's plots (`tui::plots`).
    pub plots: Latest<crate::tui::plots::PlotJob>,
    pub protocol: ProtocolType,
    pub watcher: Option<crate::watch::Watcher>,
    /// The folders the watcher covers.
    pub watched: Vec<PathBuf>,
    /// The train / predict jobs started from the workstation.
    pub engine_jobs: crate::tui::job_bridge::JobRunner,
    /// Opens and writes label files for edit mode.
    pub label_io: crate::tui::label_io::LabelWorker,
}

impl Workers {
    /// Carries out one effect; returns true when the screen changed.
    pub fn carry_out(&mut self, app: &mut App, e: Effect, size: Rect) -> bool {
        match e {
            Effect::ReloadProject => self.loader.submit(jobs::LoadReq::Project),
            Effect::RefreshRun(p) => self.loader.submit(jobs::LoadReq::for_run(&app.data, &p)),
            Effect::ReadEvents(file) => {
                let run = crate::tui::load::run_of(&app.data, &file)
                    .and_then(|d| app.data.runs.iter().find(|r| r.path == d));
                match run {
                    Some(r) => {
                        let _ = self.scalars.send(jobs::ScalarReq {
                            file,
                            run: r.name.clone(),
                            dir: r.path.clone(),
                        });
                    }
                    // An events file of a run not listed yet: the project has a new run.
                    None => self.loader.submit(jobs::LoadReq::Project),
                }
            }
            Effect::ReadAllEvents => {
                for r in &app.data.runs {
                    for f in &r.events_files {
                        let _ = self.scalars.send(jobs::ScalarReq {
                            file: f.clone(),
                            run: r.name.clone(),
                            dir: r.path.clone(),
                        });
                    }
                }
                return self.watch(app);
            }
            Effect::TrashRun(p) => {
                crate::tui::load::trash(app, &p);
                return true;
            }
            Effect::CycleProtocol => {
                self.protocol = self.protocol.next();
                app.protocol = image::protocol_name(self.protocol).to_owned();
                self.request_image(app, size);
                return true;
            }
            Effect::RequestImage => self.request_image(app, size),
            Effect::LoadPredictions(csv) => {
                let _ = self.tables.send(jobs::Job::Predictions(csv));
            }
            Effect::LoadVideoPreds(csv) => {
                let _ = self.tables.send(jobs::Job::VideoPreds(csv));
            }
            Effect::LoadCompare(runs) => {
                let _ = self.tables.send(jobs::Job::Compare(runs));
            }
            Effect::StartJob { id, spec } => self.engine_jobs.start(id, &spec),
            Effect::AttachJobs(root) => {
                crate::tui::job_bridge::attach_all(app, &mut self.engine_jobs, &root)
            }
            Effect::CancelJob(id) => self.engine_jobs.cancel(id),
            Effect::MouseCapture(on) => {
                use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
                let mut out = std::io::stdout();
                let r = if on {
                    crossterm::execute!(out, EnableMouseCapture)
                } else {
                    crossterm::execute!(out, DisableMouseCapture)
                };
                if let Err(e) = r {
                    app.error(format!("mouse: {e}"));
                }
            }
            Effect::ExportCurves(job) => {
                let tx = self.tx.clone();
                let spawned = std::thread::Builder::new()
                    .name("export-curves".into())
                    .spawn(move || {
                        let r = job.run();
                        let _ =
                            tx.send(Msg::Loaded(Box::new(crate::tui::load::Loaded::Exported(r))));
                    });
                if let Err(e) = spawned {
                    app.error(format!("cannot start the export: {e}"));
                    return true;
                }
            }
            Effect::LabelIo(slot) => {
                if let Some(job) = slot.take()
                    && !self.label_io.submit(job)
                {
                    app.error("the label worker is not running: nothing was read or written");
                    app.edit_opening = None;
                    if let Some(s) = app.edit.as_mut() {
                        s.writing = None;
                    }
                    return true;
                }
            }
            Effect::Extract(req, cancel) => {
                let tx = self.tx.clone();
                let spawned = std::thread::Builder::new()
                    .name("extract-frames".into())
                    .spawn(move || {
                        crate::tui::state::extract_form::run_blocking(&req, &cancel, move |m| {
                            let _ = tx.send(Msg::Extract(m));
                        })
                    });
                if let Err(e) = spawned {
                    app.extraction = None;
                    app.extract_cancel = None;
                    app.error(format!("cannot start the extraction: {e}"));
                    return true;
                }
            }
        }
        false
    }

    /// Makes sure the watcher covers the project's folders (the root and its model folders).
    fn watch(&mut self, app: &mut App) -> bool {
        let mut roots = vec![app.data.root.clone()];
        roots.extend(app.data.model_dirs.iter().cloned());
        roots.retain(|r| !r.as_os_str().is_empty());
        roots.sort();
        roots.dedup();
        if roots == self.watched {
            return false;
        }
        let wtx = self.tx.clone();
        match crate::watch::Watcher::start(&roots, move |m| {
            let _ = wtx.send(Msg::Watch(m));
        }) {
            Ok(w) => {
                app.watch_mode = match w.polling {
                    Some(fs) => format!("polling ({fs})"),
                    None => "inotify".into(),
                };
                self.watcher = Some(w);
            }
            Err(e) => {
                app.watch_mode = "off".into();
                app.error(format!("watcher: {e}"));
            }
        }
        self.watched = roots;
        true
    }

    /// Submits the current view's frame to the image worker (the latest request wins).
    fn request_image(&mut self, app: &mut App, size: Rect) {
        let body = crate::tui::views::body_rect(size);
        if let Some(req) = crate::tui::frames::request(app, body, self.protocol) {
            app.image_gen = self.images.submit(req);
        }
    }
}
