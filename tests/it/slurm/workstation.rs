//! The workstation against the real SLURM: a training submitted from the train form in a
//! real terminal (tmux) seen PENDING, RUNNING and COMPLETED in the Jobs view with its job id,
//! as `jobs --json` says; a predict array folded into one row with a line per task; and a
//! stopped controller (slurmctld killed): one line saying SLURM is unreachable, the job keeps
//! its last known state, nothing waits longer than the client timeout.

use super::cluster::{self, Cluster, cluster_or_skip};
use posedeck::jobs::list::State;
use posedeck::jobs::slurm::client;
use posedeck::tui::slurm_follow::SlurmFollow;
use posedeck::tui::state::job_list::{self, JobBody, JobMsg, JobSpec, TrainSpec};
use std::path::Path;
use std::time::{Duration, Instant};

/// `s` in single quotes for the shell.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn jobs_json(c: &Cluster, proj: &Path, env: &[(&str, &str)]) -> Vec<serde_json::Value> {
    let out = crate::common::output_ok(
        c.posedeck()
            .args(["jobs", proj.to_str().unwrap(), "--json"])
            .envs(env.iter().copied()),
    );
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn new_app() -> posedeck::tui::app::App {
    let mut app = posedeck::tui::app::App::new(
        "snapshot".into(),
        posedeck::tui::keymap::Keymap::defaults(),
        posedeck::tui::theme::Theme::dark(),
    );
    app.loading = false;
    app.run(posedeck::tui::action::Action::ViewJobs);
    app
}

/// What a follower forwards now, applied to job `id` of `app`.
fn apply(app: &mut posedeck::tui::app::App, id: u64, bodies: Vec<JobBody>) {
    for body in bodies {
        job_list::on_msg(app, JobMsg { id, t: 0.0, body });
    }
}

/// SLURM clients' environment variables.
type Env = Vec<(String, std::ffi::OsString)>;

/// The client environment for cluster `c` (client timeout `timeout` s, set for this thread),
/// a workstation following the training `name` of `proj` in `run`, and its first check applied.
fn follow(
    c: &Cluster,
    proj: &Path,
    run: &Path,
    name: &str,
    timeout: &str,
) -> (Env, posedeck::tui::app::App, u64, SlurmFollow) {
    let env = vec![
        ("SLURM_CONF".to_string(), c.conf.clone().into_os_string()),
        ("POSEDECK_SLURM_TIMEOUT".to_string(), timeout.into()),
    ];
    client::set_thread_env(env.clone());
    let mut app = new_app();
    let id = job_list::attach(
        &mut app,
        JobSpec::Train(TrainSpec {
            project: proj.to_path_buf(),
            name: Some(name.into()),
            device: "cpu".into(),
            ..Default::default()
        }),
        run.to_path_buf(),
    );
    let mut f = SlurmFollow::every(Duration::ZERO);
    let (b, _) = f.check(run);
    apply(&mut app, id, b);
    (env, app, id, f)
}

#[test]
fn slurm_e2e_train_form_to_completed_in_the_jobs_view() {
    let c = cluster_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = super::project(tmp.path());
    // slurm.toml's defaults reach the form; `--begin` keeps the job PENDING for a moment.
    let cfg = tmp.path().join("cfg");
    std::fs::create_dir_all(cfg.join("posedeck")).unwrap();
    std::fs::write(
        cfg.join("posedeck/slurm.toml"),
        "gres = \"none\"\ntime = \"10:00\"\nextra = [\"--begin=now+4\"]\n",
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_posedeck");
    let cmd = format!(
        "SLURM_CONF={} XDG_CONFIG_HOME={} {} {} --image-protocol halfblocks",
        q(c.conf.to_str().unwrap()),
        q(cfg.to_str().unwrap()),
        q(bin),
        q(proj.to_str().unwrap())
    );
    let Some(t) = crate::tui::e2e::Tmux::start(&cmd, 160, 40) else {
        return;
    };
    t.wait_for("Labeled frames per video", 10.0)
        .expect("overview shows");
    t.keys(&["6"]);
    t.wait_for("no jobs yet", 5.0).expect("the Jobs view shows");
    t.keys(&["n"]);
    t.wait_for("train a new model", 5.0)
        .expect("the form opens");
    // name, then epochs 2, device cpu, run on slurm.
    t.keys(&["e", "2", "e", "Down", "Down", "Down", "Down"]);
    t.keys(&[
        "BSpace", "BSpace", "BSpace", "2", "Down", "Down", "Down", "Right",
    ]);
    t.keys(&["Down", "Right"]);
    t.wait_for("enter submit to SLURM", 5.0)
        .expect("SLURM chosen, its resources shown");
    let screen = t.capture();
    assert!(
        screen.contains("10:00"),
        "slurm.toml's time limit:\n{screen}"
    );
    let t0 = Instant::now();
    t.keys(&["Enter"]);
    let mut seen: Vec<String> = Vec::new();
    let mut first_step = None;
    let mut id_shown = None;
    let done = loop {
        let s = t.capture();
        if let Some(row) = s.lines().find(|l| l.contains("train e2e")) {
            // The state column is the first of these words in the row (the phase column
            // after it may say `SLURM PENDING (BeginTime)`).
            let state = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELED"]
                .iter()
                .filter_map(|st| row.find(st).map(|i| (i, *st)))
                .min();
            if let Some((_, st)) = state
                && seen.last().map(String::as_str) != Some(st)
            {
                seen.push(st.to_owned());
            }
            if id_shown.is_none()
                && let Some(i) = row.find("slurm ")
            {
                id_shown = row[i + 6..]
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok());
            }
            if first_step.is_none() && row.contains(" steps") {
                first_step = Some(t0.elapsed());
            }
            if row.contains("COMPLETED") || row.contains("FAILED") {
                break s;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(180),
            "no end after 180 s ({seen:?}):\n{s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!(
        "slurm e2e: Enter to first step on screen {:.1} s, to COMPLETED {:.1} s; states {seen:?}",
        first_step.map_or(f64::NAN, |d| d.as_secs_f64()),
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(seen, ["PENDING", "RUNNING", "COMPLETED"], "{done}");
    // SLURM's own word follows the worker's end into the detail.
    t.wait_for("COMPLETED", 1.0).unwrap();
    let id_line = format!("slurm {}  COMPLETED", id_shown.unwrap_or(0));
    if let Err(s) = t.wait_for(&id_line, 25.0) {
        panic!("no {id_line:?}:\n{s}");
    }
    let run = proj.join("models/e2e");
    let rec = posedeck::jobs::slurm::read_record(&run).unwrap().unwrap();
    assert_eq!(id_shown, Some(rec.job_id), "{done}");
    let script = std::fs::read_to_string(run.join("slurm.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --time=10:00"), "{script}");
    assert!(script.contains("#SBATCH --begin=now+4"), "{script}");
    assert!(!script.contains("--gres"), "{script}");
    // `jobs --json` agrees.
    let list = jobs_json(c, &proj, &[]);
    let e = list
        .iter()
        .find(|e| e["dir"] == run.to_str().unwrap())
        .unwrap();
    assert_eq!(e["state"], "COMPLETED", "{e}");
    assert_eq!(e["target"], "slurm");
    assert!(
        e["where"]
            .as_str()
            .unwrap()
            .starts_with(&format!("slurm:{}", rec.job_id)),
        "{e}"
    );
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 10.0).expect("q quits");
}

/// The array of `slurm_predict_array_folds_into_one_job`, as the workstation shows it.
pub fn array_in_the_jobs_view(c: &Cluster, proj: &Path, dir: &Path, job_id: u64) {
    let list = jobs_json(c, proj, &[]);
    let e = list
        .iter()
        .find(|e| e["dir"] == dir.to_str().unwrap())
        .unwrap();
    let tasks: Vec<(u64, &str)> = e["slurm"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["task"].as_u64().unwrap(), t["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        tasks,
        [(0, "COMPLETED"), (1, "COMPLETED"), (2, "COMPLETED")]
    );
    assert_eq!(e["where"], format!("slurm:{job_id}_[0-2]"));
    client::set_thread_env(vec![("SLURM_CONF".into(), c.conf.clone().into())]);
    let mut app = new_app();
    let job = posedeck::jobs::job_file::JobFile::load(dir).unwrap();
    let id = job_list::attach(
        &mut app,
        posedeck::tui::job_prepare::spec_of(&job),
        dir.to_path_buf(),
    );
    let mut f = SlurmFollow::every(Duration::ZERO);
    let (b, ended) = f.check(dir);
    assert!(!ended);
    apply(&mut app, id, b);
    let (b, ended) = f.check(dir);
    assert!(ended, "{b:?}");
    apply(&mut app, id, b);
    let s = posedeck::tui::headless::screen(&app, 160, 48);
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("3 tasks")).collect();
    assert!(
        rows.iter().any(|r| r.contains("COMPLETED")
            && r.contains(&format!("slurm {job_id}[0-2]"))
            && r.contains("3 tasks: 3 COMPLETED")),
        "{s}"
    );
    for i in 0..3 {
        assert!(s.contains(&format!("task {i}   COMPLETED")), "{s}");
    }
    client::set_thread_env(Vec::new());
}

#[test]
fn slurm_stopped_controller_is_one_line_and_the_job_keeps_its_state() {
    let _shared = cluster_or_skip!();
    let Some(p) = cluster::private() else {
        return;
    };
    let c = &p.0;
    let tmp = tempfile::tempdir().unwrap();
    let proj = super::project(tmp.path());
    crate::common::output_ok(
        c.posedeck()
            .args(["train", proj.to_str().unwrap(), "--slurm", "--name", "held"])
            .args(["--device", "cpu", "--gres=none", "--sbatch=--hold"]),
    );
    let run = proj.join("models/held");
    let (_env, mut app, id, mut f) = follow(c, &proj, &run, "held", "3");
    let j = app.jobs.get(id).unwrap();
    assert_eq!(j.slurm.as_ref().map(|v| v.state.as_str()), Some("PENDING"));
    assert_eq!(
        posedeck::tui::state::job_slurm::state_label(j),
        "PENDING",
        "{j:?}"
    );
    p.kill_controller();
    let t0 = Instant::now();
    let (b, ended) = f.check(&run);
    let took = t0.elapsed();
    eprintln!(
        "slurm: with slurmctld killed, one poll gave up after {:.1} s",
        took.as_secs_f64()
    );
    assert!(!ended);
    assert!(took < Duration::from_secs(8), "{took:?}");
    apply(&mut app, id, b);
    let j = app.jobs.get(id).unwrap();
    let err = j.slurm_error.clone().expect("the error is kept");
    assert!(err.starts_with("squeue --json --me: "), "{err}");
    assert!(!err.contains('\n'));
    assert_eq!(
        j.slurm.as_ref().unwrap().state,
        "PENDING",
        "last known state"
    );
    assert_eq!(posedeck::tui::state::job_slurm::state_label(j), "PENDING");
    for (w, h) in [(80, 24), (160, 48)] {
        let s = posedeck::tui::headless::screen(&app, w, h);
        assert!(s.contains("SLURM unreachable"), "{s}");
        assert!(s.contains("PENDING"), "{s}");
        // One line in the detail (the log keeps when it happened, as a warning).
        let n = s
            .lines()
            .filter(|l| l.contains("│SLURM unreachable: squeue"))
            .count();
        assert_eq!(n, 1, "{s}");
    }
    // Nothing new: nothing forwarded again (no repeated warning).
    let (b, _) = f.check(&run);
    assert!(
        !b.iter()
            .any(|b| matches!(b, JobBody::Event(posedeck::engine::JobEvent::Warning(_)))),
        "{b:?}"
    );
    client::set_thread_env(Vec::new());
    // `posedeck jobs --json`: listed with its folder's state and the error, within the timeout.
    let t0 = Instant::now();
    let list = jobs_json(c, &proj, &[("POSEDECK_SLURM_TIMEOUT", "3")]);
    assert!(t0.elapsed() < Duration::from_secs(10));
    let e = list
        .iter()
        .find(|e| e["dir"] == run.to_str().unwrap())
        .unwrap();
    assert_eq!(e["state"], "PENDING", "{e}");
    assert_eq!(e["slurm"]["state"], "UNKNOWN", "{e}");
    assert!(
        e["problems"][0].as_str().unwrap().starts_with("squeue"),
        "{e}"
    );
}

/// SIGKILL to these processes when dropped.
struct Reap(Vec<i32>);

impl Drop for Reap {
    fn drop(&mut self) {
        for &p in &self.0 {
            // SAFETY: signals to processes this test's job started.
            unsafe { libc::kill(p, libc::SIGKILL) };
        }
    }
}

fn ppid(pid: i32) -> Option<i32> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s.rsplit_once(") ")?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A lost node under a running training (its slurmd SIGKILLed): SLURM marks the node DOWN
/// after `SlurmdTimeout` (30 s on the test cluster) and ends the job NODE_FAIL (the script
/// asks for no requeue); `jobs` and the Jobs view show that within a minute, never TRAINING,
/// although the folder's last word is a training step.
#[test]
fn slurm_killed_slurmd_shows_node_fail_within_a_minute() {
    let _shared = cluster_or_skip!();
    let Some(p) = cluster::private() else {
        return;
    };
    let c = &p.0;
    let tmp = tempfile::tempdir().unwrap();
    let proj = super::project(tmp.path());
    let (run, id) = super::submit(c, &proj, "lost", 5000, &["--gres=none"]);
    let script = std::fs::read_to_string(run.join("slurm.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --no-requeue\n"), "{script}");
    let j = super::wait_for(c, &proj, &run, 120, |j| {
        super::slurm_state(j) == "RUNNING" && j.summary.progress.is_some()
    });
    let worker = j.summary.pid.expect("the worker's start record") as i32;
    // What a lost node takes with it, gone at the end however the test ends: the worker and
    // its slurmstepd (they outlive slurmd).
    let _reap = Reap(vec![
        worker,
        ppid(worker).filter(|&p| p > 1).unwrap_or(worker),
    ]);
    let (env, mut app, jid, mut f) = follow(c, &proj, &run, "lost", "5");
    assert_eq!(
        posedeck::tui::state::job_slurm::state_label(app.jobs.get(jid).unwrap()),
        "RUNNING"
    );

    p.kill_slurmd();
    let t0 = Instant::now();
    let j = super::wait_for(c, &proj, &run, 90, |j| {
        matches!(super::slurm_state(j), "NODE_FAIL" | "FAILED")
    });
    let took = t0.elapsed();
    eprintln!(
        "slurm: slurmd killed under job {id}: {} after {:.1} s",
        super::slurm_state(&j),
        took.as_secs_f64()
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert_eq!(super::slurm_state(&j), "NODE_FAIL", "{j:#?}");
    assert_eq!(j.state, State::Failed, "{j:#?}");
    assert!(
        j.message.as_deref().unwrap().contains("NODE_FAIL"),
        "{j:#?}"
    );
    // The worker on the lost node still writes its steps; the folder says TRAINING.
    assert_eq!(super::run_status(&run), "TRAINING");

    // The follower ends a job on SLURM's final word seen on two polls (the worker's own end,
    // were it to come, wins the grace between them).
    client::set_thread_env(env);
    let t1 = Instant::now();
    loop {
        let (b, ended) = f.check(&run);
        apply(&mut app, jid, b);
        if ended {
            break;
        }
        assert!(t1.elapsed() < Duration::from_secs(20), "never ended");
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "slurm: the Jobs view's follower ended the job {:.1} s after slurmd was killed",
        t0.elapsed().as_secs_f64()
    );
    let jr = app.jobs.get(jid).unwrap();
    let label = posedeck::tui::state::job_slurm::state_label(jr);
    assert!(label != "RUNNING" && label != "TRAINING", "{label}: {jr:?}");
    let s = posedeck::tui::headless::screen(&app, 160, 48);
    assert!(s.contains("NODE_FAIL"), "{s}");
    client::set_thread_env(Vec::new());

    let list = jobs_json(c, &proj, &[]);
    let e = list
        .iter()
        .find(|e| e["dir"] == run.to_str().unwrap())
        .unwrap();
    assert_eq!(e["slurm"]["state"], "NODE_FAIL", "{e}");
    assert_ne!(e["state"], "TRAINING", "{e}");
}
