//! TensorBoard's scalar smoothing (`classicSmoothing` in `line_chart_v2/data_transformer.ts`):
//! a debiased exponential moving average. Non-finite values pass through and do not advance the
//! debias count; a constant series is returned as is.

pub fn ema(values: &[f64], weight: f64) -> Vec<f64> {
    let mut e = Ema::new(weight, values.windows(2).all(|p| p[0] == p[1]));
    values.iter().map(|&y| e.next(y)).collect()
}

/// The smoothing one value at a time (what [`ema`] does over a slice).
pub struct Ema {
    w: f64,
    /// The series is constant: values pass through.
    constant: bool,
    last: f64,
    /// w^n for the n finite values so far, a running product (powi per point was most of a
    /// 100,000-point plot's cost).
    wn: f64,
}

impl Ema {
    pub fn new(weight: f64, constant: bool) -> Ema {
        Ema {
            w: weight.clamp(0.0, 1.0),
            constant,
            last: 0.0,
            wn: 1.0,
        }
    }

    pub fn next(&mut self, y: f64) -> f64 {
        if self.constant || !y.is_finite() {
            return y;
        }
        self.last = self.last * self.w + (1.0 - self.w) * y;
        self.wn *= self.w;
        let debias = if self.w == 1.0 { 1.0 } else { 1.0 - self.wn };
        self.last / debias
    }
}

#[cfg(test)]
mod tests {
    use super::ema;

    #[test]
    fn matches_tensorboard_formula() {
        // Hand-computed with TensorBoard's formula, w = 0.6.
        let s = ema(&[1.0, 2.0, 3.0], 0.6);
        assert!((s[0] - 1.0).abs() < 1e-12);
        // last = 0.4*1 = .4 -> .4*.6 + .4*2 = 1.04; debias 1-.36 = .64 -> 1.625
        assert!((s[1] - 1.625).abs() < 1e-12);
        // last = 1.04*.6 + .4*3 = 1.824; debias 1-.216 = .784 -> 2.326530...
        assert!((s[2] - 1.824 / 0.784).abs() < 1e-12);
    }

    #[test]
    fn zero_weight_is_identity_and_constant_is_untouched() {
        assert_eq!(ema(&[3.0, 1.0, 2.0], 0.0), vec![3.0, 1.0, 2.0]);
        assert_eq!(ema(&[5.0, 5.0, 5.0], 0.9), vec![5.0, 5.0, 5.0]);
    }

    #[test]
    fn non_finite_passes_through_without_advancing() {
        let s = ema(&[1.0, f64::NAN, 2.0], 0.5);
        assert!(s[1].is_nan());
        // Same as smoothing [1, 2].
        let t = ema(&[1.0, 2.0], 0.5);
        assert!((s[2] - t[1]).abs() < 1e-12);
    }

    #[test]
    fn weight_one_keeps_first_value_scaled() {
        let s = ema(&[1.0, 2.0], 1.0);
        assert_eq!(s, vec![0.0, 0.0]);
    }
}
