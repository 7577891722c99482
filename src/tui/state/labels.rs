//! State of the Labels view: which labeled frames are listed (video, missing-keypoint and text
//! filters), the selected frame, the model whose predictions are drawn beside the labels, names,
//! zoom and pan.

use crate::tui::action::Action;
use crate::tui::app::{App, Effect};
use std::collections::HashMap;
use std::path::PathBuf;

/// Predictions of one model on the labeled frames: image path -> per keypoint (x, y, likelihood).
pub type FramePreds = HashMap<String, Vec<Pred>>;

/// One keypoint's prediction: x, y, likelihood (`None`: not predicted).
pub type Pred = Option<(f64, f64, f64)>;

#[derive(Debug, Clone, Default)]
pub struct LabelsState {
    pub selected: usize,
    pub filter: String,
    pub missing_only: bool,
    pub video: Option<String>,
    /// Index into the runs that have predictions.
    pub model: Option<usize>,
    pub names: bool,
    pub zoom: f64,
    pub center: Option<(f64, f64)>,
    /// The loaded predictions: (csv path, result).
    pub preds: Option<(PathBuf, Result<FramePreds, String>)>,
    /// A second model's predictions drawn beside the first's (opened from Compare on a
    /// frame where two runs disagree).
    pub second: Option<SecondModel>,
}

/// Run B of a comparison, drawn beside the selected model (run A).
#[derive(Debug, Clone)]
pub struct SecondModel {
    pub name: String,
    pub csv: PathBuf,
    /// `None` while the worker reads the CSV.
    pub preds: Option<Result<FramePreds, String>>,
}

/// The second model's predictions of one frame, once read.
pub fn second_preds<'a>(app: &'a App, image: &str) -> Option<&'a [Pred]> {
    match app.labels.second.as_ref()?.preds.as_ref()? {
        Ok(p) => p.get(image).map(Vec::as_slice),
        Err(_) => None,
    }
}

/// Shows `frame` (an image path as the CSVs write it) in the Labels view with run `a`'s
/// predictions as the drawn model and run `b`'s beside them (both run folders). The filters
/// are cleared so that the frame is listed; a run without predictions is said in the status
/// bar and the other is still drawn.
pub fn show_frame_with(app: &mut App, frame: &str, a: &std::path::Path, b: &std::path::Path) {
    let Some(i) = app.data.frames.iter().position(|f| f.image == frame) else {
        app.error(format!(
            "{} is not among the project's labeled frames",
            crate::sanitize::clean(frame)
        ));
        return;
    };
    let st = &mut app.labels;
    st.filter.clear();
    st.missing_only = false;
    st.video = None;
    st.zoom = 1.0;
    st.center = None;
    st.selected = i;
    let with_preds = models_with_preds(app);
    let find = |p: &std::path::Path| {
        with_preds.iter().position(|r| r.path == p).map(|k| {
            (
                k,
                with_preds[k].name.clone(),
                with_preds[k].predictions.clone(),
            )
        })
    };
    let (fa, fb) = (find(a), find(b));
    let missing: Vec<String> = [(a, &fa), (b, &fb)]
        .iter()
        .filter(|(_, f)| f.is_none())
        .map(|(p, _)| crate::util::escape_path(p).into_owned())
        .collect();
    let mut effects = Vec::new();
    match fa {
        Some((k, _, Some(csv))) => {
            app.labels.model = Some(k);
            if app.labels.preds.as_ref().is_none_or(|(c, _)| *c != csv) {
                app.labels.preds = None;
                effects.push(Effect::LoadPredictions(csv));
            }
        }
        _ => {
            app.labels.model = None;
            app.labels.preds = None;
        }
    }
    app.labels.second = match fb {
        Some((_, name, Some(csv))) => {
            effects.push(Effect::LoadPredictions(csv.clone()));
            Some(SecondModel {
                name,
                csv,
                preds: None,
            })
        }
        _ => None,
    };
    for e in effects {
        app.push(e);
    }
    app.set_view(crate::tui::app::View::Labels);
    if !missing.is_empty() {
        app.info(format!(
            "no predictions.csv for {} (Lightning Pose writes it after training)",
            missing.join(", ")
        ));
    }
}

/// Indices into `data.frames` that pass the filters.
pub fn visible(app: &App) -> Vec<usize> {
    let st = &app.labels;
    let f = st.filter.to_lowercase();
    app.data
        .frames
        .iter()
        .enumerate()
        .filter(|(_, fr)| {
            (!st.missing_only || fr.n_missing() > 0)
                && st.video.as_ref().is_none_or(|v| &fr.video == v)
                && (f.is_empty() || fr.image.to_lowercase().contains(&f))
        })
        .map(|(i, _)| i)
        .collect()
}

/// The selected frame's index into `data.frames`.
pub fn current(app: &App) -> Option<usize> {
    let v = visible(app);
    v.get(app.labels.selected.min(v.len().saturating_sub(1)))
        .copied()
}

/// Runs with a predictions file, in table order.
pub fn models_with_preds(app: &App) -> Vec<&crate::tui::data::RunRow> {
    app.data
        .runs
        .iter()
        .filter(|r| r.predictions.is_some())
        .collect()
}

fn videos(app: &App) -> Vec<String> {
    let mut v: Vec<String> = app.data.frames.iter().map(|f| f.video.clone()).collect();
    v.sort();
    v.dedup();
    v
}

pub fn on_action(app: &mut App, a: Action) {
    let n = visible(app).len();
    let st = &mut app.labels;
    let mut image = true;
    match a {
        Action::Down => st.selected = (st.selected + 1).min(n.saturating_sub(1)),
        Action::Up => st.selected = st.selected.saturating_sub(1),
        Action::PageDown => st.selected = (st.selected + 10).min(n.saturating_sub(1)),
        Action::PageUp => st.selected = st.selected.saturating_sub(10),
        Action::Top => st.selected = 0,
        Action::Bottom => st.selected = n.saturating_sub(1),
        Action::NextQueued | Action::PrevQueued => {
            let vis = visible(app);
            let queued: Vec<usize> = vis
                .iter()
                .enumerate()
                .filter(|(_, fi)| app.data.frames.get(**fi).is_some_and(|f| f.queued))
                .map(|(i, _)| i)
                .collect();
            let cur = app.labels.selected.min(vis.len().saturating_sub(1));
            let next = if a == Action::NextQueued {
                queued.iter().find(|&&i| i > cur).or(queued.first())
            } else {
                queued.iter().rev().find(|&&i| i < cur).or(queued.last())
            };
            match next {
                Some(&i) => app.labels.selected = i,
                None => {
                    app.info("no queued frames (extract some in the Videos view)");
                    image = false;
                }
            }
        }
        Action::ToggleNames => {
            st.names = !st.names;
            image = false;
        }
        Action::ToggleMissingFilter => {
            st.missing_only = !st.missing_only;
            st.selected = 0;
        }
        Action::NextVideo => {
            let vids = videos(app);
            let st = &mut app.labels;
            st.video = match &st.video {
                None => vids.first().cloned(),
                Some(v) => vids
                    .iter()
                    .position(|x| x == v)
                    .and_then(|i| vids.get(i + 1).cloned()),
            };
            st.selected = 0;
        }
        Action::NextModel => {
            let m: Vec<PathBuf> = models_with_preds(app)
                .iter()
                .filter_map(|r| r.predictions.clone())
                .collect();
            let st = &mut app.labels;
            st.second = None;
            st.model = match st.model {
                None if !m.is_empty() => Some(0),
                Some(i) if i + 1 < m.len() => Some(i + 1),
                _ => None,
            };
            match st.model.and_then(|i| m.get(i)) {
                Some(p) => app.push(Effect::LoadPredictions(p.clone())),
                None => app.labels.preds = None,
            }
        }
        Action::ZoomIn => st.zoom = (st.zoom.max(1.0) * 1.5).min(16.0),
        Action::ZoomOut => {
            st.zoom = (st.zoom.max(1.0) / 1.5).max(1.0);
            if st.zoom <= 1.0 {
                st.center = None;
            }
        }
        Action::ZoomReset => {
            st.zoom = 1.0;
            st.center = None;
        }
        Action::PanLeft | Action::PanRight | Action::PanUp | Action::PanDown => pan(app, a),
        Action::EditLabels => {
            crate::tui::state::label_edit::enter(app);
            image = false;
        }
        _ => image = false,
    }
    if image {
        app.push(Effect::RequestImage);
    }
}

fn pan(app: &mut App, a: Action) {
    let (w, h) = app
        .image
        .as_ref()
        .map(|i| i.source_size)
        .filter(|s| s.0 > 0)
        .unwrap_or((400, 400));
    let st = &mut app.labels;
    let zoom = st.zoom.max(1.0);
    let (mut cx, mut cy) = st.center.unwrap_or((w as f64 / 2.0, h as f64 / 2.0));
    let step_x = w as f64 / zoom / 4.0;
    let step_y = h as f64 / zoom / 4.0;
    match a {
        Action::PanLeft => cx -= step_x,
        Action::PanRight => cx += step_x,
        Action::PanUp => cy -= step_y,
        Action::PanDown => cy += step_y,
        _ => {}
    }
    let hw = w as f64 / zoom / 2.0;
    let hh = h as f64 / zoom / 2.0;
    st.center = Some((
        cx.clamp(hw, (w as f64 - hw).max(hw)),
        cy.clamp(hh, (h as f64 - hh).max(hh)),
    ));
}
