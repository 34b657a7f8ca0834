// SPDX-License-Identifier: MIT
// The `dse` command line: every command in-process (fake streams), checked against the library's
// own results; exit codes and one-line errors; progress bars only on a terminal; then the real
// executable (dist/cli/index.js) as a child process.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import { runCli, type CliResult } from './helpers';
import { naturalCompare, epochOf, discoverTrace, epochPattern } from '../lib/cli/discover';
import { parseTraceCsv } from '../lib/report/trace';
import { distanceScale } from '../lib/scale';
import { parseCsv, readCsv, formatCsv } from '../lib/io/csv';
import { writeNpy, readNpy } from '../lib/io/npy';
import { pythonRandomSample } from '../lib/random';
import { writeNpz } from '../lib/io/npz';
import {
  diffusionSpectralEntropySync,
  diffusionSpectralEntropyDetailedSync,
  adjacencySpectralEntropySync,
  adjacencySpectralEntropyDetailedSync,
  diffusionSpectralMutualInformationSync,
  adjacencySpectralMutualInformationSync,
  spectralClusteringSync,
} from '../lib';
import { DseTracker } from '../lib/tracker';
import type { Matrix } from '../lib/validate';
import { ensureDist, ROOT } from './build-dist';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs `dse ...args` in-process, in the temp folder. */
const dse = (args: string[], options: { tty?: boolean; env?: Record<string, string> } = {}): Promise<CliResult> =>
  runCli(tmp, args, options);

/** Runs `dse trace <folder> --labels <folder>/labels.npy ...args`. */
const trace = (folder: string, ...args: string[]): Promise<CliResult> =>
  dse(['trace', folder, '--labels', `${folder}/labels.npy`, ...args]);

let seedState = 1;
function rand(): number {
  seedState = (seedState * 48271) % 2147483647;
  return seedState / 2147483647;
}
function matrix(rows: number, cols: number, scale = 1): Matrix {
  return { data: Float64Array.from({ length: rows * cols }, () => rand() * scale), rows, cols };
}

// Fixture files: X [150, 5] as .npy, .csv (with header) and .npz; labels; scalars; vectors.
const X = matrix(150, 5, 4);
const labels = BigInt64Array.from({ length: 150 }, (_v, i) => BigInt(i % 3));
const labels32 = Int32Array.from(labels, (v) => Number(v));
for (let i = 0; i < 150; i++) X.data[i * 5] += labels32[i] * 3; // the labels carry information
const scalars = Float64Array.from({ length: 150 }, () => rand() * 2 - 1);
const vectors = matrix(150, 8);
const file = (name: string) => path.join(tmp, name);

beforeAll(() => {
  writeNpy(file('X.npy'), { data: X.data, shape: [150, 5] });
  writeNpy(file('labels.npy'), { data: labels });
  writeNpy(file('scalars.npy'), { data: scalars });
  writeNpy(file('vectors.npy'), { data: vectors.data, shape: [150, 8] });
  writeNpz(file('both.npz'), { z: { data: X.data, shape: [150, 5] }, other: { data: [1, 2, 3] } });
  writeNpz(file('single.npz'), { embeddings: { data: X.data, shape: [150, 5] } });
  const rows = Array.from({ length: 150 }, (_v, i) => Array.from(X.data.subarray(i * 5, i * 5 + 5)));
  fs.writeFileSync(file('X.csv'), formatCsv(['a', 'b', 'c', 'd', 'e'], rows));
  fs.writeFileSync(file('labels.csv'), `label\n${labels32.join('\n')}\n`);
  fs.writeFileSync(file('broken.npy'), 'this is not numpy');
  fs.writeFileSync(file('ragged.csv'), '1,2\n3\n');
});

describe('dse entropy', () => {
  it('prints the DSE of a .npy file, the same as diffusionSpectralEntropySync', async () => {
    const r = await dse(['entropy', 'X.npy', '--sigma', '2', '--t', '3']);
    expect(r).toEqual({
      code: 0,
      stdout: `${diffusionSpectralEntropySync(X, { gaussianKernelSigma: 2, t: 3 })}\n`,
      stderr: '',
    });
  });

  it('reads .csv (header skipped) and .npz (--key, or the only array) to the same value', async () => {
    const expected = `${diffusionSpectralEntropySync(X)}\n`;
    expect((await dse(['entropy', 'X.csv'])).stdout).toBe(expected);
    expect((await dse(['entropy', 'both.npz', '--key', 'z'])).stdout).toBe(expected);
    expect((await dse(['entropy', 'single.npz'])).stdout).toBe(expected);
  });

  it('prints JSON with the value, the options used, N, D and seconds', async () => {
    const r = await dse(['entropy', 'X.npy', '--json', '--max-n', '100', '--seed', '7', '--precision', 'float32']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const options = { gaussianKernelSigma: 10, t: 1, maxN: 100, randomSeed: 7, precision: 'float32' };
    expect(j).toMatchObject({
      command: 'entropy',
      kind: 'diffusion',
      function: 'diffusionSpectralEntropy',
      N: 150,
      D: 5,
      options,
    });
    expect(j.value).toBe(diffusionSpectralEntropySync(X, options as never));
    expect(j.seconds).toBeGreaterThanOrEqual(0);
  });

  it.each([
    [['--kind', 'knn', '--knn', '7'], () => adjacencySpectralEntropySync(X, { useKnn: true, knn: 7 })],
    [
      ['--kind', 'adjacency', '--sigma', '3', '--anisotropic'],
      () => adjacencySpectralEntropySync(X, { gaussianKernelSigma: 3, anisotropic: true }),
    ],
    [['--kind', 'adjacency'], () => adjacencySpectralEntropySync(X)],
    [
      ['--kind', 'classic', '--bins', '3'],
      () => diffusionSpectralEntropySync(X, { classicShannonEntropy: true, numBinsPerDim: 3 }),
    ],
    [
      ['--kind', 'entry', '--sigma', '5'],
      () => diffusionSpectralEntropySync(X, { matrixEntryEntropy: true, gaussianKernelSigma: 5 }),
    ],
    [['--max-n', 'none'], () => diffusionSpectralEntropySync(X, { maxN: null })],
    [['--max-n', '60', '--seed', 'none'], null],
  ])('--kind and options %j map to the library call', async (args, expected) => {
    const r = await dse(['entropy', 'X.npy', ...(args as string[])]);
    expect(r.code).toBe(0);
    if (expected) expect(Number(r.stdout)).toBe((expected as () => number)());
    else expect(Number(r.stdout)).toBeGreaterThan(0);
  });

  it('--cache saves the eigenvalues (eigvalSavePath), and reads them back without the matrix', async () => {
    const exact = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 2, t: 2 });
    const first = JSON.parse(
      (
        await dse([
          'entropy',
          'X.npy',
          '--sigma',
          '2',
          '--t',
          '2',
          '--cache',
          'eig64.npz',
          '--cache-precision',
          'float64',
          '--json',
        ])
      ).stdout,
    );
    expect(first.value).toBe(exact);
    expect(first.options).toMatchObject({ eigvalSavePath: file('eig64.npz'), eigvalSavePrecision: 'float64' });
    expect(fs.existsSync(file('eig64.npz'))).toBe(true);
    expect(await dse(['entropy', '--cache', 'eig64.npz', '--t', '2'])).toEqual({
      code: 0,
      stdout: `${exact}\n`,
      stderr: '',
    });
    // the default float16 file rounds the eigenvalues: close, not equal
    await dse(['entropy', 'X.npy', '--sigma', '2', '--cache', 'eig16.npz']);
    const h16 = Number((await dse(['entropy', '--cache', 'eig16.npz'])).stdout);
    expect(h16).toBeCloseTo(diffusionSpectralEntropySync(X, { gaussianKernelSigma: 2 }), 2);
    // the adjacency kinds cache too
    const knn = adjacencySpectralEntropySync(X, { useKnn: true, knn: 5 });
    expect(
      Number(
        (
          await dse([
            'entropy',
            'X.npy',
            '--kind',
            'knn',
            '--knn',
            '5',
            '--cache',
            'knn.npz',
            '--cache-precision',
            'float64',
          ])
        ).stdout,
      ),
    ).toBe(knn);
    expect(Number((await dse(['entropy', '--kind', 'knn', '--knn', '5', '--cache', 'knn.npz'])).stdout)).toBe(knn);
    // a cache made from other data is refused (exit 2), and no file without a cache is a usage error
    const stale = await dse(['entropy', 'vectors.npy', '--sigma', '2', '--cache', 'eig64.npz']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(
      /^dse: The eigenvalue cache ".*eig64\.npz" was computed from other data or parameters[^\n]*\n$/,
    );
    expect(await dse(['entropy', '--cache', 'absent.npz'])).toMatchObject({ code: 2 });
    expect(await dse(['entropy', '--kind', 'classic', '--cache', 'eig64.npz'])).toMatchObject({ code: 1 });
  });

  it('--chebyshev maps to chebyshevApprox', async () => {
    const r = await dse(['entropy', 'X.npy', '--chebyshev', '--sigma', '2']);
    expect(r.code).toBe(0);
    expect(Number(r.stdout)).toBe(diffusionSpectralEntropySync(X, { chebyshevApprox: true, gaussianKernelSigma: 2 }));
    expect((await dse(['entropy', 'X.npy', '--chebyshev', '--kind', 'knn'])).code).toBe(1);
  });

  it(
    'rejects flags that do not apply to the kind, unknown flags, bad values and missing arguments with exit ' + '1',
    async () => {
      const cases: [string[], RegExp][] = [
        [
          ['entropy', 'X.npy', '--kind', 'knn', '--t', '2'],
          /^dse: --t does not apply to --kind knn \(it applies to --kind diffusion\)\n$/,
        ],
        [['entropy', 'X.npy', '--anisotropic'], /--anisotropic does not apply to --kind diffusion/],
        [['entropy', 'X.npy', '--bogus'], /^dse: unknown option '--bogus'\n$/],
        [
          ['entropy', 'X.npy', '--sigma', '-1'],
          /^dse: option '--sigma <number>' argument '-1' is invalid. Expected a number > 0.\n$/,
        ],
        [['entropy', 'X.npy', '--sigma', 'abc'], /Expected a number > 0/],
        [['entropy', 'X.npy', '--max-n', '0'], /Expected an integer >= 1 or "none"/],
        [
          ['entropy', 'X.npy', '--kind', 'spectral'],
          /argument 'spectral' is invalid. Allowed choices are diffusion, adjacency, knn, classic, entry/,
        ],
        [['entropy'], /^dse: missing required argument 'file'\n$/],
        [['entropy', 'X.npy', '--cache-precision', 'float16'], /--cache-precision needs --cache/],
        [['nonsense'], /unknown command 'nonsense'/],
        [[], /Usage: dse/],
      ];
      for (const [args, message] of cases) {
        const r = await dse(args);
        expect({ args, code: r.code }).toEqual({ args, code: 1 });
        expect(r.stderr).toMatch(message);
        expect(r.stdout).toBe('');
      }
    },
  );

  it('reports data errors (missing file, bad format, too few rows) in one line with exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['entropy', 'missing.npy'], /^dse: Could not read ".*missing\.npy": ENOENT[^\n]*\n$/],
      [['entropy', 'broken.npy'], /^dse: [^\n]*(magic|npy)[^\n]*\n$/i],
      [['entropy', 'ragged.csv'], /^dse: Expected 2 fields on every line of ".*ragged\.csv" but line 2 has 1\n$/],
      [['entropy', 'X.txt2'], /^dse: Could not read ".*X\.txt2": no such file\n$/],
      [['entropy', 'both.npz'], /^dse: Expected --key to choose one of the arrays in ".*both\.npz": z, other\n$/],
      [['entropy', 'both.npz', '--key', 'nope'], /holds: z, other/],
      [
        ['entropy', 'X.npy', '--kind', 'knn', '--knn', '500'],
        /^dse: Expected an integer <= the number of rows used \(150\) for knn but received 500\n$/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await dse(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('prints help for every command with exit 0', async () => {
    for (const args of [
      ['--help'],
      ['entropy', '--help'],
      ['mi', '--help'],
      ['demo', '--help'],
      ['trace', '--help'],
      ['help', 'mi'],
    ]) {
      const r = await dse(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: dse/);
    }
    expect((await dse(['entropy', '--help'])).stdout).toContain('--max-n <n|none>');
    expect((await dse(['--version'])).stdout.trim()).toBe(
      JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    );
  });
});

describe('dse entropy / mi --method slq', () => {
  it('prints the slq estimate (the library value) and its standard error on stderr', async () => {
    const est = diffusionSpectralEntropyDetailedSync(X, { method: 'slq', gaussianKernelSigma: 2 });
    const r = await dse(['entropy', 'X.npy', '--method', 'slq', '--sigma', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${est.value}\n`);
    expect(r.stderr).toMatch(/^method slq: standard error \S+ bits \(150 rows, \d+ eigenpairs deflated\)\n$/);
    // an estimate of the exact value
    expect(Math.abs(est.value - diffusionSpectralEntropySync(X, { gaussianKernelSigma: 2 }))).toBeLessThan(0.02);
  });

  it('--json carries method, standardError and the tuning flags; --kind adjacency too', async () => {
    const slq = { probes: 8, lanczosSteps: 6 };
    const est = diffusionSpectralEntropyDetailedSync(X, { method: 'slq', slq, t: 2, randomSeed: 3 });
    const j = JSON.parse(
      (
        await dse([
          'entropy',
          'X.npy',
          '--method',
          'slq',
          '--probes',
          '8',
          '--lanczos-steps',
          '6',
          '--t',
          '2',
          '--seed',
          '3',
          '--json',
        ])
      ).stdout,
    );
    expect(j).toMatchObject({
      method: 'slq',
      value: est.value,
      standardError: est.standardError,
      options: { method: 'slq', slq, t: 2, randomSeed: 3 },
    });
    const aniso = adjacencySpectralEntropyDetailedSync(X, { method: 'slq', anisotropic: true });
    const a = JSON.parse(
      (await dse(['entropy', 'X.npy', '--kind', 'adjacency', '--anisotropic', '--method', 'slq', '--json'])).stdout,
    );
    expect(a).toMatchObject({ method: 'slq', value: aniso.value, standardError: aniso.standardError });
    // the exact method's JSON has no standardError
    expect(JSON.parse((await dse(['entropy', 'X.npy', '--json'])).stdout).standardError).toBeUndefined();
  });

  it('dse mi --method slq is the library value', async () => {
    const expected = diffusionSpectralMutualInformationSync(X, labels32, {
      gaussianKernelSigma: 3,
      method: 'slq',
    }).value;
    expect((await dse(['mi', 'X.npy', 'labels.npy', '--sigma', '3', '--method', 'slq'])).stdout).toBe(`${expected}\n`);
  });

  it('refuses slq flags where they cannot apply (usage errors, exit 1) and slq with a cache (exit 2)', async () => {
    const usage: [string[], RegExp][] = [
      [['entropy', 'X.npy', '--probes', '8'], /^dse: --probes applies only with --method slq\n$/],
      [['entropy', 'X.npy', '--lanczos-steps', '8'], /^dse: --lanczos-steps applies only with --method slq\n$/],
      [['entropy', 'X.npy', '--method', 'slq', '--kind', 'knn'], /--method does not apply to --kind knn/],
      [['entropy', 'X.npy', '--method', 'fast'], /argument 'fast' is invalid. Allowed choices are exact, slq/],
      [['entropy', 'X.npy', '--method', 'slq', '--probes', '0'], /Expected an integer >= 1/],
      [['mi', 'X.npy', 'labels.npy', '--probes', '8'], /--probes applies only with --method slq/],
    ];
    for (const [args, message] of usage) {
      const r = await dse(args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
    }
    // Flag values the library refuses (ERR_DSE_OPTION) are bad flag values too: exit 1.
    const few = await dse(['entropy', 'X.npy', '--method', 'slq', '--probes', '2']);
    expect(few.code).toBe(1);
    expect(few.stderr).toMatch(/Expected an integer from 4 to 4096 for slq.probes but received 2/);
    const cached = await dse(['entropy', 'X.npy', '--method', 'slq', '--cache', 'slq.npz']);
    expect(cached.code).toBe(1);
    expect(cached.stderr).toMatch(/eigvalSavePath/);
  });
});

describe('dse mi', () => {
  it('DSMI with integer labels (.npy int64 or .csv) is the library value', async () => {
    const expected = diffusionSpectralMutualInformationSync(X, labels32, { gaussianKernelSigma: 3 }).value;
    expect(expected).toBeGreaterThan(0.05);
    expect((await dse(['mi', 'X.npy', 'labels.npy', '--sigma', '3'])).stdout).toBe(`${expected}\n`);
    expect((await dse(['mi', 'X.csv', 'labels.csv', '--sigma', '3'])).stdout).toBe(`${expected}\n`);
  });

  it('continuous scalars, vectors (spectral clustering), --continuous and --discrete', async () => {
    const opts = { nClusters: 4, numRepetitions: 2 };
    expect(Number((await dse(['mi', 'X.npy', 'scalars.npy', '--n-clusters', '4', '--repetitions', '2'])).stdout)).toBe(
      diffusionSpectralMutualInformationSync(X, scalars, opts).value,
    );
    expect(Number((await dse(['mi', 'X.npy', 'vectors.npy', '--n-clusters', '4', '--repetitions', '2'])).stdout)).toBe(
      diffusionSpectralMutualInformationSync(X, vectors, opts).value,
    );
    expect(Number((await dse(['mi', 'X.npy', 'labels.npy', '--continuous', '--n-clusters', '2'])).stdout)).toBe(
      diffusionSpectralMutualInformationSync(X, labels32, { referenceDiscrete: false, nClusters: 2 }).value,
    );
    // Each distinct scalar is a class, as the reference's reference_discrete=True takes them.
    expect(Number((await dse(['mi', 'X.npy', 'scalars.npy', '--discrete', '--repetitions', '2'])).stdout)).toBe(
      diffusionSpectralMutualInformationSync(X, scalars, { referenceDiscrete: true, numRepetitions: 2 }).value,
    );
    expect((await dse(['mi', 'X.npy', 'labels.npy', '--discrete', '--continuous'])).code).toBe(1);
  });

  it('--save-clusters then --clusters reuses the clustering (precomputed_clusters)', async () => {
    const saved = await dse(['mi', 'X.npy', 'vectors.npy', '--n-clusters', '3', '--save-clusters', 'c.npy', '--json']);
    expect(saved.stderr).toBe('');
    const first = JSON.parse(saved.stdout);
    expect(first.clusters).toBe(3);
    const expectedClusters = spectralClusteringSync(vectors, { nClusters: 3 });
    const again = JSON.parse(
      (await dse(['mi', 'X.npy', 'vectors.npy', '--clusters', 'c.npy', '--json', '--sigma', '2'])).stdout,
    );
    expect(again.value).toBe(
      diffusionSpectralMutualInformationSync(X, vectors, {
        gaussianKernelSigma: 2,
        referenceDiscrete: false,
        precomputedClusters: expectedClusters,
      }).value,
    );
    expect(again.options.precomputedClusters).toBe('c.npy');
    expect(again).toMatchObject({ N: 150, D: 5, referenceShape: [150, 8], kind: 'diffusion' });
    // as CSV too
    await dse(['mi', 'X.npy', 'vectors.npy', '--n-clusters', '3', '--save-clusters', 'c.csv']);
    expect(Array.from(readCsv(file('c.csv')).data)).toEqual(Array.from(expectedClusters));
  });

  it.each([
    [
      ['--kind', 'knn', '--knn', '5'],
      () => adjacencySpectralMutualInformationSync(X, labels32, { useKnn: true, knn: 5 }).value,
    ],
    [
      ['--kind', 'adjacency', '--anisotropic'],
      () => adjacencySpectralMutualInformationSync(X, labels32, { anisotropic: true }).value,
    ],
    [
      ['--kind', 'classic'],
      () => diffusionSpectralMutualInformationSync(X, labels32, { classicShannonEntropy: true }).value,
    ],
    [
      ['--kind', 'entry'],
      () => diffusionSpectralMutualInformationSync(X, labels32, { matrixEntryEntropy: true }).value,
    ],
    [
      ['--t', '2', '--seed', '3', '--repetitions', '3'],
      () => diffusionSpectralMutualInformationSync(X, labels32, { t: 2, randomSeed: 3, numRepetitions: 3 }).value,
    ],
  ])('%j maps to the library call', async (args, expected) => {
    const r = await dse(['mi', 'X.npy', 'labels.npy', ...args]);
    expect(r.code).toBe(0);
    expect(Number(r.stdout)).toBe(expected());
  });

  it('rejects a reference with another number of rows (exit 2) and a missing argument (exit 1)', async () => {
    fs.writeFileSync(file('short.csv'), '1\n2\n3\n');
    const r = await dse(['mi', 'X.npy', 'short.csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dse: Expected one row per row of X \(150\) for reference but received 3 rows\n$/);
    expect((await dse(['mi', 'X.npy'])).stderr).toBe("dse: missing required argument 'reference-file'\n");
  });
});

describe('dse demo', () => {
  it(
    'measures the digits: DSE per sigma and t, DSMI with labels above the shuffled control, and writes the ' + 'report',
    async () => {
      const r = await dse(['demo', '--json', '--out', 'demo.html']);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ N: 1797, D: 64 });
      const digits = (await import('../lib/data')).loadDigits();
      const at = (sigma: number, t: number) =>
        j.dse.find((d: { sigma: number; t: number }) => d.sigma === sigma && d.t === t).value;
      expect(at(10, 2)).toBeCloseTo(diffusionSpectralEntropySync(digits.X, { gaussianKernelSigma: 10, t: 2 }), 10);
      for (const sigma of [5, 10, 20, 40])
        for (let t = 1; t < 10; t++) expect(at(sigma, t + 1)).toBeLessThanOrEqual(at(sigma, t) + 1e-9);
      const s20 = j.dsmi.find((d: { sigma: number }) => d.sigma === 20);
      expect(s20.labels).toBeGreaterThan(1);
      expect(s20.labels).toBe(
        diffusionSpectralMutualInformationSync(digits.X, digits.y, { gaussianKernelSigma: 20 }).value,
      );
      for (const d of j.dsmi) expect(Math.abs(d.shuffled)).toBeLessThan(0.05);
      const html = fs.readFileSync(file('demo.html'), 'utf8');
      expect(html.length).toBe(j.reportBytes);
      expect(html.split('aria-roledescription="line mark"').length - 1).toBe(4 + 2);
    },
  );

  it('prints the tables by default', async () => {
    const r = await dse(['demo', '--no-report']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DSE\(X\) in bits/);
    expect(r.stdout).toMatch(/sigma\s+labels\s+shuffled \(control\)/);
    expect(r.stdout).not.toMatch(/Report:/);
    expect(fs.existsSync(file('dse-demo-report.html'))).toBe(false);
  });
});

describe('dse trace', () => {
  // runs/labels.npy, runs/inputs.npy, runs/fc1/epoch_{1,2,10}.npy, runs/fc2/epoch_{1,2,10}.csv
  const runs = file('runs');
  const Xin = matrix(90, 6);
  const y = Int32Array.from({ length: 90 }, (_v, i) => i % 3);
  const Z = (epoch: number, layer: number): Matrix => {
    const m = matrix(90, 4);
    for (let i = 0; i < 90; i++) m.data[i * 4 + layer] += (y[i] * epoch) / 2;
    return m;
  };
  beforeAll(() => {
    fs.mkdirSync(path.join(runs, 'fc1'), { recursive: true });
    fs.mkdirSync(path.join(runs, 'fc2'), { recursive: true });
    fs.mkdirSync(path.join(runs, 'empty'), { recursive: true });
    writeNpy(path.join(runs, 'labels.npy'), { data: y });
    writeNpy(path.join(runs, 'inputs.npy'), { data: Xin.data, shape: [90, 6] });
    for (const epoch of [1, 2, 10]) {
      const z1 = Z(epoch, 0);
      writeNpy(path.join(runs, 'fc1', `epoch_${epoch}.npy`), { data: z1.data, shape: [90, 4] });
      const z2 = Z(epoch, 1);
      const rows = Array.from({ length: 90 }, (_v, i) => Array.from(z2.data.subarray(i * 4, i * 4 + 4)));
      fs.writeFileSync(path.join(runs, 'fc2', `epoch_${epoch}.csv`), formatCsv(['a', 'b', 'c', 'd'], rows));
    }
  });

  it('computes DSE(Z), DSMI(Z;Y), DSMI(Z;X) per layer and epoch (natural order), as DseTracker does', async () => {
    const r = await trace(
      'runs',
      '--inputs',
      'runs/inputs.npy',
      '--n-clusters',
      '3',
      '--sigma',
      '2',
      '--csv',
      'trace.csv',
      '--out',
      'trace.html',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.records.map((x: { layer: string; epoch: number }) => `${x.layer}@${x.epoch}`)).toEqual([
      'fc1@1',
      'fc1@2',
      'fc1@10',
      'fc2@1',
      'fc2@2',
      'fc2@10',
    ]);
    const tracker = new DseTracker({ labels: y, inputs: Xin, nClusters: 3, gaussianKernelSigma: 2 });
    const z10 = readNpy(path.join(runs, 'fc1', 'epoch_10.npy'));
    const ref = await tracker.record({
      epoch: 10,
      layer: 'fc1',
      embeddings: { data: z10.data as Float64Array, rows: 90, cols: 4 },
    });
    const rec = j.records[2];
    expect([rec.dse, rec.dsmiY, rec.dsmiX]).toEqual([ref.dse, ref.dsmiY, ref.dsmiX]);
    expect(rec.source).toBe(path.join('fc1', 'epoch_10.npy'));
    expect(j.records[5].dsmiY).toBeGreaterThan(j.records[3].dsmiY); // the labels show through more at epoch 10
    const csv = parseTraceCsv(fs.readFileSync(file('trace.csv'), 'utf8'));
    expect(csv.records.map((x) => [x.layer, x.epoch, x.dse, x.source, x.rowsUsed])).toEqual(
      j.records.map((x: { layer: string; epoch: number; dse: number; source: string }) => [
        x.layer,
        x.epoch,
        x.dse,
        x.source,
        90,
      ]),
    );
    expect(csv.records[0].options).toBe(tracker.fingerprint());
    expect(csv.records[0].file).toEqual({
      size: fs.statSync(path.join(runs, 'fc1', 'epoch_1.npy')).size,
      mtimeMs: fs.statSync(path.join(runs, 'fc1', 'epoch_1.npy')).mtimeMs,
    });
    const html = fs.readFileSync(file('trace.html'), 'utf8');
    expect(html.split('<figure class="chart"').length - 1).toBe(3);
    expect(html.split('aria-roledescription="line mark"').length - 1).toBe(6);
  });

  it("--method slq (with --probes) gives the tracker's slq values", async () => {
    const r = await dse([
      'trace',
      'runs/fc1',
      '--labels',
      'runs/labels.npy',
      '--sigma',
      '2',
      '--method',
      'slq',
      '--probes',
      '8',
      '--no-report',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const tracker = new DseTracker({ labels: y, gaussianKernelSigma: 2, method: 'slq', slq: { probes: 8 } });
    const z2 = readNpy(path.join(runs, 'fc1', 'epoch_2.npy'));
    const ref = await tracker.record({ epoch: 2, embeddings: { data: z2.data as Float64Array, rows: 90, cols: 4 } });
    expect([j.records[1].dse, j.records[1].dsmiY]).toEqual([ref.dse, ref.dsmiY]);
    const bad = await dse(['trace', 'runs/fc1', '--labels', 'runs/labels.npy', '--probes', '8', '--no-report']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--probes applies only with --method slq/);
  });

  it('treats files directly in the folder as one series and prints a table', async () => {
    const flat = file('flat');
    fs.mkdirSync(flat, { recursive: true });
    for (const epoch of [3, 20, 100])
      writeNpy(path.join(flat, `step${epoch}.npy`), { data: Z(epoch, 2).data, shape: [90, 4] });
    writeNpy(file('y.npy'), { data: y });
    const r = await dse(['trace', 'flat', '--labels', 'y.npy', '--no-report']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^layer\s+epoch\s+N\s+D\s+DSE\(Z\)\s+DSMI\(Z;Y\)$/);
    expect(lines.slice(1, 4).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'flat 3',
      'flat 20',
      'flat 100',
    ]);
  });

  it('exits 2 on embeddings that do not fit the labels, naming the file, and 1 without --labels', async () => {
    const bad = file('bad');
    fs.mkdirSync(path.join(bad, 'x'), { recursive: true });
    writeNpy(path.join(bad, 'x', 'epoch_1.npy'), { data: new Float64Array(40), shape: [10, 4] });
    const r = await dse(['trace', 'bad', '--labels', 'runs/labels.npy', '--no-report']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'dse: x/epoch_1.npy: Expected 90 rows (one per label) for embeddings but received shape [10, 4] (layer "x", ' +
        'epoch 1, x/epoch_1.npy)\n' +
        'dse: 1 of 1 entries failed (x/epoch_1.npy); the others are in the table\n',
    );
    expect((await dse(['trace', 'runs'])).stderr).toBe("dse: required option '--labels <file>' not specified\n");
    expect((await dse(['trace', 'nowhere', '--labels', 'runs/labels.npy'])).stderr).toMatch(
      /^dse: Could not read the folder "nowhere": no such folder\n$/,
    );
  });

  it('draws a progress bar on a terminal, and nothing when piped or in CI', async () => {
    const args = [
      'trace',
      'runs',
      '--labels',
      'runs/labels.npy',
      '--inputs',
      'runs/inputs.npy',
      '--n-clusters',
      '3',
      '--no-report',
    ];
    const tty = await dse(args, { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/dse trace \|[█░]+\| 0\/7/); // clustering the inputs + 6 files
    expect(tty.stderr).toMatch(/dse trace \|█+\| 7\/7 fc2\/epoch_10\.csv/);
    expect((await dse(args, { tty: true, env: { CI: 'true' } })).stderr).toBe('');
    expect((await dse(args, { tty: false })).stderr).toBe('');
  });
});

describe('trace folders', () => {
  it('sorts names naturally and reads the epoch from the last number', () => {
    expect(['epoch_10.npy', 'epoch_2.npy', 'epoch_1.npy'].sort(naturalCompare)).toEqual([
      'epoch_1.npy',
      'epoch_2.npy',
      'epoch_10.npy',
    ]);
    expect(['b2', 'a10', 'a9'].sort(naturalCompare)).toEqual(['a9', 'a10', 'b2']);
    expect(epochOf('run3_epoch_017.npz')).toBe(17);
    expect(epochOf('final.npy')).toBeNull();
    // a number after epoch / ep / e that starts a word wins over the last number
    expect(epochOf('emb-e3-loss0.25.npy')).toBe(3);
    expect(epochOf('epoch_10_step_500.npy')).toBe(10);
    expect(epochOf('run2_ep7.npz')).toBe(7);
    expect(epochOf('Epoch12.csv')).toBe(12);
    expect(epochOf('step_500.npy')).toBe(500);
    expect(epochOf('sample3.npy')).toBe(3); // the e of "sample" does not start a word
    expect(epochOf('ckpt-12-of-40.npy', epochPattern('-(\\d+)-of'))).toBe(12);
    expect(epochOf('ckpt.npy', epochPattern('-(\\d+)-of'))).toBeNull();
    expect(() => epochPattern('(')).toThrow(/Expected a regular expression for --epoch-pattern/);
  });

  it('numbers files without digits by position, and rejects mixed names and duplicate epochs', () => {
    const d = file('names');
    fs.mkdirSync(d, { recursive: true });
    for (const n of ['b.npy', 'a.npy']) fs.writeFileSync(path.join(d, n), '');
    expect(discoverTrace(d).map((f) => [f.epoch, path.basename(f.file)])).toEqual([
      [1, 'a.npy'],
      [2, 'b.npy'],
    ]);
    fs.writeFileSync(path.join(d, 'c3.npy'), '');
    expect(() => discoverTrace(d)).toThrow(
      /Expected a number \(the epoch\) in every file name of "\." but "a.npy" has none/,
    );
    const dup = file('dup');
    fs.mkdirSync(dup, { recursive: true });
    for (const n of ['e1.npy', 'e01.csv']) fs.writeFileSync(path.join(dup, n), '');
    expect(() => discoverTrace(dup)).toThrow(/epoch 1 has two/);
    const none = file('none');
    fs.mkdirSync(path.join(none, 'sub'), { recursive: true });
    expect(() => discoverTrace(none)).toThrow(/Expected per-epoch embedding files/);
  });
});

/**
 * A trace folder: `layers` subfolders with one .npy per epoch, 90 rows x 4 (labels 0..2 show through more each epoch).
 */
function traceFolder(
  name: string,
  epochs: number[],
  layers = ['fc'],
  rows = 90,
  fileName = (e: number) => `epoch_${e}.npy`,
): { dir: string; y: Int32Array } {
  const dir = file(name);
  fs.rmSync(dir, { recursive: true, force: true });
  const y = Int32Array.from({ length: rows }, (_v, i) => i % 3);
  for (const layer of layers) {
    fs.mkdirSync(path.join(dir, layer), { recursive: true });
    for (const e of epochs) {
      const m = matrix(rows, 4);
      for (let i = 0; i < rows; i++) m.data[i * 4] += (y[i] * e) / 2;
      writeNpy(path.join(dir, layer, fileName(e)), { data: m.data, shape: [rows, 4] });
    }
  }
  writeNpy(path.join(dir, 'labels.npy'), { data: y });
  return { dir, y };
}

describe('dse trace keeps its work', () => {
  it(
    'computes every other file when one is truncated: its error in the table, CSV and report, exit 2; non-matrix ' +
      'files are ignored',
    async () => {
      const { dir } = traceFolder('keep', [1, 2, 3, 4]);
      const last = path.join(dir, 'fc', 'epoch_4.npy');
      fs.writeFileSync(last, fs.readFileSync(last).subarray(0, 300)); // a truncated last epoch
      fs.writeFileSync(path.join(dir, 'README.txt'), 'epochs 1..4\n');
      fs.writeFileSync(path.join(dir, 'fc', 'notes.md'), '# run 7\n');
      const r = await trace('keep', '--csv', 'keep.csv', '--out', 'keep.html', '--verbose');
      expect(r.code).toBe(2);
      const err = r.stderr.split('\n');
      expect(err[0]).toBe('dse trace: ignored (not .npy, .npz, .csv, .tsv): README.txt, fc/notes.md');
      expect(err).toContain(
        `dse: fc/epoch_4.npy: Expected 2880 bytes (shape (90, 4) of float64) for the data of ${JSON.stringify(last)} ` +
          `but received 172 bytes. The file is truncated`,
      );
      expect(err).toContain(
        'dse: 1 of 4 entries failed (fc/epoch_4.npy); the others are in the table, the CSV and the report',
      );
      const lines = r.stdout.split('\n');
      expect(lines[0]).toMatch(/^layer\s+epoch\s+N\s+D\s+DSE\(Z\)\s+DSMI\(Z;Y\)\s+error$/);
      expect(lines[4]).toMatch(/^fc\s+4\s+-\s+-\s+-\s+-\s+Expected 2880 bytes/);
      const csv = parseTraceCsv(fs.readFileSync(file('keep.csv'), 'utf8'));
      expect(csv.records.map((x) => x.epoch)).toEqual([1, 2, 3]);
      expect(csv.failures).toEqual([
        expect.objectContaining({
          layer: 'fc',
          epoch: 4,
          source: 'fc/epoch_4.npy',
          error: expect.stringMatching(/truncated/),
        }),
      ]);
      const html = fs.readFileSync(file('keep.html'), 'utf8');
      expect(html).toContain('<th>Error</th>');
      expect(html).toMatch(/<td class="long">Expected 2880 bytes/);
      expect(html).toContain('1 entry could not be computed');
      // --strict stops at the first failure, still writing what it has
      fs.writeFileSync(path.join(dir, 'fc', 'epoch_2.npy'), 'not numpy');
      const strict = await trace('keep', '--csv', 'strict.csv', '--no-report', '--strict', '--json');
      expect(strict.code).toBe(2);
      const j = JSON.parse(strict.stdout);
      expect(j.records.map((x: { epoch: number }) => x.epoch)).toEqual([1]);
      expect(j.failures.map((x: { epoch: number }) => x.epoch)).toEqual([2]);
      expect(strict.stderr).toMatch(/--strict stopped at the first/);
      expect(parseTraceCsv(fs.readFileSync(file('strict.csv'), 'utf8')).records).toHaveLength(1);
    },
  );

  it('checks every output path before computing anything', async () => {
    traceFolder('outs', [1, 2]);
    const missing = await trace('outs', '--out', 'no/such/folder/r.html', '--csv', 'outs.csv');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `dse: Could not write --out ${JSON.stringify(file('no/such/folder/r.html'))}: the folder ` +
        `${JSON.stringify(file('no/such/folder'))} does not exist\n`,
    );
    expect(fs.existsSync(file('outs.csv'))).toBe(false); // nothing computed, nothing written
    fs.mkdirSync(file('a-folder'), { recursive: true });
    const folder = await trace('outs', '--csv', 'a-folder');
    expect(folder.stderr).toBe(`dse: Could not write --csv ${JSON.stringify(file('a-folder'))}: it is a folder\n`);
    expect(folder.code).toBe(2);
  });

  it(
    'reuses the CSV rows of unchanged files with the same options, and computes only new or changed ' + 'ones',
    async () => {
      const { dir } = traceFolder('resume', [1, 2, 3], ['a', 'b']);
      const args = [
        'trace',
        'resume',
        '--labels',
        'resume/labels.npy',
        '--csv',
        'resume.csv',
        '--no-report',
        '--sigma',
        '2',
        '--json',
      ];
      const first = await dse(args);
      expect(first.code).toBe(0);
      const again = await dse(args);
      expect(again.stderr).toBe('dse trace: reused 6 of 6 entries from resume.csv\n');
      // seconds too: nothing recomputed
      expect(JSON.parse(again.stdout).records).toEqual(JSON.parse(first.stdout).records);
      expect(JSON.parse(again.stdout).reused).toBe(6);
      // a new epoch and a rewritten file: those two only
      const m = matrix(90, 4);
      writeNpy(path.join(dir, 'a', 'epoch_4.npy'), { data: m.data, shape: [90, 4] });
      const changed = path.join(dir, 'b', 'epoch_2.npy');
      writeNpy(changed, { data: matrix(90, 4).data, shape: [90, 4] });
      fs.utimesSync(changed, new Date(), new Date(Date.now() + 5000));
      const third = await dse(args);
      expect(third.stderr).toBe('dse trace: reused 5 of 7 entries from resume.csv\n');
      const j3 = JSON.parse(third.stdout);
      const before = JSON.parse(first.stdout).records;
      const same = (layer: string, epoch: number) =>
        j3.records.find((r: { layer: string; epoch: number }) => r.layer === layer && r.epoch === epoch);
      expect(same('a', 1)).toEqual(before[0]);
      expect(same('b', 2).dse).not.toBe(before[4].dse);
      expect(same('b', 2).dse).toBe(
        diffusionSpectralEntropySync(
          { data: readNpy(changed).data as Float64Array, rows: 90, cols: 4 },
          { gaussianKernelSigma: 2 },
        ),
      );
      expect(same('a', 4)).toBeDefined();
      // other options, or --fresh: nothing reused
      expect((await dse(args.map((a) => (a === '2' ? '3' : a)))).stderr).toBe('');
      expect(JSON.parse((await dse([...args, '--fresh'])).stdout).reused).toBe(0);
      // a CSV that is not a trace CSV is not overwritten
      fs.writeFileSync(file('data.csv'), 'x,y\n1,2\n');
      const other = await trace('resume', '--csv', 'data.csv', '--no-report');
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(
        /Expected a trace CSV with a "layer" column in "data.csv" .* pass --fresh to overwrite it/,
      );
      expect(fs.readFileSync(file('data.csv'), 'utf8')).toBe('x,y\n1,2\n');
    },
  );

  it('appends each entry to the CSV as it comes: an interrupted run keeps what it computed', async () => {
    traceFolder('stop', [1, 2, 3, 4, 5, 6, 7, 8], ['fc'], 300);
    const csv = file('stop.csv');
    const ac = new AbortController();
    const watcher = setInterval(() => {
      // abort once the first entry is on disk
      if (fs.existsSync(csv) && fs.readFileSync(csv, 'utf8').trim().split('\n').length >= 2) ac.abort();
    }, 1);
    const out: string[] = [];
    const err: string[] = [];
    const { run } = await import('../lib/cli/program');
    const code = await run(
      [
        'trace',
        'stop',
        '--labels',
        'stop/labels.npy',
        '--csv',
        'stop.csv',
        '--out',
        'stop.html',
        '--repetitions',
        '20',
      ],
      {
        stdout: { write: (t: string) => out.push(t) },
        stderr: { write: (t: string) => err.push(t) },
        cwd: tmp,
        env: {},
        signal: ac.signal,
      },
    );
    clearInterval(watcher);
    expect(code).toBe(130);
    const kept = parseTraceCsv(fs.readFileSync(csv, 'utf8')).records;
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThan(8);
    expect(err.join('')).toBe(`dse: interrupted: ${kept.length} entries computed and written\n`);
    expect(fs.readFileSync(file('stop.html'), 'utf8').split('<tr><td>fc</td>').length - 1).toBe(kept.length);
  });

  it('says when rows are subsampled above --max-n: stderr, rowsUsed in the JSON and the CSV', async () => {
    traceFolder('sub', [1, 2]);
    const r = await trace('sub', '--max-n', '50', '--csv', 'sub.csv', '--out', 'sub.html', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'note: DSE(Z) used a random subsample of 50 rows (--max-n) for 2 of 2 entries (90 rows); --max-n none uses ' +
        'every row\n',
    );
    expect(JSON.parse(r.stdout).records.map((x: { rowsUsed: number }) => x.rowsUsed)).toEqual([50, 50]);
    expect(parseTraceCsv(fs.readFileSync(file('sub.csv'), 'utf8')).records.map((x) => x.rowsUsed)).toEqual([50, 50]);
    expect(fs.readFileSync(file('sub.html'), 'utf8')).toContain('used a random subsample of 50 rows (maxN');
  });

  it(
    'reads the epoch after epoch/ep/e, else the last number, or from --epoch-pattern; names a file without ' + 'one',
    async () => {
      traceFolder('names2', [3, 12], ['fc'], 90, (e) => `emb-e${e}-loss0.25.npy`);
      const r = await trace('names2', '--no-report', '--json');
      expect(JSON.parse(r.stdout).records.map((x: { epoch: number }) => x.epoch)).toEqual([3, 12]);
      const p = await trace('names2', '--no-report', '--json', '--epoch-pattern', 'loss0\\.(\\d+)');
      expect(p.code).toBe(2); // both files are "epoch 25", the number the old rule (the last number) took
      expect(p.stderr).toBe(
        'dse: Expected one file per epoch in series "fc" but epoch 25 has two: "emb-e3-loss0.25.npy" and ' +
          '"emb-e12-loss0.25.npy"\n',
      );
      const ok = await trace('names2', '--no-report', '--json', '--epoch-pattern', '^emb-e(\\d+)');
      expect(JSON.parse(ok.stdout).records.map((x: { epoch: number }) => x.epoch)).toEqual([3, 12]);
      const none = await trace('names2', '--no-report', '--epoch-pattern', 'step(\\d+)');
      expect(none.code).toBe(2);
      expect(none.stderr).toBe(
        'dse: Expected --epoch-pattern "step(\\\\d+)" to match every file name but "fc/emb-e3-loss0.25.npy" has no ' +
          'match (a number in its capture group)\n',
      );
      const groups = await trace('names2', '--epoch-pattern', '(e)(\\d+)');
      expect(groups.code).toBe(1);
      expect(groups.stderr).toBe(
        'dse: Expected exactly one capture group (the epoch) in --epoch-pattern but "(e)(\\\\d+)" has 2\n',
      );
    },
  );
});

describe('dse trace --watch', () => {
  beforeAll(() => ensureDist());

  it(
    'computes each file a writer adds once it is complete, rewrites the report, and on Ctrl-C writes ' + 'everything',
    async () => {
      const { dir } = traceFolder('watched', [1]);
      const src = path.join(dir, 'fc', 'epoch_1.npy');
      const child = spawn(
        process.execPath,
        [
          BIN,
          'trace',
          'watched',
          '--labels',
          'watched/labels.npy',
          '--watch',
          '--interval',
          '0.2',
          '--csv',
          'watch.csv',
          '--out',
          'watch.html',
          '--json',
        ],
        { cwd: tmp },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const csvRows = () =>
        fs.existsSync(file('watch.csv'))
          ? parseTraceCsv(fs.readFileSync(file('watch.csv'), 'utf8'))
          : { records: [], failures: [] };
      const until = async (what: () => boolean) => {
        for (let i = 0; i < 300 && !what(); i++) await new Promise((r) => setTimeout(r, 50));
        expect(what()).toBe(true);
      };
      await until(() => csvRows().records.length === 1);
      // the writer: epoch 2 at once, epoch 3 in two halves (its first half must not be read as a truncated file)
      writeNpy(path.join(dir, 'fc', 'epoch_2.npy'), { data: matrix(90, 4).data, shape: [90, 4] });
      const bytes3 = fs.readFileSync(src);
      const third = path.join(dir, 'fc', 'epoch_3.npy');
      fs.writeFileSync(third, bytes3.subarray(0, 1000));
      await new Promise((r) => setTimeout(r, 150));
      fs.appendFileSync(third, bytes3.subarray(1000, 2000));
      await new Promise((r) => setTimeout(r, 150));
      fs.appendFileSync(third, bytes3.subarray(2000));
      await until(() => csvRows().records.length === 3);
      await until(
        () =>
          fs.existsSync(file('watch.html')) &&
          fs.readFileSync(file('watch.html'), 'utf8').split('<tr><td>fc</td>').length - 1 === 3,
      );
      fs.writeFileSync(path.join(dir, 'fc', 'README.txt'), 'ignored');
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const j = JSON.parse(stdout);
      expect(j.records.map((r: { epoch: number }) => r.epoch)).toEqual([1, 2, 3]);
      expect(j.failures).toEqual([]);
      expect(j.interrupted).toBe(true);
      expect(csvRows().failures).toEqual([]); // the half-written file was never read
      expect(csvRows().records.map((r) => r.epoch)).toEqual([1, 2, 3]);
      expect(csvRows().records[2].dse).toBe(csvRows().records[0].dse); // epoch 3 is epoch 1's bytes
      expect(stderr).toMatch(/^dse trace: watching watched every 0.2 s \(Ctrl-C to stop\)\n/);
      expect(stderr).toMatch(/dse trace: fc\/epoch_3\.npy \(epoch 3\) in [\d.]+ s\n/);
      // a rerun reuses all three
      const again = spawnSync(
        process.execPath,
        [BIN, 'trace', 'watched', '--labels', 'watched/labels.npy', '--csv', 'watch.csv', '--no-report'],
        { cwd: tmp, encoding: 'utf8' },
      );
      expect(again.status).toBe(0);
      expect(again.stderr).toBe('dse trace: reused 3 of 3 entries from watch.csv\n');
    },
  );
});

describe('dse entropy on a terminal', () => {
  it('shows an honest spinner with the stage and the elapsed time, not a 0/1 bar', async () => {
    const r = await dse(['entropy', 'X.npy', '--max-n', '100'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'dse entropy (diffusion) | 150 x 5, subsampled to 100 rows: kernel and eigenvalues, 100 x 100 (0.0 s)',
    );
    expect(r.stderr).not.toMatch(/0\/1/);
    expect(r.stderr).toMatch(/note: used a random subsample of 100 of the 150 rows/);
    expect(JSON.parse((await dse(['entropy', 'X.npy', '--max-n', '100', '--json'])).stdout).rowsUsed).toBe(100);
    expect((await dse(['entropy', 'X.npy'], { tty: false })).stderr).toBe('');
  });
});

describe('dse scale', () => {
  it('prints the distance quantiles of a seeded sample and the DSE at multiples of the median', async () => {
    const r = await dse(['scale', 'X.npy', '--sample', '100', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const s = distanceScale(X, { sampleSize: 100, randomSeed: 0 });
    expect(j).toMatchObject({
      rows: 150,
      cols: 5,
      sampleSize: 100,
      pairs: 4950,
      median: s.median,
      quantiles: s.quantiles,
    });
    const sample = {
      data: Float64Array.from(s.sample.flatMap((i) => Array.from(X.data.subarray(i * 5, i * 5 + 5)))),
      rows: 100,
      cols: 5,
    };
    expect(j.dse.map((d: { multiple: number }) => d.multiple)).toEqual([0.25, 0.5, 1, 2, 4]);
    for (const d of j.dse) {
      expect(d.sigma).toBe(Number((d.multiple * s.median).toPrecision(3)));
      expect(d.dse).toBe(diffusionSpectralEntropySync(sample, { gaussianKernelSigma: d.sigma, maxN: null }));
    }
    // DSE falls as sigma grows past the typical distance
    expect(j.dse[0].dse).toBeGreaterThan(j.dse[4].dse);
    const text = await dse(['scale', 'X.npy']);
    expect(text.stdout).toMatch(/^150 x 5; all 150 rows, 11175 pairwise distances\n/);
    expect(text.stdout).toMatch(/Guidance, not a default/);
  });

  it('computes quantiles exactly on a known matrix, and refuses a single row', () => {
    const s = distanceScale([[0], [1], [3]]); // distances 1, 2, 3
    expect([s.min, s.median, s.max, s.pairs]).toEqual([1, 2, 3, 3]);
    expect(s.quantiles['25']).toBe(1.5);
    expect(s.quantiles['5']).toBeCloseTo(1.1, 12);
    expect(distanceScale(X, { sampleSize: 20, randomSeed: 3 }).sample).toEqual(
      pythonRandomSample(3, 150, 20).sort((a, b) => a - b),
    );
    expect(() => distanceScale([[1, 2]])).toThrow(
      'Expected at least 2 rows to measure distances between for X but received shape [1, 2]',
    );
    expect(() => distanceScale(X, { sampleSize: 1 })).toThrow(/sampleSize/);
  });
});

describe('#parseCsv', () => {
  it('detects the delimiter and the header, and keeps every digit', () => {
    const c = parseCsv('# comment\nx;y\n1;2.5\n-3e2;0.1\n');
    expect(c).toMatchObject({ rows: 2, cols: 2, header: ['x', 'y'], integer: false });
    expect(Array.from(c.data)).toEqual([1, 2.5, -300, 0.1]);
    expect(parseCsv('1\t2\n3\t4').integer).toBe(true);
    expect(parseCsv('"a,b",c\n1,2\n').header).toEqual(['a,b', 'c']);
  });

  it('names the line and column of a bad value', () => {
    expect(() => parseCsv('1,2\n3,x\n', 'f.csv')).toThrow(
      'Expected a finite number in f.csv but received "x" at line 2, column 2',
    );
    expect(() => parseCsv('1,2\n3,\n', 'f.csv')).toThrow('received an empty field at line 2, column 2');
    expect(() => parseCsv('1,nan\n', 'f.csv')).toThrow(/"nan" at line 1, column 2/);
    expect(() => parseCsv('a,b\n', 'f.csv')).toThrow(
      'Expected at least 1 line of numbers in f.csv but received only a header',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The real executable

const BIN = path.join(ROOT, 'dist', 'cli', 'index.js');

describe('the dse executable', () => {
  beforeAll(() => ensureDist());

  it("is the package's bin, starts with a node shebang and runs from any folder", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ dse: 'dist/cli/index.js' });
    expect(fs.readFileSync(BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const r = spawnSync(process.execPath, [BIN, 'entropy', 'X.npy', '--sigma', '2'], { cwd: tmp, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${diffusionSpectralEntropySync(X, { gaussianKernelSigma: 2 })}\n`);
    expect(r.stderr).toBe(''); // piped: no progress bar
  });

  it('exits with 1 for usage errors and 2 for data errors, one line on stderr', () => {
    const usage = spawnSync(process.execPath, [BIN, 'mi', 'X.npy', '--frobnicate'], { cwd: tmp, encoding: 'utf8' });
    expect(usage.status).toBe(1);
    expect(usage.stderr).toBe("dse: unknown option '--frobnicate'\n");
    const data = spawnSync(process.execPath, [BIN, 'entropy', 'nothing.npy'], { cwd: tmp, encoding: 'utf8' });
    expect(data.status).toBe(2);
    expect(data.stderr).toMatch(/^dse: Could not read "[^"]*nothing\.npy": ENOENT/);
    expect(data.stderr.trim().split('\n')).toHaveLength(1);
  });
});
