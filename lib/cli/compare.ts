// SPDX-License-Identifier: MIT
/**
 * `dse compare <X-file> [<reference-file>]`: the same call in the user's Python, with the
 * package `dse_dsmi`, and here, on the same files; both values, their difference, both times and
 * peak memories. Exit 0 when the values agree within the tolerance, 1 when they do not, 2 for
 * data errors and for a Python side that cannot run (not found, not importable, raised, timed out).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Option, type Command } from 'commander';
import { DseError } from '../errors';
import { diffusionSpectralEntropyDetailed, adjacencySpectralEntropyDetailed } from '../entropy';
import { diffusionSpectralMutualInformation, adjacencySpectralMutualInformation } from '../mi';
import { writeNpy } from '../io/npy';
import { samePartition } from '../clusters';
import type { Matrix } from '../validate';
import { ownProperties } from '../validate';
import { ExitStatus, UsageError, type CliIo } from './io';
import { count, nonNegative, positive, orNull } from './args';
import { resolvePath, toJson, packageVersion } from './common';
import { addFlags, addMeasureHelp, addMeasureOptions, checkApplicable } from './flags';
import { entropyCall, type EntropyFlags } from './entropy';
import { addReferenceOptions, miCall, type MiFlags } from './mi';
import { loadArray, asMatrix, loadReference, loadLabels, type LoadedArray } from './load';
import { textTable, bytes } from './format';
import { progressBar } from './progress';
import { PYTHON_DRIVER, RESULT_MARK } from './compare-driver';

/** The library functions `dse` calls, by name. */
export type LibraryFunction =
  | 'diffusionSpectralEntropy'
  | 'adjacencySpectralEntropy'
  | 'diffusionSpectralMutualInformation'
  | 'adjacencySpectralMutualInformation';

/** The Python package's function for each library function. */
export const PYTHON_FUNCTIONS: Record<LibraryFunction, string> = {
  diffusionSpectralEntropy: 'diffusion_spectral_entropy',
  adjacencySpectralEntropy: 'adjacency_spectral_entropy',
  diffusionSpectralMutualInformation: 'diffusion_spectral_mutual_information',
  adjacencySpectralMutualInformation: 'adjacency_spectral_mutual_information',
};

/** The Python package's keyword for each library option it has. */
const PYTHON_KEYWORDS: Record<string, string> = {
  gaussianKernelSigma: 'gaussian_kernel_sigma',
  t: 't',
  maxN: 'max_N',
  chebyshevApprox: 'chebyshev_approx',
  classicShannonEntropy: 'classic_shannon_entropy',
  matrixEntryEntropy: 'matrix_entry_entropy',
  numBinsPerDim: 'num_bins_per_dim',
  randomSeed: 'random_seed',
  anisotropic: 'anisotropic',
  useKnn: 'use_knn',
  knn: 'knn',
  referenceDiscrete: 'reference_discrete',
  numRepetitions: 'num_repetitions',
  nClusters: 'n_clusters',
};

/** Options of this package that choose how it computes, with no keyword in the Python package. */
const OURS_ONLY = new Set(['precision', 'method', 'slq']);

/**
 * The Python call a library call stands for: the function's name and its keyword arguments
 * (without `precomputed_clusters`, which is a file). ASMI has no `knn` keyword in Python (its
 * inner calls use 10): it is left out.
 *
 * @example
 * ```ts
 * pythonCall('adjacencySpectralEntropy', { useKnn: true, knn: 10, maxN: 10000, randomSeed: 0 });
 * // { function: 'adjacency_spectral_entropy', kwargs: { use_knn: true, knn: 10, max_N: 10000, random_seed: 0 } }
 * ```
 */
export function pythonCall(
  fn: LibraryFunction,
  options: Record<string, unknown>,
): { function: string; kwargs: Record<string, unknown> } {
  const kwargs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (OURS_ONLY.has(name) || name === 'precomputedClusters') continue;
    if (name === 'knn' && fn === 'adjacencySpectralMutualInformation') continue;
    const keyword = PYTHON_KEYWORDS[name];
    if (keyword === undefined) throw new Error(`no Python keyword for option ${name}`);
    kwargs[keyword] = value;
  }
  return { function: PYTHON_FUNCTIONS[fn], kwargs };
}

/** JSON in which bigints (seeds beyond 2^53) are written as integers, as Python's json reads them. */
export function jsonWithBigInts(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `@@bigint:${v}@@` : v)).replace(
    /"@@bigint:(-?\d+)@@"/g,
    '$1',
  );
}

/** A file as the Python side reads it: the path and the .npz member. */
export interface PythonFile {
  path: string;
  key?: string | null;
}

/** What the driver is asked to do (see compare-driver.ts). */
export interface PythonRequest {
  module: string;
  function: string;
  x: PythonFile;
  reference: PythonFile | null;
  clusters: PythonFile | null;
  kwargs: Record<string, unknown>;
  repeat: number;
}

/** What the driver measured. */
export interface PythonResult {
  /** The value (a string such as 'nan' when it is not finite). */
  value: number | string;
  seconds: number[];
  peakRssBytes: number | null;
  peakRssBeforeBytes: number | null;
  clusters: number[] | null;
  python: string;
  numpy: string;
  module: { file: string | null; version: string | null };
}

/** How the Python side is started. */
export interface PythonRun {
  /** The executable (looked up on PATH when it has no folder). */
  python: string;
  /** Its environment. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Seconds before it is killed; none when undefined. */
  timeoutSeconds?: number;
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.length ? lines[lines.length - 1] : '';
}

function installHint(python: string): string {
  return `install the reference in that Python: ${python} -m pip install dse-dsmi`;
}

/** The one-line DseError for a driver's error report. */
function driverError(python: string, e: Record<string, unknown>): DseError {
  const message = String(e.message ?? '');
  switch (e.error) {
    case 'import':
      return new DseError(
        'ERR_DSE_PYTHON',
        `Could not import ${String(e.module)} in ${python} (${message}): ${installHint(python)}`,
      );
    case 'api':
      return new DseError(
        'ERR_DSE_PYTHON',
        `Expected the Python package dse_dsmi's functions in ${python} but ${message}: ${installHint(python)}`,
      );
    case 'load':
      return new DseError('ERR_DSE_PYTHON', `The Python side could not load the data with numpy: ${message}`);
    default:
      return new DseError(
        'ERR_DSE_PYTHON',
        `The Python reference raised ${message}${e.where ? ` (at ${String(e.where)})` : ''}`,
      );
  }
}

/**
 * Runs the driver in `run.python` and returns what it measured. Every failure is a one-line
 * `ERR_DSE_PYTHON` DseError: the executable not found, numpy or dse_dsmi not importable, an
 * exception in the package, the time limit (the process is killed).
 *
 * @example
 * ```ts
 * const r = await runPython({ python: 'python3', env: process.env, cwd: '.' }, request);
 * ```
 */
export function runPython(run: PythonRun, request: PythonRequest): Promise<PythonResult> {
  const python = run.python;
  const exe = python.includes('/') || python.includes(path.sep) ? path.resolve(run.cwd, python) : python;
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(exe, ['-c', PYTHON_DRIVER, jsonWithBigInts(request)], {
      cwd: run.cwd,
      env: run.env as NodeJS.ProcessEnv,
      // Not detached: a Ctrl-C in the terminal reaches Python too.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      f();
    };
    const timer =
      run.timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, run.timeoutSeconds * 1000);
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    // Only the end of stderr matters (the last line of a traceback).
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-65536)));
    child.on('error', (e: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          new DseError(
            'ERR_DSE_PYTHON',
            e.code === 'ENOENT'
              ? `Could not run --python ${JSON.stringify(python)}: no such executable (give the path of the Python ` +
                  `that has dse-dsmi installed)`
              : `Could not run --python ${JSON.stringify(python)}: ${e.message}`,
          ),
        ),
      ),
    );
    const done = (status: number | null, signal: NodeJS.Signals | null) => {
      if (timedOut)
        return reject(
          new DseError(
            'ERR_DSE_PYTHON',
            `The Python side took longer than --timeout ${run.timeoutSeconds} s: stopped it`,
          ),
        );
      const line = out
        .split('\n')
        .reverse()
        .find((l) => l.startsWith(RESULT_MARK));
      if (line !== undefined) {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line.slice(RESULT_MARK.length)) as Record<string, unknown>;
        } catch {
          return reject(
            new DseError(
              'ERR_DSE_PYTHON',
              `The Python side (${python}) printed a result line that is not JSON: ${line.slice(0, 200)}`,
            ),
          );
        }
        if (parsed.error !== undefined) return reject(driverError(python, parsed));
        if (status === 0) return resolve(parsed as unknown as PythonResult);
      }
      const last = lastLine(err);
      const missing = /^(?:ModuleNotFoundError|ImportError): .*?'([^']+)'/.exec(last);
      if (missing)
        return reject(
          new DseError(
            'ERR_DSE_PYTHON',
            `Could not import ${missing[1]} in ${python} (${last}): ${installHint(python)}`,
          ),
        );
      const how = signal ? `was killed by ${signal}` : `exited with status ${status}`;
      reject(
        new DseError(
          'ERR_DSE_PYTHON',
          `The Python side (${python}) ${how}${last ? `: ${last}` : ' and printed nothing'}`,
        ),
      );
    };
    // After a timeout, 'exit' settles it: a grandchild could keep the pipes open.
    child.on('exit', (status, signal) => {
      if (timedOut) finish(() => done(status, signal));
    });
    child.on('close', (status, signal) => finish(() => done(status, signal)));
  });
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** The tolerance of a comparison: agree when |ours - python| <= atol + rtol |python|. */
export interface Tolerance {
  rtol: number;
  atol: number;
  /** Why these values (the defaults' source). */
  why: string;
}

interface CompareFlags extends EntropyFlags, Omit<MiFlags, 'json' | 'key'> {
  python: string;
  repeat: number;
  timeout?: number;
  rtol?: number;
  atol?: number;
  referenceKey?: string;
}

/** Default relative tolerances: 1e-8, and the kNN adjacency's documented bounds where distances tie. */
export const DEFAULT_RTOL = 1e-8;
export const KNN_RTOL = { entropy: 1e-5, mi: 1e-4 };
/**
 * Default absolute tolerance in bits, the test suite's golden comparison: MI near 0 is a difference of ~10-bit
 * entropies.
 */
export const DEFAULT_ATOL = 1e-10;
/** `--precision float32` against the reference's float64 value (bench/README.md). */
export const FLOAT32_ATOL = 1e-4;

/**
 * The tolerance of a comparison: `--rtol` and `--atol` where given, else the defaults of its
 * kind. A comparison whose values are random on one side or both (Chebyshev probes, method
 * 'slq', no seed where rows are drawn) has no default: it needs `--atol` or `--rtol`.
 */
export function tolerance(
  f: Pick<CompareFlags, 'kind' | 'precision' | 'rtol' | 'atol'>,
  mi: boolean,
  random: string | null,
): Tolerance {
  if (random !== null && f.rtol === undefined && f.atol === undefined)
    throw new UsageError(`${random}: the values are random, give the tolerance with --atol <bits> (or --rtol)`);
  const float32 = f.precision === 'float32';
  const knn = f.kind === 'knn';
  const rtol = f.rtol ?? (float32 ? 0 : knn ? (mi ? KNN_RTOL.mi : KNN_RTOL.entropy) : DEFAULT_RTOL);
  const atol = f.atol ?? (float32 ? FLOAT32_ATOL : DEFAULT_ATOL);
  const why =
    f.rtol !== undefined || f.atol !== undefined
      ? 'given'
      : float32
        ? "float32 against the reference's float64"
        : knn
          ? "the kNN adjacency's eigenvalues are defined to that much where distances tie (README, ASE / ASMI)"
          : 'default';
  return { rtol, atol, why };
}

/** A tolerance as people write it: 1e-5, not 0.00001. */
const small = (x: number) => (x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential() : String(x));

const cliOnly = (cmd: Command, name: string) => cmd.getOptionValueSource(name) === 'cli';

function flagOf(cmd: Command, name: string): string {
  return cmd.options.find((o) => o.attributeName() === name)?.long ?? name;
}

/** A .npy copy of a text file's array, so that numpy reads exactly what `dse` read. */
function asNpy(a: LoadedArray, dir: string, name: string): string {
  const file = path.join(dir, `${name}.npy`);
  if (a.integer) writeNpy(file, { data: BigInt64Array.from(a.data, (v) => BigInt(v)), shape: a.shape, dtype: 'int64' });
  else writeNpy(file, { data: Float64Array.from(a.data), shape: a.shape });
  return file;
}

function isText(file: string): boolean {
  return ['.csv', '.tsv', '.txt'].includes(path.extname(file).toLowerCase());
}

type OursValue = { value: number; clusters: Int32Array | null };
type Reference = Int32Array | Float64Array | Matrix | null;

/** Each function as `dse compare` calls it: its value and, for DSMI, the clusters it used. */
const OURS: Record<LibraryFunction, (X: Matrix, ref: Reference, o: Record<string, unknown>) => Promise<OursValue>> = {
  diffusionSpectralEntropy: async (X, _ref, o) => ({
    value: (await diffusionSpectralEntropyDetailed(X, o)).value,
    clusters: null,
  }),
  adjacencySpectralEntropy: async (X, _ref, o) => ({
    value: (await adjacencySpectralEntropyDetailed(X, o)).value,
    clusters: null,
  }),
  diffusionSpectralMutualInformation: (X, ref, o) => diffusionSpectralMutualInformation(X, ref!, o),
  adjacencySpectralMutualInformation: (X, ref, o) => adjacencySpectralMutualInformation(X, ref!, o),
};

/** The process's peak resident set in bytes (the counter getrusage's ru_maxrss reads). */
function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Registers `dse compare`. */
export function registerCompare(program: Command, io: CliIo): void {
  const cmd = program
    .command('compare')
    .summary('the same call with the Python package dse-dsmi and here: values, times, memory')
    .description(
      'Runs the same entropy (or, with a reference file, mutual information) with the Python\n' +
        'package dse-dsmi in the Python given by --python (import dse_dsmi, the options mapped to\n' +
        'its keywords) and with this package, on the same files, one after the other. Prints both\n' +
        'values, their relative difference, the median time and peak memory of each side and the\n' +
        'speed-up; --json for machines. Exit 0 when the values agree within the tolerance, 1 when\n' +
        'they differ, 2 for data errors and when the Python side cannot run.',
    )
    .argument('<X-file>', 'the embeddings: .npy, .npz or .csv, shape [N, D]')
    .argument('[reference-file]', "for DSMI: labels [N], scalars [N] or vectors [N, D'] (.npy, .npz or .csv)");
  addMeasureOptions(cmd);
  addFlags(cmd, ['maxN', 'chebyshev']);
  addReferenceOptions(cmd);
  cmd
    .option('--key <name>', 'array to read from X-file when it is a .npz')
    .option('--reference-key <name>', 'array to read from reference-file when it is a .npz')
    .addOption(
      new Option('--python <executable>', 'the Python with dse-dsmi installed').default(
        process.platform === 'win32' ? 'python' : 'python3',
      ),
    )
    .addOption(new Option('--repeat <n>', 'runs of each side; times are medians').argParser(count).default(1))
    .addOption(
      new Option('--timeout <seconds>', 'stop the Python side after this long (default: no limit)').argParser(positive),
    )
    .addOption(
      new Option(
        '--rtol <x>',
        `relative tolerance (default ${small(DEFAULT_RTOL)}; kind knn: ${small(KNN_RTOL.entropy)} entropy, ` +
          `${small(KNN_RTOL.mi)} DSMI)`,
      ).argParser(nonNegative),
    )
    .addOption(
      new Option(
        '--atol <bits>',
        `absolute tolerance in bits (default ${small(DEFAULT_ATOL)}; ${small(FLOAT32_ATOL)} with --precision float32)`,
      ).argParser(nonNegative),
    );
  addMeasureHelp(cmd, 'both values, times, peak memories, the difference and the verdict', [
    'dse compare embeddings.npy --python .venv/bin/python',
    'dse compare embeddings.npy labels.npy --repeat 3 --json > compare.json',
    'dse compare embeddings.npy --kind knn --max-n 2000 --seed 7',
    'dse compare embeddings.npy images.npy --n-clusters 10 --timeout 600',
  ]).action(async (xFile: string, refFile: string | undefined, givenFlags: CompareFlags, command: Command) => {
    const flags = ownProperties(givenFlags) as CompareFlags;
    checkApplicable(command, flags.kind);
    const mi = refFile !== undefined;
    for (const name of mi
      ? ['maxN']
      : ['discrete', 'continuous', 'nClusters', 'repetitions', 'clusters', 'referenceKey'])
      if (cliOnly(command, name))
        throw new UsageError(
          mi
            ? `${flagOf(command, name)} applies to entropies only (the reference's DSMI has no max_N)`
            : `${flagOf(command, name)} applies only with a reference file (DSMI)`,
        );
    if (mi && flags.kind === 'knn' && flags.knn !== 10)
      throw new UsageError(
        `--knn ${flags.knn} cannot be compared: the reference's adjacency_spectral_mutual_information has no knn ` +
          `keyword (it uses 10)`,
      );

    // Our side's call, from the same flag -> option mapping as `dse entropy` / `dse mi`.
    const call = mi ? miCall(flags) : entropyCall(flags);
    const fn = call.fn as LibraryFunction;
    const options = call.options;
    if (mi && flags.chebyshev) options.chebyshevApprox = true;

    const xPath = resolvePath(io, xFile);
    const refPath = refFile === undefined ? undefined : resolvePath(io, refFile);
    const xArray = loadArray(xPath, flags.key);
    const X = asMatrix(xArray);
    const ref = refPath === undefined ? null : loadReference(refPath, flags.referenceKey);
    const clustersPath = flags.clusters === undefined ? undefined : resolvePath(io, flags.clusters);
    if (clustersPath !== undefined) options.precomputedClusters = loadLabels(clustersPath);

    const maxN = orNull(flags.maxN);
    const drawsRows = mi || (maxN !== null && X.rows > maxN);
    const random = flags.chebyshev
      ? "--chebyshev (the reference's probes are numpy's, unseeded)"
      : flags.method === 'slq'
        ? '--method slq (an estimate; the reference has no such method)'
        : orNull(flags.seed) === null && drawsRows
          ? '--seed none (each side draws its own rows)'
          : null;
    const tol = tolerance(flags, mi, random);

    const py = pythonCall(fn, options);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-compare-'));
    const bar = progressBar(io, `dse compare (${flags.kind})`);
    let pyResult: PythonResult;
    const ours: {
      values: number[];
      seconds: number[];
      clusters: Int32Array | null;
      peakRssBeforeBytes: number;
      peakRssBytes: number;
    } = {
      values: [],
      seconds: [],
      clusters: null,
      peakRssBeforeBytes: 0,
      peakRssBytes: 0,
    };
    try {
      const request: PythonRequest = {
        module: 'dse_dsmi',
        function: py.function,
        x: isText(xPath) ? { path: asNpy(xArray, tmp, 'x') } : { path: xPath, key: flags.key ?? null },
        reference:
          refPath === undefined
            ? null
            : isText(refPath)
              ? { path: asNpy(loadArray(refPath), tmp, 'reference') }
              : { path: refPath, key: flags.referenceKey ?? null },
        clusters:
          clustersPath === undefined
            ? null
            : isText(clustersPath)
              ? { path: asNpy(loadArray(clustersPath), tmp, 'clusters') }
              : { path: clustersPath },
        kwargs: py.kwargs,
        repeat: flags.repeat,
      };
      bar.start(1 + flags.repeat, `Python (${flags.python})`);
      // One side after the other, never both at once: neither slows the other down.
      pyResult = await runPython(
        { python: flags.python, env: io.env, cwd: io.cwd, timeoutSeconds: flags.timeout },
        request,
      );
      bar.tick('dse-dsmi');
      ours.peakRssBeforeBytes = peakRss();
      for (let r = 0; r < flags.repeat; r++) {
        const t0 = process.hrtime.bigint();
        const v = await OURS[fn](X, ref?.reference ?? null, options);
        ours.seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
        ours.values.push(v.value);
        ours.clusters = v.clusters;
        bar.tick();
      }
      ours.peakRssBytes = peakRss();
    } finally {
      bar.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    }

    const oursValue = ours.values[ours.values.length - 1];
    const pyValue = typeof pyResult.value === 'number' ? pyResult.value : Number.NaN;
    const absDiff = Math.abs(oursValue - pyValue);
    const relDiff = absDiff === 0 ? 0 : absDiff / Math.abs(pyValue);
    const agree = Number.isFinite(pyValue) && absDiff <= tol.atol + tol.rtol * Math.abs(pyValue);
    const pyMedian = median(pyResult.seconds);
    const oursMedian = median(ours.seconds);
    const speedup = pyMedian / oursMedian;
    const clusters =
      pyResult.clusters && ours.clusters
        ? {
            python: new Set(pyResult.clusters).size,
            ours: new Set(ours.clusters).size,
            samePartition: samePartition(pyResult.clusters, ours.clusters),
          }
        : null;
    const tolText =
      [tol.rtol ? `${small(tol.rtol)} relative` : '', tol.atol ? `${small(tol.atol)} bits` : '']
        .filter(Boolean)
        .join(' + ') || '0';
    const memoryHow =
      'peak resident set of each process, the loaded arrays included: getrusage ru_maxrss (Python), ' +
      'process.resourceUsage().maxRSS (Node)';

    if (flags.json) {
      io.stdout.write(
        toJson({
          command: 'compare',
          kind: flags.kind,
          function: fn,
          pythonFunction: py.function,
          xFile,
          referenceFile: refFile ?? null,
          N: X.rows,
          D: X.cols,
          referenceShape: ref?.shape ?? null,
          options: { ...options, ...(clustersPath !== undefined ? { precomputedClusters: flags.clusters } : {}) },
          pythonKeywords: {
            ...py.kwargs,
            ...(clustersPath !== undefined ? { precomputed_clusters: flags.clusters } : {}),
          },
          repeat: flags.repeat,
          python: {
            executable: flags.python,
            version: pyResult.python,
            numpy: pyResult.numpy,
            module: pyResult.module,
            value: pyResult.value,
            seconds: pyResult.seconds,
            medianSeconds: pyMedian,
            peakRssBytes: pyResult.peakRssBytes,
            peakRssBeforeBytes: pyResult.peakRssBeforeBytes,
          },
          ours: {
            package: 'dse-dsmi (npm)',
            version: packageVersion(),
            node: process.version,
            value: oursValue,
            seconds: ours.seconds,
            medianSeconds: oursMedian,
            peakRssBytes: ours.peakRssBytes,
            peakRssBeforeBytes: ours.peakRssBeforeBytes,
          },
          absDiff,
          relDiff,
          tolerance: tol,
          agree,
          speedup,
          clusters,
          memory: memoryHow,
        }),
      );
    } else {
      const mb = (b: number | null) => (b === null ? '-' : bytes(b));
      const version = pyResult.module.version ?? 'version unknown';
      io.stdout.write(
        `${py.function} on ${xFile}${refFile ? ` and ${refFile}` : ''} (${X.rows} x ${X.cols}), --kind ` +
          `${flags.kind}\n` +
          `Python ${pyResult.python}, numpy ${pyResult.numpy}, dse_dsmi ${version} ` +
          `(${pyResult.module.file ?? '?'})\n\n` +
          textTable(
            ['side', 'value (bits)', 'median s', 'peak RSS'],
            [
              ['Python dse_dsmi', String(pyResult.value), pyMedian.toFixed(3), mb(pyResult.peakRssBytes)],
              [`Node dse-dsmi ${packageVersion()}`, String(oursValue), oursMedian.toFixed(3), mb(ours.peakRssBytes)],
            ],
          ) +
          `\nrelative difference ${relDiff.toExponential(2)} (absolute ${absDiff.toExponential(2)} bits): ` +
          `${agree ? 'within' : 'BEYOND'} the tolerance ` +
          `${tolText}${tol.why === 'given' || tol.why === 'default' ? '' : ` (${tol.why})`}\n` +
          (clusters
            ? `clusters: ${clusters.python} in Python, ${clusters.ours} here, ` +
              `${clusters.samePartition ? 'the same partition' : 'DIFFERENT partitions'}\n`
            : '') +
          `speed-up ${speedup.toFixed(2)}x (median of ${flags.repeat} run${flags.repeat > 1 ? 's' : ''} each); ` +
          `memory: ${memoryHow}\n`,
      );
    }
    if (!agree)
      throw new ExitStatus(
        1,
        `the values differ beyond the tolerance: Python ${pyResult.value}, here ${oursValue} (relative difference ` +
          `${relDiff.toExponential(2)}, tolerance ${tolText})` +
          (Object.prototype.toString.call(xArray.data) === '[object Float32Array]' && flags.precision === 'float64'
            ? '; X is stored in single (or half) precision, which the reference computes in float32 and this ' +
              'package in float64 (README: Float32Array input)'
            : '') +
          (clusters && !clusters.samePartition ? '; the two sides clustered the reference differently' : ''),
      );
  });
}
