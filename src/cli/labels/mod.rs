//! `posedeck labels ...`: label files (SLEAP .slp, Lightning Pose CSV).

pub mod info;

use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum LabelsCommand {
    /// Summarise a label file (.slp): frames, instances, videos, skeletons, tracks,
    /// suggestions, point sums. Problems that do not stop reading are listed as warnings.
    Info {
        /// The label file.
        file: PathBuf,
        /// Print JSON (field names as in sleap-io based oracles).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: LabelsCommand) -> anyhow::Result<()> {
    match cmd {
        LabelsCommand::Info { file, json } => run_info(&file, json),
    }
}

fn run_info(file: &Path, json: bool) -> anyhow::Result<()> {
    let info = load_info(file)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print!("{}", info::render_text(&info));
    }
    Ok(())
}

/// Reads a label file by its suffix and summarises it.
pub fn load_info(file: &Path) -> crate::Result<info::LabelsInfo> {
    let name = file.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".slp") {
        let slp = crate::formats::slp::read_slp(file)?;
        let mut i = info::summarize(file, "sleap", &slp.labels);
        i.format_id = Some(slp.format_id);
        i.warnings = slp.warnings;
        Ok(i)
    } else {
        Err(crate::Error::usage(format!(
            "{}: unsupported label file type (expected .slp)",
            file.display()
        )))
    }
}
