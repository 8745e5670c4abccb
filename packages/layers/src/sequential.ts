import type { Tensor } from '@recur/tensor';
import { RecurError } from '@recur/tensor';
import { Module } from './module';

/** A layer Sequential can run: anything with forward(x), optionally shape inference and a Keras mask. */
export interface SequentialLayer extends Module {
  /** Runs the layer on one input. */
  forward(x: Tensor, ...rest: never[]): unknown;
  /** The output shape for an input shape (null: any size), where the layer knows it. */
  computeOutputShape?(inputShape: (number | null)[]): (number | null)[] | (number | null)[][];
  /** The mask the layer passes on, where it takes masks. */
  computeMask?(x: Tensor, mask?: Tensor | null): Tensor | null | (Tensor | null)[];
}

/**
 * A stack of layers, each fed the previous one's output (Keras' Sequential, PyTorch's
 * nn.Sequential). A Keras mask (from Embedding with maskZero) is handed to the next layer that
 * takes one; a PyTorch-style recurrent layer contributes its `output`.
 *
 * @example
 * ```ts
 * import { Embedding, LSTM, Linear, Sequential } from '@recur/layers';
 * import { tensor } from '@recur/tensor';
 * const tagger = new Sequential([new Embedding(50, 16), new LSTM(16, 32, { batchFirst: true }), new Linear(32, 5)]);
 * console.log(tagger.forward(tensor([[4, 8, 15]], { dtype: 'int32' })).shape); // [1, 3, 5]
 * ```
 */
export class Sequential extends Module {
  override get layerType(): string {
    return 'Sequential';
  }

  /** The layers, in the order they run. */
  readonly layers: SequentialLayer[] = [];

  constructor(layers: SequentialLayer[] = [], options: { name?: string } = {}) {
    super(options.name);
    for (const l of layers) this.add(l);
  }

  /** Appends a layer. */
  add(layer: SequentialLayer): this {
    this.registerModule(String(this.layers.length), layer);
    this.layers.push(layer);
    return this;
  }

  /** Runs each layer on the previous one's output. */
  forward(x: Tensor): Tensor {
    let h = x;
    let mask: Tensor | null = null;
    const created: Tensor[] = [];
    try {
      for (const layer of this.layers) {
        const out = (layer.forward as (x: Tensor, o?: unknown) => unknown)(h, mask ? { mask } : undefined);
        // Keras' mask propagation: a Keras layer says what its output's mask is (an Embedding with
        // maskZero starts one, a recurrent layer returning its last output ends it, Dense passes
        // it on); a layer without computeMask (the PyTorch door) leaves it as it was.
        if (layer.computeMask) {
          const computed = layer.computeMask(h, mask);
          const next = Array.isArray(computed) ? (computed[0] ?? null) : computed;
          if (next !== mask) {
            if (mask) created.push(mask);
            mask = next;
          }
        }
        const t = outputTensor(layer, out);
        if (h !== x) created.push(h);
        h = t;
      }
    } finally {
      for (const t of created) t.dispose();
      mask?.dispose();
    }
    return h;
  }

  /**
   * A Keras-style table of each layer's output shape and parameter count. Lazily built layers are
   * built from `inputShape` (batch and time may be null), e.g. [null, null] for token ids.
   */
  summary(inputShape?: (number | null)[]): string {
    const rows: [string, string, string][] = [];
    let shape = inputShape ?? null;
    for (const layer of this.layers) {
      if (shape && layer.computeOutputShape) shape = layer.computeOutputShape(shape) as (number | null)[];
      else shape = null;
      const type = layer.layerType;
      rows.push([
        `${layer.name} (${type})`,
        shape ? `(${shape.map((d) => (d === null ? 'None' : d)).join(', ')})` : '?',
        layer.numParameters().toLocaleString('en-US'),
      ]);
    }
    const total = this.numParameters();
    const trainable = this.trainableParameters().reduce((n, p) => n + p.value.size, 0);
    const widths = [33, 26, 12];
    const line = (c: string) => c.repeat(widths.reduce((a, b) => a + b, 0));
    const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('');
    const out = [
      `Model: "${this.name}"`,
      line('_'),
      fmt(['Layer (type)', 'Output Shape', 'Param #']),
      line('='),
      ...rows.flatMap((r, i) => [fmt(r), i < rows.length - 1 ? line('_') : line('=')]),
      `Total params: ${total.toLocaleString('en-US')}`,
      `Trainable params: ${trainable.toLocaleString('en-US')}`,
      `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
      line('_'),
    ];
    return out.join('\n');
  }
}

function outputTensor(layer: Module, out: unknown): Tensor {
  if (out && typeof out === 'object' && 'output' in out) {
    const o = out as { output: Tensor; hN?: Tensor; cN?: Tensor };
    o.hN?.dispose();
    o.cN?.dispose();
    return o.output;
  }
  if (Array.isArray(out)) {
    throw new RecurError(
      `${layer.name}: returned ${out.length} tensors; inside Sequential a layer must return one (returnState: false)`,
    );
  }
  if (!out || typeof out !== 'object' || !('shape' in out)) {
    throw new RecurError(`${layer.name}: did not return a tensor`);
  }
  return out as Tensor;
}
