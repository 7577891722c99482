//! Edit mode's file work on the label worker ([`crate::tui::label_io`]): opening the frame's
//! label file (`e`) and writing it (`w`). The UI thread never reads or writes the file: it
//! takes a snapshot and goes on. While a write is in flight the status bar says `writing…`,
//! edits go on (they stay unwritten edits: the write covers the snapshot it took; the undo
//! history is kept), `w` again writes once more when it lands, leaving edit mode waits for it,
//! and quitting waits for it (the file is replaced whole or not at all).

use super::label_edit::EditSession;
use crate::labels::undo::Checkpoint;
use crate::tui::app::{App, Effect};
use crate::tui::data::{FrameOrigin, FrameSource};
use crate::tui::label_io::{JobSlot, LabelIoMsg, LabelJob};
use std::time::Instant;

/// A write on the worker.
#[derive(Debug, Clone)]
pub struct InFlight {
    pub id: u64,
    pub checkpoint: Checkpoint,
    pub started: Instant,
    /// `w` was pressed again meanwhile: write once more when this one lands.
    pub again: bool,
    /// Esc was pressed meanwhile: leave edit mode when it lands (if nothing is unwritten).
    pub leave: bool,
}

/// A label file being opened for edit mode.
#[derive(Debug, Clone)]
pub struct Opening {
    pub id: u64,
    pub image: String,
    pub source: FrameSource,
    pub file: String,
}

fn next_id(app: &mut App) -> u64 {
    app.label_jobs += 1;
    app.label_jobs
}

/// `e`: asks the worker to open the frame's label file; edit mode starts when it is read.
pub fn open(app: &mut App, image: String, source: FrameSource, origin: FrameOrigin) {
    let file = match &origin {
        FrameOrigin::None => {
            app.error("cannot edit: this frame's labels are not stored in a label file");
            return;
        }
        FrameOrigin::Csv { file, .. } | FrameOrigin::Slp { file, .. } => {
            file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into(),
            )
        }
    };
    let id = next_id(app);
    app.info(format!("opening {}…", crate::sanitize::clean(&file)));
    app.edit_opening = Some(Opening {
        id,
        image,
        source,
        file,
    });
    app.push(Effect::LabelIo(JobSlot::new(LabelJob::Open { id, origin })));
}

/// Esc while a file is being opened: edit mode will not start.
pub fn cancel_open(app: &mut App) -> bool {
    match app.edit_opening.take() {
        Some(o) => {
            app.info(format!(
                "edit of {} canceled",
                crate::sanitize::clean(&o.file)
            ));
            true
        }
        None => false,
    }
}

/// `w`: writes a snapshot of the document on the worker (or once more after the one in flight).
pub fn write(app: &mut App) {
    let id = next_id(app);
    let Some(s) = app.edit.as_mut() else { return };
    if let Some(w) = &mut s.writing {
        w.again = true;
        let file = s.doc.file_name();
        app.info(format!(
            "writing {file}…: written again with the newer edits when this write lands"
        ));
        return;
    }
    let job = s.doc.begin_write();
    s.writing = Some(InFlight {
        id,
        checkpoint: s.undo.checkpoint(),
        started: Instant::now(),
        again: false,
        leave: false,
    });
    app.push(Effect::LabelIo(JobSlot::new(LabelJob::Write { id, job })));
}

/// Whether a write is in flight.
pub fn writing(app: &App) -> bool {
    app.edit.as_ref().is_some_and(|s| s.writing.is_some())
}

/// Esc while writing: leave once the write lands. True when held back.
pub fn hold_leave(app: &mut App) -> bool {
    let Some(s) = app.edit.as_mut() else {
        return false;
    };
    let Some(w) = &mut s.writing else {
        return false;
    };
    w.leave = true;
    let file = s.doc.file_name();
    app.info(format!(
        "writing {file}…: edit mode ends when the write lands"
    ));
    true
}

/// `q` while writing: quit once the write lands (it is never cut short). True when held back.
pub fn hold_quit(app: &mut App) -> bool {
    if !writing(app) {
        return false;
    }
    app.quit_after_write = true;
    if let Some(s) = &app.edit {
        let file = s.doc.file_name();
        app.info(format!("writing {file}…: quitting when the write lands"));
    }
    true
}

/// A result from the label worker.
pub fn on_msg(app: &mut App, m: LabelIoMsg) -> bool {
    match m {
        LabelIoMsg::Opened { id, result } => {
            let Some(o) = app.edit_opening.take_if(|o| o.id == id) else {
                return false; // canceled (Esc) or superseded
            };
            match result {
                Ok(doc) => {
                    app.note = None;
                    super::label_edit::start(app, o.image, o.source, *doc)
                }
                Err(e) => app.error(format!("cannot edit: {e}")),
            }
        }
        LabelIoMsg::Written { id, result } => {
            let Some(s) = app.edit.as_mut() else {
                return false;
            };
            let Some(w) = s.writing.take_if(|w| w.id == id) else {
                return false;
            };
            let o = result.and_then(|done| s.doc.finish_write(done));
            let ok = matches!(o, Ok(super::label_doc::Outcome::Written { .. }));
            super::label_edit::written(app, o, Some(w.checkpoint));
            let unwritten = app.edit.as_ref().is_some_and(|s| s.doc.unwritten());
            if w.again && ok && unwritten {
                write(app);
            } else if app.quit_after_write {
                app.quit_after_write = false;
                app.run(crate::tui::action::Action::Quit);
            } else if w.leave {
                super::label_edit::leave(app);
            }
        }
    }
    true
}

/// The status bar's word for the worker: `writing FILE…` / `opening FILE…`.
pub fn status_text(app: &App) -> Option<String> {
    if let Some(s) = &app.edit
        && s.writing.is_some()
    {
        return Some(format!("writing {}…", s.doc.file_name()));
    }
    app.edit_opening
        .as_ref()
        .map(|o| format!("opening {}…", crate::sanitize::clean(&o.file)))
}

/// Unwritten edits made since the write in flight took its snapshot.
pub fn edited_since_snapshot(s: &EditSession) -> bool {
    s.writing
        .as_ref()
        .is_some_and(|w| s.undo.changed_since(w.checkpoint))
}
