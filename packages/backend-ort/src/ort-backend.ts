import type { Backend, BackendTensor, DType, Shape, TypedArray } from '@recur/backend-api';
import { allocTypedArray, sizeOf, UnsupportedError } from '@recur/backend-api';

const refuse = (what: string): never => {
  throw new UnsupportedError(
    `backend 'ort' runs whole compiled models (compile(model) or OrtModel.fromOnnx), not single ops like ${what}; training and op-by-op work need backend 'js' or 'tfjs'`,
  );
};

/**
 * The 'ort' entry of the backend registry: tensors can be created and read (they are feeds and
 * results), but ops and training are refused with an error that names the backends that train.
 */
export class OrtBackend implements Backend {
  readonly name = 'ort';
  fromValues(values: TypedArray, shape: Shape, dtype: DType): BackendTensor {
    return { data: values, shape: [...shape], dtype };
  }
  fill(shape: Shape, value: number, dtype: DType): BackendTensor {
    const data = allocTypedArray(dtype, sizeOf(shape));
    data.fill(value);
    return { data, shape: [...shape], dtype };
  }
  read(x: BackendTensor): TypedArray {
    return x.data as TypedArray;
  }
  dispose(): void {}
  reshape(x: BackendTensor, shape: Shape): BackendTensor {
    return { data: x.data, shape: [...shape], dtype: x.dtype };
  }
  // Every op is refused: onnxruntime runs whole models (compile(model)), not single ops.
  /** Refused: OrtBackend runs whole models, not ops. */
  unary = () => refuse('unary ops');
  /** Refused: OrtBackend runs whole models, not ops. */
  binary = () => refuse('binary ops');
  /** Refused: OrtBackend runs whole models, not ops. */
  compare = () => refuse('comparisons');
  /** Refused: OrtBackend runs whole models, not ops. */
  where = () => refuse('where');
  /** Refused: OrtBackend runs whole models, not ops. */
  cast = () => refuse('cast');
  /** Refused: OrtBackend runs whole models, not ops. */
  reduce = () => refuse('reductions');
  /** Refused: OrtBackend runs whole models, not ops. */
  argReduce = () => refuse('argMax');
  /** Refused: OrtBackend runs whole models, not ops. */
  matMul = () => refuse('matMul');
  /** Refused: OrtBackend runs whole models, not ops. */
  transpose = () => refuse('transpose');
  /** Refused: OrtBackend runs whole models, not ops. */
  broadcastTo = () => refuse('broadcastTo');
  /** Refused: OrtBackend runs whole models, not ops. */
  slice = () => refuse('slice');
  /** Refused: OrtBackend runs whole models, not ops. */
  concat = () => refuse('concat');
  /** Refused: OrtBackend runs whole models, not ops. */
  pad = () => refuse('pad');
  /** Refused: OrtBackend runs whole models, not ops. */
  gather = () => refuse('gather');
  /** Refused: OrtBackend runs whole models, not ops. */
  scatterAdd = () => refuse('scatterAdd');
}
