// SPDX-License-Identifier: MIT
// docs/api.md and docs/options.md are generated from the code (scripts/gen-docs.js): the committed
// files must be what the code generates today, and a TSDoc default that disagrees with its rule fails.
import * as path from 'path';
import { spawnSync } from 'child_process';

const ROOT = path.resolve(__dirname, '..');

describe('generated docs', () => {
  it('docs/api.md and docs/options.md are what `npm run docs` generates from the code', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'gen-docs.js'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
