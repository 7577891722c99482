//! `--slurm` and its per-job resources, shared by `train` and `predict`.

use crate::jobs::slurm::{Overrides, Resources};
use clap::Args;

#[derive(Args, Debug, Clone, Default)]
pub struct SlurmArgs {
    /// Submit to SLURM (sbatch) instead of running here; returns at once with the job id.
    /// Defaults: ~/.config/posedeck/slurm.toml.
    #[arg(long)]
    pub slurm: bool,
    /// SLURM partition (with --slurm).
    #[arg(long, requires = "slurm", value_name = "NAME")]
    pub partition: Option<String>,
    /// Time limit, e.g. 90, 4:00:00 or 1-12 (with --slurm).
    #[arg(long, requires = "slurm", value_name = "TIME")]
    pub time: Option<String>,
    /// Generic resources (default gpu:1; none for no GPU) (with --slurm).
    #[arg(long, requires = "slurm", value_name = "GRES")]
    pub gres: Option<String>,
    /// CPUs per task (with --slurm).
    #[arg(long, requires = "slurm", value_name = "N")]
    pub cpus_per_task: Option<u32>,
    /// Memory per node, e.g. 32G (with --slurm).
    #[arg(long, requires = "slurm", value_name = "SIZE")]
    pub mem: Option<String>,
    /// SLURM account (with --slurm).
    #[arg(long, requires = "slurm", value_name = "NAME")]
    pub account: Option<String>,
    /// One more #SBATCH option, e.g. --sbatch=--qos=high (repeatable; with --slurm).
    #[arg(
        long = "sbatch",
        requires = "slurm",
        value_name = "OPTION",
        allow_hyphen_values = true
    )]
    pub sbatch: Vec<String>,
    /// Shell lines run before the worker, e.g. "module load cuda" (with --slurm).
    #[arg(long, requires = "slurm", value_name = "LINES")]
    pub setup: Option<String>,
}

impl SlurmArgs {
    /// The file's defaults with this command line's values over them.
    pub fn resources(&self) -> crate::Result<Resources> {
        let mut r = crate::jobs::slurm::config::load_user()?;
        r.apply(&Overrides {
            partition: self.partition.clone(),
            gres: self.gres.clone(),
            time: self.time.clone(),
            cpus_per_task: self.cpus_per_task,
            mem: self.mem.clone(),
            account: self.account.clone(),
            extra: self.sbatch.clone(),
            setup: self.setup.clone(),
        })?;
        Ok(r)
    }
}
