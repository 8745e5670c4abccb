/**
 * The child process that runs cases: `worker.ts <target> <seed> <from> <to> <scratch>`. It tells
 * the parent when each case starts and how it ended, so the parent can time it out (a hang) or
 * see the process die under it (a crash).
 */
import { mkdirSync } from 'node:fs';
import { classify } from './outcome';
import { Chooser, caseSeed } from './random';
import { TARGETS } from './targets';

const [targetName, seedArg, fromArg, toArg, scratch] = process.argv.slice(2);
const target = TARGETS[targetName];
const send = (m: unknown) => new Promise<void>((done) => process.send?.(m, () => done()));

async function main(): Promise<void> {
  mkdirSync(scratch, { recursive: true });
  const seeds = await target.seeds();
  const seed = Number(seedArg);
  for (let i = Number(fromArg); i < Number(toArg); i++) {
    const c = new Chooser(caseSeed(seed, i));
    const base = c.pick(seeds);
    await send({ type: 'start', index: i });
    // Outside the try: a bug of the harness itself stops the run (it shows as a crash), not as a finding.
    const kase = target.mutate(c, base);
    let result: { outcome: string; message: string };
    try {
      const verdict = await target.run(kase, scratch);
      result = verdict ? { outcome: 'invalid', message: verdict.invalid } : { outcome: 'accepted', message: '' };
    } catch (e) {
      result = classify(e);
    }
    await send({ type: 'done', index: i, seed: base.name, ...result });
  }
  process.disconnect?.();
}

main().catch((e) => {
  console.error(e);
  process.exit(3);
});
