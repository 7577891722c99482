//! The supervised heatmap network of Lightning Pose: a ResNet backbone and its heatmap head
//! (PixelShuffle(2), then 4 - downsample_factor stride-2 ConvTranspose2d layers, then a 2-D
//! spatial softmax), the MSE heatmap loss, and loading torchvision weights.

use crate::engine::resnet::{Arch, ResNet};
use crate::{Error, Result};
use burn::module::{Module, Param};
use burn::nn::conv::{ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Initializer, PixelShuffle, PixelShuffleConfig};
use burn::store::{ModuleSnapshot, PytorchStore};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};
use std::path::Path;

/// The heatmap head.
#[derive(Module, Debug)]
pub struct Head {
    pub shuffle: PixelShuffle,
    pub upsampling: Vec<ConvTranspose2d>,
}

impl Head {
    pub fn new(
        in_channels: usize,
        keypoints: usize,
        downsample_factor: usize,
        device: &Device,
    ) -> Head {
        let n_layers = 4usize.saturating_sub(downsample_factor).max(1);
        let mut upsampling = Vec::with_capacity(n_layers);
        for layer in 0..n_layers {
            let cin = if layer == 0 {
                in_channels / 4
            } else {
                keypoints
            };
            // torch.nn.init.xavier_uniform_(weight, gain=0.01) on a [cin, cout, 3, 3] weight:
            // fan_in = cout * 9, fan_out = cin * 9; the bias starts at zero.
            let bound = 0.01 * (6.0 / ((cin + keypoints) * 9) as f64).sqrt();
            let mut l = ConvTranspose2dConfig::new([cin, keypoints], [3, 3])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .with_padding_out([1, 1])
                .with_initializer(Initializer::Uniform {
                    min: -bound,
                    max: bound,
                })
                .init(device);
            l.bias = Some(Param::from_tensor(Tensor::zeros([keypoints], device)));
            upsampling.push(l);
        }
        Head {
            shuffle: PixelShuffleConfig::new(2).init(),
            upsampling,
        }
    }

    /// Features (B x C x H/32 x W/32) -> heatmaps (B x K x h x w), each summing to 1.
    pub fn forward(&self, features: Tensor<4>) -> Tensor<4> {
        let mut x = self.shuffle.forward(features);
        for l in &self.upsampling {
            x = l.forward(x);
        }
        let [b, k, h, w] = x.dims();
        softmax(x.reshape([b, k, h * w]), 2).reshape([b, k, h, w])
    }
}

/// Backbone + head.
#[derive(Module, Debug)]
pub struct PoseNet {
    pub backbone: ResNet,
    pub head: Head,
}

impl PoseNet {
    pub fn new(arch: Arch, keypoints: usize, downsample_factor: usize, device: &Device) -> PoseNet {
        PoseNet {
            backbone: ResNet::new(arch, device),
            head: Head::new(arch.out_channels(), keypoints, downsample_factor, device),
        }
    }

    /// Images (B x 3 x H x W, normalized) -> heatmaps. With `frozen_backbone` no gradient
    /// flows into the backbone (Lightning Pose's frozen epochs).
    pub fn forward(&self, images: Tensor<4>, frozen_backbone: bool) -> Tensor<4> {
        let f = self.backbone.forward(images);
        let f = if frozen_backbone { f.detach() } else { f };
        self.head.forward(f)
    }

    /// Loads torchvision ResNet weights (`resnet50-*.pth` etc.) into the backbone. Returns
    /// the number of tensors applied; errors when none of the backbone's tensors were found.
    pub fn load_torchvision(mut self, path: &Path) -> Result<(PoseNet, usize)> {
        let mut store = PytorchStore::from_file(path)
            .with_key_remapping(r"downsample\.0\.", "downsample.conv.")
            .with_key_remapping(r"downsample\.1\.", "downsample.bn.")
            .allow_partial(true);
        let res = self
            .backbone
            .load_from(&mut store)
            .map_err(|e| Error::invalid(path, format!("cannot load PyTorch weights: {e}")))?;
        if !res.errors.is_empty() {
            return Err(Error::invalid(
                path,
                format!("weights do not fit the backbone: {:?}", res.errors),
            ));
        }
        let missing: Vec<&String> = res
            .missing
            .iter()
            .map(|(p, _)| p)
            .filter(|p| !p.ends_with("training"))
            .collect();
        if res.applied.is_empty() || !missing.is_empty() {
            return Err(Error::invalid(
                path,
                format!(
                    "not a torchvision checkpoint of this backbone: {} tensors applied, missing {:?}",
                    res.applied.len(),
                    missing.iter().take(5).collect::<Vec<_>>()
                ),
            ));
        }
        Ok((self, res.applied.len()))
    }
}

/// Lightning Pose's heatmap MSE loss: per keypoint the sum of squared differences over the
/// heatmap, averaged over the keypoints the mask keeps (mask: B x K, 1 or 0).
pub fn heatmap_mse(pred: Tensor<4>, target: Tensor<4>, mask: Tensor<2>) -> Tensor<1> {
    let [b, k, h, w] = pred.dims();
    let d = (pred - target).reshape([b, k, h * w]);
    let per_kp: Tensor<2> = (d.clone() * d).sum_dim(2).reshape([b, k]);
    let kept = mask.clone().sum().clamp_min(1.0);
    (per_kp * mask).sum() / kept
}
