//! The train form's target (local / SLURM with its resources, or why SLURM is not offered),
//! and the Jobs view of SLURM jobs from synthesized SLURM views: the job id and SLURM's state,
//! NODE_FAIL and OUT_OF_MEMORY with their reasons, an array folded into one row with a line
//! per task, and SLURM unreachable in one line while the job keeps its last known state.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use posedeck::jobs::slurm::state::Task;
use posedeck::jobs::slurm::{Resources, SlurmView};
use posedeck::tui::action::Action;
use posedeck::tui::app::{App, Effect, Overlay};
use posedeck::tui::headless::screen;
use posedeck::tui::keymap::Keymap;
use posedeck::tui::msg::Msg;
use posedeck::tui::state::job_list::{self, JobBody, JobEnd, JobMsg, JobSpec, JobState, TrainSpec};
use posedeck::tui::state::train_form::Field;
use posedeck::tui::theme::Theme;

fn new_app() -> App {
    let mut app = App::new("snapshot".into(), Keymap::defaults(), Theme::dark());
    app.loading = false;
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.handle(Msg::Input(Event::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))));
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn form(app: &App) -> &posedeck::tui::state::train_form::TrainForm {
    match &app.overlay {
        Overlay::TrainForm(f) => f,
        o => panic!("no form: {o:?} {:?}", app.note),
    }
}

fn form_mut(app: &mut App) -> &mut posedeck::tui::state::train_form::TrainForm {
    match &mut app.overlay {
        Overlay::TrainForm(f) => f,
        _ => panic!("no form"),
    }
}

/// Moves the focus to `f`.
fn focus(app: &mut App, f: Field) {
    for _ in 0..20 {
        if form(app).field() == f {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("no field {f:?}");
}

fn open_form(proj: &std::path::Path) -> App {
    let mut app = new_app();
    app.data.root = proj.to_path_buf();
    app.run(Action::ViewJobs);
    app.run(Action::TrainNew);
    form(&app);
    app
}

#[test]
fn the_train_form_submits_to_slurm_with_its_resources() {
    let proj = crate::jobs_detached::demo_project();
    let mut app = open_form(proj.path());
    let defaults = Resources {
        partition: Some("gpu".into()),
        time: Some("4:00:00".into()),
        cpus_per_task: Some(8),
        mem: Some("32G".into()),
        extra: vec!["--qos=high".into()],
        setup: Some("module load cuda".into()),
        ..Resources::default()
    };
    form_mut(&mut app).set_slurm(Ok(defaults.clone()));
    // Local: the SLURM resources are not shown.
    assert!(!form(&app).fields().contains(&Field::Partition));
    focus(&mut app, Field::Target);
    key(&mut app, KeyCode::Right);
    assert_eq!(form(&app).value(Field::Target), "slurm");
    let s = screen(&app, 100, 30);
    for want in [
        "partition",
        "gpu",
        "gpu:1",
        "4:00:00",
        "32G",
        "enter submit to SLURM",
    ] {
        assert!(s.contains(want), "{want:?} in\n{s}");
    }
    // A bad value is named; the form stays open.
    focus(&mut app, Field::Time);
    for _ in 0..7 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "soon");
    key(&mut app, KeyCode::Enter);
    let e = form(&app).error.clone().unwrap();
    assert!(e.starts_with("time limit \"soon\""), "{e}");
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "30");
    focus(&mut app, Field::Gres);
    for _ in 0..5 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "none");
    focus(&mut app, Field::Cpus);
    key(&mut app, KeyCode::Backspace);
    type_text(&mut app, "2");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.overlay, Overlay::None, "{:?}", app.note);
    let spec = app
        .take_effects()
        .into_iter()
        .find_map(|e| match e {
            Effect::StartJob { spec, .. } => Some(spec),
            _ => None,
        })
        .unwrap();
    let JobSpec::Train(t) = spec else {
        panic!("{spec:?}")
    };
    let r = t.slurm.unwrap();
    assert_eq!(
        *r,
        Resources {
            time: Some("30".into()),
            gres: None,
            cpus_per_task: Some(2),
            ..defaults
        }
    );
    assert!(app.note.unwrap().1.contains("submitting to SLURM"));
}

#[test]
fn the_train_form_says_why_slurm_is_not_offered() {
    let proj = crate::jobs_detached::demo_project();
    let mut app = open_form(proj.path());
    form_mut(&mut app).set_slurm(Err("SLURM: no sbatch on PATH".into()));
    focus(&mut app, Field::Target);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Left);
    assert_eq!(form(&app).value(Field::Target), "local");
    assert!(!form(&app).fields().contains(&Field::Partition));
    let s = screen(&app, 100, 30);
    assert!(s.contains("SLURM: no sbatch on PATH"), "{s}");
    key(&mut app, KeyCode::Enter);
    let spec = app.take_effects().into_iter().find_map(|e| match e {
        Effect::StartJob { spec, .. } => Some(spec),
        _ => None,
    });
    assert!(matches!(
        spec,
        Some(JobSpec::Train(TrainSpec { slurm: None, .. }))
    ));
}

fn task(i: Option<u32>, state: &str, reason: Option<&str>, exit: Option<i32>) -> Task {
    Task {
        task: i,
        state: state.into(),
        reason: reason.map(Into::into),
        exit_code: exit,
        signal: None,
        node: Some("node7".into()),
        elapsed_s: Some(75),
        time_limit_s: Some(3600),
    }
}

fn view(id: u64, array: Option<u32>, tasks: Vec<Task>) -> SlurmView {
    // SLURM's own fold of the tasks (as squeue/sacct answers are folded).
    let entries: Vec<posedeck::jobs::slurm::state::Entry> = tasks
        .iter()
        .map(|t| posedeck::jobs::slurm::state::Entry {
            job_id: id + t.task.unwrap_or(0) as u64 + u64::from(array.is_some()),
            array_job_id: array.map(|_| id),
            pending_tasks: None,
            task: t.clone(),
        })
        .collect();
    let f = posedeck::jobs::slurm::state::fold(&entries, id, array).unwrap();
    SlurmView {
        job_id: id,
        array_size: array,
        state: f.state,
        summary: f.summary,
        tasks: f.tasks,
        source: "squeue".into(),
        error: None,
    }
}

fn send(app: &mut App, id: u64, body: JobBody) {
    job_list::on_msg(app, JobMsg { id, t: 1.0, body });
}

fn slurm_job(app: &mut App, name: &str) -> u64 {
    job_list::attach(
        app,
        JobSpec::Train(TrainSpec {
            project: "/p".into(),
            name: Some(name.into()),
            device: "cpu".into(),
            ..Default::default()
        }),
        format!("/p/models/{name}").into(),
    )
}

#[test]
fn the_jobs_view_shows_slurms_failures_arrays_and_an_unreachable_controller() {
    let mut app = new_app();
    app.run(Action::ViewJobs);
    // A node lost under a training whose worker wrote no end: NODE_FAIL, not TRAINING.
    let a = slurm_job(&mut app, "lost");
    let v = view(
        41,
        None,
        vec![task(None, "NODE_FAIL", Some("NodeDown"), None)],
    );
    assert_eq!(v.summary, "NODE_FAIL (NodeDown)");
    send(
        &mut app,
        a,
        JobBody::Slurm {
            view: Some(v),
            error: None,
        },
    );
    send(
        &mut app,
        a,
        JobBody::Ended(JobEnd::Failed(
            "SLURM job 41: NODE_FAIL (NodeDown) (the worker wrote no end)".into(),
        )),
    );
    // Killed for its memory.
    let b = slurm_job(&mut app, "oom");
    let v = view(42, None, vec![task(None, "OUT_OF_MEMORY", None, Some(0))]);
    send(
        &mut app,
        b,
        JobBody::Slurm {
            view: Some(v),
            error: None,
        },
    );
    send(
        &mut app,
        b,
        JobBody::Ended(JobEnd::Failed("SLURM job 42: OUT_OF_MEMORY".into())),
    );
    // A predict array: one row, a line per task.
    let c = job_list::attach(
        &mut app,
        JobSpec::Predict {
            run: "/p/models/m".into(),
            sources: vec!["a".into(), "b".into(), "c".into()],
            device: "cpu".into(),
        },
        "/p/models/m/predict_jobs/1".into(),
    );
    let v = view(
        50,
        Some(3),
        vec![
            task(Some(0), "COMPLETED", None, Some(0)),
            task(Some(1), "RUNNING", None, None),
            task(Some(2), "COMPLETED", None, Some(0)),
        ],
    );
    send(
        &mut app,
        c,
        JobBody::Slurm {
            view: Some(v),
            error: None,
        },
    );
    let s = screen(&app, 160, 48);
    for want in [
        "train lost  slurm 41",
        "train oom  slurm 42",
        "slurm 50[0-2]",
        "3 tasks: 2 COMPLETED 1 RUNNING",
    ] {
        assert!(s.contains(want), "{want:?} in\n{s}");
    }
    assert_eq!(app.jobs.jobs.iter().filter(|j| j.id == c).count(), 1);
    assert_eq!(app.jobs.get(a).unwrap().state.label(), "FAILED");
    // The selected array's detail: one line per task.
    app.jobs.selected = 2;
    let s = screen(&app, 160, 48);
    for want in [
        "slurm 50[0-2]  3 tasks: 2 COMPLETED 1 RUNNING",
        "task 0   COMPLETED",
        "task 1   RUNNING on node7, 0:01:15 of 1:00:00",
    ] {
        assert!(s.contains(want), "{want:?} in\n{s}");
    }
    app.jobs.selected = 0;
    let s = screen(&app, 160, 48);
    assert!(s.contains("slurm 41  NODE_FAIL (NodeDown)"), "{s}");
    app.jobs.selected = 1;
    let s = screen(&app, 160, 48);
    assert!(s.contains("slurm 42  OUT_OF_MEMORY"), "{s}");
    // The controller stopped: the array keeps its last known state; one line says why.
    let err = "squeue --json --me: slurm_load_jobs error: Unable to contact slurm controller";
    send(
        &mut app,
        c,
        JobBody::Slurm {
            view: None,
            error: Some(err.into()),
        },
    );
    let j = app.jobs.get(c).unwrap();
    assert_eq!(j.state, JobState::Queued);
    assert_eq!(j.slurm.as_ref().unwrap().state, "RUNNING");
    app.jobs.selected = 2;
    for (w, h) in [(80, 24), (160, 48)] {
        let s = screen(&app, w, h);
        assert!(s.contains("SLURM unreachable"), "{s}");
        let lines: Vec<&str> = s.lines().filter(|l| l.contains("Unable to")).collect();
        assert!(lines.len() <= 1, "{s}");
        assert!(s.contains("RUNNING"), "{s}");
    }
}
