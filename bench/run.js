#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm run bench [-- --quick] [-- --repeat R] [-- --only NAME,...] [-- --data DIR] [-- --json PATH]`
//   [-- --reference auto|package|stand-in]: the Python package dse_dsmi when python3 imports it
//   (auto, the default), or bench/reference.py, the stand-in; the results and the table say which
// `npm run bench -- --slq [slq.js arguments]`: method 'slq' against exact instead (bench/slq.js)
// `npm run bench -- --contention [contention.js arguments]`: idle and beside busy processes
// (bench/contention.js)
//
// Runs each workload with this package (bench/workload.js) and with the Python reference (the
// package dse_dsmi through dse compare's driver, or the stand-in bench/reference.py), on the
// same .npy inputs, one after the other on this machine, each in its own child process, and
// prints a Markdown table: median seconds of each, their ratio, the peak resident memory of each
// process (and, for ours, what one call adds to it), and how far apart the two values are.
// A value outside its tolerance makes the run fail (exit 1); speed never does. Writes
// bench/results.json (or --json PATH).
'use strict';
const { printUsage } = require('./help');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

// Dense-matrix speed of this kind of machine (dgemm, both cores; shared/TOOLCHAIN.md) and the
// flops of a symmetric eigenvalue problem of size n: the floor of an exact float64 computation.
const GFLOPS = 100;
const eigFloorSeconds = (sizes) => sizes.reduce((s, n) => s + (4 / 3) * n ** 3, 0) / (GFLOPS * 1e9);

// Tolerances: 1e-8 relative for every exact workload. The kNN adjacency is far from normal
// (eigenvalue 1 with a huge multiplicity in Jordan-like blocks), so its computed eigenvalues move
// with rounding: numpy itself gives values 1.2e-8 apart (relative) for A and A.T. The test suite
// documents 5e-8 for ASE kNN (test/adjacencySpectralEntropy.test.ts); the bench uses the same.
const RTOL = 1e-8;
const RTOL_KNN = 5e-8;

function workloads(data) {
  const f = (name) => path.join(data, `${name}.npy`);
  const dse = (n) => ({
    name: `DSE uniform ${n} x 256`,
    files: [`uniform_${n}_256`],
    workload: { fn: 'diffusionSpectralEntropy', X: f(`uniform_${n}_256`), options: {} },
    floor: eigFloorSeconds([n]),
  });
  return [
    { ...dse(1000), quick: true },
    { ...dse(4000), quick: true },
    {
      name: 'DSE uniform 4000 x 256, float32',
      files: ['uniform_4000_256'],
      workload: { fn: 'diffusionSpectralEntropy', X: f('uniform_4000_256'), options: { precision: 'float32' } },
      // The reference has no float32 mode: compared with its float64 value, to 1e-4 bits.
      float32Of: 'DSE uniform 4000 x 256',
      atol: 1e-4,
      quick: true,
    },
    { ...dse(10000), refRepeat: 1 },
    {
      name: 'DSE uniform 10000 x 256, float32',
      files: ['uniform_10000_256'],
      workload: { fn: 'diffusionSpectralEntropy', X: f('uniform_10000_256'), options: { precision: 'float32' } },
      float32Of: 'DSE uniform 10000 x 256',
      atol: 1e-4,
      refRepeat: 1,
    },
    {
      name: 'ASE kNN (k = 10) uniform 4000 x 256',
      files: ['uniform_4000_256'],
      workload: { fn: 'adjacencySpectralEntropy', X: f('uniform_4000_256'), options: { useKnn: true, knn: 10 } },
      rtol: RTOL_KNN,
      refRepeat: 1,
      repeat: 1,
    },
    {
      name: 'DSMI 10000 x 256 vs 10 labels',
      files: ['uniform_10000_256', 'labels_10000_10'],
      workload: {
        fn: 'diffusionSpectralMutualInformation',
        X: f('uniform_10000_256'),
        reference: f('labels_10000_10'),
      },
      // 10 clusters of ~1000 rows, each with 5 random subsets of the same size.
      floor: eigFloorSeconds(Array(60).fill(1000)),
      quick: true,
    },
    {
      name: 'DSMI 3000 x 256 vs 3000 x 3072 smooth images',
      files: ['uniform_3000_256', 'images_3000'],
      workload: { fn: 'diffusionSpectralMutualInformation', X: f('uniform_3000_256'), reference: f('images_3000') },
      floor: eigFloorSeconds(Array(60).fill(300)),
      quick: true,
    },
    {
      // The issue's "image-like reference" (the reference took 5.1 s there): pixels of white
      // noise, where the clustering's spectral embedding is hard and dominates both sides.
      name: 'DSMI 3000 x 256 vs 3000 x 3072 noise images',
      files: ['uniform_3000_256', 'noise_3000'],
      workload: { fn: 'diffusionSpectralMutualInformation', X: f('uniform_3000_256'), reference: f('noise_3000') },
      floor: eigFloorSeconds(Array(60).fill(300)),
      quick: true,
    },
  ];
}

function parseArgs(argv) {
  const o = {
    quick: false,
    repeat: undefined,
    only: undefined,
    data: path.join(os.tmpdir(), 'dse-dsmi-bench'),
    json: path.join(__dirname, 'results.json'),
    reference: 'auto',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--repeat') o.repeat = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i].split(',').map((s) => s.trim().toLowerCase());
    else if (a === '--data') o.data = path.resolve(argv[++i]);
    else if (a === '--json') o.json = path.resolve(argv[++i]);
    else if (a === '--reference') o.reference = argv[++i];
    else if (a === '--slq')
      o.slq = argv.slice(i + 1); // the rest goes to bench/slq.js
    else if (a === '--contention')
      o.contention = argv.slice(i + 1); // the rest goes to bench/contention.js
    else if (a === '--help' || a === '-h') printUsage(__filename);
    else throw new Error(`unknown argument ${a}`);
    if (o.slq || o.contention) break;
  }
  if (o.repeat !== undefined && !(Number.isInteger(o.repeat) && o.repeat >= 1))
    throw new Error('--repeat must be an integer >= 1');
  if (!['auto', 'package', 'stand-in'].includes(o.reference))
    throw new Error(`--reference must be auto, package or stand-in, not ${o.reference}`);
  return o;
}

function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return r;
}

function ensurePython() {
  const probe = run('python3', [
    '-c',
    'import numpy, scipy, sklearn; print(numpy.__version__, scipy.__version__, sklearn.__version__)',
  ]);
  if (probe.status === 0) return probe.stdout.trim();
  log('installing numpy, scipy and scikit-learn with pip (the reference needs them)');
  const pip = run('python3', ['-m', 'pip', 'install', '-q', 'numpy', 'scipy', 'scikit-learn'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (pip.status !== 0) throw new Error('pip install numpy scipy scikit-learn failed');
  const again = run('python3', [
    '-c',
    'import numpy, scipy, sklearn; print(numpy.__version__, scipy.__version__, sklearn.__version__)',
  ]);
  if (again.status !== 0) throw new Error(`python3 cannot import numpy/scipy/sklearn: ${again.stderr}`);
  return again.stdout.trim();
}

/**
 * Which Python reference the run uses: the package dse_dsmi when python3 imports it ('auto' and
 * 'package'; 'package' fails without it), else the stand-in. Returns { kind, module, version }.
 */
function chooseReference(mode) {
  if (mode !== 'stand-in') {
    const probe = run('python3', [
      '-c',
      "import json, dse_dsmi\ntry:\n from importlib import metadata; v = metadata.version('dse-dsmi')\nexcept " +
        "Exception:\n v = getattr(dse_dsmi, '__version__', None)\nprint(json.dumps([dse_dsmi.__file__, v]))",
    ]);
    if (probe.status === 0) {
      const [module, version] = JSON.parse(probe.stdout.trim().split('\n').pop());
      return { kind: 'package', module, version };
    }
    if (mode === 'package')
      throw new Error(
        `--reference package: python3 cannot import dse_dsmi (${probe.stderr.trim().split('\n').pop()}); install it ` +
          `with python3 -m pip install dse-dsmi`,
      );
  }
  return { kind: 'stand-in', module: path.join(__dirname, 'reference.py'), version: null };
}

/** The package dse_dsmi's side: the driver of `dse compare` (dist/cli/compare-driver.js), R timed runs. */
async function measurePackage(workload, repeat) {
  const { runPython, pythonCall } = require(path.join(ROOT, 'dist', 'cli', 'compare'));
  const call = pythonCall(workload.fn, workload.options ?? {});
  const request = {
    module: 'dse_dsmi',
    function: call.function,
    x: { path: workload.X },
    reference: workload.reference ? { path: workload.reference } : null,
    clusters: null,
    kwargs: call.kwargs,
    repeat,
  };
  const r = await runPython({ python: 'python3', env: process.env, cwd: process.cwd() }, request);
  return { value: r.value, seconds: r.seconds, peakRssBytes: r.peakRssBytes };
}

/** One child process running `repeat` timed runs; returns {value, seconds[], peakRssBytes}. */
async function measure(side, workload, repeat, reference) {
  if (side === 'reference' && reference?.kind === 'package') return measurePackage(workload, repeat);
  const args = ['--workload', JSON.stringify(workload), '--repeat', String(repeat)];
  const r =
    side === 'ours'
      ? run(process.execPath, ['--expose-gc', path.join(__dirname, 'workload.js'), ...args])
      : run('python3', [path.join(__dirname, 'reference.py'), ...args]);
  if (r.status !== 0) throw new Error(`${side} failed on ${workload.fn}:\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop();
  return JSON.parse(line);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};
// What one call adds to the resident set: the median over the runs of each run's peak minus the
// resident set just before it (workload.js), or, where the peak cannot be reset (not Linux), the
// whole process's peak minus the resident set before the first run.
const callBytes = (o) => (o.callBytes ? median(o.callBytes) : o.peakRssBytes - o.rssBeforeBytes);
const fmtS = (s) => (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3));
const fmtMB = (b) => (b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${Math.round(b / 1e6)} MB`);

function referenceText(reference) {
  return reference.kind === 'package'
    ? `the Python package dse-dsmi ${reference.version ?? '(version unknown)'} (${reference.module})`
    : 'bench/reference.py (the stand-in written from the description)';
}

function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const flags = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const fam = /cpu family\s*:\s*(\d+)/.exec(flags)?.[1];
    const model = /^model\s*:\s*(\d+)/m.exec(flags)?.[1];
    if (fam) cpu += ` (family ${fam}, model ${model})`;
  } catch {
    // not Linux
  }
  return {
    cpu,
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.slq) {
    // method 'slq' against exact (issue 9): its own harness, bench/slq.js (npm run bench:slq).
    const r = run(process.execPath, [path.join(__dirname, 'slq.js'), ...o.slq], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  if (o.contention) {
    const r = run(process.execPath, [path.join(__dirname, 'contention.js'), ...o.contention], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  const started = Date.now();
  const lib = require(path.join(ROOT, 'dist'));
  const build = lib.buildInfo();
  const pyVersions = ensurePython();
  const reference = chooseReference(o.reference);
  log(
    `reference: ${
      reference.kind === 'package'
        ? `the Python package dse_dsmi ${reference.version ?? ''} (${reference.module})`
        : 'bench/reference.py, the stand-in'
    }`,
  );
  let list = workloads(o.data).filter((w) => !o.quick || w.quick);
  if (o.only) list = list.filter((w) => o.only.some((s) => w.name.toLowerCase().includes(s)));
  const names = [...new Set(list.flatMap((w) => w.files))];
  log(`inputs in ${o.data}: ${names.join(', ')}`);
  const made = run('python3', [path.join(__dirname, 'make_data.py'), o.data, ...names], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (made.status !== 0) throw new Error('bench/make_data.py failed');

  const rows = [];
  const byName = new Map();
  for (const w of list) {
    const repeat = o.repeat ?? w.repeat ?? 3;
    const refRepeat = o.repeat ?? w.refRepeat ?? 3;
    let ref;
    if (w.float32Of) {
      ref = byName.get(w.float32Of)?.reference;
      if (!ref) {
        log(`${w.name}: reference (float64) ...`);
        ref = await measure('reference', { ...w.workload, options: {} }, refRepeat, reference);
      }
    } else {
      log(`${w.name}: reference x${refRepeat} ...`);
      ref = await measure('reference', w.workload, refRepeat, reference);
    }
    log(`${w.name}: ours x${repeat} ...`);
    const ours = await measure('ours', w.workload, repeat);
    const refS = median(ref.seconds);
    const ourS = median(ours.seconds);
    const diff = Math.abs(ours.value - ref.value);
    const rel = diff / Math.abs(ref.value);
    const tol = w.atol !== undefined ? { atol: w.atol } : { rtol: w.rtol ?? RTOL };
    const ok = tol.atol !== undefined ? diff <= tol.atol : rel <= tol.rtol;
    const row = {
      name: w.name,
      workload: w.workload,
      reference: { value: ref.value, seconds: ref.seconds, medianSeconds: refS, peakRssBytes: ref.peakRssBytes },
      ours: {
        value: ours.value,
        seconds: ours.seconds,
        medianSeconds: ourS,
        peakRssBytes: ours.peakRssBytes,
        rssBeforeBytes: ours.rssBeforeBytes,
        callBytes: ours.callBytes,
        medianCallBytes: callBytes(ours),
      },
      speedup: refS / ourS,
      absDiff: diff,
      relDiff: rel,
      tolerance: tol,
      ok,
      float64: undefined,
      floorSeconds: w.floor,
    };
    if (w.float32Of && byName.has(w.float32Of)) {
      const f64 = byName.get(w.float32Of);
      row.float64 = {
        speedup: f64.ours.medianSeconds / ourS,
        memoryRatio: row.ours.medianCallBytes / f64.ours.medianCallBytes,
      };
    }
    byName.set(w.name, row);
    rows.push(row);
    log(
      `${w.name}: reference ${fmtS(refS)} s, ours ${fmtS(ourS)} s, |diff| ${diff.toExponential(2)} ` +
        `${ok ? 'ok' : 'OUT OF TOLERANCE'}`,
    );
  }

  const lines = [];
  lines.push(
    "| workload | reference s | ours s | speed-up | reference peak RSS | ours peak RSS (one call's own) | \\|Δ " +
      'value\\| (relative) | tolerance |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const f32 = r.float64
      ? ` (float64 / float32: ${r.float64.speedup.toFixed(2)}x the time, ${(1 / r.float64.memoryRatio).toFixed(2)}x ` +
        `the memory of the call)`
      : '';
    const tol = r.tolerance.atol !== undefined ? `${r.tolerance.atol} bits absolute` : `${r.tolerance.rtol} relative`;
    const d = r.tolerance.atol !== undefined ? `${r.absDiff.toExponential(1)} bits` : r.relDiff.toExponential(1);
    lines.push(
      `| ${r.name} | ${fmtS(r.reference.medianSeconds)} | ${fmtS(r.ours.medianSeconds)} | ` +
        `${r.speedup.toFixed(2)}x${f32} | ` +
        `${fmtMB(r.reference.peakRssBytes)} | ${fmtMB(r.ours.peakRssBytes)} (${fmtMB(r.ours.medianCallBytes)}) | ` +
        `${d} | ${tol}${r.ok ? '' : ' **FAILED**'} |`,
    );
  }
  const floors = rows.filter((r) => r.floorSeconds);
  if (floors.length) {
    lines.push('');
    lines.push(
      `Eigenvalue floor (4/3 n^3 flops per n x n matrix at ${GFLOPS} GFLOP/s, float64): ` +
        floors
          .map(
            (r) =>
              `${r.name}: ${fmtS(r.floorSeconds)} s, ours ${(r.ours.medianSeconds / r.floorSeconds).toFixed(1)}x it`,
          )
          .join('; ') +
        '.',
    );
  }
  const mach = machine();
  lines.push('');
  lines.push(
    `${mach.cpu}, ${mach.cores} cores, ${Math.round(mach.memoryBytes / 2 ** 30)} GiB; Node ${mach.node}; addon: ` +
      `${build.blas}, ` +
      `${build.threads} threads; reference: ${referenceText(reference)}, numpy/scipy/scikit-learn ` +
      `${pyVersions.split(' ').join('/')}. ` +
      `Median of ${o.repeat ?? 3} runs (reference DSE 10000 and ASE kNN: ${o.repeat ?? 1}); ` +
      `${new Date().toISOString().slice(0, 10)}; load average at the end ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}.`,
  );
  const table = lines.join('\n');
  process.stdout.write(table + '\n');

  const result = {
    date: new Date().toISOString(),
    quick: o.quick,
    machine: mach,
    addon: build,
    python: pyVersions,
    reference,
    loadAverageAtEnd: os.loadavg(),
    seconds: (Date.now() - started) / 1000,
    workloads: rows,
    table,
  };
  fs.writeFileSync(o.json, JSON.stringify(result, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), o.json) || o.json} (${result.seconds.toFixed(0)} s in all)`);
  const bad = rows.filter((r) => !r.ok);
  if (bad.length) {
    process.stderr.write(`bench: values out of tolerance: ${bad.map((r) => r.name).join(', ')}\n`);
    process.exit(1);
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
