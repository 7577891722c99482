//! Everything a key can do, by name. The keymap binds key sequences to these names, and the
//! help overlay and hint bar are generated from the same table.

use serde::{Deserialize, Serialize};

/// A user-visible command. Serialised in kebab-case (`next-view`, `smoothing-up` ...), the
/// names used in `keymap.toml` and in the command palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Quit,
    Back,
    Help,
    Palette,
    Filter,
    ViewOverview,
    ViewLabels,
    ViewModels,
    ViewCurves,
    ViewVideos,
    ViewJobs,
    NextView,
    PrevView,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Left,
    Right,
    Select,
    Confirm,
    Cancel,
    // Curves
    SmoothingUp,
    SmoothingDown,
    LogY,
    Outliers,
    XAxis,
    CursorLeft,
    CursorRight,
    AsciiMarkers,
    RunNext,
    RunPrev,
    ToggleRun,
    OnlyMarked,
    ExportCurves,
    // Models
    SortNext,
    SortReverse,
    DetailTab,
    DiffMark,
    DeleteRun,
    // Models and Jobs: the engine
    TrainNew,
    ResumeRun,
    PredictRun,
    CancelJob,
    // Labels / videos
    ToggleNames,
    ToggleMissingFilter,
    NextVideo,
    NextModel,
    ZoomIn,
    ZoomOut,
    ZoomReset,
    PanLeft,
    PanRight,
    PanUp,
    PanDown,
    CycleProtocol,
    JumpForward,
    JumpBack,
    GotoFrame,
    // Labels: edit mode
    EditLabels,
    KeypointNext,
    KeypointPrev,
    CursorUp,
    CursorDown,
    CursorLeftFar,
    CursorRightFar,
    CursorUpFar,
    CursorDownFar,
    PlaceKeypoint,
    MarkMissing,
    Undo,
    Redo,
    WriteLabels,
    BrightnessUp,
    BrightnessDown,
    ContrastUp,
    ContrastDown,
    ContextNext,
    ContextPrev,
    AddInstance,
    DeleteInstance,
    NextInstance,
    ReloadLabels,
    KeepMine,
    // Choosing frames to label (Videos) and the queue (Labels)
    ExtractFrames,
    AddFrame,
    AddFrameWithPreds,
    CancelExtraction,
    NextQueued,
    PrevQueued,
    // Models -> Compare
    CompareRuns,
    CycleSet,
    SortDiff,
    NextPair,
    FocusFrames,
    /// Explicitly unbinds a default key in a user keymap.
    Noop,
}

impl Action {
    /// The kebab-case name (as in the keymap file and the palette).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Parses a kebab-case name.
    pub fn from_name(s: &str) -> Option<Action> {
        serde_json::from_value(serde_json::Value::String(s.trim().to_owned())).ok()
    }

    /// Every action, in declaration order (for the command palette).
    pub const ALL: &'static [Action] = &[
        Action::Quit,
        Action::Back,
        Action::Help,
        Action::Palette,
        Action::Filter,
        Action::ViewOverview,
        Action::ViewLabels,
        Action::ViewModels,
        Action::ViewCurves,
        Action::ViewVideos,
        Action::ViewJobs,
        Action::NextView,
        Action::PrevView,
        Action::Up,
        Action::Down,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::Left,
        Action::Right,
        Action::Select,
        Action::Confirm,
        Action::Cancel,
        Action::SmoothingUp,
        Action::SmoothingDown,
        Action::LogY,
        Action::Outliers,
        Action::XAxis,
        Action::CursorLeft,
        Action::CursorRight,
        Action::AsciiMarkers,
        Action::RunNext,
        Action::RunPrev,
        Action::ToggleRun,
        Action::OnlyMarked,
        Action::ExportCurves,
        Action::SortNext,
        Action::SortReverse,
        Action::DetailTab,
        Action::DiffMark,
        Action::DeleteRun,
        Action::TrainNew,
        Action::ResumeRun,
        Action::PredictRun,
        Action::CancelJob,
        Action::ToggleNames,
        Action::ToggleMissingFilter,
        Action::NextVideo,
        Action::NextModel,
        Action::ZoomIn,
        Action::ZoomOut,
        Action::ZoomReset,
        Action::PanLeft,
        Action::PanRight,
        Action::PanUp,
        Action::PanDown,
        Action::CycleProtocol,
        Action::JumpForward,
        Action::JumpBack,
        Action::GotoFrame,
        Action::EditLabels,
        Action::KeypointNext,
        Action::KeypointPrev,
        Action::CursorUp,
        Action::CursorDown,
        Action::CursorLeftFar,
        Action::CursorRightFar,
        Action::CursorUpFar,
        Action::CursorDownFar,
        Action::PlaceKeypoint,
        Action::MarkMissing,
        Action::Undo,
        Action::Redo,
        Action::WriteLabels,
        Action::BrightnessUp,
        Action::BrightnessDown,
        Action::ContrastUp,
        Action::ContrastDown,
        Action::ContextNext,
        Action::ContextPrev,
        Action::AddInstance,
        Action::DeleteInstance,
        Action::NextInstance,
        Action::ReloadLabels,
        Action::KeepMine,
        Action::ExtractFrames,
        Action::AddFrame,
        Action::AddFrameWithPreds,
        Action::CancelExtraction,
        Action::NextQueued,
        Action::PrevQueued,
        Action::CompareRuns,
        Action::CycleSet,
        Action::SortDiff,
        Action::NextPair,
        Action::FocusFrames,
    ];
}

#[cfg(test)]
mod tests {
    use super::Action;
    #[test]
    fn names_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(&a.name()), Some(*a), "{a:?}");
        }
        assert_eq!(Action::SmoothingUp.name(), "smoothing-up");
        assert_eq!(Action::from_name("no-such"), None);
    }
}
