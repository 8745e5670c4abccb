import {
  add,
  cast,
  currentRecorder,
  div,
  formatShape,
  type LinearCrossEntropyAttrs,
  type LinearCrossEntropyInputs,
  matMul,
  notEqual,
  reshape,
  runKernelMulti,
  ShapeError,
  sum,
  type Tensor,
  tidy,
} from '@recur/tensor';
import { type CrossEntropyOptions, checkClassTargets, crossEntropy } from '../losses/cross-entropy';

/*
 * The Linear + softmax cross-entropy op. Its kernel's signature is backend-api's
 * `fused/linear-cross-entropy.ts`; its gradient rule is autograd's `rules/linear-cross-entropy.ts`,
 * which reads the slots this op records. Here: the slots, the dispatch to the backend's fused
 * kernel, and the composed fallback (x·Wᵀ + b → crossEntropy).
 */

/** The kernel's inputs, in this order; a call passes the ones it has and names them in `attrs.slots`. */
export const LINEAR_CROSS_ENTROPY_SLOTS = ['x', 'weight', 'bias', 'targets'] as const;
type LinearCrossEntropySlot = (typeof LINEAR_CROSS_ENTROPY_SLOTS)[number];

/** linearCrossEntropy's options: crossEntropy's, and the weight's layout. */
export interface LinearCrossEntropyOptions extends CrossEntropyOptions {
  /** 'outIn' (default): weight [C, K] as torch.nn.Linear; 'inOut': [K, C] as a Keras Dense kernel. */
  kernelLayout?: 'outIn' | 'inOut';
}

/**
 * A Linear (Dense) layer and softmax cross-entropy as one op: the same value as
 * `crossEntropy(x·Wᵀ + b, targets, options)`, computed by the backend's fused kernel where it has
 * one (backend-js: logits made and consumed inside WebAssembly memory, d loss / d logits formed in
 * the same pass, no logits tensor, no log-softmax or one-hot tensors); elsewhere, and with class
 * `weight`s, exactly that composition. x [..., K], targets [...] integer.
 *
 * @example
 * ```ts
 * import { Linear } from '@recur/layers';
 * import { randomNormal, tensor } from '@recur/tensor';
 * import { crossEntropy, linearCrossEntropy } from '@recur/train';
 * const head = new Linear(8, 5);
 * const h = randomNormal([2, 3, 8]);
 * const y = tensor([[0, 4, 1], [2, -100, 3]], { dtype: 'int32' });
 * const fused = linearCrossEntropy(h, head.weight.value, head.bias?.value, y).item();
 * const composed = crossEntropy(head.forward(h), y).item();
 * console.log(Math.abs(fused - composed) < 1e-5); // true
 * ```
 */
export function linearCrossEntropy(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  targets: Tensor,
  options: LinearCrossEntropyOptions = {},
): Tensor {
  const layout = options.kernelLayout ?? 'outIn';
  const K = x.shape[x.rank - 1];
  const C = layout === 'inOut' ? weight.shape[1] : weight.shape[0];
  const weightK = layout === 'inOut' ? weight.shape[0] : weight.shape[1];
  if (weight.rank !== 2 || weightK !== K) {
    const want = layout === 'inOut' ? `[${K}, C]` : `[C, ${K}]`;
    throw new ShapeError(
      `linearCrossEntropy: weight should be ${want} (${layout}) for x ${formatShape(x.shape)}, got ${formatShape(weight.shape)}`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== C)) {
    throw new ShapeError(`linearCrossEntropy: bias should be [${C}], got ${formatShape(bias.shape)}`);
  }
  const lead = x.shape.slice(0, -1);
  if (targets.rank !== lead.length || targets.shape.some((d, i) => d !== lead[i])) {
    throw new ShapeError(
      `linearCrossEntropy: targets ${formatShape(targets.shape)} should match x ${formatShape(x.shape)} without the feature axis (${formatShape(lead)})`,
    );
  }
  const fused = x.backend.fused;
  const usable =
    fused?.linearCrossEntropy &&
    fused.linearCrossEntropyBackward &&
    !options.weight &&
    (fused.supportsLinearCrossEntropy?.(x.dtype) ?? true) &&
    weight.dtype === x.dtype &&
    (!bias || bias.dtype === x.dtype);
  if (!usable) {
    return tidy(() => {
      const z = matMul(x, weight, { transposeB: layout === 'outIn' });
      return crossEntropy(bias ? add(z, bias) : z, targets, options);
    });
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  const labelSmoothing = options.labelSmoothing ?? 0;
  checkClassTargets('linearCrossEntropy', targets, C, ignoreIndex, labelSmoothing);
  const attrs: LinearCrossEntropyAttrs = {
    ignoreIndex,
    labelSmoothing,
    kernelLayout: layout,
    saveForBackward: currentRecorder() !== null,
  };
  return tidy(() => {
    const N = targets.size;
    const named: Partial<Record<LinearCrossEntropySlot, Tensor>> = {
      x: reshape(x, [N, K]),
      weight,
      bias: bias ?? undefined,
      targets: reshape(targets, [N]),
    };
    const slots = LINEAR_CROSS_ENTROPY_SLOTS.filter((s) => named[s] !== undefined);
    const [rows, workspace] = runKernelMulti(
      'linearCrossEntropy',
      slots.map((s) => named[s] as Tensor),
      { slots, linearCrossEntropy: attrs },
      (backend, ...storage) => {
        const byName = Object.fromEntries(slots.map((s, i) => [s, storage[i]]));
        const r = backend.fused?.linearCrossEntropy?.(byName as unknown as LinearCrossEntropyInputs, attrs);
        if (!r) throw new Error(`linearCrossEntropy: backend '${backend.name}' lost its fused kernel`);
        return [r.loss, r.workspace];
      },
      1,
    );
    // The workspace is only for backward; the tape holds it while a gradient is being taken.
    if (!currentRecorder()?.holds(workspace)) workspace.dispose();
    const reduction = options.reduction ?? 'mean';
    if (reduction === 'none') return reshape(rows, targets.shape);
    if (reduction === 'sum') return sum(rows);
    // Targets that count, counted on the device (no read); all ignored: NaN (0/0), as PyTorch and crossEntropy.
    const counted = sum(cast(notEqual(targets, ignoreIndex), rows.dtype));
    return div(sum(rows), counted);
  });
}
