//! Per-view state and what each view's keys do.

pub mod compare;
pub mod curves;
pub mod extract_form;
pub mod job_list;
pub mod job_slurm;
pub mod label_doc;
pub mod label_edit;
pub mod label_instances;
pub mod label_write;
pub mod labels;
pub mod models;
pub mod overview;
pub mod palette;
pub mod quit_jobs;
pub mod run_actions;
pub mod train_form;
pub mod videos;
