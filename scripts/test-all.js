#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm run test:all`: from a fresh clone to a green test suite in one command.
//   1. Checks the prerequisites (scripts/prereqs.js) and prints one line for each.
//   2. Installs the missing ones when it can: as root with apt-get (Debian/Ubuntu) for system
//      packages, with `python3 -m pip` for numpy. When it cannot, it prints one line per missing
//      prerequisite with how to get it (or the switch that skips the tests needing it) and
//      exits 1 before running anything.
//   3. npm ci (builds the addon; DSE_BLAS=openblas, so that a build without OpenBLAS fails
//      instead of silently taking the Eigen path; DSE_BLAS=none builds the Eigen-only addon).
//   4. npm test (the whole suite).
// `--check` stops after step 1 (nothing installed or run): exit 0 when every prerequisite is
// present or switched off, 1 otherwise.
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');
const { PREREQS, which, locate, isSkipped, missingLine } = require('./prereqs');

const ROOT = path.resolve(__dirname, '..');
const checkOnly = process.argv.includes('--check');
const start = Date.now();

function say(line) {
  process.stdout.write(`test:all: ${line}\n`);
}

function run(cmd, args, env = process.env) {
  say(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env });
  if (r.error) return { ok: false, why: r.error.message };
  return { ok: r.status === 0, why: `exit ${r.status ?? r.signal}` };
}

function pipWorks() {
  return spawnSync('python3', ['-m', 'pip', '--version'], { encoding: 'utf8' }).status === 0;
}

// ---- 1. what is there
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const haveApt = Boolean(which('apt-get'));
const canApt = isRoot && haveApt;
const canPip = pipWorks();

const aptPackages = [];
const pipPackages = [];
const missing = []; // lines for what cannot be installed here
const switchedOff = [];
for (const p of PREREQS) {
  if (p.skip && isSkipped(p.id)) {
    switchedOff.push(p);
    say(`SKIPPING by ${p.skip}: ${p.what}`);
    continue;
  }
  const where = locate(p.id);
  if (where) {
    say(`ok: ${p.id} (${where})`);
  } else if (p.pip.length && canPip) {
    pipPackages.push(...p.pip);
    say(`to install with pip: ${p.id} (${p.pip.join(' ')})`);
  } else if (p.apt.length && canApt) {
    aptPackages.push(...p.apt);
    say(`to install with apt-get: ${p.id} (${p.apt.join(' ')})`);
  } else {
    missing.push(p);
  }
}

if (missing.length) {
  const why = !haveApt ? 'no apt-get on this machine' : !isRoot ? 'not root' : 'no installer for it';
  for (const p of missing) process.stdout.write(`${missingLine(p.id)}\n`);
  say(`${missing.length} prerequisite(s) missing and not installed here (${why}); nothing was run`);
  process.exit(1);
}
if (checkOnly) {
  if (aptPackages.length || pipPackages.length) {
    say('some prerequisites are to be installed (run without --check to install them)');
    process.exit(1);
  }
  process.exit(0);
}

// ---- 2. install
let aptUpdated = false;
/** apt-get update (once), then apt-get install; false when either fails. */
function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    const u = run('apt-get', ['update', '-qq'], env);
    if (!u.ok) return (say(`apt-get update failed (${u.why})`), false);
    aptUpdated = true;
  }
  const r = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], env);
  if (!r.ok) say(`apt-get install failed (${r.why})`);
  return r.ok;
}

if (aptPackages.length && !aptInstall(aptPackages)) process.exit(1);
if (pipPackages.length) {
  const r = run('python3', ['-m', 'pip', 'install', '-q', ...pipPackages]);
  if (!r.ok) {
    // e.g. Debian's own python3 refuses pip installs (PEP 668, externally managed): its apt packages then
    const apt = PREREQS.filter((p) => p.pip.length && !p.find()).flatMap((p) => p.apt);
    say(`pip install failed (${r.why})${canApt && apt.length ? '; trying apt-get' : ''}`);
    if (canApt && apt.length) aptInstall(apt);
  }
}
// Installed or not, what counts is whether it is there now (a fresh look, not the cached one).
const still = PREREQS.filter((p) => !switchedOff.includes(p) && !p.find());
if (still.length) {
  for (const p of still) process.stdout.write(`${missingLine(p.id)}\n`);
  say('still missing after the installs above; nothing else was run');
  process.exit(1);
}

// ---- 3. build
const blas = isSkipped('openblas') ? 'none' : 'openblas';
// DSE_WERROR=1: a compiler warning fails the build (native/build-config.js).
const built = run('npm', ['ci', '--no-audit', '--no-fund'], { ...process.env, DSE_BLAS: blas, DSE_WERROR: '1' });
if (!built.ok) {
  say(`npm ci failed (${built.why})`);
  process.exit(1);
}

// ---- 4. test
const tested = run('npm', ['test']);
const minutes = ((Date.now() - start) / 60000).toFixed(1);
if (switchedOff.length) {
  say(`NOT everything was tested: skipped by ${switchedOff.map((p) => p.skip).join(', ')}`);
}
say(`${tested.ok ? 'tests passed' : `tests FAILED (${tested.why})`} in ${minutes} min`);
process.exit(tested.ok ? 0 : 1);
