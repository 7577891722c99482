//! The ResNet backbones as torchvision defines them (resnet18, resnet34, resnet50), without
//! the average pool and the classifier, as Lightning Pose uses them. Parameter names follow
//! torchvision (`conv1`, `bn1`, `layer1.0.conv1`, `layer1.0.downsample.{conv,bn}`) so a
//! torchvision checkpoint loads by name.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// The ResNet depths posedeck builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    Resnet18,
    Resnet34,
    Resnet50,
}

impl Arch {
    /// Blocks per stage.
    pub fn layers(self) -> [usize; 4] {
        match self {
            Arch::Resnet18 => [2, 2, 2, 2],
            Arch::Resnet34 | Arch::Resnet50 => [3, 4, 6, 3],
        }
    }
    pub fn bottleneck(self) -> bool {
        matches!(self, Arch::Resnet50)
    }
    /// Channels of the last feature map (the head's input).
    pub fn out_channels(self) -> usize {
        if self.bottleneck() { 2048 } else { 512 }
    }
    pub fn name(self) -> &'static str {
        match self {
            Arch::Resnet18 => "resnet18",
            Arch::Resnet34 => "resnet34",
            Arch::Resnet50 => "resnet50",
        }
    }
}

fn conv(cin: usize, cout: usize, k: usize, stride: usize, device: &Device) -> Conv2d {
    let p = k / 2;
    Conv2dConfig::new([cin, cout], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .with_bias(false)
        // torchvision: kaiming_normal_(mode="fan_out", nonlinearity="relu")
        .with_initializer(Initializer::KaimingNormal {
            gain: std::f64::consts::SQRT_2,
            fan_out_only: true,
        })
        .init(device)
}

fn bn(c: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(c).init(device)
}

/// `downsample` of torchvision: a 1x1 strided convolution and a batch norm (`downsample.0`,
/// `downsample.1` in torchvision's names; remapped on import).
#[derive(Module, Debug)]
pub struct Downsample {
    pub conv: Conv2d,
    pub bn: BatchNorm,
}

/// One residual block: BasicBlock (two 3x3 convolutions) or Bottleneck (1x1, 3x3, 1x1; the
/// stride on the 3x3 as torchvision v1.5 does) when `conv3` is present.
#[derive(Module, Debug)]
pub struct Block {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    pub conv3: Option<Conv2d>,
    pub bn3: Option<BatchNorm>,
    pub downsample: Option<Downsample>,
}

impl Block {
    fn basic(cin: usize, cout: usize, stride: usize, device: &Device) -> Block {
        let downsample = (stride != 1 || cin != cout).then(|| Downsample {
            conv: conv(cin, cout, 1, stride, device),
            bn: bn(cout, device),
        });
        Block {
            conv1: conv(cin, cout, 3, stride, device),
            bn1: bn(cout, device),
            conv2: conv(cout, cout, 3, 1, device),
            bn2: bn(cout, device),
            conv3: None,
            bn3: None,
            downsample,
        }
    }

    fn bottleneck(cin: usize, width: usize, stride: usize, device: &Device) -> Block {
        let cout = width * 4;
        let downsample = (stride != 1 || cin != cout).then(|| Downsample {
            conv: conv(cin, cout, 1, stride, device),
            bn: bn(cout, device),
        });
        Block {
            conv1: conv(cin, width, 1, 1, device),
            bn1: bn(width, device),
            conv2: conv(width, width, 3, stride, device),
            bn2: bn(width, device),
            conv3: Some(conv(width, cout, 1, 1, device)),
            bn3: Some(bn(cout, device)),
            downsample,
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let identity = match &self.downsample {
            Some(d) => d.bn.forward(d.conv.forward(x.clone())),
            None => x.clone(),
        };
        let mut out = relu(self.bn1.forward(self.conv1.forward(x)));
        out = self.bn2.forward(self.conv2.forward(out));
        if let (Some(c3), Some(b3)) = (&self.conv3, &self.bn3) {
            out = b3.forward(c3.forward(relu(out)));
        }
        relu(out + identity)
    }
}

/// The backbone: stem, four stages; output stride 32.
#[derive(Module, Debug)]
pub struct ResNet {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub maxpool: MaxPool2d,
    pub layer1: Vec<Block>,
    pub layer2: Vec<Block>,
    pub layer3: Vec<Block>,
    pub layer4: Vec<Block>,
}

impl ResNet {
    pub fn new(arch: Arch, device: &Device) -> ResNet {
        let conv1 = Conv2dConfig::new([3, 64], [7, 7])
            .with_stride([2, 2])
            .with_padding(PaddingConfig2d::Explicit(3, 3, 3, 3))
            .with_bias(false)
            .with_initializer(Initializer::KaimingNormal {
                gain: std::f64::consts::SQRT_2,
                fan_out_only: true,
            })
            .init(device);
        let maxpool = MaxPool2dConfig::new([3, 3])
            .with_strides([2, 2])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init();
        let counts = arch.layers();
        let widths = [64, 128, 256, 512];
        let mut cin = 64;
        let mut stages: Vec<Vec<Block>> = Vec::with_capacity(4);
        for (stage, (&n, &w)) in counts.iter().zip(widths.iter()).enumerate() {
            let mut blocks = Vec::with_capacity(n);
            for i in 0..n {
                let stride = if i == 0 && stage > 0 { 2 } else { 1 };
                if arch.bottleneck() {
                    blocks.push(Block::bottleneck(cin, w, stride, device));
                    cin = w * 4;
                } else {
                    blocks.push(Block::basic(cin, w, stride, device));
                    cin = w;
                }
            }
            stages.push(blocks);
        }
        let layer4 = stages.pop().unwrap_or_default();
        let layer3 = stages.pop().unwrap_or_default();
        let layer2 = stages.pop().unwrap_or_default();
        let layer1 = stages.pop().unwrap_or_default();
        ResNet {
            conv1,
            bn1: bn(64, device),
            maxpool,
            layer1,
            layer2,
            layer3,
            layer4,
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mut x = relu(self.bn1.forward(self.conv1.forward(x)));
        x = self.maxpool.forward(x);
        for layer in [&self.layer1, &self.layer2, &self.layer3, &self.layer4] {
            for block in layer {
                x = block.forward(x);
            }
        }
        x
    }
}
