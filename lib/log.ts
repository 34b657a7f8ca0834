// SPDX-License-Identifier: MIT
/** The reference's `verbose` output, on stderr. */
export function log(verbose: boolean, message: string): void {
  if (verbose) process.stderr.write(`dse-dsmi: ${message}\n`);
}

/** Seconds of wall time since `start` (a `process.hrtime.bigint()`). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
