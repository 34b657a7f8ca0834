// SPDX-License-Identifier: MIT
// `dse compare`: the same call in Python (`import dse_dsmi`) and here. The real package is not on
// the registries the tests reach: test/fixtures/python/dse_dsmi is a module of that name built on
// bench/reference.py, put on PYTHONPATH. Agreement on the bundled digits (DSE, ASE kNN with
// subsampling, DSMI with the labels and with the images); every failure of the Python side with
// fake executables; the exit codes.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli, itNumpy, uniformMatrix, type CliResult } from './helpers';
import { writeNpy, readNpy } from '../lib/io/npy';
import { formatCsv } from '../lib/io/csv';
import { diffusionSpectralEntropySync } from '../lib';
import { pythonCall, jsonWithBigInts, tolerance } from '../lib/cli/compare';
import { RESULT_MARK } from '../lib/cli/compare-driver';

const ROOT = path.resolve(__dirname, '..');
const STAND_IN = path.join(__dirname, 'fixtures', 'python');
const DIGITS = path.join(ROOT, 'data', 'digits_X.npy');
const LABELS = path.join(ROOT, 'data', 'digits_y.npy');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-compare-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string) => path.join(tmp, name);

/** The environment of a run: this PATH, and the stand-in module on PYTHONPATH unless told otherwise. */
function env(withStandIn = true): Record<string, string> {
  return { PATH: process.env.PATH ?? '', ...(withStandIn ? { PYTHONPATH: STAND_IN } : {}) };
}
const dse = (args: string[], withStandIn = true): Promise<CliResult> =>
  runCli(tmp, ['compare', ...args], { env: env(withStandIn) });

/** An executable shell script in the temp folder. */
function fake(name: string, body: string): string {
  const p = file(name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}

// A 16-D embedding of the digits: a fixed random projection of the pixels.
beforeAll(() => {
  const x = readNpy(DIGITS);
  const [n, d] = x.shape;
  const k = 16;
  let s = 12345;
  const w = Float64Array.from({ length: d * k }, () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1);
  const z = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += Number(x.data[i * d + c]) * w[c * k + j];
      z[i * k + j] = acc / 8;
    }
  writeNpy(file('Z.npy'), { data: z, shape: [n, k] });
  const small = uniformMatrix(150, 5, 9);
  writeNpy(file('small.npy'), { data: small.data, shape: [150, 5] });
  const rows = Array.from({ length: 150 }, (_v, i) => Array.from(small.data.subarray(i * 5, i * 5 + 5)));
  fs.writeFileSync(file('small.csv'), formatCsv(['a', 'b', 'c', 'd', 'e'], rows));
  writeNpy(file('small_labels.npy'), { data: Int32Array.from({ length: 150 }, (_v, i) => i % 3), dtype: 'int32' });
});

describe('dse compare against the stand-in dse_dsmi, on the bundled digits', () => {
  itNumpy('DSE of the digits: both values, agreement within 1e-8, times, memory; exit 0', async () => {
    const r = await dse([DIGITS, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      command: 'compare',
      kind: 'diffusion',
      pythonFunction: 'diffusion_spectral_entropy',
      N: 1797,
      D: 64,
      agree: true,
    });
    expect(j.pythonKeywords).toEqual({ gaussian_kernel_sigma: 10, t: 1, max_N: 10000, random_seed: 0 });
    expect(j.python.module.file).toBe(path.join(STAND_IN, 'dse_dsmi', '__init__.py'));
    expect(j.ours.value).toBe(
      diffusionSpectralEntropySync({
        data: Float64Array.from(readNpy(DIGITS).data as Uint8Array),
        rows: 1797,
        cols: 64,
      }),
    );
    expect(j.relDiff).toBeLessThanOrEqual(1e-8);
    expect(j.tolerance).toMatchObject({ rtol: 1e-8, atol: 1e-10 });
    for (const side of [j.python, j.ours]) {
      expect(side.seconds).toHaveLength(1);
      expect(side.medianSeconds).toBeGreaterThan(0);
      expect(side.peakRssBytes).toBeGreaterThanOrEqual(side.peakRssBeforeBytes);
      expect(side.peakRssBeforeBytes).toBeGreaterThan(1e6);
    }
    expect(j.speedup).toBeCloseTo(j.python.medianSeconds / j.ours.medianSeconds, 10);
  });

  itNumpy('ASE with the kNN adjacency, 1000 of the rows drawn with seed 7 on both sides: exit 0', async () => {
    const r = await dse([DIGITS, '--kind', 'knn', '--max-n', '1000', '--seed', '7', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.pythonKeywords).toEqual({ use_knn: true, knn: 10, max_N: 1000, random_seed: 7 });
    // The kNN adjacency's documented bound where distances tie (integer pixels tie).
    expect(j.tolerance.rtol).toBe(1e-5);
    expect(j.relDiff).toBeLessThanOrEqual(1e-5);
    // Another seed draws other rows: the value moves far more than the tolerance.
    const other = JSON.parse((await dse([DIGITS, '--kind', 'knn', '--max-n', '1000', '--seed', '8', '--json'])).stdout);
    expect(Math.abs(other.ours.value - j.ours.value)).toBeGreaterThan(1e-3);
  });

  itNumpy('DSMI with the digit labels, in text: both values, the difference, the same clusters; exit 0', async () => {
    const r = await dse([file('Z.npy'), LABELS, '--repeat', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('diffusion_spectral_mutual_information on');
    expect(r.stdout).toMatch(/^Python dse_dsmi +-?\d\.\d+ +\d+\.\d{3} +[\d.]+ MB$/m);
    expect(r.stdout).toMatch(/^Node dse-dsmi \S+ +-?\d\.\d+ +\d+\.\d{3} +[\d.]+ MB$/m);
    expect(r.stdout).toMatch(/relative difference \S+ \(absolute \S+ bits\): within the tolerance 1e-8 relative/);
    expect(r.stdout).toContain('clusters: 10 in Python, 10 here, the same partition');
    expect(r.stdout).toMatch(/speed-up \d+\.\d\dx \(median of 2 runs each\)/);
  });

  itNumpy('DSMI with the images (spectral clustering of the pixels): exit 0, the same partition', async () => {
    const r = await dse([file('Z.npy'), DIGITS, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      agree: true,
      referenceShape: [1797, 64],
      clusters: { python: 10, ours: 10, samePartition: true },
    });
    expect(j.relDiff).toBeLessThanOrEqual(1e-8);
  });
});

describe('dse compare: modes and options', () => {
  itNumpy.each([
    [['--kind', 'adjacency', '--sigma', '2', '--anisotropic'], { gaussian_kernel_sigma: 2, anisotropic: true }],
    [['--kind', 'classic', '--bins', '3'], { classic_shannon_entropy: true, num_bins_per_dim: 3 }],
    [['--kind', 'entry', '--sigma', '5'], { gaussian_kernel_sigma: 5, matrix_entry_entropy: true }],
    [['--t', '3', '--sigma', '0.8', '--max-n', '100', '--seed', '18446744073709551621'], { t: 3, max_N: 100 }],
  ])('%j agrees with the stand-in (keywords %j)', async (args, keywords) => {
    const r = await dse([file('small.npy'), ...(args as string[]), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.pythonKeywords).toMatchObject(keywords);
    expect(j.agree).toBe(true);
  });

  itNumpy('a seed beyond 2^53 reaches Python as the same integer (the same rows)', async () => {
    const big = await dse([file('small.npy'), '--max-n', '100', '--seed', '18446744073709551621', '--json']);
    const near = await dse([file('small.npy'), '--max-n', '100', '--seed', '18446744073709551620', '--json']);
    const [a, b] = [JSON.parse(big.stdout), JSON.parse(near.stdout)];
    expect(a.relDiff).toBeLessThanOrEqual(1e-8);
    expect(b.relDiff).toBeLessThanOrEqual(1e-8);
    expect(a.ours.value).not.toBe(b.ours.value);
  });

  itNumpy('a CSV file reaches Python as the numbers dse read; scalars, --discrete, --clusters, ASMI', async () => {
    const csv = JSON.parse((await dse(['small.csv', '--json'])).stdout);
    const npy = JSON.parse((await dse(['small.npy', '--json'])).stdout);
    expect(csv.agree).toBe(true);
    expect(csv.python.value).toBe(npy.python.value);
    writeNpy(file('scalars.npy'), { data: Float64Array.from({ length: 150 }, (_v, i) => Math.sin(i)) });
    for (const args of [
      ['small.npy', 'scalars.npy', '--n-clusters', '4'],
      ['small.npy', 'small_labels.npy', '--discrete', '--repetitions', '2', '--seed', '3'],
      ['small.npy', 'scalars.npy', '--clusters', 'small_labels.npy'],
      ['small.npy', 'small_labels.npy', '--kind', 'adjacency', '--sigma', '3'],
      ['small.npy', 'small_labels.npy', '--kind', 'classic'],
    ]) {
      const r = await dse([...args, '--json']);
      expect([args, r.code, r.stderr]).toEqual([args, 0, '']);
      expect(JSON.parse(r.stdout).agree).toBe(true);
    }
  });

  itNumpy('a float32 file: the reference computes in float32, this package in float64; exit 1 says so', async () => {
    const digits = readNpy(DIGITS);
    writeNpy(file('digits_f32.npy'), {
      data: Float32Array.from(digits.data as Uint8Array, (v) => v / 16),
      shape: digits.shape,
    });
    const r = await dse(['digits_f32.npy', '--max-n', '400', '--json']);
    const j = JSON.parse(r.stdout);
    expect(j.relDiff).toBeGreaterThan(1e-8);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        String.raw`; X is stored in single \(or half\) precision, which the reference computes in float32 and` +
          String.raw` this package in float64 \(README: Float32Array input\)\n$`,
      ),
    );
    // Within the 1e-5 the README states for float32 input at sigma 10.
    expect((await dse(['digits_f32.npy', '--max-n', '400', '--rtol', '1e-4'])).code).toBe(0);
  });

  it("maps options to the package keywords: max_N, no knn for ASMI, nothing for this package's own", () => {
    expect(
      pythonCall('diffusionSpectralEntropy', {
        gaussianKernelSigma: 3,
        maxN: null,
        randomSeed: 5,
        precision: 'float32',
        method: 'slq',
        slq: { probes: 8 },
      }),
    ).toEqual({
      function: 'diffusion_spectral_entropy',
      kwargs: { gaussian_kernel_sigma: 3, max_N: null, random_seed: 5 },
    });
    expect(
      pythonCall('adjacencySpectralMutualInformation', {
        useKnn: true,
        knn: 10,
        referenceDiscrete: null,
        nClusters: 4,
      }),
    ).toEqual({
      function: 'adjacency_spectral_mutual_information',
      kwargs: { use_knn: true, reference_discrete: null, n_clusters: 4 },
    });
    expect(jsonWithBigInts({ random_seed: 18446744073709551621n })).toBe('{"random_seed":18446744073709551621}');
  });

  it('tolerances: 1e-8 + 1e-10 bits, the kNN bounds, 1e-4 bits for float32; random modes need --atol', () => {
    expect(tolerance({ kind: 'diffusion', precision: 'float64' }, false, null)).toMatchObject({
      rtol: 1e-8,
      atol: 1e-10,
    });
    expect(tolerance({ kind: 'knn', precision: 'float64' }, false, null)).toMatchObject({ rtol: 1e-5 });
    expect(tolerance({ kind: 'knn', precision: 'float64' }, true, null)).toMatchObject({ rtol: 1e-4 });
    expect(tolerance({ kind: 'diffusion', precision: 'float32' }, false, null)).toMatchObject({ rtol: 0, atol: 1e-4 });
    expect(tolerance({ kind: 'knn', precision: 'float64', rtol: 1e-9 }, false, null)).toMatchObject({
      rtol: 1e-9,
      atol: 1e-10,
    });
    expect(tolerance({ kind: 'diffusion', precision: 'float64', atol: 0 }, true, null)).toMatchObject({
      rtol: 1e-8,
      atol: 0,
    });
    expect(() => tolerance({ kind: 'diffusion', precision: 'float64' }, false, '--chebyshev')).toThrow(
      /--chebyshev: the values are random, give the tolerance with --atol/,
    );
  });
});

describe('dse compare: exit codes and the failures of the Python side', () => {
  // A "Python" that prints the driver's result line with a value of its own.
  const answering = (value: number) =>
    fake(
      `answer-${value}`,
      `echo '${RESULT_MARK}${JSON.stringify({
        value,
        seconds: [0.5],
        peakRssBytes: 1e8,
        peakRssBeforeBytes: 9e7,
        clusters: null,
        python: '3.0',
        numpy: '0',
        module: { file: 'fake', version: 'fake' },
      })}'`,
    );

  it('exit 1 when the values differ beyond --rtol, with both values printed', async () => {
    const ours = diffusionSpectralEntropySync(uniformMatrix(150, 5, 9));
    const r = await dse(['small.npy', '--python', answering(ours * (1 + 1e-6))]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('BEYOND the tolerance 1e-8 relative');
    expect(r.stderr).toMatch(
      new RegExp(
        String.raw`^dse: the values differ beyond the tolerance: Python \S+, here \S+ \(relative difference` +
          String.raw` 1\.00e-6, tolerance 1e-8 relative \+ 1e-10 bits\)\n$`,
      ),
    );
    // Within a looser --rtol, or an --atol: exit 0.
    expect((await dse(['small.npy', '--python', answering(ours * (1 + 1e-6)), '--rtol', '1e-5'])).code).toBe(0);
    expect((await dse(['small.npy', '--python', answering(ours + 1e-7), '--rtol', '0', '--atol', '1e-6'])).code).toBe(
      0,
    );
  });

  it('an executable that does not exist: exit 2, one line', async () => {
    for (const python of [file('no-such-python'), 'dse-no-such-python-anywhere']) {
      const r = await dse(['small.npy', '--python', python]);
      expect(r).toEqual({
        code: 2,
        stdout: '',
        stderr:
          `dse: Could not run --python ${JSON.stringify(python)}: no such executable (give the path of the ` +
          `Python that has dse-dsmi installed)\n`,
      });
    }
  });

  it('dse_dsmi not importable (a Python that exits with an ImportError): exit 2 with the pip hint', async () => {
    const py = fake(
      'python-import-error',
      `echo 'Traceback (most recent call last):' >&2\necho "ModuleNotFoundError: No module named 'dse_dsmi'" ` +
        `>&2\nexit 1`,
    );
    const r = await dse(['small.npy', '--python', py]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `dse: Could not import dse_dsmi in ${py} (ModuleNotFoundError: No module named 'dse_dsmi'): install the ` +
        `reference in that Python: ${py} -m pip install dse-dsmi\n`,
    );
  });

  itNumpy('dse_dsmi or numpy not importable in a real python3: exit 2 with the pip hint', async () => {
    const r = await dse(['small.npy'], false);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "dse: Could not import dse_dsmi in python3 (ModuleNotFoundError: No module named 'dse_dsmi'): install the " +
        'reference in that Python: python3 -m pip install dse-dsmi\n',
    );
    // python3 -S: no site-packages, so no numpy (the driver says which module is missing).
    const bare = fake('python-no-site', 'exec python3 -S "$@"');
    const r2 = await dse(['small.npy', '--python', bare]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(
      new RegExp(
        String.raw`^dse: Could not import numpy in \S+ \(ModuleNotFoundError: No module named 'numpy'\): install` +
          String.raw` the reference in that Python: \S+ -m pip install dse-dsmi\n$`,
      ),
    );
  });

  it('an exception in the reference: exit 2, its message on one line', async () => {
    const py = fake('python-raises', `exec python3 -c "raise ValueError('the reference failed')"`);
    const r = await dse(['small.npy', '--python', py]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dse: The Python side (${py}) exited with status 1: ValueError: the reference failed\n`);
  });

  itNumpy('an exception inside the package, caught by the driver: its type, message and where', async () => {
    // The stand-in has no Chebyshev mode: it raises NotImplementedError.
    const r = await dse(['small.npy', '--chebyshev', '--atol', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        String.raw`^dse: The Python reference raised NotImplementedError: chebyshev_approx is not implemented in` +
          String.raw` bench\/reference\.py \(at \S+reference\.py:\d+\)\n$`,
      ),
    );
  });

  it('--timeout: the Python side is killed and the run fails at once', async () => {
    const py = fake('python-sleeps', `echo $$ > ${file('sleeper.pid')}\nexec sleep 30`);
    const t0 = Date.now();
    const r = await dse(['small.npy', '--python', py, '--timeout', '0.5']);
    expect(Date.now() - t0).toBeLessThan(10000);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `dse: The Python side took longer than --timeout 0.5 s: stopped it\n`,
    });
    const pid = Number(fs.readFileSync(file('sleeper.pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('a Python that prints nothing useful: its status and last line', async () => {
    const r = await dse(['small.npy', '--python', fake('python-quiet', 'exit 4')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dse: The Python side \(\S+python-quiet\) exited with status 4 and printed nothing\n$/);
  });

  it('data errors are exit 2 before Python runs; flags that do not fit are exit 1', async () => {
    const never = fake('python-never', 'exit 9');
    expect(await dse(['missing.npy', '--python', never])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^dse: Could not read .*missing\.npy.*no such file/),
    });
    const usage: [string[], RegExp][] = [
      [['small.npy', 'small_labels.npy', '--max-n', '100'], /--max-n applies to entropies only/],
      [['small.npy', '--n-clusters', '3'], /--n-clusters applies only with a reference file/],
      [
        ['small.npy', 'small_labels.npy', '--kind', 'knn', '--knn', '5'],
        /--knn 5 cannot be compared: the reference's adjacency_spectral_mutual_information has no knn keyword/,
      ],
      [['small.npy', '--chebyshev'], /--chebyshev .*: the values are random, give the tolerance with --atol/],
      [['small.npy', '--method', 'slq'], /--method slq .*: the values are random/],
      [['small.npy', 'small_labels.npy', '--seed', 'none'], /--seed none .*: the values are random/],
      [['small.npy', '--kind', 'knn', '--sigma', '2'], /--sigma does not apply to --kind knn/],
    ];
    for (const [args, message] of usage) {
      const r = await dse([...args, '--python', never]);
      expect([args, r.code]).toEqual([args, 1]);
      expect(r.stderr).toMatch(message);
    }
  });
});
