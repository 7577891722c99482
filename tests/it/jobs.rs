//! The workstation's train/predict jobs: the job list as a state machine driven by synthetic
//! job messages (queue order, cancel, rate and remaining time), snapshots of the Jobs view
//! and the train form at 80x24 and 160x48, a real tiny training job started from the form
//! and canceled from the Jobs view (its run ends CANCELED), and `posedeck demo` in tmux.

use posedeck::engine::JobEvent;
use posedeck::tui::action::Action;
use posedeck::tui::app::{App, Effect, Overlay, View};
use posedeck::tui::headless::screen;
use posedeck::tui::keymap::Keymap;
use posedeck::tui::msg::Msg;
use posedeck::tui::state::job_list::{self, JobBody, JobEnd, JobMsg, JobSpec, JobState, TrainSpec};
use posedeck::tui::theme::Theme;
use std::path::PathBuf;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn new_app() -> App {
    let mut app = App::new("snapshot".into(), Keymap::defaults(), Theme::dark());
    app.loading = false;
    app
}

fn ev(id: u64, t: f64, e: JobEvent) -> Msg {
    Msg::Job(JobMsg {
        id,
        t,
        body: JobBody::Event(e),
    })
}

fn end(id: u64, t: f64, e: JobEnd) -> Msg {
    Msg::Job(JobMsg {
        id,
        t,
        body: JobBody::Ended(e),
    })
}

fn train(name: Option<&str>, resume: Option<&str>) -> JobSpec {
    JobSpec::Train(TrainSpec {
        project: "/data/mouse".into(),
        name: name.map(Into::into),
        device: "cpu".into(),
        resume: resume.map(PathBuf::from),
        ..Default::default()
    })
}

fn started(app: &mut App) -> Vec<u64> {
    app.take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::StartJob { id, .. } => Some(id),
            _ => None,
        })
        .collect()
}

fn step(id: u64, t: f64, step: u64) -> Msg {
    ev(
        id,
        t,
        JobEvent::Step {
            epoch: (step.saturating_sub(1) / 12) as usize,
            epochs: 30,
            step,
            batch: ((step - 1) % 12 + 1) as usize,
            batches: 12,
            loss: 0.02 / (1.0 + step as f64 / 50.0),
        },
    )
}

/// Three jobs: a finished training run, a resumed run in progress, a prediction waiting.
fn synthetic() -> App {
    let mut app = new_app();
    let a = job_list::submit(&mut app, train(None, None));
    let b = job_list::submit(&mut app, train(None, Some("/data/mouse/models/old-run")));
    let c = job_list::submit(
        &mut app,
        JobSpec::Predict {
            run: "/data/mouse/models/old-run".into(),
            sources: vec!["/data/mouse/videos/a.mp4".into()],
            device: "auto".into(),
        },
    );
    // Each is handed to the runner at once: the project's scheduler queues them for a slot.
    assert_eq!(started(&mut app), vec![a, b, c]);
    for m in [
        ev(
            a,
            0.2,
            JobEvent::RunDir("/data/mouse/models/2026-01-01/10-00-00".into()),
        ),
        ev(
            a,
            0.3,
            JobEvent::Device {
                name: "flex (CPU)".into(),
                reason: "--device cpu".into(),
            },
        ),
        ev(
            a,
            0.3,
            JobEvent::Warning("ignored: losses_to_use [pca_singleview]".into()),
        ),
        ev(a, 0.4, JobEvent::Phase("training".into())),
    ] {
        app.handle(m);
    }
    for s in 1..=360 {
        app.handle(step(a, 1.0 + s as f64 * 0.5, s));
    }
    app.handle(ev(
        a,
        181.0,
        JobEvent::Validation {
            epoch: 29,
            step: 359,
            loss: 0.0012,
            rmse: 3.5,
        },
    ));
    app.handle(end(
        a,
        190.0,
        JobEnd::Completed("COMPLETED after 30 epochs, 26.7 images/s".into()),
    ));
    assert!(
        started(&mut app).is_empty(),
        "the scheduler, not the app, starts the next"
    );
    app.handle(ev(
        b,
        0.5,
        JobEvent::RunDir("/data/mouse/models/old-run".into()),
    ));
    app.handle(ev(b, 0.6, JobEvent::Phase("training".into())));
    // Resumed at step 120, then a step every 0.5 s: 2 steps/s, 180 left: 90 s.
    for (i, s) in (121..=180).enumerate() {
        app.handle(step(b, 10.0 + i as f64 * 0.5, s));
    }
    assert_eq!(app.jobs.get(c).unwrap().state, JobState::Queued);
    app
}

#[test]
fn queue_rate_remaining_and_cancel() {
    let mut app = synthetic();
    let jobs = &app.jobs.jobs;
    assert_eq!(jobs[0].state, JobState::Completed);
    assert_eq!(jobs[0].title(), "train 10-00-00");
    assert_eq!(jobs[0].device.as_ref().unwrap().0, "flex (CPU)");
    assert_eq!(jobs[0].warnings, 1);
    let b = &jobs[1];
    assert_eq!(b.state, JobState::Running);
    assert_eq!(b.epoch, Some((15, 30)));
    let rate = b.rate.unwrap();
    assert!((rate - 2.0).abs() < 1e-9, "{rate}");
    assert!((b.remaining().unwrap() - 90.0).abs() < 1e-6);
    assert_eq!(app.jobs.counts(), (1, 1));
    // The Overview lists the jobs that have not ended, with progress and time left.
    app.view = View::Overview;
    let ov = screen(&app, 160, 48);
    assert!(ov.contains("Jobs 2 (6: details, cancel)"), "{ov}");
    assert!(ov.contains("01:30 left"), "{ov}");

    // Canceling the queued prediction takes it off the queue (through the runner); its end
    // comes from its folder.
    app.take_effects();
    app.view = View::Jobs;
    app.run(Action::Bottom);
    app.run(Action::CancelJob);
    assert!(matches!(app.overlay, Overlay::Confirm { .. }));
    app.run(Action::Confirm);
    assert_eq!(app.take_effects(), vec![Effect::CancelJob(3)]);
    assert!(app.jobs.jobs[2].cancel_requested);
    app.handle(end(
        3,
        0.0,
        JobEnd::Canceled("canceled before it started".into()),
    ));
    assert_eq!(app.jobs.jobs[2].state, JobState::Canceled);
    assert_eq!(
        app.take_effects(),
        vec![Effect::RefreshRun("/data/mouse/models/old-run".into())]
    );

    // Canceling the running one asks the runner to stop it; its end frees the device.
    app.run(Action::Up);
    app.run(Action::CancelJob);
    app.run(Action::Confirm);
    assert_eq!(app.take_effects(), vec![Effect::CancelJob(2)]);
    assert!(app.jobs.jobs[1].cancel_requested);
    app.handle(end(
        2,
        40.0,
        JobEnd::Canceled("canceled after 181 steps".into()),
    ));
    assert_eq!(app.jobs.jobs[1].state, JobState::Canceled);
    assert_eq!(app.jobs.counts(), (0, 0));
    // A finished job cannot be canceled again.
    app.run(Action::CancelJob);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn jobs_view_snapshots() {
    let run = |name: &str, status: &str, progress| posedeck::tui::data::RunRow {
        name: name.into(),
        path: format!("/data/mouse/models/{name}").into(),
        status: status.into(),
        effective: status.into(),
        progress,
        ..Default::default()
    };
    for (w, h) in SIZES {
        let mut app = synthetic();
        // A run training elsewhere is listed; the run of the running job is not listed twice.
        app.data.runs = vec![
            run("old-run", "TRAINING", Some((15, 30))),
            run("lp-app-run", "TRAINING", Some((3, 10))),
            run("done-run", "COMPLETED", None),
        ];
        app.run(Action::ViewJobs);
        app.run(Action::Top);
        let shown = screen(&app, w, h);
        assert!(shown.contains("training elsewhere 1"), "{shown}");
        assert!(shown.contains("lp-app-run"), "{shown}");
        assert!(!shown.contains("done-run"));
        insta::assert_snapshot!(format!("jobs_finished_{w}x{h}"), shown);
        app.run(Action::Down);
        insta::assert_snapshot!(format!("jobs_running_{w}x{h}"), screen(&app, w, h));
        app.run(Action::CancelJob);
        insta::assert_snapshot!(format!("jobs_cancel_confirm_{w}x{h}"), screen(&app, w, h));
    }
    let mut app = new_app();
    app.run(Action::ViewJobs);
    insta::assert_snapshot!("jobs_empty_80x24", screen(&app, 80, 24));
}

fn demo_project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let spec = posedeck::demo::DemoSpec {
        frames: 12,
        videos: 1,
        clip_frames: 0,
        width: 64,
        height: 64,
        ..Default::default()
    };
    posedeck::demo::generate(&spec, d.path()).unwrap();
    d
}

fn key(app: &mut App, code: crossterm::event::KeyCode) {
    app.handle(Msg::Input(crossterm::event::Event::Key(
        crossterm::event::KeyEvent::new(code, crossterm::event::KeyModifiers::NONE),
    )));
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, crossterm::event::KeyCode::Char(c));
    }
}

#[test]
fn train_form_prefills_from_the_config_and_checks_values() {
    use crossterm::event::KeyCode;
    let proj = demo_project();
    for (w, h) in SIZES {
        let mut app = new_app();
        app.data.root = proj.path().to_path_buf();
        // Over the Jobs view (`n` there too): the Models table's column widths are not
        // stable between runs at 160 columns (ratatui's solver with over-full constraints).
        app.run(Action::ViewJobs);
        app.run(Action::TrainNew);
        let Overlay::TrainForm(form) = &app.overlay else {
            panic!("no form: {:?}", app.note);
        };
        // demo/config.yaml: resnet18, 64x64, 40 epochs, batch 8.
        assert_eq!(
            form.values[..9],
            [
                "", "resnet18", "64", "64", "40", "8", "none", "auto", "local"
            ]
        );
        insta::assert_snapshot!(format!("train_form_{w}x{h}"), screen(&app, w, h));
        // Height 100 is refused by the engine's own config check, with its reason.
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Right);
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Backspace);
        key(&mut app, KeyCode::Backspace);
        key(&mut app, KeyCode::Backspace);
        type_text(&mut app, "100");
        key(&mut app, KeyCode::Enter);
        let Overlay::TrainForm(form) = &app.overlay else {
            panic!("form closed on a bad value");
        };
        assert_eq!(form.values[1], "resnet34");
        assert!(
            form.error.as_deref().unwrap().contains("multiples of 32"),
            "{:?}",
            form.error
        );
        insta::assert_snapshot!(format!("train_form_error_{w}x{h}"), screen(&app, w, h));
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.overlay, Overlay::None);
        assert!(app.jobs.jobs.is_empty());
    }
    // No model config: a clear message, no form.
    let empty = tempfile::tempdir().unwrap();
    let mut app = new_app();
    app.data.root = empty.path().to_path_buf();
    app.run(Action::ViewModels);
    app.run(Action::TrainNew);
    assert_eq!(app.overlay, Overlay::None);
    let note = app.note.clone().unwrap().1;
    assert!(note.contains("no model config"), "{note}");
}

/// Without a terminal `demo` says so and behaves as `--no-tui` (generates, prints the status).
#[test]
fn demo_without_a_terminal_falls_back_to_no_tui() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("d");
    let (code, out, err) = crate::common::run_posedeck(&[
        "demo",
        "--dir",
        d.to_str().unwrap(),
        "--frames",
        "4",
        "--videos",
        "1",
        "--clip-frames",
        "0",
        "--size",
        "64x64",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("not a terminal"), "{err}");
    assert!(err.contains("--no-tui"), "{err}");
    // The project's `posedeck status`, as with --no-tui.
    assert!(out.contains("labels: 4 labeled frames"), "{out}");
    assert!(out.contains("models (0):"), "{out}");
    assert!(d.join("CollectedData.csv").is_file());
    assert!(
        !d.join("models").read_dir().unwrap().any(|_| true),
        "no run started"
    );
}

#[cfg(feature = "engine")]
mod real {
    use super::*;
    use crate::shared_or_skip;
    use posedeck::tui::headless::Headless;
    use ratatui::layout::Rect;
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// The app opened headlessly on `proj` with a real job runner whose messages arrive on
    /// the returned channel.
    fn open_with_jobs(proj: &Path) -> (App, Headless, std::sync::mpsc::Receiver<Msg>, Rect) {
        let (tx, rx) = std::sync::mpsc::channel::<Msg>();
        let size = Rect::new(0, 0, 100, 30);
        let mut app = new_app();
        let mut hl = Headless::new(proj.to_str().unwrap());
        // The workers are posedeck processes (this test binary is not one).
        // SAFETY: every test sets the same value; nothing reads it concurrently in a way a
        // torn write could affect (the value never changes).
        unsafe { std::env::set_var("POSEDECK_WORKER_EXE", env!("CARGO_BIN_EXE_posedeck")) };
        hl.jobs = Some(posedeck::tui::job_bridge::JobRunner::new(tx));
        hl.open(&mut app, size);
        assert_eq!(
            app.data.root, proj,
            "the project did not load: {:?}",
            app.data.error
        );
        (app, hl, rx, size)
    }

    use crate::common::copy_dir;

    /// A real tiny run (mirror-mouse, resnet18, 128x128, 2 epochs) started from the Models
    /// view's form through the runner's job bridge; progress arrives as messages; cancel from
    /// the Jobs view (confirmed) stops it and the run's train_status.json says CANCELED.
    #[test]
    fn a_real_training_job_from_the_form_is_canceled_from_the_jobs_view() {
        use crossterm::event::KeyCode;
        let shared = shared_or_skip!();
        let tmp = tempfile::tempdir().unwrap();
        let proj = tmp.path().join("mouse");
        copy_dir(&shared.join("lp-mirror-mouse"), &proj);
        std::fs::copy(
            shared.join("lp-real-model/tiny_cpu_model/config.yaml"),
            proj.join("model_config_tiny.yaml"),
        )
        .unwrap();
        let (mut app, mut hl, rx, size) = open_with_jobs(&proj);
        app.run(Action::ViewModels);
        app.run(Action::TrainNew);
        let Overlay::TrainForm(form) = &app.overlay else {
            panic!("no form: {:?}", app.note);
        };
        assert_eq!(
            form.values[1..7],
            ["resnet18", "128", "128", "2", "8", "none"]
        );
        type_text(&mut app, "fromtui");
        for _ in 0..6 {
            key(&mut app, KeyCode::Down);
        }
        // Semi-supervised from the form: the temporal loss with its log_weight.
        for _ in 0.."none".len() {
            key(&mut app, KeyCode::Backspace);
        }
        type_text(&mut app, "temporal:4.5");
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Right); // device: auto -> cpu
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.overlay, Overlay::None, "{:?}", app.note);
        assert_eq!(app.jobs.counts(), (0, 1), "queued until its worker starts");
        hl.settle(&mut app, size);

        let t0 = Instant::now();
        let mut steps_seen = Vec::new();
        let mut canceled_at = None;
        loop {
            let m = rx
                .recv_timeout(Duration::from_secs(600))
                .expect("job messages stopped");
            app.handle(m);
            hl.settle(&mut app, size);
            let (progress, done) = (app.jobs.jobs[0].progress, app.jobs.jobs[0].state.is_done());
            if let Some(p) = progress {
                steps_seen.push(p.done);
            }
            if canceled_at.is_none() && steps_seen.len() >= 2 {
                // Everything the job has sent so far first: the cancel is then at most one
                // step behind the job.
                while let Ok(m) = rx.try_recv() {
                    app.handle(m);
                }
                hl.settle(&mut app, size);
                let at = app.jobs.jobs[0].progress.map_or(0, |p| p.done);
                canceled_at = Some(at);
                app.run(Action::ViewJobs);
                app.run(Action::CancelJob);
                assert!(matches!(app.overlay, Overlay::Confirm { .. }));
                app.run(Action::Confirm);
                hl.settle(&mut app, size);
            }
            if done {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(900), "job never ended");
        }
        let j = &app.jobs.jobs[0];
        assert_eq!(j.state, JobState::Canceled, "{:?}", j.log);
        let run = j.run_dir.clone().expect("run dir reported");
        assert_eq!(run, proj.join("models/fromtui"));
        let status: serde_json::Value =
            serde_json::from_slice(&std::fs::read(run.join("train_status.json")).unwrap()).unwrap();
        assert_eq!(status["status"], "CANCELED");
        assert!(
            j.log.iter().any(|l| l.contains("device: flex")),
            "{:?}",
            j.log
        );
        // The form's values reached the engine: the run's effective config.
        let cfg = std::fs::read_to_string(run.join("config.yaml")).unwrap();
        assert!(cfg.contains("backbone: resnet18"), "{cfg}");
        let v: serde_norway::Value = serde_norway::from_str(&cfg).unwrap();
        assert_eq!(
            v["model"]["losses_to_use"][0].as_str(),
            Some("temporal"),
            "{cfg}"
        );
        assert_eq!(
            v["losses"]["temporal"]["log_weight"].as_f64(),
            Some(4.5),
            "{cfg}"
        );
        assert!(
            j.log.iter().any(|l| l.contains("temporal: weight")),
            "{:?}",
            j.log
        );
        // Stopped within a step of the cancel: at most 2 steps after the one seen.
        let stopped = j.progress.unwrap().done;
        let at = canceled_at.unwrap();
        assert!(stopped <= at + 2, "canceled at {at}, stopped at {stopped}");
        assert!(steps_seen.windows(2).all(|w| w[0] <= w[1]));
        let s = screen(&app, 100, 30);
        assert!(s.contains("CANCELED"), "{s}");
        eprintln!(
            "job: {} progress messages, canceled at step {at}, stopped at {stopped}, {:.1}s",
            steps_seen.len(),
            t0.elapsed().as_secs_f64()
        );
    }

    /// Feeds the job's messages to the app (carrying out its effects) until `done` says so.
    fn pump(
        app: &mut App,
        hl: &mut Headless,
        rx: &std::sync::mpsc::Receiver<Msg>,
        mut done: impl FnMut(&mut App) -> bool,
    ) {
        let size = Rect::new(0, 0, 100, 30);
        let t0 = Instant::now();
        while !done(app) {
            let m = rx
                .recv_timeout(Duration::from_secs(600))
                .expect("job messages stopped");
            app.handle(m);
            hl.settle(app, size);
            assert!(t0.elapsed() < Duration::from_secs(900), "job never ended");
        }
    }

    /// The Models view's run (as the project loader gives it) with the status it has now.
    fn run_row(run: &Path) -> posedeck::tui::data::RunRow {
        let st: serde_json::Value =
            serde_json::from_slice(&std::fs::read(run.join("train_status.json")).unwrap()).unwrap();
        let status = st["status"].as_str().unwrap().to_string();
        posedeck::tui::data::RunRow {
            name: run.file_name().unwrap().to_string_lossy().into_owned(),
            path: run.to_path_buf(),
            effective: status.clone(),
            status,
            ..Default::default()
        }
    }

    /// On a small demo project: a run canceled after its first step, resumed with R from the
    /// Models view to COMPLETED, then predicted with p on the project's videos (PNG frame
    /// folders), which writes video_preds_infer/<video>.csv as `posedeck predict` does.
    #[test]
    fn resume_then_predict_from_the_models_view() {
        use crossterm::event::KeyCode;
        let tmp = tempfile::tempdir().unwrap();
        let proj = tmp.path().join("demo");
        let spec = posedeck::demo::DemoSpec {
            frames: 24,
            videos: 1,
            clip_frames: 6,
            width: 128,
            height: 128,
            ..Default::default()
        };
        posedeck::demo::generate(&spec, &proj).unwrap();
        let (mut app, mut hl, rx, size) = open_with_jobs(&proj);
        app.run(Action::ViewModels);
        app.run(Action::TrainNew);
        type_text(&mut app, "r");
        for _ in 0..4 {
            key(&mut app, KeyCode::Down);
        }
        for _ in 0..2 {
            key(&mut app, KeyCode::Backspace);
        }
        type_text(&mut app, "3"); // epochs
        key(&mut app, KeyCode::Down);
        for _ in 0..2 {
            key(&mut app, KeyCode::Backspace);
        }
        type_text(&mut app, "8"); // batch: 3 steps an epoch
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Right); // cpu
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.overlay, Overlay::None, "{:?}", app.note);
        hl.settle(&mut app, size);
        pump(&mut app, &mut hl, &rx, |app| {
            app.jobs.jobs[0].progress.is_some_and(|p| p.done >= 1)
        });
        job_list::cancel(&mut app, 1);
        hl.settle(&mut app, size);
        pump(&mut app, &mut hl, &rx, |app| {
            app.jobs.jobs[0].state.is_done()
        });
        assert_eq!(app.jobs.jobs[0].state, JobState::Canceled);
        let run = proj.join("models/r");
        let stopped = app.jobs.jobs[0].progress.unwrap();
        assert_eq!(stopped.total, 9);

        // R on the canceled run continues it to the end.
        app.data.runs = vec![run_row(&run)];
        app.run(Action::ResumeRun);
        assert_eq!(job_list::active(&app.jobs), 1, "{:?}", app.note);
        hl.settle(&mut app, size);
        pump(&mut app, &mut hl, &rx, |app| {
            app.jobs.jobs[1].state.is_done()
        });
        let j = &app.jobs.jobs[1];
        assert_eq!(j.state, JobState::Completed, "{:?}", j.log);
        assert_eq!(j.title(), "resume r");
        assert_eq!(j.epoch, Some((3, 3)), "the resumed job trains to the end");
        assert!(
            j.log
                .iter()
                .any(|l| l.contains(&format!("step {} from", stopped.done))),
            "{:?}",
            j.log
        );
        assert_eq!(run_row(&run).status, "COMPLETED");
        // Resume again: nothing to resume on a completed run.
        app.data.runs = vec![run_row(&run)];
        app.run(Action::ResumeRun);
        assert_eq!(app.jobs.jobs.len(), 2);
        assert!(app.note.as_ref().unwrap().1.contains("nothing to resume"));

        // p predicts the run on the project's videos into video_preds_infer/.
        app.run(Action::PredictRun);
        assert_eq!(job_list::active(&app.jobs), 1, "{:?}", app.note);
        hl.settle(&mut app, size);
        pump(&mut app, &mut hl, &rx, |app| {
            app.jobs.jobs[2].state.is_done()
        });
        let j = &app.jobs.jobs[2];
        assert_eq!(j.state, JobState::Completed, "{:?}", j.log);
        assert_eq!(j.unit, "frames");
        assert_eq!(j.progress.unwrap().done, 6);
        let out: Vec<String> = std::fs::read_dir(proj.join("video_preds_infer"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            out.iter()
                .any(|n| n.ends_with(".csv") && !n.contains("temporal")),
            "{out:?}"
        );
    }

    /// `posedeck demo --dir D` in tmux: the Jobs view shows the demo's training job and its
    /// step count moves within 30 s; `q` cancels it and the run is left CANCELED.
    #[test]
    fn demo_opens_the_workstation_with_a_moving_training_job() {
        use std::process::Command;
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("SKIP: tmux not installed");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        let name = format!("posedeck-jobs-{}", std::process::id());
        let cmd = format!(
            "{} demo --dir {}; echo EXIT=$?; sleep 30",
            env!("CARGO_BIN_EXE_posedeck"),
            dir.display()
        );
        let ok = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", "100", "-y", "30"])
            .arg(&cmd)
            .env_remove("TMUX")
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux new-session");
        struct Kill(String);
        impl Drop for Kill {
            fn drop(&mut self) {
                let _ = Command::new("tmux")
                    .args(["kill-session", "-t", &self.0])
                    .status();
            }
        }
        let _kill = Kill(name.clone());
        let capture = || {
            let o = Command::new("tmux")
                .args(["capture-pane", "-p", "-t", &name])
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).into_owned()
        };
        let steps = |s: &str| -> Option<u64> {
            let re = regex::Regex::new(r"(\d+)/(\d+) steps").unwrap();
            re.captures(s).and_then(|c| c[1].parse().ok())
        };
        let t0 = Instant::now();
        let mut first: Option<(u64, f64)> = None;
        let mut moved = None;
        let mut last = String::new();
        while t0.elapsed() < Duration::from_secs(30) {
            last = capture();
            if let Some(n) = steps(&last) {
                match first {
                    None => first = Some((n, t0.elapsed().as_secs_f64())),
                    Some((f, _)) if n > f => {
                        moved = Some((n, t0.elapsed().as_secs_f64()));
                        break;
                    }
                    _ => {}
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let (Some((f, tf)), Some((n, tn))) = (first, moved) else {
            panic!("no moving training progress within 30 s:\n{last}");
        };
        assert!(last.contains("RUNNING"), "{last}");
        assert!(last.contains("flex (CPU)"), "{last}");
        eprintln!("demo: step {f} on screen after {tf:.1}s, step {n} after {tn:.1}s");
        let _ = Command::new("tmux")
            .args(["send-keys", "-t", &name, "q"])
            .status();
        // The job is a detached worker: q asks, and in the demo cancel is the default.
        let t1 = Instant::now();
        while !capture().contains("c/enter cancel them") {
            assert!(
                t1.elapsed() < Duration::from_secs(10),
                "no quit question:\n{}",
                capture()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            capture().contains("1 job is queued or running"),
            "{}",
            capture()
        );
        let _ = Command::new("tmux")
            .args(["send-keys", "-t", &name, "Enter"])
            .status();
        while !capture().contains("EXIT=0") {
            assert!(
                t1.elapsed() < Duration::from_secs(30),
                "q did not quit:\n{}",
                capture()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let runs: Vec<PathBuf> = std::fs::read_dir(dir.join("models"))
            .unwrap()
            .flatten()
            .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
            .map(|e| e.path())
            .collect();
        assert_eq!(runs.len(), 1, "{runs:?}");
        // The worker saves its checkpoint and writes CANCELED itself, after the quit.
        let t2 = Instant::now();
        loop {
            let status: serde_json::Value =
                serde_json::from_slice(&std::fs::read(runs[0].join("train_status.json")).unwrap())
                    .unwrap_or_default();
            if status["status"] == "CANCELED" {
                break;
            }
            assert!(
                t2.elapsed() < Duration::from_secs(30),
                "quitting did not cancel the job: {status}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
