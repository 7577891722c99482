//! `posedeck [PROJECT]` with no subcommand: opens the workstation on a project folder, a key
//! of the Lightning Pose registry, or a .slp file (default: the current directory).

use clap::Args;

#[derive(Args, Debug, Clone, Default)]
pub struct TuiArgs {
    /// Project folder, Lightning Pose registry key, or .slp file (default: current directory).
    pub project: Option<String>,
    /// Colour theme: dark, light, high-contrast, colorblind, or a path to a theme .toml.
    /// NO_COLOR (non-empty) turns colours off.
    #[arg(long, default_value = "dark")]
    pub theme: String,
    /// Image protocol: halfblocks, sixel, kitty, iterm2 (default: probed from the terminal).
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

/// Opens the workstation on `view` with `jobs` submitted at start.
pub fn open(
    a: TuiArgs,
    view: crate::tui::app::View,
    jobs: Vec<crate::tui::state::job_list::JobSpec>,
) -> anyhow::Result<i32> {
    let image_protocol = match a.image_protocol.as_deref() {
        None => None,
        Some(s) => Some(crate::tui::image::parse_protocol(s).ok_or_else(|| {
            crate::Error::usage(format!(
                "--image-protocol {s:?}: expected halfblocks, sixel, kitty or iterm2"
            ))
        })?),
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
        theme: a.theme,
        image_protocol,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        timings: std::env::var_os("POSEDECK_TIMINGS").map(Into::into),
        view,
        jobs,
    })
}
