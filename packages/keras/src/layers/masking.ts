import { checkOptions } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import { notEqual, type Tensor, tidy, unsqueeze, where } from '@recur/tensor';
import { LAYER_ARG_KEYS, Layer, type LayerArgs, type Mask } from '../engine/layer';
import { maskingOnnx } from '../onnx/core';
import { anyAlong } from './mask-ops';

export interface MaskingOptions extends LayerArgs {
  /** A step whose features all equal this value is masked (default 0). */
  maskValue?: number;
}

/**
 * keras.layers.Masking: a time step whose features all equal `maskValue` is masked for the layers
 * after it (recurrent layers skip it) and zeroed in the output.
 *
 * @example
 * ```ts
 * import { LSTM, Masking } from '@recur/keras';
 * import { tensor } from '@recur/tensor';
 * // The second sequence is padded with all-zero steps at the end: the LSTM skips them.
 * const x = tensor([[[1, 2], [3, 4], [5, 6]], [[1, 2], [0, 0], [0, 0]]]);
 * const masking = new Masking({ maskValue: 0 });
 * const lstm = new LSTM({ units: 4 });
 * const padded = lstm.apply(masking.apply(x), { mask: masking.computeMask(x) });
 * const short = lstm.apply(tensor([[[1, 2]]]));
 * console.log(Array.from(padded.dataSync().slice(4)).every((v, i) => Math.abs(v - short.dataSync()[i]) < 1e-6)); // true
 * ```
 */
export class Masking extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Masking';
  override get layerType(): string {
    return 'Masking';
  }

  /** Steps whose every feature equals this are masked (default 0). */
  readonly maskValue: number;

  constructor(options: MaskingOptions = {}) {
    checkOptions(options?.name ?? 'Masking', options, [...LAYER_ARG_KEYS, 'maskValue']);
    super(options);
    this.maskValue = options.maskValue ?? 0;
    this.supportsMasking = true;
    this.markBuilt();
  }

  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const keep = anyAlong(notEqual(x, this.maskValue), -1);
      return where(unsqueeze(keep, -1), x, 0);
    });
  }

  override computeMask(x: Tensor | Tensor[]): Mask {
    return anyAlong(notEqual(x as Tensor, this.maskValue), -1);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): Masking {
    return new Masking(config as MaskingOptions);
  }

  /** Its ONNX form: the mask of steps not all equal to maskValue, and the zeroed input. */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [maskingOnnx(ctx, this.maskValue, x)];
  }
}
