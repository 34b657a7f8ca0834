#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// This package's side of the benchmark, with the CLI contract of bench/reference.py:
//   node bench/workload.js --workload '<json>' [--repeat R] [--threads N]
// prints one JSON line {"value", "seconds": [...], "peakRssBytes", "rssBeforeBytes", "callBytes"}.
// Arrays are loaded before timing; each run calls the public Promise API (dist/) once;
// peakRssBytes is this whole process's peak resident set (Node, the addon, the loaded arrays)
// after the last run, and rssBeforeBytes its resident set just before the first run.
// callBytes[r] is what run r itself added: its peak resident set minus the resident set just
// before it, after a garbage collection (run.js starts this script with --expose-gc), so that
// neither the garbage nor the freed memory earlier runs left behind counts. Linux only (the peak
// is reset through /proc/self/clear_refs); elsewhere callBytes is null.
'use strict';
const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const out = { workload: undefined, repeat: 1, threads: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (key === '--workload') out.workload = value();
    else if (key === '--repeat') out.repeat = Number(value());
    else if (key === '--threads') out.threads = Number(value());
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!out.workload) throw new Error('--workload is required');
  if (!(Number.isInteger(out.repeat) && out.repeat >= 1)) throw new Error('--repeat must be an integer >= 1');
  return out;
}

// The process's peak resident set (VmHWM) reset to its current one; false where unsupported.
function resetPeak() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
function peakBytes() {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error('no VmHWM in /proc/self/status');
  return Number(m[1]) * 1024;
}

function load(lib, file) {
  const a = lib.readNpy(path.resolve(file));
  if (a.shape.length === 1) return a.data; // labels: a typed array (BigInt64Array for int64)
  return { data: a.data, rows: a.shape[0], cols: a.shape[1] };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const lib = require(path.join(__dirname, '..', 'dist'));
  const w = JSON.parse(args.workload);
  const X = load(lib, w.X ?? w.embeddingVectors);
  const refFile = w.reference ?? w.referenceVectors;
  const reference = refFile ? load(lib, refFile) : undefined;
  const options = { ...(w.options ?? {}) };
  const fns = {
    diffusionSpectralEntropy: () => lib.diffusionSpectralEntropy(X, options),
    adjacencySpectralEntropy: () => lib.adjacencySpectralEntropy(X, options),
    diffusionSpectralMutualInformation: async () =>
      (await lib.diffusionSpectralMutualInformation(X, reference, options)).value,
    adjacencySpectralMutualInformation: async () =>
      (await lib.adjacencySpectralMutualInformation(X, reference, options)).value,
  };
  const run = fns[w.fn];
  if (!run) throw new Error(`unknown fn ${w.fn}`);
  if (w.fn.endsWith('MutualInformation') !== (reference !== undefined)) throw new Error(`${w.fn}: reference mismatch`);
  const rssBeforeBytes = process.memoryUsage().rss; // Node, the addon, the loaded arrays
  const seconds = [];
  // The high-water mark is reset before each run, so the process's peak is tracked here.
  let peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const perCall = resetPeak();
  const callBytes = perCall ? [] : null;
  let value;
  for (let r = 0; r < args.repeat; r++) {
    if (global.gc) global.gc();
    const before = process.memoryUsage().rss;
    if (perCall) resetPeak();
    const t0 = process.hrtime.bigint();
    value = await run();
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (perCall) {
      const peak = peakBytes();
      callBytes.push(peak - before);
      peakRssBytes = Math.max(peakRssBytes, peak);
    }
  }
  if (!perCall) peakRssBytes = Math.max(peakRssBytes, process.resourceUsage().maxRSS * 1024);
  process.stdout.write(JSON.stringify({ value, seconds, peakRssBytes, rssBeforeBytes, callBytes }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
