// SPDX-License-Identifier: MIT
// The published package as a user gets it: `npm pack`, then `npm install <tarball>` into an empty
// folder whose PATH holds only node, npm and sh (no compiler, make, cmake or python), offline
// from the local npm cache/registry. The prebuild must be picked up (nothing compiled), both
// `require` and `import` must work, a golden value must come out, TypeScript must type-check a
// consumer against the shipped declarations, and a missing/broken addon must give an
// ERR_DSE_LOAD that says what failed and what to do. The tarball holds every listed platform's
// prebuild (the prepack check passes), and the installed copy passes the smoke script under
// qemu-aarch64 (linux-arm64) and wine (win32-x64): node-gyp-build picks each from the tarball.
// `npm run prebuilds` runs first when a prebuild is missing or older than the native sources
// (it installs zig's libc++ builds, qemu and wine on first use: ~15-25 min on 2 busy cores).
// Set DSE_KEEP_TMP=1 to keep the temporary folders for a look.
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FIXTURES, golden, expectBlasAsConfigured, OPENBLAS_EXPECTED, requirePrereq } from './helpers';
import { TARGETS } from '../scripts/prebuild/targets';
import { runSmoke, smokeUnavailable } from '../scripts/prebuild/smoke-run';
import { checkBinary, cmpVersion } from '../scripts/prebuild/check';

const ROOT = path.resolve(__dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const TUPLE = `${process.platform}-${process.arch}`;
const PREBUILD_REL = `prebuilds/${TUPLE}/${PKG.name}.glibc.node`;
const PREBUILD = path.join(ROOT, PREBUILD_REL);
/** Every listed platform's prebuild (scripts/prebuild/targets.js). */
const PREBUILDS = TARGETS.map((t) => path.join(ROOT, 'prebuilds', t.name, t.file));
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const GOLDEN = golden.cases.find((c) => c.name === 'dse_blobs_s10_t1')!;

/** Newest mtime (ms) of the files under `p` that `keep` accepts; 0 when there are none. */
function newestMtime(p: string, keep: (file: string) => boolean = () => true): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return keep(p) ? st.mtimeMs : 0;
  let newest = 0;
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry), keep));
  return newest;
}

/** The first executable called `name` on PATH, symlinks resolved. */
function which(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.realpathSync(p);
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} not found on PATH`);
}

/** process.env without npm's per-script variables (they describe this repository, not the consumer). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  return { ...env, ...extra };
}

function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 240_000, ...options });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(
      `${what} failed (exit ${r.status}, signal ${r.signal}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`,
    );
  }
  return r.stdout;
}

interface PackFile {
  path: string;
  size: number;
}
interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackFile[];
}

const describeLinuxX64 = TUPLE === 'linux-x64' ? describe : describe.skip;

describeLinuxX64('the packed package', () => {
  let tmp: string;
  let bin: string; // node, npm and sh only
  let consumer: string;
  let pack: PackResult;
  let consumerEnv: NodeJS.ProcessEnv;
  let installed: string;

  beforeAll(() => {
    // 1. The prebuilds, rebuilt when one is missing or older than what it is built from.
    const sources = Math.max(
      newestMtime(path.join(ROOT, 'native'), (f) => !f.split(path.sep).some((part) => part.startsWith('test_'))),
      newestMtime(path.join(ROOT, 'binding.gyp')),
      ...['build.js', 'napi-win.js', 'targets.js'].map((f) => newestMtime(path.join(ROOT, 'scripts', 'prebuild', f))),
    );
    const stale = PREBUILDS.filter((p) => !fs.existsSync(p) || fs.statSync(p).mtimeMs < sources);
    if (stale.length) {
      // The Linux prebuilds link OpenBLAS; with DSE_BLAS=none (the documented switch) they are Eigen-only ones.
      if (OPENBLAS_EXPECTED) requirePrereq('openblas');
      const env = OPENBLAS_EXPECTED ? cleanEnv() : cleanEnv({ DSE_BLAS: 'none' });
      // Three cross builds with zig (and, the first time, zig's libc++ for each target, the
      // Debian packages and the Node binaries of the smoke tests): 45 min allowed on busy cores.
      ok(run(which('npm'), ['run', 'prebuilds'], { cwd: ROOT, env, timeout: 2_700_000 }), 'npm run prebuilds');
    }
    // The prepack check passes (npm pack --ignore-scripts below skips it).
    ok(
      run(process.execPath, [path.join(ROOT, 'scripts', 'prepack-check.js')], { cwd: ROOT, env: cleanEnv() }),
      'prepack check',
    );
    // 2. dist/ (npm pack's `prepare` compiles it; run here only when stale, so that the
    //    rest of the suite, which may be reading dist/ in parallel, is left alone). Type errors
    //    are `npm run lint`'s business: tsc still writes dist/, which is what is packed here.
    if (
      newestMtime(path.join(ROOT, 'lib'), (f) => f.endsWith('.ts')) > newestMtime(path.join(ROOT, 'dist', 'index.js'))
    ) {
      run(process.execPath, [TSC, '-p', path.join(ROOT, 'tsconfig.json')], { cwd: ROOT });
      if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('tsc did not write dist/index.js');
    }

    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-dsmi-pack-'));
    // 3. npm pack.
    const out = ok(
      run(which('npm'), ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
        cwd: ROOT,
        env: cleanEnv(),
      }),
      'npm pack',
    );
    pack = (JSON.parse(out) as PackResult[])[0];

    // 4. A PATH with exactly node, npm and sh.
    bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    fs.symlinkSync(which('npm'), path.join(bin, 'npm'));
    fs.symlinkSync(which('sh'), path.join(bin, 'sh'));
    consumerEnv = cleanEnv({ PATH: bin });

    // 5. npm install <tarball> into an empty project.
    consumer = path.join(tmp, 'consumer');
    fs.mkdirSync(consumer);
    fs.writeFileSync(
      path.join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2),
    );
    ok(
      run(
        path.join(bin, 'npm'),
        ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, pack.filename)],
        {
          cwd: consumer,
          env: consumerEnv,
        },
      ),
      'npm install <tarball> (PATH = node, npm, sh)',
    );
    installed = path.join(consumer, 'node_modules', PKG.name);
    fs.copyFileSync(path.join(FIXTURES, 'blobs.npy'), path.join(consumer, 'blobs.npy'));
  }, 3_300_000);

  afterAll(() => {
    if (tmp && !process.env.DSE_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('holds what a user needs and no tests, fixtures, benches or build folders', () => {
    console.log(
      `npm pack: ${pack.filename} ${(pack.size / 1048576).toFixed(2)} MB packed, ` +
        `${(pack.unpackedSize / 1048576).toFixed(2)} MB unpacked, ` +
        `${pack.entryCount} files; prebuild ${(fs.statSync(PREBUILD).size / 1048576).toFixed(2)} MB`,
    );
    const files = pack.files.map((f) => f.path);
    const has = (p: string) => files.includes(p);
    const gypSources = [
      ...fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8').matchAll(/"(native\/[^"]+\.(?:cc|c|h))"/g),
    ].map((m) => m[1]);
    expect(gypSources.length).toBeGreaterThan(5);
    for (const p of [
      'package.json',
      'README.md',
      'LICENSE',
      'binding.gyp',
      'CMakeLists.txt',
      'dist/index.js',
      'dist/index.d.ts',
      ...PREBUILDS.map((p) => path.relative(ROOT, p).split(path.sep).join('/')),
      'native/find-openblas.js',
      'docs/install.md',
      'native/vendor/eigen/Eigen/Core',
      'native/vendor/eigen/Eigen/Eigenvalues',
      'native/vendor/eigen/COPYING',
      'data/digits_X.npy',
      'data/digits_y.npy',
      ...gypSources,
    ]) {
      expect([p, has(p)]).toEqual([p, true]);
    }
    const unwanted = files.filter(
      (p) =>
        /^(test|tests|bench|benchmarks|build|coverage|examples|\.ci|\.github|\.cache|scripts|node_modules|lib)\//.test(
          p,
        ) ||
        /(^|\/)(fixtures|__tests__)\//.test(p) ||
        /(^|\/)test_[^/]*\//.test(p) || // scratch test programs beside sources
        /\.(test|spec)\.[cm]?[jt]s$/.test(p) ||
        /\.(o|a|so|tgz|log)$/.test(p),
    );
    expect(unwanted).toEqual([]);
    // Size budget: the prebuilds (OpenBLAS with all its CPU kernels, twice) are most of it.
    expect(pack.size).toBeLessThan(30 * 1024 * 1024);
    // Only the listed prebuilds: no stale names beside them (node-gyp-build could pick one).
    expect(files.filter((p) => p.startsWith('prebuilds/')).sort()).toEqual(
      PREBUILDS.map((p) => path.relative(ROOT, p).split(path.sep).join('/')).sort(),
    );
  });

  it(
    'ships prebuilds that pass the static checks: glibc floor, exports, no C++/Fortran/BLAS shared libraries, ' +
      'BIND_NOW',
    () => {
      for (const target of TARGETS) {
        const facts = checkBinary(target, path.join(ROOT, 'prebuilds', target.name, target.file));
        console.log(
          `${target.name}: ${(facts.bytes / 1048576).toFixed(1)} MB, ${facts.format}, glibc ${facts.glibc}, needs ` +
            `${facts.needed.join(' ')}`,
        );
        expect(facts.exported.sort()).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
        expect(
          facts.needed.filter((n) => /stdc\+\+|gfortran|openblas|quadmath|gcc_s|c\+\+|winpthread/i.test(n)),
        ).toEqual([]);
        if (target.glibcFloor) expect(cmpVersion(facts.glibc, target.glibcFloor)).toBeLessThanOrEqual(0);
      }
    },
  );

  it('installs with only node, npm and sh on PATH and uses the prebuild (nothing compiled)', () => {
    expect(fs.existsSync(path.join(installed, PREBUILD_REL))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
    for (const dep of ['node-addon-api', 'node-gyp-build']) {
      expect([dep, fs.existsSync(path.join(consumer, 'node_modules', dep, 'package.json'))]).toEqual([dep, true]);
    }
    expect(fs.readdirSync(bin).sort()).toEqual(['node', 'npm', 'sh']);
  });

  // README and docs/install.md: "10 packages besides this one instead of 92".
  it('installs 10 packages besides itself, without the optional chart packages', () => {
    const modules = path.join(consumer, 'node_modules');
    const names: string[] = [];
    for (const entry of fs.readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@'))
        for (const sub of fs.readdirSync(path.join(modules, entry))) names.push(`${entry}/${sub}`);
      else names.push(entry);
    }
    const others = names.filter((n) => n !== PKG.name).sort();
    const du = spawnSync('du', ['-sk', modules], { encoding: 'utf8' });
    const own = spawnSync('du', ['-sk', installed], { encoding: 'utf8' });
    const mb = (r: SpawnSyncReturns<string>) => (Number(r.stdout.split('\t')[0]) / 1024).toFixed(1);
    const list = others.join(', ');
    console.log(
      `installed: ${others.length} packages besides dse-dsmi (${list}); ${mb(du)} MB, dse-dsmi ${mb(own)} MB`,
    );
    expect(others.filter((n) => /^(vega|d3-)/.test(n))).toEqual([]);
    expect(others.length).toBeLessThanOrEqual(10);
  });

  const checkCode = (load: string) => `
    const a = d.readNpy('blobs.npy');
    const X = { data: a.data, rows: a.shape[0], cols: a.shape[1] };
    const value = d.diffusionSpectralEntropySync(X, ${JSON.stringify(GOLDEN.options)});
    const dseError = typeof d.DseError;
    console.log(JSON.stringify({ load: ${JSON.stringify(load)}, value, info: d.buildInfo(), dseError }));
  `;

  function checkGolden(stdout: string, load: string): void {
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as {
      load: string;
      value: number;
      info: { blas: string; lapack: string; source: string };
      dseError: string;
    };
    expect(r.load).toBe(load);
    expect(Math.abs(r.value - GOLDEN.expected.value)).toBeLessThanOrEqual(1e-9 * GOLDEN.expected.value);
    expect(r.info.source).toBe('prebuild');
    expectBlasAsConfigured(r.info); // OpenBLAS, unless DSE_BLAS=none
    expect(r.dseError).toBe('function');
  }

  it('works with require(): the golden DSE of blobs.npy, buildInfo() from the prebuild with OpenBLAS', () => {
    fs.writeFileSync(
      path.join(consumer, 'check-require.cjs'),
      `const d = require('${PKG.name}');\n${checkCode('require')}`,
    );
    const out = ok(
      run(path.join(bin, 'node'), ['check-require.cjs'], { cwd: consumer, env: consumerEnv }),
      'node check-require.cjs',
    );
    checkGolden(out, 'require');
  });

  it('works with import() and with named ESM imports', () => {
    fs.writeFileSync(
      path.join(consumer, 'check-import.mjs'),
      `import { diffusionSpectralEntropySync, readNpy, buildInfo } from '${PKG.name}';\n` +
        `const d = await import('${PKG.name}');\n` +
        `if (d.diffusionSpectralEntropySync !== diffusionSpectralEntropySync || d.readNpy !== readNpy || d.buildInfo ` +
        `!== buildInfo) throw new Error('named and namespace imports differ');\n` +
        checkCode('import'),
    );
    const out = ok(
      run(path.join(bin, 'node'), ['check-import.mjs'], { cwd: consumer, env: consumerEnv }),
      'node check-import.mjs',
    );
    checkGolden(out, 'import');
  });

  it(
    'type-checks a TypeScript consumer (CommonJS and ESM, moduleResolution node16) against the shipped ' +
      'declarations',
    () => {
      const dir = path.join(consumer, 'ts');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2022'],
              module: 'node16',
              moduleResolution: 'node16',
              strict: true,
              noEmit: true,
              skipLibCheck: false, // check the shipped .d.ts files too
              typeRoots: [path.join(ROOT, 'node_modules', '@types')],
              types: ['node'],
            },
            files: ['consumer.ts', 'consumer.mts'],
          },
          null,
          2,
        ),
      );
      fs.writeFileSync(
        path.join(dir, 'consumer.ts'),
        `import {
  diffusionSpectralEntropySync,
  adjacencySpectralEntropy,
  buildInfo,
  readNpy,
  DseError,
  type Matrix,
  type DiffusionSpectralEntropyOptions,
  type AdjacencySpectralEntropyOptions,
  type BuildInfo,
  type DseErrorCode,
} from '${PKG.name}';

const X: Matrix = { data: new Float64Array([0, 0, 1, 1, 2, 0]), rows: 3, cols: 2 };
const options: DiffusionSpectralEntropyOptions = { gaussianKernelSigma: 10, t: 1 };
export const bits: number = diffusionSpectralEntropySync(X, options);
const aseOptions: AdjacencySpectralEntropyOptions = { useKnn: true, knn: 2 };
export const later: Promise<number> = adjacencySpectralEntropy([[0, 0], [1, 1], [2, 0]], aseOptions);
const info: BuildInfo = buildInfo();
export const source: 'prebuild' | 'build' = info.source;
export const shape: number[] = readNpy('../blobs.npy').shape;
try {
  diffusionSpectralEntropySync(X, { t: -1 });
} catch (e) {
  if (e instanceof DseError) {
    const code: DseErrorCode = e.code;
    console.log(code, e.message);
  }
}
// The declarations are real types, not any:
// @ts-expect-error gaussianKernelSigma is a number
diffusionSpectralEntropySync(X, { gaussianKernelSigma: '10' });
// @ts-expect-error unknown option
diffusionSpectralEntropySync(X, { sigma: 10 });
// @ts-expect-error data must be a Float64Array or Float32Array
export const bad: Matrix = { data: new Int16Array(6), rows: 3, cols: 2 };
`,
      );
      fs.writeFileSync(
        path.join(dir, 'consumer.mts'),
        `import { diffusionSpectralEntropy, DseError, type Matrix } from '${PKG.name}';
const m: Matrix = { data: new Float32Array(4), rows: 2, cols: 2 };
export const v: Promise<number> = diffusionSpectralEntropy(m, { gaussianKernelSigma: 1 });
export const isError = (e: unknown): e is DseError => e instanceof DseError;
`,
      );
      const r = run(path.join(bin, 'node'), [TSC, '-p', 'tsconfig.json'], { cwd: dir, env: consumerEnv });
      expect([r.status, r.stdout + r.stderr]).toEqual([0, '']);
    },
  );

  // The other platforms' prebuilds from the installed tarball, in their own Node (qemu, wine).
  for (const target of TARGETS.filter((t) => t.runner !== 'host')) {
    const unavailable = smokeUnavailable(target);
    const title =
      `loads ${target.name}'s prebuild from the installed tarball and passes the smoke script under ` +
      `${target.runner}`;
    (unavailable ? it.skip : it)(
      unavailable ? `${title} (skipped: ${unavailable})` : title,
      () => {
        const r = runSmoke(target, undefined, { installed });
        expect(r.failures).toEqual([]);
        expect(r.ok).toBe(true);
        expect(r.platform).toBe(target.name);
        expect(r.info.source).toBe('prebuild');
        expect(
          r.checks.some(
            (c) =>
              c.startsWith('loads from prebuilds/') &&
              c.includes(`prebuilds${target.platform === 'win32' ? '\\' : '/'}${target.name}`),
          ),
        ).toBe(true);
        if (target.blas === 'openblas' && OPENBLAS_EXPECTED) expect(r.info.blas).toMatch(/^OpenBLAS/);
        else expect(r.info.lapack).toBe('Eigen');
        console.log(
          `smoke ${target.name} (${r.runner}, ${r.node}): ${r.checks.length} checks passed in ` +
            `${r.seconds.toFixed(0)} s; ${r.info.blas}` +
            `${r.retried ? `, on a second start; the first ended so: ${r.retried}` : ''}`,
        );
      },
      1_200_000,
    );
  }

  // Last: these break the installed copy.
  it('fails to load with ERR_DSE_LOAD saying what failed and what to do (broken prebuild, then none)', () => {
    const probe = path.join(consumer, 'check-load.cjs');
    fs.writeFileSync(
      probe,
      `const d = require('${PKG.name}');
try { d.buildInfo(); console.log(JSON.stringify({ loaded: true })); }
catch (e) {
  const isDseError = e instanceof d.DseError;
  console.log(JSON.stringify({ name: e.name, code: e.code, isDseError, message: e.message }));
}`,
    );
    const probeLoad = () => {
      const out = ok(run(path.join(bin, 'node'), [probe], { cwd: consumer, env: consumerEnv }), 'node check-load.cjs');
      return JSON.parse(out.trim().split('\n').pop()!) as {
        loaded?: boolean;
        name: string;
        code: string;
        isDseError: boolean;
        message: string;
      };
    };
    const advice = (message: string) => {
      expect(message).toMatch(/Could not load the dse-dsmi native addon/);
      expect(message).toContain('linux-x64');
      expect(message).toContain(
        'Prebuilt binaries ship for linux-x64 with glibc >= 2.28 (OpenBLAS), ' +
          'linux-arm64 with glibc >= 2.17 (OpenBLAS) and win32-x64',
      );
      expect(message).toContain('npm_config_build_from_source=true npm rebuild dse-dsmi');
      expect(message).toMatch(/C\+\+17 compiler/);
      expect(message).toContain('apt-get install libopenblas-dev');
      expect(message).toContain('DSE_BLAS=none');
    };

    // A prebuild that is not a shared object: the message names the file and dlopen's reason.
    fs.writeFileSync(path.join(installed, PREBUILD_REL), 'not an ELF file');
    const broken = probeLoad();
    expect(broken.loaded).toBeUndefined();
    expect([broken.name, broken.code, broken.isDseError]).toEqual(['DseError', 'ERR_DSE_LOAD', true]);
    expect(broken.message).toContain(PREBUILD_REL);
    expect(broken.message).toMatch(/invalid ELF header|file too short/);
    expect(broken.message).toContain('The addon file is damaged or built for another platform: reinstall');
    advice(broken.message);

    // No prebuild and no build folder.
    fs.rmSync(path.join(installed, 'prebuilds'), { recursive: true, force: true });
    fs.rmSync(path.join(installed, 'build'), { recursive: true, force: true });
    const missing = probeLoad();
    expect([missing.name, missing.code, missing.isDseError]).toEqual(['DseError', 'ERR_DSE_LOAD', true]);
    expect(missing.message).toMatch(/No native build was found for platform=linux arch=x64/);
    expect(missing.message).toContain("The package's prebuilds/linux-x64 folder is missing");
    advice(missing.message);
  });
});
