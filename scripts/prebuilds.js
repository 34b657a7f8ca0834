#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm run prebuilds`: builds prebuilds/<platform>-<arch>/dse-dsmi.node with prebuildify
// (`prebuildify --napi --strip`, node-gyp backend: binding.gyp, OpenBLAS linked statically),
// then checks what will ship:
//   - the addon loads (it is linked with -z now, so a missing symbol fails here, not at the
//     first LAPACK call) and reports OpenBLAS;
//   - `ldd` lists no libopenblas, libgfortran, libquadmath or libstdc++ (only glibc);
//   - its undefined dynamic symbols are only versioned glibc symbols and Node-API functions;
//   - prints its size and the glibc floor (the highest GLIBC_x.y it references).
//
// Offline: node-gyp compiles against the installed Node headers (npm_config_nodedir, else the
// `include/node` next to this node binary) and never downloads them.
// The build runs in a temporary copy of the sources, so the repository's build/ (cmake-js or
// node-gyp builds) is left alone.
//
// Environment: JOBS (parallel compile jobs, default: all cores), DSE_BLAS (default `openblas`
// here: a prebuild without OpenBLAS is refused unless DSE_BLAS=none is asked for explicitly),
// DSE_OPENBLAS_LIB (the library to link), PREBUILD_NODE_GYP (a node-gyp executable).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const tuple = `${process.platform}-${process.arch}`;
const outDir = path.join(root, 'prebuilds', tuple);
const outFile = path.join(outDir, `${pkg.name.replace(/\//g, '+')}.node`);

function fail(message) {
  process.stderr.write(`prebuilds: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) fail(`${cmd} could not run: ${r.error.message}`);
  return r;
}

/** Local Node headers for node-gyp, so that it never downloads them. */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) return prefix;
  return undefined;
}

/** The node-gyp executable: npm's own (npm sets npm_config_node_gyp in scripts), else PATH. */
function nodeGyp() {
  if (process.env.PREBUILD_NODE_GYP) return process.env.PREBUILD_NODE_GYP;
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  return 'node-gyp';
}

function build() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-dsmi-prebuild-'));
  try {
    // A snapshot of what binding.gyp needs; node_modules is linked for node-addon-api.
    for (const f of ['package.json', 'binding.gyp']) fs.copyFileSync(path.join(root, f), path.join(work, f));
    fs.cpSync(path.join(root, 'native'), path.join(work, 'native'), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'), 'dir');

    const env = { ...process.env };
    const nodedir = nodeDir();
    if (nodedir) env.npm_config_nodedir = nodedir;
    else process.stderr.write('prebuilds: no local Node headers found: node-gyp may download them\n');
    env.JOBS = env.JOBS || String(os.availableParallelism ? os.availableParallelism() : os.cpus().length);
    env.DSE_BLAS = env.DSE_BLAS || 'openblas';

    const bin = require.resolve('prebuildify/bin.js', { paths: [root] });
    const args = [bin, '--napi', '--strip', `--target=${process.versions.node}`, `--node-gyp=${nodeGyp()}`, work];
    console.log(`prebuilds: prebuildify --napi --strip (nodedir ${nodedir || '-'}, JOBS=${env.JOBS}, DSE_BLAS=${env.DSE_BLAS})`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, args, { cwd: work, env, stdio: 'inherit' });
    if (r.status !== 0) fail(`prebuildify failed (exit ${r.status})`);
    const built = path.join(work, 'prebuilds', tuple, path.basename(outFile));
    if (!fs.existsSync(built)) fail(`prebuildify did not write ${built}`);
    fs.mkdirSync(outDir, { recursive: true });
    // Write beside, then rename: a reader never sees half a file.
    const tmp = `${outFile}.tmp-${process.pid}`;
    fs.copyFileSync(built, tmp);
    fs.renameSync(tmp, outFile);
    console.log(`prebuilds: built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function check() {
  const size = fs.statSync(outFile).size;
  const info = run(process.execPath, ['-e', 'console.log(JSON.stringify(require(process.argv[1]).buildInfo()))', outFile]);
  if (info.status !== 0) fail(`the prebuild does not load:\n${info.stderr}`);
  const bi = JSON.parse(info.stdout);
  const wantOpenblas = (process.env.DSE_BLAS || 'openblas').toLowerCase() !== 'none';
  if (wantOpenblas && !bi.openblas) fail(`the prebuild was built without OpenBLAS (${bi.blas})`);

  let glibc = '-';
  if (process.platform === 'linux') {
    const ldd = run('ldd', [outFile]);
    const bad = ldd.stdout.split('\n').filter((l) => /libopenblas|libgfortran|libquadmath|libstdc\+\+|libgcc_s|liblapack|libblas/.test(l));
    if (bad.length) fail(`the prebuild depends on shared libraries users may not have:\n${bad.join('\n')}`);

    const dyn = run('readelf', ['-d', outFile]);
    if (!/\bNOW\b/.test(dyn.stdout)) fail('the prebuild is not linked with -z now (BIND_NOW missing)');

    const nm = run('nm', ['-D', '--undefined-only', outFile]);
    const unexpected = nm.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .filter((l) => /^U /.test(l)) // weak (w/v) references may stay unresolved
      .map((l) => l.slice(2))
      .filter((s) => !/@GLIBC_[0-9.]+$/.test(s) && !/^(napi|node_api)_/.test(s));
    if (unexpected.length) fail(`unexpected undefined symbols:\n${unexpected.join('\n')}`);

    const objdump = run('objdump', ['-T', outFile]);
    const versions = [...objdump.stdout.matchAll(/GLIBC_([0-9]+(?:\.[0-9]+)*)/g)].map((m) => m[1]);
    const cmp = (a, b) => {
      const x = a.split('.').map(Number);
      const y = b.split('.').map(Number);
      for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
      return 0;
    };
    if (versions.length) glibc = versions.sort(cmp).pop();
  }
  // The loader's error message and README "## Install" state the floor: keep them in step.
  const declared = /glibc >= ([0-9.]+)/.exec(fs.readFileSync(path.join(root, 'lib', 'native.ts'), 'utf8'));
  if (glibc !== '-' && declared && declared[1] !== glibc) {
    process.stderr.write(`prebuilds: warning: the prebuild needs glibc >= ${glibc} but lib/native.ts and README say ${declared[1]}\n`);
  }
  console.log(`prebuilds: ${path.relative(root, outFile)} ${(size / 1048576).toFixed(1)} MB, glibc >= ${glibc}, ${bi.blas} / ${bi.lapack}`);
  console.log('prebuilds: checks passed (loads with -z now; no libopenblas/libgfortran/libstdc++ in ldd; undefined symbols only glibc + Node-API)');
}

if (!process.argv.includes('--check-only')) build();
check();
