//! `posedeck [PROJECT]` with no subcommand: opens the workstation on a project folder, a key
//! of the Lightning Pose registry, or a .slp file (default: the current directory).

use clap::Args;

#[derive(Args, Debug, Clone, Default)]
pub struct TuiArgs {
    /// Project folder, Lightning Pose registry key, or .slp file (default: current directory).
    pub project: Option<String>,
    /// Colour theme: auto, dark, light, high-contrast, colorblind, or a path to a theme .toml
    /// (default: the config file's, else auto: light or dark after the terminal's
    /// background). NO_COLOR (non-empty) turns colours off.
    #[arg(long, value_name = "THEME")]
    pub theme: Option<String>,
    /// Image protocol: auto, halfblocks, sixel, kitty, iterm2 (default: the config file's,
    /// else probed from the terminal).
    #[arg(long, value_name = "PROTOCOL")]
    pub image_protocol: Option<String>,
}

pub fn run(a: TuiArgs) -> anyhow::Result<i32> {
    open(a, crate::tui::app::View::Overview, Vec::new())
}

/// Whether stdin and stdout are a terminal (the workstation needs one).
pub fn is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// Opens the workstation on `view` with `jobs` submitted at start (`posedeck demo` does:
/// quitting while they run then defaults to canceling them).
pub fn open(
    a: TuiArgs,
    view: crate::tui::app::View,
    jobs: Vec<crate::tui::state::job_list::JobSpec>,
) -> anyhow::Result<i32> {
    // The config file's defaults; the workstation opens without them when it is bad (the
    // status bar says why). `posedeck config` reports the same error and exits 2.
    let (settings, config_error) = match crate::settings::load_user() {
        Ok(s) => (s, None),
        Err(e) => (
            crate::settings::Settings::default(),
            Some(format!("{e} (config file not used)")),
        ),
    };
    let image_protocol = match a.image_protocol.as_deref() {
        None => settings.image_protocol,
        Some("auto") => None,
        Some(s) => Some(crate::tui::image::parse_protocol(s).ok_or_else(|| {
            crate::Error::usage(format!(
                "--image-protocol {s:?}: expected auto, halfblocks, sixel, kitty or iterm2"
            ))
        })?),
    };
    let (theme, theme_from) = match a.theme {
        Some(t) if t == "auto" => (None, "background"),
        Some(t) => (Some(t), "flag"),
        None => (settings.theme.clone(), "config"),
    };
    if !is_terminal() {
        return Err(crate::Error::usage(
            "the workstation needs a terminal (for scripting use `posedeck status`)",
        )
        .into());
    }
    let target = a.project.unwrap_or_else(|| ".".into());
    crate::tui::run(crate::tui::Options {
        target,
        theme,
        theme_from,
        config_error,
        image_protocol,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        timings: std::env::var_os("POSEDECK_TIMINGS").map(Into::into),
        view,
        quit_cancels_jobs: !jobs.is_empty(),
        jobs,
    })
}
