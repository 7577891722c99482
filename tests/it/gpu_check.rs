//! The GPU check's scripts (gpu-check/prepare and gpu-check/run) on this machine: the payload
//! is built from the test's own posedeck binary (stripped, gzip'd, under the 64 MiB that may
//! travel), and every step of the check runs through its CPU fallback at tiny sizes, writing
//! the JSON figures; asked for a GPU where there is none, each step records its failure and
//! the check still finishes.

use crate::shared_or_skip;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", p.display())))
        .collect()
}

/// `gpu-check/run --device DEVICE --quick --out FIGURES` on the payload.
fn run_check(root: &Path, payload: &Path, device: &str, figures: &Path) -> std::process::Output {
    Command::new(root.join("gpu-check/run"))
        .args(["--device", device, "--quick", "--out"])
        .arg(figures)
        .env("GPU_CHECK_PAYLOAD", payload)
        .output()
        .unwrap()
}

#[test]
fn prepare_then_run_on_the_cpu() {
    let data = shared_or_skip!();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let payload = tmp.path().join("payload");
    let out = Command::new(root.join("gpu-check/prepare"))
        .args(["--binary", env!("CARGO_BIN_EXE_posedeck"), "--no-loaders"])
        .env("GPU_CHECK_PAYLOAD", &payload)
        .env("POSEDECK_SHARED", data.parent().unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "prepare: {err}");
    let m: Value =
        serde_json::from_slice(&std::fs::read(payload.join("manifest.json")).unwrap()).unwrap();
    let limit = 64 * 1024 * 1024;
    assert!(m["stripped_bytes"].as_u64().unwrap() < m["binary_bytes"].as_u64().unwrap());
    assert!(m["compressed_bytes"].as_u64().unwrap() < limit, "{m}");
    assert!(m["total_bytes"].as_u64().unwrap() < limit, "{m}");
    assert!(
        m["version"].as_str().unwrap().starts_with("posedeck "),
        "{m}"
    );
    for f in [
        "posedeck.gz",
        "torch_train.py",
        "data/tiny_config.yaml",
        "data/lp-mirror-mouse/videos/test_vid.mp4",
    ] {
        assert!(payload.join(f).is_file(), "{f}");
    }

    // The CPU fallback of every step.
    let figures = tmp.path().join("cpu");
    let out = run_check(root, &payload, "cpu", &figures);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "run: {err}");
    let info: Value =
        serde_json::from_slice(&std::fs::read(figures.join("info.json")).unwrap()).unwrap();
    assert_eq!(info["device"], "cpu");
    assert_eq!(info["manifest"]["compressed_bytes"], m["compressed_bytes"]);
    let bench = lines(&figures.join("bench.jsonl"));
    assert_eq!(bench.len(), 2, "{bench:?}");
    for b in &bench {
        assert_eq!(b["rc"], 0, "{b}");
        assert!(b["result"]["per_second"].as_f64().unwrap() > 0.0, "{b}");
        assert!(
            b["result"]["cpu_seconds_per_batch"].as_f64().is_some(),
            "{b}"
        );
    }
    let train = lines(&figures.join("train.jsonl"));
    assert_eq!(train.len(), 2, "{train:?}");
    for t in &train {
        assert_eq!(t["rc"], 0, "{t}");
        assert_eq!(t["result"]["status"], "COMPLETED", "{t}");
    }
    assert!(
        train[1]["command"]
            .as_str()
            .unwrap()
            .contains("temporal,pca_multiview")
    );
    let log = std::fs::read_to_string(figures.join("log.txt")).unwrap();
    assert!(
        log.contains("semi-supervised: losses temporal + pca_multiview"),
        "{log}"
    );
    let torch = lines(&figures.join("torch.jsonl"));
    assert!(
        torch
            .iter()
            .all(|t| t["skipped"].is_string() || t["rc"] == 0),
        "{torch:?}"
    );

    // Asked for a GPU on a machine without one: every step says so and the check ends.
    let figures = tmp.path().join("gpu");
    let out = run_check(root, &payload, "gpu", &figures);
    assert!(out.status.success());
    let has_gpu = Command::new("nvidia-smi")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_gpu {
        for t in lines(&figures.join("bench.jsonl"))
            .iter()
            .chain(&lines(&figures.join("train.jsonl")))
        {
            assert_eq!(t["rc"], 2, "{t}");
            assert!(t["result"].is_null(), "{t}");
        }
        let log = std::fs::read_to_string(figures.join("log.txt")).unwrap();
        assert!(log.to_lowercase().contains("gpu"), "{log}");
    }
}
