//! Jobs that outlive the workstation.

pub mod slurm;
