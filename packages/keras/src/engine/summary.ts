import type { SymbolicShape } from './symbolic';

/** One row of a model summary. */
export interface SummaryRow {
  /** The layer's name. */
  name: string;
  /** The layer's class. */
  className: string;
  /** The output shape, a list of shapes for a layer with several outputs, or 'multiple' for a shared layer. */
  outputShape: SymbolicShape | SymbolicShape[] | 'multiple';
  /** Its parameter count. */
  params: number;
  /** `layer[node][tensor]` of each input (functional models). */
  connectedTo: string[];
}

/** Keras' shape notation: (None, 5, 3); a list of shapes as [(None, 8), (None, 8)]. */
export function formatOutputShape(shape: SummaryRow['outputShape']): string {
  if (shape === 'multiple') return 'multiple';
  const one = (s: SymbolicShape) =>
    `(${s.map((d) => (d === null ? 'None' : d)).join(', ')}${s.length === 1 ? ',' : ''})`;
  if (shape.length > 0 && Array.isArray(shape[0])) return `[${(shape as SymbolicShape[]).map(one).join(', ')}]`;
  return one(shape as SymbolicShape);
}

/**
 * The text of `model.summary()`, laid out as Keras 2 prints it: Layer (type), Output Shape,
 * Param # (and Connected to for functional models), then the totals.
 */
export function summaryTable(
  name: string,
  rows: SummaryRow[],
  options: { connected?: boolean; lineLength?: number },
  trainable: number,
): string {
  const total = rows.reduce((n, r) => n + r.params, 0);
  const connected = options.connected ?? false;
  const widths = connected ? [31, 25, 12, 33] : [33, 26, 12];
  const lineLength = options.lineLength ?? widths.reduce((a, b) => a + b, 0);
  const scale = lineLength / widths.reduce((a, b) => a + b, 0);
  const cols = widths.map((w) => Math.max(8, Math.floor(w * scale)));
  const width = cols.reduce((a, b) => a + b, 0);
  const cell = (text: string, w: number) => (text.length >= w ? `${text.slice(0, w - 1)} ` : text.padEnd(w));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => cell(c, cols[i]))
      .join('')
      .trimEnd();
  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(connected ? ['Connected to'] : [])];
  const out = [`Model: "${name}"`, '_'.repeat(width), line(header), '='.repeat(width)];
  rows.forEach((r, i) => {
    const links = connected ? (r.connectedTo.length ? r.connectedTo : ['']) : [''];
    out.push(
      line([
        `${r.name} (${r.className})`,
        formatOutputShape(r.outputShape),
        r.params.toLocaleString('en-US'),
        ...(connected ? [links[0]] : []),
      ]),
    );
    for (const extra of links.slice(1)) out.push(line(['', '', '', extra]));
    out.push(i < rows.length - 1 ? '_'.repeat(width) : '='.repeat(width));
  });
  if (rows.length === 0) out.push('='.repeat(width));
  out.push(
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
    '_'.repeat(width),
  );
  return out.join('\n');
}

/** `summary`'s options (Keras' line_length and print_fn, tfjs' lineLength and printFn). */
export interface SummaryOptions {
  /** The table's width in characters (default: the columns' own widths). */
  lineLength?: number;
  /** Called with each line of the table (default console.log, as Keras and tfjs print it). */
  print?: (line: string) => void;
}

/** Prints a summary line by line, as Keras' print_fn and tfjs' printFn receive it; returns the text. */
export function printSummary(text: string, options: SummaryOptions): string {
  const print = options.print ?? ((line: string) => console.log(line));
  for (const line of text.split('\n')) print(line);
  return text;
}
