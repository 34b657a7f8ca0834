// SPDX-License-Identifier: MIT
/** `dse entropy <file>`: DSE (or ASE, CSE, matrix-entry entropy) of a matrix file. */
import { Option, type Command } from 'commander';
import { diffusionSpectralEntropyDetailed, adjacencySpectralEntropyDetailed } from '../entropy';
import type { EntropyEstimate } from '../slq';
import { UsageError, type CliIo } from './io';
import { orNull, type None } from './args';
import { addMeasureOptions, methodOptions, addMaxN, checkApplicable, resolvePath, secondsSince, toJson, kindsHelp, type Kind } from './common';
import { loadMatrix } from './load';
import { progressBar } from './progress';
import { ownProperties } from '../validate';

/** The flags of `dse entropy` (and of `dse compare` without a reference file). */
export interface EntropyFlags {
  kind: Kind;
  sigma: number;
  t: number;
  maxN: number | None;
  seed: number | bigint | None;
  anisotropic: boolean;
  knn: number;
  bins: number;
  precision: 'float64' | 'float32';
  cache?: string;
  cachePrecision?: string;
  chebyshev: boolean;
  method?: 'exact' | 'slq';
  probes?: number;
  lanczosSteps?: number;
  key?: string;
  json: boolean;
}

/**
 * The library call a kind stands for, with every option it uses.
 *
 * @example
 * ```ts
 * entropyCall({ kind: 'knn', knn: 10, ... }); // { fn: 'adjacencySpectralEntropy', options: { useKnn: true, knn: 10, ... } }
 * ```
 */
export function entropyCall(f: EntropyFlags, cache?: string): { fn: 'diffusionSpectralEntropy' | 'adjacencySpectralEntropy'; options: Record<string, unknown> } {
  const base: Record<string, unknown> = { maxN: orNull(f.maxN), randomSeed: orNull(f.seed) };
  if (cache !== undefined) {
    base.eigvalSavePath = cache;
    if (f.cachePrecision !== undefined) base.eigvalSavePrecision = f.cachePrecision;
  }
  switch (f.kind) {
    case 'diffusion':
      return {
        fn: 'diffusionSpectralEntropy',
        options: { gaussianKernelSigma: f.sigma, t: f.t, ...base, precision: f.precision, ...(f.chebyshev ? { chebyshevApprox: true } : {}), ...methodOptions(f) },
      };
    case 'entry':
      return { fn: 'diffusionSpectralEntropy', options: { gaussianKernelSigma: f.sigma, matrixEntryEntropy: true, ...base, precision: f.precision } };
    case 'classic':
      return { fn: 'diffusionSpectralEntropy', options: { classicShannonEntropy: true, numBinsPerDim: f.bins, ...base } };
    case 'adjacency':
      return { fn: 'adjacencySpectralEntropy', options: { gaussianKernelSigma: f.sigma, anisotropic: f.anisotropic, ...base, precision: f.precision, ...methodOptions(f) } };
    case 'knn':
      return { fn: 'adjacencySpectralEntropy', options: { useKnn: true, knn: f.knn, ...base, precision: f.precision } };
  }
}

/** Adds `--chebyshev` (chebyshev_approx, kind diffusion). */
export function addChebyshev(cmd: Command): Command {
  return cmd.addOption(new Option('--chebyshev', 'estimate the eigenvalues from Chebyshev moments (chebyshev_approx; not recommended)').default(false));
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
    .argument('[file]', 'the matrix: .npy, .npz or .csv, shape [N, D] (may be left out when --cache holds the eigenvalues)');
  addMeasureOptions(cmd);
  addMaxN(cmd);
  addChebyshev(cmd);
  cmd
    .addOption(new Option('--cache <path>', 'eigenvalue cache, .npz (eigval_save_path): saved on the first run, used after that'))
    .addOption(new Option('--cache-precision <dtype>', 'precision of the saved eigenvalues (eigval_save_precision; default float16)').choices(['float16', 'float32', 'float64']))
    .option('--key <name>', 'array to read from a .npz file')
    .option('--json', 'print JSON: value, options used, N, D, seconds', false)
    .addHelpText('after', kindsHelp())
    .addHelpText('after', '\nExamples:\n  dse entropy embeddings.npy --sigma 10 --t 2\n  dse entropy embeddings.npz --key z --kind knn --knn 10 --json\n  dse entropy big.npy --max-n none --cache eigvals.npz --cache-precision float64\n  dse entropy --cache eigvals.npz --t 3      # from the saved eigenvalues alone')
    .action(async (file: string | undefined, givenFlags: EntropyFlags, command: Command) => {
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
      const bar = progressBar(io, `dse entropy (${flags.kind})`);
      bar.start(1, X ? `${X.rows} x ${X.cols}` : 'from the cache');
      let est: EntropyEstimate;
      try {
        est =
          fn === 'diffusionSpectralEntropy'
            ? await diffusionSpectralEntropyDetailed(X, options as Parameters<typeof diffusionSpectralEntropyDetailed>[1])
            : await adjacencySpectralEntropyDetailed(X, options as Parameters<typeof adjacencySpectralEntropyDetailed>[1]);
        bar.update(1);
      } finally {
        bar.stop();
      }
      const { value } = est;
      const seconds = secondsSince(start);
      // 'slq' is an estimate: its standard error goes into the JSON, and to stderr beside the bare value.
      const slq = est.method === 'slq' ? { method: 'slq', standardError: est.standardError, deflated: est.slq?.deflated } : {};
      if (flags.json)
        io.stdout.write(toJson({ command: 'entropy', kind: flags.kind, function: fn, value, ...slq, file: file ?? null, N: X?.rows ?? null, D: X?.cols ?? null, options, seconds }));
      else {
        io.stdout.write(`${value}\n`);
        if (est.method === 'slq') io.stderr.write(`method slq: standard error ${est.standardError.toPrecision(3)} bits (${est.n} rows, ${est.slq?.deflated} eigenpairs deflated)\n`);
      }
    });
}
