import { type Tensor, tidy } from '@recur/tensor';
import { Adam, crossEntropy, generate, type Optimizer, RecurrentLM, SGD, trainStep } from '@recur/train';
import { type Comparison, compareTensor, type FixtureTensor, loadTensor, type Tolerance } from './fixture-tensor';
import type { CaseOptions } from './layer-case';

/** A training trajectory of fixtures/torch/train_*.json (see fixtures/README.md). */
export interface TrainCase {
  config: {
    vocab: string[];
    embedding_dim: number;
    hidden_size: number;
    cell: 'RNN' | 'LSTM' | 'GRU';
    optimizer: 'sgd' | 'adam';
    lr: number;
    steps: number;
    clip_grad_norm: number | null;
  };
  init_params: Record<string, FixtureTensor>;
  inputs: { x: FixtureTensor; y: FixtureTensor };
  losses: number[];
  grad_norms_before_clip: number[];
  final_params: Record<string, FixtureTensor>;
  greedy_from_hello: string;
}

export function isTrainCase(json: unknown): json is TrainCase {
  const c = json as TrainCase;
  return !!c?.config?.optimizer && Array.isArray(c.losses) && !!c.init_params && !!c.final_params;
}

/** Losses and clipping norms: 1e-5 relative, as the training issue states; final weights: 1e-4. */
const LOSS_TOLERANCE: Tolerance = { atol: 0, rtol: 1e-5 };
const PARAM_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-4 };

function makeOptimizer(c: TrainCase['config'], model: RecurrentLM): Optimizer {
  const params = model.parameters();
  switch (c.optimizer) {
    case 'sgd':
      return new SGD(params, { lr: c.lr });
    case 'adam':
      return new Adam(params, { lr: c.lr });
    default:
      throw new Error(`train case: unknown optimizer '${(c as { optimizer: string }).optimizer}'`);
  }
}

const series = (values: number[]): FixtureTensor => ({ shape: [values.length], dtype: 'float64', data: values });

/**
 * Replays a training trajectory: the same start, batch, optimizer and clipping as PyTorch; every
 * step's loss, every clipping norm, the final weights and the greedy continuation of "hello".
 * Twice: with the loss as `model.loss` (the head and cross-entropy fused where the backend has
 * the kernel) and as `crossEntropy` of the logits; the second's comparisons are marked so.
 */
export async function runTrainCase(c: TrainCase, options: CaseOptions = {}): Promise<Comparison[]> {
  return [
    ...(await replay(c, options, (m, x, y) => m.loss(x, y).loss, '')),
    ...(await replay(c, options, (m, x, y) => crossEntropy(m.forward(x).logits, y), ' (crossEntropy of the logits)')),
  ];
}

type LossOf = (model: RecurrentLM, x: Tensor, y: Tensor) => Tensor;

async function replay(c: TrainCase, options: CaseOptions, lossOf: LossOf, suffix: string): Promise<Comparison[]> {
  const dtype = options.dtype ?? 'float32';
  const cfg = c.config;
  const model = new RecurrentLM({
    vocabSize: cfg.vocab.length,
    embeddingDim: cfg.embedding_dim,
    hiddenSize: cfg.hidden_size,
    cell: cfg.cell,
    dtype,
    fused: options.fused,
  });
  const optimizer = makeOptimizer(cfg, model);
  try {
    tidy(() => {
      model.loadStateDict(Object.fromEntries(Object.entries(c.init_params).map(([k, v]) => [k, loadTensor(v, dtype)])));
    });
    const x = loadTensor(c.inputs.x);
    const y = loadTensor(c.inputs.y);
    const losses: number[] = [];
    const norms: number[] = [];
    // The one training step every loop takes, replayed step by step against PyTorch's trajectory.
    for (let k = 0; k < cfg.steps; k++) {
      const step = await trainStep({
        optimizer,
        loss: () => lossOf(model, x, y),
        clipGradNorm: cfg.clip_grad_norm ?? undefined,
      });
      losses.push(step.loss);
      if (step.gradNorm !== undefined) norms.push(step.gradNorm);
    }
    x.dispose();
    y.dispose();
    const results: Comparison[] = tidy(() => [
      compareTensor('losses', tensorOf(losses), series(c.losses), LOSS_TOLERANCE),
      compareTensor('grad_norms_before_clip', tensorOf(norms), series(c.grad_norms_before_clip), LOSS_TOLERANCE),
      ...Object.entries(c.final_params).map(([name, want]) => {
        const p = model.stateDict()[name];
        if (!p) throw new Error(`train case: the model has no parameter '${name}'`);
        return compareTensor(`final ${name}`, p, want, PARAM_TOLERANCE);
      }),
    ]);
    const prompt = 'hello';
    const ids = await generate(
      model,
      [...prompt].map((ch) => cfg.vocab.indexOf(ch)),
      { greedy: true, maxTokens: c.greedy_from_hello.length - prompt.length },
    );
    const text = prompt + ids.map((i) => cfg.vocab[i]).join('');
    results.push({
      name: 'greedy_from_hello',
      shape: [text.length],
      maxAbsError: text === c.greedy_from_hello ? 0 : 1,
      maxRelError: 0,
      ok: text === c.greedy_from_hello,
      rule:
        text === c.greedy_from_hello
          ? 'same text'
          : `got ${JSON.stringify(text)}, want ${JSON.stringify(c.greedy_from_hello)}`,
    });
    return results.map((r) => ({ ...r, name: r.name + suffix }));
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

function tensorOf(values: number[]): Tensor {
  // float32 holds a loss to ~6e-8 relative, far inside the 1e-5 bound, and every backend has it.
  return loadTensor(series(values), 'float32');
}
