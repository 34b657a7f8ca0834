// SPDX-License-Identifier: MIT
/** `dse entropy <file>`: DSE (or ASE, CSE, matrix-entry entropy) of a matrix file. */
import type { Command } from 'commander';
import { diffusionSpectralEntropyDetailed, adjacencySpectralEntropyDetailed } from '../entropy';
import type { EntropyEstimate } from '../slq';
import { UsageError, type CliIo } from './io';
import { orNull, type None } from './args';
import { resolvePath, secondsSince, toJson } from './common';
import { addFlags, addMeasureHelp, addMeasureOptions, checkApplicable, functionOf, measureOptions } from './flags';
import { MEASURE_FLAGS, type FlagName, type MeasureFlags } from './flags';
import { loadMatrix } from './load';
import { spinner } from './progress';
import { ownProperties } from '../validate';

/** The flags of `dse entropy` (and of `dse compare` without a reference file). */
export interface EntropyFlags extends MeasureFlags {
  maxN: number | None;
  cache?: string;
  cachePrecision?: string;
  chebyshev: boolean;
}

/**
 * The library call a kind stands for, with every option it uses.
 *
 * @example
 * ```ts
 * entropyCall({ kind: 'knn', knn: 10, ... }); // { fn: 'adjacencySpectralEntropy', options: { useKnn: true, knn: 10,
 * ... } }
 * ```
 */
export function entropyCall(
  f: EntropyFlags,
  cache?: string,
): { fn: 'diffusionSpectralEntropy' | 'adjacencySpectralEntropy'; options: Record<string, unknown> } {
  const options = measureOptions(f.kind, f as unknown as Record<string, unknown>, ENTROPY_FLAGS);
  if (cache !== undefined) options.eigvalSavePath = cache;
  return { fn: functionOf(f.kind, 'diffusionSpectralEntropy', 'adjacencySpectralEntropy'), options };
}

const ENTROPY_FLAGS: FlagName[] = [...MEASURE_FLAGS, 'maxN', 'cachePrecision', 'chebyshev'];

/** What one `dse entropy` call computes, for its spinner: the matrix, the rows used and the stage. */
function spinnerLabel(X: { rows: number; cols: number } | null, f: EntropyFlags, cache: string | undefined): string {
  if (!X) return 'from the eigenvalue cache';
  const maxN = orNull(f.maxN);
  const n = maxN === null ? X.rows : Math.min(X.rows, maxN);
  const rows = n < X.rows ? `${X.rows} x ${X.cols}, subsampled to ${n} rows` : `${X.rows} x ${X.cols}`;
  const work =
    f.kind === 'classic'
      ? 'binned histogram'
      : f.kind === 'entry'
        ? `diffusion matrix entries, ${n} x ${n}`
        : f.method === 'slq'
          ? `kernel and Lanczos quadrature, ${n} x ${n}`
          : f.chebyshev
            ? `kernel and Chebyshev moments, ${n} x ${n}`
            : `kernel and eigenvalues, ${n} x ${n}${cache ? ' (or the cache)' : ''}`;
  return `${rows}: ${work}`;
}

/** Registers `dse entropy`. */
export function registerEntropy(program: Command, io: CliIo): void {
  const cmd = program
    .command('entropy')
    .summary('diffusion spectral entropy DSE(X) of a matrix file')
    .description(
      'Diffusion spectral entropy (or another entropy, see --kind) of the rows of a matrix, one sample\n' +
        'per row. Reads .npy, .npz (--key chooses the array) and numeric .csv files (a header line is\n' +
        'skipped). Prints the value in bits, or JSON with --json.',
    )
    .argument(
      '[file]',
      'the matrix: .npy, .npz or .csv, shape [N, D] (may be left out when --cache holds the eigenvalues)',
    );
  addMeasureOptions(cmd);
  addFlags(cmd, ['maxN', 'cache', 'cachePrecision', 'chebyshev']);
  cmd.option('--key <name>', 'array to read from a .npz file');
  addMeasureHelp(cmd, 'value, options used, N, D, seconds', [
    'dse entropy embeddings.npy --sigma 10 --t 2',
    'dse entropy embeddings.npz --key z --kind knn --knn 10 --json',
    'dse entropy big.npy --max-n none --cache eigvals.npz --cache-precision float64',
    'dse entropy --cache eigvals.npz --t 3      # from the saved eigenvalues alone',
  ]).action(async (file: string | undefined, givenFlags: EntropyFlags, command: Command) => {
    const flags = ownProperties(givenFlags) as EntropyFlags;
    checkApplicable(command, flags.kind);
    if (flags.cachePrecision !== undefined && flags.cache === undefined)
      throw new UsageError('--cache-precision needs --cache <path>');
    if (file === undefined && flags.cache === undefined) throw new UsageError("missing required argument 'file'");
    if (file === undefined && (flags.kind === 'classic' || flags.kind === 'entry'))
      throw new UsageError(`missing required argument 'file' (--kind ${flags.kind} has no eigenvalue cache)`);
    const start = process.hrtime.bigint();
    const X = file === undefined ? null : loadMatrix(resolvePath(io, file), flags.key);
    const cache = flags.cache === undefined ? undefined : resolvePath(io, flags.cache);
    const { fn, options } = entropyCall(flags, cache);
    // One native call: no count to show, so a spinner with the elapsed time and what it computes.
    const spin = spinner(io, `dse entropy (${flags.kind})`);
    spin.start(spinnerLabel(X, flags, cache));
    let est: EntropyEstimate;
    try {
      est =
        fn === 'diffusionSpectralEntropy'
          ? await diffusionSpectralEntropyDetailed(X, options as Parameters<typeof diffusionSpectralEntropyDetailed>[1])
          : await adjacencySpectralEntropyDetailed(
              X,
              options as Parameters<typeof adjacencySpectralEntropyDetailed>[1],
            );
    } finally {
      spin.stop();
    }
    const { value } = est;
    const seconds = secondsSince(start);
    // 'slq' is an estimate: its standard error goes into the JSON, and to stderr beside the bare value.
    const slq =
      est.method === 'slq' ? { method: 'slq', standardError: est.standardError, deflated: est.slq?.deflated } : {};
    // Subsampling above maxN is said, not silent: on stderr, and as rowsUsed in the JSON.
    const rowsUsed = X ? est.n : null;
    if (X && rowsUsed !== null && rowsUsed < X.rows)
      io.stderr.write(
        `note: used a random subsample of ${rowsUsed} of the ${X.rows} rows (--max-n ${rowsUsed}; --max-n none ` +
          `uses every row)\n`,
      );
    if (flags.json)
      io.stdout.write(
        toJson({
          command: 'entropy',
          kind: flags.kind,
          function: fn,
          value,
          ...slq,
          file: file ?? null,
          N: X?.rows ?? null,
          D: X?.cols ?? null,
          rowsUsed,
          options,
          seconds,
        }),
      );
    else {
      io.stdout.write(`${value}\n`);
      if (est.method === 'slq')
        io.stderr.write(
          `method slq: standard error ${est.standardError.toPrecision(3)} bits (${est.n} rows, ` +
            `${est.slq?.deflated} eigenpairs deflated)\n`,
        );
    }
  });
}
