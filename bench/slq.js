#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Benchmark of `method: 'slq'` against the exact eigendecomposition (npm run bench:slq).
//   node bench/slq.js [--sections golden,grid4000,grid10000,large,tradeoff,coverage] [--json out.json]
//                     [--large-n 40000] [--seeds 30]
// Sections:
//   golden     every golden case (test/fixtures/cases.json) that 'slq' supports: |slq - reference|
//   grid4000   uniform X (N = 4000, D = 256), sigma in {0.5, 1, 10}, t in {1, 2, 5}: error and time
//   grid10000  the same at N = 10000, with the exact DSE timed in the same run (the speed-up)
//   large      N = 40000 (--large-n), maxN: null, in a child process: time and peak RSS
//   tradeoff   error (RMS over seeds) against time for a range of probes and Lanczos steps
//   coverage   a batch of seeds at N = 1500: how often |error| <= k standardError
//   dsmi       DSMI of uniform X (N = 10000, 20000; D = 256) against 10 random labels, slq and exact
// Uses dist/ (npm run build:ts) and the addon node-gyp-build finds (or DSE_ADDON_PATH).
// Prints markdown tables; every timing is the median of the repeats. The machine is shared:
// `uptime` is printed before and after each section.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const { execFileSync } = require('child_process');

const lib = require(
  process.env.SLQ_BENCH_DIST ? path.resolve(process.env.SLQ_BENCH_DIST) : path.join(__dirname, '..', 'dist'),
);
const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures');
/** The accuracy target: |slq - exact| in bits. */
const TOLERANCE_BITS = 0.02;

function parseArgs(argv) {
  const out = {
    sections: ['golden', 'grid4000', 'grid10000', 'large', 'tradeoff', 'coverage', 'dsmi'],
    json: null,
    largeN: 40000,
    seeds: 30,
    child: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (key === '--sections') out.sections = value().split(',');
    else if (key === '--json') out.json = value();
    else if (key === '--large-n') out.largeN = Number(value());
    else if (key === '--seeds') out.seeds = Number(value());
    else if (key === '--child-large') out.child = Number(value());
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return out;
}

const { uniform, blobs } = require('./synthetic');

const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
const time = (fn) => {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { value, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
};
const uptime = () =>
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`;
const fmt = (x, digits = 2) =>
  x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(digits - 1) : x.toFixed(digits + 2);

function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

const results = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, buildInfo: lib.buildInfo() } };

// ---------------------------------------------------------------------------------------------

function sectionGolden() {
  const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'cases.json'), 'utf8'));
  const load = (file) => {
    const a = lib.readNpy(path.join(FIXTURES, file));
    if (a.shape.length === 1) return Array.from(a.data, Number);
    return { data: Float64Array.from(a.data, Number), rows: a.shape[0], cols: a.shape[1] };
  };
  const rows = [];
  let worst = 0;
  for (const c of golden.cases) {
    const o = { ...c.options };
    // not eigenvalue entropies of a symmetric kernel
    if (o.classicShannonEntropy || o.matrixEntryEntropy || o.useKnn) continue;
    if (typeof o.precomputedClusters === 'string') o.precomputedClusters = load(o.precomputedClusters);
    const X = load(c.args.embeddingVectors);
    let value;
    let se = '';
    if (c.fn.endsWith('MutualInformation')) {
      // 1-D references as the typed array the file holds (integer labels stay labels), as bench/workload.js does
      const raw = lib.readNpy(path.join(FIXTURES, c.args.referenceVectors));
      const ref = raw.shape.length === 1 ? raw.data : load(c.args.referenceVectors);
      value = lib[`${c.fn}Sync`](X, ref, { ...o, method: 'slq' }).value;
    } else {
      const r = lib[`${c.fn}DetailedSync`](X, { ...o, method: 'slq' });
      value = r.value;
      se = fmt(r.standardError);
    }
    const err = value - c.expected.value;
    worst = Math.max(worst, Math.abs(err));
    rows.push([c.name, fmt(c.expected.value, 4), fmt(value, 4), fmt(err), se]);
  }
  console.log(`\n### Golden cases (method 'slq' vs the Python reference), worst |error| ${fmt(worst)} bits\n`);
  console.log(table(['case', 'reference', 'slq', 'error', 'standardError'], rows));
  results.golden = { worst, rows };
}

function exactEntropies(X, sigma, ts) {
  const { value: ev, seconds } = time(() => lib.diffusionEigenvaluesSync(X, { gaussianKernelSigma: sigma }));
  return { seconds, values: Object.fromEntries(ts.map((t) => [t, lib.spectralEntropy(ev, { t })])) };
}

function sectionGrid(n, { timeExact, repeats }) {
  console.log(`\n### Uniform X, N = ${n}, D = 256 (${uptime()})\n`);
  const X = uniform(n, 256, 7);
  const rows = [];
  const out = [];
  for (const sigma of [0.5, 1, 10]) {
    const exact = exactEntropies(X, sigma, [1, 2, 5]);
    for (const t of [1, 2, 5]) {
      const runs = [];
      for (let r = 0; r < repeats; r++)
        runs.push(
          time(() =>
            lib.diffusionSpectralEntropyDetailedSync(X, {
              gaussianKernelSigma: sigma,
              t,
              method: 'slq',
              randomSeed: r + 1,
            }),
          ),
        );
      const err = runs.map((x) => x.value.value - exact.values[t]);
      const sec = median(runs.map((x) => x.seconds));
      const worst = Math.max(...err.map(Math.abs));
      const se = median(runs.map((x) => x.value.standardError));
      const row = {
        n,
        sigma,
        t,
        exact: exact.values[t],
        worstError: worst,
        medianStandardError: se,
        slqSeconds: sec,
        exactSeconds: exact.seconds,
        speedup: exact.seconds / sec,
        deflated: runs[0].value.slq.deflated,
      };
      out.push(row);
      rows.push([
        sigma,
        t,
        fmt(exact.values[t], 4),
        fmt(worst),
        fmt(se),
        sec.toFixed(2),
        timeExact ? exact.seconds.toFixed(1) : '-',
        timeExact ? `${(exact.seconds / sec).toFixed(1)}x` : '-',
        row.deflated,
      ]);
    }
  }
  console.log(
    table(
      [
        'sigma',
        't',
        'exact (bits)',
        `max abs error (${repeats} seeds)`,
        'median SE',
        'slq s (median)',
        'exact s',
        'speed-up',
        'deflated',
      ],
      rows,
    ),
  );
  console.log(`\n(${uptime()})`);
  results[`grid${n}`] = out;
}

function sectionLarge(n) {
  console.log(`\n### N = ${n}, D = 256, maxN: null (child process; ${uptime()})\n`);
  const rows = [];
  const out = [];
  for (const sigma of [1, 10]) {
    const stdout = execFileSync(process.execPath, [__filename, '--child-large', String(n)], {
      env: { ...process.env, SLQ_BENCH_SIGMA: String(sigma) },
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(stdout.trim().split('\n').pop());
    out.push(r);
    rows.push([
      sigma,
      r.t,
      fmt(r.value, 4),
      fmt(r.standardError),
      r.seconds.toFixed(1),
      (r.peakRssBytes / 1e9).toFixed(2),
      r.deflated,
      `${r.stages.kernel.toFixed(1)} / ${r.stages.deflation.toFixed(1)} / ${r.stages.lanczos.toFixed(1)}`,
    ]);
  }
  console.log(
    table(
      [
        'sigma',
        't',
        'value (bits)',
        'standardError',
        'seconds',
        'peak RSS (GB)',
        'deflated',
        'kernel / deflation / Lanczos s',
      ],
      rows,
    ),
  );
  console.log(
    `\nExact would need a ${n} x ${n} float64 kernel: ${((n * n * 8) / 1e9).toFixed(1)} GB, and (4/3) N^3 = ` +
      `${(((4 / 3) * n ** 3) / 1e12).toFixed(0)} TFLOP of eigensolver. (${uptime()})`,
  );
  results.large = out;
}

function childLarge(n) {
  const sigma = Number(process.env.SLQ_BENCH_SIGMA ?? 10);
  const X = uniform(n, 256, 11);
  const { value: r, seconds } = time(() =>
    lib.diffusionSpectralEntropyDetailedSync(X, {
      gaussianKernelSigma: sigma,
      t: 1,
      method: 'slq',
      maxN: null,
      randomSeed: 1,
    }),
  );
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    JSON.stringify({
      n,
      sigma,
      t: 1,
      value: r.value,
      standardError: r.standardError,
      seconds,
      peakRssBytes,
      deflated: r.slq.deflated,
      stages: r.slq.stageSeconds,
    }) + '\n',
  );
}

function sectionTradeoff(seeds) {
  const n = 4000;
  const cases = [
    ['uniform D=256, sigma 10', uniform(n, 256, 7), 10],
    ['blobs D=16, sigma 2', blobs(n, 16), 2],
    ['blobs D=16, sigma 5', blobs(n, 16), 5],
  ];
  const configs = [];
  for (const probes of [8, 16, 32, 64]) for (const lanczosSteps of [8, 16, 32]) configs.push({ probes, lanczosSteps });
  configs.push({ probes: 16, lanczosSteps: 16, blockSize: 0, blockIterations: 0 });
  configs.push({ probes: 16, lanczosSteps: 16, blockSize: 32, blockIterations: 10 });
  configs.push({ probes: 16, lanczosSteps: 16, blockSize: 64, blockIterations: 12 });
  const out = [];
  for (const [name, X, sigma] of cases) {
    console.log(`\n### Trade-off, ${name}, N = ${n} (RMS over ${seeds} seeds; ${uptime()})\n`);
    const exact = exactEntropies(X, sigma, [1, 2, 5]);
    const rows = [];
    for (const c of configs) {
      const cells = [];
      let secs = [];
      for (const t of [1, 2, 5]) {
        let e2 = 0;
        let s2 = 0;
        for (let sd = 1; sd <= seeds; sd++) {
          const r = time(() =>
            lib.diffusionSpectralEntropyDetailedSync(X, {
              gaussianKernelSigma: sigma,
              t,
              method: 'slq',
              randomSeed: sd,
              slq: c,
            }),
          );
          e2 += (r.value.value - exact.values[t]) ** 2;
          s2 += r.value.standardError ** 2;
          secs.push(r.seconds);
        }
        cells.push(`${fmt(Math.sqrt(e2 / seeds))} (${fmt(Math.sqrt(s2 / seeds))})`);
        out.push({ case: name, ...c, t, rmsError: Math.sqrt(e2 / seeds), rmsStandardError: Math.sqrt(s2 / seeds) });
      }
      const blk =
        c.blockSize === undefined
          ? `${lib.SLQ_DEFAULTS.blockSize} x ${lib.SLQ_DEFAULTS.blockIterations}`
          : `${c.blockSize} x ${c.blockIterations}`;
      rows.push([c.probes, c.lanczosSteps, blk, ...cells, median(secs).toFixed(2)]);
      out[out.length - 1].seconds = median(secs);
    }
    console.log(
      table(['probes', 'steps', 'deflation block', 't = 1 RMS error (RMS SE)', 't = 2', 't = 5', 'median s'], rows),
    );
  }
  results.tradeoff = out;
}

function sectionCoverage(seeds) {
  const n = 1500;
  console.log(`\n### Standard-error coverage, N = ${n}, ${seeds} seeds each (${uptime()})\n`);
  const cases = [
    ['uniform D=256', uniform(n, 256, 7), 10],
    ['blobs D=16', blobs(n, 16), 2],
    ['blobs D=16', blobs(n, 16), 5],
  ];
  const rows = [];
  const out = [];
  for (const [name, X, sigma] of cases) {
    const exact = exactEntropies(X, sigma, [1, 2, 5]);
    for (const t of [1, 2, 5]) {
      const k = [0, 0, 0];
      for (let sd = 1; sd <= seeds; sd++) {
        const r = lib.diffusionSpectralEntropyDetailedSync(X, {
          gaussianKernelSigma: sigma,
          t,
          method: 'slq',
          randomSeed: sd,
        });
        const e = Math.abs(r.value - exact.values[t]);
        [1, 1.645, 2].forEach((z, i) => (k[i] += e <= z * r.standardError ? 1 : 0));
      }
      rows.push([name, sigma, t, ...k.map((c) => `${c}/${seeds}`)]);
      out.push({ case: name, sigma, t, within1: k[0], within1645: k[1], within2: k[2], seeds });
    }
  }
  console.log(
    table(['data', 'sigma', 't', 'abs(error) <= 1 SE (68% nominal)', '<= 1.645 SE (90%)', '<= 2 SE (95%)'], rows),
  );
  results.coverage = out;
}

function sectionDsmi() {
  console.log(`\n### DSMI against 10 random labels, uniform X, D = 256 (${uptime()})\n`);
  const rows = [];
  const out = [];
  for (const n of [10000, 20000]) {
    const X = uniform(n, 256, 5);
    let s = 12345;
    const labels = Int32Array.from(
      { length: n },
      () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), Math.floor((s / 2 ** 32) * 10)),
    );
    const slq = time(() => lib.diffusionSpectralMutualInformationSync(X, labels, { method: 'slq' }).value);
    const exact = time(() => lib.diffusionSpectralMutualInformationSync(X, labels).value);
    const row = { n, slq: slq.value, exact: exact.value, slqSeconds: slq.seconds, exactSeconds: exact.seconds };
    out.push(row);
    rows.push([
      n,
      fmt(exact.value, 4),
      fmt(slq.value - exact.value),
      slq.seconds.toFixed(2),
      exact.seconds.toFixed(2),
      `${(exact.seconds / slq.seconds).toFixed(1)}x`,
    ]);
  }
  console.log(table(['N', 'exact DSMI (bits)', 'slq - exact', 'slq s', 'exact s', 'speed-up'], rows));
  console.log('\n(Subsets of N / 10 rows: 60 eigenproblems of ~1000 rows at N = 10000, ~2000 at N = 20000.)');
  results.dsmi = out;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) return childLarge(args.child);
  console.log(
    `# dse-dsmi method 'slq' benchmark\n\n${results.machine.cpus} CPUs (${results.machine.model}), ` +
      `${lib.buildInfo().blas}; ${uptime()}`,
  );
  for (const s of args.sections) {
    if (s === 'golden') sectionGolden();
    else if (s === 'grid4000') sectionGrid(4000, { timeExact: true, repeats: 5 });
    else if (s === 'grid10000') sectionGrid(10000, { timeExact: true, repeats: 3 });
    else if (s === 'large') sectionLarge(args.largeN);
    else if (s === 'tradeoff') sectionTradeoff(Math.min(args.seeds, 10));
    else if (s === 'coverage') sectionCoverage(args.seeds);
    else if (s === 'dsmi') sectionDsmi();
    else throw new Error(`unknown section ${s}`);
  }
  if (args.json) fs.writeFileSync(args.json, JSON.stringify(results, null, 1));
  // Like npm run bench, only wrong values fail the run (exit 1), never speed: the target is
  // 0.02 bits from exact on the golden cases and the N = 4000 / 10000 grids.
  const misses = [];
  if (results.golden && results.golden.worst > TOLERANCE_BITS)
    misses.push(`golden cases: ${results.golden.worst} bits`);
  for (const key of ['grid4000', 'grid10000'])
    for (const r of results[key] ?? [])
      if (!(r.worstError <= TOLERANCE_BITS))
        misses.push(`N = ${r.n}, sigma ${r.sigma}, t ${r.t}: ${r.worstError} bits`);
  if (misses.length) {
    console.error(`bench:slq: beyond ${TOLERANCE_BITS} bits of exact: ${misses.join('; ')}`);
    process.exitCode = 1;
  }
}

main();
