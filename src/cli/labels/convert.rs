//! `posedeck labels convert IN OUT`: SLEAP .slp <-> Lightning Pose, and .slp -> .slp.
//!
//! Every output is written under a temporary name and renamed when complete (a file by
//! `util::write_atomic`, a project folder as `.OUT.posedeck-tmp.PID`), so an interrupted or
//! failed run leaves nothing under OUT. An existing OUT is refused unless `--force`, which
//! keeps it as `OUT.posedeck-backup.<UTC time>`.

use crate::labels::{Labels, LabelsFormat, LpExportOptions};
use crate::sanitize::clean;
use crate::tempfiles;
use crate::{Error, Result};
use std::path::Path;

/// Absolute form of a path for comparing (canonical when it exists).
pub fn same_file(a: &Path, b: &Path) -> bool {
    let norm = |p: &Path| {
        p.canonicalize()
            .unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
    };
    norm(a) == norm(b)
}

/// The line saying where the replaced output went.
pub fn backup_line(output: &Path, backup: &Path) -> String {
    format!(
        "replaced {}; the old one is kept as {}",
        output.display(),
        backup.display()
    )
}

/// An OS error on a file inside the temporary folder of `output`, said of `output` (the
/// temporary is gone by the time the message is read).
fn staged_error(e: Error, output: &Path, tmp: &Path) -> Error {
    match e {
        Error::Io { path, error } => match path.strip_prefix(tmp) {
            Ok(rel) => Error::usage(format!(
                "{}: {error} (writing {}); nothing was written under that name",
                output.display(),
                rel.display()
            )),
            Err(_) => Error::Io { path, error },
        },
        e => e,
    }
}

/// Runs the conversion; returns the lines to print. An existing output is refused unless
/// `force` (then kept as a backup).
pub fn convert(
    input: &Path,
    output: &Path,
    instance: Option<usize>,
    force: bool,
) -> Result<Vec<String>> {
    if same_file(input, output) {
        return Err(Error::usage(format!(
            "{}: output is the input file; choose another output (inputs are never modified)",
            output.display()
        )));
    }
    let format = LabelsFormat::of(output);
    if format.is_none() && output.extension().is_some() && !output.is_dir() {
        return Err(Error::usage(format!(
            "{}: unknown output type (use .slp, .pkg.slp, .csv, .json, or a folder name for a Lightning Pose project)",
            output.display()
        )));
    }
    tempfiles::check_output(output, force)?;
    let loaded = Labels::load_file(input)?;
    let mut out = Vec::new();
    for w in &loaded.warnings {
        out.push(format!("warning: {}", clean(w)));
    }
    let mut labels = loaded.labels;
    out.push(format!(
        "read {}: {} labeled frames, {} user / {} predicted instances, {} videos",
        loaded.path.display(),
        labels.labeled_frames.len(),
        labels.n_user_instances(),
        labels.n_predicted_instances(),
        labels.videos.len()
    ));
    let opts = LpExportOptions { instance };
    match format {
        Some(LabelsFormat::Slp) => {
            let name = output.to_string_lossy().to_ascii_lowercase();
            if name.ends_with(".pkg.slp") {
                let n = labels.embed_image_sequences(&loaded.path)?;
                if n > 0 {
                    out.push(format!("embedded {n} images"));
                }
            }
            let backup = tempfiles::prepare_file(output, force)?;
            for w in labels.save_file(output)? {
                out.push(format!("warning: {}", clean(&w)));
            }
            out.push(format!("wrote {} (SLEAP format 1.4)", output.display()));
            kept(&mut out, output, backup);
        }
        Some(LabelsFormat::Json) => {
            let backup = tempfiles::prepare_file(output, force)?;
            labels.save_file(output)?;
            out.push(format!("wrote {}", output.display()));
            kept(&mut out, output, backup);
        }
        Some(LabelsFormat::Csv) => {
            let plan = labels.to_lightning_pose(&loaded.path, &opts)?;
            let backup = tempfiles::prepare_file(output, force)?;
            plan.table.write(output)?;
            out.push(format!(
                "wrote {} ({} rows, {} keypoints); images were not extracted: give a folder as OUT for a full Lightning Pose project",
                output.display(),
                plan.table.n_rows(),
                plan.table.n_keypoints()
            ));
            kept(&mut out, output, backup);
            skipped_lines(
                &mut out,
                plan.skipped_predicted_only,
                plan.skipped_no_such_instance,
            );
        }
        None => {
            // Built under a temporary name beside OUT, renamed into place when complete.
            let staged = tempfiles::stage_dir(output, force)?;
            let r = labels
                .write_lightning_pose_project(&loaded.path, staged.path(), &opts)
                .map_err(|e| staged_error(e, output, staged.path()))?;
            let backup = staged.commit(force)?;
            out.push(format!(
                "wrote Lightning Pose project {}: {} ({} rows, {} keypoints), {} images in labeled-data/",
                output.display(),
                output.join("CollectedData.csv").display(),
                r.rows,
                r.keypoints,
                r.images_written
            ));
            if let Some(b) = &backup {
                out.push(backup_line(output, b));
            }
            skipped_lines(
                &mut out,
                r.skipped_predicted_only,
                r.skipped_no_such_instance,
            );
            if !r.images_missing.is_empty() {
                out.push(format!(
                    "{} frames were not extracted (their CSV rows are written; put the images at the paths the CSV names):",
                    r.images_missing.len()
                ));
                // One line per distinct reason.
                let mut reasons: Vec<(&str, usize, &str)> = Vec::new();
                for (dest, why) in &r.images_missing {
                    match reasons.iter_mut().find(|(w, _, _)| *w == why.as_str()) {
                        Some(e) => e.1 += 1,
                        None => reasons.push((why.as_str(), 1, dest.as_str())),
                    }
                }
                for (why, n, first) in reasons {
                    out.push(format!("  {n} frames (first {first}): {}", clean(why)));
                }
            }
        }
    }
    Ok(out)
}

/// Keeps the backup of a replaced file output and says so.
fn kept(
    out: &mut Vec<String>,
    output: &Path,
    backup: Option<(tempfiles::Temp, std::path::PathBuf)>,
) {
    if let Some((guard, path)) = backup {
        guard.keep();
        out.push(backup_line(output, &path));
    }
}

fn skipped_lines(out: &mut Vec<String>, predicted_only: usize, no_instance: usize) {
    if predicted_only > 0 {
        out.push(format!(
            "left out {predicted_only} frames that have only predicted instances (not labels)"
        ));
    }
    if no_instance > 0 {
        out.push(format!(
            "left out {no_instance} frames without the chosen --instance"
        ));
    }
}
