//! Who runs a job: a folder prepared for SLURM says so in its job file from the write that
//! makes it a job, so the project's local scheduler (`jobs run`) never claims it, even in the
//! moment before its batch script and job id exist (the folder is PENDING then).

use posedeck::engine::{PredictRequest, TrainRequest};
use posedeck::jobs::job_file::{JobFile, Target};
use posedeck::jobs::pending::{prepare_predict_for, prepare_train, prepare_train_for};
use std::path::Path;

fn request(project: &Path, name: &str) -> TrainRequest {
    TrainRequest {
        project: project.to_path_buf(),
        name: Some(name.into()),
        device: posedeck::engine::DeviceRequest::Cpu,
        overrides: vec![
            ("training.max_epochs".into(), "1".into()),
            ("training.min_epochs".into(), "1".into()),
            ("training.train_batch_size".into(), "4".into()),
            ("eval.predict_vids_after_training".into(), "false".into()),
        ],
        workers: Some(1),
        ..Default::default()
    }
}

fn run_scheduler(project: &Path) -> String {
    let out = crate::common::posedeck()
        .args(["jobs", "run", project.to_str().unwrap(), "--cpu-slots", "2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    err + &String::from_utf8_lossy(&out.stdout)
}

fn claims(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".posedeck_claim.")
        })
        .count()
}

#[test]
fn the_local_queue_never_claims_a_job_prepared_for_slurm() {
    let proj = crate::jobs_detached::demo_project();
    let p = std::path::absolute(proj.path()).unwrap();
    // Prepared for SLURM, not submitted yet: no slurm.sbatch, no slurm_job.json.
    let slurm = prepare_train_for(&request(&p, "for-slurm"), Target::Slurm).unwrap();
    assert!(!slurm.join("slurm.sbatch").exists());
    let job = JobFile::load(&slurm).unwrap();
    assert_eq!(job.target, Target::Slurm);
    assert!(job.is_queued());
    let local = prepare_train(&request(&p, "here")).unwrap();
    assert_eq!(JobFile::load(&local).unwrap().target, Target::Local);
    let log = run_scheduler(&p);
    // The local job ran; the SLURM one was left alone (no claim, no start, still PENDING).
    let list = posedeck::jobs::list::list_local(&p);
    let state = |d: &Path| list.iter().find(|j| j.dir == d).unwrap().state;
    assert_eq!(state(&local).label(), "COMPLETED", "{log}");
    assert_eq!(state(&slurm).label(), "PENDING", "{log}");
    assert_eq!(claims(&slurm), 0, "{log}");
    assert!(JobFile::load(&slurm).unwrap().started.is_none());
    assert!(!slurm.join("posedeck_events.jsonl").exists());
    let s = std::fs::read_to_string(slurm.join("train_status.json")).unwrap();
    assert!(s.contains("PENDING"), "{s}");
    // `jobs --json` names the target, and a SLURM job without a job id says so.
    let out = crate::common::posedeck()
        .args(["jobs", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dir"] == slurm.to_str().unwrap())
        .unwrap();
    assert_eq!(e["target"], "slurm");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("no job id recorded"),
        "{e}"
    );
    // A prediction job prepared for SLURM is left alone too.
    let pred = prepare_predict_for(
        &PredictRequest {
            run: local.clone(),
            sources: vec![p.join("videos")],
            out: None,
            device: posedeck::engine::DeviceRequest::Cpu,
            batch: None,
        },
        Target::Slurm,
    )
    .unwrap();
    let log = run_scheduler(&p);
    assert_eq!(claims(&pred), 0, "{log}");
    assert!(JobFile::load(&pred).unwrap().started.is_none());
    // A finished local run resumed for SLURM: the new attempt is SLURM's from its first write.
    let again = prepare_train_for(
        &TrainRequest {
            resume: Some(local.clone()),
            ..request(&p, "here")
        },
        Target::Slurm,
    )
    .unwrap();
    let j = JobFile::load(&again).unwrap();
    assert_eq!((j.target, j.attempt), (Target::Slurm, 1));
    let log = run_scheduler(&p);
    assert_eq!(claims(&again), 1, "only attempt 0's claim: {log}");
    assert_eq!(JobFile::load(&again).unwrap().started.unwrap().attempt, 0);
}
