import { RecurError } from '@recur/tensor';

/**
 * How recur's command-line tools end on an error: bad input (a recur error: a user's file or
 * argument) prints one line and exits 2; anything else is a recur bug and exits 1 with a hint.
 * The stack trace is printed only with `--debug`.
 */
export function exitWithError(tool: string, e: unknown, debug: boolean): never {
  if (debug) console.error(e);
  if (e instanceof RecurError && e.code !== 'internal') {
    console.error(`${tool}: ${e.message}`);
    process.exit(2);
  }
  const message = e instanceof Error ? e.message : String(e);
  console.error(
    `${tool}: internal error: ${message}${debug ? '' : ' (run again with --debug for the stack trace)'}; please report it`,
  );
  process.exit(1);
}
