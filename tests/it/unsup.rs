//! The engine's unsupervised losses against Lightning Pose 2.4.3's own values on fixed inputs
//! (../shared/data/lp-losses/losses.json): the PCA is fit on every row of
//! lp-mirror-mouse/CollectedData.csv, as there.

use burn::tensor::{Device, Tensor, TensorData};
use posedeck::engine::unsup::nanpca::Keep;
use posedeck::engine::unsup::{Epsilon, Kind, LossSettings, Ready};
use serde_json::Value;
use std::path::Path;

fn labels(data: &Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(data.join("lp-mirror-mouse/CollectedData.csv")).unwrap();
    text.lines()
        .skip(3)
        .map(|l| {
            l.split(',')
                .skip(1)
                .map(|v| v.parse::<f64>().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

fn matrix(v: &Value) -> (Vec<f32>, [usize; 2]) {
    let rows = v.as_array().unwrap();
    let cols = rows[0].as_array().unwrap().len();
    let flat: Vec<f32> = rows
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
        })
        .collect();
    (flat, [rows.len(), cols])
}

fn indices(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

fn settings(kind: Kind, e: &Value) -> LossSettings {
    let epsilon = match &e["epsilon"] {
        Value::Array(a) => Epsilon::PerKeypoint(a.iter().map(|x| x.as_f64().unwrap()).collect()),
        x if kind == Kind::Temporal => Epsilon::Scalar(x.as_f64().unwrap()),
        _ => Epsilon::Empirical,
    };
    let keep = match &e["components_to_keep"] {
        Value::Number(n) if n.is_u64() => Keep::Count(n.as_u64().unwrap() as usize),
        Value::Number(n) => Keep::Fraction(n.as_f64().unwrap()),
        _ => Keep::Count(3),
    };
    LossSettings {
        kind,
        log_weight: e["log_weight"].as_f64().unwrap(),
        epsilon,
        prob_threshold: e["prob_threshold"].as_f64().unwrap_or(0.0),
        components_to_keep: keep,
        empirical_epsilon_percentile: e["empirical_epsilon_percentile"].as_f64().unwrap_or(99.0),
        empirical_epsilon_multiplier: 1.0,
    }
}

#[test]
fn losses_equal_lightning_poses_values() {
    let data = crate::shared_or_skip!();
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("lp-losses/losses.json")).unwrap())
            .unwrap();
    let lab = labels(&data);
    let k = lab[0].len() / 2;
    let pose = |r: usize, c: usize| [lab[r][2 * c], lab[r][2 * c + 1]];
    let cols = indices(&j["columns_for_singleview_pca"]);
    let views: Vec<Vec<usize>> = j["mirrored_column_matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(indices)
        .collect();
    let device = Device::flex();
    let mut worst = 0f64;
    let cases: Vec<(Kind, &Value)> = j["pca"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (Kind::parse(e["loss_name"].as_str().unwrap()).unwrap(), e))
        .chain(
            j["temporal"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (Kind::Temporal, e)),
        )
        .collect();
    assert_eq!(cases.len(), 6);
    for (kind, e) in cases {
        let s = settings(kind, e);
        let ready = Ready::new(&s, k, lab.len(), &pose, Some(&cols), Some(&views)).unwrap();
        if let Some(kept) = e["n_components_kept"].as_u64() {
            assert_eq!(ready.kept, Some(kept as usize), "{}", kind.name());
            let eps = e["epsilon"].as_f64().unwrap();
            let got = ready.epsilon_used.unwrap();
            assert!(
                rel(got, eps) < 1e-5,
                "{}: epsilon {got} vs {eps}",
                kind.name()
            );
        }
        let (p, dims) = matrix(&e["predictions"]);
        let kp = Tensor::<2>::from_data(TensorData::new(p, dims), &device);
        let conf = match e.get("confidences") {
            Some(c) => matrix(c).0,
            None => Vec::new(),
        };
        let out = ready.eval(kp, &conf, &device);
        let loss = out.loss.into_scalar::<f32>() as f64;
        let want = e["loss"].as_f64().unwrap();
        let r = rel(loss, want);
        worst = worst.max(r);
        assert!(
            r < 1e-5,
            "{}: loss {loss} vs Lightning Pose {want} (rel {r:.2e})",
            kind.name()
        );
        let weighted = s.weight() * loss;
        assert!(rel(weighted, e["weighted"].as_f64().unwrap()) < 1e-5);
        assert!(rel(s.weight(), e["weight"].as_f64().unwrap()) < 1e-7);
        let (want_el, el_dims) = matrix(&e["elementwise"]);
        assert_eq!(out.elementwise.dims(), el_dims, "{}", kind.name());
        let got_el: Vec<f32> = out.elementwise.into_data().try_to_vec::<f32>().unwrap();
        let max_el = got_el
            .iter()
            .zip(&want_el)
            .map(|(a, b)| ((a - b).abs() / b.abs().max(1.0)) as f64)
            .fold(0.0, f64::max);
        assert!(
            max_el < 1e-4,
            "{}: elementwise differ by {max_el:.2e}",
            kind.name()
        );
    }
    eprintln!("largest relative difference of a loss from Lightning Pose's: {worst:.2e}");
}

/// One Adam step on the temporal loss alone (tiny resnet18 on a fixed 4-frame, 64x64
/// sequence) lowers that loss: the gradient flows from the loss through the soft-argmax into
/// the head and the backbone.
#[test]
fn one_step_of_the_temporal_loss_reduces_it() {
    use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
    use posedeck::engine::model::PoseNet;
    use posedeck::engine::resnet::Arch;
    use posedeck::engine::unsup::keypoints::soft_argmax;

    let (t, k, side) = (4usize, 3usize, 64usize);
    let base = Device::flex();
    base.seed(7);
    let device = base.autodiff();
    let mut model = PoseNet::new(Arch::Resnet18, k, 2, &device);
    // A fixed sequence: a bright square that moves, on a noisy background.
    let mut state = 12345u64;
    let mut images = vec![0f32; t * 3 * side * side];
    for f in 0..t {
        for c in 0..3 {
            for y in 0..side {
                for x in 0..side {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    let noise = ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5;
                    let inside =
                        (x as isize - (16 + 8 * f) as isize).abs() < 6 && y.abs_diff(30) < 6;
                    images[((f * 3 + c) * side + y) * side + x] =
                        if inside { 2.0 } else { 0.0 } + noise;
                }
            }
        }
    }
    let s = LossSettings {
        kind: Kind::Temporal,
        log_weight: 0.0,
        epsilon: Epsilon::Scalar(0.0),
        prob_threshold: 0.0,
        components_to_keep: Keep::Fraction(0.95),
        empirical_epsilon_percentile: 99.0,
        empirical_epsilon_multiplier: 1.0,
    };
    let ready = Ready::new(&s, k, 0, &|_, _| [0.0, 0.0], None, None).unwrap();
    let conf = vec![1f32; t * k];
    let loss_of = |model: &PoseNet| {
        let x =
            Tensor::<4>::from_data(TensorData::new(images.clone(), [t, 3, side, side]), &device);
        let kp = soft_argmax(
            model.forward(x, false),
            4,
            [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            &device,
        );
        ready.eval(kp, &conf, &device).loss
    };
    // A fresh head predicts nearly the same point in every frame (loss ~0): first push the
    // predictions apart (a few steps up the loss), then check one step down.
    let mut up_head: ModuleOptimizer = AdamConfig::new().init();
    let mut up_bb: ModuleOptimizer = AdamConfig::new().init();
    for _ in 0..4 {
        let mut grads = loss_of(&model).neg().backward();
        let g_head = GradientsParams::from_module(&mut grads, &model.head);
        let g_bb = GradientsParams::from_module(&mut grads, &model.backbone);
        let PoseNet { backbone, head } = model;
        model = PoseNet {
            head: up_head.step(1e-2, head, g_head),
            backbone: up_bb.step(1e-2, backbone, g_bb),
        };
    }
    let before = loss_of(&model);
    let before_v = before.clone().into_scalar::<f32>() as f64;
    let mut grads = before.backward();
    let g_head = GradientsParams::from_module(&mut grads, &model.head);
    let g_bb = GradientsParams::from_module(&mut grads, &model.backbone);
    assert!(
        !g_head.is_empty() && !g_bb.is_empty(),
        "no gradient reached the model"
    );
    let mut opt_head: ModuleOptimizer = AdamConfig::new().init();
    let mut opt_bb: ModuleOptimizer = AdamConfig::new().init();
    let PoseNet { backbone, head } = model;
    let head = opt_head.step(1e-4, head, g_head);
    let backbone = opt_bb.step(1e-4, backbone, g_bb);
    model = PoseNet { backbone, head };
    let after_v = loss_of(&model).into_scalar::<f32>() as f64;
    eprintln!("temporal loss before {before_v:.4} px, after one step {after_v:.4} px");
    assert!(before_v.is_finite() && before_v > 0.1, "{before_v}");
    assert!(
        after_v < before_v,
        "one step did not reduce the loss: {before_v} -> {after_v}"
    );
}

/// An unlabeled frame's augmentation is undone on its predictions: a point moved by the warp
/// (as render moves labels) comes back to where it was in the frame's own pixels.
#[test]
fn augmented_predictions_map_back_to_the_frame() {
    use posedeck::engine::augment::{Aug, render, to_original};
    use posedeck::engine::rng::Rng;
    let img = image::RgbImage::from_pixel(396, 406, image::Rgb([90, 120, 150]));
    let mut rng = Rng::derive(5, 1, 2);
    let pts = [[40.5f32, 60.25], [200.0, 203.0], [350.0, 390.0]];
    let mut moved = 0;
    for _ in 0..20 {
        let aug = Aug::sample_unlabeled(&mut rng);
        assert!(aug.rotate.abs() <= 10f64.to_radians() && (0.8..=1.2).contains(&aug.scale));
        let out = render(&img, &pts, &aug, 128, 128, &[]);
        let m = to_original(&aug, 396, 406, 128, 128);
        for (p, q) in pts.iter().zip(&out.keypoints) {
            if !q[0].is_finite() {
                continue; // pushed out of the frame
            }
            let (qx, qy) = (q[0] as f64, q[1] as f64);
            let x = m[0] * qx + m[1] * qy + m[2];
            let y = m[3] * qx + m[4] * qy + m[5];
            assert!(
                (x - p[0] as f64).abs() < 1e-3 && (y - p[1] as f64).abs() < 1e-3,
                "{p:?} -> {q:?} -> ({x}, {y})"
            );
            moved += 1;
        }
    }
    assert!(moved > 30, "{moved}");
    // Resize only: the map is the plain scale.
    let m = to_original(&Aug::identity(), 396, 406, 128, 128);
    let want = [396.0 / 128.0, 0.0, 0.0, 0.0, 406.0 / 128.0, 0.0];
    assert!(
        m.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-9),
        "{m:?}"
    );
}
