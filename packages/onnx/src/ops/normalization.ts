import { axis, input, num, type OpContext, type OpImpl } from './op';
import { reshapeTo2D } from './shape';
import { add, div, logSoftmax, mean, mul, reshape, softmax, sqrt, square, sub, type Tensor } from './tensor-ops';

/** LayerNormalization (opset 17): normalise over the axes from `axis` on; Mean and InvStdDev outputs keep those axes as 1. */
const layerNormalization: OpImpl = (c) => {
  const x = input(c, 0, 'X');
  const scale = input(c, 1, 'Scale');
  const bias = c.inputs[2];
  const a = axis(c, 'axis', -1, x.rank);
  const eps = num(c, 'epsilon', 1e-5);
  const axes = Array.from({ length: x.rank - a }, (_, i) => a + i);
  const mu = mean(x, axes, { keepDims: true });
  const centred = sub(x, mu);
  const invStd = div(1, sqrt(add(mean(square(centred), axes, { keepDims: true }), eps)));
  let y = mul(mul(centred, invStd), scale);
  if (bias) y = add(y, bias);
  return [y, c.outputs > 1 ? mu : undefined, c.outputs > 2 ? invStd : undefined];
};

/** Softmax and LogSoftmax: from opset 13 along one axis; before it, over the 2-D view [prod(:axis), prod(axis:)]. */
function softmaxLike(ctx: OpContext, f: (x: Tensor, axis: number) => Tensor): Tensor[] {
  const x = input(ctx, 0, 'input');
  const a = axis(ctx, 'axis', ctx.opset >= 13 ? -1 : 1, x.rank);
  if (ctx.opset >= 13) return [f(x, a)];
  return [reshape(f(reshapeTo2D(x, a), 1), x.shape)];
}

/** Operators that normalise along axes: LayerNormalization, Softmax, LogSoftmax. */
export const normalizationOps: Record<string, OpImpl> = {
  LayerNormalization: layerNormalization,
  Softmax: (c) => softmaxLike(c, softmax),
  LogSoftmax: (c) => softmaxLike(c, logSoftmax),
};
