import { Dense, Embedding, Input, LSTM, Model, optimizers } from '@recur/keras';
import { argMax, dispose, manualSeed, Rng, type Tensor, tensor, tidy } from '@recur/tensor';

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** A date written the ways people write them, and its ISO 8601 form. */
export function writeDate(rng: Rng): { human: string; iso: string } {
  // Any day from 1950-01-01 to 2049-12-31.
  const t = Date.UTC(1950, 0, 1) + rng.int(36524) * 86_400_000;
  const d = new Date(t);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
  const month = MONTHS[m - 1];
  const weekday = DAYS[(d.getUTCDay() + 6) % 7];
  const forms = [
    `${month} ${day}, ${y}`,
    `${month.slice(0, 3)} ${day} ${y}`,
    `${day} ${month} ${y}`,
    `${day} ${month.slice(0, 3)} ${y}`,
    `${pad2(m)}/${pad2(day)}/${y}`,
    `${weekday.slice(0, 3)}, ${month.slice(0, 3)} ${day}, ${y}`,
    `${day}.${m}.${y}`,
    `${y}, ${month} ${day}`,
  ];
  return {
    human: rng.int(2) ? forms[rng.int(forms.length)] : forms[rng.int(forms.length)].toUpperCase(),
    iso: `${y}-${pad2(m)}-${pad2(day)}`,
  };
}

const IN = ' ,./0123456789abcdefghijklmnopqrstuvwxyz';
const OUT = '0123456789-';
const START = OUT.length; // the decoder's first input
const IN_LEN = 24;
const OUT_LEN = 10;

/** Character ids, padded in front (0) as Keras' pad_sequences does: the encoder ends on the date's last character. */
function encodeHuman(s: string): number[] {
  const ids = Array.from(s.toLowerCase(), (ch) => IN.indexOf(ch) + 1).slice(0, IN_LEN);
  return [...new Array(IN_LEN - ids.length).fill(0), ...ids];
}

export interface DatesOptions {
  samples: number;
  epochs: number;
  units: number;
  seed: number;
  log: (line: string) => void;
}

export interface DatesResult {
  /** Held-out dates decoded exactly right (all 10 characters), greedy decoding. */
  exactMatch: number;
  /** Held-out characters right. */
  charAccuracy: number;
  examples: { human: string; decoded: string; iso: string }[];
}

/**
 * The Keras seq2seq recipe with the functional API: the encoder LSTM reads the written date and
 * hands its final states to the decoder LSTM, which is trained with teacher forcing (it reads the
 * right answer shifted by one). Inference uses two models built from the same trained layers:
 * the encoder gives the states, the decoder runs one character at a time, greedily.
 */
export async function trainDates(o: DatesOptions): Promise<DatesResult> {
  manualSeed(o.seed);
  const rng = new Rng(o.seed);
  const data = Array.from({ length: o.samples + 500 }, () => writeDate(rng));
  const train = data.slice(0, o.samples);
  const test = data.slice(o.samples);
  const tensors = (rows: { human: string; iso: string }[]) => ({
    enc: tensor(
      rows.map((r) => encodeHuman(r.human)),
      { dtype: 'int32' },
    ),
    decIn: tensor(
      rows.map((r) => [START, ...Array.from(r.iso.slice(0, -1), (ch) => OUT.indexOf(ch))]),
      { dtype: 'int32' },
    ),
    target: tensor(rows.map((r) => Array.from(r.iso, (ch) => OUT.indexOf(ch)))),
  });

  const encoderInputs = Input({ shape: [IN_LEN], dtype: 'int32', name: 'written' });
  const encoded = new Embedding({ inputDim: IN.length + 1, outputDim: 16 }).apply(encoderInputs);
  const [, stateH, stateC] = new LSTM({ units: o.units, returnState: true, name: 'encoder' }).apply(encoded);
  const decoderInputs = Input({ shape: [null], dtype: 'int32', name: 'iso_so_far' });
  const decoderEmbedding = new Embedding({ inputDim: OUT.length + 1, outputDim: 8 });
  const decoderLstm = new LSTM({ units: o.units, returnSequences: true, returnState: true, name: 'decoder' });
  const [decoded] = decoderLstm.apply(decoderEmbedding.apply(decoderInputs), { initialState: [stateH, stateC] });
  const next = new Dense({ units: OUT.length, activation: 'softmax', name: 'next_char' });
  const model = new Model({ inputs: [encoderInputs, decoderInputs], outputs: next.apply(decoded) });
  model.compile({
    optimizer: optimizers.adam({ learningRate: 0.005 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const t = tensors(train);
  const history = await model.fit([t.enc, t.decIn], t.target, {
    epochs: o.epochs,
    batchSize: 64,
    validationSplit: 0.1,
    verbose: 0,
    seed: o.seed,
  });
  history.history.loss.forEach((l, e) =>
    o.log(
      `epoch ${e + 1}: loss ${l.toFixed(3)}, validation character accuracy ${history.history.val_accuracy[e].toFixed(3)}`,
    ),
  );

  // Inference models sharing the trained layers.
  const encoderModel = new Model({ inputs: encoderInputs, outputs: [stateH, stateC] });
  const hIn = Input({ shape: [o.units] });
  const cIn = Input({ shape: [o.units] });
  const [stepOut, h, c] = decoderLstm.apply(decoderEmbedding.apply(decoderInputs), { initialState: [hIn, cIn] });
  const decoderModel = new Model({ inputs: [decoderInputs, hIn, cIn], outputs: [next.apply(stepOut), h, c] });

  const v = tensors(test);
  let [hs, cs] = encoderModel.predict(v.enc) as Tensor[];
  let token = tensor(
    test.map(() => [START]),
    { dtype: 'int32' },
  );
  const out: string[] = test.map(() => '');
  for (let step = 0; step < OUT_LEN; step++) {
    const [probs, h2, c2] = decoderModel.predict([token, hs, cs]) as Tensor[];
    const best = tidy(() => argMax(probs, -1));
    Array.from(best.dataSync()).forEach((id, i) => {
      out[i] += OUT[id];
    });
    dispose([token, hs, cs, probs]);
    token = best;
    hs = h2;
    cs = c2;
  }
  dispose([token, hs, cs, t.enc, t.decIn, t.target, v.enc, v.decIn, v.target]);
  let chars = 0;
  test.forEach((r, i) => {
    for (let k = 0; k < OUT_LEN; k++) chars += out[i][k] === r.iso[k] ? 1 : 0;
  });
  model.dispose();
  return {
    exactMatch: test.filter((r, i) => out[i] === r.iso).length / test.length,
    charAccuracy: chars / (test.length * OUT_LEN),
    examples: test.slice(0, 6).map((r, i) => ({ human: r.human, decoded: out[i], iso: r.iso })),
  };
}
