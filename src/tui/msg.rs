//! The one message type: every source (keyboard, signals, watcher, workers) sends a `Msg` on
//! one channel, and the event loop is its only consumer.

use crate::tui::scalars::ScalarUpdate;
use crate::watch::WatchMsg;

#[derive(Debug)]
pub enum Msg {
    Input(crossterm::event::Event),
    /// SIGTERM, SIGHUP or SIGINT.
    Signal(i32),
    Watch(WatchMsg),
    Scalars(ScalarUpdate),
    /// A plot the plot worker built for the Curves view (`tui::plots`).
    Plot(Box<crate::tui::plots::Built>),
    /// A background job finished a unit of work the app must pick up (project load etc.).
    Loaded(Box<crate::tui::load::Loaded>),
    Image(Box<crate::tui::image::ImageReady>),
    /// A cursor step's patch over the image the UI holds (edit mode, sixel and kitty).
    ImagePatch(Box<crate::tui::image::PatchReady>),
    /// Progress, log lines and the end of a train/predict job (`tui::job_bridge`).
    Job(crate::tui::state::job_list::JobMsg),
    /// Progress and the end of a frame extraction.
    Extract(crate::tui::state::extract_form::ExtractMsg),
    /// A label file opened or written by the label worker.
    LabelIo(Box<crate::tui::label_io::LabelIoMsg>),
    /// The input thread ended (stdin closed).
    InputClosed,
}
