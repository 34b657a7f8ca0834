#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// This package's side of the benchmark, with the CLI contract of bench/reference.py:
//   node bench/workload.js --workload '<json>' [--repeat R] [--threads N]
// prints one JSON line {"value", "seconds": [...], "peakRssBytes", "rssBeforeBytes"}. Arrays are
// loaded before timing; each run calls the public Promise API (dist/) once; peakRssBytes is this
// whole process's peak resident set (Node, the addon, the loaded arrays) after the last run, and
// rssBeforeBytes its resident set just before the first run (so the difference is the calls' own).
'use strict';
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
    diffusionSpectralMutualInformation: async () => (await lib.diffusionSpectralMutualInformation(X, reference, options)).value,
    adjacencySpectralMutualInformation: async () => (await lib.adjacencySpectralMutualInformation(X, reference, options)).value,
  };
  const run = fns[w.fn];
  if (!run) throw new Error(`unknown fn ${w.fn}`);
  if ((w.fn.endsWith('MutualInformation')) !== (reference !== undefined)) throw new Error(`${w.fn}: reference mismatch`);
  const rssBeforeBytes = process.memoryUsage().rss; // Node, the addon, the loaded arrays
  const seconds = [];
  let value;
  for (let r = 0; r < args.repeat; r++) {
    const t0 = process.hrtime.bigint();
    value = await run();
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ value, seconds, peakRssBytes, rssBeforeBytes }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
