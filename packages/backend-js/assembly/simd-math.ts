// Four-lane helpers shared by the kernels: the multiply-add (fused with relaxed SIMD), exp,
// sigmoid, tanh, and loads / stores of four lanes or one.

/**
 * a·b + c on four lanes. Built twice from this source (scripts/build-wasm.mjs): with relaxed SIMD,
 * `f32x4.relaxed_madd`, a fused multiply-add where the hardware has one (one rounding instead of
 * two); without, a multiply then an add. The host picks the build the engine validates.
 */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// ---- Element-wise: exp, sigmoid, tanh on four lanes ------------------------------------------

// @ts-ignore: decorator
@inline
export function expv(x: v128): v128 {
  // Cephes expf: e^x = 2^n · e^r with r = x − n·ln2, |r| ≤ ln2/2, and a degree-6 polynomial for e^r.
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504089)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

// @ts-ignore: decorator
@inline
export function sigmoidv(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expv(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline
export function tanhv(x: v128): v128 {
  // tanh x = 1 − 2 / (1 + e^{2x}); absolute error stays near float32 epsilon.
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(f32x4.splat(1), expv(f32x4.add(x, x)))));
}

// Loads and stores of four lanes, or of one lane (splat) for the tail of a row.
// @ts-ignore: decorator
@inline
export function ld(p: usize, one: bool): v128 {
  return one ? v128.load32_splat(p) : v128.load(p);
}

// @ts-ignore: decorator
@inline
export function st(p: usize, v: v128, one: bool): void {
  if (one) v128.store32_lane(p, v, 0);
  else v128.store(p, v);
}

// @ts-ignore: decorator
@inline
export function sq1m(y: v128): v128 {
  return f32x4.sub(f32x4.splat(1), f32x4.mul(y, y));
}

// @ts-ignore: decorator
@inline
export function sigd(y: v128): v128 {
  return f32x4.mul(y, f32x4.sub(f32x4.splat(1), y));
}

