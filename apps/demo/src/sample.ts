import { generate } from '@recur/train';
import { UsageError } from './args';
import { loadLM } from './lm-checkpoint';

export interface SampleOptions {
  checkpoint: string;
  prompt: string;
  length: number;
  temperature: number;
  topK?: number;
  seed: number;
}

/**
 * Generates from a train-lm checkpoint, writing each character as it is produced. The prompt is
 * fed first (a newline starts a fresh name); returns the generated text.
 */
export async function sample(o: SampleOptions, write: (text: string) => void): Promise<string> {
  const { lm, vocab } = loadLM(o.checkpoint);
  try {
    const unknown = [...new Set([...o.prompt].filter((ch) => !vocab.has(ch)))];
    if (unknown.length) {
      throw new UsageError(
        `the prompt has characters this model never saw: ${unknown.map((c) => JSON.stringify(c)).join(', ')}`,
      );
    }
    const prompt = vocab.encode(`\n${o.prompt}`);
    write(o.prompt);
    const ids = await generate(lm, prompt, {
      maxTokens: o.length,
      temperature: o.temperature,
      topK: o.topK,
      seed: o.seed,
      onToken: (id) => write(vocab.decode([id])),
    });
    return o.prompt + vocab.decode(ids);
  } finally {
    lm.dispose();
  }
}
