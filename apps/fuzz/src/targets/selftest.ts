import type { FuzzTarget } from '../target';

const BEHAVIOURS = ['clean', 'accepted', 'raw', 'hang', 'crash'] as const;

/**
 * A target that misbehaves on purpose, one way per case in turn, so a test can check that the
 * harness tells a hang, a crash and a raw error apart from a clean error and an accepted file.
 */
export const selftestTarget: FuzzTarget = {
  name: 'selftest',
  async seeds() {
    return BEHAVIOURS.map((b) => ({ name: b, main: 'x', files: {} }));
  },
  mutate(_c, seed) {
    return seed;
  },
  async run(kase) {
    const { RecurError } = await import('@recur/tensor');
    switch (kase.name) {
      case 'clean':
        throw new RecurError('a clear message', 'format');
      case 'raw':
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      case 'hang':
        for (;;) {
          // spins until the parent's time limit kills the process
        }
      case 'crash':
        process.exit(70);
        break;
      default:
        return undefined;
    }
    return undefined;
  },
};
