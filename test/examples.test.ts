// SPDX-License-Identifier: MIT
// The ports of the reference package's own test scripts (examples/dse-test.ts, dsmi-test.ts):
// compiled with examples/tsconfig.json, run as a user would run them, their labelled lines read.
import * as path from 'path';
import { spawnSync } from 'child_process';
import { buildExamples } from './build-dist';

let out = '';
beforeAll(() => {
  out = buildExamples('jest-examples');
});

/** Runs a compiled example and returns its `label = value` lines in order. */
function runExample(name: string): { lines: string[]; values: [string, number][] } {
  const r = spawnSync(process.execPath, [path.join(out, `${name}.js`), '--seed', '1'], {
    encoding: 'utf8',
    timeout: 120000,
  });
  if (r.status !== 0) throw new Error(`${name} failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.split('\n');
  const values = lines
    .map((l) => l.match(/^([A-Za-z][\w -]*?) = (\S+)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => [m[1], Number(m[2])] as [string, number]);
  return { lines, values };
}

describe('examples/dse-test.ts', () => {
  it('prints the ten labelled results: saved and reloaded eigenvalues, CSE, matrix entries, ASE', () => {
    const { lines, values } = runExample('dse-test');
    expect(values.map(([label]) => label)).toEqual([
      'DSE',
      'DSE',
      'DSE',
      'DSE',
      'DSE',
      'CSE',
      'DSE-matrix-entry',
      'KNN binarized adjacency matrix',
      'Gaussian adjacency matrix',
      'Anisotropic Gaussian adjacency matrix',
    ]);
    expect(lines.filter((l) => /^Run \d+: /.test(l))).toHaveLength(10);
    const v = values.map(([, x]) => x);
    for (const x of v) expect(Number.isFinite(x)).toBe(true);
    const maxBits = Math.log2(1000);
    for (const i of [0, 1, 2, 3, 4, 5, 7, 8, 9]) {
      expect(v[i]).toBeGreaterThan(0);
      expect(v[i]).toBeLessThanOrEqual(maxBits + 1e-9);
    }
    // 1000 x 1000 diffusion matrix entries: at most log2(10^6) bits, and far from 0
    expect(v[6]).toBeGreaterThan(maxBits);
    expect(v[6]).toBeLessThanOrEqual(Math.log2(1e6));
    // float16 eigenvalues move the value a little; float64 ones not at all
    expect(Math.abs(v[2] - v[1])).toBeLessThan(0.05);
    expect(v[4]).toBe(v[3]);
    // 1000 points drawn the same way have nearly the same DSE
    expect(Math.abs(v[0] - v[3])).toBeLessThan(0.1);
    // every row is distinct in 256 binary dimensions: CSE = log2(1000)
    expect(v[5]).toBeCloseTo(maxBits, 6);
  });
});

describe('examples/dsmi-test.ts', () => {
  it('prints the nine labelled results: about 0 for unrelated references, finite for the two-class data', () => {
    const { lines, values } = runExample('dsmi-test');
    expect(values.map(([label]) => label)).toEqual([
      'DSMI',
      'DSMI',
      'DSMI',
      'DSMI',
      'CSMI',
      'DSMI-matrix-entry',
      'ASMI-KNN',
      'ASMI-Gaussian-Adj',
      'ASMI-Anisotropic-Adj',
    ]);
    expect(lines.filter((l) => /^Run \d+: /.test(l))).toHaveLength(9);
    const v = values.map(([, x]) => x);
    for (const x of v) expect(Number.isFinite(x)).toBe(true);
    // random embeddings share nothing with random labels, scalars or images
    for (const i of [0, 1, 2]) expect(Math.abs(v[i])).toBeLessThan(0.05);
    // the two-class data: the labels carry information about the features
    expect(v[3]).toBeGreaterThan(0);
    expect(v[4]).toBeGreaterThan(0.01);
    for (const i of [5, 6, 7, 8]) expect(v[i]).toBeGreaterThan(-0.05);
  });
});
