// SPDX-License-Identifier: MIT
// The thread budget (setConcurrency / concurrency / DSE_THREADS and the standard variables, the
// affinity mask and cgroup quota), one thread beside busy work, and cancellation inside the long
// native stages. Speed targets live in `npm run bench -- --contention`, not here.
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildInfo, concurrency, setConcurrency, diffusionSpectralEntropy, diffusionSpectralEntropySync } from '../lib';
import { availableCpus, cgroupCpuLimit, defaultConcurrency } from '../lib/concurrency';
import { native } from '../lib/native';
import { uniformMatrix, expectDseError } from './helpers';

const DIST = path.resolve(__dirname, '..', 'dist');

/** Runs `code` in a fresh Node with `env` added; returns its stdout. */
function child(code: string, env: Record<string, string | undefined>, prefix: string[] = []): string {
  const full = { ...process.env, ...env };
  for (const k of Object.keys(full)) if (full[k] === undefined) delete full[k];
  const [cmd, ...args] = [...prefix, process.execPath, '-e', code];
  return execFileSync(cmd, args, {
    env: full as NodeJS.ProcessEnv,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

const PRINT =
  `const d = require(${JSON.stringify(DIST)}); console.log(JSON.stringify({ c: d.concurrency(), t: ` +
  `d.buildInfo().threads, ob: process.env.OPENBLAS_NUM_THREADS ?? null }))`;
const NO_THREAD_VARS = { DSE_THREADS: undefined, OPENBLAS_NUM_THREADS: undefined, OMP_NUM_THREADS: undefined };

describe('#setConcurrency / #concurrency', () => {
  afterEach(() => setConcurrency(0));

  it('sets the budget that buildInfo().threads shows, and 0 restores the default', () => {
    const initial = concurrency();
    expect(buildInfo().threads).toBe(initial);
    expect(setConcurrency(1)).toBe(1);
    expect(concurrency()).toBe(1);
    expect(buildInfo().threads).toBe(1);
    expect(setConcurrency(3)).toBe(3);
    expect(buildInfo().threads).toBe(3);
    expect(setConcurrency(0)).toBe(defaultConcurrency(process.env, () => undefined).threads);
  });

  it.each([-1, 1.5, NaN, '2', null, 5000])('rejects %p with ERR_DSE_OPTION', (bad) => {
    expectDseError(() => setConcurrency(bad as number), 'ERR_DSE_OPTION', /setConcurrency\(threads\)/);
  });

  it('gives the same values with one thread as with the default budget', () => {
    // 1600 rows: the two-stage path, whose threads hand work to each other.
    const X = uniformMatrix(1600, 8, 11);
    const many = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 1 });
    setConcurrency(1);
    const one = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 1 });
    expect(Math.abs(one - many)).toBeLessThan(1e-12 * Math.abs(many));
  });

  it('gives the same bits on one thread as on two below 800 rows, in both precisions', () => {
    // In a child with the load left out (DSE_LOAD_AWARE=0), so that two threads are two threads
    // however busy the machine is. OpenBLAS's own threaded float32 xSYRK moved the kernel's
    // last bits between 1 and 2 threads; the Gram blocks are now fixed by n alone.
    const code = `
      const d = require(${JSON.stringify(DIST)});
      const X = require(${JSON.stringify(path.resolve(__dirname, '..', 'bench', 'synthetic.js'))}).blobs(500, 16, 3);
      const runs = {
        dse: (o) => d.diffusionEigenvaluesSync(X, { gaussianKernelSigma: 1, ...o }),
        ase: (o) => [d.adjacencySpectralEntropySync(X, { gaussianKernelSigma: 1, ...o })],
        anisotropic: (o) => [d.adjacencySpectralEntropySync(X, { gaussianKernelSigma: 1, anisotropic: true, ...o })],
        knn: (o) => [d.adjacencySpectralEntropySync(X, { useKnn: true, knn: 10, ...o })],
      };
      const out = {};
      for (const [name, run] of Object.entries(runs))
        for (const precision of ['float64', 'float32']) {
          d.setConcurrency(1);
          const one = run({ precision });
          d.setConcurrency(2);
          const two = run({ precision });
          out[name + ' ' + precision] = one.filter((v, i) => !Object.is(v, two[i])).length;
        }
      console.log(JSON.stringify(out));`;
    const differing = JSON.parse(child(code, { DSE_LOAD_AWARE: '0', DSE_THREADS: '2' }));
    expect(Object.keys(differing)).toHaveLength(8);
    for (const [name, count] of Object.entries(differing)) expect(`${name}: ${count}`).toBe(`${name}: 0`);
  });
});

describe('the budget at load', () => {
  it('defaults to the CPUs this process may use', () => {
    const r = JSON.parse(child(PRINT, NO_THREAD_VARS));
    expect(r.c).toBe(availableCpus());
    expect(r.t).toBe(r.c);
    // OpenBLAS was started with the budget, and the environment put back as it was.
    expect(r.ob).toBeNull();
  });

  it('reads DSE_THREADS first, then OPENBLAS_NUM_THREADS, then OMP_NUM_THREADS', () => {
    expect(JSON.parse(child(PRINT, { ...NO_THREAD_VARS, DSE_THREADS: '1', OPENBLAS_NUM_THREADS: '3' })).c).toBe(1);
    expect(JSON.parse(child(PRINT, { ...NO_THREAD_VARS, OPENBLAS_NUM_THREADS: '3', OMP_NUM_THREADS: '2' }))).toEqual({
      c: 3,
      t: 3,
      ob: '3',
    });
    expect(JSON.parse(child(PRINT, { ...NO_THREAD_VARS, OMP_NUM_THREADS: '2,1' })).c).toBe(2);
  });

  it('ignores a value that is not a thread count, with a warning naming it', () => {
    const warnings: string[] = [];
    expect(defaultConcurrency({ DSE_THREADS: 'all', OMP_NUM_THREADS: '1' }, (m) => warnings.push(m))).toEqual({
      threads: 1,
      source: 'OMP_NUM_THREADS',
    });
    expect(warnings).toEqual(['dse-dsmi: DSE_THREADS="all" is not a whole number of threads >= 1; ignored']);
    expect(defaultConcurrency({ DSE_THREADS: '0' }, () => undefined).source).toBe('cpus');
    expect(defaultConcurrency({ DSE_THREADS: '-2' }, () => undefined).source).toBe('cpus');
  });

  it('follows the affinity mask (taskset -c 0: one CPU)', () => {
    const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((p) => fs.existsSync(p));
    if (!taskset) throw new Error('taskset (util-linux) is needed for this test: apt-get install util-linux');
    expect(JSON.parse(child(PRINT, NO_THREAD_VARS, [taskset, '-c', '0'])).c).toBe(1);
  });
});

describe('#cgroupCpuLimit', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-cgroup-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  const limit = () => cgroupCpuLimit({ procCgroup: path.join(dir, 'proc'), root: path.join(dir, 'fs') });

  it('reads cgroup v2 cpu.max, rounding a fraction of a CPU up, and the lowest quota of the ancestors', () => {
    write('proc', '0::/a/b\n');
    write('fs/a/b/cpu.max', 'max 100000\n');
    write('fs/a/cpu.max', '150000 100000\n');
    expect(limit()).toBe(2);
    write('fs/a/b/cpu.max', '50000 100000\n');
    expect(limit()).toBe(1);
  });

  it('reads cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us, and -1 is no limit', () => {
    write('proc', '12:memory:/x\n4:cpu,cpuacct:/docker/abc\n');
    write('fs/cpu,cpuacct/docker/abc/cpu.cfs_quota_us', '400000\n');
    write('fs/cpu,cpuacct/docker/abc/cpu.cfs_period_us', '100000\n');
    expect(limit()).toBe(4);
    write('fs/cpu,cpuacct/docker/abc/cpu.cfs_quota_us', '-1\n');
    expect(limit()).toBeUndefined();
  });

  it(
    'takes the mount root when the path is not visible inside a container, and nothing when there is no ' + 'cgroup',
    () => {
      write('proc', '0::/kubepods/pod1/c1\n');
      write('fs/cpu.max', '200000 100000\n');
      expect(limit()).toBe(2);
      expect(cgroupCpuLimit({ procCgroup: path.join(dir, 'missing'), root: path.join(dir, 'fs') })).toBeUndefined();
    },
  );
});

describe('beside busy processes', () => {
  it('counts the runnable tasks of other processes', async () => {
    const python = spawn('python3', ['-c', 'while True: pass'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      // The busy process is runnable at every look; the fewest of a few looks still sees it.
      let seen = 0;
      for (let i = 0; i < 20; i++) seen = Math.max(seen, native().othersRunnable());
      expect(seen).toBeGreaterThanOrEqual(1);
    } finally {
      python.kill('SIGKILL');
    }
  });
});

describe('cancellation inside the long native stages', () => {
  it('frees the machine soon after an abort in the band reduction or the bulge chasing', async () => {
    // 4000 rows: the kernel in panels, our band reduction and bulge chasing (seconds of work).
    const X = uniformMatrix(4000, 16, 5);
    const tiny = uniformMatrix(50, 4, 1);
    const t0 = Date.now();
    await diffusionSpectralEntropy(X, { gaussianKernelSigma: 2 });
    const full = Date.now() - t0;
    const ac = new AbortController();
    const big = diffusionSpectralEntropy(X, { gaussianKernelSigma: 2, signal: ac.signal });
    // Past the kernel (built in the first ~15% of the call), into the eigenvalue stages.
    await new Promise((r) => setTimeout(r, full * 0.35));
    const abortedAt = Date.now();
    ac.abort();
    await expect(big).rejects.toMatchObject({ name: 'AbortError' });
    await diffusionSpectralEntropy(tiny, { gaussianKernelSigma: 1 });
    const waited = Date.now() - abortedAt;
    // Without checkpoints inside the stages the tiny call waits for the rest of the big one
    // (~65% of `full`); with them, for one panel or one group of sweeps.
    expect(waited).toBeLessThan(full * 0.3);
  }, 120_000);
});
