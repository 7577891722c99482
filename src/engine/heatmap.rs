//! Heatmaps: Gaussian targets as Lightning Pose builds them (sigma 1.25 heatmap pixels,
//! normalized to sum 1; missing keypoints uniform or masked), and the sub-pixel soft-argmax
//! decoding of predicted heatmaps with a confidence (the heatmap mass around the peak).

/// Lightning Pose's target width in heatmap pixels.
pub const SIGMA: f32 = 1.25;

/// Fills `out` (K x h x w) with the targets for `keypoints` (heatmap input-image pixels) and
/// `mask` (K) with 1 where the keypoint counts in the loss. `stride` = 2^downsample_factor.
pub fn targets(
    keypoints: &[[f32; 2]],
    stride: f32,
    h: usize,
    w: usize,
    uniform_for_nan: bool,
    out: &mut [f32],
    mask: &mut [f32],
) {
    let plane = h * w;
    let inv = 1.0 / (2.0 * SIGMA * SIGMA);
    for (k, &[x, y]) in keypoints.iter().enumerate() {
        let Some(hm) = out.get_mut(k * plane..(k + 1) * plane) else {
            return;
        };
        let mut total = 0.0f32;
        if x.is_finite() && y.is_finite() {
            let (cx, cy) = (x / stride, y / stride);
            for j in 0..h {
                let dy = j as f32 - cy;
                for i in 0..w {
                    let dx = i as f32 - cx;
                    let v = (-(dx * dx + dy * dy) * inv).exp();
                    hm[j * w + i] = v;
                    total += v;
                }
            }
        }
        if total > 1e-6 {
            hm.iter_mut().for_each(|v| *v /= total);
            mask[k] = 1.0;
        } else if uniform_for_nan {
            hm.iter_mut().for_each(|v| *v = 1.0 / plane as f32);
            mask[k] = 1.0;
        } else {
            hm.iter_mut().for_each(|v| *v = 0.0);
            mask[k] = 0.0;
        }
    }
}

/// One decoded keypoint: position in input-image pixels and confidence in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peak {
    pub x: f32,
    pub y: f32,
    pub confidence: f32,
}

/// Soft-argmax around the maximum of one heatmap (h x w, summing to 1): the mass-weighted mean
/// position over the 7x7 window at the peak, times `stride`; confidence = the 5x5 window's mass.
pub fn decode(hm: &[f32], h: usize, w: usize, stride: f32) -> Peak {
    let mut best = 0usize;
    let mut bv = f32::MIN;
    for (i, &v) in hm.iter().enumerate() {
        if v > bv {
            bv = v;
            best = i;
        }
    }
    let (px, py) = ((best % w.max(1)) as i64, (best / w.max(1)) as i64);
    let window = |r: i64| {
        let (mut sx, mut sy, mut m) = (0f64, 0f64, 0f64);
        for j in (py - r).max(0)..=(py + r).min(h as i64 - 1) {
            for i in (px - r).max(0)..=(px + r).min(w as i64 - 1) {
                let v = hm
                    .get(j as usize * w + i as usize)
                    .copied()
                    .unwrap_or(0.0)
                    .max(0.0) as f64;
                sx += v * i as f64;
                sy += v * j as f64;
                m += v;
            }
        }
        (sx, sy, m)
    };
    // Position: soft-argmax over the 7x7 window (truncation bias < 0.03 heatmap pixels for
    // a target-shaped peak); confidence: the mass of the 5x5 window.
    let (sx, sy, m7) = window(3);
    let (_, _, m) = window(2);
    let (cx, cy) = if m7 > 0.0 {
        (sx / m7, sy / m7)
    } else {
        (px as f64, py as f64)
    };
    Peak {
        x: cx as f32 * stride,
        y: cy as f32 * stride,
        confidence: (m as f32).clamp(0.0, 1.0),
    }
}

/// Decodes a batch of heatmaps (B x K x h x w).
pub fn decode_batch(hms: &[f32], b: usize, k: usize, h: usize, w: usize, stride: f32) -> Vec<Peak> {
    let plane = h * w;
    (0..b * k)
        .map(|i| match hms.get(i * plane..(i + 1) * plane) {
            Some(hm) => decode(hm, h, w, stride),
            None => Peak {
                x: f32::NAN,
                y: f32::NAN,
                confidence: 0.0,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_decodes_back_to_its_keypoint() {
        let (h, w, stride) = (32, 32, 4.0);
        let mut out = vec![0.0; 2 * h * w];
        let mut mask = vec![0.0; 2];
        targets(
            &[[50.3, 71.9], [f32::NAN, 0.0]],
            stride,
            h,
            w,
            true,
            &mut out,
            &mut mask,
        );
        assert_eq!(mask, vec![1.0, 1.0]);
        let s: f32 = out[..h * w].iter().sum();
        assert!((s - 1.0).abs() < 1e-4);
        let p = decode(&out[..h * w], h, w, stride);
        assert!(
            (p.x - 50.3).abs() < 0.3 && (p.y - 71.9).abs() < 0.3,
            "{p:?}"
        );
        assert!(p.confidence > 0.85, "{p:?}");
        // uniform heatmap for the missing keypoint: low confidence
        let q = decode(&out[h * w..], h, w, stride);
        assert!(q.confidence < 0.05);
        targets(&[[f32::NAN, 0.0]], stride, h, w, false, &mut out, &mut mask);
        assert_eq!(mask[0], 0.0);
    }
}
