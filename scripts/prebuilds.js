#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm run prebuilds`: builds every prebuilt binary of scripts/prebuild/targets.js on this
// linux-x64 machine with zig as the cross compiler, checks each and runs the smoke test in the
// Node of its platform:
//   prebuilds/linux-x64/dse-dsmi.glibc.node    glibc >= 2.28, OpenBLAS   (host Node)
//   prebuilds/linux-arm64/dse-dsmi.glibc.node  glibc >= 2.17, OpenBLAS   (arm64 Node under qemu)
//   prebuilds/win32-x64/dse-dsmi.node          Eigen                     (Windows Node under wine)
// What it needs is fetched on first use (scripts/prebuild/toolchain.js): zig from the lockfile,
// Debian packages, Debian's arm64 OpenBLAS, the official Node binaries; the cache is
// .cache/prebuilds (DSE_PREBUILD_CACHE).
//
// Options: --targets=linux-x64,win32-x64 (a subset), --check-only (check and smoke-test what is
// in prebuilds/, build nothing), --no-smoke (static checks only).
// Environment: JOBS (parallel compiles, default: the cores), DSE_BLAS=none (Eigen-only Linux
// binaries), DSE_PREBUILD_CACHE.
'use strict';
const fs = require('fs');
const path = require('path');
const { TARGETS } = require('./prebuild/targets');
const { root, cacheDir, PrebuildError, ensureDebian, arm64OpenBlas, HOST_OPENBLAS } = require('./prebuild/toolchain');
const { buildTarget, defaultJobs } = require('./prebuild/build');
const { checkBinary } = require('./prebuild/check');
const { runSmoke } = require('./prebuild/smoke-run');

function parseArgs(argv) {
  const opts = { targets: TARGETS, build: true, smoke: true };
  for (const a of argv) {
    if (a === '--check-only') opts.build = false;
    else if (a === '--no-smoke') opts.smoke = false;
    else if (a.startsWith('--targets=')) {
      const names = a.slice('--targets='.length).split(',').filter(Boolean);
      const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n));
      if (unknown.length)
        throw new PrebuildError(
          `unknown targets ${unknown.join(', ')} (known: ${TARGETS.map((t) => t.name).join(', ')})`,
        );
      opts.targets = TARGETS.filter((t) => names.includes(t.name));
    } else throw new PrebuildError(`unknown argument ${a}`);
  }
  return opts;
}

/** The OpenBLAS archive for `target`, or undefined for an Eigen-only build. */
function openblasFor(target) {
  if (target.blas !== 'openblas' || (process.env.DSE_BLAS || '').toLowerCase() === 'none') return undefined;
  if (target.arch === 'arm64') return arm64OpenBlas();
  ensureDebian([HOST_OPENBLAS]);
  return HOST_OPENBLAS;
}

const outFile = (t) => path.join(root, 'prebuilds', t.name, t.file);
const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

async function main() {
  if (`${process.platform}-${process.arch}` !== 'linux-x64') {
    throw new PrebuildError(
      'the cross builds run on linux-x64 (zig and Debian packages); on other platforms `npx prebuildify --napi ' +
        '--strip --tag-libc` builds the host binary (.github/workflows/prebuilds.yml)',
    );
  }
  const opts = parseArgs(process.argv.slice(2));
  process.env.ZIG_GLOBAL_CACHE_DIR = process.env.ZIG_GLOBAL_CACHE_DIR || path.join(cacheDir, 'zig');
  process.env.ZIG_LOCAL_CACHE_DIR = process.env.ZIG_LOCAL_CACHE_DIR || path.join(cacheDir, 'zig-local');
  ensureDebian(['readelf', 'objdump']);
  const rows = [];
  for (const target of opts.targets) {
    const file = outFile(target);
    let seconds;
    if (opts.build) {
      const openblas = openblasFor(target);
      // Only this build in the folder: node-gyp-build must not find an older name first.
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      seconds = await buildTarget(target, file, { openblas, jobs: defaultJobs() });
    }
    const found = checkBinary(target, file);
    console.log(
      `prebuilds: ${target.name}: ${path.relative(root, file)} ${mb(found.bytes)}, ${found.format}, needs ` +
        `${found.needed.join(' ')}` +
        `${found.glibc !== '-' ? `, glibc >= ${found.glibc}` : ''}, exports ` +
        `${found.exported.join(' ')}${seconds ? `, built in ${seconds.toFixed(0)} s` : ''}`,
    );
    let smoke;
    if (opts.smoke) {
      smoke = runSmoke(target, file);
      if (!smoke.ok)
        throw new PrebuildError(`the smoke test of ${target.name} failed:\n  ${smoke.failures.join('\n  ')}`);
      const blasWanted = target.blas === 'openblas' && (process.env.DSE_BLAS || '').toLowerCase() !== 'none';
      if (blasWanted && !/^OpenBLAS/.test(smoke.info.blas))
        throw new PrebuildError(`${target.name} was built without OpenBLAS (${smoke.info.blas})`);
      console.log(
        `prebuilds: ${target.name}: smoke test passed in ${smoke.runner === 'host' ? 'this Node' : smoke.runner} ` +
          `(${smoke.node}, ${smoke.seconds.toFixed(0)} s): ${smoke.checks.length} checks, ${smoke.info.blas} / ` +
          `${smoke.info.lapack}${smoke.retried ? `, on a second start; the first ended so: ${smoke.retried}` : ''}`,
      );
    }
    rows.push({ target, found, smoke });
  }
  console.log('\nprebuilds: summary');
  for (const { target, found, smoke } of rows) {
    const second = smoke && smoke.retried ? ', on a second start' : '';
    console.log(
      `  ${target.name.padEnd(12)} ${mb(found.bytes).padStart(8)}  glibc ${found.glibc.padEnd(5)} ` +
        `${smoke ? `smoke ok (${smoke.runner}, ${smoke.info.blas}${second})` : 'smoke not run'}`,
    );
  }
}

main().catch((e) => {
  process.stderr.write(`prebuilds: ${e instanceof PrebuildError ? e.message : e.stack}\n`);
  process.exit(1);
});
