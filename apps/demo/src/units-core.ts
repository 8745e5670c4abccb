import { noGrad } from '@recur/autograd';
import { tensor, tidy } from '@recur/tensor';
import type { RecurrentLM } from '@recur/train';

// The parts of the hidden-unit picture that run anywhere: the CLI's HTML page and the web page share them.

/** Features a hidden unit might track, one value per character of the text. */
export const FEATURES = {
  /** Characters since the start of the line (the name), scaled to [0, 1]. */
  position: (text: string) => {
    const out: number[] = [];
    let k = 0;
    for (const ch of text) {
      out.push(Math.min(k, 12) / 12);
      k = ch === '\n' ? 0 : k + 1;
    }
    return out;
  },
  vowel: (text: string) => [...text].map((ch) => ('aeiouy'.includes(ch.toLowerCase()) ? 1 : 0)),
  /** Inside "double quotes" (the classic char-RNN quote-detecting cell). */
  quotes: (text: string) => {
    let inside = false;
    return [...text].map((ch) => {
      if (ch === '"') inside = !inside;
      return inside ? 1 : 0;
    });
  },
  /** The next character ends the line: the model expects the name to end here. */
  'line-end': (text: string) => [...text].map((_, i) => (text[i + 1] === '\n' ? 1 : 0)),
} as const;
export type Feature = keyof typeof FEATURES;

/** Hidden state after each character: [T][H]. */
export function hiddenStates(lm: RecurrentLM, ids: number[]): number[][] {
  return noGrad(() =>
    tidy(() => {
      const x = tensor([ids], { dtype: 'int32' });
      const h = lm.rnn.forward(lm.embedding.forward(x)).output; // [1, T, H]; the rest is freed with the scope
      const v = h.dataSync();
      const H = h.shape[2];
      return ids.map((_, t) => Array.from(v.subarray(t * H, (t + 1) * H)));
    }),
  );
}

function correlation(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa && sbb ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Units ordered by how well their activation tracks the feature (|Pearson correlation|). */
export function rankUnits(states: number[][], feature: number[]): { unit: number; r: number }[] {
  const H = states[0]?.length ?? 0;
  return Array.from({ length: H }, (_, u) => ({
    unit: u,
    r: correlation(
      states.map((s) => s[u]),
      feature,
    ),
  })).sort((x, y) => Math.abs(y.r) - Math.abs(x.r));
}

const escapeHtml = (ch: string) =>
  ch === '\n' ? '↵<br>' : ch === ' ' ? '&nbsp;' : ch.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Blue (−1) through white (0) to red (+1). */
export function activationColor(v: number): string {
  const a = Math.max(-1, Math.min(1, v));
  const fade = (x: number) => Math.round(255 - 255 * x * 0.85);
  return a >= 0 ? `rgb(255,${fade(a)},${fade(a)})` : `rgb(${fade(-a)},${fade(-a)},255)`;
}

/** One unit's activation colouring each character, as HTML. */
export function colouredText(text: string, activations: number[]): string {
  return [...text]
    .map(
      (ch, i) =>
        `<span title="${activations[i].toFixed(3)}" style="background:${activationColor(activations[i])}">${escapeHtml(ch)}</span>`,
    )
    .join('');
}
