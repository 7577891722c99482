//! Jobs that outlive the workstation, on small demo projects: a PENDING run folder trained in
//! place by `posedeck train --run-dir`, detached workers in their own session that survive
//! their starter, the progress stream, `jobs --json`, cancel and resume, the queue over CPU
//! slots, two schedulers on one project, a stale scheduler lock, a garbage progress line.

use crate::common::posedeck;
use posedeck::engine::TrainRequest;
use posedeck::jobs::events::{self, Body, Outcome};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A small demo project: 12 labeled 64x64 frames, one short video.
pub fn demo_project() -> tempfile::TempDir {
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

/// Overrides for a training of `epochs` short epochs on the CPU.
fn quick(epochs: usize) -> Vec<(String, String)> {
    vec![
        ("training.max_epochs".into(), epochs.to_string()),
        ("training.min_epochs".into(), "1".into()),
        ("training.train_batch_size".into(), "4".into()),
        ("eval.predict_vids_after_training".into(), "false".into()),
    ]
}

fn request(project: &Path, name: &str, epochs: usize) -> TrainRequest {
    TrainRequest {
        project: project.to_path_buf(),
        name: Some(name.into()),
        device: posedeck::engine::DeviceRequest::Cpu,
        overrides: quick(epochs),
        workers: Some(1),
        ..Default::default()
    }
}

fn status_of(run: &Path) -> String {
    let t = std::fs::read_to_string(run.join("train_status.json")).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&t)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_string))
        .unwrap_or_default()
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn steps_in(run: &Path) -> Vec<u64> {
    let (recs, bad) = events::read_all(&run.join(events::EVENTS_FILE)).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    recs.iter()
        .filter_map(|r| match r.body {
            Body::Step { step, .. } => Some(step),
            _ => None,
        })
        .collect()
}

/// `prepare_train` writes a PENDING run folder with the overrides applied; `train --run-dir`
/// trains it in place (the same outputs as `posedeck train`) with a valid progress stream.
#[test]
fn prepared_run_folder_trains_in_place() {
    let proj = demo_project();
    let run = posedeck::jobs::pending::prepare_train(&request(proj.path(), "prep", 2)).unwrap();
    assert_eq!(
        run,
        std::path::absolute(proj.path().join("models/prep")).unwrap()
    );
    assert_eq!(status_of(&run), "PENDING");
    let cfg = std::fs::read_to_string(run.join("config.yaml")).unwrap();
    assert!(cfg.contains("max_epochs: 2"), "{cfg}");
    let job: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("posedeck_job.json")).unwrap()).unwrap();
    assert_eq!(job["kind"], "train");
    assert!(job["created"].as_f64().unwrap() > 1e9);
    // A bad override leaves nothing behind.
    let mut bad = request(proj.path(), "bad", 2);
    bad.overrides = vec![("training.max_epochs".into(), "[1".into())];
    assert!(posedeck::jobs::pending::prepare_train(&bad).is_err());
    assert!(!proj.path().join("models/bad").exists());

    let out = crate::common::output_ok(posedeck().args([
        "train",
        "--run-dir",
        run.to_str().unwrap(),
        "--json",
    ]));
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(o["status"], "COMPLETED");
    assert_eq!(o["epochs_done"], 2);
    assert_eq!(status_of(&run), "COMPLETED");
    assert!(run.join("predictions.csv").is_file());
    assert!(run.join("CollectedData.csv").is_file());
    // Every line is one JSON object: a start, the device, steps, validations, an end.
    let text = std::fs::read_to_string(run.join(events::EVENTS_FILE)).unwrap();
    for (i, l) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{i}: {e}"));
        assert!(v["time"].as_f64().is_some() && v["kind"].is_string(), "{l}");
    }
    let (recs, _) = events::read_all(&run.join(events::EVENTS_FILE)).unwrap();
    assert!(matches!(recs[0].body, Body::Start { .. }));
    assert!(recs.iter().any(|r| matches!(r.body, Body::Device { .. })));
    assert!(
        recs.iter()
            .any(|r| matches!(r.body, Body::Validation { .. }))
    );
    let steps = steps_in(&run);
    assert_eq!(steps, (1..=steps.len() as u64).collect::<Vec<_>>());
    assert!(matches!(
        recs.last().unwrap().body,
        Body::End {
            outcome: Outcome::Completed,
            ..
        }
    ));
    // Once trained, the folder is not trained again.
    let again = posedeck()
        .args(["train", "--run-dir", run.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("only a PENDING run folder"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = posedeck().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// `posedeck jobs PROJECT --json`.
fn jobs(project: &Path) -> Vec<serde_json::Value> {
    json(&["jobs", project.to_str().unwrap(), "--json"])
        .as_array()
        .unwrap()
        .clone()
}

fn job_state(project: &Path, dir: &Path) -> String {
    jobs(project)
        .iter()
        .find(|j| j["dir"].as_str() == dir.to_str())
        .map(|j| j["state"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

fn pid_of(project: &Path, dir: &Path) -> Option<i32> {
    jobs(project)
        .iter()
        .find(|j| j["dir"].as_str() == dir.to_str())
        .and_then(|j| j["pid"].as_i64())
        .map(|p| p as i32)
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// The session id of a process (field 6 of /proc/PID/stat).
fn session_of(pid: i32) -> i32 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = s.rsplit(')').next().unwrap();
    after.split_whitespace().nth(3).unwrap().parse().unwrap()
}

/// Kills what a test left running: the workers of its jobs and the scheduler.
struct Reaper(PathBuf);

impl Drop for Reaper {
    fn drop(&mut self) {
        for j in posedeck::jobs::list::list(&self.0) {
            if let Some(p) = j.summary.pid.or(j
                .where_
                .as_deref()
                .and_then(|w| w.split('@').next()?.parse().ok()))
            {
                unsafe { libc::kill(p as i32, libc::SIGKILL) };
            }
        }
        if let Some(h) = posedeck::jobs::lock::holder(&self.0) {
            unsafe { libc::kill(h.pid as i32, libc::SIGKILL) };
        }
    }
}

fn wait_state(project: &Path, dir: &Path, want: &str, secs: u64) {
    let mut last = String::new();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(secs) {
        last = job_state(project, dir);
        if last == want {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "{} is {last}, not {want}, after {secs} s; stderr: {}",
        dir.display(),
        std::fs::read_to_string(dir.join("train_stderr.log")).unwrap_or_default()
    );
}

/// A detached training is a worker in its own session that outlives the process (and the
/// process group, as in a killed tmux session) that started it; cancel gives CANCELED with a
/// checkpoint, `--resume --detach` continues the same steps to COMPLETED; `jobs --json` shows
/// it throughout; a garbage line in its progress stream is reported with the file and line
/// while the job is still listed; a detached prediction over a frame folder writes its CSV.
#[test]
fn detached_training_outlives_its_starter_cancel_and_resume() {
    let proj = demo_project();
    let p = std::path::absolute(proj.path()).unwrap();
    let _reaper = Reaper(p.clone());
    let run = p.join("models/det");
    // The starter: a shell in its own process group, killed with its group once it started
    // the job.
    let cmd = format!(
        "{} train {} --detach --device cpu --name det --workers 1 --set training.max_epochs=20 --set training.train_batch_size=4 --set eval.predict_vids_after_training=false > {}/starter.out 2>&1; sleep 600",
        env!("CARGO_BIN_EXE_posedeck"),
        p.display(),
        p.display()
    );
    let mut starter = std::process::Command::new("sh");
    starter.args(["-c", &cmd]);
    unsafe {
        use std::os::unix::process::CommandExt;
        starter.pre_exec(|| {
            libc::setpgid(0, 0);
            Ok(())
        });
    }
    let mut starter = starter.spawn().unwrap();
    wait_for("the starter's output", Duration::from_secs(30), || {
        std::fs::read_to_string(p.join("starter.out")).is_ok_and(|s| s.contains("pid"))
    });
    let out = std::fs::read_to_string(p.join("starter.out")).unwrap();
    assert!(out.starts_with(&format!("{}\n", run.display())), "{out}");
    let pid = pid_of(&p, &run).expect("a worker pid");
    assert!(out.contains(&format!("pid {pid}@")), "{out}");
    let starter_pid = starter.id() as i32;
    assert_eq!(session_of(pid), pid, "the worker leads its own session");
    assert_ne!(session_of(pid), session_of(starter_pid));
    unsafe { libc::kill(-starter_pid, libc::SIGHUP) };
    unsafe { libc::kill(-starter_pid, libc::SIGKILL) };
    starter.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(alive(pid), "the worker died with its starter");
    wait_for("a few steps", Duration::from_secs(60), || {
        steps_in(&run).len() >= 3
    });
    let j = jobs(&p);
    assert_eq!(j.len(), 1);
    assert_eq!(j[0]["state"], "RUNNING");
    assert_eq!(j[0]["kind"], "train");
    assert_eq!(j[0]["slot"], "cpu0");
    assert!(j[0]["progress"]["done"].as_u64().unwrap() >= 3);
    assert_eq!(j[0]["progress"]["total"].as_u64(), Some(20 * 3));

    // Cancel: SIGINT, a checkpoint, CANCELED.
    let id = j[0]["id"].as_str().unwrap().to_string();
    let c = posedeck()
        .args(["cancel", &id, "--project", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    wait_state(&p, &run, "CANCELED", 60);
    assert_eq!(status_of(&run), "CANCELED");
    let ckpt = run.join("tb_logs/det/version_0/checkpoints/last.ckpt");
    assert!(ckpt.is_file(), "no {}", ckpt.display());
    let before = steps_in(&run);
    // A finished job cannot be canceled: one line, exit 2.
    let again = posedeck()
        .args(["cancel", run.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&again.stderr).lines().count(), 1);

    // Resume, detached: the steps continue where they stopped, to COMPLETED.
    let r = posedeck()
        .args([
            "train",
            "--resume",
            run.to_str().unwrap(),
            "--detach",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    wait_state(&p, &run, "COMPLETED", 300);
    let after = steps_in(&run);
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(after[before.len()], before.last().unwrap() + 1, "{after:?}");
    assert_eq!(*after.last().unwrap(), 60);
    assert_eq!(status_of(&run), "COMPLETED");
    let j = &jobs(&p)[0];
    assert_eq!(j["attempt"], 1);
    assert!(j["end"]["message"].as_str().unwrap().contains("20 epochs"));
    assert!(j["problems"].as_array().unwrap().is_empty());

    // A garbage line: reported with the file and its line, the job still listed.
    let ev = run.join(events::EVENTS_FILE);
    let n = std::fs::read_to_string(&ev).unwrap().lines().count();
    let mut f = std::fs::OpenOptions::new().append(true).open(&ev).unwrap();
    std::io::Write::write_all(&mut f, b"not json \x1b[2J\n").unwrap();
    let j = &jobs(&p)[0];
    assert_eq!(j["state"], "COMPLETED");
    let problem = j["problems"][0].as_str().unwrap();
    assert!(
        problem.contains(&format!("posedeck_events.jsonl:{}:", n + 1)),
        "{problem}"
    );
    let text = posedeck()
        .args(["jobs", p.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("COMPLETED") && text.contains("problem:"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "{text}");

    // A detached prediction over a frame folder.
    let frames = p.join("labeled-data/walk_01");
    let out = crate::common::output_ok(posedeck().args([
        "predict",
        run.to_str().unwrap(),
        frames.to_str().unwrap(),
        "--detach",
        "--device",
        "cpu",
    ]));
    let pdir = PathBuf::from(String::from_utf8_lossy(&out.stdout).lines().next().unwrap());
    assert!(
        pdir.starts_with(run.join("predict_jobs")),
        "{}",
        pdir.display()
    );
    wait_state(&p, &pdir, "COMPLETED", 120);
    assert!(p.join("video_preds_infer/walk_01.csv").is_file());
    let pj = jobs(&p);
    assert_eq!(pj.len(), 2);
    assert_eq!(pj[1]["kind"], "predict");
    assert_eq!(pj[1]["progress"]["unit"], "frames");
}

/// Starts `posedeck jobs run PROJECT ARGS...` (its log captured in memory).
fn scheduler(project: &Path, args: &[&str]) -> std::process::Child {
    posedeck()
        .args(["jobs", "run", project.to_str().unwrap()])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn states(project: &Path, dirs: &[PathBuf]) -> Vec<String> {
    let all = jobs(project);
    dirs.iter()
        .map(|d| {
            all.iter()
                .find(|j| j["dir"].as_str() == d.to_str())
                .map(|j| j["state"].as_str().unwrap().to_string())
                .unwrap_or_default()
        })
        .collect()
}

/// The start records of a job folder's progress stream.
fn starts(dir: &Path) -> usize {
    events::read_all(&dir.join(events::EVENTS_FILE))
        .unwrap()
        .0
        .iter()
        .filter(|r| matches!(r.body, Body::Start { .. }))
        .count()
}

/// With two CPU slots two jobs run at once and the third waits PENDING; SIGKILL of a worker
/// shows FAILED with the reason and the waiting job takes its slot; the scheduler ends when
/// the queue is empty and no job runs, releasing its lock.
#[test]
fn two_cpu_slots_run_two_jobs_a_third_waits_a_killed_one_fails() {
    let proj = demo_project();
    let p = std::path::absolute(proj.path()).unwrap();
    let _reaper = Reaper(p.clone());
    let dirs: Vec<PathBuf> = ["q1", "q2", "q3"]
        .iter()
        .map(|n| posedeck::jobs::pending::prepare_train(&request(&p, n, 30)).unwrap())
        .collect();
    assert_eq!(states(&p, &dirs), ["PENDING"; 3]);
    let mut s = scheduler(&p, &["--cpu-slots", "2"]);
    wait_for("two running", Duration::from_secs(60), || {
        states(&p, &dirs)[..2] == ["RUNNING", "RUNNING"]
    });
    assert_eq!(states(&p, &dirs)[2], "PENDING");
    let slots: Vec<String> = jobs(&p)
        .iter()
        .take(2)
        .map(|j| j["slot"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(slots, ["cpu0", "cpu1"]);
    // The second scheduler is refused: the lock is held.
    let second = posedeck()
        .args(["jobs", "run", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("a scheduler runs already"));
    // SIGKILL the first worker: FAILED with the reason; the third starts in its slot.
    let pid = pid_of(&p, &dirs[0]).unwrap();
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_state(&p, &dirs[0], "FAILED", 30);
    // Judged from the dead pid at once, then with the exit status the scheduler reaped.
    let msg = jobs(&p)[0]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("without writing its end"), "{msg}");
    wait_for("the reaped exit status", Duration::from_secs(10), || {
        jobs(&p)[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("signal 9 (SIGKILL)"))
    });
    // The scheduler writes train_status.json after the record that carries the status.
    wait_for("train_status.json FAILED", Duration::from_secs(10), || {
        status_of(&dirs[0]) == "FAILED"
    });
    wait_state(&p, &dirs[2], "RUNNING", 30);
    // Cancel the other two so the test ends soon; the scheduler then ends on its own.
    for d in &dirs[1..] {
        let c = posedeck()
            .args(["cancel", d.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    }
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = s.try_wait().unwrap() {
            break st;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the scheduler did not end"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success());
    assert_eq!(states(&p, &dirs), ["FAILED", "CANCELED", "CANCELED"]);
    assert!(posedeck::jobs::lock::holder(&p).is_none(), "lock released");
    for d in &dirs {
        assert_eq!(starts(d), 1, "{} started more than once", d.display());
    }
}

/// Two `jobs run` processes started together on one project: one holds the lock and runs
/// every job, each exactly once; and of many claimants of one job, exactly one wins.
#[test]
fn two_schedulers_never_start_a_job_twice() {
    let proj = demo_project();
    let p = std::path::absolute(proj.path()).unwrap();
    let _reaper = Reaper(p.clone());
    let dirs: Vec<PathBuf> = ["s1", "s2", "s3"]
        .iter()
        .map(|n| posedeck::jobs::pending::prepare_train(&request(&p, n, 1)).unwrap())
        .collect();
    let mut a = scheduler(&p, &["--cpu-slots", "3"]);
    let mut b = scheduler(&p, &["--cpu-slots", "3"]);
    let (ra, rb) = (a.wait().unwrap(), b.wait().unwrap());
    let codes = [ra.code(), rb.code()];
    assert!(
        codes.contains(&Some(0)),
        "{codes:?}: {}",
        String::from_utf8_lossy(&a.wait_with_output().unwrap().stderr)
    );
    assert_eq!(states(&p, &dirs), ["COMPLETED"; 3]);
    for d in &dirs {
        assert_eq!(starts(d), 1, "{} started more than once", d.display());
    }
    // Claims: 8 threads race for one attempt.
    let d = posedeck::jobs::pending::prepare_train(&request(&p, "race", 1)).unwrap();
    let won: usize = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                let d = d.clone();
                sc.spawn(move || {
                    posedeck::jobs::job_file::claim(&d, 0, &format!("t{i}")).unwrap() as usize
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(won, 1);
}

/// A stale lock (a dead pid on this host, or an old heartbeat from another host) is taken
/// over by the next scheduler, which runs the queue and releases the lock.
#[test]
fn a_stale_scheduler_lock_is_taken_over() {
    let proj = demo_project();
    let p = std::path::absolute(proj.path()).unwrap();
    let _reaper = Reaper(p.clone());
    let host = posedeck::jobs::job_file::this_host();
    let now = events::now();
    let lock = posedeck::jobs::lock::lock_path(&p);
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    for (i, (h, pid, age)) in [
        (host.as_str(), 999_999_999u32, 1.0),
        ("elsewhere", 1, 3600.0),
    ]
    .into_iter()
    .enumerate()
    {
        let dir =
            posedeck::jobs::pending::prepare_train(&request(&p, &format!("st{i}"), 1)).unwrap();
        let stale = serde_json::json!({
            "host": h, "pid": pid, "token": "old", "since": now - age, "heartbeat": now - age
        });
        std::fs::write(&lock, stale.to_string()).unwrap();
        let out = scheduler(&p, &[]).wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(job_state(&p, &dir), "COMPLETED");
        assert!(!lock.exists());
    }
    // A live lock of another host is respected.
    let live = serde_json::json!({
        "host": "elsewhere", "pid": 1, "token": "live", "since": now, "heartbeat": events::now()
    });
    std::fs::write(&lock, live.to_string()).unwrap();
    let out = scheduler(&p, &[]).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(lock.exists());
}

/// A job whose worker is on another host is listed as running there and not canceled from
/// here; one whose worker died without an end is FAILED with the reason, and a queued job
/// canceled before it started is CANCELED and never starts.
#[test]
fn cancel_refuses_remote_and_dead_workers_and_dequeues_pending_ones() {
    let proj = demo_project();
    let p = std::path::absolute(proj.path()).unwrap();
    let started = |dir: &Path, host: &str, pid: u32| {
        let mut j = posedeck::jobs::job_file::JobFile::load(dir).unwrap();
        j.started = Some(posedeck::jobs::job_file::Started {
            pid,
            host: host.into(),
            device: "cpu".into(),
            slot: "cpu0".into(),
            time: events::now(),
            attempt: 0,
            by: "test".into(),
        });
        j.save(dir).unwrap();
    };
    let remote = posedeck::jobs::pending::prepare_train(&request(&p, "remote", 1)).unwrap();
    started(&remote, "elsewhere", 4242);
    let dead = posedeck::jobs::pending::prepare_train(&request(&p, "dead", 1)).unwrap();
    started(&dead, &posedeck::jobs::job_file::this_host(), 999_999_999);
    let queued = posedeck::jobs::pending::prepare_train(&request(&p, "queued", 1)).unwrap();
    let j = jobs(&p);
    assert_eq!(j[0]["state"], "STARTING");
    assert_eq!(j[0]["where"], "4242@elsewhere");
    assert_eq!(j[1]["state"], "FAILED");
    assert!(
        j[1]["message"]
            .as_str()
            .unwrap()
            .contains("exited without writing its end")
    );
    for (d, want) in [(&remote, "runs on elsewhere"), (&dead, "already")] {
        let out = posedeck()
            .args(["cancel", d.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want) && err.lines().count() == 1, "{err}");
    }
    let id = j[2]["id"].as_str().unwrap();
    let out = crate::common::output_ok(posedeck().current_dir(&p).args(["cancel", id]));
    assert!(String::from_utf8_lossy(&out.stdout).contains("CANCELED (it had not started)"));
    assert_eq!(job_state(&p, &queued), "CANCELED");
    assert_eq!(status_of(&queued), "CANCELED");
    let bad = posedeck()
        .current_dir(&p)
        .args(["cancel", "nosuchid"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// A headless workstation on `project` with its job runner; its messages arrive on the
/// receiver.
fn workstation(
    project: &Path,
) -> (
    posedeck::tui::app::App,
    posedeck::tui::headless::Headless,
    std::sync::mpsc::Receiver<posedeck::tui::msg::Msg>,
) {
    // SAFETY: every test sets the same value (the workers are posedeck processes).
    unsafe { std::env::set_var("POSEDECK_WORKER_EXE", env!("CARGO_BIN_EXE_posedeck")) };
    let (tx, rx) = std::sync::mpsc::channel();
    let mut app = posedeck::tui::app::App::new(
        "test".into(),
        posedeck::tui::keymap::Keymap::defaults(),
        posedeck::tui::theme::Theme::dark(),
    );
    let mut hl = posedeck::tui::headless::Headless::new(project.to_str().unwrap());
    hl.jobs = Some(posedeck::tui::job_bridge::JobRunner::new(tx));
    hl.open(&mut app, ratatui::layout::Rect::new(0, 0, 100, 30));
    (app, hl, rx)
}

fn pump_until(
    app: &mut posedeck::tui::app::App,
    hl: &mut posedeck::tui::headless::Headless,
    rx: &std::sync::mpsc::Receiver<posedeck::tui::msg::Msg>,
    what: &str,
    mut done: impl FnMut(&posedeck::tui::app::App) -> bool,
) {
    let t0 = Instant::now();
    while !done(app) {
        assert!(t0.elapsed() < Duration::from_secs(120), "timed out: {what}");
        if let Ok(m) = rx.recv_timeout(Duration::from_millis(200)) {
            app.handle(m);
        }
        hl.settle(app, ratatui::layout::Rect::new(0, 0, 100, 30));
    }
}

/// The workstation queues a detached job; `q` with it running asks keep (the default) or
/// cancel, and keep leaves the worker running; a reopened workstation attaches to the job and
/// shows its step progress from the progress stream; cancel there gives CANCELED.
#[test]
fn workstation_quit_keeps_the_job_and_a_reopened_one_attaches() {
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use posedeck::tui::app::Overlay;
    use posedeck::tui::state::job_list::{self, JobSpec, JobState, TrainSpec};
    let proj = demo_project();
    let p = std::path::absolute(proj.path()).unwrap();
    let _reaper = Reaper(p.clone());
    let (mut app, mut hl, rx) = workstation(&p);
    let mut overrides = quick(30);
    overrides.push(("training.num_workers".into(), "1".into()));
    job_list::submit(
        &mut app,
        JobSpec::Train(TrainSpec {
            project: p.clone(),
            name: Some("tui".into()),
            device: "cpu".into(),
            overrides,
            ..Default::default()
        }),
    );
    pump_until(&mut app, &mut hl, &rx, "steps", |a| {
        a.jobs.jobs[0].progress.is_some_and(|p| p.done >= 2)
    });
    assert_eq!(app.jobs.jobs[0].state, JobState::Running);
    assert!(app.jobs.jobs[0].at.is_some());
    let run = p.join("models/tui");
    let pid = pid_of(&p, &run).unwrap();
    app.run(posedeck::tui::action::Action::Quit);
    assert_eq!(
        app.overlay,
        Overlay::QuitJobs {
            running: 1,
            cancel_default: false
        }
    );
    let shown = posedeck::tui::headless::screen(&app, 100, 30);
    assert!(shown.contains("1 job is queued or running"), "{shown}");
    assert!(shown.contains("k/enter keep running"), "{shown}");
    app.handle(posedeck::tui::msg::Msg::Input(Event::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    ))));
    assert_eq!(app.quit, Some(0));
    assert!(app.take_effects().is_empty(), "keep sends no cancel");
    hl.jobs.take().unwrap().shutdown(Duration::from_secs(2));
    drop((app, hl, rx));
    std::thread::sleep(Duration::from_millis(500));
    assert!(alive(pid), "the worker went with the workstation");
    let seen = steps_in(&run).len();

    // Reopened: the job is there, with its progress from the stream, and it moves.
    let (mut app, mut hl, rx) = workstation(&p);
    pump_until(&mut app, &mut hl, &rx, "attach", |a| {
        a.jobs.jobs.first().is_some_and(|j| {
            j.state == JobState::Running && j.progress.is_some_and(|p| p.done as usize > seen)
        })
    });
    assert_eq!(app.jobs.jobs.len(), 1);
    assert_eq!(app.jobs.jobs[0].run_dir.as_deref(), Some(run.as_path()));
    assert_eq!(app.jobs.jobs[0].progress.unwrap().total, 90);
    app.run(posedeck::tui::action::Action::ViewJobs);
    let shown = posedeck::tui::headless::screen(&app, 100, 30);
    assert!(
        shown.contains("RUNNING") && shown.contains("train tui"),
        "{shown}"
    );
    let id = app.jobs.jobs[0].id;
    job_list::cancel(&mut app, id);
    pump_until(&mut app, &mut hl, &rx, "canceled", |a| {
        a.jobs.jobs[0].state.is_done()
    });
    assert_eq!(app.jobs.jobs[0].state, JobState::Canceled);
    wait_state(&p, &run, "CANCELED", 30);
}
