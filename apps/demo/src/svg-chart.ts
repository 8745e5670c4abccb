/** A small line chart as a standalone SVG document: no plotting dependency for a few polylines. */
export interface Series {
  label: string;
  values: number[];
  /** x of each value (default 0, 1, 2, …) */
  x?: number[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Plot log10(y) (for gradient norms spanning many orders of magnitude). */
  logY?: boolean;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function ticks(lo: number, hi: number, count: number): number[] {
  if (hi <= lo) return [lo];
  const step = 10 ** Math.floor(Math.log10((hi - lo) / count));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= count) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-12; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

export function lineChart(series: Series[], o: ChartOptions): string {
  const W = o.width ?? 720;
  const H = o.height ?? 420;
  const m = { left: 70, right: 160, top: 40, bottom: 50 };
  const ys = (s: Series) => s.values.map((v) => (o.logY ? Math.log10(Math.max(v, 1e-30)) : v));
  const points = series.map((s) => ({ s, x: s.x ?? s.values.map((_, i) => i), y: ys(s) }));
  const finite = (v: number) => Number.isFinite(v);
  const allX = points.flatMap((p) => p.x).filter(finite);
  const allY = points.flatMap((p) => p.y).filter(finite);
  const [x0, x1] = allX.length ? [Math.min(...allX), Math.max(...allX)] : [0, 1];
  let [y0, y1] = allY.length ? [Math.min(...allY), Math.max(...allY)] : [0, 1];
  if (y1 - y0 < 1e-12) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * (W - m.left - m.right);
  const py = (y: number) => H - m.bottom - ((y - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img">`,
    // The title element names the chart for screen readers (and satisfies linters of SVG files).
    `<title>${escapeXml(o.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(o.title)}</text>`,
  ];
  for (const t of ticks(y0, y1, 6)) {
    const label = o.logY ? `1e${t}` : String(t);
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 6}" y="${py(t) + 4}" text-anchor="end">${label}</text>`);
  }
  for (const t of ticks(x0, x1, 8)) {
    parts.push(`<text x="${px(t)}" y="${H - m.bottom + 18}" text-anchor="middle">${t}</text>`);
  }
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${H - m.bottom}" stroke="black"/>`,
    `<line x1="${m.left}" x2="${W - m.right}" y1="${H - m.bottom}" y2="${H - m.bottom}" stroke="black"/>`,
    `<text x="${(m.left + W - m.right) / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`,
    `<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}${o.logY ? ' (log scale)' : ''}</text>`,
  );
  points.forEach((p, i) => {
    const color = COLORS[i % COLORS.length];
    const path = p.x
      .map((x, k) => [x, p.y[k]])
      .filter(([, y]) => finite(y))
      .map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${path}"/>`);
    const ly = m.top + 10 + i * 20;
    parts.push(
      `<line x1="${W - m.right + 12}" x2="${W - m.right + 36}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${W - m.right + 42}" y="${ly + 4}">${escapeXml(p.s.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
