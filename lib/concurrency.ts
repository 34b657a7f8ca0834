// SPDX-License-Identifier: MIT
/**
 * The thread budget of the native core: how many threads one call may use (OpenBLAS's, the
 * kernel passes', the batch's). Decided here, at load, from the environment and from the CPUs this
 * process may really use; native/core/threads.h applies it, and on busy cores uses one thread for
 * the stages whose threads hand work to each other (`threadsNow`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { invalid } from './errors';

/** Where the budget in force came from. */
export type ConcurrencySource = 'DSE_THREADS' | 'OPENBLAS_NUM_THREADS' | 'OMP_NUM_THREADS' | 'cpus' | 'setConcurrency';

/** The environment variables read at load, first set wins. */
export const THREAD_VARIABLES = ['DSE_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'] as const;

/** Largest budget accepted (OpenBLAS's own builds cap at 64-512 threads). */
export const MAX_CONCURRENCY = 4096;

/** Where the cgroup files live (parameters for tests). */
export interface CgroupPaths {
  /** `/proc/self/cgroup` */
  procCgroup?: string;
  /** `/sys/fs/cgroup` */
  root?: string;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** CPUs allowed by one cgroup directory's quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us`), or undefined. */
function quotaIn(dir: string, v2: boolean): number | undefined {
  if (v2) {
    const text = readText(path.join(dir, 'cpu.max'))?.trim();
    if (!text) return undefined;
    const [quota, period] = text.split(/\s+/);
    if (quota === 'max') return undefined;
    const q = Number(quota),
      p = Number(period ?? 100000);
    return q > 0 && p > 0 ? q / p : undefined;
  }
  const q = Number(readText(path.join(dir, 'cpu.cfs_quota_us'))?.trim());
  const p = Number(readText(path.join(dir, 'cpu.cfs_period_us'))?.trim());
  return q > 0 && p > 0 ? q / p : undefined;
}

/**
 * The CPU quota of this process's cgroup (and its ancestors), in CPUs rounded up, or undefined when
 * there is none (or no cgroup filesystem). cgroup v2's `cpu.max` and v1's `cpu.cfs_quota_us`.
 */
export function cgroupCpuLimit(paths: CgroupPaths = {}): number | undefined {
  const procCgroup = readText(paths.procCgroup ?? '/proc/self/cgroup');
  const root = paths.root ?? '/sys/fs/cgroup';
  if (!procCgroup) return undefined;
  let limit = Infinity;
  for (const line of procCgroup.split('\n')) {
    // "0::/user.slice/..." (v2) or "4:cpu,cpuacct:/docker/..." (v1)
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const v2 = m[1] === '0' && m[2] === '';
    if (!v2 && !m[2].split(',').includes('cpu')) continue;
    const mounts = v2 ? [root] : [path.join(root, m[2]), path.join(root, 'cpu'), path.join(root, 'cpu,cpuacct')];
    for (const mount of mounts) {
      if (!fs.existsSync(mount)) continue;
      // The cgroup's own directory and every ancestor up to the mount: a quota anywhere above
      // applies too. Inside a container the path may not exist under its own mount: then the
      // mount's root is the container's cgroup.
      let rel = m[3];
      if (!fs.existsSync(path.join(mount, rel))) rel = '/';
      for (;;) {
        const q = quotaIn(path.join(mount, rel), v2);
        if (q !== undefined) limit = Math.min(limit, q);
        if (rel === '/' || rel === '' || rel === '.') break;
        rel = path.posix.dirname(rel);
      }
      break;
    }
  }
  return Number.isFinite(limit) ? Math.max(1, Math.ceil(limit - 1e-9)) : undefined;
}

/** The CPUs this process may use: its affinity mask (`os.availableParallelism()`), capped by its cgroup's CPU quota. */
export function availableCpus(paths: CgroupPaths = {}): number {
  const affinity = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(affinity, cgroupCpuLimit(paths) ?? Infinity));
}

/** A thread-count variable's value: a whole number >= 1 (OMP_NUM_THREADS may list levels: `4,2` is 4), or undefined. */
function threadCount(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const first = value.split(',')[0].trim();
  if (!/^[0-9]+$/.test(first)) return undefined;
  const n = Number(first);
  return n >= 1 ? Math.min(n, MAX_CONCURRENCY) : undefined;
}

/**
 * The budget at load: the first of DSE_THREADS, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS that is set
 * to a whole number >= 1, else `availableCpus()`. A variable set to anything else is ignored with a
 * warning (`warn`).
 */
export function defaultConcurrency(
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = (m) => process.emitWarning(m, { code: 'DSE_THREADS' }),
  paths: CgroupPaths = {},
): { threads: number; source: ConcurrencySource } {
  for (const name of THREAD_VARIABLES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const n = threadCount(value);
    if (n !== undefined) return { threads: n, source: name };
    warn(`dse-dsmi: ${name}=${JSON.stringify(value)} is not a whole number of threads >= 1; ignored`);
  }
  return { threads: availableCpus(paths), source: 'cpus' };
}

/** Checks setConcurrency's argument. */
export function checkConcurrency(n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_CONCURRENCY)
    throw invalid(
      'ERR_DSE_OPTION',
      'setConcurrency(threads)',
      `a whole number from 0 to ${MAX_CONCURRENCY} (0: the default)`,
      n,
    );
  return n;
}
