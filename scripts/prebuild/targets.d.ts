// SPDX-License-Identifier: MIT
// Types of scripts/prebuild/targets.js (plain JS, run by `npm run prebuilds`), for the tests.
export interface PrebuildTarget {
  name: string;
  platform: string;
  arch: string;
  file: string;
  zig: string;
  glibcFloor?: string;
  blas: 'openblas' | 'none';
  runner: 'host' | 'qemu-aarch64' | 'wine';
}
export const TARGETS: PrebuildTarget[];
export const SMOKE_NODE_VERSION: string;
export const OPENBLAS_DEB: { package: string; version: string };
