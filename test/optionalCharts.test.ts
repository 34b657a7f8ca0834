// SPDX-License-Identifier: MIT
// vega and vega-lite are optional peer dependencies: `npm install dse-dsmi` does not pull them
// (and their ~85 packages). Without them every number still computes; a report is refused with
// ERR_DSE_DEPENDENCY and the install command, before any work.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';

const ROOT = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-nocharts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// A preload that makes vega and vega-lite unresolvable, as in a project that did not install them.
const PRELOAD = path.join(tmp, 'no-vega.js');
fs.writeFileSync(
  PRELOAD,
  `const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'vega' || request === 'vega-lite') throw Object.assign(new Error('Cannot find module ' + request), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};
`,
);

function node(args: string[]) {
  return spawnSync(process.execPath, ['-r', PRELOAD, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000 });
}

describe('without the optional chart packages', () => {
  it('dse demo refuses the report before computing, naming the install command (exit 2)', () => {
    const r = node([path.join(ROOT, 'dist', 'cli', 'index.js'), 'demo']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "dse: Expected the packages vega and vega-lite to draw the report's charts but they are not installed. " +
        'They are optional (most users only need the numbers): npm install vega vega-lite\n',
    );
    expect(fs.existsSync(path.join(tmp, 'dse-demo-report.html'))).toBe(false);
  });

  it('dse demo --no-report computes as usual', () => {
    const r = node([path.join(ROOT, 'dist', 'cli', 'index.js'), 'demo', '--no-report', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).dse.length).toBeGreaterThan(0);
  });

  it('the library computes, and writeReportFile rejects with ERR_DSE_DEPENDENCY', () => {
    const script = `
const d = require(${JSON.stringify(path.join(ROOT, 'dist'))});
const v = d.diffusionSpectralEntropySync([[0, 0], [1, 0], [0, 1]], { gaussianKernelSigma: 1 });
d.writeReportFile(${JSON.stringify(path.join(tmp, 'r.html'))}, d.traceReport([{ layer: 'a', epoch: 1, rows: 3, cols: 2, dse: v, dsmiY: null, dsmiX: null, seconds: 0 }]))
  .then(() => console.log('written'), (e) => console.log(JSON.stringify({ code: e.code, name: e.name, value: v })));`;
    const r = node(['-e', script]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim());
    expect(out).toMatchObject({ code: 'ERR_DSE_DEPENDENCY', name: 'DseError' });
    expect(Number.isFinite(out.value)).toBe(true);
  });
});
