// SPDX-License-Identifier: MIT
// Issue 18 ("Reliability II"): what an outside break-test found. One describe per item; each
// test failed before its fix.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Zip, ZipDeflate } from 'fflate';
import {
  DseError,
  DseTracker,
  diffusionSpectralEntropySync,
  diffusionSpectralMutualInformationSync,
  diffusionSpectralMutualInformation,
  adjacencySpectralMutualInformationSync,
  spectralClusteringSync,
  spectralEntropy,
  traceReport,
  traceCsv,
  parseCsv,
} from '../lib';
import { writeNpy, encodeNpy } from '../lib/io/npy';
import { readNpz, writeNpz } from '../lib/io/npz';
import { writeFileAtomic } from '../lib/io/atomic';
import { prefixSvgIds } from '../lib/report/render';
import type { Matrix } from '../lib/validate';
import { run } from '../lib/cli/program';
import { expectDseError, expectDseRejection, loadValues, samePartition, uniformMatrix } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-rel-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `dse ...args` in-process, in the temp folder. */
async function dse(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s), isTTY: false, columns: 100 } as never,
    cwd: tmp,
    env: {},
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Sets Object.prototype[key] for the duration of fn. */
function withPolluted<T>(key: string, value: unknown, fn: () => T): T {
  Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true, enumerable: false });
  try {
    return fn();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
}

/** Sets Object.prototype[key] until the promise fn returns has settled. */
async function withPollutedAsync<T>(key: string, value: unknown, fn: () => Promise<T>): Promise<T> {
  Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true, enumerable: false });
  try {
    return await fn();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
}

// The inputs of test/fixtures/gen_degenerate_clusters.py.
function oneHot(classes: number, rows: number, seed: number): Matrix {
  const u = uniformMatrix(rows, 1, seed).data;
  const data = new Float64Array(rows * classes);
  for (let i = 0; i < rows; i++) data[i * classes + Math.floor(u[i] * classes)] = 1;
  return { data, rows, cols: classes };
}
function repeatRows(m: Matrix, times: number, count = m.rows): Matrix {
  const data = new Float64Array(count * times * m.cols);
  for (let i = 0; i < count; i++)
    for (let r = 0; r < times; r++) data.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), (i * times + r) * m.cols);
  return { data, rows: count * times, cols: m.cols };
}
function stack(...ms: Matrix[]): Matrix {
  const data = new Float64Array(ms.reduce((a, m) => a + m.data.length, 0));
  let o = 0;
  for (const m of ms) {
    data.set(m.data, o);
    o += m.data.length;
  }
  return { data, rows: ms.reduce((a, m) => a + m.rows, 0), cols: ms[0].cols };
}
function shifted(m: Matrix, by: number): Matrix {
  return { data: m.data.map((v) => v + by), rows: m.rows, cols: m.cols };
}
/** One-hot rows of 2 classes, alternating (the break-test's failing order). */
function alternatingOneHot(rows: number): Matrix {
  const data = new Float64Array(rows * 2);
  for (let i = 0; i < rows; i++) data[i * 2 + (i % 2)] = 1;
  return { data, rows, cols: 2 };
}

describe('item 1: spectral clustering of duplicated rows and disconnected graphs', () => {
  const cases: [string, () => Matrix][] = [
    ['onehot10_3000', () => oneHot(10, 3000, 21)],
    ['dup300x4', () => repeatRows(uniformMatrix(300, 3, 22), 4)],
    ['mixdup_3000', () => stack(uniformMatrix(2000, 2, 23), repeatRows(uniformMatrix(2000, 2, 23), 2, 500))],
    ['squares3_3000', () => stack(...[0, 1, 2].map((i) => shifted(uniformMatrix(1000, 2, 24 + i), 100 * i)))],
  ];
  it.each(cases)("gives scikit-learn's partition of %s", (name, make) => {
    const labels = spectralClusteringSync(make(), { nClusters: 10 });
    expect(samePartition(labels, loadValues(`clusters_${name}.npy`))).toBe(true);
  });

  it('DSMI against one-hot vectors equals DSMI with scikit-learn\'s clusters given', () => {
    const Y = oneHot(10, 3000, 21);
    const X = uniformMatrix(3000, 4, 31);
    const opts = { numRepetitions: 1 };
    const viaClustering = diffusionSpectralMutualInformationSync(X, Y, opts).value;
    const given = diffusionSpectralMutualInformationSync(X, Y, { ...opts, precomputedClusters: Int32Array.from(loadValues('clusters_onehot10_3000.npy')) }).value;
    expect(viaClustering).toBe(given);
  });

  it('clusters 3000 and 5000 one-hot rows of 2 classes in seconds each (22-38 s and a failure before)', () => {
    for (const rows of [3000, 5000]) {
      const Y = alternatingOneHot(rows);
      const start = process.hrtime.bigint();
      const labels = spectralClusteringSync(Y, { nClusters: 10 });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      expect(seconds).toBeLessThan(5);
      expect(new Set(labels).size).toBe(10);
      // Deterministic: the tied eigenspace is resolved the same way every time.
      expect(spectralClusteringSync(Y, { nClusters: 10 })).toEqual(labels);
      const half: Matrix = { data: Y.data.slice(0, rows), rows: rows / 2, cols: 2 };
      expect(spectralClusteringSync(half, { nClusters: 10 }).length).toBe(rows / 2);
    }
  });
});

void DseError;
