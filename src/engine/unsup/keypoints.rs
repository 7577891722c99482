//! Differentiable keypoints from heatmaps, as Lightning Pose's `run_subpixelmaxima` makes
//! them for its unsupervised losses: a spatial softmax at a high temperature, then the
//! expected position (soft argmax). Lightning Pose first upsamples the heatmaps to the input
//! size (2^downsample_factor per side) and uses temperature 1000 there; posedeck keeps the
//! heatmap resolution and divides the temperature by the pixels each heatmap pixel stands
//! for (stride²), which weighs the same mass the same way without the upsampling's cost.

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

/// Lightning Pose's soft-argmax temperature (on heatmaps at the input resolution).
pub const TEMPERATURE: f64 = 1000.0;

/// Heatmaps [B, K, h, w] (each summing to 1) -> keypoints [B, 2K] as (x, y) per keypoint
/// in the frame's original pixels: heatmap pixel (i, j) is at (i * stride, j * stride) in the
/// network's input (as posedeck's decoder places it), mapped by `to_original` (the affine
/// map from input pixels back to the frame's, [`crate::engine::augment::to_original`]).
pub fn soft_argmax(
    heatmaps: Tensor<4>,
    stride: usize,
    to_original: [f64; 6],
    device: &Device,
) -> Tensor<2> {
    let [b, k, h, w] = heatmaps.dims();
    let t = TEMPERATURE / (stride * stride) as f64;
    let p = softmax(heatmaps.reshape([b * k, h * w]).mul_scalar(t), 1);
    let mut grid = Vec::with_capacity(h * w * 2);
    for j in 0..h {
        for i in 0..w {
            let [a, b, c, d, e, f] = to_original;
            let (x, y) = ((i * stride) as f64, (j * stride) as f64);
            grid.push((a * x + b * y + c) as f32);
            grid.push((d * x + e * y + f) as f32);
        }
    }
    let grid = Tensor::<2>::from_data(TensorData::new(grid, [h * w, 2]), device);
    p.matmul(grid).reshape([b, 2 * k])
}
