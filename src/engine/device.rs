//! Choosing where to train: `auto` takes a real GPU adapter through wgpu (software adapters
//! such as llvmpipe, lavapipe or SwiftShader are rejected: they are far slower than flex),
//! else the flex CPU backend; `gpu` insists on a real adapter; `cpu` is flex. The choice and
//! its reason are reported to the user.

use crate::{Error, Result};
use burn::backend::wgpu::wgpu;
use burn::tensor::{Device, DeviceKind};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// `--device auto|gpu|gpu:N|cpu` (`gpu:N`: the N-th real GPU adapter, counted from 0 in the
/// order wgpu lists them; the job scheduler pins each worker to its slot's GPU this way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(try_from = "String", into = "String")]
pub enum DeviceRequest {
    #[default]
    Auto,
    Gpu,
    GpuAt(usize),
    Cpu,
}

impl std::str::FromStr for DeviceRequest {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "auto" => Ok(DeviceRequest::Auto),
            "gpu" => Ok(DeviceRequest::Gpu),
            "cpu" => Ok(DeviceRequest::Cpu),
            _ => match s.strip_prefix("gpu:").map(str::parse::<usize>) {
                Some(Ok(i)) => Ok(DeviceRequest::GpuAt(i)),
                _ => Err(format!("{s}: expected auto, gpu, gpu:N or cpu")),
            },
        }
    }
}

impl std::fmt::Display for DeviceRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceRequest::Auto => f.write_str("auto"),
            DeviceRequest::Gpu => f.write_str("gpu"),
            DeviceRequest::GpuAt(i) => write!(f, "gpu:{i}"),
            DeviceRequest::Cpu => f.write_str("cpu"),
        }
    }
}

impl TryFrom<String> for DeviceRequest {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        s.parse()
    }
}

impl From<DeviceRequest> for String {
    fn from(d: DeviceRequest) -> String {
        d.to_string()
    }
}

/// One wgpu adapter as the probe saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterSeen {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub software: bool,
}

/// The chosen device, its backend name and why.
#[derive(Debug, Clone)]
pub struct DeviceChoice {
    pub device: Device,
    /// `flex` or `wgpu`.
    pub backend: &'static str,
    /// e.g. "wgpu: NVIDIA H100 (Vulkan)" or "flex (CPU)".
    pub name: String,
    pub reason: String,
}

impl DeviceChoice {
    pub fn describe(&self) -> String {
        format!("{} — {}", self.name, self.reason)
    }
}

struct ThreadWaker(std::thread::Thread);
impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match f.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park_timeout(std::time::Duration::from_millis(10)),
        }
    }
}

const SOFTWARE: [&str; 5] = [
    "llvmpipe",
    "lavapipe",
    "swiftshader",
    "softpipe",
    "basic render",
];

/// Lists the adapters wgpu can open on this machine (Vulkan, Metal, DX12).
pub fn probe_adapters() -> Vec<AdapterSeen> {
    let result = std::panic::catch_unwind(|| {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::PRIMARY,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY))
            .iter()
            .map(|a| {
                let info = a.get_info();
                let lname = info.name.to_lowercase();
                let software = info.device_type == wgpu::DeviceType::Cpu
                    || SOFTWARE.iter().any(|s| lname.contains(s));
                AdapterSeen {
                    name: info.name.clone(),
                    backend: format!("{:?}", info.backend),
                    device_type: format!("{:?}", info.device_type),
                    software,
                }
            })
            .collect::<Vec<_>>()
    });
    result.unwrap_or_default()
}

fn flex(reason: String) -> DeviceChoice {
    DeviceChoice {
        device: Device::flex(),
        backend: "flex",
        name: "flex (CPU)".into(),
        reason,
    }
}

/// Picks the device for `req`.
pub fn choose(req: DeviceRequest) -> Result<DeviceChoice> {
    if req == DeviceRequest::Cpu {
        return Ok(flex("--device cpu".into()));
    }
    let seen = probe_adapters();
    let reals: Vec<&AdapterSeen> = seen.iter().filter(|a| !a.software).collect();
    let at = match req {
        DeviceRequest::GpuAt(i) => i,
        _ => 0,
    };
    if let DeviceRequest::GpuAt(i) = req
        && i >= reals.len()
    {
        return Err(Error::usage(format!(
            "--device gpu:{i}: this machine has {} real GPU adapter(s) (gpu:0 ..)",
            reals.len()
        )));
    }
    match (req, reals.get(at)) {
        (_, Some(a)) => {
            // burn counts devices per type: the index among the adapters of this one's type.
            let nth = reals[..at]
                .iter()
                .filter(|b| b.device_type == a.device_type)
                .count();
            let kind = match a.device_type.as_str() {
                "DiscreteGpu" => DeviceKind::DiscreteGpu(nth),
                "IntegratedGpu" => DeviceKind::IntegratedGpu(nth),
                "VirtualGpu" => DeviceKind::VirtualGpu(nth),
                _ => DeviceKind::DefaultDevice,
            };
            Ok(DeviceChoice {
                device: Device::wgpu(kind),
                backend: "wgpu",
                name: format!("wgpu: {} ({})", a.name, a.backend),
                reason: match req {
                    DeviceRequest::GpuAt(i) => format!("--device gpu:{i} (a job slot's GPU)"),
                    _ => format!("a {} GPU adapter was found", a.device_type),
                },
            })
        }
        (DeviceRequest::Gpu | DeviceRequest::GpuAt(_), None) => Err(Error::usage(format!(
            "--device gpu: no GPU adapter found{}",
            if seen.is_empty() {
                String::from(" (wgpu saw no adapter)")
            } else {
                format!(
                    " (wgpu saw only software adapters: {})",
                    seen.iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ))),
        (_, None) => Ok(flex(if seen.is_empty() {
            "no GPU adapter found".into()
        } else {
            format!(
                "only software GPU adapters found ({}), slower than flex",
                seen.iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })),
    }
}
