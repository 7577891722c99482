//! Jobs that outlive the workstation, on small demo projects: a PENDING run folder trained in
//! place by `posedeck train --run-dir`, detached workers in their own session that survive
//! their starter, the progress stream, `jobs --json`, cancel and resume, the queue over CPU
//! slots, two schedulers on one project, a stale scheduler lock, a garbage progress line.

use crate::common::posedeck;
use posedeck::engine::TrainRequest;
use posedeck::jobs::events::{self, Body, Outcome};
use std::path::Path;
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

    let out = posedeck()
        .args(["train", "--run-dir", run.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
