//! `posedeck config`: where the config file and slurm.toml are and what they set. A bad file is one error
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
    ];
    let r = crate::jobs::slurm::config::load_user()?;
    let sp = crate::jobs::slurm::config::user_path();
    let slurm_file = match &sp {
        Some(p) if p.is_file() => crate::util::escape_path(p).into_owned(),
        Some(p) => format!("{} (not there: defaults)", crate::util::escape_path(p)),
        None => "none (no HOME or XDG_CONFIG_HOME)".to_owned(),
    };
    let mut lines = lines.to_vec();
    lines.push(format!("slurm file      {slurm_file}"));
    for (k, v) in [
        ("partition", r.partition),
        ("gres", r.gres),
        ("time", r.time),
        ("cpus_per_task", r.cpus_per_task.map(|c| c.to_string())),
        ("mem", r.mem),
        ("account", r.account),
        ("extra", (!r.extra.is_empty()).then(|| r.extra.join(" "))),
        ("setup", r.setup),
    ] {
        lines.push(format!("slurm.{k:<9} {}", or_default(v, "-")));
    }
    let text: String = lines
        .iter()
        .map(|l| crate::sanitize::one_line(l) + "\n")
        .collect();
    crate::cli::out::print(&text)
}
