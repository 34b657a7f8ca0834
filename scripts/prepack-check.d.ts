// SPDX-License-Identifier: MIT
// Types of scripts/prepack-check.js, for the tests.
export function problems(dir: string): string[];
export function machineOf(file: string): string;
