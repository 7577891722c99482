//! Writes a demo project (new-app layout) and returns its ground truth:
//!
//! ```text
//! D/project.yaml                       view_names, keypoint_names, schema_version
//! D/CollectedData.csv                  scorer "demo", exact keypoints, empty = missing
//! D/labeled-data/<video>/img%08d.png   the labeled frames (every 3rd video frame)
//! D/videos/<video>/img%08d.png         the first `clip_frames` frames of each video
//! D/label_studio_config.xml            names, colours, hotkeys
//! D/label_studio_metadata.yaml         progress (and a fake api_key)
//! D/model_config_demo.yaml             Lightning Pose config for a short CPU run
//! D/models/                            empty
//! ```

use super::body::{Anchor, Body, KeypointDef, catalogue, skeleton};
use super::motion::Walker;
use super::raster::Canvas;
use super::rng::Rng;
use super::scene::Scene;
use super::{DemoSpec, FRAME_STRIDE, FrameTruth, GroundTruth, Missing};
use crate::formats::csv::PoseTable;
use crate::util::write_atomic;
use crate::{Error, Result};
use std::path::Path;

/// The scorer written in CollectedData.csv.
pub const SCORER: &str = "demo";
/// Chance that the simulated labeler skips a visible keypoint.
pub const SKIP_PROB: f64 = 0.015;
/// The model config template (see `demo/config.yaml`).
pub const CONFIG_TEMPLATE: &str = include_str!("../../demo/config.yaml");
/// File name of the model config in a generated project.
pub const CONFIG_NAME: &str = "model_config_demo.yaml";

/// Video (labeled-data subfolder) names.
pub fn video_name(i: usize) -> String {
    format!("walk_{:02}", i + 1)
}

/// Generates the project into `dir`, which must be absent or empty.
pub fn generate(spec: &DemoSpec, dir: &Path) -> Result<GroundTruth> {
    spec.validate()?;
    prepare_dir(dir)?;
    let defs = catalogue(spec.keypoints);
    let names: Vec<String> = defs.iter().map(|d| d.name.clone()).collect();
    let per_video = spec.frames_per_video();
    let videos: Vec<String> = (0..per_video.len()).map(video_name).collect();
    let mut frames = Vec::with_capacity(spec.frames);
    for (v, (&n, name)) in per_video.iter().zip(&videos).enumerate() {
        frames.extend(render_video(spec, dir, v, name, n, &defs)?);
    }
    let truth = GroundTruth {
        spec: spec.clone(),
        keypoint_names: names,
        skeleton: skeleton(&defs),
        videos,
        frames,
    };
    write_labels(&truth, &dir.join("CollectedData.csv"))?;
    write_project_yaml(&truth, dir)?;
    write_label_studio(&truth, dir)?;
    write_model_config(&truth, dir)?;
    let models = dir.join("models");
    std::fs::create_dir_all(&models).map_err(|e| Error::io(&models, e))?;
    Ok(truth)
}

fn prepare_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        if entries.next().is_some() {
            return Err(Error::usage(format!(
                "{}: not empty; the demo is only generated into a new or empty folder",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}

/// The look of video `v` (odd videos, or a lone one, have an occluder).
pub fn scene_for(spec: &DemoSpec, v: usize) -> Scene {
    let occluder = v % 2 == 1 || spec.videos == 1;
    Scene::new(spec.seed, v as u64, spec.width, spec.height, occluder)
}

/// Simulates one video, writing its labeled frames (and clip frames); returns their truth.
fn render_video(
    spec: &DemoSpec,
    dir: &Path,
    v: usize,
    name: &str,
    labeled: usize,
    defs: &[KeypointDef],
) -> Result<Vec<FrameTruth>> {
    let (w, h) = (spec.width, spec.height);
    let scene = scene_for(spec, v);
    let mut walker = Walker::new(spec.seed, v as u64, w, h);
    let mut skip = Rng::stream(spec.seed, "labeler", v as u64);
    let label_dir = dir.join("labeled-data").join(name);
    std::fs::create_dir_all(&label_dir).map_err(|e| Error::io(&label_dir, e))?;
    let clip_dir = dir.join("videos").join(name);
    let videos = if spec.clip_frames > 0 {
        &clip_dir
    } else {
        &dir.join("videos")
    };
    std::fs::create_dir_all(videos).map_err(|e| Error::io(videos, e))?;
    let steps = (labeled as u64 * FRAME_STRIDE).max(spec.clip_frames as u64);
    let mut out = Vec::with_capacity(labeled);
    for t in 0..steps {
        if t > 0 {
            walker.step();
        }
        let is_label = t % FRAME_STRIDE == 0 && t / FRAME_STRIDE < labeled as u64;
        let in_clip = t < spec.clip_frames as u64;
        if !is_label && !in_clip {
            continue;
        }
        let body = Body::from_pose(&walker.pose());
        let png = encode_png(&scene.render(&body))?;
        let file = format!("img{t:08}.png");
        if is_label {
            write_atomic(&label_dir.join(&file), &png)?;
            let (keypoints, missing) = label(&scene, &body, defs, &mut skip);
            out.push(FrameTruth {
                image: format!("labeled-data/{name}/{file}"),
                video: name.to_string(),
                frame_index: t,
                keypoints,
                missing,
            });
        }
        if in_clip {
            write_atomic(&clip_dir.join(&file), &png)?;
        }
    }
    Ok(out)
}

/// The exact keypoints of one frame and which of them are missing (and why).
pub(crate) fn label(
    scene: &Scene,
    body: &Body,
    defs: &[KeypointDef],
    skip: &mut Rng,
) -> (Vec<[f64; 2]>, Vec<Option<Missing>>) {
    let (w, h) = (scene.width as f64, scene.height as f64);
    let mut kps = Vec::with_capacity(defs.len());
    let mut missing = Vec::with_capacity(defs.len());
    for d in defs {
        let p = body.keypoint(d.anchor);
        let p = [round2(p[0]), round2(p[1])];
        // One draw per cell whatever the outcome, so the stream stays aligned.
        let skipped = skip.chance(SKIP_PROB);
        let m = if !(0.0..=w - 1.0).contains(&p[0]) || !(0.0..=h - 1.0).contains(&p[1]) {
            Some(Missing::OutOfFrame)
        } else if scene.occluded(p) {
            Some(Missing::Occluded)
        } else if skipped {
            Some(Missing::Unlabeled)
        } else {
            None
        };
        kps.push(p);
        missing.push(m);
    }
    (kps, missing)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// PNG bytes of a canvas (RGB, 8 bit).
pub fn encode_png(c: &Canvas) -> Result<Vec<u8>> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            &c.to_rgb8(),
            c.width,
            c.height,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| Error::usage(format!("PNG encoding failed: {e}")))?;
    Ok(out)
}

/// CollectedData.csv through the CSV writer: coords x, y; empty cells where missing.
pub fn write_labels(truth: &GroundTruth, path: &Path) -> Result<()> {
    let k = truth.keypoint_names.len();
    let mut values = Vec::with_capacity(truth.frames.len() * k * 2);
    for f in &truth.frames {
        for i in 0..k {
            let xy = f.label(i).unwrap_or([f64::NAN; 2]);
            values.extend(xy);
        }
    }
    let table = PoseTable::new(
        SCORER,
        truth.keypoint_names.clone(),
        vec!["x".into(), "y".into()],
        truth.frames.iter().map(|f| f.image.clone()).collect(),
        values,
        None,
    )
    .map_err(|e| Error::invalid(path, e.to_string()))?;
    table.write(path)
}

#[derive(serde::Serialize)]
struct ProjectYaml<'a> {
    view_names: Vec<String>,
    keypoint_names: &'a [String],
    schema_version: u32,
}

fn yaml<T: serde::Serialize>(path: &Path, v: &T) -> Result<String> {
    serde_norway::to_string(v).map_err(|e| Error::invalid(path, format!("YAML: {e}")))
}

fn write_project_yaml(truth: &GroundTruth, dir: &Path) -> Result<()> {
    let path = dir.join("project.yaml");
    let text = yaml(
        &path,
        &ProjectYaml {
            view_names: Vec::new(),
            keypoint_names: &truth.keypoint_names,
            schema_version: 1,
        },
    )?;
    write_atomic(&path, text.as_bytes())
}

/// A colour-blind-safe palette (Okabe-Ito, then Paul Tol's muted), cycled.
const PALETTE: [&str; 16] = [
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#AA4499",
];
const HOTKEYS: &str = "1234567890qwertyuiopasdfghjklzxcvbnm";

/// Label Studio's labeling config and project metadata (with a fake api_key, never shown).
fn write_label_studio(truth: &GroundTruth, dir: &Path) -> Result<()> {
    use quick_xml::escape::escape;
    let mut xml = String::from(
        "<View>\n  <Header value=\"Click each keypoint on the animal; skip keypoints you cannot see.\"/>\n  <KeyPointLabels name=\"kp-1\" toName=\"img-1\" strokeWidth=\"3\">\n",
    );
    for (i, n) in truth.keypoint_names.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let hotkey = HOTKEYS
            .chars()
            .nth(i)
            .map(|c| format!(" hotkey=\"{c}\""))
            .unwrap_or_default();
        xml.push_str(&format!(
            "    <Label value=\"{}\" background=\"{colour}\"{hotkey} maxUsages=\"1\"/>\n",
            escape(n.as_str())
        ));
    }
    xml.push_str("  </KeyPointLabels>\n  <Image name=\"img-1\" value=\"$img\" zoom=\"true\" zoomControl=\"true\"/>\n</View>\n");
    write_atomic(&dir.join("label_studio_config.xml"), xml.as_bytes())?;

    #[derive(serde::Serialize)]
    struct Meta {
        project_name: String,
        id: u32,
        created_at: String,
        api_key: String,
        n_labeled_tasks: usize,
        n_total_tasks: usize,
    }
    let n = truth.frames.len();
    let mut r = Rng::stream(truth.spec.seed, "api_key", 0);
    let key: String = (0..5)
        .map(|_| format!("{:08x}", r.next_u64() as u32))
        .collect();
    let path = dir.join("label_studio_metadata.yaml");
    let text = yaml(
        &path,
        &Meta {
            project_name: "demo".into(),
            id: 1,
            created_at: "2026-01-01 00:00:00.000000".into(),
            api_key: format!("FAKE-demo-{key}"),
            n_labeled_tasks: n,
            n_total_tasks: n + n.div_ceil(10),
        },
    )?;
    write_atomic(&path, text.as_bytes())
}

/// The model config: the template with this project's paths and keypoints.
fn write_model_config(truth: &GroundTruth, dir: &Path) -> Result<()> {
    use serde_norway::Value;
    let path = dir.join(CONFIG_NAME);
    let tpl = Path::new("demo/config.yaml");
    let mut cfg: Value = serde_norway::from_str(CONFIG_TEMPLATE)
        .map_err(|e| Error::invalid(tpl, format!("YAML: {e}")))?;
    let abs = std::path::absolute(dir).map_err(|e| Error::io(dir, e))?;
    let data_dir = abs.to_string_lossy().into_owned();
    let video_dir = abs.join("videos").to_string_lossy().into_owned();
    let set =
        |cfg: &mut Value, section: &str, key: &str, v: Value| set_key(cfg, tpl, section, key, v);
    set(&mut cfg, "data", "data_dir", Value::from(data_dir))?;
    set(
        &mut cfg,
        "data",
        "video_dir",
        Value::from(video_dir.clone()),
    )?;
    set(
        &mut cfg,
        "data",
        "num_keypoints",
        Value::from(truth.keypoint_names.len() as u64),
    )?;
    set(
        &mut cfg,
        "data",
        "keypoint_names",
        Value::Sequence(
            truth
                .keypoint_names
                .iter()
                .map(|n| Value::from(n.as_str()))
                .collect(),
        ),
    )?;
    set(
        &mut cfg,
        "eval",
        "test_videos_directory",
        Value::from(video_dir),
    )?;
    let text = format!(
        "# Generated by `posedeck demo` from demo/config.yaml.\n{}",
        yaml(&path, &cfg)?
    );
    write_atomic(&path, text.as_bytes())
}

/// The anchor of each keypoint name (for tests that look at the body).
pub fn anchors(truth: &GroundTruth) -> Vec<Anchor> {
    catalogue(truth.keypoint_names.len())
        .into_iter()
        .map(|d| d.anchor)
        .collect()
}

/// Sets `section.key` in a config made from the template `tpl` (named in the error when the
/// section is missing).
pub(crate) fn set_key(
    cfg: &mut serde_norway::Value,
    tpl: &Path,
    section: &str,
    key: &str,
    v: serde_norway::Value,
) -> Result<()> {
    use serde_norway::Value;
    let m = cfg
        .get_mut(section)
        .and_then(Value::as_mapping_mut)
        .ok_or_else(|| Error::invalid(tpl, format!("no `{section}` section")))?;
    m.insert(Value::from(key), v);
    Ok(())
}
