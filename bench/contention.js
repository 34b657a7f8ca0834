#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm run bench -- --contention [--busy 0,2,4,6] [--repeat R] [--only NAME,...] [--no-tfjs] [--data DIR] [--json
// PATH] [--against DIR | --against-addon FILE] [--wide]`
// --against: the other side is another built checkout of this package (its bench/workload.js), not
// the reference; --against-addon: this checkout with another addon (DSE_ADDON_PATH): A/B of a change.
// --wide adds float32, kNN, spectral clustering and method 'slq' to the four default workloads.
// Speed beside other work. Each workload runs with this package (bench/workload.js) and with the
// Python reference stand-in (bench/reference.py), idle and beside K busy processes (each a Python
// `while True: pass`, started before and stopped after the pair), and the table gives for each:
// the median seconds of both, our slowdown against our idle time, and that against our fair share
// of the cores, idle x (K + T) / T for our budget of T threads. Targets (issue "Fast beside a
// trainer"): at most 1.5x the fair share, and never slower than the reference beside the same
// processes. Then a TensorFlow.js training loop in the same process records each epoch with
// DseTracker while the next epoch trains (bench/contention-tfjs.js). A value out of tolerance
// fails the run (exit 1); speed never does. Writes bench/results/contention-<date>.json.
'use strict';
const { printUsage } = require('./help');
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const RTOL = 1e-8;

function workloads(data, wide) {
  const f = (name) => path.join(data, `${name}.npy`);
  const dse = (n, repeat) => ({
    name: `DSE uniform ${n} x 64, sigma 3`,
    files: [`uniform_${n}_64`],
    workload: { fn: 'diffusionSpectralEntropy', X: f(`uniform_${n}_64`), options: { gaussianKernelSigma: 3 } },
    repeat,
  });
  return [
    dse(600, 5),
    dse(1500, 5),
    dse(4000, 3),
    {
      name: 'DSMI uniform 4000 x 64 vs 10 labels, sigma 3',
      files: ['uniform_4000_64', 'labels_4000_10'],
      workload: {
        fn: 'diffusionSpectralMutualInformation',
        X: f('uniform_4000_64'),
        reference: f('labels_4000_10'),
        options: { gaussianKernelSigma: 3 },
      },
      repeat: 3,
    },
    ...(wide ? wideWorkloads(f) : []),
  ];
}

/**
 * Workloads on the paths the default four leave out: float32, kNN, clustering, method 'slq'. Their
 * tolerances (|a - b| <= atol + rtol |b|) allow float32 and 'slq' against a float64, exact other side.
 */
function wideWorkloads(f) {
  const X = f('uniform_4000_64');
  const one = (name, fn, options, tol, files = ['uniform_4000_64'], extra = {}) => ({
    name,
    files,
    workload: { fn, X, options, ...extra },
    repeat: 3,
    ...tol,
  });
  return [
    one(
      'DSE uniform 4000 x 64, sigma 3, float32',
      'diffusionSpectralEntropy',
      { gaussianKernelSigma: 3, precision: 'float32' },
      { atol: 1e-4 },
    ),
    one('ASE kNN (k = 10) uniform 4000 x 64', 'adjacencySpectralEntropy', { useKnn: true, knn: 10 }, { rtol: 5e-8 }),
    one(
      'DSMI uniform 3000 x 256 vs 3000 smooth images (clustering)',
      'diffusionSpectralMutualInformation',
      {},
      {},
      ['uniform_3000_256', 'images_3000'],
      { X: f('uniform_3000_256'), reference: f('images_3000') },
    ),
    one(
      'DSE uniform 4000 x 64, sigma 3, method slq',
      'diffusionSpectralEntropy',
      { gaussianKernelSigma: 3, method: 'slq', maxN: null },
      { atol: 1e-2 },
    ),
  ];
}

function parseArgs(argv) {
  const o = {
    busy: [0, 2, 4, 6],
    repeat: undefined,
    only: undefined,
    tfjs: true,
    data: path.join(os.tmpdir(), 'dse-dsmi-bench'),
    json: undefined,
    against: undefined,
    againstAddon: undefined,
    wide: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--busy') o.busy = argv[++i].split(',').map(Number);
    else if (a === '--repeat') o.repeat = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i].split(',').map((s) => s.trim().toLowerCase());
    else if (a === '--no-tfjs') o.tfjs = false;
    else if (a === '--data') o.data = path.resolve(argv[++i]);
    else if (a === '--json') o.json = path.resolve(argv[++i]);
    else if (a === '--against') o.against = path.resolve(argv[++i]);
    else if (a === '--against-addon') o.againstAddon = path.resolve(argv[++i]);
    else if (a === '--wide') o.wide = true;
    else if (a === '--help' || a === '-h') printUsage(__filename);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.busy.every((k) => Number.isInteger(k) && k >= 0)) throw new Error('--busy takes whole numbers, e.g. 0,2,4,6');
  if (!o.busy.includes(0)) o.busy.unshift(0); // the idle time is what the fair share is measured from
  if (o.against && !fs.existsSync(path.join(o.against, 'bench', 'workload.js')))
    throw new Error(`--against ${o.against}: no bench/workload.js there (a built checkout of this package)`);
  if (o.againstAddon && !fs.existsSync(o.againstAddon)) throw new Error(`--against-addon ${o.againstAddon}: no file`);
  if (o.repeat !== undefined && !(Number.isInteger(o.repeat) && o.repeat >= 1))
    throw new Error('--repeat must be an integer >= 1');
  return o;
}

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};
const fmtS = (s) => (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3));

/** K busy processes; returns a function that stops them. */
async function startBusy(k) {
  const kids = [];
  for (let i = 0; i < k; i++) kids.push(spawn('python3', ['-c', 'while True: pass'], { stdio: 'ignore' }));
  await new Promise((r) => setTimeout(r, 300));
  return () => {
    for (const c of kids) c.kill('SIGKILL');
  };
}

/** The command of each side: this checkout, and the reference or the build it is compared against. */
function sides(o) {
  const node = (root, env = {}) => ({
    cmd: process.execPath,
    args: ['--expose-gc', path.join(root, 'bench', 'workload.js')],
    env: { ...process.env, ...env },
  });
  const other = o.against
    ? { ...node(o.against), label: `the checkout ${o.against}` }
    : o.againstAddon
      ? { ...node(ROOT, { DSE_ADDON_PATH: o.againstAddon }), label: `this checkout with the addon ${o.againstAddon}` }
      : { cmd: 'python3', args: [path.join(__dirname, 'reference.py')], env: process.env, label: 'reference' };
  return { ours: node(ROOT), reference: other };
}

function measure(side, workload, repeat) {
  const args = ['--workload', JSON.stringify(workload), '--repeat', String(repeat)];
  const r = spawnSync(side.cmd, [...side.args, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, env: side.env });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${side.label ?? 'ours'} failed on ${workload.fn}:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const lib = require(path.join(ROOT, 'dist'));
  const build = lib.buildInfo();
  const T = build.threads;
  const side = sides(o);
  if (o.against || o.againstAddon) log(`against ${side.reference.label}`);
  let list = workloads(o.data, o.wide);
  if (o.only) list = list.filter((w) => o.only.some((s) => w.name.toLowerCase().includes(s)));
  const names = [...new Set(list.flatMap((w) => w.files))];
  const made = spawnSync('python3', [path.join(__dirname, 'make_data.py'), o.data, ...names], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (made.status !== 0) throw new Error('bench/make_data.py failed');

  const rows = [];
  for (const w of list) {
    const repeat = o.repeat ?? w.repeat;
    let idle;
    for (const k of o.busy) {
      const stop = await startBusy(k);
      let ours, ref;
      try {
        log(`${w.name}, ${k} busy: ours x${repeat} ...`);
        ours = measure(side.ours, w.workload, repeat);
        log(`${w.name}, ${k} busy: reference x${repeat} ...`);
        ref = measure(side.reference, w.workload, repeat);
      } finally {
        stop();
      }
      const oursS = median(ours.seconds),
        refS = median(ref.seconds);
      if (k === 0) idle = oursS;
      const fair = (idle * (k + T)) / T;
      const diff = Math.abs(ours.value - ref.value);
      const rel = diff / Math.abs(ref.value);
      const row = {
        name: w.name,
        busy: k,
        ours: { value: ours.value, seconds: ours.seconds, medianSeconds: oursS },
        reference: { value: ref.value, seconds: ref.seconds, medianSeconds: refS },
        slowdown: oursS / idle,
        fairShareSeconds: fair,
        ofFairShare: oursS / fair,
        oursOverReference: oursS / refS,
        relDiff: rel,
        ok: diff <= (w.atol ?? 0) + (w.rtol ?? (w.atol ? 0 : RTOL)) * Math.abs(ref.value),
        meetsTargets: oursS <= 1.5 * fair && oursS <= refS,
      };
      rows.push(row);
      log(
        `${w.name}, ${k} busy: ours ${fmtS(oursS)} s (${row.ofFairShare.toFixed(2)}x fair share), reference ` +
          `${fmtS(refS)} s`,
      );
    }
  }

  let tfjs;
  if (o.tfjs) {
    log('TensorFlow.js training with DseTracker in the same process ...');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'contention-tfjs.js')], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (r.status !== 0) throw new Error(`contention-tfjs.js failed:\n${r.stderr}`);
    tfjs = JSON.parse(r.stdout.trim().split('\n').pop());
  }

  const lines = [];
  lines.push(
    `| workload | busy processes | ours s | reference s | ours / ours idle | fair share s | ours / fair share | ours ` +
      `/ reference | targets |`,
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${r.busy} | ${fmtS(r.ours.medianSeconds)} | ${fmtS(r.reference.medianSeconds)} | ` +
        `${r.slowdown.toFixed(2)}x | ` +
        `${fmtS(r.fairShareSeconds)} | ${r.ofFairShare.toFixed(2)}x | ${r.oursOverReference.toFixed(2)}x | ` +
        `${r.busy === 0 ? '' : r.meetsTargets ? 'met' : '**not met**'}${r.ok ? '' : ' **VALUE FAILED**'} |`,
    );
  }
  if (tfjs) {
    lines.push('');
    lines.push(
      `TensorFlow.js MLP on the digits (${tfjs.rows} x 64), ${tfjs.epochs} epochs, DseTracker.record (DSE and DSMI ` +
        `with the labels) ` +
        `of each epoch's penultimate layer started as the next epoch trains: record ${fmtS(tfjs.recordIdleSeconds)} ` +
        `s alone, ` +
        `${fmtS(tfjs.recordBesideSeconds)} s beside the training (median); an epoch ${fmtS(tfjs.epochAloneSeconds)} ` +
        `s alone, ` +
        `${fmtS(tfjs.epochBesideSeconds)} s with the tracker beside it; the main thread's longest stall ` +
        `${tfjs.longestStallMs.toFixed(0)} ms.`,
    );
  }
  const mach =
    `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores; Node ${process.version}; addon: ` +
    `${build.blas}, budget ${T} threads`;
  lines.push('');
  lines.push(`${mach}; ${new Date().toISOString().slice(0, 10)}; fair share = ours idle x (K + ${T}) / ${T}.`);
  if (o.against || o.againstAddon) lines.push(`"reference" here is ${side.reference.label}.`);
  const table = lines.join('\n');
  process.stdout.write(table + '\n');

  const result = {
    date: new Date().toISOString(),
    machine: mach,
    against: side.reference.label,
    addon: build,
    seconds: (Date.now() - started) / 1000,
    rows,
    tfjs,
    table,
  };
  const out =
    o.json ?? path.join(__dirname, 'results', `contention-${result.date.slice(0, 16).replace(/[:T]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), out)} (${result.seconds.toFixed(0)} s in all)`);
  const bad = rows.filter((r) => !r.ok);
  if (bad.length) {
    process.stderr.write(
      `bench: values out of tolerance: ${bad.map((r) => `${r.name} (${r.busy} busy)`).join(', ')}\n`,
    );
    process.exit(1);
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
