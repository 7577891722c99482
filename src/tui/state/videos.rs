//! State of the Videos view: the video, the model whose predictions are shown, the frame
//! (scrubbed by one, by 10% jumps, or typed), and the loaded prediction tables.

use crate::tui::action::Action;
use crate::tui::app::{App, Effect, Overlay};
use std::path::PathBuf;

/// A model's predictions on one video: per frame, per keypoint (x, y, likelihood); and the
/// temporal norm per frame (mean over keypoints) when its CSV exists.
#[derive(Debug, Clone, Default)]
pub struct VideoPreds {
    pub frames: Vec<Vec<Option<(f64, f64, f64)>>>,
    pub temporal_norm: Option<Vec<f64>>,
    /// A problem with the temporal-norm file (the predictions still show).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct VideosState {
    pub video: usize,
    pub model: usize,
    pub frame: usize,
    pub preds: Option<(PathBuf, Result<VideoPreds, String>)>,
}

/// (video file stem, prediction CSV) pairs available for a video across runs.
pub fn choices(app: &App) -> Vec<(String, PathBuf, String)> {
    let mut out = Vec::new();
    for r in &app.data.runs {
        for p in &r.video_preds {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push((stem, p.clone(), r.name.clone()));
        }
    }
    out
}

/// Video names (stems) with predictions, else the project's videos.
pub fn video_names(app: &App) -> Vec<String> {
    let mut v: Vec<String> = choices(app).into_iter().map(|c| c.0).collect();
    for vid in &app.data.videos {
        let stem = std::path::Path::new(&vid.file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        v.push(stem);
    }
    v.sort();
    v.dedup();
    v
}

/// The (csv, run name) pairs for the selected video.
pub fn models_for(app: &App, video: &str) -> Vec<(PathBuf, String)> {
    choices(app)
        .into_iter()
        .filter(|c| c.0 == video)
        .map(|c| (c.1, c.2))
        .collect()
}

pub fn current_csv(app: &App) -> Option<PathBuf> {
    let names = video_names(app);
    let v = names.get(app.videos.video)?;
    let m = models_for(app, v);
    m.get(app.videos.model.min(m.len().saturating_sub(1)))
        .map(|x| x.0.clone())
}

/// Frames to scrub: the predictions' rows, else the video's own frames.
pub fn n_frames(app: &App) -> usize {
    match &app.videos.preds {
        Some((_, Ok(p))) => p.frames.len(),
        _ => crate::tui::frames::video_row(app)
            .map(|v| {
                if v.frame_files.is_empty() {
                    v.frames.unwrap_or(0) as usize
                } else {
                    v.frame_files.len()
                }
            })
            .unwrap_or(0),
    }
}

pub fn goto(app: &mut App, n: usize) {
    let max = n_frames(app).saturating_sub(1);
    app.videos.frame = n.min(max);
    app.push(Effect::RequestImage);
}

/// Asks for the selected video's predictions when they are not the loaded ones.
pub fn ensure_loaded(app: &mut App) {
    if let Some(csv) = current_csv(app)
        && app.videos.preds.as_ref().map(|p| &p.0) != Some(&csv)
    {
        app.push(Effect::LoadVideoPreds(csv));
    }
}

pub fn on_action(app: &mut App, a: Action) {
    let n = n_frames(app);
    let jump = (n / 10).max(1);
    let st = &mut app.videos;
    match a {
        Action::Right | Action::Down => st.frame = (st.frame + 1).min(n.saturating_sub(1)),
        Action::Left | Action::Up => st.frame = st.frame.saturating_sub(1),
        Action::JumpForward | Action::PageDown => {
            st.frame = (st.frame + jump).min(n.saturating_sub(1))
        }
        Action::JumpBack | Action::PageUp => st.frame = st.frame.saturating_sub(jump),
        Action::Top => st.frame = 0,
        Action::Bottom => st.frame = n.saturating_sub(1),
        Action::ExtractFrames => {
            crate::tui::state::extract_form::open(app);
            return;
        }
        Action::AddFrame | Action::AddFrameWithPreds => {
            crate::tui::state::extract_form::add_current(app, a == Action::AddFrameWithPreds);
            return;
        }
        Action::CancelExtraction => {
            if !crate::tui::state::extract_form::cancel(app) {
                app.info("no extraction is running");
            }
            return;
        }
        Action::GotoFrame => {
            app.overlay = Overlay::Goto {
                input: String::new(),
            };
            return;
        }
        Action::NextVideo => {
            let k = video_names(app).len().max(1);
            let st = &mut app.videos;
            st.video = (st.video + 1) % k;
            st.model = 0;
            st.frame = 0;
            ensure_loaded(app);
        }
        Action::NextModel => {
            let names = video_names(app);
            let k = names
                .get(app.videos.video)
                .map(|v| models_for(app, v).len())
                .unwrap_or(0)
                .max(1);
            app.videos.model = (app.videos.model + 1) % k;
            ensure_loaded(app);
        }
        _ => return,
    }
    app.push(Effect::RequestImage);
}
