// SPDX-License-Identifier: MIT
// The README's and the docs' relative links lead to files that exist and that the package ships,
// so they work from node_modules as in the repository.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';

const ROOT = path.resolve(__dirname, '..');

function markdownFiles(): string[] {
  const docs = fs.readdirSync(path.join(ROOT, 'docs'), { recursive: true }) as string[];
  return ['README.md', 'CHANGELOG.md', ...docs.filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];
}

/** Relative link targets of a markdown file, as paths from the repository root. */
function links(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
  const out: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1].split('#')[0];
    if (!target || /^[a-z]+:/i.test(target)) continue;
    out.push(path.normalize(path.join(path.dirname(file), target)));
  }
  return out;
}

describe('documentation links', () => {
  const packed = new Set<string>(
    (JSON.parse(spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }).stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path),
  );

  it.each(markdownFiles())('%s links only to files that exist and ship', (file) => {
    const bad = links(file).filter((t) => !fs.existsSync(path.join(ROOT, t)) || (!packed.has(t) && !fs.statSync(path.join(ROOT, t)).isDirectory()));
    expect(bad).toEqual([]);
  });
});
