// SPDX-License-Identifier: MIT
// Types of scripts/prebuild/check.js, for the tests.
import type { PrebuildTarget } from './targets';
export interface BinaryFacts {
  format: 'ELF' | 'PE';
  needed: string[];
  exported: string[];
  glibc: string;
  bytes: number;
}
export function checkBinary(target: PrebuildTarget, file: string): BinaryFacts;
export function cmpVersion(a: string, b: string): number;
