//! `posedeck config`: where the config file is and what it sets. A bad file is one error
//! line naming the file and the line (exit 2).

use clap::Args;

#[derive(Args, Debug)]
pub struct ConfigArgs {}

pub fn run(_: &ConfigArgs) -> anyhow::Result<()> {
    let path = crate::settings::user_path();
    let s = crate::settings::load_user()?;
    let or_default = |v: Option<String>, d: &str| v.unwrap_or_else(|| d.to_owned());
    let file = match (&path, &s.path) {
        (_, Some(p)) => crate::util::escape_path(p).into_owned(),
        (Some(p), None) => format!("{} (not there: defaults)", crate::util::escape_path(p)),
        (None, None) => "none (no HOME or XDG_CONFIG_HOME)".to_owned(),
    };
    let lines = [
        format!("config file     {file}"),
        format!(
            "theme           {}",
            or_default(
                s.theme,
                "auto (light or dark after the terminal's background)"
            )
        ),
        format!(
            "image_protocol  {}",
            or_default(
                s.image_protocol
                    .map(|p| crate::tui::image::protocol_name(p).to_owned()),
                "auto (probed)"
            )
        ),
        format!("slurm.partition {}", or_default(s.slurm.partition, "-")),
        format!("slurm.account   {}", or_default(s.slurm.account, "-")),
        format!("slurm.time      {}", or_default(s.slurm.time, "-")),
        format!(
            "slurm.gpus      {}",
            or_default(s.slurm.gpus.map(|g| g.to_string()), "-")
        ),
    ];
    let text: String = lines
        .iter()
        .map(|l| crate::sanitize::one_line(l) + "\n")
        .collect();
    crate::cli::out::print(&text)
}
