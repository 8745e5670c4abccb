import type { Parameter } from '@recur/layers';
import { type DType, formatShape, ShapeError, type Tensor } from '@recur/tensor';

/**
 * One weight of a layer, as Keras' Variable and tfjs' LayerVariable show it: its name
 * (`layer/path/weight`, as tfjs names weights), shape, dtype and trainability, its value
 * (`value`, Keras; `read()`, tfjs) and a way to set it (`assign`, Keras; `write`, tfjs).
 */
export class LayerWeight {
  constructor(
    /** `layer/path/weight`, e.g. 'lstm/cell/kernel'. */
    readonly name: string,
    private readonly parameter: Parameter,
    private readonly layerTrainable: () => boolean,
  ) {}

  /** Its shape. */
  get shape(): readonly number[] {
    return this.parameter.shape;
  }

  /** Its dtype. */
  get dtype(): DType {
    return this.parameter.dtype;
  }

  /** Whether training updates it (false when the weight or its layer is frozen). */
  get trainable(): boolean {
    return this.parameter.trainable && this.layerTrainable();
  }

  /** Its current value (Keras' `variable.value`). */
  get value(): Tensor {
    return this.parameter.value;
  }

  /** Its current value (tfjs' `read()`). */
  read(): Tensor {
    return this.parameter.value;
  }

  /** Sets its value, of the same shape (Keras' `assign`); the previous tensor is disposed. */
  assign(value: Tensor): void {
    if (value.shape.join() !== this.shape.join()) {
      throw new ShapeError(
        `${this.name}: a value of ${formatShape(this.shape)} is expected, got ${formatShape(value.shape)}`,
      );
    }
    this.parameter.assign(value);
  }

  /** tfjs' name for `assign`. */
  write(value: Tensor): void {
    this.assign(value);
  }
}
