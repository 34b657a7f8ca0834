#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `prepack`: refuses to pack a tarball that lacks the prebuilt binary of a platform the README
// lists (scripts/prebuild/targets.js), or holds one for the wrong machine: without it, users of
// that platform would compile on install (or fail) without anyone noticing. Portable (reads the
// file headers itself), so the release workflow's pack job runs it anywhere.
// DSE_ALLOW_MISSING_PREBUILDS=1 packs anyway (local experiments), saying what is missing.
// `node scripts/prepack-check.js [--dir <prebuilds folder>]`
'use strict';
const fs = require('fs');
const path = require('path');
const { TARGETS } = require('./prebuild/targets');

const root = path.resolve(__dirname, '..');

/** 'linux-x64', 'linux-arm64', 'win32-x64' from the file's header, or why it is none of them. */
function machineOf(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(512);
    const n = fs.readSync(fd, b, 0, b.length, 0);
    if (n >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
      const machine = b.readUInt16LE(18);
      return { 0x3e: 'linux-x64', 0xb7: 'linux-arm64' }[machine] || `ELF machine 0x${machine.toString(16)}`;
    }
    if (n >= 64 && b.toString('latin1', 0, 2) === 'MZ') {
      const pe = b.readUInt32LE(60);
      if (pe + 6 <= n && b.toString('latin1', pe, pe + 4) === 'PE\0\0') {
        const machine = b.readUInt16LE(pe + 4);
        return { 0x8664: 'win32-x64', 0xaa64: 'win32-arm64' }[machine] || `PE machine 0x${machine.toString(16)}`;
      }
    }
    return 'not an ELF or PE file';
  } finally {
    fs.closeSync(fd);
  }
}

/** Problems with the prebuilds in `dir` ([] when every listed platform has its binary). */
function problems(dir) {
  const out = [];
  for (const t of TARGETS) {
    const file = path.join(dir, t.name, t.file);
    if (!fs.existsSync(file)) out.push(`${t.name}: ${path.relative(root, file)} is missing`);
    else if (machineOf(file) !== t.name) out.push(`${t.name}: ${path.relative(root, file)} is for ${machineOf(file)}`);
  }
  return out;
}

function main() {
  const i = process.argv.indexOf('--dir');
  const dir = path.resolve(i > 0 ? process.argv[i + 1] : path.join(root, 'prebuilds'));
  const found = problems(dir);
  if (!found.length) {
    // stderr: `npm pack --json` prints lifecycle scripts' stdout into its JSON.
    process.stderr.write(`prepack: prebuilds for ${TARGETS.map((t) => t.name).join(', ')} present\n`);
    return;
  }
  const lines = found.map((p) => `  - ${p}`).join('\n');
  if (process.env.DSE_ALLOW_MISSING_PREBUILDS === '1') {
    process.stderr.write(
      `prepack: DSE_ALLOW_MISSING_PREBUILDS=1: packing without\n${lines}\nUsers of those platforms will compile on ` +
        `install.\n`,
    );
    return;
  }
  process.stderr.write(
    `prepack: refusing to pack: the tarball would lack prebuilt binaries:\n${lines}\n` +
      'Build them with `npm run prebuilds` (linux-x64 host), or collect them from the release workflow; ' +
      'DSE_ALLOW_MISSING_PREBUILDS=1 packs anyway for a local experiment.\n',
  );
  process.exit(1);
}

if (require.main === module) main();
module.exports = { problems, machineOf };
