import { type ActivationSpec, activation, canonicalActivation, checkOptions } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import type { Tensor } from '@recur/tensor';
import { LAYER_ARG_KEYS, Layer, type LayerArgs } from '../engine/layer';
import { activationOnnx } from '../onnx/core';

export interface ActivationOptions extends LayerArgs {
  /** The activation, by name ('relu', 'softmax', ...) or a function (default linear). */
  activation: ActivationSpec;
}

/** keras.layers.Activation: applies an activation ('relu', 'softmax', ...) elementwise; passes the mask on. */
export class Activation extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Activation';
  override get layerType(): string {
    return 'Activation';
  }

  private readonly fn: (x: Tensor) => Tensor;
  private readonly spec: ActivationSpec;

  constructor(options: ActivationOptions) {
    checkOptions(options?.name ?? 'Activation', options, [...LAYER_ARG_KEYS, 'activation']);
    super(options);
    this.spec = options.activation;
    this.fn = activation(options.activation);
    this.supportsMasking = true;
    this.markBuilt();
  }

  /** The activation's canonical name, or the function given. */
  get activation(): ReturnType<typeof canonicalActivation> {
    return canonicalActivation(this.spec);
  }

  override forward(x: Tensor): Tensor {
    return this.fn(x);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: canonicalActivation(this.spec) };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): Activation {
    return new Activation(config as unknown as ActivationOptions);
  }

  /** Its ONNX form: the activation's operator. */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [{ ...x, name: activationOnnx(ctx, this, this.activation, x.name) }];
  }
}
