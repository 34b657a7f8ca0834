// SPDX-License-Identifier: MIT
// The source builds a user gets from `npm install` when no prebuild is used, each compiled into
// its own consumer folder from a packed tarball (node-gyp + binding.gyp, JOBS=2):
//   - OpenBLAS: a tarball without prebuilds/, the install step (node-gyp-build) falls back to
//     `node-gyp rebuild`; OpenBLAS is linked when the machine has it.
//   - Eigen only: the regular tarball (with the prebuild when the repository has one) installed
//     with `--build-from-source` and DSE_BLAS=none, so the switch must win over the prebuild.
// Both must give the reference's DSE/ASE values on blobs.npy (golden cases.json).
// Set DSE_KEEP_TMP=1 to keep the temporary folders.
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  FIXTURES,
  golden,
  expectClose,
  expectBlasAsConfigured,
  OPENBLAS_EXPECTED,
  requirePrereq,
  type GoldenCase,
} from './helpers';

const ROOT = path.resolve(__dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; files: string[] };
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
// The kNN adjacency is not symmetric and far from normal: its eigenvalues are defined to ~1e-8
// (see adjacencySpectralEntropy.test.ts).
const KNN_NONSYMMETRIC_RTOL = 5e-8;
const CASES: GoldenCase[] = golden.cases.filter(
  (c) =>
    c.args.embeddingVectors === 'blobs.npy' &&
    (c.fn === 'diffusionSpectralEntropy' || c.fn === 'adjacencySpectralEntropy'),
);
const rtolOf = (c: GoldenCase) => (c.options.useKnn ? KNN_NONSYMMETRIC_RTOL : Math.min(c.rtol, 1e-9));

function newestMtime(p: string, keep: (file: string) => boolean = () => true): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return keep(p) ? st.mtimeMs : 0;
  let newest = 0;
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry), keep));
  return newest;
}

function which(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} not found on PATH`);
}

/** process.env without npm's per-script variables, Node headers pinned locally (no download). */
function buildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  const nodedir = process.env.npm_config_nodedir ?? path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(nodedir, 'include', 'node', 'common.gypi'))) env.npm_config_nodedir = nodedir;
  env.JOBS = '2';
  delete env.DSE_BLAS;
  delete env.DSE_ADDON_PATH;
  return { ...env, ...extra };
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(
      `${what} failed (exit ${r.status}, signal ${r.signal}):\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-6000)}`,
    );
  }
  return r.stdout;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  // 20 min before a compile counts as hung: the Eigen-only build took over 400 s (the limit
  // before) on 2 cores busy with other work.
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 1_200_000 });
}

/** `npm pack` of `dir` into `dest`; returns the tarball's path and its file list. */
function pack(dir: string, dest: string): { tarball: string; files: string[] } {
  const out = ok(
    run(which('npm'), ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], dir, buildEnv()),
    `npm pack ${dir}`,
  );
  const p = (JSON.parse(out) as { filename: string; files: { path: string }[] }[])[0];
  return { tarball: path.join(dest, p.filename), files: p.files.map((f) => f.path) };
}

interface Measured {
  info: { blas: string; lapack: string; source: string };
  values: Record<string, number>;
  ms: number;
  /** float32 - float64 DSE of 3000 x 16 rows, one column shifted by 100 (float32's panel path). */
  shifted: number;
}

const CHECK = `
const d = require(${JSON.stringify(PKG.name)});
const cases = JSON.parse(require('fs').readFileSync('cases.json', 'utf8'));
const a = d.readNpy('blobs.npy');
const X = { data: a.data, rows: a.shape[0], cols: a.shape[1] };
const info = d.buildInfo();
const values = {};
const t0 = Date.now();
for (const c of cases) values[c.name] = d[c.fn + 'Sync'](X, c.options);
const ms = Date.now() - t0;
const n = 3000, k = 16, Z = new Float64Array(n * k);
const frac = (v) => ((v % 1) + 1) % 1;
for (let i = 0; i < Z.length; i++) Z[i] = frac(Math.sin(i * 12.9898) * 43758.5453) + (i % k === 0 ? 100 : 0);
const S = { data: Z, rows: n, cols: k };
const shifted = d.diffusionSpectralEntropySync(S, { gaussianKernelSigma: 2, precision: 'float32' }) -
  d.diffusionSpectralEntropySync(S, { gaussianKernelSigma: 2 });
console.log(JSON.stringify({ info, values, ms, shifted }));
`;

const describeLinux = process.platform === 'linux' ? describe : describe.skip;

describeLinux('source builds (npm install compiles with node-gyp)', () => {
  let tmp: string;
  let plainTarball: string; // no prebuilds/
  let fullTarball: string; // as published

  /** npm install <tarball> into a new consumer folder, then evaluates the golden cases there. */
  function installAndMeasure(name: string, tarball: string, args: string[], extraEnv: Record<string, string>) {
    const consumer = path.join(tmp, name);
    fs.mkdirSync(consumer);
    fs.writeFileSync(
      path.join(consumer, 'package.json'),
      JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true }),
    );
    const env = buildEnv(extraEnv);
    const t0 = Date.now();
    ok(
      run(which('npm'), ['install', '--no-audit', '--no-fund', '--prefer-offline', ...args, tarball], consumer, env),
      `npm install (${name})`,
    );
    const installMs = Date.now() - t0;
    fs.copyFileSync(path.join(FIXTURES, 'blobs.npy'), path.join(consumer, 'blobs.npy'));
    fs.writeFileSync(path.join(consumer, 'cases.json'), JSON.stringify(CASES));
    fs.writeFileSync(path.join(consumer, 'check.cjs'), CHECK);
    const out = ok(run(process.execPath, ['check.cjs'], consumer, buildEnv()), `node check.cjs (${name})`);
    const measured = JSON.parse(out.trim().split('\n').pop()!) as Measured;
    const addon = path.join(consumer, 'node_modules', PKG.name, 'build', 'Release', 'dse_dsmi.node');
    return { consumer, addon, installMs, measured };
  }

  function expectGolden(m: Measured): void {
    // Rows far from the origin in float32 panels (the Gram products shifted by the mean in
    // float64; 2.4e-2 bits off before): each build has its own code for it.
    expect(Math.abs(m.shifted)).toBeLessThanOrEqual(5e-5);
    expect(Object.keys(m.values).sort()).toEqual(CASES.map((c) => c.name).sort());
    for (const c of CASES) {
      try {
        expectClose(m.values[c.name], c.expected.value, rtolOf(c), 0);
      } catch (e) {
        throw new Error(`${c.name}: ${(e as Error).message}`, { cause: e });
      }
    }
  }

  beforeAll(() => {
    // dist/ is what gets packed (built here only when stale; type errors are lint's business).
    if (
      newestMtime(path.join(ROOT, 'lib'), (f) => f.endsWith('.ts')) > newestMtime(path.join(ROOT, 'dist', 'index.js'))
    ) {
      run(process.execPath, [TSC, '-p', path.join(ROOT, 'tsconfig.json')], ROOT, process.env);
      if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('tsc did not write dist/index.js');
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-dsmi-builds-'));
    // The package without prebuilds: a staged copy of package.json and its `files`, packed.
    const stage = path.join(tmp, 'stage');
    fs.mkdirSync(stage);
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(stage, 'package.json'));
    for (const entry of PKG.files) {
      const rel = entry.replace(/\/$/, '');
      if (rel === 'prebuilds' || rel.startsWith('!') || !fs.existsSync(path.join(ROOT, rel))) continue;
      fs.cpSync(path.join(ROOT, rel), path.join(stage, rel), { recursive: true });
    }
    const plain = pack(stage, tmp);
    expect(plain.files.filter((f) => f.startsWith('prebuilds/'))).toEqual([]);
    expect(plain.files).toContain('binding.gyp');
    plainTarball = path.join(tmp, 'plain.tgz');
    fs.renameSync(plain.tarball, plainTarball);
    fullTarball = pack(ROOT, tmp).tarball;
  }, 120_000);

  afterAll(() => {
    if (tmp && !process.env.DSE_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it(
    'with no prebuild, npm install compiles the addon (OpenBLAS unless DSE_BLAS=none) and it gives the reference ' +
      'values',
    () => {
      if (OPENBLAS_EXPECTED) requirePrereq('openblas');
      const r = installAndMeasure('openblas', plainTarball, [], {});
      expect(fs.existsSync(r.addon)).toBe(true);
      expect(r.measured.info.source).toBe('build');
      expectBlasAsConfigured(r.measured.info); // OpenBLAS, unless DSE_BLAS=none
      expectGolden(r.measured);
    },
    1_300_000,
  );

  it(
    '`npm install --build-from-source` with DSE_BLAS=none compiles with Eigen only (over the prebuild) and gives ' +
      'the same values',
    () => {
      const r = installAndMeasure('eigen', fullTarball, ['--build-from-source'], { DSE_BLAS: 'none' });
      expect(fs.existsSync(r.addon)).toBe(true);
      expect(r.measured.info.source).toBe('build');
      expect(r.measured.info.lapack).toBe('Eigen');
      expect(r.measured.info.blas).toMatch(/Eigen/);
      if (process.platform === 'linux') {
        const ldd = spawnSync('ldd', [r.addon], { encoding: 'utf8' });
        expect(ldd.stdout).not.toMatch(/openblas|gfortran/);
      }
      expectGolden(r.measured);
    },
    1_300_000,
  );
});
