//! The application state and its update function. `App::handle` takes one message, changes
//! state, queues side effects for the runner (worker requests, file actions) and says whether
//! anything visible changed. Views read `&App` and never mutate it.

use crate::tui::action::Action;
use crate::tui::keymap::{Key, Keymap, Lookup};
use crate::tui::msg::Msg;
use crate::tui::scalars::ScalarStore;
use crate::tui::state::curves::CurvesState;
use crate::tui::theme::Theme;
use crate::watch::WatchMsg;
use crossterm::event::{Event, KeyEventKind};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Overview,
    Labels,
    Models,
    Curves,
    Videos,
    Jobs,
}

impl View {
    pub const ALL: [View; 6] = [
        View::Overview,
        View::Labels,
        View::Models,
        View::Curves,
        View::Videos,
        View::Jobs,
    ];
    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Labels => "Labels",
            View::Models => "Models",
            View::Curves => "Curves",
            View::Videos => "Videos",
            View::Jobs => "Jobs",
        }
    }
    /// The keymap section of this view.
    pub fn section(self) -> &'static str {
        match self {
            View::Overview => "overview",
            View::Labels => "labels",
            View::Models => "models",
            View::Curves => "curves",
            View::Videos => "videos",
            View::Jobs => "jobs",
        }
    }
    fn index(self) -> usize {
        View::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }
    fn step(self, d: isize) -> View {
        let n = View::ALL.len() as isize;
        View::ALL[((self.index() as isize + d).rem_euclid(n)) as usize]
    }
}

/// A popup over the current view; Esc closes the top one.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    Palette {
        input: String,
        selected: usize,
    },
    Filter {
        input: String,
        before: String,
    },
    Confirm {
        action: Confirmable,
        text: String,
    },
    Goto {
        input: String,
    },
    TrainForm(crate::tui::state::train_form::TrainForm),
    ExtractForm(crate::tui::state::extract_form::ExtractForm),
    /// Quitting with jobs not ended: keep them running or cancel them.
    QuitJobs {
        running: usize,
        cancel_default: bool,
    },
}

/// Destructive actions go through one confirm popup.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirmable {
    TrashRun(PathBuf),
    CancelJob(u64),
    /// Leave label edit mode dropping unwritten edits.
    DiscardEdits,
    /// Quit dropping unwritten label edits.
    QuitDiscard,
}

/// Work the runner carries out for the app (workers, file actions).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Re-read the project model (after a structural change).
    ReloadProject,
    /// Re-read one run (status change, new files).
    RefreshRun(PathBuf),
    /// Read what was appended to an events file.
    ReadEvents(PathBuf),
    /// After a project (re)load: read every run's events files (only new bytes) and make
    /// sure the watcher covers the project's folders.
    ReadAllEvents,
    /// Move a run folder to the project's trash folder.
    TrashRun(PathBuf),
    /// Follow every job found in the project's folders (on the first load).
    AttachJobs(PathBuf),
    /// Ask the image worker for the current frame.
    RequestImage,
    /// Change the image protocol (cycled with a key).
    CycleProtocol,
    /// Read a model's predictions on the labeled frames.
    LoadPredictions(PathBuf),
    /// Read a model's predictions on a video.
    LoadVideoPreds(PathBuf),
    /// Compare runs' pixel errors (name, run folder), A first.
    LoadCompare(Vec<(String, PathBuf)>),
    /// Start a train/predict job on a background thread (the device is free).
    StartJob {
        id: u64,
        spec: crate::tui::state::job_list::JobSpec,
    },
    /// Tell a running job to stop after its current step.
    CancelJob(u64),
    /// Turn the terminal's mouse reporting on (label edit mode) or off.
    MouseCapture(bool),
    /// Write the Curves view's figure (PNG + CSV) on a background thread.
    ExportCurves(Box<crate::tui::export::ExportJob>),
    /// Open or write a label file on the label worker.
    LabelIo(crate::tui::label_io::JobSlot),
    /// Choose, write and queue frames to label on a background thread (canceled by the flag).
    Extract(
        Box<crate::labels::extract::Request>,
        crate::tui::state::extract_form::CancelFlag,
    ),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Severity {
    Info,
    Error,
}

pub struct App {
    pub view: View,
    pub overlay: Overlay,
    pub keymap: Keymap,
    pub theme: Theme,
    pending: Vec<Key>,
    /// Shown in the status bar (project name or path).
    pub title: String,
    pub loading: bool,
    pub spinner: usize,
    pub data: crate::tui::data::Data,
    pub scalars: ScalarStore,
    pub curves: CurvesState,
    /// The Curves view's plots as the plot worker built them (never built while drawing).
    pub plots: crate::tui::plots::PlotStore,
    pub models: crate::tui::state::models::ModelsState,
    pub labels: crate::tui::state::labels::LabelsState,
    pub videos: crate::tui::state::videos::VideosState,
    /// The train/predict jobs started from the workstation.
    pub jobs: crate::tui::state::job_list::JobList,
    /// The running frame extraction's progress.
    pub extraction: Option<crate::tui::state::extract_form::ExtractProgress>,
    /// Its cancel flag (set by Esc / `c` in the Videos view).
    pub extract_cancel: Option<crate::tui::state::extract_form::CancelFlag>,
    pub overview_scroll: usize,
    pub note: Option<(Severity, String)>,
    /// "inotify" or "polling (nfs)".
    pub watch_mode: String,
    /// Current image protocol name.
    pub protocol: String,
    pub image: Option<crate::tui::image::ImageReady>,
    pub image_gen: u64,
    pub quit: Option<i32>,
    /// Label edit mode of the Labels view.
    pub edit: Option<crate::tui::state::label_edit::EditSession>,
    /// The label file being opened for edit mode (on the label worker).
    pub edit_opening: Option<crate::tui::state::label_write::Opening>,
    /// Jobs given to the label worker so far (their ids).
    pub label_jobs: u64,
    /// `q` was pressed while a label write was in flight: quit when it lands.
    pub quit_after_write: bool,
    /// The screen's size (as of the last draw), to map mouse clicks.
    pub screen: ratatui::layout::Rect,
    /// The quit question's default is to cancel the jobs (`posedeck demo`).
    pub quit_cancels_jobs: bool,

    effects: Vec<Effect>,
}

impl App {
    pub fn new(title: String, keymap: Keymap, theme: Theme) -> App {
        App {
            view: View::Overview,
            overlay: Overlay::None,
            keymap,
            theme,
            pending: Vec::new(),
            title,
            loading: true,
            spinner: 0,
            data: Default::default(),
            scalars: ScalarStore::default(),
            curves: CurvesState::default(),
            plots: Default::default(),
            models: Default::default(),
            labels: Default::default(),
            videos: Default::default(),
            jobs: Default::default(),
            extraction: None,
            extract_cancel: None,
            overview_scroll: 0,
            note: None,
            watch_mode: String::new(),
            protocol: "halfblocks".into(),
            image: None,
            image_gen: 0,
            quit: None,
            edit: None,
            edit_opening: None,
            label_jobs: 0,
            quit_after_write: false,
            screen: ratatui::layout::Rect::new(0, 0, 80, 24),
            quit_cancels_jobs: false,

            effects: Vec::new(),
        }
    }

    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    pub(crate) fn push(&mut self, e: Effect) {
        if !self.effects.contains(&e) {
            self.effects.push(e);
        }
    }

    pub fn info(&mut self, s: impl Into<String>) {
        self.note = Some((Severity::Info, s.into()));
    }
    pub fn error(&mut self, s: impl Into<String>) {
        self.note = Some((Severity::Error, s.into()));
    }

    /// The keymap section in effect (a confirm popup is modal).
    pub fn context(&self) -> (&'static str, bool) {
        if !matches!(self.overlay, Overlay::Confirm { .. })
            && let Some(c) = crate::tui::state::label_edit::context(self)
        {
            return (c, true);
        }
        match self.overlay {
            Overlay::Confirm { .. } => ("confirm", true),
            _ if self.view == View::Models && self.models.compare.is_some() => ("compare", false),
            _ => (self.view.section(), false),
        }
    }

    /// Handles one message; returns true when the screen must be redrawn.
    pub fn handle(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Input(Event::Key(k)) => {
                if k.kind == KeyEventKind::Release {
                    return false;
                }
                self.on_key(k);
                true
            }
            Msg::Input(Event::Resize(..)) => true,
            Msg::Input(Event::Mouse(m)) => self.on_mouse(m),
            Msg::Input(_) => false,
            Msg::InputClosed => {
                self.quit = Some(0);
                false
            }
            Msg::Signal(s) => {
                self.quit = Some(128 + s);
                false
            }
            Msg::Watch(w) => self.on_watch(w),
            Msg::Scalars(u) => {
                // Tags, runs and errors show at once; the plots follow from the plot worker.
                self.scalars.apply(u);
                self.view == View::Curves
            }
            Msg::Plot(p) => self.plots.accept(*p) && self.view == View::Curves,
            Msg::Loaded(l) => {
                crate::tui::load::apply(self, *l);
                true
            }
            // The status bar shows the running job's progress in every view.
            Msg::Job(j) => crate::tui::state::job_list::on_msg(self, j),
            Msg::Extract(m) => crate::tui::state::extract_form::on_msg(self, m),
            Msg::LabelIo(m) => crate::tui::state::label_write::on_msg(self, *m),
            Msg::Image(img) => {
                if img.generation == self.image_gen {
                    self.image = Some(*img);
                    true
                } else {
                    false
                }
            }
            Msg::ImagePatch(p) => match &mut self.image {
                Some(img) if p.generation == self.image_gen && img.base_id == Some(p.base) => {
                    img.patch = Some(p.patch);
                    true
                }
                _ => false,
            },
        }
    }

    fn on_mouse(&mut self, m: crossterm::event::MouseEvent) -> bool {
        use crossterm::event::{MouseButton, MouseEventKind};
        if self.overlay == Overlay::None
            && crate::tui::state::label_edit::context(self) == Some("label-edit")
        {
            return match m.kind {
                MouseEventKind::Down(MouseButton::Left) => {
                    crate::tui::state::label_edit::click(self, m.column, m.row)
                }
                _ => false,
            };
        }
        match m.kind {
            MouseEventKind::ScrollDown => self.run(Action::Down),
            MouseEventKind::ScrollUp => self.run(Action::Up),
            _ => return false,
        }
        true
    }

    fn on_watch(&mut self, w: WatchMsg) -> bool {
        match w {
            WatchMsg::EventsGrew(p) => self.push(Effect::ReadEvents(p)),
            WatchMsg::StatusChanged(dir) => self.push(Effect::RefreshRun(dir)),
            WatchMsg::RunAppeared(_) | WatchMsg::Removed(_) => self.push(Effect::ReloadProject),
            WatchMsg::CsvChanged(p) => match crate::tui::load::run_of(&self.data, &p) {
                Some(dir) => self.push(Effect::RefreshRun(dir)),
                None => self.push(Effect::ReloadProject),
            },
            WatchMsg::Other(p) => {
                if crate::tui::load::is_project_file(&self.data, &p) {
                    self.push(Effect::ReloadProject)
                }
            }
            WatchMsg::Error(e) => {
                self.error(format!("watcher: {e}"));
                return true;
            }
        }
        false
    }

    fn on_key(&mut self, k: crossterm::event::KeyEvent) {
        if crate::tui::state::quit_jobs::on_key(self, &k) {
            return;
        }
        if crate::tui::input::text_input(self, &k) {
            return;
        }
        let key = Key::from_event(&k);
        self.pending.push(key);
        let (ctx, modal) = self.context();
        match self.keymap.lookup(ctx, modal, &self.pending) {
            Lookup::Action(a) => {
                self.pending.clear();
                self.run(a);
            }
            Lookup::Pending => {}
            Lookup::None => {
                let retry = self.pending.len() > 1;
                self.pending.clear();
                if ctx == "label-edit" && crate::tui::state::label_edit::hotkey(self, &key) {
                    return;
                }
                if retry && let Lookup::Action(a) = self.keymap.lookup(ctx, modal, &[key]) {
                    self.run(a);
                }
            }
        }
    }

    /// Carries out one action.
    pub fn run(&mut self, a: Action) {
        self.note = None;
        match a {
            Action::Quit => {
                if !crate::tui::state::label_write::hold_quit(self)
                    && !crate::tui::state::label_edit::guard_quit(self)
                {
                    crate::tui::state::quit_jobs::quit(self)
                }
            }
            Action::Back => {
                if self.overlay != Overlay::None {
                    self.overlay = Overlay::None;
                } else if crate::tui::state::label_edit::context(self).is_some() {
                    crate::tui::state::label_edit::on_action(self, a);
                } else if crate::tui::state::label_write::cancel_open(self) {
                } else {
                    crate::tui::input::back(self);
                }
            }
            Action::Help => {
                self.overlay = match self.overlay {
                    Overlay::Help { .. } => Overlay::None,
                    _ => Overlay::Help { scroll: 0 },
                }
            }
            Action::Palette => {
                self.overlay = Overlay::Palette {
                    input: String::new(),
                    selected: 0,
                }
            }
            Action::Filter => {
                let before = crate::tui::input::filter_text(self);
                self.overlay = Overlay::Filter {
                    input: before.clone(),
                    before,
                }
            }
            Action::ViewOverview => self.set_view(View::Overview),
            Action::ViewLabels => self.set_view(View::Labels),
            Action::ViewModels => self.set_view(View::Models),
            Action::ViewCurves => self.set_view(View::Curves),
            Action::ViewVideos => self.set_view(View::Videos),
            Action::ViewJobs => self.set_view(View::Jobs),
            Action::NextView => self.set_view(self.view.step(1)),
            Action::PrevView => self.set_view(self.view.step(-1)),
            Action::Confirm => {
                if let Overlay::Confirm { action, .. } =
                    std::mem::replace(&mut self.overlay, Overlay::None)
                {
                    match action {
                        Confirmable::TrashRun(p) => self.push(Effect::TrashRun(p)),
                        Confirmable::CancelJob(id) => crate::tui::state::job_list::cancel(self, id),
                        Confirmable::DiscardEdits => {
                            crate::tui::state::label_edit::discard(self, false)
                        }
                        Confirmable::QuitDiscard => {
                            crate::tui::state::label_edit::discard(self, true)
                        }
                    }
                }
            }
            Action::Cancel => {
                if self.overlay == Overlay::None {
                    crate::tui::state::label_edit::on_action(self, a);
                }
                self.overlay = Overlay::None
            }
            Action::CycleProtocol => self.push(Effect::CycleProtocol),
            // From any view (the palette too): the form trains on the open project.
            Action::TrainNew => crate::tui::state::train_form::open(self),
            Action::Noop => {}
            other => {
                if let Overlay::Help { scroll } = &mut self.overlay {
                    match other {
                        Action::Down => *scroll = scroll.saturating_add(1),
                        Action::Up => *scroll = scroll.saturating_sub(1),
                        Action::Top => *scroll = 0,
                        _ => {}
                    }
                    return;
                }
                crate::tui::input::view_action(self, other)
            }
        }
    }

    pub fn set_view(&mut self, v: View) {
        self.view = v;
        self.overlay = Overlay::None;
        if matches!(v, View::Labels | View::Videos) {
            self.push(Effect::RequestImage);
        }
    }
}
