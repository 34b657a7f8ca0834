// SPDX-License-Identifier: MIT
// A short run of examples/train-digits.ts (TensorFlow.js MLP on the digits, tracked with
// DseTracker): with the true labels DSMI(Z;Y) of the penultimate layer rises as the network
// learns; with shuffled labels (memorisation) it stays near 0. Fixed seeds, 4 epochs, 500 rows.
import * as path from 'path';
import { spawnSync } from 'child_process';
import { buildExamples } from './build-dist';

interface Run {
  name: string;
  accuracy: (number | null)[];
  records: { epoch: number; dse: number; dsmiY: number; dsmiX: number }[];
}

let runs: Run[] = [];
beforeAll(() => {
  const out = buildExamples('jest-training');
  const r = spawnSync(
    process.execPath,
    [path.join(out, 'train-digits.js'), '--epochs', '4', '--eval-rows', '500', '--seed', '42', '--no-report', '--json'],
    { encoding: 'utf8', timeout: 120000, maxBuffer: 16 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`train-digits failed (${r.status}): ${r.stderr}`);
  runs = JSON.parse(r.stdout).runs;
});

describe('examples/train-digits.ts (short run)', () => {
  it('records epochs 0..4 of both runs with finite DSE(Z), DSMI(Z;Y), DSMI(Z;X)', () => {
    expect(runs.map((r) => r.name)).toEqual(['true labels', 'shuffled labels (memorisation)']);
    for (const run of runs) {
      expect(run.records.map((r) => r.epoch)).toEqual([0, 1, 2, 3, 4]);
      for (const r of run.records) for (const v of [r.dse, r.dsmiY, r.dsmiX]) expect(Number.isFinite(v)).toBe(true);
    }
    // both start from the same weights: the same embeddings at epoch 0
    expect(runs[1].records[0].dse).toBe(runs[0].records[0].dse);
  });

  it('DSMI(Z;Y) rises with the true labels and stays near 0 with shuffled labels', () => {
    const [generalising, memorising] = runs.map((r) => r.records.map((x) => x.dsmiY));
    expect(generalising[4]).toBeGreaterThan(generalising[0] + 0.5);
    expect(generalising[4]).toBeGreaterThan(1);
    for (const v of memorising) expect(Math.abs(v)).toBeLessThan(0.1);
    expect(generalising[4]).toBeGreaterThan(10 * Math.max(...memorising.map(Math.abs)));
  });

  it('learns the true labels and not the shuffled ones in 4 epochs', () => {
    expect(runs[0].accuracy.at(-1)).toBeGreaterThan(0.9);
    expect(runs[1].accuracy.at(-1)).toBeLessThan(0.3);
  });
});
