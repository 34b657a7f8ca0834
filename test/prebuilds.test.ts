// SPDX-License-Identifier: MIT
// The release plumbing around the prebuilds: the prepack check that refuses a tarball lacking a
// listed platform's binary (or holding one for the wrong machine), and the release workflow,
// linted with actionlint. The prebuilds themselves are built, checked and smoke-tested by
// `npm run prebuilds` and test/pack.test.ts.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TARGETS } from '../scripts/prebuild/targets';
import { problems, machineOf } from '../scripts/prepack-check';
import type * as SmokeRun from '../scripts/prebuild/smoke-run';

const ROOT = path.resolve(__dirname, '..');
const PREPACK = path.join(ROOT, 'scripts', 'prepack-check.js');
const LINT = path.join(ROOT, 'scripts', 'lint-workflows.js');

/** The first bytes of an ELF shared object for `machine` (e_machine at offset 18). */
function elfHeader(machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b.writeUInt8(2, 4); // 64-bit
  b.writeUInt16LE(3, 16); // ET_DYN
  b.writeUInt16LE(machine, 18);
  return b;
}

/** The first bytes of a PE file for `machine`. */
function peHeader(machine: number): Buffer {
  const b = Buffer.alloc(256);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(128, 60);
  b.write('PE\0\0', 128, 'latin1');
  b.writeUInt16LE(machine, 132);
  return b;
}

const HEADERS: Record<string, Buffer> = {
  'linux-x64': elfHeader(0x3e),
  'linux-arm64': elfHeader(0xb7),
  'win32-x64': peHeader(0x8664),
};

function prebuildsDir(names: string[], override: Record<string, Buffer> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-dsmi-prepack-'));
  for (const t of TARGETS.filter((x) => names.includes(x.name))) {
    fs.mkdirSync(path.join(dir, t.name), { recursive: true });
    fs.writeFileSync(path.join(dir, t.name, t.file), override[t.name] ?? HEADERS[t.name]);
  }
  return dir;
}

function prepack(dir: string, env: Record<string, string> = {}) {
  const base = { ...process.env };
  delete base.DSE_ALLOW_MISSING_PREBUILDS;
  return spawnSync(process.execPath, [PREPACK, '--dir', dir], { encoding: 'utf8', env: { ...base, ...env } });
}

describe('the prepack check', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('lists the platforms of the README table', () => {
    expect(TARGETS.map((t) => `${t.name}/${t.file}`)).toEqual([
      'linux-x64/dse-dsmi.glibc.node',
      'linux-arm64/dse-dsmi.glibc.node',
      'win32-x64/dse-dsmi.node',
    ]);
  });

  it('passes when every listed platform has its binary', () => {
    const dir = prebuildsDir(TARGETS.map((t) => t.name));
    dirs.push(dir);
    expect(problems(dir)).toEqual([]);
    const r = prepack(dir);
    // Nothing on stdout: `npm pack --json` would print it into its JSON.
    expect([r.status, r.stdout]).toEqual([0, '']);
    expect(r.stderr).toBe('prepack: prebuilds for linux-x64, linux-arm64, win32-x64 present\n');
  });

  it('refuses a tarball lacking a platform, naming it and the way out', () => {
    const dir = prebuildsDir(['linux-x64']);
    dirs.push(dir);
    const r = prepack(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('refusing to pack');
    expect(r.stderr).toContain('linux-arm64: ');
    expect(r.stderr).toContain('win32-x64: ');
    expect(r.stderr).not.toContain('linux-x64: ');
    expect(r.stderr).toContain('npm run prebuilds');
    expect(r.stderr).toContain('DSE_ALLOW_MISSING_PREBUILDS=1');
  });

  it('refuses a binary built for another machine', () => {
    const dir = prebuildsDir(
      TARGETS.map((t) => t.name),
      { 'linux-arm64': HEADERS['linux-x64'], 'win32-x64': Buffer.from('not a binary') },
    );
    dirs.push(dir);
    expect(machineOf(path.join(dir, 'linux-arm64', 'dse-dsmi.glibc.node'))).toBe('linux-x64');
    expect(problems(dir)).toEqual([
      expect.stringMatching(/^linux-arm64: .* is for linux-x64$/),
      expect.stringMatching(/^win32-x64: .* is for not an ELF or PE file$/),
    ]);
    expect(prepack(dir).status).toBe(1);
  });

  it('packs anyway with DSE_ALLOW_MISSING_PREBUILDS=1, saying what is missing', () => {
    const dir = prebuildsDir([]);
    dirs.push(dir);
    const r = prepack(dir, { DSE_ALLOW_MISSING_PREBUILDS: '1' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('DSE_ALLOW_MISSING_PREBUILDS=1: packing without');
    for (const t of TARGETS) expect(r.stderr).toContain(`${t.name}: `);
  });

  it('is the package.json prepack script', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.prepack).toBe('node scripts/prepack-check.js');
  });
});

describe('the release workflow', () => {
  const workflow = path.join(ROOT, '.github', 'workflows', 'prebuilds.yml');

  it('lints clean with actionlint', () => {
    const r = spawnSync(process.execPath, [LINT, workflow], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('prebuilds.yml: no findings');
  });

  it('has the native runners, the cross job and a pack job collecting the prebuilds', () => {
    const text = fs.readFileSync(workflow, 'utf8');
    for (const runner of ['macos-14', 'macos-13', 'windows-2022', 'ubuntu-24.04-arm', 'node:20-alpine'])
      expect(text).toContain(runner);
    expect(text).toContain('npm run prebuilds');
    expect(text).toMatch(/pack:\n[\s\S]*needs: \[cross, native-test, native-build, alpine\][\s\S]*npm pack/);
  });

  it('reports a broken workflow (the lint can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-dsmi-lint-'));
    try {
      const broken = path.join(dir, 'broken.yml');
      fs.writeFileSync(
        broken,
        fs
          .readFileSync(workflow, 'utf8')
          .replace('needs: cross', 'needs: crosss')
          .replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-lastest'),
      );
      const r = spawnSync(process.execPath, [LINT, broken], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('[job-needs]');
      expect(r.stderr).toContain('label "ubuntu-lastest" is unknown');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the smoke runner', () => {
  /** What the n-th run of the smoke script does: writes a result, never starts (no log), or dies after starting. */
  type Outcome = 'writes a result' | 'does not start' | 'dies' | 'times out';
  interface Run {
    calls: string[];
    result?: { ok: boolean; retried: string; runner: string };
    error?: Error;
  }
  interface Fake {
    /** wineboot's exit status. */
    wineboot?: number;
  }

  /**
   * runSmoke against an installed-package folder, with the emulator (or host Node) and wine's
   * tools replaced as `outcomes` and `fake` say, and the cache in `cache` (a temporary folder by
   * default). Nothing is installed or downloaded.
   */
  function smokeWith(runner: string, outcomes: Outcome[], fake: Fake = {}, cache?: string): Run {
    const out: Run = { calls: [] };
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-dsmi-smoke-runner-'));
    const cacheDir = cache ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dse-dsmi-smoke-cache-'));
    const saved = process.env.DSE_PREBUILD_CACHE;
    process.env.DSE_PREBUILD_CACHE = cacheDir;
    let smokeRuns = 0;
    try {
      jest.isolateModules(() => {
        const actual = jest.requireActual('../scripts/prebuild/toolchain');
        jest.doMock('../scripts/prebuild/toolchain', () => ({
          ...actual,
          ensureDebian: () => undefined,
          nodeBinary: () => '/opt/node/bin/node',
          run: (cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv }) => {
            const ok = { status: 0, signal: null, stdout: '', stderr: '' };
            if (cmd === 'wineboot') {
              out.calls.push('wineboot');
              fs.writeFileSync(path.join(options.env!.WINEPREFIX!, 'system.reg'), '');
              return { ...ok, status: fake.wineboot ?? 0, stderr: fake.wineboot ? 'wineboot: no display' : '' };
            }
            if (cmd === 'wineserver' || (cmd === 'wine' && args[0] === 'reg')) return ok;
            out.calls.push(cmd);
            // Under wine the paths are Windows ones on its Z: drive (the Unix root).
            const given = args[args.length - 1];
            const resultFile = given.startsWith('Z:') ? given.slice(2).replace(/\\/g, '/') : given;
            const outcome = outcomes[smokeRuns++];
            if (outcome === 'does not start')
              return { ...ok, status: 1, stderr: 'err:module:import_dll Library x.dll not found' };
            fs.appendFileSync(`${resultFile}.log`, 'loading the package\n');
            if (outcome === 'dies') return { ...ok, status: 1 };
            if (outcome === 'times out')
              return { ...ok, status: null, signal: 'SIGTERM', error: new Error('spawnSync wine ETIMEDOUT') };
            fs.writeFileSync(resultFile, JSON.stringify({ ok: true, checks: ['loads'], failures: [], info: {} }));
            return ok;
          },
        }));
        // A fresh copy of the module, bound to the mock above (an import would share the real one).
        const { runSmoke } = jest.requireActual<typeof SmokeRun>('../scripts/prebuild/smoke-run');
        try {
          out.result = runSmoke(
            TARGETS.find((t) => t.runner === runner)!,
            undefined,
            { installed: pkg },
          );
        } catch (e) {
          out.error = e as Error;
        }
      });
    } finally {
      if (saved === undefined) delete process.env.DSE_PREBUILD_CACHE;
      else process.env.DSE_PREBUILD_CACHE = saved;
      fs.rmSync(pkg, { recursive: true, force: true });
      if (!cache) fs.rmSync(cacheDir, { recursive: true, force: true });
    }
    return out;
  }

  it('starts an emulator once more when Node never ran the script, and says how the first start ended', () => {
    for (const runner of ['qemu-aarch64', 'wine']) {
      const r = smokeWith(runner, ['does not start', 'writes a result']);
      expect(r.error).toBeUndefined();
      expect(r.calls.filter((c) => c === runner)).toHaveLength(2);
      expect(r.result?.ok).toBe(true);
      expect(r.result?.retried).toMatch(
        /wrote no result after \d+ s \(exit 1\):\nerr:module:import_dll Library x\.dll/,
      );
      expect(r.result?.retried).toContain('its progress log: none');
    }
  });

  it('fails, without a second run, when the script started and died or timed out', () => {
    const died = smokeWith('wine', ['dies', 'writes a result']);
    expect(died.calls.filter((c) => c === 'wine')).toHaveLength(1);
    expect(died.error?.message).toMatch(
      /wrote no result after \d+ s \(exit 1\):\n\nits progress log: \n {2}loading the package/,
    );
    const hung = smokeWith('qemu-aarch64', ['times out', 'writes a result']);
    expect(hung.calls).toHaveLength(1);
    expect(hung.error?.message).toContain('(exit null, SIGTERM, spawnSync wine ETIMEDOUT)');
  });

  it('fails with both endings when the second start fails too', () => {
    const r = smokeWith('qemu-aarch64', ['does not start', 'does not start']);
    expect(r.calls).toHaveLength(2);
    expect(r.error?.message).toMatch(/wrote no result[\s\S]*and once more: [\s\S]*wrote no result/);
  });

  it('does not run again on the host, where no result means the addon crashed Node', () => {
    const r = smokeWith('host', ['does not start', 'writes a result']);
    expect(r.calls).toHaveLength(1);
    expect(r.error?.message).toContain('wrote no result');
  });

  it('returns the first run untouched when it writes a result', () => {
    const r = smokeWith('qemu-aarch64', ['writes a result']);
    expect(r.calls).toHaveLength(1);
    expect(r.result?.retried).toBe('');
  });

  it('makes the wine prefix once, and again when a step failed or it has no marker', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-dsmi-smoke-cache-'));
    try {
      const prefix = path.join(cache, 'wine');
      const failed = smokeWith('wine', ['writes a result'], { wineboot: 1 }, cache);
      expect(failed.error?.message).toMatch(
        /creating the wine prefix: wineboot --init failed \(exit 1\):\nwineboot: no display/,
      );
      expect(fs.existsSync(prefix)).toBe(false);
      expect(fs.readdirSync(cache)).toEqual([]); // the partial prefix is gone
      const made = smokeWith('wine', ['writes a result'], {}, cache);
      expect(made.calls).toEqual(['wineboot', 'wine']);
      expect(fs.existsSync(path.join(prefix, '.dse-dsmi-ready'))).toBe(true);
      expect(smokeWith('wine', ['writes a result'], {}, cache).calls).toEqual(['wine']);
      fs.rmSync(path.join(prefix, '.dse-dsmi-ready'));
      expect(smokeWith('wine', ['writes a result'], {}, cache).calls).toEqual(['wineboot', 'wine']);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it('the smoke script logs its steps as they happen and writes a result when loading fails', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-dsmi-smoke-log-'));
    try {
      const resultFile = path.join(dir, 'result.json');
      const missing = path.join(dir, 'no-such-package');
      const r = spawnSync(
        process.execPath,
        [path.join(ROOT, 'scripts', 'prebuild', 'smoke.js'), missing, path.join(ROOT, 'test', 'fixtures'), resultFile],
        { encoding: 'utf8' },
      );
      expect(r.status).toBe(1);
      const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { ok: boolean; failures: string[] };
      expect(result.ok).toBe(false);
      expect(result.failures[0]).toMatch(/^smoke script: Error: Cannot find module/);
      expect(fs.readdirSync(dir).sort()).toEqual(['result.json', 'result.json.log']);
      const log = fs.readFileSync(`${resultFile}.log`, 'utf8').trim().split('\n');
      const version = process.version.replace(/\./g, '\\.');
      expect(log[0]).toMatch(
        new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${version} ${process.platform}-${process.arch}: loading `),
      );
      expect(log[1]).toContain('FAILED smoke script: Error: Cannot find module');
      expect(log[log.length - 1]).toMatch(/Z exit 1$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
