// Softmax cross-entropy over rows of logits, for the fused Linear + cross-entropy kernel: the
// loss of each row, and (for backward) d loss / d logits written over the logits in place, so the
// logits exist once and are never copied.
import { expv } from './simd-math';

/**
 * Rows [0, rows) of logits z (C per row, row stride ld floats), targets int32 per row, ε = label smoothing:
 * loss[r] = (1 − ε)·(lse − z_y) + ε·(lse − mean z), 0 where y = ignore. With `grad`, each row of z
 * becomes softmax(z) − (1 − ε)·onehot(y) − ε/C (a row of zeros where y = ignore).
 */
export function xentRows(
  rows: i32,
  C: i32,
  z: usize,
  ld: i32,
  targets: usize,
  ignore: i32,
  epsBits: i32,
  loss: usize,
  grad: i32,
): void {
  // ε comes as its float32 bits: a call handed to a worker thread carries i32 arguments only.
  const eps = reinterpret<f32>(epsBits);
  const vec = C & ~3; // columns covered four at a time; the rest one at a time
  for (let r = 0; r < rows; r++) {
    const row = z + (<usize>(r * ld) << 2);
    const y = load<i32>(targets + (<usize>r << 2));
    const valid = y != ignore;
    // Max (for a stable exp) and sum (for the smoothing term's mean).
    let mv = f32x4.splat(-Infinity);
    let sv = f32x4.splat(0);
    for (let k = 0; k < vec; k += 4) {
      const v = v128.load(row + (<usize>k << 2));
      mv = f32x4.max(mv, v);
      sv = f32x4.add(sv, v);
    }
    let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    let sumZ = <f64>f32x4.extract_lane(sv, 0) + <f64>f32x4.extract_lane(sv, 1) + <f64>f32x4.extract_lane(sv, 2) + <f64>f32x4.extract_lane(sv, 3);
    for (let k = vec; k < C; k++) {
      const v = load<f32>(row + (<usize>k << 2));
      m = max(m, v);
      sumZ += <f64>v;
    }
    const zy: f32 = valid ? load<f32>(row + (<usize>y << 2)) : 0;
    // e = exp(z − max), kept in place for the gradient; s = Σ e.
    const mm = f32x4.splat(m);
    let ev = f32x4.splat(0);
    for (let k = 0; k < vec; k += 4) {
      const p = row + (<usize>k << 2);
      const e = expv(f32x4.sub(v128.load(p), mm));
      v128.store(p, e);
      ev = f32x4.add(ev, e);
    }
    let s = <f64>f32x4.extract_lane(ev, 0) + <f64>f32x4.extract_lane(ev, 1) + <f64>f32x4.extract_lane(ev, 2) + <f64>f32x4.extract_lane(ev, 3);
    for (let k = vec; k < C; k++) {
      const p = row + (<usize>k << 2);
      const e = f32x4.extract_lane(expv(f32x4.splat(load<f32>(p) - m)), 0);
      store<f32>(p, e);
      s += <f64>e;
    }
    const lse = <f64>m + Math.log(s);
    const e64 = <f64>eps;
    const l = valid ? (1 - e64) * (lse - <f64>zy) + e64 * (lse - sumZ / <f64>C) : 0;
    store<f32>(loss + (<usize>r << 2), <f32>l);
    if (!grad) continue;
    if (!valid) {
      memory.fill(row, 0, <usize>C << 2);
      continue;
    }
    const inv = f32x4.splat(<f32>(1 / s));
    const shift = f32x4.splat(eps / <f32>C);
    for (let k = 0; k < vec; k += 4) {
      const p = row + (<usize>k << 2);
      v128.store(p, f32x4.sub(f32x4.mul(v128.load(p), inv), shift));
    }
    for (let k = vec; k < C; k++) {
      const p = row + (<usize>k << 2);
      store<f32>(p, load<f32>(p) * <f32>(1 / s) - eps / <f32>C);
    }
    const py = row + (<usize>y << 2);
    store<f32>(py, load<f32>(py) - (1 - eps));
  }
}

/** dst[r, ·] = g[r] · src[r, ·] for rows of C floats (row strides ld): the upstream gradient of each row's loss. */
export function scaleRows(rows: i32, C: i32, src: usize, ld: i32, g: usize, dst: usize): void {
  const vec = C & ~3;
  for (let r = 0; r < rows; r++) {
    const a = src + (<usize>(r * ld) << 2);
    const b = dst + (<usize>(r * C) << 2);
    const gr = load<f32>(g + (<usize>r << 2));
    const gv = f32x4.splat(gr);
    for (let k = 0; k < vec; k += 4) v128.store(b + (<usize>k << 2), f32x4.mul(v128.load(a + (<usize>k << 2)), gv));
    for (let k = vec; k < C; k++) store<f32>(b + (<usize>k << 2), load<f32>(a + (<usize>k << 2)) * gr);
  }
}
