import { add, formatShape, onesLike, Tensor, tidy, withRecorder, zerosLike } from '@recur/tensor';
import { gradRuleOf } from './rules';
import { Tape } from './tape';

/** A function's value and its gradients with respect to each input, in order. */
export interface ValueAndGrads {
  /** What the function returned. */
  value: Tensor;
  /** d value / d input, one per input, each of its input's shape. */
  grads: Tensor[];
}

/** `ValueAndGrads` with the auxiliary values the function returned beside its value. */
export interface ValueAndGradsWithAux<A> extends ValueAndGrads {
  /** The function's `aux`, untouched (the caller disposes its tensors). */
  aux: A;
}

/** A one-input function's value and gradient. */
export interface ValueAndGrad {
  /** What the function returned. */
  value: Tensor;
  /** d value / d x, of x's shape. */
  grad: Tensor;
}

/**
 * Runs `f` on `xs` while recording, then walks the tape backwards from its result. The seed
 * gradient `dy` defaults to ones, so a scalar result needs none. Every intermediate is disposed;
 * only the value and the gradients survive.
 */
function differentiate(f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[], dy?: Tensor): ValueAndGrads {
  const r = differentiateWithAux((...a) => ({ value: f(...a), aux: undefined }), xs, dy);
  return { value: r.value, grads: r.grads };
}

/** differentiate for a function that also returns auxiliary values (kept alive, not differentiated). */
function differentiateWithAux<A>(
  f: (...xs: Tensor[]) => { value: Tensor; aux: A },
  xs: readonly Tensor[],
  dy?: Tensor,
): ValueAndGradsWithAux<A> {
  const tape = new Tape();
  const result = tidy(() => {
    for (const x of xs) tape.watch(x);
    const { value, aux } = withRecorder(tape, () => f(...xs));
    if (dy && (dy.shape.length !== value.shape.length || dy.shape.some((d, i) => d !== value.shape[i]))) {
      throw new Error(`grad: dy ${formatShape(dy.shape)} does not match the result ${formatShape(value.shape)}`);
    }
    if (!dy && value.size !== 1) {
      throw new Error(
        `grad: f must return a scalar (one element) unless dy is given; it returned ${formatShape(value.shape)}`,
      );
    }
    const grads = backward(tape, value, dy ?? onesLike(value));
    return { value, grads: xs.map((x) => grads.get(x) ?? zerosLike(x)), aux };
  });
  // What f disposed while the tape held it (a previous window's carried state) is freed now.
  const kept = new Set<Tensor>([result.value, ...result.grads, ...tensorsIn(result.aux)]);
  for (const t of tape.deferred) if (!kept.has(t)) t.dispose();
  return result;
}

/** The tensors of an auxiliary value: itself, or those in its (nested) arrays and plain objects. */
function tensorsIn(v: unknown, depth = 0): Tensor[] {
  if (depth > 8 || v === null || typeof v !== 'object') return [];
  if (v instanceof Tensor) return [v];
  const values = Array.isArray(v) ? v : Object.getPrototypeOf(v) === Object.prototype ? Object.values(v) : [];
  return values.flatMap((x) => tensorsIn(x, depth + 1));
}

/** Reverse pass: accumulates d value / d t for every recorded tensor t, summing over uses. */
function backward(tape: Tape, value: Tensor, seed: Tensor): Map<Tensor, Tensor> {
  const grads = new Map<Tensor, Tensor>([[value, seed]]);
  for (let n = tape.nodes.length - 1; n >= 0; n--) {
    const node = tape.nodes[n];
    if (!node.outputs.some((y) => grads.has(y))) continue;
    const rule = gradRuleOf(node.kernel);
    if (!rule) throw new Error(`grad: no gradient rule for kernel '${node.kernel}'`);
    const dys = node.outputs.map((y) => grads.get(y) ?? zerosLike(y));
    const dxs = rule(node, dys);
    node.inputs.forEach((x, i) => {
      const dx = dxs[i];
      if (!dx || !tape.isWatched(x)) return;
      if (dx.shape.length !== x.shape.length || dx.shape.some((d, k) => d !== x.shape[k])) {
        throw new Error(
          `grad: rule for '${node.kernel}' returned ${formatShape(dx.shape)} for input ${i} of shape ${formatShape(x.shape)}`,
        );
      }
      const previous = grads.get(x);
      grads.set(x, previous ? add(previous, dx) : dx);
    });
  }
  return grads;
}

/**
 * The gradients of scalar-valued `f` with respect to each argument, and its value.
 *
 * @example
 * ```ts
 * import { valueAndGrads } from '@recur/autograd';
 * import { matMul, sum, tanh, tensor } from '@recur/tensor';
 * const x = tensor([[1, 0, 1]]);
 * const w = tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]);
 * const { value, grads: [dx, dw] } = valueAndGrads((a, b) => sum(tanh(matMul(a, b))))([x, w]);
 * console.log(value.item().toFixed(4), dx.shape, dw.shape); // '1.2011' [1, 3] [3, 2]
 * ```
 */
export function valueAndGrads(f: (...xs: Tensor[]) => Tensor): (xs: readonly Tensor[], dy?: Tensor) => ValueAndGrads {
  return (xs, dy) => differentiate(f, xs, dy);
}

/** Like valueAndGrads for a function of one tensor. */
export function valueAndGrad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => ValueAndGrad {
  return (x, dy) => {
    const r = differentiate(f, [x], dy);
    return { value: r.value, grad: r.grads[0] };
  };
}

/**
 * d f / d x for a function of one tensor; the value is disposed.
 *
 * @example
 * ```ts
 * import { grad } from '@recur/autograd';
 * import { mul, sum, tensor } from '@recur/tensor';
 * const dx = grad((x) => sum(mul(x, x)))(tensor([1, 2, 3])); // d/dx Σ x² = 2x
 * console.log(Array.from(dx.dataSync())); // [2, 4, 6]
 * ```
 */
export function grad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => Tensor {
  return (x, dy) => {
    const r = differentiate(f, [x], dy);
    r.value.dispose();
    return r.grads[0];
  };
}

/** d f / d xs for a function of several tensors; the value is disposed. */
export function grads(f: (...xs: Tensor[]) => Tensor): (xs: readonly Tensor[], dy?: Tensor) => Tensor[] {
  return (xs, dy) => {
    const r = differentiate(f, xs, dy);
    r.value.dispose();
    return r.grads;
  };
}

/**
 * The value of `f()` and its gradients with respect to `params`, which `f` closes over (the way a
 * model's parameters are used). This is what a training step calls.
 */
export function valueAndGradsOf(f: () => Tensor, params: readonly Tensor[], dy?: Tensor): ValueAndGrads {
  return differentiate(() => f(), params, dy);
}

/**
 * Like valueAndGradsOf for a function that also returns auxiliary values (JAX's has_aux): what
 * to log besides the loss. Tensors in `aux` survive (the caller disposes them); they get no
 * gradient.
 */
export function valueAndGradsWithAux<A>(
  f: () => { value: Tensor; aux: A },
  params: readonly Tensor[],
  dy?: Tensor,
): ValueAndGradsWithAux<A> {
  return differentiateWithAux(() => f(), params, dy);
}

/** Runs `fn` with recording off: nothing inside contributes to any gradient being taken. */
export function noGrad<T>(fn: () => T): T {
  return withRecorder(null, fn);
}
