import { atomicWriteFile } from '@recur/files/node';
import { loadNames } from './corpus';
import { loadLM } from './lm-checkpoint';
import type { Output } from './train-lm';
import { colouredText, FEATURES, type Feature, hiddenStates, rankUnits } from './units-core';

export { activationColor, colouredText, FEATURES, type Feature, hiddenStates, rankUnits } from './units-core';

export interface UnitsOptions {
  checkpoint: string;
  feature: Feature;
  text?: string;
  out: string;
  top: number;
}

/**
 * As in Karpathy's char-RNN analysis: run a text through a trained language model, find the
 * hidden units whose activation best tracks a feature, and colour each character by them.
 */
export function hiddenUnitPage(o: UnitsOptions, out: Output): { unit: number; r: number }[] {
  const { lm, vocab } = loadLM(o.checkpoint);
  try {
    const text = o.text ?? `${loadNames(11).slice(0, 40).join('\n')}\n`;
    const unknown = [...new Set([...text].filter((ch) => !vocab.has(ch)))];
    if (unknown.length) out.log(`note: characters the model never saw read as <unk>: ${unknown.join(' ')}`);
    const states = hiddenStates(lm, vocab.encode(text));
    const ranked = rankUnits(states, FEATURES[o.feature](text)).slice(0, o.top);
    const sections = ranked.map(
      ({ unit, r }) =>
        `<h2>unit ${unit}: correlation with “${o.feature}” ${r.toFixed(3)}</h2>\n<p class="text">${colouredText(
          text,
          states.map((s) => s[unit]),
        )}</p>`,
    );
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>recur: hidden units tracking ${o.feature}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}.text{font-family:monospace;font-size:15px;line-height:1.7}</style>
</head><body>
<h1>Which hidden units track “${o.feature}”?</h1>
<p>${lm.config.cell}(${lm.config.hiddenSize}) language model from <code>${o.checkpoint}</code>. Each character is coloured by the
unit's activation after reading it: red positive, blue negative. Units are ranked by the absolute correlation of their
activation with the feature over this text.</p>
${sections.join('\n')}
</body></html>
`;
    atomicWriteFile(o.out, new TextEncoder().encode(html));
    for (const { unit, r } of ranked) out.log(`unit ${unit}: correlation ${r.toFixed(3)}`);
    out.log(`wrote ${o.out}`);
    return ranked;
  } finally {
    lm.dispose();
  }
}
