//! `posedeck bench train` / `bench predict`: the network's training throughput (images/s:
//! forward, loss, backward, Adam step) and inference throughput (frames/s: forward + decode)
//! on random inputs, for a backbone, image size and batch, on the chosen device.

use crate::engine::device::{DeviceRequest, choose};
use crate::engine::heatmap::decode_batch;
use crate::engine::model::{PoseNet, heatmap_mse};
use crate::engine::resnet::Arch;
use crate::engine::rng::Rng;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use clap::Args as ClapArgs;
use serde::Serialize;
use std::time::Instant;

#[derive(ClapArgs, Debug, Clone)]
pub struct Args {
    /// resnet18, resnet34 or resnet50.
    #[arg(long, default_value = "resnet18")]
    pub arch: String,
    /// Square input size.
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    #[arg(long, default_value_t = 17)]
    pub keypoints: usize,
    /// Timed iterations (after 2 warm-up iterations).
    #[arg(long, default_value_t = 5)]
    pub iters: usize,
    #[arg(long, default_value = "cpu")]
    pub device: DeviceRequest,
}

#[derive(Debug, Serialize)]
struct Figure {
    what: &'static str,
    device: String,
    arch: String,
    size: usize,
    batch: usize,
    iters: usize,
    seconds_per_batch: f64,
    per_second: f64,
    /// CPU time (user + system, all threads) per batch: less sensitive to other load.
    cpu_seconds_per_batch: f64,
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct we own.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return f64::NAN;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn arch_of(s: &str) -> anyhow::Result<Arch> {
    Ok(match s {
        "resnet18" => Arch::Resnet18,
        "resnet34" => Arch::Resnet34,
        "resnet50" => Arch::Resnet50,
        _ => anyhow::bail!("--arch {s}: expected resnet18, resnet34 or resnet50"),
    })
}

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.range(-2.0, 2.0) as f32).collect()
}

fn images(a: &Args, device: &Device) -> Tensor<4> {
    Tensor::from_data(
        TensorData::new(
            random(a.batch * 3 * a.size * a.size, 1),
            [a.batch, 3, a.size, a.size],
        ),
        device,
    )
}

fn report(f: &Figure, json: bool) {
    if json {
        println!("{}", serde_json::to_string(f).unwrap_or_default());
    } else {
        println!(
            "{} {} {}x{} batch {} on {}: {:.1} {}/s ({:.3} s per batch, {:.3} CPU s per batch, {} batches)",
            f.what,
            f.arch,
            f.size,
            f.size,
            f.batch,
            f.device,
            f.per_second,
            if f.what == "train" {
                "images"
            } else {
                "frames"
            },
            f.seconds_per_batch,
            f.cpu_seconds_per_batch,
            f.iters
        );
    }
}

/// Runs `step` for 2 warm-up and `a.iters` timed iterations, then reports the mean wall and
/// CPU time per batch.
fn measure(
    what: &'static str,
    device: String,
    a: &Args,
    common: &super::Common,
    mut step: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut wall = 0.0;
    let mut cpu = 0.0;
    for i in 0..a.iters + 2 {
        let t0 = Instant::now();
        let c0 = cpu_seconds();
        step()?;
        if i >= 2 {
            wall += t0.elapsed().as_secs_f64();
            cpu += cpu_seconds() - c0;
        }
    }
    let n = a.iters.max(1) as f64;
    let per = wall / n;
    report(
        &Figure {
            what,
            device,
            arch: a.arch.clone(),
            size: a.size,
            batch: a.batch,
            iters: a.iters,
            seconds_per_batch: per,
            per_second: a.batch as f64 / per,
            cpu_seconds_per_batch: cpu / n,
        },
        common.json,
    );
    Ok(())
}

pub fn run_train(a: &Args, common: &super::Common) -> anyhow::Result<()> {
    let arch = arch_of(&a.arch)?;
    let choice = choose(a.device)?;
    let ad = choice.device.clone().autodiff();
    let mut model = Some(PoseNet::new(arch, a.keypoints, 2, &ad));
    let mut opt = AdamConfig::new().init();
    let hm = a.size / 4;
    let target = random(a.batch * a.keypoints * hm * hm, 2)
        .into_iter()
        .map(|v| v.abs() / (hm * hm) as f32)
        .collect::<Vec<_>>();
    measure("train", choice.name, a, common, || {
        let m0 = model.take().ok_or_else(|| anyhow::anyhow!("model lost"))?;
        let x = images(a, &ad);
        let t = Tensor::<4>::from_data(
            TensorData::new(target.clone(), [a.batch, a.keypoints, hm, hm]),
            &ad,
        );
        let m = Tensor::<2>::ones([a.batch, a.keypoints], &ad);
        let loss = heatmap_mse(m0.forward(x, false), t, m);
        let grads = GradientsParams::from_grads(loss.backward(), &m0);
        model = Some(opt.step(1e-3, m0, grads));
        let _ = loss.into_scalar::<f32>();
        Ok(())
    })
}

pub fn run_predict(a: &Args, common: &super::Common) -> anyhow::Result<()> {
    let arch = arch_of(&a.arch)?;
    let choice = choose(a.device)?;
    let device = choice.device.clone();
    let model = PoseNet::new(arch, a.keypoints, 2, &device);
    measure("predict", choice.name, a, common, || {
        let hmaps = model.forward(images(a, &device), false);
        let [b, k, h, w] = hmaps.dims();
        let v = hmaps
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        std::hint::black_box(decode_batch(&v, b, k, h, w, 4.0));
        Ok(())
    })
}
