import { add, concat, div, formatShape, mul, stridedSlice, type Tensor, tidy } from '@recur/tensor';
import { Module } from '../module';
import type { KerasRecurrentLayer } from './layers';
import type { RNNCallOptions } from './rnn';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalOptions {
  mergeMode?: MergeMode;
  /** The backward layer; by default a copy of the forward layer's options with goBackwards flipped. */
  backwardLayer?: KerasRecurrentLayer;
  name?: string;
}

/**
 * keras.layers.Bidirectional: the layer reads the sequence forwards, a copy reads it backwards,
 * and their outputs are merged. With returnSequences the backward outputs are turned back into
 * time order first, so step t of both directions lines up.
 */
export class Bidirectional extends Module {
  override get layerType(): string {
    return 'Bidirectional';
  }

  readonly forwardLayer: KerasRecurrentLayer;
  readonly backwardLayer: KerasRecurrentLayer;
  readonly mergeMode: MergeMode;

  constructor(layer: KerasRecurrentLayer, options: BidirectionalOptions = {}) {
    super(options.name);
    this.mergeMode = options.mergeMode ?? 'concat';
    if (!['concat', 'sum', 'mul', 'ave'].includes(this.mergeMode)) {
      throw new Error(`${this.name}: mergeMode must be concat, sum, mul or ave, got '${this.mergeMode}'`);
    }
    const backward =
      options.backwardLayer ?? layer.clone({ goBackwards: !layer.goBackwards, name: `backward_${layer.name}` });
    if (backward.returnSequences !== layer.returnSequences || backward.returnState !== layer.returnState) {
      throw new Error(
        `${this.name}: the backward layer must match the forward layer's returnSequences and returnState`,
      );
    }
    this.forwardLayer = this.registerModule('forward_layer', layer);
    this.backwardLayer = this.registerModule('backward_layer', backward);
    // As Keras: with sequences returned, masked steps of either direction output zeros.
    layer.zeroOutputForMask = layer.returnSequences;
    backward.zeroOutputForMask = backward.returnSequences;
  }

  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }

  build(inputShape: readonly (number | null)[]): void {
    this.forwardLayer.build(inputShape);
    this.backwardLayer.build(inputShape);
  }

  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    const f = this.forwardLayer.computeOutputShape(inputShape);
    const b = this.backwardLayer.computeOutputShape(inputShape);
    if (this.mergeMode !== 'concat') return f;
    const last = f[f.length - 1];
    const lastB = b[b.length - 1];
    return [...f.slice(0, -1), last !== null && lastB !== null ? last + lastB : null];
  }

  /** The merged output; with returnState, [output, ...forward states, ...backward states]. */
  forward(x: Tensor, call: RNNCallOptions = {}): Tensor | Tensor[] {
    const n = this.forwardLayer.cell.stateSize.length;
    if (call.initialState && call.initialState.length !== 2 * n) {
      throw new Error(
        `${this.name}: initialState needs ${2 * n} tensors (forward then backward), got ${call.initialState.length} for input ${formatShape(x.shape)}`,
      );
    }
    const fwdCall = { ...call, initialState: call.initialState?.slice(0, n) };
    const bwdCall = { ...call, initialState: call.initialState?.slice(n) };
    const f = asList(this.forwardLayer.forward(x, fwdCall));
    const b = asList(this.backwardLayer.forward(x, bwdCall));
    const merged = tidy(() => {
      let yb = b[0];
      if (this.returnSequences) {
        const T = yb.shape[1];
        yb = stridedSlice(yb, [T - 1], [-T - 1], [1], [-1]);
      }
      return merge(this.mergeMode, f[0], yb);
    });
    // Without returnSequences the output is also the first state: free it only if it is not returned.
    const states = this.forwardLayer.returnState ? [...f.slice(1), ...b.slice(1)] : [];
    for (const t of [f[0], b[0]]) if (!states.includes(t)) t.dispose();
    if (!this.forwardLayer.returnState) return merged;
    return [merged, ...f.slice(1), ...b.slice(1)];
  }
}

function asList(r: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(r) ? r : [r];
}

function merge(mode: MergeMode, a: Tensor, b: Tensor): Tensor {
  switch (mode) {
    case 'concat':
      return concat([a, b], -1);
    case 'sum':
      return add(a, b);
    case 'mul':
      return mul(a, b);
    case 'ave':
      return div(add(a, b), 2);
  }
}
