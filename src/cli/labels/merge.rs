//! `posedeck labels merge BASE NEW -o OUT [--prefer base|new|both]`: SLEAP's complex merge.
//! The inputs are never modified; the output is written atomically. An existing output is
//! refused unless `--force`, which keeps it as `OUT.posedeck-backup.<UTC time>`.

use super::convert::same_file;
use crate::labels::{Labels, MergeOutcome, Prefer};
use crate::sanitize::clean;
use crate::{Error, Result};
use std::path::Path;

fn kinds(insts: &[crate::labels::Instance]) -> String {
    let u = insts.iter().filter(|i| i.is_user()).count();
    let p = insts.len() - u;
    format!("{u} user + {p} predicted")
}

/// Lines describing what merged cleanly and each conflict.
pub fn describe(base: &Labels, out: &MergeOutcome) -> Vec<String> {
    let u = &out.unification;
    let mut lines = vec![format!(
        "videos: {} matched, {} added; skeletons: {} matched, {} added; tracks: {} matched, {} added",
        u.videos.len() - u.videos_added.len(),
        u.videos_added.len(),
        u.skeletons.len() - u.skeletons_added.len(),
        u.skeletons_added.len(),
        u.tracks.len() - u.tracks_added.len(),
        u.tracks_added.len()
    )];
    let new_frames = out.merged.iter().filter(|m| m.new_frame).count();
    let added: usize = out.merged.iter().map(|m| m.instances_added).sum();
    lines.push(format!(
        "merged cleanly: {new_frames} new frames, {} existing frames got instances, {added} instances added, {} redundant instances skipped",
        out.merged.len() - new_frames,
        out.redundant
    ));
    lines.push(format!(
        "suggestions added: {}; negative frames added: {}; negative anchors added: {}",
        out.suggestions_added, out.negative_frames_added, out.negative_anchors_added
    ));
    lines.push(format!("conflicts: {}", out.conflicts.len()));
    for c in &out.conflicts {
        let video = base
            .videos
            .get(c.video)
            .map(|v| clean(v.identity_path()).into_owned())
            .unwrap_or_default();
        lines.push(format!(
            "  conflict: video {} ({video}) frame {}: base has {} not in new; new has {} not in base",
            c.video,
            c.frame_idx,
            kinds(&c.extra_base),
            kinds(&c.extra_new)
        ));
    }
    lines
}

/// What a merge run printed, and whether it stopped on unresolved conflicts.
pub struct MergeRun {
    pub lines: Vec<String>,
    /// Conflicts found without `--prefer`: nothing was written.
    pub unresolved: usize,
}

/// Runs the merge; returns the lines to print.
pub fn merge(
    base_path: &Path,
    new_path: &Path,
    out_path: &Path,
    prefer: Option<Prefer>,
    force: bool,
) -> Result<MergeRun> {
    for input in [base_path, new_path] {
        if same_file(input, out_path) {
            return Err(Error::usage(format!(
                "{}: output is an input file; choose another output (inputs are never modified)",
                out_path.display()
            )));
        }
    }
    crate::tempfiles::check_output(out_path, force)?;
    let base = Labels::load_file(base_path)?;
    let new = Labels::load_file(new_path)?;
    let mut lines: Vec<String> = base
        .warnings
        .iter()
        .chain(&new.warnings)
        .map(|w| format!("warning: {}", clean(w)))
        .collect();
    let mut merged = base.labels;
    let outcome = merged.complex_merge_between(&new.labels, true);
    lines.extend(describe(&merged, &outcome));
    if !outcome.conflicts.is_empty() {
        let Some(prefer) = prefer else {
            return Ok(MergeRun {
                lines,
                unresolved: outcome.conflicts.len(),
            });
        };
        let added = merged.finish_complex_merge(outcome.resolve(prefer))?;
        lines.push(format!(
            "resolved {} conflicts preferring {}: {added} instances kept from the conflicting extras",
            outcome.conflicts.len(),
            match prefer {
                Prefer::Base => "base",
                Prefer::New => "new",
                Prefer::Both => "both",
            }
        ));
    }
    let backup = crate::tempfiles::prepare_file(out_path, force)?;
    for w in merged.save_file(out_path)? {
        lines.push(format!("warning: {}", clean(&w)));
    }
    lines.push(format!(
        "wrote {}: {} labeled frames, {} user / {} predicted instances",
        out_path.display(),
        merged.labeled_frames.len(),
        merged.n_user_instances(),
        merged.n_predicted_instances()
    ));
    if let Some((guard, b)) = backup {
        guard.keep();
        lines.push(super::convert::backup_line(out_path, &b));
    }
    Ok(MergeRun {
        lines,
        unresolved: 0,
    })
}
