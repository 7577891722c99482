//! Running a trained network on prepared images: heatmaps on the device, decoding on the CPU.

use crate::engine::heatmap::{Peak, decode_batch};
use crate::engine::model::PoseNet;
use crate::{Error, Result};
use burn::tensor::{Device, Tensor, TensorData};

/// Heatmaps of a batch (B x 3 x H x W normalized pixels) as a flat B x K x h x w vector.
pub fn heatmaps(
    model: &PoseNet,
    device: &Device,
    images: Vec<f32>,
    b: usize,
    height: usize,
    width: usize,
) -> Result<(Vec<f32>, [usize; 4])> {
    let x = Tensor::<4>::from_data(TensorData::new(images, [b, 3, height, width]), device);
    let hm = model.forward(x, false);
    let dims = hm.dims();
    let data = hm
        .try_into_data()
        .map_err(|e| Error::usage(format!("device error while reading heatmaps: {e:?}")))?;
    let v = data
        .try_into_vec::<f32>()
        .map_err(|e| Error::usage(format!("unexpected heatmap data: {e:?}")))?;
    Ok((v, dims))
}

/// Keypoints of a batch in input pixels (B x K peaks).
pub fn predict(
    model: &PoseNet,
    device: &Device,
    images: Vec<f32>,
    b: usize,
    height: usize,
    width: usize,
    stride: usize,
) -> Result<Vec<Peak>> {
    let (v, [b, k, h, w]) = heatmaps(model, device, images, b, height, width)?;
    Ok(decode_batch(&v, b, k, h, w, stride as f32))
}
