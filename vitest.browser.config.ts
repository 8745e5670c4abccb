import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// `pnpm test:browser`: tests that drive a real browser (Debian's chromium, see README). Kept out
// of `pnpm test`, which must pass on a machine with only Node and npm.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['apps/*/e2e/**/*.browser.test.ts'], testTimeout: 120_000 },
});
