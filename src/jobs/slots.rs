//! The scheduler's device slots: one per real GPU adapter (software adapters such as llvmpipe
//! are not GPUs; `--gpus 0,2` narrows the set, counted as `--device gpu:N` counts them) and
//! `--cpu-slots N` CPU slots; and which slot a job may take from the device it asked for.

use serde::Serialize;

/// A GPU adapter as the device probe saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapter {
    pub name: String,
    pub software: bool,
}

/// One place a job can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    /// `gpu0`, `gpu2`, `cpu0`, ...
    pub name: String,
    /// The worker's `--device`: `gpu:N` or `cpu`.
    pub device: String,
    /// The GPU index (among the real adapters), or `None` for a CPU slot.
    pub gpu: Option<usize>,
    /// The adapter's name (GPU slots).
    pub adapter: Option<String>,
}

/// The slots over `adapters`, `gpus` narrowing the GPUs (indices among the real adapters) and
/// `cpu_slots` CPU slots. An index naming no real GPU is an error that says which there are.
pub fn slots(
    adapters: &[Adapter],
    gpus: Option<&[usize]>,
    cpu_slots: usize,
) -> Result<Vec<Slot>, String> {
    let real: Vec<&Adapter> = adapters.iter().filter(|a| !a.software).collect();
    let chosen: Vec<usize> = match gpus {
        None => (0..real.len()).collect(),
        Some(list) => {
            for &i in list {
                if i >= real.len() {
                    return Err(format!(
                        "--gpus {i}: this machine has {} real GPU(s){}",
                        real.len(),
                        if real.is_empty() {
                            String::new()
                        } else {
                            format!(" (0..{})", real.len() - 1)
                        }
                    ));
                }
            }
            let mut l = list.to_vec();
            l.sort_unstable();
            l.dedup();
            l
        }
    };
    let mut out: Vec<Slot> = chosen
        .into_iter()
        .map(|i| Slot {
            name: format!("gpu{i}"),
            device: format!("gpu:{i}"),
            gpu: Some(i),
            adapter: Some(real[i].name.clone()),
        })
        .collect();
    out.extend((0..cpu_slots).map(|i| Slot {
        name: format!("cpu{i}"),
        device: "cpu".into(),
        gpu: None,
        adapter: None,
    }));
    if out.is_empty() {
        return Err("no device slot: no GPU is used and --cpu-slots is 0".into());
    }
    Ok(out)
}

/// `--gpus 0,2`.
pub fn parse_gpus(s: &str) -> Result<Vec<usize>, String> {
    s.split(',')
        .map(|p| {
            p.trim()
                .parse::<usize>()
                .map_err(|_| format!("--gpus {s:?}: expected GPU indices such as 0,2"))
        })
        .collect()
}

/// May a job that asked for `device` (`auto`, `gpu`, `gpu:N`, `cpu`) run in `slot`, given
/// whether the scheduler has any GPU slot? `auto` takes a GPU when there is one.
pub fn fits(device: &str, slot: &Slot, have_gpu: bool) -> bool {
    match device {
        "cpu" => slot.gpu.is_none(),
        "gpu" => slot.gpu.is_some(),
        "auto" => slot.gpu.is_some() == have_gpu,
        d => match d.strip_prefix("gpu:").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => slot.gpu == Some(n),
            None => false,
        },
    }
}

/// Why no slot of `all` can ever run a job asking for `device` (`None`: one can).
pub fn never_fits(device: &str, all: &[Slot]) -> Option<String> {
    let have_gpu = all.iter().any(|s| s.gpu.is_some());
    if all.iter().any(|s| fits(device, s, have_gpu)) {
        return None;
    }
    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    Some(format!(
        "--device {device}: no slot of this scheduler can run it (slots: {})",
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake() -> Vec<Adapter> {
        vec![
            Adapter {
                name: "NVIDIA H100".into(),
                software: false,
            },
            Adapter {
                name: "llvmpipe".into(),
                software: true,
            },
            Adapter {
                name: "NVIDIA H100".into(),
                software: false,
            },
            Adapter {
                name: "NVIDIA A40".into(),
                software: false,
            },
        ]
    }

    #[test]
    fn one_slot_per_real_gpu_and_the_cpu_slots() {
        let s = slots(&fake(), None, 2).unwrap();
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["gpu0", "gpu1", "gpu2", "cpu0", "cpu1"]);
        assert_eq!(s[2].device, "gpu:2");
        assert_eq!(s[2].adapter.as_deref(), Some("NVIDIA A40"));
        assert_eq!(s[3].device, "cpu");
    }

    #[test]
    fn gpus_narrow_and_bad_indices_are_refused() {
        let s = slots(&fake(), Some(&[2, 0, 2]), 0).unwrap();
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["gpu0", "gpu2"]);
        let e = slots(&fake(), Some(&[3]), 1).unwrap_err();
        assert!(e.contains("3 real GPU(s) (0..2)"), "{e}");
        assert!(slots(&[], None, 0).is_err());
        assert_eq!(parse_gpus("0, 2").unwrap(), vec![0, 2]);
        assert!(parse_gpus("0,x").is_err());
    }

    #[test]
    fn jobs_fit_their_devices() {
        let all = slots(&fake(), Some(&[0, 1]), 1).unwrap();
        let (g0, g1, c0) = (&all[0], &all[1], &all[2]);
        assert!(fits("auto", g0, true) && !fits("auto", c0, true));
        assert!(fits("cpu", c0, true) && !fits("cpu", g1, true));
        assert!(fits("gpu", g1, true) && !fits("gpu", c0, true));
        assert!(fits("gpu:1", g1, true) && !fits("gpu:1", g0, true));
        let cpu_only = slots(&[], None, 1).unwrap();
        assert!(fits("auto", &cpu_only[0], false));
        assert!(
            never_fits("gpu", &cpu_only)
                .unwrap()
                .contains("slots: cpu0")
        );
        assert!(never_fits("gpu:2", &all).is_some());
        assert!(never_fits("auto", &cpu_only).is_none());
    }
}
