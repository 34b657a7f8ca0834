// SPDX-License-Identifier: MIT
// `npm run test:all` (scripts/test-all.js) on a machine where it cannot install: a PATH with no
// apt-get, no Chromium and a python3 without numpy or pip, and an OpenBLAS that is not there. It
// must print one line per missing prerequisite and run nothing; with the documented switches it
// must go on to npm ci and npm test. npm here is a stand-in that only records its calls.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { missingLine, which } from '../scripts/prereqs';

const ROOT = path.resolve(__dirname, '..');
const SCRIPT = path.join(ROOT, 'scripts', 'test-all.js');

describe('npm run test:all (scripts/test-all.js) where it cannot install', () => {
  let tmp: string;
  let bin: string;
  let calls: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-prereqs-'));
    bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    calls = path.join(tmp, 'calls');
    for (const tool of ['sh', 'g++', 'make']) {
      const real = which(tool);
      if (!real) throw new Error(`${missingLine('build-tools')} (${tool} is not on PATH)`);
      fs.symlinkSync(real, path.join(bin, tool));
    }
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    // python3 without its site-packages: no numpy, no pip. Any python3 found here will do.
    const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], {
      encoding: 'utf8',
    }).stdout.trim();
    if (!python) throw new Error(missingLine('build-tools'));
    fs.writeFileSync(path.join(bin, 'python3'), `#!/bin/sh\nexec ${python} -S "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "npm $* DSE_BLAS=$DSE_BLAS" >> ${calls}\n`, {
      mode: 0o755,
    });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function testAll(env: Record<string, string>, ...args: string[]) {
    fs.rmSync(calls, { force: true });
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|DSE_)/i.test(k)) clean[k] = v;
    const r = spawnSync(process.execPath, [SCRIPT, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...clean, PATH: bin, DSE_OPENBLAS_LIB: path.join(tmp, 'no', 'libopenblas.a'), ...env },
    });
    return {
      status: r.status,
      lines: r.stdout.trim().split('\n'),
      calls: fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : [],
    };
  }

  it('prints one line per missing prerequisite, with how to get it, and runs nothing', () => {
    for (const args of [[], ['--check']]) {
      const r = testAll({}, ...args);
      expect(r.status).toBe(1);
      expect(r.lines.filter((l) => l.startsWith('missing: '))).toEqual([
        missingLine('openblas'),
        missingLine('chromium'),
        missingLine('numpy'),
      ]);
      expect(r.lines[r.lines.length - 1]).toMatch(
        /3 prerequisite\(s\) missing and not installed here \((no apt-get on this machine|not root)\); nothing was run/,
      );
      expect(r.calls).toEqual([]);
    }
    expect(missingLine('chromium')).toBe(
      'missing: Chromium (test/report.test.ts opens the HTML reports in it): apt-get install --no-install-recommends ' +
        'chromium, or DSE_SKIP_BROWSER_TESTS=1 to skip the browser tests',
    );
  });

  it('with the documented switches, builds the Eigen-only addon and runs the suite, saying what was skipped', () => {
    const r = testAll({ DSE_BLAS: 'none', DSE_SKIP_BROWSER_TESTS: '1', DSE_SKIP_NUMPY_TESTS: '1' });
    expect(r.status).toBe(0);
    expect(r.lines.filter((l) => l.startsWith('missing: '))).toEqual([]);
    expect(r.lines.filter((l) => l.startsWith('test:all: SKIPPING by '))).toHaveLength(3);
    expect(r.calls).toEqual(['npm ci --no-audit --no-fund DSE_BLAS=none', 'npm test DSE_BLAS=none']);
    expect(r.lines).toContain(
      'test:all: NOT everything was tested: skipped by DSE_BLAS=none, DSE_SKIP_BROWSER_TESTS=1, DSE_SKIP_NUMPY_TESTS=1',
    );
  });
});
