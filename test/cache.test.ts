// SPDX-License-Identifier: MIT
// The eigenvalue cache of DSE and ASE (eigvalSavePath / eigvalSavePrecision): numpy's np.savez
// format both ways, float16 rounding bit for bit, the same value on the saving and every later
// run, the fingerprint (ERR_DSE_CACHE_STALE), atomic writes under SIGKILL, and every broken file
// as ERR_DSE_CACHE.
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  diffusionSpectralEntropy,
  diffusionSpectralEntropySync,
  adjacencySpectralEntropy,
  adjacencySpectralEntropySync,
  diffusionEigenvaluesSync,
  diffusionSpectralMutualInformationSync,
  readEigenvalueCache,
  type EigvalSavePrecision,
} from '../lib';
import { MAX_CACHE_FILE_BYTES } from '../lib/cache';
import { readNpz, encodeNpz } from '../lib/io/npz';
import { encodeNpy } from '../lib/io/npy';
import { encodeFloat16 } from '../lib/io/float16';
import { ensureDist, ROOT } from './build-dist';
import {
  FIXTURES,
  golden,
  loadMatrix,
  expectClose,
  expectDseError,
  expectDseRejection,
  itNumpy,
  requirePrereq,
  uniformMatrix,
} from './helpers';

const blobs = loadMatrix('blobs.npy');
let tmp: string;
let counter = 0;
/** A fresh path in the test's temporary folder. */
const fresh = (name = 'cache.npz') => path.join(tmp, `${counter++}`, name);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-cache-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** np.load(file) of each file, as numpy sees it: members, eigvals dtype/shape/bytes, fingerprint JSON. */
function numpyLoad(
  files: string[],
): { files: string[]; dtype: string; shape: number[]; hex: string; fingerprint: Record<string, unknown> | null }[] {
  requirePrereq('numpy'); // the missing line, rather than a Python traceback
  const script = [
    'import json, sys, numpy as np',
    'out = []',
    'for p in sys.argv[1:]:',
    '    z = np.load(p)',
    "    ev = z['eigvals']",
    "    fp = json.loads(bytes(z['fingerprint']).decode('utf-8')) if 'fingerprint' in z.files else None",
    "    out.append({'files': sorted(z.files), 'dtype': str(ev.dtype), 'shape': list(ev.shape), 'hex': " +
      "ev.astype(ev.dtype.newbyteorder('<')).tobytes().hex(), 'fingerprint': fp})",
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The little-endian bytes of `values` stored as `dtype`, in hex. */
function bytesHex(values: ArrayLike<number>, dtype: EigvalSavePrecision): string {
  const typed =
    dtype === 'float16'
      ? encodeFloat16(values)
      : dtype === 'float32'
        ? Float32Array.from(values)
        : Float64Array.from(values);
  return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength).toString('hex');
}

describe('#eigenvalue cache (eigvalSavePath)', () => {
  describe('files written by the Python reference', () => {
    it('has golden cache cases to check', () => {
      expect(golden.eigvalCache.map((c) => c.eigvalSavePrecision).sort()).toEqual(['float16', 'float64']);
    });

    describe.each(golden.eigvalCache.map((c) => [c.file, c] as const))('%s', (_file, c) => {
      const options = { gaussianKernelSigma: c.gaussianKernelSigma, t: c.t };
      const copy = () => {
        const p = fresh(c.file);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.copyFileSync(path.join(FIXTURES, c.file), p);
        return p;
      };

      it('gives valueFromCache with X = null (sync and async)', async () => {
        const p = copy();
        expectClose(diffusionSpectralEntropySync(null, { ...options, eigvalSavePath: p }), c.valueFromCache, 1e-9, 0);
        expectClose(await diffusionSpectralEntropy(null, { ...options, eigvalSavePath: p }), c.valueFromCache, 1e-9, 0);
      });

      it('gives valueFromCache with X given: no fingerprint, so used as the reference uses it', () => {
        const p = copy();
        expectClose(diffusionSpectralEntropySync(X(c.X), { ...options, eigvalSavePath: p }), c.valueFromCache, 1e-9, 0);
        // Even with X that has nothing to do with the file, as in the reference.
        expectClose(
          diffusionSpectralEntropySync(uniformMatrix(20, 3), { ...options, eigvalSavePath: p }),
          c.valueFromCache,
          1e-9,
          0,
        );
      });

      it('is read by readEigenvalueCache with its dtype and no fingerprint', () => {
        const file = readEigenvalueCache(path.join(FIXTURES, c.file));
        expect(file.dtype).toBe(c.eigvalSavePrecision);
        expect(file.fingerprint).toBeNull();
        expect(file.eigenvalues).toBeInstanceOf(Float64Array);
        expect(file.eigenvalues.length).toBe(X(c.X).rows);
      });

      it(
        'the saving run here writes what the reference wrote and gives valueFromCache, as does every later ' + 'run',
        async () => {
          const p = fresh();
          const saveOptions = {
            ...options,
            eigvalSavePath: p,
            eigvalSavePrecision: c.eigvalSavePrecision as EigvalSavePrecision,
          };
          const saving = diffusionSpectralEntropySync(X(c.X), saveOptions);
          expectClose(saving, c.valueFromCache, 1e-9, 0);
          // Bit for bit the same run after run, whether X is given (fingerprint checked) or not.
          expect(diffusionSpectralEntropySync(X(c.X), saveOptions)).toBe(saving);
          expect(diffusionSpectralEntropySync(null, saveOptions)).toBe(saving);
          expect(await diffusionSpectralEntropy(X(c.X), saveOptions)).toBe(saving);
          // The reference's own saving run differs (it does its arithmetic in float16).
          if (c.eigvalSavePrecision === 'float16')
            expect(Math.abs(c.valueWhenSaving - c.valueFromCache)).toBeGreaterThan(1e-4);
          const ours = readNpz(p).eigvals;
          const theirs = readNpz(path.join(FIXTURES, c.file)).eigvals;
          expect(ours.dtype).toBe(theirs.dtype);
          expect(ours.shape).toEqual(theirs.shape);
          if (c.eigvalSavePrecision === 'float16')
            expect(encodeFloat16(ours.data as Float32Array)).toEqual(encodeFloat16(theirs.data as Float32Array));
          else
            for (let i = 0; i < ours.data.length; i++)
              expectClose(Number(ours.data[i]), Number(theirs.data[i]), 0, 1e-13);
        },
      );
    });

    it(
      'float16 rounding is bit-identical to numpy: eigenvalues of blobs at sigma 1 vs every golden float16 ' + 'file',
      () => {
        const cases = golden.eigvalCache.filter((c) => c.eigvalSavePrecision === 'float16');
        expect(cases.length).toBeGreaterThan(0);
        for (const c of cases) {
          const ev = diffusionEigenvaluesSync(X(c.X), { gaussianKernelSigma: c.gaussianKernelSigma });
          const theirs = readNpz(path.join(FIXTURES, c.file)).eigvals;
          expect(theirs.dtype).toBe('float16');
          // theirs.data holds the halves widened exactly; re-encoding gives the file's bits.
          const theirBits = encodeFloat16(theirs.data as Float32Array);
          const ourBits = encodeFloat16(ev);
          let differing = 0;
          for (let i = 0; i < ourBits.length; i++) if (ourBits[i] !== theirBits[i]) differing++;
          expect(differing).toBe(0);
          // And the raw bytes of the member are those bits.
          const raw = readNpz(path.join(FIXTURES, c.file)).eigvals;
          expect(raw.shape).toEqual([ev.length]);
        }
      },
    );
  });

  describe('files written here', () => {
    itNumpy('load in numpy: np.load(path)["eigvals"] has the same values and dtype', () => {
      const files: { p: string; dtype: EigvalSavePrecision; values: Float64Array }[] = [];
      for (const dtype of ['float16', 'float32', 'float64'] as const) {
        const p = fresh(`dse_${dtype}.npz`);
        diffusionSpectralEntropySync(blobs, { gaussianKernelSigma: 1, eigvalSavePath: p, eigvalSavePrecision: dtype });
        files.push({ p, dtype, values: readEigenvalueCache(p).eigenvalues });
        const q = fresh(`ase_knn_${dtype}.npz`);
        adjacencySpectralEntropySync(blobs, { useKnn: true, eigvalSavePath: q, eigvalSavePrecision: dtype });
        files.push({ p: q, dtype, values: readEigenvalueCache(q).eigenvalues });
      }
      const seen = numpyLoad(files.map((f) => f.p));
      files.forEach((f, i) => {
        expect(seen[i].files).toEqual(['eigvals', 'fingerprint']);
        expect(seen[i].dtype).toBe(f.dtype);
        expect(seen[i].shape).toEqual([blobs.rows]);
        expect(seen[i].hex).toBe(bytesHex(f.values, f.dtype));
        expect(seen[i].fingerprint).toEqual(readEigenvalueCache(f.p).fingerprint);
      });
    });

    it('hold eigvals in the requested dtype and a fingerprint describing the call', () => {
      const p = fresh();
      diffusionSpectralEntropySync(blobs, {
        gaussianKernelSigma: 2,
        t: 3,
        eigvalSavePath: p,
        eigvalSavePrecision: 'float32',
      });
      const { dtype, fingerprint, eigenvalues } = readEigenvalueCache(p);
      expect(dtype).toBe('float32');
      expect(eigenvalues.length).toBe(500);
      for (const v of eigenvalues) expect(Math.fround(v)).toBe(v);
      expect(fingerprint).toEqual({
        format: 'dse-dsmi eigenvalue cache',
        version: 1,
        rows: 500,
        cols: 16,
        rowsUsed: 500,
        subsetSha256: null,
        kernel: 'diffusion',
        gaussianKernelSigma: 2,
        knn: null,
        method: 'exact',
        probeSeed: null,
        precision: 'float64',
        eigvalSavePrecision: 'float32',
        dataSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      // sha256 of the row-major little-endian float64 bytes of X.
      const le = Buffer.alloc(blobs.data.length * 8);
      blobs.data.forEach((v, i) => le.writeDoubleLE(v, i * 8));
      expect(fingerprint!.dataSha256).toBe(createHash('sha256').update(le).digest('hex'));
    });

    it('give the same value on the saving run and on later runs, for DSE and ASE, sync and async', async () => {
      for (const dtype of ['float16', 'float32', 'float64'] as const) {
        const p = fresh();
        const o = { gaussianKernelSigma: 1, t: 2, eigvalSavePath: p, eigvalSavePrecision: dtype };
        const first = await diffusionSpectralEntropy(blobs, o);
        expect(diffusionSpectralEntropySync(blobs, o)).toBe(first);
        expect(await diffusionSpectralEntropy(null, o)).toBe(first);
        const q = fresh();
        const a = { anisotropic: true, gaussianKernelSigma: 1, eigvalSavePath: q, eigvalSavePrecision: dtype };
        const firstAse = adjacencySpectralEntropySync(blobs, a);
        expect(await adjacencySpectralEntropy(blobs, a)).toBe(firstAse);
        expect(adjacencySpectralEntropySync(null, a)).toBe(firstAse);
      }
    });

    it('with float64 give the uncached value; float16 moves it in the 6th digit at most here', () => {
      type Fn = (X: typeof blobs, o: Record<string, unknown>) => number;
      const cases: [Fn, Record<string, unknown>][] = [
        [diffusionSpectralEntropySync as Fn, { gaussianKernelSigma: 1, t: 2 }],
        [adjacencySpectralEntropySync as Fn, { gaussianKernelSigma: 1 }],
        [adjacencySpectralEntropySync as Fn, { useKnn: true, knn: 10 }],
      ];
      for (const [fn, o] of cases) {
        const plain = fn(blobs, o);
        expectClose(fn(blobs, { ...o, eigvalSavePath: fresh(), eigvalSavePrecision: 'float64' }), plain, 1e-12);
        expectClose(fn(blobs, { ...o, eigvalSavePath: fresh() }), plain, 1e-5);
      }
    });

    it('keep the subsampled rows: N > maxN records the subset and reloads the same value', () => {
      const p = fresh();
      const o = { gaussianKernelSigma: 1, maxN: 300, randomSeed: 7, eigvalSavePath: p };
      const v = diffusionSpectralEntropySync(blobs, o);
      const f = readEigenvalueCache(p).fingerprint!;
      expect(f.rowsUsed).toBe(300);
      expect(f.subsetSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(diffusionSpectralEntropySync(blobs, o)).toBe(v);
      expectClose(v, diffusionSpectralEntropySync(blobs, { gaussianKernelSigma: 1, maxN: 300, randomSeed: 7 }), 1e-5);
    });

    it('creates missing folders and accepts a bare file name (the reference crashes on it)', () => {
      const deep = path.join(tmp, 'a', 'b', 'c', 'eigvals.npz');
      const v = diffusionSpectralEntropySync(blobs, { gaussianKernelSigma: 1, eigvalSavePath: deep });
      expect(fs.existsSync(deep)).toBe(true);
      const cwd = process.cwd();
      const here = path.join(tmp, 'bare');
      fs.mkdirSync(here);
      process.chdir(here);
      try {
        expect(diffusionSpectralEntropySync(blobs, { gaussianKernelSigma: 1, eigvalSavePath: 'eigvals.npz' })).toBe(v);
        expect(fs.readdirSync(here)).toEqual(['eigvals.npz']);
        expect(diffusionSpectralEntropySync(null, { gaussianKernelSigma: 1, eigvalSavePath: 'eigvals.npz' })).toBe(v);
      } finally {
        process.chdir(cwd);
      }
    });
  });

  describe('fingerprint', () => {
    const base = { gaussianKernelSigma: 1, eigvalSavePrecision: 'float16' as const };
    let p: string;
    beforeAll(() => {
      p = fresh();
      diffusionSpectralEntropySync(blobs, { ...base, eigvalSavePath: p });
    });

    it.each([
      [
        'other values of X',
        () => X2(),
        {},
        /the SHA-256 of X's values is [0-9a-f]{12}\.\.\. in the file but [0-9a-f]{12}\.\.\. in this call/,
      ],
      ['fewer rows', () => rowsOf(blobs, 400), {}, /the number of rows of X is 500 in the file but 400 in this call/],
      [
        'another sigma',
        () => blobs,
        { gaussianKernelSigma: 2 },
        /gaussianKernelSigma is 1 in the file but 2 in this call/,
      ],
      [
        'another save precision',
        () => blobs,
        { eigvalSavePrecision: 'float64' },
        /eigvalSavePrecision is "float16" in the file but "float64"/,
      ],
      [
        'float32 working precision',
        () => blobs,
        { precision: 'float32' },
        /precision is "float64" in the file but "float32"/,
      ],
      [
        'Chebyshev eigenvalues',
        () => blobs,
        { chebyshevApprox: true },
        /the eigenvalue method \(chebyshevApprox\) is "exact" in the file but "chebyshev"/,
      ],
      [
        'a subsample',
        () => blobs,
        { maxN: 300 },
        new RegExp(
          String.raw`the number of rows used \(maxN\) is 500 in the file but 300 in this call \(also different:` +
            String.raw` the subsampled rows`,
        ),
      ],
    ] as const)(
      'rejects %s with ERR_DSE_CACHE_STALE, saying which field and what to do',
      (_what, data, extra, message) => {
        const o = { ...base, ...extra, eigvalSavePath: p } as Parameters<typeof diffusionSpectralEntropySync>[1];
        expectDseError(() => diffusionSpectralEntropySync(data(), o), 'ERR_DSE_CACHE_STALE', message);
        expectDseError(
          () => diffusionSpectralEntropySync(data(), o),
          'ERR_DSE_CACHE_STALE',
          /Delete the file to recompute it, or choose another eigvalSavePath/,
        );
      },
    );

    it('rejects asynchronously too, and leaves the file alone', async () => {
      const before = fs.readFileSync(p);
      await expectDseRejection(
        diffusionSpectralEntropy(X2(), { ...base, eigvalSavePath: p }),
        'ERR_DSE_CACHE_STALE',
        /the SHA-256 of X's values/,
      );
      expect(fs.readFileSync(p).equals(before)).toBe(true);
    });

    it('names the kernel for ASE (diffusion file, Gaussian or kNN call)', () => {
      expectDseError(
        () => adjacencySpectralEntropySync(blobs, { gaussianKernelSigma: 1, eigvalSavePath: p }),
        'ERR_DSE_CACHE_STALE',
        /the kernel is "diffusion" in the file but "gaussian"/,
      );
      expectDseError(
        () => adjacencySpectralEntropySync(blobs, { useKnn: true, eigvalSavePath: p }),
        'ERR_DSE_CACHE_STALE',
        /the kernel is "diffusion" in the file but "knn"/,
      );
      // The anisotropic adjacency is the same kernel K: the DSE file serves it.
      expect(
        adjacencySpectralEntropySync(blobs, { anisotropic: true, gaussianKernelSigma: 1, eigvalSavePath: p }),
      ).toBe(adjacencySpectralEntropySync(null, { eigvalSavePath: p }));
      const q = fresh();
      adjacencySpectralEntropySync(blobs, { useKnn: true, knn: 10, eigvalSavePath: q });
      expectDseError(
        () => adjacencySpectralEntropySync(blobs, { useKnn: true, knn: 12, eigvalSavePath: q }),
        'ERR_DSE_CACHE_STALE',
        /knn is 10 in the file but 12/,
      );
    });

    it('accepts the same values as a Float32Array, number[][] or a copy; t changes the value, not the cache', () => {
      const v = diffusionSpectralEntropySync(blobs, { ...base, eigvalSavePath: p });
      const asRows: number[][] = [];
      for (let r = 0; r < blobs.rows; r++)
        asRows.push(Array.from(blobs.data.subarray(r * blobs.cols, (r + 1) * blobs.cols)));
      expect(diffusionSpectralEntropySync(asRows, { ...base, eigvalSavePath: p })).toBe(v);
      expect(
        diffusionSpectralEntropySync({ ...blobs, data: Float64Array.from(blobs.data) }, { ...base, eigvalSavePath: p }),
      ).toBe(v);
      const f32 = { rows: 50, cols: 2, data: Float32Array.from(uniformMatrix(50, 2).data) };
      const q = fresh();
      const w = diffusionSpectralEntropySync(f32, { eigvalSavePath: q });
      expect(diffusionSpectralEntropySync({ ...f32, data: Float64Array.from(f32.data) }, { eigvalSavePath: q })).toBe(
        w,
      );
      expect(diffusionSpectralEntropySync(blobs, { ...base, t: 2, eigvalSavePath: p })).not.toBe(v);
    });

    it('is not checked when X is null (the reference ignores X then)', () => {
      expect(() => diffusionSpectralEntropySync(null, { gaussianKernelSigma: 5, eigvalSavePath: p })).not.toThrow();
    });

    it('still validates a given X before using the cache', () => {
      const bad = { data: Float64Array.from(blobs.data), rows: 500, cols: 16 };
      bad.data[17] = NaN;
      expectDseError(
        () => diffusionSpectralEntropySync(bad, { ...base, eigvalSavePath: p }),
        'ERR_DSE_NON_FINITE',
        /row 1, column 1/,
      );
      expectDseError(
        () =>
          diffusionSpectralEntropySync({ data: new Float64Array(3), rows: 2, cols: 2 }, { ...base, eigvalSavePath: p }),
        'ERR_DSE_SHAPE',
      );
    });
  });

  describe('broken files', () => {
    const valid = () => {
      const p = fresh();
      diffusionSpectralEntropySync(uniformMatrix(40, 3), { eigvalSavePath: p });
      return fs.readFileSync(p);
    };
    const write = (bytes: Uint8Array | string) => {
      const p = fresh();
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, bytes);
      return p;
    };

    it.each([
      ['an empty file', () => write(new Uint8Array(0)), /is not a readable \.npz file/],
      [
        'a truncated file',
        () => write(valid().subarray(0, 150)),
        /is not a readable \.npz file \(truncated or corrupt\?\)/,
      ],
      [
        'a file cut just before its end',
        () => write(valid().subarray(0, valid().length - 10)),
        /is not a readable \.npz file/,
      ],
      [
        'random bytes',
        () => write(Uint8Array.from({ length: 500 }, (_, i) => (i * 73 + 11) & 255)),
        /is not a readable \.npz file/,
      ],
      ['a .npy file', () => write(encodeNpy({ data: [1, 0.5] })), /is not a readable \.npz file.*use readNpy/],
      ['text', () => write('eigvals = [1, 2, 3]\n'), /is not a readable \.npz file/],
      [
        'an archive without eigvals',
        () => write(encodeNpz({ values: { data: [1, 0.5] } })),
        /holds no "eigvals" array \(members: values\)/,
      ],
      ['an empty eigvals', () => write(encodeNpz({ eigvals: { data: new Float64Array(0) } })), /holds no eigenvalues/],
      [
        'a non-finite eigenvalue',
        () => write(encodeNpz({ eigvals: { data: [1, NaN] } })),
        /non-finite eigenvalue \(NaN at index 1\)/,
      ],
      [
        'a garbage fingerprint',
        () =>
          write(
            encodeNpz({
              eigvals: { data: [1, 0.5] },
              fingerprint: { data: new Uint8Array([1, 2, 3]), dtype: 'uint8' },
            }),
          ),
        /unreadable fingerprint/,
      ],
      [
        'a fingerprint of another format',
        () =>
          write(
            encodeNpz({
              eigvals: { data: [1, 0.5] },
              fingerprint: { data: new TextEncoder().encode('{"a":1}'), dtype: 'uint8' },
            }),
          ),
        /unreadable fingerprint \(not a dse-dsmi eigenvalue cache record\)/,
      ],
      [
        'a fingerprint from a newer version',
        () =>
          write(
            encodeNpz({
              eigvals: { data: [1, 0.5] },
              fingerprint: {
                data: new TextEncoder().encode('{"format":"dse-dsmi eigenvalue cache","version":9}'),
                dtype: 'uint8',
              },
            }),
          ),
        /another version of dse-dsmi \(fingerprint version 9/,
      ],
      [
        'a folder',
        () => {
          const p = fresh();
          fs.mkdirSync(p, { recursive: true });
          return p;
        },
        /is a folder, not a \.npz file/,
      ],
    ] as const)(
      '%s gives ERR_DSE_CACHE (sync, async, X given or null, readEigenvalueCache)',
      async (_what, make, message) => {
        const p = make();
        const X40 = uniformMatrix(40, 3);
        expectDseError(() => diffusionSpectralEntropySync(X40, { eigvalSavePath: p }), 'ERR_DSE_CACHE', message);
        expectDseError(() => adjacencySpectralEntropySync(null, { eigvalSavePath: p }), 'ERR_DSE_CACHE', message);
        await expectDseRejection(diffusionSpectralEntropy(null, { eigvalSavePath: p }), 'ERR_DSE_CACHE', message);
        expectDseError(() => readEigenvalueCache(p), 'ERR_DSE_CACHE', message);
        expectDseError(
          () => diffusionSpectralEntropySync(X40, { eigvalSavePath: p }),
          'ERR_DSE_CACHE',
          /Delete the file to recompute it, or choose another eigvalSavePath/,
        );
      },
    );

    it('an unreadable file gives ERR_DSE_CACHE', () => {
      if (process.getuid?.() !== 0) {
        const p = write(valid());
        fs.chmodSync(p, 0);
        expectDseError(
          () => diffusionSpectralEntropySync(null, { eigvalSavePath: p }),
          'ERR_DSE_CACHE',
          /cannot be read: EACCES/,
        );
      }
      // Root reads any file; a folder at the path cannot be read by anyone.
      const dir = fresh('folder.npz');
      fs.mkdirSync(dir, { recursive: true });
      expectDseError(() => diffusionSpectralEntropySync(null, { eigvalSavePath: dir }), 'ERR_DSE_CACHE');
    });

    it('an unwritable place gives ERR_DSE_CACHE', () => {
      const blocker = fresh('file');
      fs.mkdirSync(path.dirname(blocker), { recursive: true });
      fs.writeFileSync(blocker, 'x');
      // A folder that would have to be created where a file is.
      expectDseError(
        () => diffusionSpectralEntropySync(blobs, { eigvalSavePath: path.join(blocker, 'sub', 'c.npz') }),
        'ERR_DSE_CACHE',
        /could not be written/,
      );
    });

    it('eigenvalues that overflow float16 are refused before anything is written', () => {
      const p = fresh();
      // Gaussian adjacency with a tiny sigma: the diagonal is 1 / (sigma sqrt(2 pi)) ~ 4e5.
      expectDseError(
        () => adjacencySpectralEntropySync(uniformMatrix(30, 2), { gaussianKernelSigma: 1e-6, eigvalSavePath: p }),
        'ERR_DSE_CACHE',
        /fit in eigvalSavePrecision 'float16'.*Use eigvalSavePrecision 'float32'/,
      );
      expect(fs.existsSync(p)).toBe(false);
      expect(
        Number.isFinite(
          adjacencySpectralEntropySync(uniformMatrix(30, 2), {
            gaussianKernelSigma: 1e-6,
            eigvalSavePath: p,
            eigvalSavePrecision: 'float32',
          }),
        ),
      ).toBe(true);
    });
  });

  describe('opening a cache file', () => {
    const call = (file: string) => ({
      sync: () => diffusionSpectralEntropySync(uniformMatrix(30, 2), { eigvalSavePath: file }),
      async: () => diffusionSpectralEntropy(uniformMatrix(30, 2), { eigvalSavePath: file }),
    });

    it('refuses a FIFO at the path without waiting for a writer (sync and async)', async () => {
      const p = fresh('fifo.npz');
      fs.mkdirSync(path.dirname(p), { recursive: true });
      expect(spawnSync('mkfifo', [p]).status).toBe(0);
      expectDseError(call(p).sync, 'ERR_DSE_CACHE', /is a FIFO, not a regular \.npz file/);
      await expectDseRejection(call(p).async(), 'ERR_DSE_CACHE', /is a FIFO, not a regular \.npz file/);
      expectDseError(() => readEigenvalueCache(p), 'ERR_DSE_CACHE', /is a FIFO/);
    });

    it('refuses a device (a link to /dev/zero) instead of reading it forever', async () => {
      const p = fresh('zero.npz');
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.symlinkSync('/dev/zero', p);
      expectDseError(call(p).sync, 'ERR_DSE_CACHE', /is a character device, not a regular \.npz file/);
      await expectDseRejection(call(p).async(), 'ERR_DSE_CACHE', /is a character device/);
    });

    it('refuses a file larger than MAX_CACHE_FILE_BYTES before reading it', async () => {
      const p = fresh('huge.npz');
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, '');
      fs.truncateSync(p, MAX_CACHE_FILE_BYTES + 1); // sparse: no disk space used
      const message = new RegExp(`is ${MAX_CACHE_FILE_BYTES + 1} bytes, more than the ${MAX_CACHE_FILE_BYTES} bytes`);
      expectDseError(call(p).sync, 'ERR_DSE_CACHE', message);
      await expectDseRejection(call(p).async(), 'ERR_DSE_CACHE', message);
    });

    it('does its file work on the libuv pool in the async API (no blocking fs call on a miss or a hit)', async () => {
      // The module object itself (not an import namespace), so that its functions can be spied on.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const realFs = require('fs') as typeof fs;
      const names = [
        'openSync',
        'readSync',
        'readFileSync',
        'statSync',
        'fstatSync',
        'writeSync',
        'fsyncSync',
        'renameSync',
        'mkdirSync',
      ] as const;
      const p = fresh();
      const X = uniformMatrix(40, 3);
      diffusionSpectralEntropySync(X); // loads the addon (which reads files) before the spies
      const spies = names.map((n) => jest.spyOn(realFs, n));
      try {
        const saved = await diffusionSpectralEntropy(X, { eigvalSavePath: p }); // miss: computed and written
        const loaded = await diffusionSpectralEntropy(X, { eigvalSavePath: p }); // hit: read back
        expect(loaded).toBe(saved);
        for (const [i, spy] of spies.entries()) expect([names[i], spy.mock.calls.length]).toEqual([names[i], 0]);
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      expect(diffusionSpectralEntropySync(X, { eigvalSavePath: p })).toBe(
        await diffusionSpectralEntropy(X, { eigvalSavePath: p }),
      );
    });
  });

  describe('options', () => {
    it('rejects bad eigvalSavePath / eigvalSavePrecision values with ERR_DSE_OPTION', () => {
      expectDseError(
        () => diffusionSpectralEntropySync(blobs, { eigvalSavePath: '' }),
        'ERR_DSE_OPTION',
        /non-empty file path string .* for eigvalSavePath but received ""/,
      );
      expectDseError(
        () => diffusionSpectralEntropySync(blobs, { eigvalSavePath: 3 as unknown as string }),
        'ERR_DSE_OPTION',
        /eigvalSavePath but received 3/,
      );
      expectDseError(
        () => adjacencySpectralEntropySync(blobs, { eigvalSavePrecision: 'float8' as EigvalSavePrecision }),
        'ERR_DSE_OPTION',
        /one of 'float16', 'float32', 'float64' for eigvalSavePrecision but received "float8"/,
      );
    });

    it('X = null needs an eigvalSavePath naming an existing file', async () => {
      expectDseError(
        () => diffusionSpectralEntropySync(null),
        'ERR_DSE_TYPE',
        /or null together with an eigvalSavePath for X but received null/,
      );
      await expectDseRejection(adjacencySpectralEntropy(null), 'ERR_DSE_TYPE', /null together with an eigvalSavePath/);
      const p = fresh();
      expectDseError(
        () => diffusionSpectralEntropySync(null, { eigvalSavePath: p }),
        'ERR_DSE_CACHE',
        /because X is null, but there is no such file\. Pass X/,
      );
      expect(fs.existsSync(p)).toBe(false);
    });

    it('is refused with the classic Shannon or matrix-entry entropy, which use no eigenvalues', () => {
      expectDseError(
        () => diffusionSpectralEntropySync(blobs, { classicShannonEntropy: true, eigvalSavePath: fresh() }),
        'ERR_DSE_OPTION',
        /with classicShannonEntropy: that entropy uses no eigenvalues/,
      );
      expectDseError(
        () => diffusionSpectralEntropySync(blobs, { matrixEntryEntropy: true, eigvalSavePath: fresh() }),
        'ERR_DSE_OPTION',
        /matrixEntryEntropy/,
      );
    });

    it('is not an option of the mutual-information functions (as in the reference)', () => {
      const labels = new Int32Array(500).map((_, i) => i % 3);
      expectDseError(
        () => diffusionSpectralMutualInformationSync(blobs, labels, { eigvalSavePath: fresh() } as never),
        'ERR_DSE_OPTION',
        /Unknown option "eigvalSavePath"/,
      );
      expectDseError(
        () => diffusionSpectralMutualInformationSync(blobs, labels, { eigvalSavePrecision: 'float64' } as never),
        'ERR_DSE_OPTION',
        /Unknown option "eigvalSavePrecision"/,
      );
    });

    it('records the Chebyshev probe seed: another seed is stale, unseeded probes match any', () => {
      const p = fresh();
      const v = diffusionSpectralEntropySync(blobs, { chebyshevApprox: true, randomSeed: 3, eigvalSavePath: p });
      expect(readEigenvalueCache(p).fingerprint).toMatchObject({ method: 'chebyshev', probeSeed: '3' });
      expect(diffusionSpectralEntropySync(blobs, { chebyshevApprox: true, randomSeed: 3, eigvalSavePath: p })).toBe(v);
      expect(diffusionSpectralEntropySync(blobs, { chebyshevApprox: true, randomSeed: null, eigvalSavePath: p })).toBe(
        v,
      );
      expectDseError(
        () => diffusionSpectralEntropySync(blobs, { chebyshevApprox: true, randomSeed: 4, eigvalSavePath: p }),
        'ERR_DSE_CACHE_STALE',
        /probe seed \(randomSeed\) is "3" in the file but "4"/,
      );
    });
  });

  describe('atomic writes', () => {
    it('a child killed (SIGKILL) during repeated cache writes leaves no file or a complete, readable one', async () => {
      ensureDist();
      const target = path.join(tmp, 'killed', 'cache.npz');
      const rows = 300;
      const child = `
        const fs = require('fs');
        const d = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
        const data = new Float64Array(${rows} * 3);
        let s = 7;
        for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = s / 2 ** 32; }
        const X = { data, rows: ${rows}, cols: 3 };
        const target = ${JSON.stringify(target)};
        for (let i = 0; ; i++) {
          fs.rmSync(target, { force: true });
          d.diffusionSpectralEntropySync(X, {
            gaussianKernelSigma: 0.3,
            eigvalSavePath: target,
            eigvalSavePrecision: 'float64',
          });
          if (i === 0) process.stdout.write('ready\\n');
        }`;
      const outcomes = { absent: 0, complete: 0, reads: 0 };
      let expected: number | undefined;
      for (let round = 0; round < 10; round++) {
        const proc = spawn(process.execPath, ['-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise<void>((resolve, reject) => {
          proc.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
          proc.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
        });
        // Meanwhile this process reads the file as fast as it can: never half a file.
        const end = Date.now() + 15 + ((round * 37) % 120);
        while (Date.now() < end) {
          try {
            expect(readEigenvalueCache(target).eigenvalues.length).toBe(rows);
            outcomes.reads++;
          } catch (e) {
            expect((e as Error).message).toMatch(/does not exist$/);
          }
        }
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
        if (!fs.existsSync(target)) {
          outcomes.absent++;
          continue;
        }
        const file = readEigenvalueCache(target);
        expect(file.eigenvalues.length).toBe(rows);
        expect(file.fingerprint?.rows).toBe(rows);
        const value = diffusionSpectralEntropySync(null, { eigvalSavePath: target });
        expected ??= value;
        expect(value).toBe(expected);
        outcomes.complete++;
      }
      expect(outcomes.absent + outcomes.complete).toBe(10);
      expect(outcomes.reads).toBeGreaterThan(0);
      // Whatever the kill interrupted, nothing but complete caches (and perhaps temporary files) is there.
      for (const name of fs.readdirSync(path.dirname(target)))
        expect(name === 'cache.npz' || /^\.cache\.npz\.\d+\.[0-9a-f]+\.tmp$/.test(name)).toBe(true);
    }, 120_000);
  });
});

function X(file: string) {
  return file === 'blobs.npy' ? blobs : loadMatrix(file);
}

/** blobs with one value nudged: same shape, other data. */
function X2() {
  const data = Float64Array.from(blobs.data);
  data[123] += 1e-9;
  return { data, rows: blobs.rows, cols: blobs.cols };
}

function rowsOf(m: { data: Float64Array | Float32Array; rows: number; cols: number }, n: number) {
  return { data: m.data.slice(0, n * m.cols), rows: n, cols: m.cols };
}
