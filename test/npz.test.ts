// SPDX-License-Identifier: MIT
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { deflateSync, unzipSync } from 'fflate';
import { DseError } from '../lib/errors';
import { roundToFloat16 } from '../lib/io/float16';
import { encodeNpy, readNpy } from '../lib/io/npy';
import type { NpyArrayInput } from '../lib/io/npy';
import { DEFAULT_NPZ_MAX_BYTES, encodeNpz, readNpz, writeNpz } from '../lib/io/npz';
import {
  FIXTURES,
  IO_FIXTURES,
  assertWellFormed,
  describeArray,
  formatOrValid,
  mutate,
  type Mutation,
  loadExpected,
  numpyLoad,
  runNumpy,
  tempDir,
  thrown,
} from './fixtures/io/helpers';
import { itNumpy } from './helpers';

const expected = loadExpected();
const tmp = tempDir('dse-npz-');
afterAll(() => tmp.cleanup());

function formatError(fn: () => unknown): DseError {
  const e = thrown(fn);
  expect(e.code).toBe('ERR_DSE_FORMAT');
  return e;
}

// ---------------------------------------------------------------------------------------
// A minimal zip writer for hostile archives (sizes, methods and names as we please).

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface RawEntry {
  name: string;
  /** The member's bytes as stored in the archive (already compressed for method 8). */
  stored: Uint8Array;
  method: number;
  /** Declared uncompressed size. */
  size: number;
  crc?: number;
  /** Declared uncompressed size in the local header, if different. */
  localSize?: number;
}

function makeZip(entries: RawEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(e.crc ?? 0, 14);
    local.writeUInt32LE(e.stored.length, 18);
    local.writeUInt32LE(e.localSize ?? e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x800, 8);
    cd.writeUInt16LE(e.method, 10);
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(e.crc ?? 0, 16);
    cd.writeUInt32LE(e.stored.length, 20);
    cd.writeUInt32LE(e.size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    parts.push(local, name, e.stored);
    central.push(cd, name);
    offset += 30 + name.length + e.stored.length;
  }
  const cdSize = central.reduce((s, b) => s + b.length, 0);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdSize, 12);
  eocd.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, ...central, eocd]));
}

function stored(name: string, bytes: Uint8Array): RawEntry {
  return { name, stored: bytes, method: 0, size: bytes.length, crc: crc32(bytes) };
}

function deflated(name: string, bytes: Uint8Array): RawEntry {
  return { name, stored: deflateSync(bytes), method: 8, size: bytes.length, crc: crc32(bytes) };
}

const small = encodeNpy({ data: [1, 2] });

// ---------------------------------------------------------------------------------------

describe('#readNpz', () => {
  const archives = Object.keys(expected.npz).sort();

  it.each(archives)('reads %s (written by numpy) with the expected members and values', (name) => {
    const z = readNpz(path.join(IO_FIXTURES, name));
    expect(Object.keys(z).sort()).toEqual(Object.keys(expected.npz[name]).sort());
    for (const [key, array] of Object.entries(z)) {
      assertWellFormed(array);
      expect(describeArray(array)).toEqual(expected.npz[name][key]);
    }
  });

  it('copes with the zip64 local headers np.savez always writes (force_zip64) and with data descriptors', () => {
    const bytes = fs.readFileSync(path.join(IO_FIXTURES, 'savez.npz'));
    // local header: sizes 0xffffffff, real sizes in a zip64 extra field (id 1)
    expect(bytes.readUInt32LE(18)).toBe(0xffffffff);
    expect(bytes.readUInt16LE(30 + bytes.readUInt16LE(26))).toBe(1);
    expect(readNpz(bytes).x.shape).toEqual([2, 2]);
    const unseekable = fs.readFileSync(path.join(IO_FIXTURES, 'savez_compressed_unseekable.npz'));
    expect(unseekable.readUInt16LE(6) & 8).toBe(8); // data descriptor flag
    expect(Object.keys(readNpz(unseekable)).sort()).toEqual(['labels', 'x']);
  });

  it('reads the eigenvalue caches of the Python reference (key eigvals)', () => {
    const f64 = readNpz(path.join(FIXTURES, 'cache_blobs_float64.npz'));
    const f16 = readNpz(fs.readFileSync(path.join(FIXTURES, 'cache_blobs_float16.npz')));
    expect(Object.keys(f64)).toEqual(['eigvals']);
    expect(f64.eigvals.dtype).toBe('float64');
    expect(f64.eigvals.shape).toEqual([500]);
    expect(f16.eigvals.dtype).toBe('float16');
    expect(f16.eigvals.data).toBeInstanceOf(Float32Array);
    // The float16 cache is the float64 one rounded to half precision.
    expect(Array.from(f16.eigvals.data as Float32Array)).toEqual(
      Array.from(roundToFloat16(f64.eigvals.data as Float64Array)),
    );
  });

  itNumpy('reads the float16 cache of the Python reference as np.load does', () => {
    const file = path.join(FIXTURES, 'cache_blobs_float16.npz');
    const theirs = numpyLoad([file]);
    expect((theirs[file] as Record<string, unknown>).eigvals).toEqual(describeArray(readNpz(file).eigvals));
  });

  it('keys members like np.load: without .npy, any characters, __proto__ included', () => {
    const z = readNpz(makeZip([stored('a/b.npy', small), stored('ü ber.npy', small), stored('__proto__.npy', small)]));
    expect(Object.keys(z)).toEqual(['a/b', 'ü ber', '__proto__']);
    expect(Object.getPrototypeOf(z)).toBe(Object.prototype);
    expect(Array.from(z.__proto__.data as Float64Array)).toEqual([1, 2]);
  });

  it('rejects a deflate member declaring more than maxBytes before inflating it (zip bomb)', () => {
    const bomb = encodeNpz({ zeros: { data: new Uint8Array(8 << 20) } }, { compress: true });
    expect(bomb.length).toBeLessThan(100_000);
    const t0 = Date.now();
    const e = formatError(() => readNpz(bomb, { maxBytes: 1 << 20 }));
    expect(Date.now() - t0).toBeLessThan(500);
    expect(e.message).toMatch(
      new RegExp(
        String.raw`Expected members totalling at most maxBytes = 1048576 bytes once inflated for member` +
          String.raw` "zeros\.npy" of the \.npz bytes but received a declared total of 8388736 bytes so far\.` +
          String.raw` Raise the maxBytes option`,
      ),
    );
    expect(readNpz(bomb, { maxBytes: 9 << 20 }).zeros.shape).toEqual([8 << 20]);
  });

  it('stops inflating a member that produces more than it declared (lying zip bomb)', () => {
    const payload = new Uint8Array(small.length + (8 << 20));
    payload.set(small);
    const liar: RawEntry = { ...deflated('x.npy', payload), size: small.length };
    const t0 = Date.now();
    const e = formatError(() => readNpz(makeZip([liar])));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(e.message).toMatch(
      new RegExp(
        String.raw`Expected at most the declared 144 bytes once inflated for member "x\.npy" .* received more\.` +
          String.raw` The archive is corrupt or a zip bomb`,
      ),
    );
  });

  it('rejects members that inflate to fewer bytes than declared, or declare impossible ratios', () => {
    const short: RawEntry = { ...deflated('x.npy', small), size: small.length + 10, localSize: small.length + 10 };
    // Refused as soon as the member's .npy header shows it holds 144 bytes, before inflating.
    expect(formatError(() => readNpz(makeZip([short]))).message).toMatch(
      /Expected a declared size equal to what its \.npy header holds \(144 bytes\) .* received 154 bytes declared/,
    );
    const huge: RawEntry = { ...deflated('x.npy', small), size: 0xfffffff0 };
    expect(formatError(() => readNpz(makeZip([huge]))).message).toMatch(
      /an uncompressed size deflate can produce from \d+ bytes/,
    );
    const storedLie: RawEntry = { ...stored('x.npy', small), size: 1 << 30 };
    expect(formatError(() => readNpz(makeZip([storedLie]))).message).toMatch(
      /Expected equal stored and uncompressed sizes/,
    );
  });

  it('rejects a local header disagreeing with the central directory', () => {
    const e: RawEntry = { ...stored('x.npy', small), localSize: 7 };
    expect(formatError(() => readNpz(makeZip([e]))).message).toMatch(
      /Expected 144 bytes \(as in the central directory\) .* received 7 bytes in its local header/,
    );
  });

  it.each([
    [
      'a member that is not .npy',
      [stored('readme.txt', small)],
      /Expected a name ending in "\.npy" .* received "readme\.txt"\. Only \.npy members are supported/,
    ],
    ['a folder entry', [stored('dir/', new Uint8Array(0))], /received "dir\/"/],
    ['a bare ".npy" name', [stored('.npy', small)], /received "\.npy"/],
    [
      'duplicate members',
      [stored('x.npy', small), stored('x.npy', small)],
      /Expected each member name once .* received a duplicate/,
    ],
    [
      'an unsupported compression method',
      [{ ...stored('x.npy', small), method: 12 }],
      /Expected compression method 0 \(stored\) or 8 \(deflate\) .* received method 12/,
    ],
    [
      'corrupt deflate data',
      [{ ...deflated('x.npy', small), stored: new Uint8Array(40).fill(0xff) }],
      /Expected valid compressed data for member "x\.npy" .* received corrupt data/,
    ],
    [
      'a member that is not a valid .npy',
      [stored('x.npy', new Uint8Array([1, 2, 3]))],
      /for the start of member "x\.npy" of the \.npz bytes/,
    ],
  ])('rejects %s with ERR_DSE_FORMAT', (_, entries, message) => {
    expect(formatError(() => readNpz(makeZip(entries as RawEntry[]))).message).toMatch(message);
  });

  it('rejects non-zip input, truncated archives and a .npy file given by mistake', () => {
    expect(formatError(() => readNpz(new Uint8Array(0))).message).toMatch(
      new RegExp(
        String.raw`Expected a zip archive as written by np\.savez for the zip structure of the \.npz bytes but` +
          String.raw` received an unreadable archive \(invalid zip data\)`,
      ),
    );
    expect(formatError(() => readNpz(small)).message).toMatch(/This looks like a single \.npy file; use readNpy/);
    const good = fs.readFileSync(path.join(IO_FIXTURES, 'savez_compressed.npz'));
    for (const cut of [10, 100, good.length - 30, good.length - 1]) formatError(() => readNpz(good.subarray(0, cut)));
    const file = path.join(tmp.dir, 'not.npz');
    fs.writeFileSync(file, 'not a zip');
    expect(formatError(() => readNpz(file)).message).toContain(`of ${JSON.stringify(file)}`);
  });

  it('rejects bad arguments and options', () => {
    expect(thrown(() => readNpz(path.join(tmp.dir, 'missing.npz'))).code).toBe('ERR_DSE_IO');
    expect(thrown(() => readNpz({} as unknown as string)).code).toBe('ERR_DSE_TYPE');
    const neg = thrown(() => readNpz(small, { maxBytes: -1 }));
    expect(neg.code).toBe('ERR_DSE_OPTION');
    expect(neg.message).toBe('Expected an integer >= 0 for maxBytes but received -1');
    expect(thrown(() => readNpz(small, { maxBytes: 'big' as unknown as number })).code).toBe('ERR_DSE_OPTION');
    expect(thrown(() => readNpz(small, { limit: 3 } as unknown as { maxBytes: number })).message).toMatch(
      /Unknown option "limit" for readNpz/,
    );
    expect(DEFAULT_NPZ_MAX_BYTES).toBe(4 * 1024 ** 3);
  });

  it('returns ERR_DSE_FORMAT or well-formed arrays for random bytes (property)', () => {
    const zipLike = fc.uint8Array({ maxLength: 200 }).map((b) => {
      // Often end with an end-of-central-directory record so the parser goes further.
      const out = new Uint8Array(b.length + 22);
      out.set(b);
      out.set([0x50, 0x4b, 0x05, 0x06], b.length);
      for (let k = 4; k < 22; k++) out[b.length + k] = b[(k * 7) % Math.max(1, b.length)] ?? 0;
      return out;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), zipLike), (bytes) => {
        formatOrValid(
          () => readNpz(bytes),
          (z) => Object.values(z).forEach(assertWellFormed),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('returns ERR_DSE_FORMAT or well-formed arrays for mutated and truncated archives (property)', () => {
    const seeds = ['savez.npz', 'savez_compressed.npz', 'savez_unseekable.npz', 'savez_compressed_unseekable.npz'].map(
      (n): Uint8Array => new Uint8Array(fs.readFileSync(path.join(IO_FIXTURES, n))),
    );
    seeds.push(encodeNpz({ a: { data: [1, 2, 3] }, b: { data: new Int8Array([1]) } }));
    seeds.push(encodeNpz({ a: { data: [1, 2, 3] } }, { compress: true }));
    const mutation = fc.record({
      kind: fc.constantFrom<Mutation['kind']>('flip', 'cut', 'insert', 'zero'),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (which, mutations) => {
          const bytes = mutate(seeds[which], mutations);
          formatOrValid(
            () => readNpz(bytes, { maxBytes: 1 << 20 }),
            (z) => Object.values(z).forEach(assertWellFormed),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('#encodeNpz', () => {
  const arrays: Record<string, NpyArrayInput> = {
    x: { data: new Float64Array([1, -2, Infinity, 0.25]), shape: [2, 2] },
    labels: { data: new BigInt64Array([3n, -1n, 2n ** 40n]) },
    mask: { data: [true, false] },
    half: { data: [0.1, 1000, -0], dtype: 'float16' },
    'ü/nested name': { data: new Uint8Array([1, 2, 3]), shape: [3, 1] },
  };

  it('stores members like np.savez by default and deflates them with compress: true', () => {
    const plain = encodeNpz(arrays);
    const packed = encodeNpz(arrays, { compress: true });
    const methods = (bytes: Uint8Array): number[] => {
      const found: number[] = [];
      unzipSync(bytes, { filter: (f) => (found.push(f.compression), false) });
      return found;
    };
    expect(methods(plain)).toEqual([0, 0, 0, 0, 0]);
    expect(methods(packed)).toEqual([8, 8, 8, 8, 8]);
    const names = ['x.npy', 'labels.npy', 'mask.npy', 'half.npy', 'ü/nested name.npy'];
    expect(Object.keys(unzipSync(plain))).toEqual(names);
    for (const bytes of [plain, packed]) {
      const z = readNpz(bytes);
      expect(Object.keys(z)).toEqual(Object.keys(arrays));
      expect(z.x.shape).toEqual([2, 2]);
      expect(Array.from(z.x.data as Float64Array)).toEqual([1, -2, Infinity, 0.25]);
      expect(z.labels.data).toEqual(new BigInt64Array([3n, -1n, 2n ** 40n]));
      expect(z.mask.dtype).toBe('bool');
      expect(z.half.dtype).toBe('float16');
      expect(Array.from(z.half.data as Float32Array)).toEqual(Array.from(roundToFloat16([0.1, 1000, -0])));
      expect(z['ü/nested name'].shape).toEqual([3, 1]);
    }
    expect(plain.length).toBeGreaterThan(packed.length);
  });

  it('is deterministic (fixed timestamps) and handles an empty set of arrays', () => {
    expect(Buffer.from(encodeNpz(arrays)).equals(Buffer.from(encodeNpz(arrays)))).toBe(true);
    expect(readNpz(encodeNpz({}))).toEqual({});
  });

  itNumpy('gives archives numpy loads with the same values, dtypes and shapes', () => {
    const files = [path.join(tmp.dir, 'np', 'plain.npz'), path.join(tmp.dir, 'np', 'packed.npz')];
    writeNpz(files[0], arrays);
    writeNpz(files[1], arrays, { compress: true });
    const theirs = numpyLoad(files);
    for (const f of files) {
      const ours = Object.fromEntries(Object.entries(readNpz(f)).map(([k, v]) => [k, describeArray(v)]));
      expect(theirs[f]).toEqual(ours);
    }
    const out = runNumpy(
      "import sys, numpy as np; z = np.load(sys.argv[1]); print(z['half'].dtype, z['labels'].dtype, z['x'].dtype, " +
        "z['mask'].dtype, sorted(z.files))",
      [files[1]],
    );
    expect(out.trim()).toBe("float16 int64 float64 bool ['half', 'labels', 'mask', 'x', 'ü/nested name']");
  });

  it('names the offending array in errors and validates options', () => {
    const e = thrown(() => encodeNpz({ good: { data: [1] }, bad: { data: [1, 2], shape: [3] } }));
    expect(e.code).toBe('ERR_DSE_SHAPE');
    expect(e.message).toBe(
      'Expected a shape whose product equals the data length 2 for arrays["bad"].shape but received [3] (product 3)',
    );
    expect(thrown(() => encodeNpz({ v: { data: [300], dtype: 'int8' } })).message).toMatch(
      /for arrays\["v"\]\.data\[0\] \(dtype int8\)/,
    );
    expect(thrown(() => encodeNpz(null as unknown as Record<string, NpyArrayInput>)).code).toBe('ERR_DSE_TYPE');
    expect(thrown(() => encodeNpz({ '': { data: [1] } })).code).toBe('ERR_DSE_TYPE');
    const opt = thrown(() => encodeNpz({}, { compress: 'yes' as unknown as boolean }));
    expect(opt.code).toBe('ERR_DSE_OPTION');
    expect(opt.message).toBe('Expected true or false for compress but received "yes"');
    expect(thrown(() => encodeNpz({}, { level: 9 } as unknown as { compress: boolean })).code).toBe('ERR_DSE_OPTION');
  });
});

describe('#writeNpz', () => {
  it('writes atomically into new folders', () => {
    const file = path.join(tmp.dir, 'deep', 'er', 'cache.npz');
    writeNpz(file, { eigvals: { data: [3, 2, 1], dtype: 'float16' } });
    writeNpz(file, { eigvals: { data: [3, 2, 1.5], dtype: 'float16' } }, { compress: true });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['cache.npz']);
    const z = readNpz(file);
    expect(Array.from(z.eigvals.data as Float32Array)).toEqual([3, 2, 1.5]);
    // readNpy refuses the archive with a pointer to readNpz
    expect(thrown(() => readNpy(file)).message).toMatch(/use readNpz/);
  });

  itNumpy('writes archives loadable by np.load(path)[name]', () => {
    const file = path.join(tmp.dir, 'np-load', 'cache.npz');
    writeNpz(file, { eigvals: { data: [3, 2, 1.5], dtype: 'float16' } }, { compress: true });
    const out = runNumpy("import sys, numpy as np; a = np.load(sys.argv[1])['eigvals']; print(a.dtype, a.tolist())", [
      file,
    ]);
    expect(out.trim()).toBe('float16 [3.0, 2.0, 1.5]');
  });

  it('throws ERR_DSE_IO when the path is a folder and ERR_DSE_TYPE for a bad path', () => {
    const dir = path.join(tmp.dir, 'folder.npz');
    fs.mkdirSync(dir);
    expect(thrown(() => writeNpz(dir, { a: { data: [1] } })).code).toBe('ERR_DSE_IO');
    expect(fs.readdirSync(tmp.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(thrown(() => writeNpz(undefined as unknown as string, {})).code).toBe('ERR_DSE_TYPE');
  });
});
