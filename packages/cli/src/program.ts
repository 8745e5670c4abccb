import { Command } from 'commander';
import { exitWithError } from './exit-with-error';

/**
 * A recur command-line program: commander with `--debug` (stack traces), help after a usage error,
 * and usage errors exiting 2. Add commands to it, then hand it to `runCli`.
 */
export function cliProgram(name: string, description: string): Command {
  return new Command()
    .name(name)
    .description(description)
    .option('--debug', 'print stack traces')
    .showHelpAfterError()
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
}

/**
 * Parses the command line and runs the chosen command (awaited), ending on an error the way every
 * recur CLI does (`exitWithError`: bad input one line and exit 2, a recur bug exit 1).
 */
export async function runCli(program: Command, argv?: readonly string[]): Promise<void> {
  try {
    await (argv ? program.parseAsync([...argv]) : program.parseAsync());
  } catch (e) {
    exitWithError(program.name(), e, Boolean(program.opts().debug));
  }
}
