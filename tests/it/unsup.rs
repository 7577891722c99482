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
