// SPDX-License-Identifier: MIT
// The smoke test of a prebuilt binary, run by the Node of its platform (natively, under
// qemu-aarch64 or under wine): `node smoke.js <package dir> <fixtures dir> <result file>`.
// The package dir holds the package as installed (package.json, dist/, prebuilds/ with the one
// binary, node_modules): node-gyp-build must pick the prebuild by itself. Checks: it loads from
// prebuilds/, buildInfo(), one golden case per function of test/fixtures/cases.json (sync),
// the async API (same bits), an abort before and during a call, a C++ exception thrown through
// Node-API. Writes {ok, checks, failures, info} as JSON to the result file (under wine, Node's
// stdout on a pipe fails with EBADF) and to stdout; exits 1 on a failure. Each step is appended
// to <result file>.log as it happens, so a run that dies says how far it got.
'use strict';
const fs = require('fs');
const path = require('path');

const [pkgDir, fixtures, resultFile] = process.argv.slice(2);
const checks = [];
const failures = [];
let info;

/** Appends `line` to the progress log, synchronously (it must outlive a crash). */
function progress(line) {
  if (resultFile) fs.appendFileSync(`${resultFile}.log`, `${new Date().toISOString()} ${line}\n`);
}
process.on('exit', (code) => progress(`exit ${code}`));

function check(name, ok, detail) {
  const line = detail === undefined ? name : `${name}: ${detail}`;
  (ok ? checks : failures).push(line);
  progress(`${ok ? 'ok' : 'FAILED'} ${line}`);
}

function finish() {
  const result = {
    ok: failures.length === 0,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    info,
    checks,
    failures,
  };
  const text = JSON.stringify(result);
  if (resultFile) {
    // Whole or not at all: the runner reads a result file only once it is complete.
    fs.writeFileSync(`${resultFile}.tmp`, text);
    fs.renameSync(`${resultFile}.tmp`, resultFile);
  }
  try {
    process.stdout.write(`${text}\n`);
  } catch {
    // wine: the result file has it
  }
  process.exitCode = result.ok ? 0 : 1;
}

// The first golden case of each function (small inputs: qemu is slow).
const CASES = ['dse_blobs_s10_t1', 'ase_blobs_gauss', 'dsmi_labels', 'asmi_gauss_labels'];

async function main() {
  progress(`${process.version} ${process.platform}-${process.arch}: loading ${pkgDir}`);
  const d = require(pkgDir);
  info = d.buildInfo();
  const bindingPath = require(require.resolve('node-gyp-build', { paths: [pkgDir] })).resolve(pkgDir);
  check(
    'loads from prebuilds/',
    info.source === 'prebuild' && bindingPath.split(path.sep).includes('prebuilds'),
    `${info.source} ${bindingPath}`,
  );

  const golden = JSON.parse(fs.readFileSync(path.join(fixtures, 'cases.json'), 'utf8'));
  const matrix = (file) => {
    const a = d.readNpy(path.join(fixtures, file));
    const rows = a.shape[0];
    const cols = a.shape.length > 1 ? a.shape[1] : 1;
    return { data: Float64Array.from(a.data, Number), rows, cols };
  };
  const reference = (file) => {
    const a = d.readNpy(path.join(fixtures, file));
    return a.shape.length === 2 && a.shape[1] > 1 ? matrix(file) : a.data;
  };
  let dseCase;
  for (const name of CASES) {
    const c = golden.cases.find((x) => x.name === name);
    if (!c) {
      check(name, false, 'not in cases.json');
      continue;
    }
    progress(`running ${name}`);
    const X = matrix(c.args.embeddingVectors);
    const args = c.args.referenceVectors ? [X, reference(c.args.referenceVectors), c.options] : [X, c.options];
    const out = d[`${c.fn}Sync`](...args);
    const value = typeof out === 'number' ? out : out.value;
    const err = Math.abs(value - c.expected.value);
    check(`${c.fn} ${name}`, err <= c.rtol * Math.abs(c.expected.value) + 1e-10, `${value} vs ${c.expected.value}`);
    if (c.fn === 'diffusionSpectralEntropy') dseCase = { X, c, value };
    if (c.fn.endsWith('MutualInformation')) {
      const asyncOut = await d[c.fn](...args);
      check(`${c.fn} async = sync`, asyncOut.value === value, `${asyncOut.value} vs ${value}`);
    }
  }

  if (dseCase) {
    const v = await d.diffusionSpectralEntropy(dseCase.X, dseCase.c.options);
    check('diffusionSpectralEntropy async = sync', v === dseCase.value, `${v} vs ${dseCase.value}`);
  }

  // Abort: before the call, and right after it was queued (the native worker sees the flag).
  const rejection = async (p) => {
    try {
      await p;
      return 'resolved';
    } catch (e) {
      return `${e.name} ${e.code}`;
    }
  };
  const ac = new AbortController();
  ac.abort();
  const X = { data: new Float64Array(1200 * 8).map((_, i) => Math.sin(i * 0.37) * 3 + (i % 7)), rows: 1200, cols: 8 };
  check(
    'abort before the call',
    (await rejection(d.diffusionSpectralEntropy(X, { gaussianKernelSigma: 2, signal: ac.signal }))) ===
      'AbortError ABORT_ERR',
  );
  const ac2 = new AbortController();
  const running = d.diffusionSpectralEntropy(X, { gaussianKernelSigma: 2, signal: ac2.signal });
  setImmediate(() => ac2.abort());
  check('abort during the call', (await rejection(running)) === 'AbortError ABORT_ERR');
  // The addon still works after an abort.
  if (dseCase)
    check('a call after the aborts', d.diffusionSpectralEntropySync(dseCase.X, dseCase.c.options) === dseCase.value);

  // A C++ exception crossing Node-API (the unwinder of the platform's C++ runtime).
  const raw = require(bindingPath);
  let thrown;
  try {
    raw.setConcurrency('two');
  } catch (e) {
    thrown = e;
  }
  check(
    'C++ exception -> JS TypeError',
    thrown instanceof TypeError && /setConcurrency/.test(thrown.message),
    String(thrown),
  );
  // Bad input gets a DseError.
  let bad;
  try {
    d.diffusionSpectralEntropySync(X, { t: -1 });
  } catch (e) {
    bad = e;
  }
  check(
    'bad input -> DseError',
    bad && bad.name === 'DseError' && bad.code === 'ERR_DSE_OPTION',
    bad && `${bad.name} ${bad.code}`,
  );
}

main()
  .catch((e) => check('smoke script', false, (e && e.stack) || String(e)))
  .finally(finish);
