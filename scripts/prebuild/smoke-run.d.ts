// SPDX-License-Identifier: MIT
// Types of scripts/prebuild/smoke-run.js, for the tests.
import type { PrebuildTarget } from './targets';
export interface SmokeResult {
  ok: boolean;
  platform: string;
  node: string;
  info: { blas: string; lapack: string; threads: number; source: string };
  checks: string[];
  failures: string[];
  seconds: number;
  runner: string;
  /** '' on the first start; else how an emulator's first start failed (Node never ran the script). */
  retried: string;
}
export function runSmoke(
  target: PrebuildTarget,
  binary: string | undefined,
  options?: { installed?: string; timeoutMs?: number },
): SmokeResult;
export function smokeUnavailable(target: PrebuildTarget): string;
