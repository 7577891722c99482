//! `posedeck labels ...`: label files (SLEAP .slp, Lightning Pose CSV).

pub mod convert;
pub mod extract;
pub mod info;
pub mod merge;

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
    /// Convert labels: .slp -> Lightning Pose project folder (CollectedData.csv + labeled-data/
    /// images) or CSV, Lightning Pose CSV / project folder -> .slp (.pkg.slp embeds the
    /// images), .slp -> .slp (rewritten as format 1.4), any -> .json. The output is written
    /// under a temporary name and renamed when complete; an existing one is refused unless
    /// --force.
    Convert {
        /// Input: .slp, .csv, .json, or a Lightning Pose project folder.
        input: PathBuf,
        /// Output: .slp / .pkg.slp / .csv / .json, or a new folder for a Lightning Pose project.
        output: PathBuf,
        /// For frames with several user instances: which one (0-based) goes to the
        /// single-animal Lightning Pose CSV.
        #[arg(long)]
        instance: Option<usize>,
        /// Replace an existing OUT; the old one is kept as OUT.posedeck-backup.<UTC time>.
        #[arg(long)]
        force: bool,
    },
    /// Choose frames to label in a project's video (uniform, k-means for pose diversity, a
    /// model's outliers, or given frames), write them and their context frames to
    /// labeled-data/<video>/img%08d.png, and queue them for labeling in
    /// CollectedData.unlabeled.jsonl (the Lightning Pose app's labeler queue).
    Extract(Box<extract::ExtractArgs>),
    /// Merge NEW into BASE as SLEAP does (complex merge) and write the result to OUT.
    /// Prints what merged cleanly and each conflict; without --prefer, conflicts stop the
    /// merge before anything is written. The inputs are never modified.
    Merge {
        base: PathBuf,
        new: PathBuf,
        /// Output file (.slp, .json or .csv); written atomically. An existing one is refused
        /// unless --force.
        #[arg(short, long)]
        output: PathBuf,
        /// Replace an existing output; the old one is kept as OUT.posedeck-backup.<UTC time>.
        #[arg(long)]
        force: bool,
        /// How to resolve conflicting frames: keep the base extras, the new extras, or both.
        #[arg(long, value_enum)]
        prefer: Option<PreferArg>,
    },
}

/// `--prefer` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum PreferArg {
    Base,
    New,
    Both,
}

impl From<PreferArg> for crate::labels::Prefer {
    fn from(p: PreferArg) -> Self {
        match p {
            PreferArg::Base => crate::labels::Prefer::Base,
            PreferArg::New => crate::labels::Prefer::New,
            PreferArg::Both => crate::labels::Prefer::Both,
        }
    }
}

pub fn run(cmd: LabelsCommand) -> anyhow::Result<()> {
    match cmd {
        LabelsCommand::Info { file, json } => run_info(&file, json),
        LabelsCommand::Extract(a) => extract::run(&a),
        LabelsCommand::Convert {
            input,
            output,
            instance,
            force,
        } => {
            // Interrupted (SIGINT, SIGTERM, SIGHUP): temporaries removed, exit 128 + signal.
            crate::tempfiles::install_signal_cleanup()?;
            for line in convert::convert(&input, &output, instance, force)? {
                crate::cli::out::println(&line)?;
            }
            Ok(())
        }
        LabelsCommand::Merge {
            base,
            new,
            output,
            prefer,
            force,
        } => {
            crate::tempfiles::install_signal_cleanup()?;
            let run = merge::merge(&base, &new, &output, prefer.map(Into::into), force)?;
            for line in &run.lines {
                crate::cli::out::println(line)?;
            }
            if run.unresolved > 0 {
                anyhow::bail!(
                    "{} conflicting frames; nothing written to {}: resolve with --prefer base, --prefer new or --prefer both",
                    run.unresolved,
                    output.display()
                );
            }
            Ok(())
        }
    }
}

fn run_info(file: &Path, json: bool) -> anyhow::Result<()> {
    let info = load_info(file)?;
    if json {
        crate::cli::out::print_json(&info)?;
    } else {
        crate::cli::out::print(&info::render_text(&info))?;
    }
    Ok(())
}

/// Reads a label file by its suffix and summarises it.
pub fn load_info(file: &Path) -> crate::Result<info::LabelsInfo> {
    let name = file.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".slp") {
        // The frames are folded into the counts and sums as they are decoded: no point is
        // kept (the same checks, errors and figures as summarising the whole model).
        let mut tally = info::Tally::new(0);
        let slp = crate::formats::slp::read_slp_with(file, &mut tally)?;
        let mut i = tally.into_info(info::header(file, "sleap", &slp.labels));
        i.format_id = Some(slp.format_id);
        i.warnings = slp.warnings;
        Ok(i)
    } else {
        // Lightning Pose CSVs (a CollectedData or predictions CSV, or a project folder) and
        // posedeck's JSON go through the Labels model's reader.
        let loaded = crate::labels::Labels::load_file(file)?;
        let format = match loaded.format {
            crate::labels::LabelsFormat::Slp => "sleap",
            crate::labels::LabelsFormat::Csv => "lightning-pose",
            crate::labels::LabelsFormat::Json => "posedeck-json",
        };
        let mut i = info::summarize(&loaded.path, format, &loaded.labels);
        i.format_id = loaded.format_id;
        i.warnings = loaded.warnings;
        Ok(i)
    }
}
