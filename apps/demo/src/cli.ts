#!/usr/bin/env node
import { relative, resolve } from 'node:path';
import { cliProgram, runCli } from '@recur/cli';
import { Option } from 'commander';
import { decimal, existingFile, integer } from './args';
import { TRAINING_BACKENDS, type TrainingBackend, useBackend } from './backends';
import { classify } from './classify';
import { compareBackends } from './compare';
import { exportLM } from './export-lm';
import { runHello } from './hello';
import { FEATURES, type Feature, hiddenUnitPage } from './hidden-units';
import type { LMCell } from './lm-checkpoint';
import { sample } from './sample';
import { type Output, trainLM } from './train-lm';
import { gradientReach } from './vanishing-gradients';

/**
 * Paths are relative to where the user typed the command: `pnpm demo` runs this in apps/demo, but
 * pnpm (and npm) pass the directory it was started from as INIT_CWD.
 */
const path = (p: string) => resolve(process.env.INIT_CWD ?? process.cwd(), p);

/** A path as the user would type it here: relative below this folder, absolute elsewhere. */
const shortPath = (p: string) => {
  const rel = relative(path('.'), p);
  return rel.startsWith('..') ? p : rel;
};

const out: Output = { log: (line) => console.log(line), interactive: Boolean(process.stderr.isTTY) };

/** Ctrl-C asks the running job to stop after its current batch (it then saves); a second one exits at once. */
function interruptible(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log('\nstopping after this batch (Ctrl-C again to quit now)…');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  return controller.signal;
}

const program = cliProgram('recur-demo', 'recur demo: recurrent networks in TypeScript, trained and run on real data');

const backendOption = () =>
  new Option('--backend <name>', 'where tensors live and kernels run')
    .choices([...TRAINING_BACKENDS])
    .default('js' as TrainingBackend);

program
  .command('train-lm', { isDefault: true })
  .description('train a character-level language model on English first names, then make up new ones')
  .option('--hidden <n>', 'hidden units', integer(1, 4096), 256)
  .option('--embedding <n>', 'embedding size', integer(1, 4096), 32)
  .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['LSTM', 'GRU', 'RNN']).default('LSTM'))
  .option('--epochs <n>', 'passes over the names', integer(1, 1000), 10)
  .option('--batch <n>', 'sequences per batch', integer(1, 4096), 32)
  .option('--seq-len <n>', 'characters per window (truncated BPTT)', integer(1, 4096), 48)
  .option('--lr <x>', 'Adam learning rate', decimal(0, 10, { exclusiveMin: true }), 0.004)
  .option('--seed <n>', 'random seed', integer(0), 1)
  .option('--max-batches <n>', 'stop each epoch after this many batches', integer(1))
  .option('--samples <n>', 'names to print after each epoch', integer(0, 100), 8)
  .option('--out <dir>', 'folder for lm.safetensors and loss.svg', 'runs/names')
  .addOption(backendOption())
  .action(async (o) => {
    await useBackend(o.backend);
    const r = await trainLM(
      {
        hidden: o.hidden,
        embedding: o.embedding,
        cell: o.cell as LMCell,
        epochs: o.epochs,
        batch: o.batch,
        seqLen: o.seqLen,
        lr: o.lr,
        seed: o.seed,
        out: path(o.out),
        maxBatches: o.maxBatches,
        samples: o.samples,
      },
      out,
      interruptible(),
    );
    if (r.stoppedBy === 'abort') process.exitCode = 130;
    else out.log(`try: node ${shortPath(process.argv[1])} sample --checkpoint ${shortPath(r.checkpoint)} --prompt Ma`);
  });

program
  .command('sample')
  .description('generate text from a train-lm checkpoint, streaming characters')
  .option('--checkpoint <file>', 'checkpoint written by train-lm', 'runs/names/lm.safetensors')
  .option('--prompt <text>', 'start of the text (a name, say)', '')
  .option('--length <n>', 'characters to generate', integer(1, 100000), 200)
  .option('--temperature <x>', 'sampling temperature (0 = greedy)', decimal(0, 100), 0.8)
  .option('--top-k <n>', 'sample among the k most likely characters', integer(1))
  .option('--seed <n>', 'random seed', integer(0), 1)
  .action(async (o) => {
    await sample(
      {
        checkpoint: existingFile(path(o.checkpoint), 'checkpoint'),
        prompt: o.prompt,
        length: o.length,
        temperature: o.temperature,
        topK: o.topK,
        seed: o.seed,
      },
      (text) => process.stdout.write(text),
    );
    process.stdout.write('\n');
  });

program
  .command('classify')
  .description('train a spam filter (Embedding → BiLSTM → Linear, packed batches) on the SpamAssassin corpus')
  .option('--limit <n>', 'messages to use (0 = all 6,046)', integer(0), 0)
  .option('--maxlen <n>', 'words read from each message', integer(1, 10000), 64)
  .option('--vocab-size <n>', 'most frequent words kept', integer(10, 1000000), 5000)
  .option('--embedding <n>', 'embedding size', integer(1, 4096), 32)
  .option('--hidden <n>', 'hidden units per direction', integer(1, 4096), 32)
  .option('--epochs <n>', 'passes over the training split', integer(1, 1000), 4)
  .option('--batch <n>', 'messages per batch', integer(1, 4096), 32)
  .option('--lr <x>', 'Adam learning rate', decimal(0, 10, { exclusiveMin: true }), 0.005)
  .option('--seed <n>', 'random seed', integer(0), 1)
  .option('--out <dir>', 'folder for spam-classifier.safetensors', 'runs/spam')
  .option('--predict <text...>', 'texts to classify after training')
  .addOption(backendOption())
  .action(async (o) => {
    await useBackend(o.backend);
    await classify(
      {
        limit: o.limit,
        maxlen: o.maxlen,
        vocabSize: o.vocabSize,
        embedding: o.embedding,
        hidden: o.hidden,
        epochs: o.epochs,
        batch: o.batch,
        lr: o.lr,
        seed: o.seed,
        out: path(o.out),
        predict: o.predict ?? [],
      },
      out,
      interruptible(),
    );
  });

program
  .command('export')
  .description('write a train-lm checkpoint as ONNX and check it in onnxruntime-node')
  .option('--checkpoint <file>', 'checkpoint written by train-lm', 'runs/names/lm.safetensors')
  .option('--out <file>', 'ONNX file to write', 'runs/names/lm.onnx')
  .action(async (o) => {
    await exportLM(existingFile(path(o.checkpoint), 'checkpoint'), path(o.out), out);
  });

program
  .command('compare')
  .description(
    'run one checkpoint on backend-js, TensorFlow.js (cpu, wasm) and onnxruntime-node: agreement and timings',
  )
  .option('--checkpoint <file>', 'checkpoint written by train-lm', 'runs/names/lm.safetensors')
  .option('--runs <n>', 'timed runs per backend', integer(1, 1000), 10)
  .action(async (o) => {
    await compareBackends(existingFile(path(o.checkpoint), 'checkpoint'), o.runs, out);
  });

program
  .command('units')
  .description('colour a text by the hidden units of a trained model that best track a feature (HTML)')
  .option('--checkpoint <file>', 'checkpoint written by train-lm', 'runs/names/lm.safetensors')
  .addOption(
    new Option('--feature <name>', 'what the units should track').choices(Object.keys(FEATURES)).default('position'),
  )
  .option('--text <text>', 'text to read (default: 40 names)')
  .option('--top <n>', 'units to show', integer(1, 64), 3)
  .option('--out <file>', 'HTML page to write', 'runs/names/units.html')
  .action((o) => {
    hiddenUnitPage(
      {
        checkpoint: existingFile(path(o.checkpoint), 'checkpoint'),
        feature: o.feature as Feature,
        text: o.text,
        top: o.top,
        out: path(o.out),
      },
      out,
    );
  });

program
  .command('gradients')
  .description('the vanishing-gradient picture: SimpleRNN against LSTM against GRU (SVG)')
  .option('--steps <n>', 'sequence length', integer(2, 1000), 60)
  .option('--hidden <n>', 'hidden units', integer(1, 4096), 64)
  .option('--batch <n>', 'sequences averaged', integer(1, 4096), 16)
  .option('--seed <n>', 'random seed', integer(0), 1)
  .option('--out <file>', 'SVG file to write', 'runs/gradients.svg')
  .action((o) => {
    gradientReach({ steps: o.steps, hidden: o.hidden, batch: o.batch, seed: o.seed, out: path(o.out) }, out);
  });

program
  .command('hello')
  .description('run the Keras "hello" SimpleRNN with its given weights and print the predicted characters')
  .action(() => {
    const { predicted } = runHello();
    console.log('Keras "hello" SimpleRNN(3) + Dense(5) reads h e l l o and predicts, one step at a time:');
    console.log(predicted.join(' '));
  });

// A usage error or a recur error (a bad checkpoint, a bad model file) is bad input: one line, exit 2.
void runCli(program);
