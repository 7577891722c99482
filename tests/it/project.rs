//! `posedeck status` and the project model on the real files in ../shared/data, on temp
//! projects in every layout, and on bad inputs (each bad file is reported on its run or as a
//! project problem; the rest still loads).

use crate::common::run_python;
use crate::{peers_or_skip, shared_or_skip};
use posedeck::project::{EffectiveStatus, ModelRun};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// posedeck without the derived-value cache (tests leave nothing in ~/.cache).
fn posedeck() -> std::process::Command {
    let mut c = crate::common::posedeck();
    c.env("POSEDECK_NO_CACHE", "1");
    c
}

fn run_posedeck(args: &[&str]) -> (i32, String, String) {
    let out = posedeck().args(args).output().expect("run posedeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

use crate::common::copy_dir;

/// Sets the modification time of everything under `dir` (as `cp -p` would keep it).
fn set_mtimes(dir: &Path, t: SystemTime) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            set_mtimes(&e.path(), t);
        }
        let f = std::fs::File::options().read(true).open(e.path()).unwrap();
        f.set_modified(t).unwrap();
    }
}

fn status_json(args: &[&str]) -> Value {
    let (code, out, err) = run_posedeck(args);
    assert_eq!(code, 0, "status failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}"))
}

pub fn model<'a>(j: &'a Value, name: &str) -> &'a Value {
    j["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no model {name} in {}", j["models"]))
}

#[test]
fn mirror_mouse_labels() {
    let data = shared_or_skip!();
    let dir = data.join("lp-mirror-mouse");
    let j = status_json(&["status", dir.to_str().unwrap(), "--json"]);
    assert_eq!(j["keypoints"].as_array().unwrap().len(), 17);
    assert_eq!(j["keypoints"][0], "paw1LH_top");
    assert_eq!(j["n_labeled_frames"], 90);
    assert_eq!(j["n_frames_with_missing_keypoints"], 48);
    // img00, img91, img92 are in labeled-data but not in the CSV.
    assert_eq!(j["n_context_frames"], 3);
    assert_eq!(j["n_missing_images"], 0);
    // Flat labeled-data/ is one group.
    assert_eq!(
        j["labeled_frames_per_video"],
        serde_json::json!({"labeled-data": 90})
    );
    assert!(j["labeling_progress"].is_null());
    assert_eq!(j["layout"]["kind"], "bare_data");
    let videos = j["videos"].as_array().unwrap();
    assert_eq!(videos.len(), 1);
    assert_eq!(videos[0]["file"], "test_vid.mp4");
    assert_eq!(videos[0]["size_bytes"], 1724850);
    assert_eq!(j["models"].as_array().unwrap().len(), 0);
    // Missing cells per keypoint add up to the 268 empty cells / 2 coords.
    let per_kp = j["per_view"][0]["missing_per_keypoint"].as_array().unwrap();
    let sum: u64 = per_kp.iter().map(|p| p[1].as_u64().unwrap()).sum();
    assert_eq!(sum, 268 / 2);

    let (code, out, _) = run_posedeck(&["status", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("keypoints (17)"), "{out}");
    assert!(
        out.contains("90 labeled frames, 48 with a missing keypoint, 3 context frames"),
        "{out}"
    );
    assert!(out.contains("labeling progress: unknown"), "{out}");
}

/// A project folder holding copies of the three real runs under models/; the mid-training
/// copy keeps its original times (written ~1 h before, by pid 23686 that no longer runs).
fn real_runs_project(data: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    for name in [
        "tiny_cpu_model",
        "app_style_model",
        "app_style_model_midtraining",
    ] {
        copy_dir(&data.join("lp-real-model").join(name), &models.join(name));
    }
    // The status's own progress timestamp: when litpose last wrote it.
    let written = SystemTime::UNIX_EPOCH + Duration::from_secs_f64(1795261617.4236856);
    set_mtimes(&models.join("app_style_model_midtraining"), written);
    tmp
}

#[test]
fn real_runs_written_and_effective_status() {
    let data = shared_or_skip!();
    let tmp = real_runs_project(&data);
    let j = status_json(&["status", tmp.path().to_str().unwrap(), "--json"]);
    assert_eq!(j["layout"]["kind"], "models_only");
    assert_eq!(j["models"].as_array().unwrap().len(), 3);
    for name in ["tiny_cpu_model", "app_style_model"] {
        let m = model(&j, name);
        assert_eq!(m["status"], "COMPLETED", "{name}");
        assert_eq!(m["effective_status"], "COMPLETED", "{name}");
        assert_eq!(m["status_source"], "train_status.json");
        assert_eq!(m["progress"]["completed"], 2);
        assert_eq!(m["model_type"], "heatmap");
        assert_eq!(m["backbone"], "resnet18");
        assert_eq!(m["config"]["image_size"], serde_json::json!([128, 128]));
        assert_eq!(m["config"]["train_batch_size"], 8);
        assert_eq!(m["config"]["max_epochs"], 2);
        assert_eq!(m["n_train_frames"], 72);
        assert_eq!(m["errors"].as_array().unwrap().len(), 0, "{}", m["errors"]);
    }
    let mid = model(&j, "app_style_model_midtraining");
    assert_eq!(mid["status"], "TRAINING");
    assert_eq!(mid["pid"], 23686);
    assert_eq!(mid["progress"]["completed"], 1);
    assert_eq!(mid["progress"]["total"], 2);
    let eff = mid["effective_status"].as_str().unwrap();
    assert!(eff == "FAILED" || eff == "STALE", "{eff}");
    let reason = mid["effective_reason"].as_str().unwrap();
    if eff == "FAILED" {
        assert!(
            reason.contains("process exited without finishing"),
            "{reason}"
        );
    }
    assert!(mid["pixel_error"].as_object().unwrap().is_empty());
    assert!(mid["best_val_loss"].as_f64().is_some());

    let (code, out, _) = run_posedeck(&["status", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    let line = out
        .lines()
        .find(|l| l.contains("app_style_model_midtraining"))
        .unwrap();
    assert!(line.contains("TRAINING") && line.contains(eff), "{out}");
    assert!(out.contains(reason), "reason not shown:\n{out}");
    // Under each run row, its config: image size, epochs, split, and the train set's size
    // from the metrics (all train frames from the config when there are no metrics yet).
    let config_under = |name: &str| {
        let mut it = out
            .lines()
            .skip_while(|l| !l.contains(&format!("  {name} ")));
        it.next();
        it.next().unwrap_or_default().trim().to_string()
    };
    let done = "config: resize 128x128, 2 epochs, split 0.80/0.10/0.10, 72 train frames";
    assert_eq!(config_under("tiny_cpu_model"), done, "{out}");
    assert_eq!(config_under("app_style_model"), done, "{out}");
    assert_eq!(
        config_under("app_style_model_midtraining"),
        "config: resize 128x128, 2 epochs, split 0.80/0.10/0.10, all train frames",
        "{out}"
    );
    assert!(line.contains("heatmap resnet18"), "{line}");
}

#[test]
fn pixel_error_equals_pandas() {
    let data = shared_or_skip!();
    let py = peers_or_skip!();
    let run = data.join("lp-real-model/tiny_cpu_model");
    let csv = run.join("predictions_pixel_error.csv");
    let script = r#"
import json, sys
import pandas as pd
df = pd.read_csv(sys.argv[1], index_col=0)
kps = [c for c in df.columns if c != "set"]
out = {}
for s in df["set"].unique():
    v = df[df["set"] == s][kps].stack()
    out[s] = {"mean": float(v.mean()), "median": float(v.median()), "p90": float(v.quantile(0.9)), "n": int(v.count())}
per_kp = {k: float(df[df["set"] == "train"][k].mean()) for k in kps}
print(json.dumps({"sets": out, "train_per_kp": per_kp}))
"#;
    let want: Value =
        serde_json::from_str(&run_python(&py, script, &[csv.to_str().unwrap()])).unwrap();
    let m = ModelRun::load(&run);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    let sets = want["sets"].as_object().unwrap();
    assert_eq!(sets.len(), 3);
    for (set, w) in sets {
        let got = m
            .pixel_error
            .get(set)
            .unwrap_or_else(|| panic!("no set {set}"));
        assert_eq!(got.n as u64, w["n"].as_u64().unwrap(), "{set}");
        assert!(
            close(got.mean.unwrap(), w["mean"].as_f64().unwrap()),
            "{set} mean {got:?} vs {w}"
        );
        assert!(
            close(got.median.unwrap(), w["median"].as_f64().unwrap()),
            "{set} median"
        );
        assert!(
            close(got.p90.unwrap(), w["p90"].as_f64().unwrap()),
            "{set} p90"
        );
    }
    let pix = m
        .metrics
        .iter()
        .find(|x| x.kind == posedeck::project::MetricKind::PixelError)
        .unwrap();
    for (kp, w) in want["train_per_kp"].as_object().unwrap() {
        let got = pix.per_keypoint[kp]["train"].mean.unwrap();
        assert!(close(got, w.as_f64().unwrap()), "{kp}: {got} vs {w}");
    }
    // The PCA error files are summarised the same way.
    let kinds: Vec<_> = m.metrics.iter().map(|x| x.kind).collect();
    assert!(kinds.contains(&posedeck::project::MetricKind::PcaSingleviewError));
    assert!(kinds.contains(&posedeck::project::MetricKind::PcaMultiviewError));
}

/// Every metric file of the real runs (pixel error and both PCA errors), every set (and
/// "all") pooled and per keypoint: count, mean, median and p90 equal pandas' to the last bit.
/// pandas parses with `float_precision="round_trip"` (correctly rounded, as posedeck parses);
/// its default C parser is off by one ulp on some cells, which would move the statistics.
#[test]
fn metric_summaries_equal_pandas_to_the_last_bit() {
    let data = shared_or_skip!();
    let py = peers_or_skip!();
    let script = r#"
import json, sys
import pandas as pd
out = {}
for path in sys.argv[1:]:
    df = pd.read_csv(path, index_col=0, float_precision="round_trip")
    kps = [c for c in df.columns if c != "set"]
    groups = [(s, df[df["set"] == s]) for s in df["set"].unique()] if "set" in df.columns else []
    groups.append(("all", df))
    stats = lambda v: [int(v.count()), float(v.mean()), float(v.median()), float(v.quantile(0.9))]
    res = {"sets": {}, "kp": {}}
    for s, g in groups:
        res["sets"][s] = stats(g[kps].stack())
        for k in kps:
            c = g[k].dropna()
            res["kp"].setdefault(k, {})[s] = stats(c) if len(c) else [0, None, None, None]
    out[path] = res
print(json.dumps(out))
"#;
    let mut files = Vec::new();
    for run in ["tiny_cpu_model", "app_style_model"] {
        for e in std::fs::read_dir(data.join("lp-real-model").join(run)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            if posedeck::project::MetricKind::from_file_name(&name).is_some() {
                files.push(p);
            }
        }
    }
    assert_eq!(files.len(), 6, "{files:?}");
    let args: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let want: Value = serde_json::from_str(&run_python(&py, script, &args)).unwrap();
    let same = |got: &posedeck::project::ErrorStats, w: &Value, what: &str| {
        let bits = |x: Option<f64>| x.map(f64::to_bits);
        let wf = |i: usize| w[i].as_f64();
        assert_eq!(got.n as u64, w[0].as_u64().unwrap(), "{what} n");
        assert_eq!(bits(got.mean), bits(wf(1)), "{what} mean {got:?} vs {w}");
        assert_eq!(
            bits(got.median),
            bits(wf(2)),
            "{what} median {got:?} vs {w}"
        );
        assert_eq!(bits(got.p90), bits(wf(3)), "{what} p90 {got:?} vs {w}");
    };
    let mut checked = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        let (kind, view) = posedeck::project::MetricKind::from_file_name(name).unwrap();
        let m = posedeck::project::MetricSummary::load(f, kind, view).unwrap();
        let w = &want[f.to_str().unwrap()];
        let sets = w["sets"].as_object().unwrap();
        assert_eq!(m.per_set.len(), sets.len(), "{name}");
        for (set, ws) in sets {
            same(&m.per_set[set], ws, &format!("{name} {set}"));
            checked += 1;
        }
        for (kp, by_set) in w["kp"].as_object().unwrap() {
            for (set, ws) in by_set.as_object().unwrap() {
                same(&m.per_keypoint[kp][set], ws, &format!("{name} {kp} {set}"));
                checked += 1;
            }
        }
    }
    assert!(checked > 400, "{checked}");
}

#[test]
fn one_run_loads_on_its_own() {
    let data = shared_or_skip!();
    let run = data.join("lp-real-model/tiny_cpu_model");
    let m = ModelRun::load(&run);
    assert_eq!(m.effective_status(), EffectiveStatus::Completed);
    assert_eq!(m.checkpoints.len(), 1);
    let ck = &m.checkpoints[0];
    assert_eq!((ck.epoch, ck.step, ck.best), (Some(1), Some(18), true));
    assert_eq!(m.events_files.len(), 1);
    assert_eq!(m.video_preds.len(), 1);
    assert_eq!(m.video_preds[0].video, "test_vid");
    assert_eq!(
        m.video_preds[0].metrics,
        [
            "temporal_norm",
            "pca_singleview_error",
            "pca_multiview_error"
        ]
    );
    assert!(m.predictions.iter().any(|p| p.ends_with("predictions.csv")));
    // Best val loss = the minimum of val_supervised_loss in EXPECTED_scalars.json.
    let exp: Value = serde_json::from_slice(
        &std::fs::read(data.join("lp-real-model/EXPECTED_scalars.json")).unwrap(),
    )
    .unwrap();
    let (key, file) = exp["files"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with("tiny_cpu_model/"))
        .unwrap();
    let vals = file["scalar_tags"]["val_supervised_loss"]["values"]
        .as_array()
        .unwrap();
    let min = vals
        .iter()
        .map(|v| v[1].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    let got = m.best_val_loss.unwrap();
    assert!(
        (got - min).abs() <= 1e-6 * min.abs(),
        "{key}: {got} vs {min}"
    );
}

use crate::common::write_file as write;

#[test]
fn new_app_project_through_the_registry() {
    let data = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let sys = tmp.path().join("lpsys");
    let proj = tmp.path().join("mouse_data");
    let models = tmp.path().join("elsewhere/models");
    write(
        &sys.join("projects.toml"),
        &format!(
            "[mouse]\ndata_dir = \"{}\"\nmodel_dir = \"{}\"\n",
            proj.display(),
            models.display()
        ),
    );
    write(
        &proj.join("project.yaml"),
        "schema_version: 1\nview_names: []\nkeypoint_names: [paw1LH_top, paw2LF_top, paw3RF_top, paw4RH_top, tailBase_top, tailMid_top, nose_top, obs_top, paw1LH_bot, paw2LF_bot, paw3RF_bot, paw4RH_bot, tailBase_bot, tailMid_bot, nose_bot, obsHigh_bot, obsLow_bot]\n",
    );
    std::fs::copy(
        data.join("lp-mirror-mouse/CollectedData.csv"),
        proj.join("CollectedData.csv"),
    )
    .unwrap();
    write(
        &proj.join("CollectedData.unlabeled.jsonl"),
        &(0..10)
            .map(|i| {
                format!(
                    "{{\"frame_path\":\"labeled-data/v/img{i:08}.png\",\"predictions\":null}}\n"
                )
            })
            .collect::<String>(),
    );
    copy_dir(
        &data.join("lp-real-model/tiny_cpu_model"),
        &models.join("tiny"),
    );

    let out = crate::common::output_ok(
        posedeck()
            .args(["status", "mouse", "--json"])
            .env("LP_SYSTEM_DIR", &sys),
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["layout"]["kind"], "new_app");
    assert_eq!(j["layout"]["registry_key"], "mouse");
    assert_eq!(j["name"], "mouse");
    assert_eq!(j["keypoints"].as_array().unwrap().len(), 17);
    assert_eq!(j["n_labeled_frames"], 90);
    // The images were not copied.
    assert_eq!(j["n_missing_images"], 90);
    assert_eq!(j["labeling_progress"]["n_labeled_tasks"], 90);
    assert_eq!(j["labeling_progress"]["n_total_tasks"], 100);
    assert_eq!(j["labeling_queue"]["n_queued_frames"], 10);
    assert_eq!(j["models"].as_array().unwrap().len(), 1);
    assert_eq!(model(&j, "tiny")["status"], "COMPLETED");

    // The folder itself also finds its registry entry (and so its model_dir).
    let out = posedeck()
        .args(["status", proj.to_str().unwrap(), "--json"])
        .env("LP_SYSTEM_DIR", &sys)
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["layout"]["registry_key"], "mouse");
    assert_eq!(j["models"].as_array().unwrap().len(), 1);

    // An unknown key: exit 2, naming the registry file.
    let out = posedeck()
        .args(["status", "nosuchkey"])
        .env("LP_SYSTEM_DIR", &sys)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nosuchkey") && err.contains("projects.toml"),
        "{err}"
    );
}

const LS_XML: &str = r##"<View>
  <KeyPointLabels name="kp-1" toName="img-1" strokeWidth="3">
    <Label value="paw1LH_top" background="red" hotkey="1" maxUsages="1"/>
    <Label value="paw2LF_top" background="#00ff00" hotkey="2" maxUsages="1"/>
  </KeyPointLabels>
  <Image name="img-1" value="$img"/>
</View>
"##;

#[test]
fn old_app_project() {
    let data = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("mirror");
    std::fs::create_dir_all(&p).unwrap();
    let real = data.join("lp-real-model/tiny_cpu_model");
    std::fs::copy(real.join("config.yaml"), p.join("model_config_mirror.yaml")).unwrap();
    std::fs::copy(
        data.join("lp-mirror-mouse/CollectedData.csv"),
        p.join("CollectedData.csv"),
    )
    .unwrap();
    copy_dir(
        &data.join("lp-mirror-mouse/labeled-data"),
        &p.join("labeled-data"),
    );
    write(&p.join("label_studio_config.xml"), LS_XML);
    write(
        &p.join("label_studio_metadata.yaml"),
        "project_name: mirror\nid: 3\ncreated_at: 2023-06-01\napi_key: SECRET-KEY-42\nn_labeled_tasks: 90\nn_total_tasks: 120\n",
    );
    // A finished old-app run: predictions.csv, no train_status.json.
    let done = p.join("models/2023-06-02/10-11-00_super-0");
    std::fs::create_dir_all(&done).unwrap();
    for f in [
        "config.yaml",
        "predictions.csv",
        "predictions_pixel_error.csv",
    ] {
        std::fs::copy(real.join(f), done.join(f)).unwrap();
    }
    // An unfinished one, untouched for a day.
    let old = p.join("models/2023-06-02/11-00-01_semisuper-ctx-1");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::copy(real.join("config.yaml"), old.join("config.yaml")).unwrap();
    set_mtimes(&old, SystemTime::now() - Duration::from_secs(86400));

    let (code, out, err) = run_posedeck(&["status", p.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains("SECRET") && !out.contains("api_key"),
        "api_key leaked"
    );
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["layout"]["kind"], "old_app");
    assert_eq!(j["config"]["backbone"], "resnet18");
    assert_eq!(j["labeling_progress"]["n_labeled_tasks"], 90);
    assert_eq!(j["labeling_progress"]["n_total_tasks"], 120);
    assert_eq!(j["label_studio"]["project_name"], "mirror");
    assert_eq!(j["keypoint_styles"][1]["colour"], "#00ff00");
    assert_eq!(j["keypoint_styles"][1]["hotkey"], "2");
    assert_eq!(j["n_context_frames"], 3);
    let d = model(&j, "2023-06-02/10-11-00_super-0");
    assert_eq!(d["layout"]["kind"], "old_app");
    assert_eq!(d["layout"]["model_kind"], "super");
    assert_eq!(d["status"], "COMPLETED");
    assert_eq!(d["status_source"], "predictions.csv");
    assert!(d["pixel_error"]["train"]["mean"].as_f64().is_some());
    let u = model(&j, "2023-06-02/11-00-01_semisuper-ctx-1");
    assert_eq!(u["layout"]["seed"], 1);
    assert!(u["status"].is_null());
    assert_eq!(u["effective_status"], "UNKNOWN");

    let (_, human, _) = run_posedeck(&["status", p.to_str().unwrap()]);
    assert!(human.contains("labeling progress: 90/120 (75%)"), "{human}");
    assert!(human.contains("paw1LH_top [1]"), "{human}");
    assert!(!human.contains("SECRET"));
}

/// A two-view CSV (top/bot) with `n` frames of video `session_<view>`, keypoints a and b;
/// the first frame misses b.
fn view_csv(view: &str, n: usize) -> String {
    let mut s = String::from("scorer,me,me,me,me\nbodyparts,a,a,b,b\ncoords,x,y,x,y\n");
    for i in 0..n {
        let b = if i == 0 {
            ",".to_string()
        } else {
            format!("{i}.5,{i}.25")
        };
        s.push_str(&format!(
            "labeled-data/session_{view}/img{i:08}.png,1.0,2.0,{b}\n"
        ));
    }
    s
}

fn metric_csv(rows: &[(&str, f64, f64, &str)]) -> String {
    let mut s = String::from(",a,b,set\n");
    for (idx, a, b, set) in rows {
        s.push_str(&format!("{idx},{a},{b},{set}\n"));
    }
    s
}

#[test]
fn multiview_project() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    write(
        &p.join("project.yaml"),
        "view_names: [top, bot]\nkeypoint_names: [a, b]\n",
    );
    write(&p.join("CollectedData_top.csv"), &view_csv("top", 4));
    write(&p.join("CollectedData_bot.csv"), &view_csv("bot", 4));
    for view in ["top", "bot"] {
        for i in 0..6 {
            write(
                &p.join(format!("labeled-data/session_{view}/img{i:08}.png")),
                "png",
            );
        }
    }
    let run = p.join("models/two_view");
    write(
        &run.join("config.yaml"),
        "data:\n  view_names: [top, bot]\nmodel:\n  model_type: heatmap_multiview_transformer\n  backbone: vits_dino\n",
    );
    write(
        &run.join("train_status.json"),
        "{\"status\": \"COMPLETED\", \"pid\": null, \"progress\": {\"completed\": 5, \"total\": 5, \"timestamp\": 1.0}}",
    );
    write(&run.join("predictions_top.csv"), "x");
    write(
        &run.join("predictions_top_pixel_error.csv"),
        &metric_csv(&[
            ("f0", 1.0, f64::NAN, "train"),
            ("f1", 3.0, 5.0, "train"),
            ("f2", 10.0, 20.0, "validation"),
        ]),
    );
    write(
        &run.join("predictions_bot_pixel_error.csv"),
        &metric_csv(&[
            ("f0", 2.0, 4.0, "train"),
            ("f1", f64::NAN, 6.0, "train"),
            ("f2", 30.0, 40.0, "validation"),
        ]),
    );
    let j = status_json(&["status", p.to_str().unwrap(), "--json"]);
    assert_eq!(j["views"], serde_json::json!(["top", "bot"]));
    assert_eq!(j["keypoints"], serde_json::json!(["a", "b"]));
    assert_eq!(j["n_labeled_frames"], 4);
    assert_eq!(j["n_frames_with_missing_keypoints"], 1);
    assert_eq!(
        j["labeled_frames_per_video"],
        serde_json::json!({"session_bot": 4, "session_top": 4})
    );
    assert_eq!(j["n_context_frames"], 4);
    assert_eq!(j["per_view"][0]["view"], "top");
    let m = model(&j, "two_view");
    assert_eq!(m["model_type"], "heatmap_multiview_transformer");
    // Train values pooled over both views: 1, 3, 5, 2, 4, 6 (NaN excluded).
    assert_eq!(m["pixel_error"]["train"]["mean"], 3.5);
    assert_eq!(m["pixel_error"]["train"]["median"], 3.5);
    assert_eq!(m["pixel_error"]["validation"]["mean"], 25.0);
    let views: Vec<&str> = m["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["view"].as_str().unwrap())
        .collect();
    assert_eq!(views, ["bot", "top"]);
}

#[test]
fn litpose_outputs_and_ensemble() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    write(&p.join("CollectedData.csv"), &view_csv("v", 2));
    write(
        &p.join("config_mouse.yaml"),
        "model:\n  backbone: resnet50\n",
    );
    let r = p.join("outputs/2024-02-03/04-05-06");
    write(&r.join("config.yaml"), "model:\n  backbone: resnet50\n");
    write(&r.join("train_status.json"), "{\"status\": \"COMPLETED\"}");
    let e = p.join("outputs/eks");
    write(
        &e.join("ensemble.yaml"),
        "members:\n- 2024-02-03/04-05-06\n- other\nsmooth_param: 1000\n",
    );
    let j = status_json(&["status", p.to_str().unwrap(), "--json"]);
    assert_eq!(j["layout"]["kind"], "bare_data");
    assert_eq!(j["config"]["backbone"], "resnet50");
    // lightning-pose's defaults fill what the file leaves out.
    assert_eq!(j["config"]["max_epochs"], 300);
    assert_eq!(j["config"]["model_type"], "heatmap");
    let d = model(&j, "2024-02-03/04-05-06");
    assert_eq!(d["layout"]["kind"], "dated");
    assert_eq!(d["status"], "COMPLETED");
    let en = model(&j, "eks");
    assert_eq!(en["layout"]["kind"], "ensemble");
    assert_eq!(
        en["ensemble"]["members"],
        serde_json::json!(["2024-02-03/04-05-06", "other"])
    );
    assert_eq!(en["ensemble"]["params"]["smooth_param"], "1000");
}

#[test]
fn ffprobe_is_used_when_on_path() {
    let data = shared_or_skip!();
    // MP4: read from the boxes in-process, with no ffprobe anywhere on PATH.
    let dir = data.join("lp-mirror-mouse");
    let out = posedeck()
        .args(["status", dir.to_str().unwrap(), "--json"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let probe = &j["videos"][0]["probe"];
    assert_eq!(probe["frames"], 994);
    assert_eq!(probe["fps"], 250.0);
    assert_eq!(probe["codec"], "h264");
    assert_eq!(probe["pix_fmt"], "yuv420p");
    assert_eq!(probe["width"], 396);
    assert_eq!(probe["height"], 406);
    assert_eq!(probe["bframes"], true);
    assert_eq!(probe["keyframe_interval"], 250);
    assert_eq!(probe["vfr"], false);
    assert_eq!(probe["warnings"], serde_json::json!([]));
    let out = posedeck()
        .args(["status", dir.to_str().unwrap()])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains(
            "994 frames, 250 fps, h264, yuv420p, 396x406, B-frames, keyframe interval 250"
        ),
        "{human}"
    );
    // Other containers: ffprobe when on PATH (a stand-in answering as the real one does).
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    write(
        &bin.join("ffprobe"),
        "#!/bin/sh\ncat <<'EOF'\n{\"streams\": [{\"index\": 0, \"codec_name\": \"mpeg4\", \"codec_type\": \"video\", \"width\": 396, \"height\": 406, \"pix_fmt\": \"yuv420p\", \"r_frame_rate\": \"250/1\", \"avg_frame_rate\": \"250/1\", \"nb_frames\": \"994\"}]}\nEOF\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("ffprobe"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let proj = tmp.path().join("proj");
    write(&proj.join("videos/clip.avi"), "RIFF....AVI ");
    std::fs::copy(
        dir.join("CollectedData.csv"),
        proj.join("CollectedData.csv"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = posedeck()
        .args(["status", proj.to_str().unwrap(), "--json"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let probe = &j["videos"][0]["probe"];
    assert_eq!(probe["frames"], 994, "{j}");
    assert_eq!(probe["codec"], "mpeg4");
    // Without ffprobe: unknown with the reason, no error.
    let out = posedeck()
        .args(["status", proj.to_str().unwrap(), "--json"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j["videos"][0]["probe"].is_null());
    assert!(
        j["videos"][0]["probe_error"]
            .as_str()
            .unwrap()
            .contains("ffprobe"),
        "{j}"
    );
}

// ---- bad inputs: each breaks one file of one run; the project still loads --------------

/// A project with one good run (`good`) and one run `bad` made by `f`; returns the JSON of
/// `bad` and the whole human output.
fn with_bad_run(f: impl FnOnce(&Path)) -> (Value, String) {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    let good = models.join("good");
    write(&good.join("config.yaml"), "model:\n  backbone: resnet18\n");
    write(
        &good.join("train_status.json"),
        "{\"status\": \"COMPLETED\", \"pid\": null, \"progress\": null}",
    );
    let bad = models.join("bad");
    write(&bad.join("config.yaml"), "model:\n  backbone: resnet18\n");
    write(
        &bad.join("train_status.json"),
        "{\"status\": \"COMPLETED\"}",
    );
    f(&bad);
    let j = status_json(&["status", tmp.path().to_str().unwrap(), "--json"]);
    assert_eq!(model(&j, "good")["status"], "COMPLETED");
    assert_eq!(model(&j, "good")["errors"].as_array().unwrap().len(), 0);
    let (code, human, _) = run_posedeck(&["status", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    (model(&j, "bad").clone(), human)
}

fn errors_of(m: &Value) -> Vec<String> {
    m["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn bad_yaml_config_is_reported_on_its_run() {
    let (m, human) = with_bad_run(|d| {
        write(
            &d.join("config.yaml"),
            "model:\n  backbone: [resnet18\ntraining: {}\n",
        )
    });
    let errs = errors_of(&m);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("config.yaml:") && errs[0].contains("bad"),
        "{errs:?}"
    );
    assert!(m["config"].is_null());
    assert_eq!(m["status"], "COMPLETED");
    assert!(
        human.contains("error: ") && human.contains("config.yaml:"),
        "{human}"
    );
}

#[test]
fn wrongly_typed_config_value_names_the_line() {
    let (m, _) = with_bad_run(|d| {
        write(
            &d.join("config.yaml"),
            "training:\n  max_epochs: 10\n  train_batch_size: many\n",
        )
    });
    let errs = errors_of(&m);
    assert!(errs[0].contains("config.yaml:3:"), "{errs:?}");
}

#[test]
fn bad_json_train_status_is_reported_on_its_run() {
    let (m, _) = with_bad_run(|d| {
        write(
            &d.join("train_status.json"),
            "{\"status\": \"TRAINING\", \"pid\": 12,, }",
        )
    });
    let errs = errors_of(&m);
    assert!(errs[0].contains("train_status.json:1:"), "{errs:?}");
    assert!(m["status"].is_null());
    assert_eq!(m["effective_status"], "UNKNOWN");
    assert!(
        m["effective_reason"]
            .as_str()
            .unwrap()
            .starts_with("train_status.json could not be read: "),
        "{}",
        m["effective_reason"]
    );
}

#[test]
fn empty_train_status_is_reported() {
    let (m, _) = with_bad_run(|d| write(&d.join("train_status.json"), ""));
    let errs = errors_of(&m);
    assert!(
        errs[0].contains("train_status.json") && errs[0].contains("empty file (0 bytes)"),
        "{errs:?}"
    );
    assert!(m["status"].is_null());
}

#[test]
fn half_written_train_status_is_reported() {
    let (m, _) = with_bad_run(|d| {
        write(
            &d.join("train_status.json"),
            "{\n    \"status\": \"TRAINING\",\n    \"pid\": 23686,\n    \"progress\": {\n        \"compl",
        )
    });
    let errs = errors_of(&m);
    assert!(errs[0].contains("train_status.json:5:"), "{errs:?}");
}

#[test]
fn config_that_is_a_directory_is_reported() {
    let (m, _) = with_bad_run(|d| {
        std::fs::remove_file(d.join("config.yaml")).unwrap();
        std::fs::create_dir(d.join("config.yaml")).unwrap();
    });
    let errs = errors_of(&m);
    assert!(
        errs[0].contains("config.yaml") && errs[0].to_lowercase().contains("directory"),
        "{errs:?}"
    );
}

#[test]
fn dangling_config_symlink_is_reported() {
    let (m, _) = with_bad_run(|d| {
        std::fs::remove_file(d.join("config.yaml")).unwrap();
        std::os::unix::fs::symlink(d.join("gone.yaml"), d.join("config.yaml")).unwrap();
    });
    let errs = errors_of(&m);
    assert!(m["config"].is_null());
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("config.yaml: dangling symlink") && errs[0].contains("gone.yaml"),
        "{errs:?}"
    );
}

#[test]
fn bad_metric_csv_is_reported_on_its_run() {
    let (m, _) = with_bad_run(|d| {
        write(
            &d.join("predictions_pixel_error.csv"),
            ",a,b,set\nimg0,1.0,zz,train\n",
        )
    });
    let errs = errors_of(&m);
    assert!(
        errs[0].contains("predictions_pixel_error.csv:2"),
        "{errs:?}"
    );
}

#[test]
fn bad_project_files_are_problems_not_failures() {
    let data = shared_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    std::fs::copy(
        data.join("lp-mirror-mouse/CollectedData.csv"),
        p.join("CollectedData.csv"),
    )
    .unwrap();
    write(
        &p.join("label_studio_config.xml"),
        "<View>\n<KeyPointLabels>\n<Label value=\"a\">\n</KeyPointLabels>\n</View>\n",
    );
    write(
        &p.join("label_studio_metadata.yaml"),
        "project_name: x\napi_key: SECRET\nn_labeled_tasks: [1\n",
    );
    write(&p.join("model_config_x.yaml"), "");
    let (code, out, err) = run_posedeck(&["status", p.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("SECRET"));
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["n_labeled_frames"], 90);
    let problems: Vec<&str> = j["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|e| e.contains("label_studio_config.xml:4:") && e.contains("byte")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|e| e.contains("label_studio_metadata.yaml:")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|e| e.contains("model_config_x.yaml") && e.contains("empty file")),
        "{problems:?}"
    );
    assert!(j["labeling_progress"].is_null());
}

#[test]
fn bad_labels_csv_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("CollectedData.csv"),
        "scorer,me,me\nbodyparts,a,a\ncoords,x,y\nimg.png,1.0,2.0,3.0\n",
    );
    let j = status_json(&["status", tmp.path().to_str().unwrap(), "--json"]);
    let errs = j["label_errors"].as_array().unwrap();
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].as_str().unwrap().contains("CollectedData.csv:4"),
        "{errs:?}"
    );
}

#[test]
fn not_a_project_exits_2_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = run_posedeck(&["status", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not a Lightning Pose project") && err.contains(tmp.path().to_str().unwrap()),
        "{err}"
    );
    let f = tmp.path().join("file.txt");
    write(&f, "x");
    let (code, _, err) = run_posedeck(&["status", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("file.txt"), "{err}");
}

#[test]
fn hostile_names_are_cleaned_in_human_output() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("models/evil\x1b[31mname");
    write(
        &run.join("config.yaml"),
        "model:\n  backbone: \"res\\x1b]0;pwned\\x07net\"\n",
    );
    write(
        &run.join("train_status.json"),
        "{\"status\": \"COMPLETED\"}",
    );
    let (code, out, _) = run_posedeck(&["status", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("evil\\u{1b}[31mname"), "{out}");
}

/// Runs a status on a live copy with the current pid: a run whose pid is alive and was
/// started before the status write keeps its written status.
#[test]
fn live_pid_keeps_the_written_status() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("models/live");
    write(&run.join("config.yaml"), "model:\n  backbone: resnet18\n");
    // This test process is alive and started before the file is written.
    std::thread::sleep(Duration::from_millis(10));
    write(
        &run.join("train_status.json"),
        &format!(
            "{{\"status\": \"TRAINING\", \"pid\": {}, \"progress\": {{\"completed\": 3, \"total\": 10}}}}",
            std::process::id()
        ),
    );
    let m = ModelRun::load(&run);
    assert_eq!(
        m.effective_status(),
        EffectiveStatus::Training,
        "{:?}",
        m.judgement
    );
    // A status file written before the process started: the pid was reused.
    let past = SystemTime::now() - Duration::from_secs(30 * 86400);
    set_mtimes(&run, past);
    let m = ModelRun::load(&run);
    assert_eq!(
        m.effective_status(),
        EffectiveStatus::Failed,
        "{:?}",
        m.judgement
    );
    // No pid, nothing written for a month: STALE with the age.
    write(
        &run.join("train_status.json"),
        "{\"status\": \"TRAINING\", \"pid\": null}",
    );
    set_mtimes(&run, past);
    let m = ModelRun::load(&run);
    assert_eq!(m.effective_status(), EffectiveStatus::Stale);
    assert!(m.judgement.effective_reason.unwrap().contains("30 d"));
}

#[test]
fn cached_status_equals_fresh_status() {
    let data = shared_or_skip!();
    let tmp = real_runs_project(&data);
    let cache = tempfile::tempdir().unwrap();
    let run = |cached: bool| {
        let mut c = crate::common::posedeck();
        if cached {
            c.env("POSEDECK_CACHE_DIR", cache.path());
        } else {
            c.env("POSEDECK_NO_CACHE", "1");
        }
        let out = c
            .args(["status", tmp.path().to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut j: Value = serde_json::from_slice(&out.stdout).unwrap();
        // Ages move with the clock.
        for m in j["models"].as_array_mut().unwrap() {
            m["idle_s"] = Value::Null;
            m["effective_reason"] = Value::Null;
        }
        j
    };
    let fresh = run(false);
    let first = run(true);
    let files: Vec<_> = std::fs::read_dir(cache.path().join("status"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 1);
    let second = run(true);
    assert_eq!(fresh, first);
    // Served from the cache: the same numbers (JSON floats round-trip to the last bit or one ulp).
    let pe = |j: &Value| {
        model(j, "tiny_cpu_model")["pixel_error"]["train"]["mean"]
            .as_f64()
            .unwrap()
    };
    assert!((pe(&second) - pe(&fresh)).abs() <= 1e-12 * pe(&fresh));
    assert_eq!(
        model(&second, "tiny_cpu_model")["best_val_loss"],
        model(&fresh, "tiny_cpu_model")["best_val_loss"]
    );
    // A changed file is read again.
    let pix = tmp
        .path()
        .join("models/tiny_cpu_model/predictions_pixel_error.csv");
    std::fs::write(&pix, ",a,set\nimg,2.0,train\n").unwrap();
    let third = run(true);
    assert_eq!(
        model(&third, "tiny_cpu_model")["pixel_error"]["train"]["mean"],
        2.0
    );
}
