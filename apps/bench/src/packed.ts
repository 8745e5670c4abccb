import { valueAndGradsOf } from '@recur/autograd';
import { packPaddedSequence, padPackedSequence } from '@recur/data';
import { LSTM } from '@recur/layers';
import { Rng, randomNormal, setBackend, sum, type Tensor, tidy } from '@recur/tensor';
import { type Row, timeMedian } from './timing';

/**
 * Packed against padded, forward + backward: LSTM(128 → 256), B = 32, T = 64, lengths uniform in
 * [8, 64] (about 45% padding). The padded run processes every step; the packed one only real tokens.
 */
export async function benchPackedVsPadded(): Promise<Row[]> {
  setBackend('js');
  const [B, T, I, H] = [32, 64, 128, 256];
  const rng = new Rng(5);
  const lengths = Array.from({ length: B }, () => 8 + rng.int(T - 8 + 1));
  const realTokens = lengths.reduce((a, b) => a + b, 0);
  const layer = new LSTM(I, H, { batchFirst: true });
  const x = randomNormal([B, T, I], 0, 1, { seed: 6 });
  const params = layer.parameters().map((p) => p.value);
  const step = (f: () => Tensor) => () =>
    tidy(() => {
      valueAndGradsOf(f, params);
    });
  const workload = `LSTM fwd+bwd 32×64, ${((1 - realTokens / (B * T)) * 100).toFixed(0)}% padding`;
  const rows: Row[] = [];
  const padded = await timeMedian(
    step(() => sum(layer.forward(x).output)),
    6000,
    5,
  );
  rows.push({ workload, contender: 'recur padded', ms: padded, rate: (B * T * 1000) / padded });
  const packed = await timeMedian(
    step(() => {
      const p = packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
      return sum(padPackedSequence(layer.forward(p).output, { batchFirst: true }).output);
    }),
    6000,
    5,
  );
  rows.push({
    workload,
    contender: 'recur packed',
    ms: packed,
    rate: (realTokens * 1000) / packed,
    note: 'real tokens/s',
  });
  x.dispose();
  layer.dispose();
  return rows;
}
