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
  unary = () => refuse('unary ops');
  binary = () => refuse('binary ops');
  compare = () => refuse('comparisons');
  where = () => refuse('where');
  cast = () => refuse('cast');
  reduce = () => refuse('reductions');
  argReduce = () => refuse('argMax');
  matMul = () => refuse('matMul');
  transpose = () => refuse('transpose');
  broadcastTo = () => refuse('broadcastTo');
  slice = () => refuse('slice');
  concat = () => refuse('concat');
  pad = () => refuse('pad');
  gather = () => refuse('gather');
  scatterAdd = () => refuse('scatterAdd');
}
