/** Median wall time of `fn` in ms after warm-up; at least `minRuns` runs and about `budgetMs` in all. */
export async function timeMedian(fn: () => unknown | Promise<unknown>, budgetMs = 1500, minRuns = 5): Promise<number> {
  const times = await timeRuns(fn, budgetMs, minRuns);
  return times[times.length >> 1];
}

/** Wall times of `fn` in ms after warm-up, fastest first; at least `minRuns` runs and about `budgetMs` in all. */
export async function timeRuns(fn: () => unknown | Promise<unknown>, budgetMs = 1500, minRuns = 5): Promise<number[]> {
  for (let i = 0; i < 2; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || (performance.now() - start < budgetMs && times.length < 200)) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

/** Alternating runs, so that both contenders see the same machine load; medians of each. */
export async function timePairs(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  pairs: number,
): Promise<[number, number]> {
  for (let i = 0; i < 2; i++) {
    await a();
    await b();
  }
  const [ta, tb]: number[][] = [[], []];
  for (let i = 0; i < pairs; i++) {
    let t = performance.now();
    await a();
    ta.push(performance.now() - t);
    t = performance.now();
    await b();
    tb.push(performance.now() - t);
  }
  const median = (v: number[]) => v.sort((x, y) => x - y)[v.length >> 1];
  return [median(ta), median(tb)];
}

export interface Row {
  workload: string;
  contender: string;
  ms: number | null;
  /** A throughput column, e.g. GFLOP/s or tokens/s. */
  rate?: number;
  note?: string;
  /** An extra column (e.g. GFLOP/s as a fraction of the gemm), printed when any row has one. */
  extra?: string;
}

/**
 * Prints rows as a Markdown table grouped by workload, with each contender's time as a ratio to
 * the reference contender's time in the same workload.
 */
export function printTable(
  title: string,
  rows: Row[],
  rateLabel: string,
  reference: string,
  extraLabel?: string,
): void {
  const extra = extraLabel && rows.some((r) => r.extra !== undefined);
  console.log(`\n### ${title}\n`);
  console.log(
    `| workload | contender | ms (median) | ${rateLabel} | × ${reference} time |${extra ? ` ${extraLabel} |` : ''}`,
  );
  console.log(`|---|---|---:|---:|---:|${extra ? '---:|' : ''}`);
  for (const workload of [...new Set(rows.map((r) => r.workload))]) {
    const group = rows.filter((r) => r.workload === workload);
    const ref = group.find((r) => r.contender === reference)?.ms ?? null;
    for (const r of group) {
      const ms = r.ms === null ? '—' : r.ms.toFixed(1);
      const rate =
        r.rate === undefined ? '—' : r.rate >= 100 ? Math.round(r.rate).toLocaleString('en-US') : r.rate.toFixed(2);
      const ratio = r.ms !== null && ref ? (r.ms / ref).toFixed(2) : '—';
      const tail = extra ? ` ${r.extra ?? '—'} |` : '';
      console.log(
        `| ${workload} | ${r.contender}${r.note ? ` (${r.note})` : ''} | ${ms} | ${rate} | ${ratio} |${tail}`,
      );
    }
  }
}
