//! Jobs through a real single-node SLURM (see `slurm/cluster.rs`): `train --slurm` on the demo
//! project to COMPLETED, a held job's reason, cancel (CANCELLED in SLURM, CANCELED and
//! resumable in the run folder), the time limit (TIMEOUT, never TRAINING), a failing setup
//! line (FAILED with its exit code), a predict array folded into one job with per-task states,
//! and hung clients that time out in one line. The project folder's name has a space and a
//! quote, so every path in the batch script is quoted.

mod bench;
pub mod cluster;
mod workstation;

use cluster::{Cluster, cluster_or_skip};
use posedeck::jobs::list::{JobInfo, State};
use posedeck::jobs::slurm::client;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A tiny demo project (24 frames of 64x64: 3 steps an epoch) in a folder named `it's a demo`.
fn project(tmp: &Path) -> PathBuf {
    let p = tmp.join("it's a demo");
    let spec = posedeck::demo::DemoSpec {
        frames: 24,
        width: 64,
        height: 64,
        videos: 3,
        clip_frames: 4,
        ..Default::default()
    };
    posedeck::demo::generate(&spec, &p).unwrap();
    p
}

/// `posedeck train PROJECT --slurm --name NAME --device cpu` with `args`; (run folder, job id).
fn submit(c: &Cluster, proj: &Path, name: &str, epochs: u32, args: &[&str]) -> (PathBuf, u64) {
    let e = format!("training.max_epochs={epochs}");
    let m = format!("training.min_epochs={epochs}");
    let out = c
        .posedeck()
        .args(["train", proj.to_str().unwrap(), "--slurm", "--name", name])
        .args(["--device", "cpu", "--set", &e, "--set", &m])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines();
    let run = PathBuf::from(lines.next().unwrap());
    let id = lines
        .next()
        .and_then(|l| l.strip_prefix("SLURM job "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no job id in {stdout:?}"));
    assert_eq!(run, proj.join("models").join(name));
    let rec = posedeck::jobs::slurm::read_record(&run).unwrap().unwrap();
    assert_eq!(rec.job_id, id);
    (run, id)
}

/// The project's job list (with SLURM's view), as `posedeck jobs` shows it.
fn jobs(c: &Cluster, proj: &Path) -> Vec<JobInfo> {
    client::set_thread_env(vec![("SLURM_CONF".into(), c.conf.clone().into())]);
    posedeck::jobs::list::list(proj)
}

fn job(c: &Cluster, proj: &Path, dir: &Path) -> JobInfo {
    jobs(c, proj)
        .into_iter()
        .find(|j| j.dir == dir)
        .unwrap_or_else(|| panic!("{} not listed", dir.display()))
}

/// Polls the job until `pred` holds (panics with the last view after `secs`).
fn wait_for(
    c: &Cluster,
    proj: &Path,
    dir: &Path,
    secs: u64,
    mut pred: impl FnMut(&JobInfo) -> bool,
) -> JobInfo {
    let t0 = Instant::now();
    loop {
        let j = job(c, proj, dir);
        if pred(&j) {
            return j;
        }
        if t0.elapsed() > Duration::from_secs(secs) {
            panic!("after {secs} s: {j:#?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn slurm_state(j: &JobInfo) -> &str {
    j.slurm.as_ref().map_or("", |v| v.state.as_str())
}

fn run_status(run: &Path) -> String {
    let t = std::fs::read_to_string(run.join("train_status.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    v["status"].as_str().unwrap().to_owned()
}

#[test]
fn slurm_training_runs_to_completed() {
    let c = cluster_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(tmp.path());
    let t0 = Instant::now();
    let (run, id) = submit(c, &proj, "r1", 1, &[]);
    let script = std::fs::read_to_string(run.join("slurm.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --gres=gpu:1"), "{script}");
    assert!(script.contains("'--run-dir' '"), "{script}");
    let mut seen = Vec::new();
    let j = wait_for(c, &proj, &run, 120, |j| {
        seen.push(slurm_state(j).to_owned());
        j.state.is_done() && j.slurm.as_ref().is_some_and(|v| v.is_final())
    });
    eprintln!(
        "slurm: submit to COMPLETED {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(j.state, State::Completed, "{j:#?}");
    let v = j.slurm.as_ref().unwrap();
    assert_eq!((v.job_id, v.state.as_str()), (id, "COMPLETED"), "{v:#?}");
    assert!(
        j.where_
            .as_deref()
            .unwrap()
            .starts_with(&format!("slurm:{id}"))
    );
    assert_eq!(run_status(&run), "COMPLETED");
    assert!(run.join("predictions.csv").is_file());
    assert!(
        std::fs::read_to_string(run.join("train_stdout.log"))
            .unwrap()
            .contains("epoch 1/1")
    );
    let (code, out, err) = crate::common::run_posedeck(&["status", proj.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("r1") && out.contains("COMPLETED"), "{out}");
    assert!(
        seen.iter().any(|s| s == "PENDING" || s == "RUNNING"),
        "SLURM's PENDING/RUNNING never seen: {seen:?}"
    );
}

#[test]
fn slurm_held_job_shows_its_reason_and_cancels() {
    let c = cluster_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(tmp.path());
    let (run, id) = submit(c, &proj, "held", 1, &["--sbatch=--hold", "--gres=none"]);
    let j = wait_for(c, &proj, &run, 30, |j| slurm_state(j) == "PENDING");
    assert_eq!(j.state, State::Pending);
    let v = j.slurm.as_ref().unwrap();
    assert_eq!(v.tasks[0].reason.as_deref(), Some("JobHeldUser"), "{v:#?}");
    assert!(j.message.as_deref().unwrap().contains("JobHeldUser"));
    // `posedeck jobs --json` carries SLURM's view in the job's entry.
    let out = c
        .posedeck()
        .args(["jobs", proj.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dir"] == run.to_str().unwrap())
        .unwrap();
    assert_eq!(entry["state"], "PENDING");
    assert_eq!(entry["where"], format!("slurm:{id}"));
    assert_eq!(entry["slurm"]["state"], "PENDING");
    assert_eq!(entry["slurm"]["tasks"][0]["reason"], "JobHeldUser");
    // Cancel by SLURM's job id.
    let (p, ids) = (proj.to_str().unwrap(), id.to_string());
    let out = c
        .posedeck()
        .args(["cancel", &ids, "--project", p])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("scancel {id}")), "{text}");
    let j = wait_for(c, &proj, &run, 30, |j| slurm_state(j) == "CANCELLED");
    assert_eq!(j.state, State::Canceled, "{j:#?}");
    // Once SLURM said it ended, it is not canceled again.
    let out = c
        .posedeck()
        .args(["cancel", run.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("already ended: CANCELLED"), "{err}");
}

#[test]
fn slurm_cancel_of_a_running_training_saves_a_resumable_checkpoint() {
    let c = cluster_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(tmp.path());
    let (run, _) = submit(c, &proj, "long", 500, &["--gres=none"]);
    let j = wait_for(c, &proj, &run, 120, |j| {
        j.summary.progress.is_some_and(|p| p.done >= 4)
    });
    assert_eq!(j.state, State::Running, "{j:#?}");
    assert_eq!(slurm_state(&j), "RUNNING");
    let v = j.slurm.as_ref().unwrap();
    assert!(
        v.summary.starts_with(&format!("RUNNING on {}", c.node)),
        "{v:#?}"
    );
    crate::common::output_ok(c.posedeck().args(["cancel", run.to_str().unwrap()]));
    let j = wait_for(c, &proj, &run, 60, |j| {
        slurm_state(j) == "CANCELLED" && j.state.is_done()
    });
    assert_eq!(j.state, State::Canceled, "{j:#?}");
    assert_eq!(run_status(&run), "CANCELED");
    let ckpt = run.join("tb_logs/long/version_0/checkpoints/last.ckpt");
    assert!(ckpt.is_file(), "no checkpoint to resume from");
    assert!(j.message.as_deref().unwrap().contains("--resume"), "{j:#?}");
}

#[test]
fn slurm_time_limit_shows_timeout_not_training() {
    let c = cluster_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(tmp.path());
    // A worker that never gets to write anything (the setup sleeps past the limit), and a
    // training that SLURM stops at its limit.
    let (idle, _) = submit(
        c,
        &proj,
        "idle",
        1,
        &["--time=1", "--gres=none", "--setup=sleep 300"],
    );
    let (busy, _) = submit(c, &proj, "busy", 500, &["--time=1", "--gres=none"]);
    let j = wait_for(c, &proj, &idle, 150, |j| slurm_state(j) == "TIMEOUT");
    assert_eq!(j.state, State::Failed, "{j:#?}");
    let m = j.message.as_deref().unwrap();
    assert!(
        m.contains("TIMEOUT") && m.contains("without writing its end"),
        "{m}"
    );
    let b = wait_for(c, &proj, &busy, 60, |j| {
        slurm_state(j) == "TIMEOUT" && j.state.is_done()
    });
    assert_ne!(run_status(&busy), "TRAINING");
    assert!(b.message.as_deref().unwrap().contains("TIMEOUT"), "{b:#?}");
}

#[test]
fn slurm_failing_setup_shows_failed_with_its_exit_code() {
    let c = cluster_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(tmp.path());
    let (run, _) = submit(
        c,
        &proj,
        "bad",
        1,
        &["--gres=none", "--setup=echo no such module >&2; exit 3"],
    );
    let j = wait_for(c, &proj, &run, 60, |j| slurm_state(j) == "FAILED");
    assert_eq!(j.state, State::Failed);
    let v = j.slurm.as_ref().unwrap();
    assert_eq!(v.tasks[0].exit_code, Some(3), "{v:#?}");
    assert!(j.message.as_deref().unwrap().contains("exit 3"), "{j:#?}");
    assert!(
        std::fs::read_to_string(run.join("train_stderr.log"))
            .unwrap()
            .contains("no such module")
    );
    // The final state is kept beside the run, for when squeue has forgotten the job.
    assert!(run.join("slurm_state.json").is_file());
}

#[test]
fn slurm_predict_array_folds_into_one_job() {
    let c = cluster_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(tmp.path());
    let (model, _) = submit(c, &proj, "m", 1, &["--gres=none"]);
    wait_for(c, &proj, &model, 120, |j| j.state == State::Completed);
    let videos: Vec<String> = ["walk_01", "walk_02", "walk_03"]
        .iter()
        .map(|v| proj.join("videos").join(v).display().to_string())
        .collect();
    let out = c
        .posedeck()
        .args(["predict", model.to_str().unwrap()])
        .args(&videos)
        .args(["--slurm", "--device", "cpu", "--gres=none"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = PathBuf::from(stdout.lines().next().unwrap());
    assert!(stdout.contains("(3 tasks)"), "{stdout}");
    let j = wait_for(c, &proj, &dir, 120, |j| j.state.is_done());
    assert_eq!(j.state, State::Completed, "{j:#?}");
    let v = j.slurm.as_ref().unwrap();
    assert_eq!(v.array_size, Some(3));
    let tasks: Vec<_> = v.tasks.iter().map(|t| (t.task, t.state.as_str())).collect();
    assert_eq!(
        tasks,
        [
            (Some(0), "COMPLETED"),
            (Some(1), "COMPLETED"),
            (Some(2), "COMPLETED")
        ]
    );
    for v in ["walk_01", "walk_02", "walk_03"] {
        assert!(
            proj.join("video_preds_infer")
                .join(format!("{v}.csv"))
                .is_file(),
            "{v}"
        );
    }
    // One row: the array is one job of the list.
    let n = jobs(c, &proj).iter().filter(|j| j.dir == dir).count();
    assert_eq!(n, 1);
    // `jobs --json` lists each task's state; the Jobs view folds them into one row.
    workstation::array_in_the_jobs_view(c, &proj, &dir, v.job_id);
}

/// A client that hangs (a fake `squeue` or `sbatch` on PATH that sleeps) is given up after the
/// timeout with one line naming the command; nothing is left behind by a failed submission.
#[test]
fn slurm_hung_clients_time_out_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for p in ["squeue", "sbatch", "sacct"] {
        let f = bin.join(p);
        std::fs::write(&f, "#!/bin/sh\nexec sleep 30\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let proj = project(tmp.path());
    let t0 = Instant::now();
    let out = crate::common::posedeck()
        .args(["train", proj.to_str().unwrap(), "--slurm", "--name", "h"])
        .env("PATH", &path)
        .env("POSEDECK_SLURM_TIMEOUT", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("sbatch --parsable") && err.contains("no answer within 1 s"),
        "{err}"
    );
    assert!(
        !proj.join("models/h").exists(),
        "a failed submission left its folder"
    );
    // The list: a job with a record whose squeue hangs is listed, with the error.
    let run = proj.join("models/x");
    std::fs::create_dir_all(&run).unwrap();
    let t = "{\"job_id\":7,\"kind\":\"train\",\"submitted_unix\":0,\"submitted\":\"\",\"script\":\"slurm.sbatch\"}";
    std::fs::write(run.join("slurm_job.json"), t).unwrap();
    client::set_thread_env(vec![
        ("PATH".into(), path.clone().into()),
        ("POSEDECK_SLURM_TIMEOUT".into(), "1".into()),
    ]);
    let t0 = Instant::now();
    let v = posedeck::jobs::slurm::view_for_run(&run).unwrap().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!(v.state, "UNKNOWN");
    let e = v.error.unwrap();
    assert!(
        e.starts_with("squeue --json --me: no answer within 1 s"),
        "{e}"
    );
    client::set_thread_env(Vec::new());
}

/// slurm.toml (beside config.toml, under XDG_CONFIG_HOME) sets the defaults `posedeck config`
/// shows; a bad key or value and a bad flag are one line naming the file and line or the flag,
/// before anything is written or submitted.
#[test]
fn slurm_toml_defaults_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("cfg");
    std::fs::create_dir_all(cfg.join("posedeck")).unwrap();
    let toml = cfg.join("posedeck/slurm.toml");
    std::fs::write(
        &toml,
        "partition = \"gpu\"\ntime = \"2:00:00\"\nmem = \"16G\"\nextra = [\"--qos=high\"]\n\
         setup = \"module load cuda\"\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let o = crate::common::posedeck()
            .args(args)
            .env("XDG_CONFIG_HOME", &cfg)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["config"]);
    assert_eq!(code, Some(0), "{err}");
    for want in [
        "slurm.partition gpu",
        "slurm.gres      gpu:1",
        "slurm.time      2:00:00",
        "slurm.extra     --qos=high",
        "slurm.setup     module load cuda",
    ] {
        assert!(out.contains(want), "{want:?} in {out}");
    }
    let proj = project(tmp.path());
    let p = proj.to_str().unwrap();
    std::fs::write(&toml, "partition = \"gpu\"\n\nqueue = \"fast\"\n").unwrap();
    let (code, _, err) = run(&["train", p, "--slurm", "--name", "a"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains(&format!("{}:3: unknown key", toml.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    std::fs::write(&toml, "cpus_per_task = 0\n").unwrap();
    let (code, _, err) = run(&["train", p, "--slurm", "--name", "a"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains(":1: cpus_per_task 0: expected 1 to 4096"),
        "{err}"
    );
    std::fs::remove_file(&toml).unwrap();
    let (code, _, err) = run(&["train", p, "--slurm", "--name", "a", "--time", "soon"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--time \"soon\""), "{err}");
    let (code, _, err) = run(&["train", p, "--name", "a", "--partition", "gpu"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--slurm"), "{err}");
    assert!(!proj.join("models/a").exists());
}

/// The workstation's follower of a job folder: SLURM's PENDING reason is shown while the job
/// waits, and a job canceled before its worker ever ran ends on SLURM's word (CANCELLED), not
/// left PENDING.
#[test]
fn slurm_workstation_follower_shows_the_reason_and_ends_on_slurms_word() {
    use posedeck::engine::JobEvent;
    use posedeck::tui::slurm_follow::SlurmFollow;
    use posedeck::tui::state::job_list::{JobBody, JobEnd};
    let c = cluster_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(tmp.path());
    let (run, id) = submit(c, &proj, "followed", 1, &["--sbatch=--hold", "--gres=none"]);
    wait_for(c, &proj, &run, 30, |j| slurm_state(j) == "PENDING");
    client::set_thread_env(vec![("SLURM_CONF".into(), c.conf.clone().into())]);
    let mut f = SlurmFollow::every(std::time::Duration::ZERO);
    let (bodies, ended) = f.check(&run);
    assert!(!ended);
    let info = bodies.iter().any(|b| {
        matches!(b, JobBody::Event(JobEvent::Info(t))
            if t.starts_with(&format!("SLURM job {id}: PENDING")) && t.contains("JobHeldUser"))
    });
    let phase = bodies
        .iter()
        .any(|b| matches!(b, JobBody::Event(JobEvent::Phase(p)) if p.starts_with("SLURM PENDING")));
    assert!(info && phase, "{bodies:?}");
    // Nothing new: nothing forwarded.
    assert!(f.check(&run).0.is_empty());
    crate::common::output_ok(c.posedeck().args([
        "cancel",
        &id.to_string(),
        "--project",
        proj.to_str().unwrap(),
    ]));
    wait_for(c, &proj, &run, 30, |j| slurm_state(j) == "CANCELLED");
    client::set_thread_env(vec![("SLURM_CONF".into(), c.conf.clone().into())]);
    // The first sighting of the end waits one check for the worker's own end record.
    let (_, ended) = f.check(&run);
    assert!(!ended);
    let (bodies, ended) = f.check(&run);
    assert!(ended, "{bodies:?}");
    match bodies.last() {
        Some(JobBody::Ended(JobEnd::Canceled(t))) => assert!(t.contains("CANCELLED"), "{t}"),
        other => panic!("{other:?}"),
    }
}
