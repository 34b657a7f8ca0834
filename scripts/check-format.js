#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Checks the C++ of native/ (native/vendor excluded) against .clang-format, and that no line
// is over 120 characters. Exit 0 when clean; else the files and lines at fault, exit 1.
// `--fix` rewrites the files in place. Needs clang-format (Debian/Ubuntu: apt-get install clang-format).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const MAX = 120;
const fix = process.argv.includes('--fix');

function sources(dir) {
  const out = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (rel !== path.join('native', 'vendor')) out.push(...sources(rel));
    } else if (/\.(cc|h|c)$/.test(e.name)) out.push(rel);
  }
  return out.sort();
}

const files = sources('native');
const probe = spawnSync('clang-format', ['--version'], { encoding: 'utf8' });
if (probe.status !== 0) {
  process.stderr.write('check-format: clang-format not found (apt-get install clang-format)\n');
  process.exit(1);
}
const args = fix ? ['-i', '--style=file', ...files] : ['--dry-run', '--Werror', '--style=file', ...files];
const r = spawnSync('clang-format', args, { cwd: ROOT, encoding: 'utf8' });
let bad = r.status !== 0;
if (bad) process.stderr.write(r.stderr);
for (const f of files) {
  fs.readFileSync(path.join(ROOT, f), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.length > MAX) {
        bad = true;
        process.stderr.write(`${f}:${i + 1}: ${line.length} characters (at most ${MAX})\n`);
      }
    });
}
if (bad) {
  process.stderr.write(
    `check-format: ${fix ? 'lines still over the limit' : 'not formatted (node scripts/check-format.js --fix)'}\n`,
  );
  process.exit(1);
}
console.log(`check-format: ${files.length} files of native/ ${fix ? 'formatted' : 'formatted as .clang-format says'}`);
