// SPDX-License-Identifier: MIT
import { readFileSync } from 'fs';
import { join } from 'path';
import { DseError } from '../lib/errors';
import { PythonRandom, pythonRandomSample } from '../lib/random';

const FIXTURES = join(__dirname, 'fixtures');

function loadJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** Minimal .npy reader for the tests (independent of lib/io/npy.ts). */
function readNpy(name: string): { descr: string; shape: number[]; data: number[] } {
  const buf = readFileSync(join(FIXTURES, name));
  expect(buf.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.subarray(start, start + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)![1];
  expect(/'fortran_order':\s*False/.test(header)).toBe(true);
  const shape = /'shape':\s*\(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(start + headerLen);
  const data: number[] = [];
  if (descr === '<i8') {
    for (let i = 0; i < count; i++) data.push(Number(body.readBigInt64LE(i * 8)));
  } else if (descr === '<i4') {
    for (let i = 0; i < count; i++) data.push(body.readInt32LE(i * 4));
  } else if (descr !== '<f8') {
    throw new Error(`unexpected dtype ${descr} in ${name}`);
  }
  return { descr, shape, data };
}

/** Seeds in the extra fixture are decimal strings; use a number when it is safe. */
function parseSeed(s: string): number | bigint {
  const big = BigInt(s);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function expectDseError(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DseError);
  expect((caught as DseError).code).toBe(code);
  expect((caught as DseError).message).toMatch(message);
}

interface SampleCase {
  seed: number;
  n: number;
  k: number;
  sample: number[];
}

interface Extra {
  python: string;
  sample: { seed: string; n: number; k: number; sample: number[]; after: number[] }[];
  getrandbits: { seed: string; b: number; values: number[] }[];
  random: { seed: string; values: number[] }[];
  randbelow: { seed: string; n: number; values: number[] }[];
  mixed: { seed: string; ops: (string | number | number[])[][] };
}

const cases = loadJson<{
  pythonRandomSample: SampleCase[];
  cases: {
    name: string;
    args: { embeddingVectors: string };
    options: { maxN: number; randomSeed: number };
    expected: { sampledIndices?: string };
  }[];
}>('cases.json');
const extra = loadJson<Extra>('python_random_extra.json');

describe('#pythonRandomSample', () => {
  describe('cases.json pythonRandomSample', () => {
    it.each(cases.pythonRandomSample.map((c) => [`seed=${c.seed} n=${c.n} k=${c.k}`, c] as const))('%s', (_, c) => {
      expect(pythonRandomSample(c.seed, c.n, c.k)).toEqual(c.sample);
      expect(pythonRandomSample(BigInt(c.seed), c.n, c.k)).toEqual(c.sample);
    });
  });

  describe('sampledIndices of the maxN cases', () => {
    const names = ['dse_maxN512_seed0', 'dse_maxN300_seed7', 'dse_maxN650_seed1099511627779'];
    it.each(names)('%s', (name) => {
      const c = cases.cases.find((x) => x.name === name)!;
      expect(c).toBeDefined();
      const rows = readNpy(c.args.embeddingVectors).shape[0];
      expect(rows).toBe(700);
      const idx = readNpy(c.expected.sampledIndices!);
      expect(idx.shape).toEqual([c.options.maxN]);
      expect(pythonRandomSample(c.options.randomSeed, rows, c.options.maxN)).toEqual(idx.data);
    });
  });

  describe(`python_random_extra.json samples (CPython ${extra.python})`, () => {
    it.each(extra.sample.map((c) => [`seed=${c.seed} n=${c.n} k=${c.k}`, c] as const))('%s', (_, c) => {
      const seed = parseSeed(c.seed);
      expect(pythonRandomSample(seed, c.n, c.k)).toEqual(c.sample);
      const rng = new PythonRandom(BigInt(c.seed));
      expect(rng.sample(c.n, c.k)).toEqual(c.sample);
      expect([rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32)]).toEqual(c.after);
    });
  });

  it('getrandbits matches CPython for b in 0..53', () => {
    for (const c of extra.getrandbits) {
      const rng = new PythonRandom(parseSeed(c.seed));
      const got = c.values.map(() => rng.getrandbits(c.b));
      expect({ seed: c.seed, b: c.b, got }).toEqual({ seed: c.seed, b: c.b, got: c.values });
    }
  });

  it('random() matches CPython exactly', () => {
    for (const c of extra.random) {
      const rng = new PythonRandom(parseSeed(c.seed));
      const got = c.values.map(() => rng.random());
      expect({ seed: c.seed, got }).toEqual({ seed: c.seed, got: c.values });
    }
  });

  it('randbelow matches CPython _randbelow', () => {
    for (const c of extra.randbelow) {
      const rng = new PythonRandom(parseSeed(c.seed));
      const got = c.values.map(() => rng.randbelow(c.n));
      expect({ seed: c.seed, n: c.n, got }).toEqual({ seed: c.seed, n: c.n, got: c.values });
    }
  });

  it('a long mixed stream stays in step with CPython', () => {
    const rng = new PythonRandom(parseSeed(extra.mixed.seed));
    extra.mixed.ops.forEach((op, i) => {
      let got: number | number[];
      if (op[0] === 'random') got = rng.random();
      else if (op[0] === 'getrandbits') got = rng.getrandbits(op[1] as number);
      else if (op[0] === 'randbelow') got = rng.randbelow(op[1] as number);
      else got = rng.sample(op[1] as number, op[2] as number);
      expect([i, got]).toEqual([i, op[op.length - 1]]);
    });
  });

  it('seeds: negative uses |s|, number and bigint agree, seed() resets', () => {
    expect(pythonRandomSample(-7, 700, 20)).toEqual(pythonRandomSample(7, 700, 20));
    expect(pythonRandomSample(-7n, 700, 20)).toEqual(pythonRandomSample(7n, 700, 20));
    expect(pythonRandomSample(-0, 100, 10)).toEqual(pythonRandomSample(0, 100, 10));
    expect(pythonRandomSample(1099511627779, 700, 50)).toEqual(pythonRandomSample(1099511627779n, 700, 50));
    const rng = new PythonRandom(5);
    const first = rng.sample(1000, 10);
    rng.seed(5);
    expect(rng.sample(1000, 10)).toEqual(first);
  });

  it('randbelow(0) returns 0 without consuming the stream', () => {
    const a = new PythonRandom(3);
    const b = new PythonRandom(3);
    expect(a.randbelow(0)).toBe(0);
    expect(a.getrandbits(0)).toBe(0);
    expect(a.random()).toBe(b.random());
  });

  it('null seed draws valid, varying samples', () => {
    const s1 = pythonRandomSample(null, 1e6, 100);
    const s2 = new PythonRandom(null).sample(1e6, 100);
    const s3 = new PythonRandom().sample(1e6, 100);
    for (const s of [s1, s2, s3]) {
      expect(s).toHaveLength(100);
      expect(new Set(s).size).toBe(100);
      for (const v of s) expect(Number.isInteger(v) && v >= 0 && v < 1e6).toBe(true);
    }
    expect(s1).not.toEqual(s2);
    const r = new PythonRandom(null).random();
    expect(r >= 0 && r < 1).toBe(true);
  });

  it('is fast', () => {
    const t0 = performance.now();
    const a = pythonRandomSample(1, 10000, 10000);
    const b = pythonRandomSample(2, 1e6, 10000);
    const c = pythonRandomSample(3, 2 ** 40, 10000);
    const ms = performance.now() - t0;
    expect(new Set(a).size).toBe(10000);
    expect(new Set(b).size).toBe(10000);
    expect(new Set(c).size).toBe(10000);
    expect(ms).toBeLessThan(500); // a few ms in practice; generous for slow CI
  });

  describe('errors', () => {
    it('k > n', () => {
      expectDseError(() => pythonRandomSample(0, 5, 6), 'ERR_DSE_OPTION', /k <= n.*received 6 with n = 5/);
      expectDseError(() => new PythonRandom(0).sample(0, 1), 'ERR_DSE_OPTION', /for k/);
    });
    it('negative or non-integer n and k', () => {
      expectDseError(
        () => pythonRandomSample(0, -1, 0),
        'ERR_DSE_OPTION',
        /non-negative safe integer for n but received -1/,
      );
      expectDseError(
        () => pythonRandomSample(0, 10, -1),
        'ERR_DSE_OPTION',
        /non-negative safe integer for k but received -1/,
      );
      expectDseError(() => pythonRandomSample(0, 10.5, 1), 'ERR_DSE_OPTION', /for n but received 10\.5/);
      expectDseError(() => pythonRandomSample(0, 10, 1.5), 'ERR_DSE_OPTION', /for k but received 1\.5/);
      expectDseError(() => pythonRandomSample(0, NaN, 1), 'ERR_DSE_OPTION', /for n but received NaN/);
      expectDseError(() => pythonRandomSample(0, 2 ** 53, 1), 'ERR_DSE_OPTION', /for n/);
      expectDseError(
        () => pythonRandomSample(0, '10' as unknown as number, 1),
        'ERR_DSE_OPTION',
        /for n but received "10"/,
      );
      expectDseError(() => new PythonRandom(0).randbelow(-3), 'ERR_DSE_OPTION', /for n but received -3/);
    });
    it('non-integer seeds', () => {
      expectDseError(
        () => pythonRandomSample(1.5, 10, 1),
        'ERR_DSE_OPTION',
        /for seed but received 1\.5.*Python would hash/,
      );
      expectDseError(() => pythonRandomSample(NaN, 10, 1), 'ERR_DSE_OPTION', /integer.*for seed but received NaN/);
      expectDseError(() => new PythonRandom(Infinity), 'ERR_DSE_OPTION', /for seed but received Infinity/);
      expectDseError(() => pythonRandomSample(2 ** 60, 10, 1), 'ERR_DSE_OPTION', /safe integer.*bigint/);
      expectDseError(
        () => pythonRandomSample('1' as unknown as number, 10, 1),
        'ERR_DSE_OPTION',
        /for seed but received "1"/,
      );
      expectDseError(() => new PythonRandom(0).seed(0.25), 'ERR_DSE_OPTION', /Python would hash/);
    });
    it('getrandbits out of range', () => {
      const rng = new PythonRandom(0);
      expectDseError(() => rng.getrandbits(54), 'ERR_DSE_OPTION', /integer in \[0, 53\] for b but received 54/);
      expectDseError(() => rng.getrandbits(-1), 'ERR_DSE_OPTION', /for b but received -1/);
      expectDseError(() => rng.getrandbits(2.5), 'ERR_DSE_OPTION', /for b but received 2\.5/);
    });
  });
});
