import { valueAndGrads } from '@recur/autograd';
import { Vocab } from '@recur/data';
import { atomicWriteFile } from '@recur/files/node';
import { dispose, Rng, slice, squeeze, tensor, tidy } from '@recur/tensor';
import { crossEntropy, RecurrentLM } from '@recur/train';
import { loadNames } from './corpus';
import type { LMCell } from './lm-checkpoint';
import { lineChart } from './svg-chart';
import type { Output } from './train-lm';

export interface GradientOptions {
  steps: number;
  hidden: number;
  batch: number;
  seed: number;
  out: string;
}

/**
 * The vanishing-gradient picture: for a language model with each cell (same data, same sizes,
 * PyTorch's initialisation), the norm of the gradient of the last step's loss with respect to
 * the input at each earlier step. A SimpleRNN's shrinks geometrically with distance; the gated
 * cells carry it much further.
 */
export function gradientReach(o: GradientOptions, out: Output): Record<LMCell, number[]> {
  const text = `${loadNames(5).join('\n')}\n`;
  const vocab = Vocab.build([text], { tokenizer: 'char', specials: { pad: null, unk: '<unk>', bos: null, eos: null } });
  const ids = vocab.encode(text);
  const rng = new Rng(o.seed);
  const T = o.steps;
  const rows = Array.from({ length: o.batch }, () => {
    const start = rng.int(ids.length - T - 2);
    return ids.slice(start, start + T + 1);
  });
  const x = tensor(
    rows.map((r) => r.slice(0, T)),
    { dtype: 'int32' },
  );
  const target = tensor(
    rows.map((r) => r[T]),
    { dtype: 'int32' },
  );
  const result = {} as Record<LMCell, number[]>;
  for (const cell of ['RNN', 'LSTM', 'GRU'] as const) {
    const lm = new RecurrentLM({
      vocabSize: vocab.size,
      embeddingDim: 32,
      hiddenSize: o.hidden,
      cell,
      rng: new Rng(o.seed),
    });
    const norms = tidy(() => {
      const e = lm.embedding.forward(x);
      const { grads } = valueAndGrads((input) => {
        const logits = lm.head.forward(lm.rnn.forward(input).output); // [B, T, V]
        const last = squeeze(slice(logits, [0, T - 1, 0], [-1, 1, -1]), 1);
        return crossEntropy(last, target);
      })([e]);
      // ‖∂loss/∂x_t‖ averaged over the batch, for t = T−1 (the loss's own step) back to 0.
      const g = grads[0].dataSync(); // [B, T, E]
      const E = grads[0].shape[2];
      return Array.from({ length: T }, (_, back) => {
        const t = T - 1 - back;
        let mean = 0;
        for (let b = 0; b < o.batch; b++) {
          let sq = 0;
          for (let k = 0; k < E; k++) sq += g[(b * T + t) * E + k] ** 2;
          mean += Math.sqrt(sq) / o.batch;
        }
        return mean;
      });
    });
    result[cell] = norms;
    lm.dispose();
  }
  dispose([x, target]);
  const svg = lineChart(
    (['RNN', 'LSTM', 'GRU'] as const).map((cell) => ({
      label: cell === 'RNN' ? 'SimpleRNN' : cell,
      values: result[cell],
    })),
    {
      title: `Gradient reaching each earlier step (hidden ${o.hidden}, untrained, same data)`,
      xLabel: 'steps back from the loss',
      yLabel: '‖∂loss / ∂input‖',
      logY: true,
    },
  );
  atomicWriteFile(o.out, new TextEncoder().encode(svg));
  for (const cell of ['RNN', 'LSTM', 'GRU'] as const) {
    const v = result[cell];
    const at = (k: number) => v[Math.min(k, v.length - 1)].toExponential(1);
    out.log(
      `${(cell === 'RNN' ? 'SimpleRNN' : cell).padEnd(9)} gradient norm 0 / 10 / 25 / ${T - 1} steps back: ${at(0)} / ${at(10)} / ${at(25)} / ${at(T - 1)}`,
    );
  }
  out.log(`wrote ${o.out}`);
  return result;
}
