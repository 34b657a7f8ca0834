// SPDX-License-Identifier: MIT
import { native, bindingSource } from './native';

/** What the loaded native addon was built with. */
export interface BuildInfo {
  /** BLAS in use, e.g. `'OpenBLAS 0.3.21 (Cooperlake)'`, or `'none (Eigen 3.4.0)'`. */
  blas: string;
  /** LAPACK in use: `'OpenBLAS LAPACK'` or `'Eigen'`. */
  lapack: string;
  /** Threads the native core uses for one call (the machine's hardware threads). */
  threads: number;
  /** `'prebuild'` when loaded from the package's prebuilds/, `'build'` when compiled on install. */
  source: 'prebuild' | 'build';
}

/**
 * Describes the loaded native addon.
 *
 * @example
 * ```ts
 * buildInfo(); // { blas: 'OpenBLAS 0.3.21 (Cooperlake)', lapack: 'OpenBLAS LAPACK', threads: 2, source: 'prebuild' }
 * ```
 */
export function buildInfo(): BuildInfo {
  const info = native().buildInfo();
  return { blas: info.blas, lapack: info.lapack, threads: info.threads, source: bindingSource() };
}
