//! The Models view's engine actions on the selected run (training a new model, the form, is
//! an app-wide action): resume the run (`posedeck train --resume`), predict it on the project's videos (`posedeck predict`
//! into video_preds_infer/), cancel its job (confirm).

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::state::job_list::{self, JobSpec, TrainSpec};
use crate::tui::state::models::selected_run;
use std::path::PathBuf;

pub fn on_action(app: &mut App, a: Action) {
    match a {
        Action::ResumeRun => resume(app),
        Action::PredictRun => predict(app),
        Action::CancelJob => cancel(app),
        _ => {}
    }
}

fn selected(app: &mut App) -> Option<(PathBuf, String, String)> {
    let r = selected_run(app).map(|r| (r.path.clone(), r.name.clone(), r.effective.clone()));
    if r.is_none() {
        app.error("no run selected");
    }
    r
}

fn resume(app: &mut App) {
    let Some((path, name, status)) = selected(app) else {
        return;
    };
    if app.jobs.active_for(&path).is_some() {
        app.error(format!("{name} has a job already: see the Jobs view"));
        return;
    }
    if status == "COMPLETED" || status == "DONE" {
        app.error(format!("{name} is {status}: nothing to resume"));
        return;
    }
    if !has_resume_state(&path) {
        app.error(format!(
            "{name}: nothing to resume (no tb_logs/*/version_*/checkpoints/last.state.json)"
        ));
        return;
    }
    job_list::submit(
        app,
        JobSpec::Train(TrainSpec {
            project: app.data.root.clone(),
            device: "auto".into(),
            resume: Some(path),
            ..Default::default()
        }),
    );
}

/// Whether posedeck saved what `--resume` needs (a run trained elsewhere has not).
fn has_resume_state(run: &std::path::Path) -> bool {
    let Ok(models) = std::fs::read_dir(run.join("tb_logs")) else {
        return false;
    };
    models.flatten().any(|m| {
        std::fs::read_dir(m.path()).is_ok_and(|vs| {
            vs.flatten()
                .any(|v| v.path().join("checkpoints/last.state.json").is_file())
        })
    })
}

/// The project's videos: the video files found, then PNG/JPEG frame folders under videos/.
pub fn video_sources(app: &App) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = app.data.videos.iter().map(|r| r.path.clone()).collect();
    if let Ok(rd) = std::fs::read_dir(app.data.root.join("videos")) {
        let mut dirs: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir() && !v.contains(p))
            .collect();
        dirs.sort();
        v.extend(dirs);
    }
    v
}

fn predict(app: &mut App) {
    let Some((path, name, status)) = selected(app) else {
        return;
    };
    if status != "COMPLETED" && status != "DONE" && status != "CANCELED" {
        app.error(format!("{name} is {status}: predict needs a trained run"));
        return;
    }
    let sources = video_sources(app);
    if sources.is_empty() {
        app.error("no videos in the project's videos/ folder to predict on");
        return;
    }
    job_list::submit(
        app,
        JobSpec::Predict {
            run: path,
            sources,
            device: "auto".into(),
        },
    );
}

fn cancel(app: &mut App) {
    let Some((path, name, status)) = selected(app) else {
        return;
    };
    match app.jobs.active_for(&path).map(|j| j.id) {
        Some(id) => job_list::confirm_cancel(app, id),
        None if matches!(
            status.as_str(),
            "TRAINING" | "EVALUATING" | "PENDING" | "STARTED"
        ) =>
        {
            app.error(format!(
                "{name} was not started from this workstation: stop it where it runs"
            ))
        }
        None => app.error(format!("{name} has no queued or running job")),
    }
}
