//! Edit mode of the Labels view: the selected keypoint, a crosshair cursor in source pixels
//! (one pixel a key, ten with shift, finer when zoomed in), placing keypoints with Enter or a
//! mouse click, marking them missing, undo/redo, brightness/contrast and the ±2 context
//! frames (display only), writing with its backup and conflict prompt (reload or keep mine).

use super::label_doc::{Doc, Op, Outcome};
use crate::labels::UndoStack;
use crate::tui::action::Action;
use crate::tui::app::{App, Confirmable, Effect, Overlay, View};
use crate::tui::data::FrameSource;
use crate::tui::image::{EditLook, ImageRequest, Marker};
use ratatui::layout::Rect;
use ratatui_image::picker::ProtocolType;

/// The file changed on disk: what the prompt lists.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictPrompt {
    pub frames: Vec<String>,
    pub gone: bool,
}

pub struct EditSession {
    pub doc: Doc,
    /// The frame's name as the list shows it.
    pub image: String,
    pub source: FrameSource,
    pub keypoint: usize,
    pub cursor: (f64, f64),
    pub undo: UndoStack<Op>,
    pub brightness: f32,
    pub contrast: f32,
    /// The frame shown: -2..=2 around the labeled one.
    pub context: i8,
    pub conflict: Option<ConflictPrompt>,
    /// The last write: "wrote FILE (backup .posedeck-backup/...)".
    pub last_write: Option<String>,
    /// The write on the label worker, if one is in flight.
    pub writing: Option<super::label_write::InFlight>,
}

impl std::fmt::Debug for EditSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditSession")
            .field("image", &self.image)
            .field("keypoint", &self.keypoint)
            .field("cursor", &self.cursor)
            .finish()
    }
}

impl EditSession {
    pub fn n_keypoints(&self, app: &App) -> usize {
        match &self.doc {
            Doc::Csv { doc, .. } => doc.keypoints().len(),
            Doc::Slp { .. } => app.data.keypoints.len(),
        }
    }
    pub fn points(&self, app: &App) -> Vec<Option<(f64, f64)>> {
        self.doc.points(self.n_keypoints(app))
    }
}

/// The session's context in the keymap while it is shown.
pub fn context(app: &App) -> Option<&'static str> {
    let s = app.edit.as_ref()?;
    if app.view != View::Labels {
        return None;
    }
    Some(if s.conflict.is_some() {
        "label-conflict"
    } else {
        "label-edit"
    })
}

/// The frame's source pixel size (from the drawn image, else the blank canvas's).
fn source_size(app: &App, s: &EditSession) -> (f64, f64) {
    if let Some(img) = &app.image
        && img.source_size.0 > 0
    {
        return (img.source_size.0 as f64, img.source_size.1 as f64);
    }
    match &s.source {
        FrameSource::Blank { width, height, .. } | FrameSource::Video { width, height, .. } => {
            (*width as f64, *height as f64)
        }
        _ => (640.0, 480.0),
    }
}

/// `e`: opens the selected frame's label file for editing (read on the label worker; edit
/// mode starts when it is read).
pub fn enter(app: &mut App) {
    let Some(idx) = crate::tui::state::labels::current(app) else {
        app.error("no frame selected");
        return;
    };
    let fr = &app.data.frames[idx];
    let (image, source, origin) = (fr.image.clone(), fr.source.clone(), fr.origin.clone());
    super::label_write::open(app, image, source, origin);
}

/// Edit mode on `doc`, just read for the frame `image`.
pub fn start(app: &mut App, image: String, source: FrameSource, doc: Doc) {
    let mut s = EditSession {
        doc,
        image,
        source,
        keypoint: 0,
        cursor: (0.0, 0.0),
        undo: UndoStack::new(),
        brightness: 0.0,
        contrast: 0.0,
        context: 0,
        conflict: None,
        last_write: None,
        writing: None,
    };
    let (w, h) = source_size(app, &s);
    s.cursor = s
        .points(app)
        .first()
        .copied()
        .flatten()
        .unwrap_or((w / 2.0, h / 2.0));
    app.edit = Some(s);
    app.push(Effect::MouseCapture(true));
    app.push(Effect::RequestImage);
}

fn leave_now(app: &mut App) {
    app.edit = None;
    app.push(Effect::MouseCapture(false));
    app.push(Effect::RequestImage);
}

/// Leaves edit mode, asking first when there are unwritten edits.
pub fn leave(app: &mut App) {
    match &app.edit {
        Some(s) if s.doc.unwritten() => {
            app.overlay = Overlay::Confirm {
                action: Confirmable::DiscardEdits,
                text: format!(
                    "Unwritten edits to {}. Leave edit mode and drop them? (w writes them)",
                    s.doc.file_name()
                ),
            }
        }
        _ => leave_now(app),
    }
}

/// Quitting with unwritten edits asks first; true when the quit was held back.
pub fn guard_quit(app: &mut App) -> bool {
    match &app.edit {
        Some(s) if s.doc.unwritten() => {
            app.overlay = Overlay::Confirm {
                action: Confirmable::QuitDiscard,
                text: format!(
                    "Unwritten edits to {}. Quit and drop them?",
                    s.doc.file_name()
                ),
            };
            true
        }
        _ => false,
    }
}

/// After the confirm prompt: leave (or quit) dropping the edits.
pub fn discard(app: &mut App, quit: bool) {
    leave_now(app);
    if quit {
        // Jobs still running get their own question.
        crate::tui::state::quit_jobs::quit(app);
    } else {
        app.info("edits dropped");
    }
}

/// Cursor step in source pixels: one pixel, finer when zoomed in (halves at 2x, quarters
/// at 4x and beyond).
pub fn step(zoom: f64) -> f64 {
    if zoom >= 4.0 {
        0.25
    } else if zoom >= 2.0 {
        0.5
    } else {
        1.0
    }
}

fn move_cursor(app: &mut App, dx: f64, dy: f64) {
    let zoom = app.labels.zoom.max(1.0);
    let Some(s) = app.edit.as_ref() else { return };
    let (w, h) = source_size(app, s);
    let st = step(zoom);
    let (cx, cy) = s.cursor;
    let c = ((cx + dx * st).clamp(0.0, w), (cy + dy * st).clamp(0.0, h));
    if let Some(s) = app.edit.as_mut() {
        s.cursor = c;
    }
    follow(app);
}

/// When zoomed in, keeps the cursor in view (recentres on it when it leaves the middle 80%).
fn follow(app: &mut App) {
    let zoom = app.labels.zoom.max(1.0);
    let Some(s) = app.edit.as_ref() else { return };
    if zoom <= 1.0 {
        return;
    }
    let (w, h) = source_size(app, s);
    let (cx, cy) = app.labels.center.unwrap_or((w / 2.0, h / 2.0));
    let (hw, hh) = (w / zoom / 2.0 * 0.8, h / zoom / 2.0 * 0.8);
    let (x, y) = s.cursor;
    if (x - cx).abs() > hw || (y - cy).abs() > hh {
        app.labels.center = Some((x, y));
    }
}

fn select(app: &mut App, k: usize) {
    let Some(s) = app.edit.as_ref() else { return };
    let p = s.points(app).get(k).copied().flatten();
    if let Some(s) = app.edit.as_mut() {
        s.keypoint = k;
        if let Some(p) = p {
            s.cursor = p;
        }
    }
    follow(app);
}

fn record(app: &mut App, r: Result<Option<Op>, String>) {
    let Some(s) = app.edit.as_mut() else { return };
    match r {
        Ok(Some(op)) => {
            s.undo.push(op);
            s.conflict = None;
        }
        Ok(None) => {}
        Err(e) => app.error(e),
    }
}

/// Places the selected keypoint at source pixel `at` (a click, or the cursor with Enter).
pub fn place(app: &mut App, at: (f64, f64)) {
    let Some(s) = app.edit.as_mut() else { return };
    s.cursor = at;
    let k = s.keypoint;
    let r = s.doc.set_point(k, Some(at));
    record(app, r);
}

/// A mouse click at screen cell (`col`, `row`): places the selected keypoint on the source
/// pixel under it (rounded to 0.01 px). Outside the image nothing happens.
pub fn click(app: &mut App, col: u16, row: u16) -> bool {
    let body = crate::tui::views::body_rect(app.screen);
    let (_, area, _) = crate::tui::frames::labels_layout(body);
    let Some(img) = &app.image else { return false };
    if img.cells != (area.width, area.height) {
        return false;
    }
    let Some((x, y)) = img.placement.cell_to_source(area, col, row) else {
        return false;
    };
    let r2 = |v: f64| (v * 100.0).round() / 100.0;
    place(app, (r2(x), r2(y)));
    app.push(Effect::RequestImage);
    true
}

/// A key the keymap does not bind in edit mode: the keypoint whose Label Studio hotkey it is.
pub fn hotkey(app: &mut App, key: &crate::tui::keymap::Key) -> bool {
    let crossterm::event::KeyCode::Char(c) = key.code else {
        return false;
    };
    let hit = app.data.keypoint_hotkeys.iter().position(|h| {
        h.as_deref()
            .is_some_and(|h| h.chars().eq(std::iter::once(c)))
    });
    match hit {
        Some(k) => {
            select(app, k);
            app.push(Effect::RequestImage);
            true
        }
        None => false,
    }
}

fn undo_redo(app: &mut App, forward: bool) {
    let Some(s) = app.edit.as_mut() else { return };
    let op = if forward {
        s.undo.redo()
    } else {
        s.undo.undo()
    };
    let Some(op) = op else {
        app.info(if forward {
            "nothing to redo"
        } else {
            "nothing to undo"
        });
        return;
    };
    match s.doc.apply(&op, forward) {
        Ok(Some(k)) => {
            s.keypoint = k;
            if let Some(Some(p)) = s.doc.points(k + 1).get(k) {
                s.cursor = *p;
            }
        }
        Ok(None) => {}
        Err(e) => app.error(e),
    }
}

/// A write's outcome shown (and, written, the undo stack's clean state set: at `checkpoint`
/// when the write covered a snapshot taken there, else now).
pub fn written(
    app: &mut App,
    o: Result<Outcome, String>,
    checkpoint: Option<crate::labels::undo::Checkpoint>,
) {
    let Some(s) = app.edit.as_mut() else { return };
    let file = s.doc.file_name();
    match o {
        Ok(Outcome::Written { backup, warnings }) => {
            s.conflict = None;
            match checkpoint {
                Some(c) => s.undo.mark_saved_at(c),
                None => s.undo.mark_saved(),
            }
            let b = backup.map_or(String::new(), |b| {
                let name = b.file_name().map(|n| n.to_string_lossy().into_owned());
                format!(" (backup .posedeck-backup/{})", name.unwrap_or_default())
            });
            let w = if warnings.is_empty() {
                String::new()
            } else {
                format!("; {}", warnings.join("; "))
            };
            let line = format!("wrote {file}{b}{w}");
            s.last_write = Some(line.clone());
            app.info(line);
            app.push(Effect::ReloadProject);
        }
        Ok(Outcome::Conflict { frames, gone }) => {
            s.conflict = Some(ConflictPrompt { frames, gone });
            app.error(format!("{file} changed on disk: not written"));
        }
        Err(e) => app.error(format!("not written: {e}")),
    }
}

fn context_step(app: &mut App, d: i8) {
    let Some(s) = app.edit.as_mut() else { return };
    let want = (s.context + d).clamp(-2, 2);
    if want == s.context {
        app.info("context frames reach ±2");
        return;
    }
    if want == 0 || context_source(&s.source, want).is_some() {
        s.context = want;
    } else {
        app.info(format!("no context frame {want:+} for this frame"));
    }
}

/// The frame `k` frames from `src` when it exists: the image file with the frame number in
/// its name moved by `k` (same zero padding), or the video frame.
pub fn context_source(src: &FrameSource, k: i8) -> Option<FrameSource> {
    match src {
        FrameSource::File(p) => {
            let stem = p.file_stem()?.to_str()?;
            let digits = stem
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits == 0 {
                return None;
            }
            let (head, num) = stem.split_at(stem.len() - digits);
            let n = num.parse::<i64>().ok()? + k as i64;
            if n < 0 {
                return None;
            }
            let ext = p.extension().map(|e| format!(".{}", e.to_string_lossy()));
            let name = format!("{head}{n:0digits$}{}", ext.unwrap_or_default());
            let q = p.with_file_name(name);
            q.is_file().then_some(FrameSource::File(q))
        }
        FrameSource::Video {
            path,
            frame,
            width,
            height,
        } => {
            let f = *frame as i64 + k as i64;
            (f >= 0).then(|| FrameSource::Video {
                path: path.clone(),
                frame: f as u64,
                width: *width,
                height: *height,
            })
        }
        _ => None,
    }
}

/// An action in edit mode (or in its conflict prompt).
pub fn on_action(app: &mut App, a: Action) {
    let Some(s) = app.edit.as_mut() else { return };
    let n = match &s.doc {
        Doc::Csv { doc, .. } => doc.keypoints().len(),
        Doc::Slp { .. } => app.data.keypoints.len(),
    }
    .max(1);
    match a {
        Action::Back => {
            if s.conflict.take().is_none() && !super::label_write::hold_leave(app) {
                leave(app);
            }
        }
        Action::Cancel => s.conflict = None,
        Action::KeypointNext => {
            let k = (s.keypoint + 1) % n;
            select(app, k)
        }
        Action::KeypointPrev => {
            let k = (s.keypoint + n - 1) % n;
            select(app, k)
        }
        Action::CursorLeft => move_cursor(app, -1.0, 0.0),
        Action::CursorRight => move_cursor(app, 1.0, 0.0),
        Action::CursorUp => move_cursor(app, 0.0, -1.0),
        Action::CursorDown => move_cursor(app, 0.0, 1.0),
        Action::CursorLeftFar => move_cursor(app, -10.0, 0.0),
        Action::CursorRightFar => move_cursor(app, 10.0, 0.0),
        Action::CursorUpFar => move_cursor(app, 0.0, -10.0),
        Action::CursorDownFar => move_cursor(app, 0.0, 10.0),
        Action::PlaceKeypoint | Action::Select => {
            let c = s.cursor;
            place(app, c)
        }
        Action::MarkMissing => {
            let k = s.keypoint;
            let r = s.doc.set_point(k, None);
            record(app, r)
        }
        Action::Undo => undo_redo(app, false),
        Action::Redo => undo_redo(app, true),
        Action::WriteLabels => super::label_write::write(app),
        Action::KeepMine | Action::ReloadLabels if s.writing.is_some() => {
            let file = s.doc.file_name();
            app.info(format!("writing {file}…: wait for the write to land"));
        }
        Action::KeepMine => {
            let o = s.doc.keep_mine();
            written(app, o, None);
            if let Some(s) = app.edit.as_mut() {
                s.undo = UndoStack::new();
            }
        }
        Action::ReloadLabels => match s.doc.reload() {
            Ok(()) => {
                s.conflict = None;
                s.undo = UndoStack::new();
                app.info("reloaded from disk; your edits were dropped");
                app.push(Effect::ReloadProject);
            }
            Err(e) => app.error(e),
        },
        Action::BrightnessUp => s.brightness = (s.brightness + 0.1).min(0.9),
        Action::BrightnessDown => s.brightness = (s.brightness - 0.1).max(-0.9),
        Action::ContrastUp => s.contrast = (s.contrast + 0.2).min(3.0),
        Action::ContrastDown => s.contrast = (s.contrast - 0.2).max(-0.8),
        Action::ContextNext => context_step(app, 1),
        Action::ContextPrev => context_step(app, -1),
        Action::ZoomIn | Action::ZoomOut | Action::ZoomReset => {
            crate::tui::state::labels::on_action(app, a);
            if app.labels.zoom > 1.0
                && let Some(s) = &app.edit
            {
                app.labels.center = Some(s.cursor);
            }
        }
        Action::AddInstance | Action::DeleteInstance | Action::NextInstance => {
            super::label_instances::on_action(app, a)
        }
        _ => return,
    }
    app.push(Effect::RequestImage);
}

/// The request for the frame in edit mode: its labels (the edited instance first, one marker
/// per keypoint, so the selected one can be ringed), other instances, the cursor.
pub fn request(app: &App, body: Rect, protocol: ProtocolType) -> Option<ImageRequest> {
    let s = app.edit.as_ref()?;
    let (_, img, _) = crate::tui::frames::labels_layout(body);
    let rgb = |i| crate::tui::frames::keypoint_rgb(app, i);
    let pts = s.points(app);
    let mut markers: Vec<Marker> = pts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = p.unwrap_or((f64::NAN, f64::NAN));
            Marker {
                x,
                y,
                rgb: rgb(i),
                hollow: false,
            }
        })
        .collect();
    let mut lines = Vec::new();
    let (users, preds) = s.doc.others();
    crate::tui::frames::instance_markers(app, &users, false, &mut markers);
    crate::tui::frames::instance_markers(app, &preds, true, &mut markers);
    crate::tui::frames::skeleton_lines(app, std::iter::once(&pts).chain(users.iter()), &mut lines);
    let source = match s.context {
        0 => s.source.clone(),
        k => context_source(&s.source, k).unwrap_or_else(|| s.source.clone()),
    };
    Some(ImageRequest {
        source,
        markers,
        lines,
        zoom: app.labels.zoom.max(1.0),
        center: app.labels.center,
        cells: (img.width, img.height),
        protocol,
        look: EditLook {
            cursor: Some(s.cursor),
            highlight: Some(s.keypoint),
            brightness: s.brightness,
            contrast: s.contrast,
            // The base and crosshair on screen: a cursor step only patches them.
            shown: app.image.as_ref().and_then(|i| {
                Some(crate::tui::image::Shown {
                    base: i.base_id?,
                    cross: i.patch.as_ref()?.cross,
                })
            }),
        },
    })
}

/// The status bar's edit line: keypoint, cursor pixel, unwritten-edits marker.
pub fn status_text(app: &App) -> Option<String> {
    let s = app.edit.as_ref()?;
    let name = app
        .data
        .keypoints
        .get(s.keypoint)
        .cloned()
        .unwrap_or_else(|| format!("#{}", s.keypoint));
    let mark = match &s.writing {
        Some(_) if super::label_write::edited_since_snapshot(s) => " ● unwritten · writing…",
        Some(_) => " · writing…",
        None if s.doc.unwritten() => " ● unwritten",
        None => "",
    };
    Some(format!(
        "EDIT {} x {:.2} y {:.2}{mark}",
        crate::sanitize::clean(&name),
        s.cursor.0,
        s.cursor.1
    ))
}
