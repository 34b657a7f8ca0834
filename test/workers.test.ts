// SPDX-License-Identifier: MIT
// The addon is context-aware (Node-API): it loads and computes in several worker_threads at
// once, each with its own instance, and a worker terminated in the middle of a computation
// leaves the process working. Workers require the compiled dist/ (built here when missing).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { diffusionSpectralEntropySync, buildInfo } from '../lib';
import { uniformMatrix } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist', 'index.js');

beforeAll(() => {
  if (!fs.existsSync(DIST)) {
    // Type errors elsewhere are `npm run lint`'s business: tsc still writes dist/.
    spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json')],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
    if (!fs.existsSync(DIST)) throw new Error('tsc did not write dist/index.js');
  }
}, 120_000);

// Loads the addon, says 'ready', waits for 'go', then computes sync and async.
const COMPUTE_WORKER = `
const { parentPort, workerData, threadId } = require('worker_threads');
const d = require(workerData.dist);
const info = d.buildInfo(); // loads the addon in this thread
parentPort.postMessage({ ready: true });
parentPort.once('message', async () => {
  const X = { data: workerData.data, rows: workerData.rows, cols: workerData.cols };
  const options = { gaussianKernelSigma: workerData.sigma };
  const sync = d.diffusionSpectralEntropySync(X, options);
  const async_ = await d.diffusionSpectralEntropy(X, options);
  parentPort.postMessage({ threadId, info, sync, async: async_ });
});
`;

interface ComputeResult {
  threadId: number;
  info: { blas: string; source: string };
  sync: number;
  async: number;
}

function once<T>(w: Worker, event: 'message' | 'exit'): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once(event, resolve);
    if (event !== 'exit') w.once('error', reject);
  });
}

describe('worker_threads', () => {
  it(
    'loads the addon in 4 workers that compute at the same time, each its own data, equal to the main ' + 'thread',
    async () => {
      const jobs = [0, 1, 2, 3].map((i) => ({ X: uniformMatrix(300 + 60 * i, 8, 101 + i), sigma: [0.5, 1, 2, 5][i] }));
      const expected = jobs.map((j) => diffusionSpectralEntropySync(j.X, { gaussianKernelSigma: j.sigma }));
      expect(new Set(expected).size).toBe(4); // four different problems

      const workers = jobs.map(
        (j) =>
          new Worker(COMPUTE_WORKER, {
            eval: true,
            workerData: { dist: DIST, data: j.X.data, rows: j.X.rows, cols: j.X.cols, sigma: j.sigma },
          }),
      );
      const exited = workers.map((w) => once<number>(w, 'exit'));
      try {
        // All four have loaded the addon before any computes; then they start together.
        await Promise.all(workers.map((w) => once(w, 'message')));
        const results = workers.map((w) => once<ComputeResult>(w, 'message'));
        for (const w of workers) w.postMessage('go');
        const got = await Promise.all(results);

        expect(new Set(got.map((r) => r.threadId)).size).toBe(4);
        got.forEach((r, i) => {
          expect([i, r.sync]).toEqual([i, expected[i]]);
          expect([i, r.async]).toEqual([i, expected[i]]);
          expect(r.info.blas).toBe(buildInfo().blas);
        });
        // The workers end by themselves (nothing of the addon keeps their loops alive).
        expect(await Promise.all(exited)).toEqual([0, 0, 0, 0]);
      } finally {
        await Promise.all(workers.map((w) => w.terminate()));
      }
      // And the main thread still computes the same.
      expect(diffusionSpectralEntropySync(jobs[2].X, { gaussianKernelSigma: jobs[2].sigma })).toBe(expected[2]);
    },
  );

  // In a child process: a crash there (e.g. a C++ exception escaping while the worker's
  // environment shuts down) fails this test with its output instead of killing the test runner.
  it('survives terminating a worker in the middle of a sync and of an async computation', () => {
    const script = `
const { Worker } = require('worker_threads');
const d = require(${JSON.stringify(DIST)});
const code = \`
const { parentPort, workerData } = require('worker_threads');
const d = require(workerData.dist);
const n = workerData.n, cols = 16, data = new Float64Array(n * cols);
let s = 7;
for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = s / 2 ** 32; }
const X = { data, rows: n, cols };
d.buildInfo();
parentPort.postMessage('started');
if (workerData.mode === 'sync') parentPort.postMessage(d.diffusionSpectralEntropySync(X, { gaussianKernelSigma: 1 }));
else d.diffusionSpectralEntropy(X, { gaussianKernelSigma: 1 }).then((v) => parentPort.postMessage(v));
\`;
const Y = { data: new Float64Array(200 * 4).map((_, i) => Math.sin(i * 1.7)), rows: 200, cols: 4 };
(async () => {
  const before = d.diffusionSpectralEntropySync(Y, { gaussianKernelSigma: 1 });
  const runs = [];
  for (const mode of ['sync', 'async', 'sync']) {
    const w = new Worker(code, { eval: true, workerData: { dist: ${JSON.stringify(DIST)}, mode, n: 2000 } });
    let finished = false;
    await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    w.on('message', () => { finished = true; });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    const exitCode = await w.terminate();
    runs.push({ mode, exitCode, finished, terminateMs: Date.now() - t0 });
  }
  const after = d.diffusionSpectralEntropySync(Y, { gaussianKernelSigma: 1 });
  const afterAsync = await d.diffusionSpectralEntropy(Y, { gaussianKernelSigma: 1 });
  // A new worker still loads the addon and computes.
  const w = new Worker('const { parentPort, workerData } = require("worker_threads"); const d = ' +
    'require(workerData.dist); parentPort.postMessage(d.diffusionSpectralEntropySync(workerData.Y, { ' +
      'gaussianKernelSigma: 1 }));', { eval: true, workerData: { dist: ${JSON.stringify(DIST)}, Y } });
  const fresh = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await w.terminate();
  console.log(JSON.stringify({ before, after, afterAsync, fresh, runs }));
})().catch((e) => { console.error(e); process.exit(1); });
`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 110_000 });
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      before: number;
      after: number;
      afterAsync: number;
      fresh: number;
      runs: { mode: string; exitCode: number; finished: boolean }[];
    };
    expect(Number.isFinite(out.before)).toBe(true);
    expect(out.after).toBe(out.before);
    expect(out.afterAsync).toBe(out.before);
    expect(out.fresh).toBe(out.before);
    // Terminated, not finished: the computation (N = 2000) outlasts the 50 ms before terminate().
    expect(out.runs.map((x) => [x.mode, x.exitCode, x.finished])).toEqual([
      ['sync', 1, false],
      ['async', 1, false],
      ['sync', 1, false],
    ]);
  }, 120_000);
});
