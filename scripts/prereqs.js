// SPDX-License-Identifier: MIT
// What the build and the test suite need beyond Node and npm, how to tell whether this machine
// has it, how to get it, and the documented switch that skips the tests needing it. Used by
// `npm run test:all` (scripts/test-all.js), before anything runs, and by the tests themselves,
// which fail with the same line when their prerequisite is missing and its switch is not set.
// Plain Node, no dependencies: it runs on a fresh clone, before `npm ci`.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');

/** The first executable called `name` on PATH, or ''. */
function which(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return '';
}

/** The OpenBLAS library the build would link (native/find-openblas.js), or '' when there is none. */
function findOpenblas() {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'native', 'find-openblas.js')], {
    encoding: 'utf8',
    env: { ...process.env, DSE_BLAS: 'auto' },
  });
  const lib = r.status === 0 ? r.stdout.trim() : '';
  return lib && fs.existsSync(lib) ? lib : '';
}

/** Headless Chromium (or Chrome) on PATH, or ''. */
function findChromium() {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const p = which(name);
    if (p) return p;
  }
  return '';
}

function python3Can(code) {
  return spawnSync('python3', ['-c', code], { encoding: 'utf8' }).status === 0;
}

/**
 * One entry per prerequisite. `find()` says where it is ('' when missing); `apt` are the Debian
 * packages that provide it, `pip` the Python packages (tried first when pip works); `skip` is the
 * switch (an environment assignment) that runs the suite without it, `skipped()` whether it is set.
 */
const PREREQS = [
  {
    id: 'build-tools',
    what: 'a C++17 compiler, make and python3 (npm ci compiles the addon with node-gyp)',
    find: () => {
      const tools = [which('g++') || which('c++'), which('make'), which('python3')];
      return tools.every(Boolean) ? tools.join(' ') : '';
    },
    apt: ['g++', 'make', 'python3'],
    pip: [],
    how: 'apt-get install g++ make python3',
    skip: null,
    skipped: () => false,
  },
  {
    id: 'openblas',
    what: 'OpenBLAS (the addon links its LAPACK; without it the build takes the slower Eigen path)',
    find: findOpenblas,
    apt: ['libopenblas-dev'],
    pip: [],
    how: 'apt-get install libopenblas-dev',
    skip: 'DSE_BLAS=none',
    skipped: () => (process.env.DSE_BLAS || '').toLowerCase() === 'none',
    skipMeans: 'to build and test the Eigen-only addon instead',
  },
  {
    id: 'chromium',
    what: 'Chromium (test/report.test.ts opens the HTML reports in it)',
    find: findChromium,
    apt: ['chromium'],
    pip: [],
    how: 'apt-get install --no-install-recommends chromium',
    skip: 'DSE_SKIP_BROWSER_TESTS=1',
    skipped: () => process.env.DSE_SKIP_BROWSER_TESTS === '1',
    skipMeans: 'to skip the browser tests',
  },
  {
    id: 'numpy',
    what:
      'numpy, scipy and scikit-learn (the .npy, .npz and cache tests np.load the files we write; the dse compare ' +
      'tests run the reference stand-in)',
    find: () => (python3Can('import numpy, scipy, sklearn') ? 'python3 -c "import numpy, scipy, sklearn"' : ''),
    apt: ['python3-numpy', 'python3-scipy', 'python3-sklearn'],
    pip: ['numpy', 'scipy', 'scikit-learn'],
    how:
      'python3 -m pip install numpy scipy scikit-learn (or apt-get install python3-numpy python3-scipy ' +
      'python3-sklearn)',
    skip: 'DSE_SKIP_NUMPY_TESTS=1',
    skipped: () => process.env.DSE_SKIP_NUMPY_TESTS === '1',
    skipMeans: 'to skip the numpy interop tests',
  },
];

function prereq(id) {
  const p = PREREQS.find((q) => q.id === id);
  if (!p) throw new Error(`unknown prerequisite ${id}`);
  return p;
}

/** The one line that says what is missing and how to get it (or skip what needs it). */
function missingLine(id) {
  const p = prereq(id);
  return `missing: ${p.what}: ${p.how}${p.skip ? `, or ${p.skip} ${p.skipMeans}` : ''}`;
}

const found = new Map();
/** Where prerequisite `id` is on this machine ('' when missing); looked up once per process. */
function locate(id) {
  if (!found.has(id)) found.set(id, prereq(id).find());
  return found.get(id);
}

/** True when the documented switch of prerequisite `id` is set (the tests needing it are skipped). */
function isSkipped(id) {
  return prereq(id).skipped();
}

/** Throws an Error with the missing line unless prerequisite `id` is present. Returns where it is. */
function requirePrereq(id) {
  const where = locate(id);
  if (!where) throw new Error(missingLine(id));
  return where;
}

module.exports = { PREREQS, which, findOpenblas, findChromium, missingLine, locate, isSkipped, requirePrereq };
