// SPDX-License-Identifier: MIT
/**
 * What a CLI run talks to: its output streams, working folder and environment. The real
 * process in `index.ts`; fakes in the tests, so every command runs in-process too.
 */

/** A writable text stream; `isTTY` decides whether a progress bar is drawn. */
export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** The world of one CLI run. */
export interface CliIo {
  /** Results (values, tables, JSON). */
  stdout: CliStream;
  /** Errors and progress bars. */
  stderr: CliStream;
  /** Working folder: relative paths resolve against it. */
  cwd: string;
  /** Environment (progress bars stay off when `CI` is set). */
  env: Record<string, string | undefined>;
  /** Stops a long command as Ctrl-C does (`dse trace` then writes what it has); SIGINT always does too. */
  signal?: AbortSignal;
}

/**
 * The real process's streams, folder and environment.
 *
 * @example
 * ```ts
 * const code = await run(process.argv.slice(2), processIo());
 * ```
 */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}

/** Exit codes of the `dse` command. */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** Usage: unknown command or flag, missing argument, bad flag value. */
  USAGE: 1,
  /** Data: the files or the computation failed (a DseError: missing file, bad format, ...). */
  DATA: 2,
} as const;

/**
 * A command that finished its output but must end with another exit code (e.g. `dse trace` with
 * entries that failed: 2). The message, if any, is the last line on stderr.
 */
export class ExitStatus extends Error {
  constructor(
    readonly exitCode: number,
    message = '',
  ) {
    super(message);
    this.name = 'ExitStatus';
  }
}

/** A usage mistake found after parsing (e.g. a flag that does not apply to the chosen kind). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
