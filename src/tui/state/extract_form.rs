//! Choosing frames to label from the Videos view: the "extract frames" form (method, N,
//! metric), `a` (the current frame) and `A` (the current frame with the shown model's
//! predictions as a starting point). The extraction runs on a background thread
//! ([`crate::labels::extract::run`]); its progress and result come back as [`ExtractMsg`].
//! Esc or `c` in the Videos view cancels it: the thread checks the flag before every frame
//! it reads or writes, and a canceled run takes back every frame file it wrote and queues
//! nothing.

use crate::labels::extract::{Method, Metric, Request};
use crate::tui::app::{App, Effect, Overlay};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub const METHODS: [&str; 3] = ["kmeans", "uniform", "outliers"];
pub const METRICS: [&str; 3] = ["likelihood", "temporal", "pca"];

#[derive(Debug, Clone, PartialEq)]
pub struct ExtractForm {
    pub video: PathBuf,
    /// The shown model: (name, run folder), for outliers.
    pub model: Option<(String, PathBuf)>,
    pub method: usize,
    pub n: String,
    pub metric: usize,
    /// 0 method, 1 N, 2 metric.
    pub focus: usize,
    pub error: Option<String>,
}

/// A running extraction's last progress report.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractProgress {
    pub stage: String,
    pub done: usize,
    pub total: usize,
}

/// The running extraction's cancel flag, shared with its thread (equal: the same flag).
#[derive(Clone, Default)]
pub struct CancelFlag(pub Arc<AtomicBool>);

impl CancelFlag {
    pub fn set(&self) {
        self.0.store(true, Ordering::Relaxed)
    }
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl PartialEq for CancelFlag {
    fn eq(&self, o: &Self) -> bool {
        Arc::ptr_eq(&self.0, &o.0)
    }
}

impl std::fmt::Debug for CancelFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CancelFlag({})", self.is_set())
    }
}

/// What the extraction thread reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtractMsg {
    Progress(ExtractProgress),
    /// The summary line, or the error.
    Done(Result<String, String>),
    /// Canceled: nothing of this run was left behind.
    Canceled,
}

/// The selected video's file and the shown model (name, run folder).
fn selection(app: &App) -> Option<(PathBuf, Option<(String, PathBuf)>)> {
    let v = crate::tui::frames::video_row(app)?;
    let names = crate::tui::state::videos::video_names(app);
    let model = names.get(app.videos.video).and_then(|name| {
        let m = crate::tui::state::videos::models_for(app, name);
        let (csv, run) = m.get(app.videos.model.min(m.len().saturating_sub(1)))?;
        // <run>/video_preds/<video>.csv
        Some((run.clone(), csv.parent()?.parent()?.to_path_buf()))
    });
    Some((v.path.clone(), model))
}

fn busy(app: &mut App) -> bool {
    if app.extraction.is_some() {
        app.error(
            "an extraction is running: wait for it to finish (c or esc in Videos cancels it)",
        );
        return true;
    }
    false
}

/// Opens the form on the selected video.
pub fn open(app: &mut App) {
    if busy(app) {
        return;
    }
    match selection(app) {
        Some((video, model)) => {
            app.overlay = Overlay::ExtractForm(ExtractForm {
                video,
                model,
                method: 0,
                n: "10".into(),
                metric: 0,
                focus: 0,
                error: None,
            })
        }
        None => app.error("no video file or frame folder to extract frames from"),
    }
}

/// Queues the current frame of the Videos view (`with_preds`: with the shown model's
/// predictions on it).
pub fn add_current(app: &mut App, with_preds: bool) {
    if busy(app) {
        return;
    }
    let Some((video, model)) = selection(app) else {
        app.error("no video file or frame folder to take the frame from");
        return;
    };
    if with_preds && model.is_none() {
        app.error("no model predictions on this video to start from");
        return;
    }
    let frame = app.videos.frame;
    start(
        app,
        video,
        Method::Manual(vec![frame]),
        1,
        model.filter(|_| with_preds),
    );
}

fn start(
    app: &mut App,
    video: PathBuf,
    method: Method,
    n: usize,
    predictions_from: Option<(String, PathBuf)>,
) {
    let root = app.data.root.clone();
    if root.as_os_str().is_empty() || !root.is_dir() || app.data.label_views.is_empty() {
        app.error("extracting frames needs a Lightning Pose project folder");
        return;
    }
    let mut views = match crate::labels::extract::target::plan(&app.data.label_views, &video) {
        Ok(v) => v.into_iter(),
        Err(e) => {
            app.error(crate::sanitize::clean(&e.to_string()).into_owned());
            return;
        }
    };
    let Some((video, csv)) = views.next() else {
        return;
    };
    app.extraction = Some(ExtractProgress {
        stage: "starting".into(),
        done: 0,
        total: 0,
    });
    let cancel = CancelFlag::default();
    app.extract_cancel = Some(cancel.clone());
    app.push(Effect::Extract(
        Box::new(Request {
            root,
            video,
            csv,
            siblings: views.collect(),
            n,
            method,
            context: 2,
            min_gap: 10,
            seed: 0,
            predictions_from,
        }),
        cancel,
    ));
}

/// Esc or `c` while an extraction runs: asks its thread to stop; true when one was running.
pub fn cancel(app: &mut App) -> bool {
    let Some(flag) = &app.extract_cancel else {
        return false;
    };
    flag.set();
    if let Some(p) = &mut app.extraction {
        p.stage = "canceling".into();
    }
    app.info("canceling the extraction: its frames are taken back, nothing is queued");
    true
}

impl ExtractForm {
    fn request(&self) -> Result<(Method, usize), String> {
        let n = match self.n.trim().parse::<usize>() {
            Ok(n) if (1..=100_000).contains(&n) => n,
            _ => {
                return Err(format!(
                    "N: {:?} is not a whole number in 1..100000",
                    self.n
                ));
            }
        };
        let method = match METHODS[self.method] {
            "uniform" => Method::Uniform,
            "outliers" => {
                let Some((_, run)) = &self.model else {
                    return Err(
                        "outliers need a model's predictions on this video (p picks the model)"
                            .into(),
                    );
                };
                Method::Outliers {
                    run: run.clone(),
                    metric: [Metric::Likelihood, Metric::Temporal, Metric::Pca][self.metric],
                }
            }
            _ => Method::Kmeans,
        };
        Ok((method, n))
    }
}

/// Keys while the form is open; always consumes the key.
pub fn key(app: &mut App, k: &KeyEvent) -> bool {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let Overlay::ExtractForm(form) = &mut app.overlay else {
        return false;
    };
    let fields = if METHODS[form.method] == "outliers" {
        3
    } else {
        2
    };
    let step = |v: &mut usize, len: usize, d: isize| {
        *v = (*v as isize + d).rem_euclid(len as isize) as usize;
    };
    match k.code {
        KeyCode::Esc => app.overlay = Overlay::None,
        KeyCode::Char('c') if ctrl => app.overlay = Overlay::None,
        KeyCode::Enter => match form.request() {
            Ok((method, n)) => {
                let video = form.video.clone();
                app.overlay = Overlay::None;
                start(app, video, method, n, None);
            }
            Err(e) => form.error = Some(e),
        },
        KeyCode::Down | KeyCode::Tab => form.focus = (form.focus + 1) % fields,
        KeyCode::Up | KeyCode::BackTab => form.focus = (form.focus + fields - 1) % fields,
        KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if form.focus != 1 => {
            let d = if k.code == KeyCode::Left { -1 } else { 1 };
            match form.focus {
                0 => step(&mut form.method, METHODS.len(), d),
                _ => step(&mut form.metric, METRICS.len(), d),
            }
            form.error = None;
        }
        KeyCode::Backspace if form.focus == 1 => {
            form.n.pop();
            form.error = None;
        }
        KeyCode::Char(c) if form.focus == 1 && c.is_ascii_digit() && form.n.len() < 6 => {
            form.n.push(c);
            form.error = None;
        }
        _ => {}
    }
    true
}

/// Applies a message from the extraction thread.
pub fn on_msg(app: &mut App, m: ExtractMsg) -> bool {
    match m {
        ExtractMsg::Progress(mut p) => {
            if app.extract_cancel.as_ref().is_some_and(CancelFlag::is_set) {
                p.stage = "canceling".into();
            }
            app.extraction = Some(p)
        }
        ExtractMsg::Canceled => {
            app.extraction = None;
            app.extract_cancel = None;
            app.info("extraction canceled: no frame written, nothing queued");
        }
        ExtractMsg::Done(r) => {
            app.extraction = None;
            app.extract_cancel = None;
            match r {
                Ok(line) => app.info(line),
                Err(e) => app.error(format!("extract: {e}")),
            }
            // The queue and images changed: counts, the Labels list and the Overview follow.
            app.push(Effect::ReloadProject);
        }
    }
    true
}

/// The line the workstation shows for a finished extraction.
pub fn summary(r: &crate::labels::extract::Report) -> String {
    let frames: Vec<String> = r
        .picked
        .iter()
        .take(8)
        .map(|p| p.frame.to_string())
        .collect();
    format!(
        "queued {} frame(s) of {} ({}{}); {} image(s) written to labeled-data/{}",
        r.queued,
        crate::sanitize::clean(&r.stem),
        frames.join(", "),
        if r.picked.len() > 8 { ", …" } else { "" },
        r.written.len(),
        crate::sanitize::clean(&r.stem),
    )
}

/// Runs an extraction on this thread, reporting through `send` (the live runner calls it on
/// a background thread; the headless runner inline).
pub fn run_blocking(
    req: &Request,
    cancel: &CancelFlag,
    send: impl Fn(ExtractMsg) + Send + Sync + 'static,
) {
    let send = std::sync::Arc::new(send);
    let s2 = send.clone();
    let last = std::sync::Mutex::new(std::time::Instant::now());
    let ctl = crate::labels::extract::Control {
        on_progress: Some(std::sync::Arc::new(move |stage: &str, done, total| {
            // At most ~20 reports a second reach the UI.
            let Ok(mut t) = last.lock() else { return };
            if done != total && t.elapsed() < std::time::Duration::from_millis(50) {
                return;
            }
            *t = std::time::Instant::now();
            s2(ExtractMsg::Progress(ExtractProgress {
                stage: stage.to_string(),
                done,
                total,
            }));
        })),
        cancel: Arc::clone(&cancel.0),
    };
    match crate::labels::extract::run(req, &ctl) {
        Err(e) if crate::labels::extract::is_cancelled(&e) => send(ExtractMsg::Canceled),
        r => send(ExtractMsg::Done(
            r.map(|r| summary(&r)).map_err(|e| e.to_string()),
        )),
    }
}
