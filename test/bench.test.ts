// SPDX-License-Identifier: MIT
// bench/workload.js, this package's side of `npm run bench`: the CLI contract it shares with
// bench/reference.py (one JSON line {value, seconds[], peakRssBytes}; ours adds callBytes) and the same value as the
// library call. (The harness itself, bench/run.js, runs in CI as `npm run bench -- --quick`.)
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffusionSpectralEntropySync, diffusionSpectralMutualInformationSync } from '../lib';
import { writeNpy } from '../lib/io/npy';
import { uniformMatrix, itNumpy } from './helpers';
import { ensureDist } from './build-dist';

const ROOT = path.resolve(__dirname, '..');

function runWorkload(workload: object, ...extra: string[]) {
  // As bench/run.js starts it: with --expose-gc, so that each run starts after a collection.
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', path.join(ROOT, 'bench', 'workload.js'), '--workload', JSON.stringify(workload), ...extra],
    { encoding: 'utf8' },
  );
  return r;
}

describe('bench/workload.js', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-bench-test-'));
  const X = uniformMatrix(120, 5, 3);
  const labels = Int32Array.from({ length: 120 }, (_, i) => i % 3);
  const xFile = path.join(dir, 'x.npy');
  const yFile = path.join(dir, 'y.npy');
  writeNpy(xFile, { data: X.data, shape: [X.rows, X.cols] });
  writeNpy(yFile, { data: labels, shape: [120], dtype: 'int32' });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON line with the value of the library call, R timings and the peak RSS', () => {
    const r = runWorkload(
      { fn: 'diffusionSpectralEntropy', X: xFile, options: { gaussianKernelSigma: 0.7 } },
      '--repeat',
      '2',
    );
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(out.value).toBe(diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.7 }));
    expect(out.seconds).toHaveLength(2);
    expect(out.peakRssBytes).toBeGreaterThanOrEqual(out.rssBeforeBytes);
    expect(out.rssBeforeBytes).toBeGreaterThan(1e6);
  });

  // What each run adds to the resident set (Linux: the peak is reset before each run; elsewhere
  // callBytes is null). A DSE of 1500 rows writes the lower triangle of a 1500 x 1500 float64
  // kernel, 9 MB: each run's figure must hold it, however much the process held before.
  it('measures what each run itself adds to the resident set', () => {
    const big = uniformMatrix(1500, 5, 4);
    const file = path.join(dir, 'big.npy');
    writeNpy(file, { data: big.data, shape: [big.rows, big.cols] });
    const r = runWorkload({ fn: 'diffusionSpectralEntropy', X: file }, '--repeat', '2');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    if (process.platform !== 'linux') {
      expect(out.callBytes).toBeNull();
      return;
    }
    expect(out.callBytes).toHaveLength(2);
    for (const b of out.callBytes) {
      expect(b).toBeGreaterThan((1500 * 1500 * 8) / 2);
      expect(b).toBeLessThan(1500 * 1500 * 8 * 4);
    }
    expect(out.peakRssBytes).toBeGreaterThanOrEqual(out.rssBeforeBytes + Math.min(...out.callBytes));
  });

  it('runs the MI functions against a reference file', () => {
    const r = runWorkload({
      fn: 'diffusionSpectralMutualInformation',
      X: xFile,
      reference: yFile,
      options: { gaussianKernelSigma: 0.7 },
    });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.value).toBe(diffusionSpectralMutualInformationSync(X, labels, { gaussianKernelSigma: 0.7 }).value);
  });

  it('fails with a message and no output on a bad workload', () => {
    const r = runWorkload({ fn: 'noSuchFunction', X: xFile });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown fn noSuchFunction/);
  });
});

// bench/run.js --reference: the Python package dse_dsmi (here the test module of that name on
// bench/reference.py, test/fixtures/python) through dse compare's driver, or the stand-in.
describe('bench/run.js --reference', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-bench-ref-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bench = (args: string[], pythonPath?: string) => {
    ensureDist();
    const env = { ...process.env };
    delete env.PYTHONPATH;
    if (pythonPath) env.PYTHONPATH = pythonPath;
    return spawnSync(
      process.execPath,
      [path.join(ROOT, 'bench', 'run.js'), '--data', dir, '--json', path.join(dir, 'results.json'), ...args],
      { encoding: 'utf8', env },
    );
  };

  itNumpy('uses the package when it is importable, and says so in the results and the table', () => {
    const r = bench(['--only', 'dse uniform 1000 x', '--repeat', '1'], path.join(__dirname, 'fixtures', 'python'));
    expect([r.status, r.stderr.split('\n').filter((l) => /error|failed/i.test(l))]).toEqual([0, []]);
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    const module = path.join(__dirname, 'fixtures', 'python', 'dse_dsmi', '__init__.py');
    expect(results.reference).toEqual({ kind: 'package', module, version: 'stand-in (bench/reference.py)' });
    expect(results.workloads.map((w: { name: string; ok: boolean }) => [w.name, w.ok])).toEqual([
      ['DSE uniform 1000 x 256', true],
    ]);
    expect(r.stdout).toContain(`reference: the Python package dse-dsmi stand-in (bench/reference.py) (${module})`);
  });

  itNumpy('--reference package without dse_dsmi fails with the pip hint; a bad value is refused', () => {
    const r = bench(['--only', 'dse uniform 1000 x', '--reference', 'package']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        String.raw`--reference package: python3 cannot import dse_dsmi \(ModuleNotFoundError: No module named` +
          String.raw` 'dse_dsmi'\); install it with python3 -m pip install dse-dsmi`,
      ),
    );
    const bad = bench(['--reference', 'pypi']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--reference must be auto, package or stand-in, not pypi/);
  });
});
