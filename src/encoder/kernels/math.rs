//! Scalar functions written for vectorisation: branch-free erf and exp,
//! as the GELU and softmax kernels use them.

/// erf(x) as a rational function x·P(x²)/Q(x²) on [-4, 4] (the coefficients
/// of Eigen's and XLA's single-precision erf), within a few ulp of the true
/// value; outside, erf is ±1 to single precision. Branch-free, so loops
/// over it vectorise.
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * -2.726_142_3e-10 + 2.770_681_4e-8;
    p = p * x2 + -2.101_024_e-6;
    p = p * x2 + -5.692_506_4e-5;
    p = p * x2 + -7.349_906_3e-4;
    p = p * x2 + -2.954_6e-3;
    p = p * x2 + -1.609_603_3e-2;
    p *= x;
    let mut q = x2 * -1.456_607_2e-5 + -2.133_740_6e-4;
    q = q * x2 + -1.682_827e-3;
    q = q * x2 + -7.373_329_e-3;
    q = q * x2 + -1.426_473_9e-2;
    p / q
}

/// e^x for x ≤ 0 (softmax after subtracting the maximum), within about
/// one ulp: x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for e^r
/// (Cephes' expf) and 2^n put into the exponent bits. Below -87 it returns
/// about 1e-38 instead of a denormal or zero, which no softmax notices.
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // Adding and subtracting 1.5·2^23 rounds to the nearest integer
    // without a rounding instruction the baseline x86-64 lacks.
    const ROUND: f32 = 12_582_912.0;
    let x = x.max(-87.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_2e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5e-1;
    let y = p * r * r + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    y * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_is_accurate_and_odd() {
        // erf(0.5), erf(1), erf(2) to 9 digits.
        for (x, want) in [(0.5f32, 0.520_499_876f64), (1.0, 0.842_700_793), (2.0, 0.995_322_265)] {
            assert!((erf(x) as f64 - want).abs() < 3e-7, "erf({x}) = {}", erf(x));
            assert_eq!(erf(-x), -erf(x));
        }
        assert!((erf(10.0) - 1.0).abs() < 1.5e-7 && erf(10.0) <= 1.0);
    }

    #[test]
    fn exp_is_accurate_where_softmax_uses_it() {
        for i in (0..=8700).step_by(if cfg!(miri) { 37 } else { 1 }) {
            let x = -(i as f32) * 0.01;
            // The reference in f64, rounded: f32's libm exp may be an ulp
            // off itself (Miri models that by adding such errors on purpose).
            let (ours, std) = (exp_nonpositive(x), (x as f64).exp() as f32);
            assert!((ours - std).abs() <= 3e-7 * std.max(1e-30), "exp({x}): {ours} vs {std}");
        }
        assert_eq!(exp_nonpositive(0.0), 1.0);
    }
}
