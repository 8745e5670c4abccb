import { checkOptions } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import {
  add,
  ConfigError,
  concat,
  div,
  formatShape,
  mul,
  stridedSlice,
  type Tensor,
  tidy,
  ValueError,
} from '@recur/tensor';
import { type ConfigContext, contextOf, type LayerSpec, specOf } from '../engine/config';
import { type CallArgs, LAYER_ARG_KEYS, Layer, type LayerArgs, type Mask } from '../engine/layer';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { recurrentOnnx } from '../onnx/recurrent';
import { KerasRecurrent } from './recurrent';
import { RNN, type RNNCallOptions } from './rnn';

/** How the two directions are combined; null returns them separately (Keras' merge_mode=None). */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

export interface BidirectionalOptions extends LayerArgs {
  /** Default 'concat'. */
  mergeMode?: MergeMode;
  /** The backward layer; by default a copy of the forward layer (through its config) with goBackwards flipped. */
  backwardLayer?: RNN;
}

const BIDIRECTIONAL_KEYS = [...LAYER_ARG_KEYS, 'mergeMode', 'backwardLayer'] as const;

/**
 * keras.layers.Bidirectional: the layer reads the sequence forwards, a copy reads it backwards,
 * and their outputs are merged. With returnSequences the backward outputs are turned back into
 * time order first, so step t of both directions lines up. Any RNN layer can be wrapped, a
 * `keras.RNN` over a custom cell included.
 *
 * @example
 * ```ts
 * import { Bidirectional, GRU, LSTM } from '@recur/keras';
 * import { randomNormal } from '@recur/tensor';
 * const bi = new Bidirectional(new LSTM({ units: 4, returnSequences: true }));
 * // forward and backward outputs concatenated
 * console.log(bi.apply(randomNormal([2, 5, 3])).shape); // [2, 5, 8]
 * const sum = new Bidirectional(new GRU({ units: 4 }), { mergeMode: 'sum' });
 * console.log(sum.apply(randomNormal([2, 5, 3])).shape); // [2, 4]
 * ```
 */
export class Bidirectional extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Bidirectional';
  override get layerType(): string {
    return 'Bidirectional';
  }

  /** `apply([x, ...states])` passes the states as initial states. */
  override readonly takesInitialState = true;

  /** The layer that reads the sequence forwards. */
  readonly forwardLayer: RNN;
  /** The layer that reads it backwards (a copy of the forward layer unless given). */
  readonly backwardLayer: RNN;
  /** How the two directions' outputs combine: concat, sum, mul, ave, or null (a list). */
  readonly mergeMode: MergeMode;

  /** `new Bidirectional(layer, options)`, or tfjs' `new Bidirectional({ layer, ...options })`. */
  constructor(layerOrArgs: RNN | (BidirectionalOptions & { layer: RNN }), given: BidirectionalOptions = {}) {
    const tfjsForm = !(layerOrArgs instanceof Layer) && !!layerOrArgs && typeof layerOrArgs === 'object';
    const { layer, ...fromArgs } = tfjsForm
      ? (layerOrArgs as BidirectionalOptions & { layer: RNN })
      : { layer: layerOrArgs as RNN };
    const options: BidirectionalOptions = tfjsForm ? fromArgs : given;
    checkOptions(options?.name ?? 'Bidirectional', options, BIDIRECTIONAL_KEYS);
    const { mergeMode: _m, backwardLayer: _b, ...layerArgs } = options;
    super(layerArgs);
    if (!(layer instanceof RNN)) {
      throw new ConfigError(`${this.name}: wraps a recurrent layer (keras.LSTM, keras.GRU, keras.RNN, ...)`);
    }
    this.mergeMode = options.mergeMode === undefined ? 'concat' : options.mergeMode;
    if (![null, 'concat', 'sum', 'mul', 'ave'].includes(this.mergeMode)) {
      throw new ConfigError(`${this.name}: mergeMode must be concat, sum, mul, ave or null, got '${this.mergeMode}'`);
    }
    const backward = options.backwardLayer ?? cloneBackward(layer);
    if (backward.returnSequences !== layer.returnSequences || backward.returnState !== layer.returnState) {
      throw new ConfigError(
        `${this.name}: the backward layer must match the forward layer's returnSequences and returnState`,
      );
    }
    if (backward.goBackwards === layer.goBackwards) {
      throw new ConfigError(`${this.name}: the backward layer must have the opposite goBackwards of the forward layer`);
    }
    this.forwardLayer = this.registerModule('forward_layer', layer);
    this.backwardLayer = this.registerModule('backward_layer', backward);
    this.multiOutput = layer.returnState || this.mergeMode === null;
    this.supportsMasking = true;
    // As Keras: with sequences returned, masked steps of either direction output zeros.
    layer.zeroOutputForMask = layer.returnSequences;
    backward.zeroOutputForMask = backward.returnSequences;
  }

  /** Whether every step's output is returned (else the last). */
  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }

  /** Whether the final states are returned too. */
  get returnState(): boolean {
    return this.forwardLayer.returnState;
  }

  override build(inputShape: ShapeArg): void {
    this.forwardLayer.build(inputShape);
    this.backwardLayer.build(inputShape);
    this.markBuilt();
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape | SymbolicShape[] {
    const fAll = this.forwardLayer.computeOutputShape(inputShape) as SymbolicShape | SymbolicShape[];
    const bAll = this.backwardLayer.computeOutputShape(inputShape) as SymbolicShape | SymbolicShape[];
    const [f, ...fStates] = (this.returnState ? fAll : [fAll]) as SymbolicShape[];
    const [b, ...bStates] = (this.returnState ? bAll : [bAll]) as SymbolicShape[];
    const outs: SymbolicShape[] = [];
    if (this.mergeMode === null) outs.push(f, b);
    else if (this.mergeMode !== 'concat') outs.push(f);
    else {
      const last = f[f.length - 1];
      const lastB = b[b.length - 1];
      outs.push([...f.slice(0, -1), last !== null && lastB !== null ? last + lastB : null]);
    }
    if (!this.multiOutput) return outs[0];
    return [...outs, ...fStates, ...bStates];
  }

  override computeMask(_inputs: Tensor | Tensor[], mask?: Mask | Mask[]): Mask | Mask[] {
    const m = Array.isArray(mask) ? (mask[0] ?? null) : (mask ?? null);
    const out = this.returnSequences ? m : null;
    const outs = this.mergeMode === null ? [out, out] : [out];
    if (!this.multiOutput) return outs[0];
    const n = this.forwardLayer.cell.stateSize.length;
    return [...outs, ...Array.from({ length: 2 * n }, () => null)];
  }

  /**
   * The merged output ([forward, backward] with mergeMode null); with returnState, followed by the
   * forward states, then the backward states.
   */
  override forward(x: Tensor, call: RNNCallOptions | CallArgs = {}): Tensor | Tensor[] {
    if (Array.isArray(x)) {
      const [input, ...states] = x as Tensor[];
      return this.forward(input, { ...call, initialState: states.length ? states : call.initialState });
    }
    const n = this.forwardLayer.cell.stateSize.length;
    if (call.initialState && call.initialState.length !== 2 * n) {
      throw new ConfigError(
        `${this.name}: initialState needs ${2 * n} tensors (forward then backward), got ${call.initialState.length} for input ${formatShape(x.shape)}`,
      );
    }
    const fwdCall = { ...call, initialState: call.initialState?.slice(0, n) };
    const bwdCall = { ...call, initialState: call.initialState?.slice(n) };
    const f = asList(this.forwardLayer.forward(x, fwdCall));
    const b = asList(this.backwardLayer.forward(x, bwdCall));
    const outputs = tidy(() => {
      let yb = b[0];
      if (this.returnSequences) {
        const T = yb.shape[1];
        yb = stridedSlice(yb, [T - 1], [-T - 1], [1], [-1]);
      }
      return this.mergeMode === null ? [f[0], yb] : [merge(this.mergeMode, f[0], yb)];
    });
    const states = this.returnState ? [...f.slice(1), ...b.slice(1)] : [];
    // Without returnSequences the output is also the first state: free it only if it is not returned.
    const kept = new Set([...outputs, ...states]);
    for (const t of [f[0], b[0]]) if (!kept.has(t)) t.dispose();
    if (!this.multiOutput) return outputs[0];
    return [...outputs, ...states];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      layer: specOf(this.forwardLayer),
      mergeMode: this.mergeMode,
      backwardLayer: specOf(this.backwardLayer),
    };
  }

  protected override checkInitialStates(states: SymbolicShape[]): void {
    const n = this.forwardLayer.cell.stateSize.length;
    if (states.length !== 2 * n) {
      throw new ConfigError(
        `${this.name}: expected ${2 * n} initial state tensor(s) (the forward layer's, then the backward layer's), got ${states.length}`,
      );
    }
  }

  /**
   * Drops both directions' carried states (stateful layers), or sets them: the forward layer's
   * states first, then the backward layer's, as Keras' reset_states takes them.
   */
  resetStates(states?: Tensor[]): void {
    if (!states) {
      this.forwardLayer.resetStates();
      this.backwardLayer.resetStates();
      return;
    }
    const n = this.forwardLayer.cell.stateSize.length;
    if (states.length !== 2 * n) {
      throw new ValueError(
        `${this.name}: resetStates expected ${2 * n} state tensor(s) (forward, then backward), got ${states.length}`,
      );
    }
    this.forwardLayer.resetStates(states.slice(0, n));
    this.backwardLayer.resetStates(states.slice(n));
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>, context: ConfigContext): Bidirectional {
    const { layer, backwardLayer, ...rest } = config;
    if (!layer || typeof layer !== 'object') {
      throw new ConfigError(
        `Bidirectional config: 'layer' should be { className, config }, got ${JSON.stringify(layer)}`,
      );
    }
    const forward = context.deserialize(layer as LayerSpec) as RNN;
    const backward = backwardLayer ? (context.deserialize(backwardLayer as LayerSpec) as RNN) : undefined;
    return new Bidirectional(forward, { ...(rest as BidirectionalOptions), backwardLayer: backward });
  }

  /** Its ONNX form: one bidirectional ONNX recurrent node, the directions merged after it. */
  onnxNodes(ctx: ExportContext, inputs: Value[], stateCount: number): Value[] {
    return recurrentOnnx(ctx, { bi: this }, inputs, stateCount);
  }
}

/**
 * Keras: the backward layer is the forward layer rebuilt from its config by its own classes (a
 * user's cell needs no registration), goBackwards flipped.
 */
function cloneBackward(layer: RNN): RNN {
  const name = `backward_${layer.name.replace(/^forward_/, '')}`;
  if (layer instanceof KerasRecurrent) return layer.clone({ goBackwards: !layer.goBackwards, name });
  const spec = specOf(layer);
  return contextOf(layer).deserialize({
    ...spec,
    config: { ...spec.config, goBackwards: !layer.goBackwards, name },
  }) as RNN;
}

function asList(r: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(r) ? r : [r];
}

function merge(mode: Exclude<MergeMode, null>, a: Tensor, b: Tensor): Tensor {
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
