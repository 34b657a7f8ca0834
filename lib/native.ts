// SPDX-License-Identifier: MIT
/**
 * Loads the native addon (a prebuild from `prebuilds/`, else `build/Release`) through
 * node-gyp-build, declares its typed interface, and turns its errors into `DseError`s.
 */
import * as path from 'path';
import { defaultConcurrency } from './concurrency';
import { AbortError, DseError, ERROR_CODES, type DseErrorCode } from './errors';

/** Kernel kinds, as the native core numbers them. */
export const enum KernelCode {
  Diffusion = 0,
  Gaussian = 1,
  Anisotropic = 2,
  Knn = 3,
}

/** Options every native operation accepts (native/binding/operation.h). */
export interface NativeCallOptions {
  /** Upper bound on threads (0 = all cores). */
  maxThreads?: number;
  /** Bytes the call may use: above its estimate the call is refused before anything is queued (0 = no limit). */
  memoryLimit?: number;
}

/** Options of one native batch. */
export interface NativeSpectraOptions extends NativeCallOptions {
  kind: KernelCode;
  sigma: number;
  knn: number;
  /** 0 = float64, 1 = float32 */
  precision: 0 | 1;
  /** 0 = eigenvalues, 1 = matrix-entry entropy (one value per subset) */
  output: 0 | 1;
}

/** Options of one Chebyshev-moments batch (native/core/chebyshev.h). */
export interface NativeChebyshevOptions extends NativeCallOptions {
  sigma: number;
  /** Moments c_0 .. c_{moments-1}. */
  moments: number;
  /** Rademacher probe vectors. */
  probes: number;
  /** Kernel entries below this in absolute value are zeroed first. */
  threshold: number;
  /** The probe generator's 64-bit seed, as two 32-bit halves. */
  seedHi: number;
  seedLo: number;
}

/** Options of one method-'slq' batch (native/core/slq.h; lib/slq.ts). */
export interface NativeSlqOptions extends NativeCallOptions {
  /** 0 diffusion, 1 gaussian, 2 anisotropic (symmetric kernels only). */
  kind: 0 | 1 | 2;
  sigma: number;
  /** Power of |eigenvalue|. */
  t: number;
  probes: number;
  steps: number;
  blockSize: number;
  blockIterations: number;
  /** The probe generator's 64-bit seed, as two 32-bit halves. */
  seedHi: number;
  seedLo: number;
}

/** Options of spectral clustering (native/core/cluster.h). */
export interface NativeClusterOptions extends NativeCallOptions {
  nClusters: number;
  nNeighbors: number;
}

/** Options of the classic Shannon entropy's counting step (native/core/cse.h). */
export interface NativeBinsOptions extends NativeCallOptions {
  bins: number;
}

/** The arguments of every native operation: X (row-major rows x cols), its row subsets (null: all rows), options. */
type NativeArgs<O> = [
  X: Float64Array | Float32Array,
  rows: number,
  cols: number,
  subsets: Int32Array[] | null,
  options: O,
];

/**
 * One native operation as native/binding/operation.h registers it: `Name` computes on the
 * calling thread, `${Name}Async` queues on the compute thread (with a cancel flag and a progress
 * callback), and `Bytes` returns the peak working bytes of the same call.
 */
type NativeOperation<Name extends string, Bytes extends string, O, R> = Record<Name, (...args: NativeArgs<O>) => R> &
  Record<
    `${Name}Async`,
    (
      ...args: [
        ...NativeArgs<O>,
        cancelFlag: Int32Array | null,
        onProgress: ((done: number, total: number) => void) | null,
      ]
    ) => Promise<R>
  > &
  Record<Bytes, (...args: NativeArgs<O>) => number>;

/**
 * What the compiled addon exports; the loaded module is cast to this once, here. The operations:
 * eigenvalue spectra (or matrix-entry entropies) of kernels, spectral clustering, Chebyshev
 * moments, method 'slq', and the classic Shannon entropy's counting step (per subset, the sizes
 * of the groups of identical binned rows, in order of first appearance).
 */
export interface NativeBinding
  extends
    NativeOperation<'spectra', 'spectraBytes', NativeSpectraOptions, Float64Array[]>,
    NativeOperation<'spectralClustering', 'clusterBytes', NativeClusterOptions, Int32Array>,
    NativeOperation<'chebyshevMoments', 'chebyshevBytes', NativeChebyshevOptions, Float64Array[]>,
    NativeOperation<'slqEntropy', 'slqBytes', NativeSlqOptions, Float64Array[]>,
    NativeOperation<'binnedRowCounts', 'binnedRowCountsBytes', NativeBinsOptions, Float64Array[]> {
  buildInfo(): {
    blas: string;
    lapack: string;
    threads: number;
    hardwareThreads: number;
    openblas: boolean;
    sanitize?: boolean;
  };
  /** Sets the process-wide thread budget (0: the hardware's threads); returns the budget in force. */
  setConcurrency(n: number): number;
  concurrency(): number;
  /** Runnable tasks on the machine besides the calling thread (/proc/loadavg; 0 where unknown). */
  othersRunnable(): number;
  /** Removes this thread's queued async jobs whose cancel flag is set, rejecting them; returns how many. */
  dropCancelled(): number;
  /** Async jobs queued or running in the whole process (all threads). */
  queuedJobs(): number;
  /** Normal deviate `index` of stream `stream` of the method-'slq' generator (for tests). */
  slqNormal(seedHi: number, seedLo: number, stream: number, index: number): number;
}

/** The package root (one level above dist/ or lib/). */
export const packageRoot = path.resolve(__dirname, '..');

let binding: NativeBinding | undefined;
let bindingPath: string | undefined;

/** The C library's version on Linux with glibc (e.g. '2.36'), else undefined. */
function glibcVersion(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    return header?.glibcVersionRuntime;
  } catch {
    return undefined;
  }
}

/**
 * Prebuilt binaries in the package (keep in step with README "## Install", docs/install.md and
 * scripts/prebuild/targets.js).
 */
const PREBUILT =
  'linux-x64 with glibc >= 2.28 (OpenBLAS), linux-arm64 with glibc >= 2.17 (OpenBLAS) and win32-x64 (Eigen)';
/** glibc floor of each Linux prebuild. */
const GLIBC_FLOOR: Record<string, string> = { x64: '2.28', arm64: '2.17' };

/** True when this process runs on musl (Alpine): Node's report has no glibc version there. */
function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const report = process.report?.getReport() as
      { header?: { glibcVersionRuntime?: string }; sharedObjects?: string[] } | undefined;
    if (report?.header?.glibcVersionRuntime) return false;
    return (report?.sharedObjects ?? []).some((o) => /ld-musl|libc\.musl/.test(o));
  } catch {
    return false;
  }
}

/** The C library on Linux: 'glibc 2.36', 'musl', or undefined elsewhere / when unknown. */
export function libcName(): string | undefined {
  const glibc = glibcVersion();
  if (glibc) return `glibc ${glibc}`;
  return isMusl() ? 'musl' : undefined;
}

/** What the cause of a load failure points at, for this platform: one or more lines of advice. */
function causeAdvice(reason: string): string[] {
  const tuple = `${process.platform}-${process.arch}`;
  const glibc = glibcVersion();
  const floor = GLIBC_FLOOR[process.arch];
  if (/GLIBC_[0-9.]+' not found/.test(reason) && floor) {
    return [
      `The prebuild needs glibc >= ${floor}${glibc ? ` and this system has ${glibc}` : ''}: build from source (below).`,
    ];
  }
  if (/No native build was found/.test(reason)) {
    if (isMusl())
      return [
        'No prebuild ships for musl (Alpine): build from source (`apk add build-base python3 openblas-dev`, then the ' +
          'rebuild below).',
      ];
    if (process.platform === 'darwin')
      return ['No prebuild ships for macOS yet: build from source (`xcode-select --install`, then the rebuild below).'];
    if (!['linux-x64', 'linux-arm64', 'win32-x64'].includes(tuple))
      return [`No prebuild ships for ${tuple}: build from source (below).`];
    return [
      `The package's prebuilds/${tuple} folder is missing (a partial install or a tarball packed without it): ` +
        `reinstall (below).`,
    ];
  }
  if (
    /invalid ELF header|file too short|wrong ELF class|not a valid Win32 application|%1 is not a valid/.test(reason)
  ) {
    return ['The addon file is damaged or built for another platform: reinstall (below).'];
  }
  if (/undefined symbol|cannot open shared object file|The specified module could not be found/.test(reason)) {
    return ['A library the addon was linked against is missing: rebuild it from source on this machine (below).'];
  }
  return [];
}

function loadError(cause: unknown): DseError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  const libc = libcName();
  const where = bindingPath ? ` from ${bindingPath}` : '';
  const lines = [
    `Could not load the dse-dsmi native addon${where} for ${process.platform}-${process.arch}` +
      ` (Node ${process.version}, N-API 8${libc ? `, ${libc}` : ''}): ${reason}`,
  ];
  if (process.env.DSE_ADDON_PATH) {
    lines.push(`DSE_ADDON_PATH is set (${process.env.DSE_ADDON_PATH}): unset it to load the installed addon.`);
  }
  lines.push(
    ...causeAdvice(reason),
    `Prebuilt binaries ship for ${PREBUILT}; anywhere else the addon is compiled when the package is installed.`,
    'Possible fixes (docs/install.md in the package repository explains each cause):',
    '- Reinstall without skipping install scripts (no --ignore-scripts; approve dse-dsmi if your npm asks for',
    '  allowScripts) so the prebuild is checked or the addon compiled: `npm install dse-dsmi`.',
    '- Build from source: `npm_config_build_from_source=true npm rebuild dse-dsmi`. It needs a C++17 compiler, make',
    '  and python3 (Debian/Ubuntu: `apt-get install g++ make python3`; Windows: Visual Studio Build Tools with',
    '  "Desktop development with C++").',
    '- For fast LAPACK install OpenBLAS before building (Debian/Ubuntu: `apt-get install libopenblas-dev`; elsewhere',
    "  point DSE_OPENBLAS_LIB at libopenblas.a or .so); without it (or with DSE_BLAS=none) the addon uses Eigen's own",
    '  solvers: the same values, slower.',
  );
  return new DseError('ERR_DSE_LOAD', lines.join('\n'), { cause });
}

/** The loaded addon (loaded on first use). Throws `DseError('ERR_DSE_LOAD')` with advice. */
export function native(): NativeBinding {
  if (binding) return binding;
  bindingPath = undefined;
  try {
    const override = process.env.DSE_ADDON_PATH;
    if (override) {
      // An explicit .node file (the sanitizer build of `npm run test:sanitize`, or a custom build).
      bindingPath = path.resolve(override);
      const budget = defaultConcurrency();
      // A .node file loads through require() only.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      binding = withOpenBlasEnvironment(budget.threads, () => require(bindingPath as string) as NativeBinding);
      binding.setConcurrency(budget.threads);
      return binding;
    }
    // node-gyp-build is CommonJS with no types of its own.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as ((dir: string) => unknown) & { resolve(dir: string): string };
    bindingPath = load.resolve(packageRoot);
    const budget = defaultConcurrency();
    binding = withOpenBlasEnvironment(budget.threads, () => load(packageRoot) as NativeBinding);
    binding.setConcurrency(budget.threads);
  } catch (e) {
    throw loadError(e);
  }
  return binding;
}

/**
 * OpenBLAS reads its environment once, when the addon is loaded: it starts
 * OPENBLAS_NUM_THREADS - 1 threads (else one per CPU, ignoring cgroup quotas), and its idle
 * threads spin for 2^OPENBLAS_THREAD_TIMEOUT cycles before they sleep (2^28, ~0.1 s, by default:
 * cycles taken from our own threads and from the caller's other work, and runnable tasks that
 * threadsNow would count as load). Loads with the budget and 2^20 cycles (~0.4 ms: long enough
 * for the gaps between the BLAS calls of one stage) there, unless the user set them, then puts the
 * environment back as it was, so that the processes the caller starts later do not inherit it.
 */
function withOpenBlasEnvironment<T>(threads: number, load: () => T): T {
  const set: Record<string, string> = { OPENBLAS_NUM_THREADS: String(threads), OPENBLAS_THREAD_TIMEOUT: '20' };
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(set)) {
    saved[name] = process.env[name];
    if (saved[name] === undefined) process.env[name] = value;
  }
  try {
    return load();
  } finally {
    for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name];
  }
}

/** Where the addon was loaded from: 'prebuild' (prebuilds/) or 'build' (compiled here). */
export function bindingSource(): 'prebuild' | 'build' {
  native();
  return bindingPath && bindingPath.split(path.sep).includes('prebuilds') ? 'prebuild' : 'build';
}

/**
 * The one rejection of an aborted call, for every way of aborting (`ac.abort()`'s DOMException
 * has code 20, `AbortSignal.timeout()`'s reason is a TimeoutError): an `AbortError` with code
 * 'ABORT_ERR' and the signal's reason as its cause, as Node's own APIs reject.
 */
export function abortError(signal?: AbortSignal): AbortError {
  const reason = signal?.reason;
  return new AbortError('The operation was aborted', reason !== undefined ? { cause: reason } : undefined);
}

/** `promise`, or an AbortError as soon as `signal` aborts (the promise itself runs on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

const KNOWN_CODES = new Set<string>(ERROR_CODES);

/**
 * Converts whatever the addon threw into a `DseError` (or an AbortError), keeping `stack`
 * (the caller's, for async calls: captured before the native call was queued).
 */
export function fromNative(e: unknown, stack?: string, signal?: AbortSignal): Error {
  if (e instanceof DseError && !(e instanceof AbortError)) return e;
  const code = (e as { code?: unknown })?.code;
  let out: Error;
  // The abort reason itself (a DOMException named AbortError, or the caller's own reason).
  if (e instanceof AbortError || (signal?.aborted && e === signal.reason) || code === 'ABORT_ERR')
    out = e instanceof AbortError ? e : abortError(signal);
  else {
    const message = e instanceof Error ? e.message : String(e);
    out = new DseError(
      typeof code === 'string' && KNOWN_CODES.has(code) ? (code as DseErrorCode) : 'ERR_DSE_NATIVE',
      message.replace(/^native: /, 'internal: '),
      { cause: e },
    );
  }
  if (stack) out.stack = `${out.name}: ${out.message}\n${stack.split('\n').slice(1).join('\n')}`;
  return out;
}
