import { valueAndGradsOf } from '@recur/autograd';
import { packPaddedSequence, padPackedSequence } from '@recur/data';
import { Embedding, Linear, Module, type TorchRecurrent } from '@recur/layers';
import { dispose, keep, type Tensor, tensor, tidy } from '@recur/tensor';
import { crossEntropy } from '@recur/train';
import {
  type Comparison,
  compareTensor,
  type FixtureTensor,
  FLOAT32_TOLERANCE,
  FLOAT64_TOLERANCE,
  loadTensor,
} from './fixture-tensor';
import { buildTorchLayer, type CaseOptions } from './layer-case';

/** A packed tagger case of fixtures/torch/packed_*.json (see fixtures/README.md). */
export interface PackedCase {
  config: {
    kind: 'RNN' | 'LSTM' | 'GRU';
    vocab_size: number;
    embedding_dim: number;
    padding_idx: number;
    hidden_size: number;
    num_classes: number;
    ignore_index: number;
    batch_first: boolean;
    num_layers?: number;
    bidirectional?: boolean;
    nonlinearity?: 'tanh' | 'relu';
  };
  params: Record<string, FixtureTensor>;
  inputs: { tokens: FixtureTensor; lengths: FixtureTensor; tags: FixtureTensor };
  outputs: Record<string, FixtureTensor | number>;
  grads: Record<string, FixtureTensor>;
}

export function isPackedCase(json: unknown): json is PackedCase {
  const c = json as PackedCase;
  return !!c?.config?.kind && !!c.inputs?.tokens && !!c.inputs?.lengths && !!c.inputs?.tags && !!c.params;
}

/** embedding → pack → recurrent layer → unpack → linear head, with PyTorch's parameter names. */
class Tagger extends Module {
  readonly embedding: Embedding;
  readonly rnn: TorchRecurrent;
  readonly head: Linear;

  constructor(c: PackedCase['config'], options: CaseOptions) {
    super('tagger');
    const dtype = options.dtype ?? 'float32';
    this.embedding = this.registerModule(
      'embedding',
      new Embedding(c.vocab_size, c.embedding_dim, { paddingIdx: c.padding_idx, dtype }),
    );
    this.rnn = this.registerModule(
      'rnn',
      buildTorchLayer(
        {
          kind: c.kind,
          input_size: c.embedding_dim,
          hidden_size: c.hidden_size,
          batch_first: c.batch_first,
          num_layers: c.num_layers,
          bidirectional: c.bidirectional,
          nonlinearity: c.nonlinearity,
        },
        options,
      ),
    );
    const dirs = c.bidirectional ? 2 : 1;
    this.head = this.registerModule('head', new Linear(c.hidden_size * dirs, c.num_classes, { dtype }));
  }
}

/**
 * Runs a packed tagger case: the packed data and its layout, the padded output, h_n / c_n, the
 * logits, the loss (cross-entropy with ignore_index, mean over counted targets) and the gradient
 * of every parameter.
 */
export function runPackedCase(c: PackedCase, options: CaseOptions = {}): Comparison[] {
  const dtype = options.dtype ?? 'float32';
  const tol = dtype === 'float64' ? FLOAT64_TOLERANCE : FLOAT32_TOLERANCE;
  const model = new Tagger(c.config, options);
  try {
    return tidy(() => {
      model.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, loadTensor(v, dtype)])));
      const tokens = loadTensor(c.inputs.tokens);
      const lengths = Array.from(loadTensor(c.inputs.lengths).dataSync());
      const tags = loadTensor(c.inputs.tags);
      const named = model.namedParameters();
      const got: Record<string, Tensor> = {};
      let batchSizes: readonly number[] = [];
      let sortedIndices: readonly number[] = [];
      let outputLens: number[] = [];
      const { value, grads } = valueAndGradsOf(
        () => {
          const embedded = model.embedding.forward(tokens);
          const packed = packPaddedSequence(embedded, lengths, {
            batchFirst: c.config.batch_first,
            enforceSorted: false,
          });
          const r = model.rnn.forward(packed);
          batchSizes = r.output.batchSizes;
          sortedIndices = r.output.sortedIndices;
          const { output, lengths: lens } = padPackedSequence(r.output, { batchFirst: c.config.batch_first });
          outputLens = lens;
          const logits = model.head.forward(output);
          got.packed_data = keep(r.output.data);
          got.output_padded = keep(output);
          got.h_n = keep(r.hN);
          if (r.cN) got.c_n = keep(r.cN);
          got.logits = keep(logits);
          return crossEntropy(logits, tags, { ignoreIndex: c.config.ignore_index });
        },
        named.map(([, p]) => p.value),
      );
      got.packed_batch_sizes = tensor(batchSizes as number[], { dtype: 'int32' });
      got.packed_sorted_indices = tensor(sortedIndices as number[], { dtype: 'int32' });
      got.output_lens = tensor(outputLens, { dtype: 'int32' });
      got.loss = value;
      const results: Comparison[] = [];
      for (const [name, want] of Object.entries(c.outputs)) {
        const w: FixtureTensor = typeof want === 'number' ? { shape: [], dtype: 'float64', data: [want] } : want;
        if (!got[name]) throw new Error(`packed case: the pipeline produced no '${name}'`);
        results.push(compareTensor(name, got[name], w, tol));
      }
      const gradNames = named.map(([n]) => n);
      for (const [name, want] of Object.entries(c.grads)) {
        const k = gradNames.indexOf(name);
        if (k < 0) throw new Error(`packed case: no parameter '${name}' (have ${gradNames.join(', ')})`);
        results.push(compareTensor(`grad ${name}`, grads[k], want, tol));
      }
      dispose(got);
      return results;
    });
  } finally {
    model.dispose();
  }
}
