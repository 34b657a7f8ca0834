// SPDX-License-Identifier: MIT
/**
 * The memory guard: before any native allocation, the bytes a call needs (its N x N kernel
 * buffers, gathered rows, LAPACK workspace) are estimated and compared with a limit, so that a
 * call that cannot fit fails at once with `ERR_DSE_MEMORY` instead of swapping or being killed.
 */
import * as fs from 'fs';
import * as os from 'os';
import { DseError, invalid } from './errors';

function cgroupLimit(): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = fs.readFileSync(file, 'utf8').trim();
      const v = Number(text);
      if (Number.isFinite(v) && v > 0 && v < 2 ** 60) return v;
    } catch {
      // not there: no cgroup limit of that kind
    }
  }
  return undefined;
}

/** 80% of the machine's memory (or of the container's limit, when lower). */
export function defaultMemoryLimit(): number {
  const total = Math.min(os.totalmem(), cgroupLimit() ?? Infinity);
  return Math.floor(total * 0.8);
}

let limit: number = defaultMemoryLimit();

/**
 * Sets the process-wide memory limit of the native work of one call, in bytes (`null` restores
 * the default: 80% of the machine's memory). A call's own `memoryLimitBytes` option overrides it.
 *
 * @example
 * ```ts
 * setMemoryLimit(2 * 1024 ** 3); // refuse anything needing more than 2 GiB
 * ```
 */
export function setMemoryLimit(bytes: number | null): void {
  if (bytes === null) {
    limit = defaultMemoryLimit();
    return;
  }
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes <= 0)
    throw invalid(
      'ERR_DSE_OPTION',
      'setMemoryLimit(bytes)',
      'a finite number of bytes > 0, or null for the default',
      bytes,
    );
  limit = bytes;
}

/** The process-wide memory limit in bytes. */
export function getMemoryLimit(): number {
  return limit;
}

/** Bytes for a message: GiB, MiB, or exact bytes below 1 MiB (never "1 MiB" for 1 byte). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(bytes >= 10 * 1024 ** 3 ? 0 : 1)} GiB`;
  if (bytes >= 10 * 1024 ** 2) return `${Math.ceil(bytes / 1024 ** 2)} MiB`;
  if (bytes >= 1024 ** 2) return `${(Math.ceil((bytes / 1024 ** 2) * 10) / 10).toFixed(1)} MiB`;
  const whole = Math.ceil(bytes);
  return `${whole} byte${whole === 1 ? '' : 's'}`;
}

/**
 * Throws `ERR_DSE_MEMORY` when `needed` bytes exceed the limit in force. `what` describes the
 * largest piece (e.g. "a 300000 x 300000 float64 kernel").
 */
export function checkMemory(
  needed: number,
  perCall: number | null | undefined,
  what: string,
  hint = "Lower maxN (rows are subsampled above it), use precision: 'float32' (half the memory), or raise the limit.",
): void {
  const allowed = perCall ?? limit;
  if (needed <= allowed) return;
  throw new DseError(
    'ERR_DSE_MEMORY',
    `This call needs about ${formatBytes(needed)} of memory (${what}) but ${formatBytes(allowed)} is allowed` +
      ` (${perCall ? 'the memoryLimitBytes option' : 'setMemoryLimit(), by default 80% of this machine'}). ` +
      hint,
  );
}
