// SPDX-License-Identifier: MIT
// docs/api.md, docs/cli.md and docs/options.md are generated from the code (scripts/gen-docs.js):
// the committed files must be what the code generates today, a TSDoc default that disagrees with
// its rule fails, and every example command of docs/cli.md runs.
import * as path from 'path';
import { spawnSync } from 'child_process';
import { runCli } from './helpers';

const ROOT = path.resolve(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CLI_EXAMPLES } = require('../scripts/gen-docs.js') as { CLI_EXAMPLES: string[] };

describe('generated docs', () => {
  it('docs/api.md, docs/cli.md and docs/options.md are what `npm run docs` generates from the code', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'gen-docs.js'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(CLI_EXAMPLES)('docs/cli.md example runs: %s', async (line) => {
    const r = await runCli(ROOT, line.split(' ').slice(1));
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout.length).toBeGreaterThan(0);
  });
});
