import { axis, input, num, type OpImpl } from './op';
import { add, div, mean, mul, sqrt, square, sub } from './tensor-ops';

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

export const normalizationOps: Record<string, OpImpl> = { LayerNormalization: layerNormalization };
