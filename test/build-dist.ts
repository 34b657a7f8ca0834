// SPDX-License-Identifier: MIT
// For the tests that run compiled code (the dse executable, the examples): `npm test` compiles
// lib/ to dist/ first (pretest); a bare `npx jest` may find an older dist/, so it is rebuilt
// here, one jest worker at a time (a lock folder), when any lib/ file is newer.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';

export const ROOT = path.join(__dirname, '..');
const TSC = require.resolve('typescript/bin/tsc');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs tsc with `args`; throws with its output when it fails. */
export function tsc(args: string[]): void {
  const r = spawnSync(process.execPath, [TSC, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

/** Makes sure dist/ is at least as new as lib/. */
export function ensureDist(): void {
  const marker = path.join(ROOT, 'dist', 'cli', 'index.js');
  const fresh = () => fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= newestMtime(path.join(ROOT, 'lib'));
  if (fresh()) return;
  const lock = path.join(ROOT, 'dist', '.build-lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (waited > 120000) throw new Error(`Timed out waiting for ${lock} (remove it if no test is running)`);
      sleep(200);
    }
  }
  try {
    if (!fresh()) {
      tsc(['-p', path.join(ROOT, 'tsconfig.json')]);
      // tsc leaves an unchanged file's time alone; touch the marker so the check above holds.
      const now = new Date();
      fs.utimesSync(marker, now, now);
    }
  } finally {
    fs.rmdirSync(lock);
  }
}

/** Compiles examples/*.ts into examples/build/<name> (its own folder per test file). */
export function buildExamples(name: string): string {
  ensureDist();
  const out = path.join(ROOT, 'examples', 'build', name);
  tsc(['-p', path.join(ROOT, 'examples', 'tsconfig.json'), '--outDir', out]);
  return out;
}
