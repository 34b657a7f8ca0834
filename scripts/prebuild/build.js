// SPDX-License-Identifier: MIT
// Builds one prebuilt binary with zig as the C/C++ compiler and linker: the sources, defines and
// flags of binding.gyp (read from it, so the two stay in step), for one target of targets.js.
//   - Linux: glibc symbol versions capped by the target (x86_64-linux-gnu.2.28), libc++ and
//     libunwind linked statically, OpenBLAS's libopenblas.a linked in, -z now, only the two
//     Node-API entry points exported (a version script: zig's linker has no --exclude-libs),
//     unused sections dropped, stripped.
//   - Windows: Eigen only; the Node-API functions are resolved from the process's own executable
//     when the DLL loads (napi-win.js), as node-gyp's delay-load hook does, so a renamed node.exe
//     (or an embedding executable) works.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execSync, spawn } = require('child_process');
const { root, PrebuildError, runOk, zig, tempDir } = require('./toolchain');
const { napiWindowsSource } = require('./napi-win');

/**
 * gyp's expansions in a list, as node-gyp does them: `<!@(cmd)` becomes the words `cmd` prints,
 * `<!(cmd)` its output as one item, `<(module_root_dir)` the package's folder.
 */
function expandGyp(list) {
  const run = (cmd) => execSync(cmd, { cwd: root, encoding: 'utf8' }).trim();
  return list.flatMap((item) => {
    const words = /^<!@\((.*)\)$/.exec(item);
    if (words) return run(words[1]).split(/\s+/).filter(Boolean);
    const one = /^<!\((.*)\)$/.exec(item);
    if (one) return [run(one[1])];
    return [item.replace(/<\(module_root_dir\)/g, root)];
  });
}

/** binding.gyp's first target (a Python literal: comments stripped, read as a JS literal). */
function gypTarget() {
  const text = fs
    .readFileSync(path.join(root, 'binding.gyp'), 'utf8')
    .split('\n')
    .map((l) => (/^\s*#/.test(l) ? '' : l))
    .join('\n');
  const target = new Function(`return (${text});`)().targets[0];
  for (const key of ['cflags', 'cflags_cc']) target[key] = expandGyp(target[key] ?? []);
  return target;
}

/** Runs the commands, `jobs` at a time; rejects with the first failure's output. */
function pool(commands, jobs) {
  let next = 0;
  let failed;
  const one = () => {
    if (failed || next >= commands.length) return Promise.resolve();
    const { cmd, args, label } = commands[next++];
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) {
          failed = new PrebuildError(`${label} failed (exit ${code}):\n${out}`);
          reject(failed);
        } else {
          if (out.trim()) process.stdout.write(out);
          resolve();
        }
      });
    }).then(one);
  };
  return Promise.all(Array.from({ length: Math.max(1, jobs) }, one));
}

/**
 * Compiles and links `target` into `outFile`. `openblas`: the libopenblas.a to link (targets
 * with blas 'openblas'). Returns the seconds it took.
 */
async function buildTarget(target, outFile, { openblas, jobs }) {
  const t0 = Date.now();
  const gyp = gypTarget();
  const windows = target.platform === 'win32';
  const work = tempDir(`dse-dsmi-${target.name}-`);
  try {
    const includes = [
      require('node-addon-api').include_dir,
      require('node-api-headers').include_dir,
      ...gyp.include_dirs.filter((d) => !d.startsWith('<')).map((d) => path.join(root, d)),
    ];
    const defines = [...gyp.defines];
    if (target.blas === 'openblas') defines.push('DSE_HAVE_LAPACK');
    const common = [
      '-target',
      target.zig,
      '-mcpu=baseline',
      ...gyp.cflags.filter((f) => f !== '-O3'),
      '-O3',
      '-fno-omit-frame-pointer',
      '-ffunction-sections',
      '-fdata-sections',
      // simd.h's vectors only travel between inlined functions (its GCC pragma says the same).
      '-Wno-psabi',
      ...(windows ? [] : ['-fPIC', '-pthread']),
      ...defines.map((d) => `-D${d}`),
      ...includes.map((d) => `-I${d}`),
    ];
    const cxx = gyp.cflags_cc.filter((f) => !gyp.cflags.includes(f) && f !== '-O3');
    const sources = gyp.sources.map((s) => path.join(root, s));
    if (windows) {
      const stub = path.join(work, 'napi-win.c');
      fs.writeFileSync(stub, napiWindowsSource());
      sources.push(stub);
    }
    const objects = [];
    const commands = sources.map((src, i) => {
      const obj = path.join(work, `${i}-${path.basename(src).replace(/\.[^.]+$/, '')}.o`);
      objects.push(obj);
      const isC = src.endsWith('.c');
      const args = [isC ? 'cc' : 'c++', ...common, ...(isC ? [] : cxx), '-c', src, '-o', obj];
      return { cmd: zig(), args, label: `zig ${isC ? 'cc' : 'c++'} ${path.relative(root, src)} (${target.zig})` };
    });
    console.log(
      `prebuilds: ${target.name}: compiling ${sources.length} files with zig (-target ${target.zig}, ${jobs} jobs)`,
    );
    await pool(commands, jobs);

    const linked = path.join(work, windows ? 'out.dll' : 'out.so');
    const link = ['c++', '-target', target.zig, '-mcpu=baseline', '-shared', '-o', linked, ...objects];
    if (windows) {
      link.push('-s', '-Wl,--gc-sections');
    } else {
      const versionScript = path.join(work, 'exports.map');
      fs.writeFileSync(
        versionScript,
        '{\n  global: napi_register_module_v1; node_api_module_get_api_version_v1;\n  local: *;\n};\n',
      );
      link.push('-s', '-Wl,--gc-sections', '-Wl,-z,now', '-Wl,-z,relro', `-Wl,--version-script=${versionScript}`);
      if (openblas) link.push(openblas);
      link.push('-lpthread', '-lm');
    }
    const shown =
      openblas && (path.relative(root, openblas).startsWith('..') ? openblas : path.relative(root, openblas));
    console.log(`prebuilds: ${target.name}: linking${openblas ? ` with ${shown}` : ' (Eigen only)'}`);
    runOk(zig(), link);
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    // Write beside, then rename: a reader never sees half a file.
    const tmp = `${outFile}.tmp-${process.pid}`;
    fs.copyFileSync(linked, tmp);
    fs.renameSync(tmp, outFile);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return (Date.now() - t0) / 1000;
}

/** Parallel compile jobs: JOBS, else the number of cores. */
function defaultJobs() {
  return Number(process.env.JOBS) || (os.availableParallelism ? os.availableParallelism() : os.cpus().length);
}

module.exports = { buildTarget, gypTarget, defaultJobs };
