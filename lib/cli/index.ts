#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/** The `dse` executable (package.json "bin"): runs the command line on the real process. */
import { run } from './program';
import { processIo } from './io';

// `dse ... | head` closes the pipe early: stop quietly, as other command-line tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

run(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`dse: ${(e as Error)?.stack ?? e}\n`);
    process.exitCode = 2;
  },
);
