// SPDX-License-Identifier: MIT
/**
 * The `dse` command line: `entropy`, `mi`, `demo`, `trace`, `scale`. `run()` parses the arguments with
 * commander, runs one command and returns the exit code: 0 success, 1 usage (unknown command or
 * flag, missing argument, bad flag value), 2 data (a DseError: missing file, bad format, data
 * that does not fit the options). Errors are one line on stderr.
 */
import { Command, CommanderError } from 'commander';
import { isOptionValueError } from '../errors';
import { EXIT, ExitStatus, UsageError, type CliIo } from './io';
import { packageVersion } from './common';
import { registerEntropy } from './entropy';
import { registerMi } from './mi';
import { registerDemo } from './demo';
import { registerTrace } from './trace';
import { registerScale } from './scale';

/**
 * Builds the `dse` program writing to `io` (errors are thrown, never `process.exit`).
 *
 * @example
 * ```ts
 * await createProgram(processIo()).parseAsync(['entropy', 'x.npy'], { from: 'user' });
 * ```
 */
export function createProgram(io: CliIo): Command {
  const program = new Command('dse');
  program
    .description(
      'Diffusion spectral entropy (DSE) and mutual information (DSMI) of neural network\n' +
        'representations. Results go to stdout, errors and progress bars to stderr.\n' +
        'Exit codes: 0 ok, 1 usage error, 2 data error.',
    )
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(`dse: ${s.replace(/^error: /, '')}`),
      getOutHelpWidth: () => 100,
      getErrHelpWidth: () => 100,
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nRun "dse <command> --help" for the options of a command. Quick look: dse demo');
  registerEntropy(program, io);
  registerMi(program, io);
  registerDemo(program, io);
  registerTrace(program, io);
  registerScale(program, io);
  return program;
}

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Runs the `dse` command line with `argv` (without `node` and the script) and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await run(process.argv.slice(2), processIo());
 * ```
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit with 0; every other commander error was already printed.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (e instanceof ExitStatus) {
      if (e.message) io.stderr.write(`dse: ${oneLine(e.message)}\n`);
      return e.exitCode;
    }
    if (e instanceof UsageError) {
      io.stderr.write(`dse: ${oneLine(e.message)}\n`);
      return EXIT.USAGE;
    }
    const code = errorCode(e);
    const message = oneLine(String((e as { message?: unknown } | null)?.message ?? e));
    if (code === 'ERR_DSE_OPTION' && isOptionValueError(e)) {
      // A flag value the library refuses whatever the data (e.g. --probes 3) is a bad flag
      // value: usage, exit 1. One that does not fit the data (--knn above the rows) is exit 2.
      io.stderr.write(`dse: ${message}\n`);
      return EXIT.USAGE;
    }
    if (code?.startsWith('ERR_DSE_')) {
      io.stderr.write(`dse: ${message}\n`);
      return EXIT.DATA;
    }
    // Not expected: say so, with the stack when DSE_DEBUG is set.
    io.stderr.write(`dse: unexpected error: ${message}${io.env.DSE_DEBUG ? `\n${(e as Error)?.stack ?? ''}` : ''}\n`);
    return EXIT.DATA;
  }
}
