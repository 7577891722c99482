//! Builds the image requests of the Labels and Videos views from the app state: which frame,
//! which keypoints in which colours, which error lines, and the cell area to fill.

use crate::tui::app::{App, View};
use crate::tui::data::FrameSource;
use crate::tui::image::{ImageRequest, Marker};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui_image::picker::ProtocolType;

/// Splits the Labels body into (frame list, image, legend).
pub fn labels_layout(body: Rect) -> (Rect, Rect, Rect) {
    let list_w = if body.width >= 120 { 30 } else { 22 }.min(body.width / 3);
    let legend_w = if body.width >= 100 { 30 } else { 0 };
    let [a, b, c] = Layout::horizontal([
        Constraint::Length(list_w),
        Constraint::Min(4),
        Constraint::Length(legend_w),
    ])
    .areas(body);
    (a, inner(b), c)
}

/// Splits the Videos body into (info line, image, timelines).
pub fn videos_layout(body: Rect) -> (Rect, Rect, Rect) {
    let tl = if body.height >= 30 { 8 } else { 4 };
    let [a, b, c] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(tl),
    ])
    .areas(body);
    (a, inner(b), c)
}

/// The image area inside its one-cell frame.
fn inner(r: Rect) -> Rect {
    Rect {
        x: r.x + 1,
        y: r.y + 1,
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(2),
    }
}

/// RGB of keypoint `i`: Label Studio colour, else the theme's colour-blind-safe palette.
pub fn keypoint_rgb(app: &App, i: usize) -> [u8; 3] {
    if let Some(Some(c)) = app.data.keypoint_rgb.get(i) {
        return *c;
    }
    match app
        .theme
        .keypoints
        .get(i % app.theme.keypoints.len().max(1))
    {
        Some(ratatui::style::Color::Rgb(r, g, b)) => [*r, *g, *b],
        _ => OKABE_ITO[i % OKABE_ITO.len()],
    }
}

const OKABE_ITO: [[u8; 3]; 8] = [
    [230, 159, 0],
    [86, 180, 233],
    [0, 158, 115],
    [240, 228, 66],
    [0, 114, 178],
    [213, 94, 0],
    [204, 121, 167],
    [255, 255, 255],
];

/// The request for the current view's frame, or `None` when there is nothing to draw.
pub fn request(app: &App, body: Rect, protocol: ProtocolType) -> Option<ImageRequest> {
    match app.view {
        View::Labels => labels_request(app, body, protocol),
        View::Videos => videos_request(app, body, protocol),
        _ => None,
    }
}

type Points = Vec<Option<(f64, f64)>>;

/// The colour of a second model's markers (run B opened from Compare).
pub const SECOND_MODEL_RGB: [u8; 3] = [255, 255, 255];

/// One marker per placed keypoint of each instance, in its keypoint's colour (`hollow` for
/// predicted instances).
pub fn instance_markers(app: &App, insts: &[Points], hollow: bool, markers: &mut Vec<Marker>) {
    for inst in insts {
        for (i, p) in inst.iter().enumerate() {
            if let Some((x, y)) = p {
                markers.push(Marker {
                    x: *x,
                    y: *y,
                    rgb: keypoint_rgb(app, i),
                    hollow,
                });
            }
        }
    }
}

/// The skeleton's edges between placed keypoints of each instance, in grey.
pub fn skeleton_lines<'a>(
    app: &App,
    insts: impl IntoIterator<Item = &'a Points>,
    lines: &mut Vec<crate::tui::image::Line>,
) {
    for inst in insts {
        for (a, b) in &app.data.edges {
            if let (Some(Some(pa)), Some(Some(pb))) = (inst.get(*a), inst.get(*b)) {
                lines.push((*pa, *pb, [160, 160, 160]));
            }
        }
    }
}

fn labels_request(app: &App, body: Rect, protocol: ProtocolType) -> Option<ImageRequest> {
    if app.edit.is_some() {
        return crate::tui::state::label_edit::request(app, body, protocol);
    }
    let (_, img, _) = labels_layout(body);
    let idx = crate::tui::state::labels::current(app)?;
    let fr = app.data.frames.get(idx)?;
    let mut markers = Vec::new();
    let mut lines = Vec::new();
    let preds = match &app.labels.preds {
        Some((_, Ok(p))) => p.get(&fr.image),
        _ => None,
    };
    for (i, p) in fr.points.iter().enumerate() {
        let rgb = keypoint_rgb(app, i);
        if let Some((x, y)) = p {
            markers.push(Marker {
                x: *x,
                y: *y,
                rgb,
                hollow: false,
            });
        } else {
            markers.push(Marker {
                x: f64::NAN,
                y: f64::NAN,
                rgb,
                hollow: false,
            });
        }
    }
    if let Some(pr) = preds {
        for (i, p) in pr.iter().enumerate() {
            let rgb = keypoint_rgb(app, i);
            if let Some((x, y, _)) = p {
                markers.push(Marker {
                    x: *x,
                    y: *y,
                    rgb,
                    hollow: true,
                });
                if let Some(Some((lx, ly))) = fr.points.get(i) {
                    lines.push(((*lx, *ly), (*x, *y), [255, 64, 64]));
                }
            }
        }
    }
    // Run B of a comparison: hollow in one colour, its error lines blue.
    if let Some(pb) = crate::tui::state::labels::second_preds(app, &fr.image) {
        for (i, p) in pb.iter().enumerate() {
            if let Some((x, y, _)) = p {
                markers.push(Marker {
                    x: *x,
                    y: *y,
                    rgb: SECOND_MODEL_RGB,
                    hollow: true,
                });
                if let Some(Some((lx, ly))) = fr.points.get(i) {
                    lines.push(((*lx, *ly), (*x, *y), [64, 160, 255]));
                }
            }
        }
    }
    // Other labeled instances filled, the file's predicted instances hollow.
    instance_markers(app, &fr.others, false, &mut markers);
    instance_markers(app, &fr.predicted, true, &mut markers);
    skeleton_lines(
        app,
        std::iter::once(&fr.points).chain(fr.others.iter()),
        &mut lines,
    );
    let source = fr.source.clone();
    Some(ImageRequest {
        source,
        markers,
        lines,
        zoom: app.labels.zoom.max(1.0),
        center: app.labels.center,
        cells: (img.width, img.height),
        protocol,
        look: Default::default(),
    })
}

fn videos_request(app: &App, body: Rect, protocol: ProtocolType) -> Option<ImageRequest> {
    let (_, img, _) = videos_layout(body);
    let preds = match &app.videos.preds {
        Some((_, Ok(p))) => Some(p),
        _ => None,
    };
    let markers: Vec<Marker> = preds
        .and_then(|p| p.frames.get(app.videos.frame))
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, k)| {
                    let (x, y) = k.map(|(x, y, _)| (x, y)).unwrap_or((f64::NAN, f64::NAN));
                    Marker {
                        x,
                        y,
                        rgb: keypoint_rgb(app, i),
                        hollow: false,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let row = video_row(app);
    if preds.is_none() && row.is_none() {
        return None;
    }
    let (w, h) = video_size(app);
    let frame = app.videos.frame;
    let source = match row {
        Some(v) if !v.frame_files.is_empty() => match v.frame_files.get(frame) {
            Some(p) => FrameSource::File(p.clone()),
            None => FrameSource::Blank {
                width: w,
                height: h,
                why: format!(
                    "frame {frame} is past the folder's {} images",
                    v.frame_files.len()
                ),
            },
        },
        Some(v) if has_file(v) => FrameSource::Video {
            path: v.path.clone(),
            frame: frame as u64,
            width: w,
            height: h,
        },
        _ => FrameSource::Blank {
            width: w,
            height: h,
            why: "no frame: the video file is missing".into(),
        },
    };
    Some(ImageRequest {
        source,
        markers,
        lines: Vec::new(),
        zoom: 1.0,
        center: None,
        cells: (img.width, img.height),
        protocol,
        look: Default::default(),
    })
}

/// The project's video (file or frame folder) of the selected video name, when there is one.
pub fn video_row(app: &App) -> Option<&crate::tui::data::VideoRow> {
    let names = crate::tui::state::videos::video_names(app);
    let name = names.get(app.videos.video)?;
    app.data.videos.iter().find(|v| {
        std::path::Path::new(&v.file)
            .file_stem()
            .is_some_and(|s| s.to_string_lossy() == name.as_str())
    })
}

/// The frame size of the selected video: from its boxes or images when known, else the
/// extent of the predictions (rounded up), else 640x480.
pub fn video_size(app: &App) -> (u32, u32) {
    if let Some(v) = video_row(app)
        && let (Some(w), Some(h)) = (v.width, v.height)
    {
        return (w as u32, h as u32);
    }
    if let Some((_, Ok(p))) = &app.videos.preds {
        let (mut mx, mut my) = (0.0f64, 0.0f64);
        for row in &p.frames {
            for (x, y, _) in row.iter().flatten() {
                if x.is_finite() && y.is_finite() {
                    mx = mx.max(*x);
                    my = my.max(*y);
                }
            }
        }
        if mx > 0.0 && my > 0.0 {
            return ((mx * 1.05).ceil() as u32, (my * 1.05).ceil() as u32);
        }
    }
    (640, 480)
}

/// Whether the selected video's frames can be shown: a video file or a frame folder was found
/// when the project was read (no file-system call here: this runs on the UI thread at every
/// redraw; a file gone since then shows its error from the image worker).
pub fn video_present(app: &App) -> bool {
    video_row(app).is_some_and(|v| !v.frame_files.is_empty() || has_file(v))
}

/// A video row whose file was found (a `.slp` video that was not found has no path).
fn has_file(v: &crate::tui::data::VideoRow) -> bool {
    !v.path.as_os_str().is_empty()
}
