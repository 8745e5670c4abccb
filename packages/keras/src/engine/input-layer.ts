import { checkOptions } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import { ConfigError, type DType, type Tensor } from '@recur/tensor';
import { type CallArgs, Layer } from './layer';
import { Node, type SymbolicShape, SymbolicTensor } from './symbolic';

/** InputLayer's options (Keras' InputLayer arguments, camelCased). */
export interface InputLayerOptions {
  /** The shape without the batch axis; null for a free axis (time). */
  inputShape?: SymbolicShape;
  /** The shape with the batch axis (Keras 2's batch_input_shape, Keras 3's batch_shape). */
  batchInputShape?: SymbolicShape;
  /** A fixed batch size (default none: any). */
  batchSize?: number | null;
  /** The input's dtype (default float32; int32 for token ids). */
  dtype?: DType;
  /** The layer's name (default generated). */
  name?: string;
  /** Accepted from configs; recur's tensors are dense. */
  sparse?: boolean;
  /** Accepted from configs when false; recur has no ragged tensors. */
  ragged?: boolean;
}

const INPUT_LAYER_KEYS = ['inputShape', 'batchInputShape', 'batchSize', 'dtype', 'name', 'sparse', 'ragged'] as const;

function checkShape(owner: string, shape: unknown): asserts shape is SymbolicShape {
  if (!Array.isArray(shape) || !shape.every((d) => d === null || (Number.isInteger(d) && d >= 0))) {
    throw new ConfigError(`${owner}: a shape is a list of non-negative integers or null, got ${JSON.stringify(shape)}`);
  }
}

/**
 * The layer a model's input comes from (Keras' InputLayer). `keras.Input` makes one and returns
 * its symbolic output.
 */
export class InputLayer extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'InputLayer';
  override get layerType(): string {
    return 'InputLayer';
  }

  /** The symbolic tensor layers are applied to. */
  readonly output: SymbolicTensor;
  /** The input's shape with the batch axis. */
  readonly shape: SymbolicShape;

  constructor(options: InputLayerOptions) {
    checkOptions(options?.name ?? 'InputLayer', options, INPUT_LAYER_KEYS);
    if (options.sparse || options.ragged) {
      throw new ConfigError(`${options.name ?? 'InputLayer'}: sparse and ragged inputs are not supported`);
    }
    let shape: SymbolicShape;
    if (options.batchInputShape) {
      checkShape(options.name ?? 'InputLayer', options.batchInputShape);
      shape = [...options.batchInputShape];
    } else if (options.inputShape) {
      checkShape(options.name ?? 'InputLayer', options.inputShape);
      shape = [options.batchSize ?? null, ...options.inputShape];
    } else {
      throw new ConfigError(`${options.name ?? 'InputLayer'}: give a shape (inputShape or batchInputShape)`);
    }
    super({ name: options.name, batchInputShape: shape, dtype: options.dtype });
    this.shape = shape;
    this.markBuilt();
    const node = new Node(this, [], { list: false, initialStates: 0 }, 0);
    node.outputs = [new SymbolicTensor(shape, options.dtype ?? 'float32', node, 0, this.name)];
    this.inboundNodes.push(node);
    this.output = node.outputs[0];
  }

  override forward(x: Tensor | Tensor[], _args?: CallArgs): Tensor {
    return Array.isArray(x) ? x[0] : x;
  }

  override outputDType(): DType {
    return this.dtype;
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, batchInputShape: [...this.shape], dtype: this.dtype };
  }

  /** An InputLayer from its config. */
  static fromConfig(config: Record<string, unknown>): InputLayer {
    return new InputLayer(config as InputLayerOptions);
  }

  /** The graph input itself. */
  onnxNodes(_ctx: ExportContext, [x]: Value[]): Value[] {
    return [x];
  }
}

/** `Input`'s options (Keras' Input / tfjs' tf.input arguments). */
export interface InputOptions {
  /** The shape without the batch axis, e.g. [null, 8] for sequences of 8 features (a number: one axis). */
  shape?: SymbolicShape | number;
  /** The shape with the batch axis (tfjs' batchShape). */
  batchShape?: SymbolicShape | number;
  /** A fixed batch size. */
  batchSize?: number;
  /** The input's dtype (default float32). */
  dtype?: DType;
  /** The input's name. */
  name?: string;
}

/**
 * A model input: a symbolic tensor to apply layers to (Keras' `Input`, tfjs' `tf.input`).
 *
 * @example
 * ```ts
 * import { Input, LSTM } from '@recur/keras';
 * const inputs = Input({ shape: [null, 8], name: 'tokens' }); // batch and time left open
 * const hidden = new LSTM({ units: 16, returnSequences: true }).apply(inputs);
 * console.log(inputs.shape, hidden.shape); // [null, null, 8] [null, null, 16]
 * ```
 */
export function Input(options: InputOptions): SymbolicTensor {
  checkOptions('Input', options, ['shape', 'batchShape', 'batchSize', 'dtype', 'name']);
  // A number is a one-axis shape, as tfjs programs write it (tf.input({ shape: 32 })).
  const asShape = (s: SymbolicShape | number | undefined) => (typeof s === 'number' ? [s] : s);
  const layer = new InputLayer({
    inputShape: asShape(options.shape),
    batchInputShape: asShape(options.batchShape),
    batchSize: options.batchSize,
    dtype: options.dtype,
    name: options.name,
  });
  return layer.output;
}
