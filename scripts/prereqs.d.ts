// SPDX-License-Identifier: MIT
// Types of scripts/prereqs.js (plain JS: it runs before `npm ci`), for the tests that use it.
export type PrereqId = 'build-tools' | 'openblas' | 'chromium' | 'numpy';
export interface Prereq {
  id: PrereqId;
  what: string;
  find(): string;
  apt: string[];
  pip: string[];
  how: string;
  skip: string | null;
  skipped(): boolean;
  skipMeans?: string;
}
export const PREREQS: Prereq[];
export function which(name: string): string;
export function findOpenblas(): string;
export function findChromium(): string;
export function missingLine(id: PrereqId): string;
export function locate(id: PrereqId): string;
export function isSkipped(id: PrereqId): boolean;
export function requirePrereq(id: PrereqId): string;
