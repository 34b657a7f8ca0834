// SPDX-License-Identifier: MIT
import * as fs from 'fs';
import * as path from 'path';
import { checkConcurrency, defaultConcurrency } from './concurrency';
import { native, bindingSource, libcName } from './native';

/** What the loaded native addon was built with. */
export interface BuildInfo {
  /** BLAS in use, e.g. `'OpenBLAS 0.3.21 (Cooperlake)'`, or `'none (Eigen 3.4.0)'`. */
  blas: string;
  /** LAPACK in use: `'OpenBLAS LAPACK'` or `'Eigen'`. */
  lapack: string;
  /**
   * The thread budget of one call (`concurrency()`): DSE_THREADS, OPENBLAS_NUM_THREADS or
   * OMP_NUM_THREADS when set, else the CPUs this process may use (affinity mask and cgroup quota),
   * or what `setConcurrency` set.
   */
  threads: number;
  /** `'prebuild'` when loaded from the package's prebuilds/, `'build'` when compiled on install. */
  source: 'prebuild' | 'build';
  /**
   * The platform the addon was loaded for, as the prebuilds/ folders name it: `'linux-x64'`, `'linux-arm64'`,
   * `'win32-x64'`, ...
   */
  platform: string;
  /**
   * The C library on Linux (`'glibc 2.36'`, `'musl'`); absent elsewhere. The prebuilds need glibc >= 2.28 (x64) / 2.17
   * (arm64).
   */
  libc?: string;
}

/**
 * Describes the loaded native addon.
 *
 * @example
 * ```ts
 * buildInfo(); // { blas: 'OpenBLAS 0.3.21 (Cooperlake)', lapack: 'OpenBLAS LAPACK', threads: 2, source: 'prebuild',
 * platform: 'linux-x64', libc: 'glibc 2.36' }
 * ```
 */
export function buildInfo(): BuildInfo {
  const info = native().buildInfo();
  const libc = libcName();
  return {
    blas: info.blas,
    lapack: info.lapack,
    threads: info.threads,
    source: bindingSource(),
    platform: `${process.platform}-${process.arch}`,
    ...(libc ? { libc } : {}),
  };
}

/**
 * The thread budget of one native call: OpenBLAS's threads, the kernel passes' and the batch's.
 * At load it is DSE_THREADS, OPENBLAS_NUM_THREADS or OMP_NUM_THREADS (the first set), else the CPUs
 * this process may use: its affinity mask (`taskset`) and its cgroup's CPU quota (a container
 * limited to 2 CPUs gets 2). Whatever the budget, a call uses one thread for the stages whose
 * threads wait on each other while the machine's other work leaves fewer CPUs idle than that.
 *
 * @example
 * ```ts
 * concurrency(); // 2 on a 2-CPU machine
 * ```
 */
export function concurrency(): number {
  return native().concurrency();
}

/**
 * Sets the thread budget of the native calls of this process (all worker threads share it), as
 * `sharp.concurrency(n)` does for libvips. `0` restores the default (see `concurrency()`). Returns
 * the budget now in force. Calls already running keep the budget they started with.
 *
 * @example
 * ```ts
 * setConcurrency(1); // leave the other cores to the trainer
 * ```
 */
export function setConcurrency(threads: number): number {
  const n = checkConcurrency(threads);
  const b = native();
  if (n === 0) {
    // The default is decided in TypeScript (environment, affinity, cgroup quota), as at load.
    return b.setConcurrency(defaultConcurrency(process.env, () => undefined).threads);
  }
  return b.setConcurrency(n);
}

/**
 * The version of this package, from its package.json (`'unknown'` if it cannot be read).
 *
 * @example
 * ```ts
 * packageVersion(); // '0.1.0'
 * ```
 */
export function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

/**
 * The facts of a report's "Run" section: when, with which dse-dsmi, Node and BLAS.
 *
 * @example
 * ```ts
 * runMeta(); // { generated: '2026-...', 'dse-dsmi': '0.1.0', node: 'v20...', blas: 'OpenBLAS ..., 2 threads' }
 * ```
 */
export function runMeta(): Record<string, unknown> {
  let blas: string;
  try {
    const info = buildInfo();
    blas = `${info.blas}, ${info.threads} threads`;
  } catch (e) {
    blas = `unavailable (${(e as Error)?.message ?? e})`;
  }
  return { generated: new Date().toISOString(), 'dse-dsmi': packageVersion(), node: process.version, blas };
}
