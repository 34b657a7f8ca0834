// SPDX-License-Identifier: MIT
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { DseError } from '../lib/errors';
import { checkPath, ioError, writeFileAtomic } from '../lib/io/atomic';
import { float16BitsToFloat64, float64ToFloat16Bits } from '../lib/io/float16';
import {
  decodeNpy,
  encodeNpy,
  encodeNpyNamed,
  inputBytes,
  parseNpy,
  readNpy,
  writeNpy,
  MAX_NPY_HEADER_BYTES,
} from '../lib/io/npy';
import type { NpyArray, NpyArrayInput, NpyDtype } from '../lib/io/npy';
import {
  FIXTURES,
  IO_FIXTURES,
  assertWellFormed,
  describeArray,
  formatOrValid,
  mutate,
  loadExpected,
  numpyLoad,
  tempDir,
  thrown,
} from './fixtures/io/helpers';
import { itNumpy } from './helpers';

const expected = loadExpected();
const tmp = tempDir('dse-npy-');
afterAll(() => tmp.cleanup());

/** A .npy file with a hand-written header (padded like numpy) followed by `data`. */
function npyWith(dict: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  let len = dict.length + 1;
  len += (64 - ((prefix + len) % 64)) % 64;
  const header = Buffer.from(dict.padEnd(len - 1, ' ') + '\n', version === 3 ? 'utf8' : 'latin1');
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, prefix);
  out.set(data, prefix + header.length);
  return out;
}

const f8 = (...xs: number[]): Uint8Array => new Uint8Array(new Float64Array(xs).buffer);

function formatError(fn: () => unknown): DseError {
  const e = thrown(fn);
  expect(e.code).toBe('ERR_DSE_FORMAT');
  return e;
}

const ALL_DTYPES: NpyDtype[] = [
  'float64',
  'float32',
  'float16',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
];

describe('#readNpy', () => {
  const names = Object.keys(expected.files).sort();

  it('has fixtures for every dtype, both byte orders, both memory orders and all shapes', () => {
    for (const d of ALL_DTYPES) {
      expect(names).toContain(`${d}_le.npy`);
      expect(names).toContain(`${d}_f.npy`);
      if (!['int8', 'uint8', 'bool'].includes(d)) expect(names).toContain(`${d}_be.npy`);
    }
    const shapes = names.map((n) => expected.files[n].shape.length);
    expect(new Set(shapes)).toEqual(new Set([0, 1, 2, 3]));
    expect(names).toEqual(expect.arrayContaining(['empty_0x3.npy', 'v2_f8.npy', 'v3_u2.npy', 'cube_f8_be_f.npy']));
  });

  it.each(names)('reads %s exactly as numpy wrote it', (name) => {
    const a = readNpy(path.join(IO_FIXTURES, name));
    assertWellFormed(a);
    expect(describeArray(a)).toEqual(expected.files[name]);
  });

  it('returns the documented typed array for each dtype', () => {
    const cls = (name: string): string =>
      Object.prototype.toString.call(readNpy(path.join(IO_FIXTURES, name)).data).slice(8, -1);
    expect(cls('float16_be.npy')).toBe('Float32Array');
    expect(cls('bool_f.npy')).toBe('Uint8Array');
    expect(cls('int64_be.npy')).toBe('BigInt64Array');
    expect(cls('uint64_le.npy')).toBe('BigUint64Array');
    expect(cls('float64_be.npy')).toBe('Float64Array');
  });

  it('transposes Fortran order to C order and byte-swaps big-endian files', () => {
    const c = readNpy(path.join(IO_FIXTURES, 'cube_f4_c.npy'));
    const f = readNpy(path.join(IO_FIXTURES, 'cube_f4_f.npy'));
    const bef = readNpy(path.join(IO_FIXTURES, 'cube_f8_be_f.npy'));
    expect(f.shape).toEqual([2, 3, 4]);
    expect(Array.from(f.data as Float32Array)).toEqual(Array.from(c.data as Float32Array));
    expect(Array.from(bef.data as Float64Array)).toEqual(Array.from(c.data as Float32Array));
    // element [1][2][3] in C order is at 1*12 + 2*4 + 3
    expect((bef.data as Float64Array)[1 * 12 + 2 * 4 + 3]).toBe(23 * 0.5 - 3);
  });

  it('reads the reference fixtures written by the Python implementation', () => {
    const blobs = readNpy(path.join(FIXTURES, 'blobs.npy'));
    expect(blobs.dtype).toBe('float64');
    expect(blobs.shape).toEqual([500, 16]);
    expect(blobs.data).toBeInstanceOf(Float64Array);
    expect((blobs.data as Float64Array).every(Number.isFinite)).toBe(true);
    const u8 = readNpy(path.join(FIXTURES, 'labels_u8.npy'));
    expect(u8.dtype).toBe('uint8');
    expect(u8.shape).toEqual([500, 1]);
    const i64 = readNpy(path.join(FIXTURES, 'labels_rand_i64.npy'));
    expect(i64.dtype).toBe('int64');
    expect(i64.shape).toEqual([500]);
    expect(i64.data).toBeInstanceOf(BigInt64Array);
  });

  itNumpy('agrees with numpy on every reference .npy in test/fixtures', () => {
    const files = fs
      .readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.npy'))
      .map((f) => path.join(FIXTURES, f));
    expect(files.length).toBeGreaterThan(10);
    const ours = Object.fromEntries(files.map((f) => [f, describeArray(readNpy(f))]));
    for (const f of files) assertWellFormed(readNpy(f));
    const theirs = numpyLoad(files);
    for (const f of files) expect(ours[f]).toEqual(theirs[f]);
  });

  it('accepts a Buffer or an unaligned Uint8Array view and never aliases the input', () => {
    const file = path.join(IO_FIXTURES, 'float64_le.npy');
    const buf = fs.readFileSync(file);
    expect(describeArray(readNpy(buf))).toEqual(expected.files['float64_le.npy']);
    const shifted = new Uint8Array(buf.length + 3);
    shifted.set(buf, 3);
    const view = shifted.subarray(3);
    const a = readNpy(view);
    expect(describeArray(a)).toEqual(expected.files['float64_le.npy']);
    view.fill(0, 128);
    expect((a.data as Float64Array)[0]).toBe(0.5);
  });

  it('throws ERR_DSE_IO for a missing file and ERR_DSE_TYPE for a bad argument', () => {
    const e = thrown(() => readNpy(path.join(tmp.dir, 'nope.npy')));
    expect(e.code).toBe('ERR_DSE_IO');
    expect(e.message).toMatch(/Could not read ".*nope\.npy": ENOENT/);
    expect(thrown(() => readNpy(tmp.dir)).code).toBe('ERR_DSE_IO'); // a folder
    const t = thrown(() => readNpy(42 as unknown as string));
    expect(t.code).toBe('ERR_DSE_TYPE');
    expect(t.message).toBe('Expected a file path string or a Uint8Array/Buffer for pathOrBytes but received 42');
    expect(thrown(() => readNpy('')).code).toBe('ERR_DSE_TYPE');
  });

  describe('rejects malformed files with ERR_DSE_FORMAT', () => {
    const good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";

    it('bad magic, including a zip given by mistake and a truncated start', () => {
      expect(formatError(() => readNpy(new Uint8Array(0))).message).toMatch(
        new RegExp(
          String.raw`Expected the magic string \\x93NUMPY followed by a version for the start of the \.npy bytes` +
            String.raw` but received nothing \(0 bytes\)`,
        ),
      );
      expect(formatError(() => readNpy(Buffer.from('PK\u0003\u0004rest of a zip'))).message).toMatch(
        /bytes 50 4b 03 04 .*use readNpz/,
      );
      expect(formatError(() => readNpy(Buffer.from('\u0093NUMP', 'latin1'))).message).toMatch(/The file is truncated/);
      expect(formatError(() => readNpy(Buffer.from('hello world, not numpy'))).message).toMatch(
        /received bytes 68 65 6c 6c/,
      );
    });

    it('unknown versions', () => {
      const bytes = npyWith(good, f8(1, 2));
      bytes[6] = 4;
      expect(formatError(() => readNpy(bytes)).message).toMatch(
        /Expected 1\.0, 2\.0 or 3\.0 for the format version of the \.npy bytes but received 4\.0/,
      );
      bytes[6] = 1;
      bytes[7] = 1;
      expect(formatError(() => readNpy(bytes)).message).toMatch(/received 1\.1/);
    });

    it('a header length past the end of the buffer, or absurdly large', () => {
      const bytes = npyWith(good, f8(1, 2));
      const cut = bytes.subarray(0, 60);
      expect(formatError(() => readNpy(cut)).message).toMatch(
        /for the header length .* but received 118\. The file is truncated/,
      );
      const huge = npyWith(good, f8(1, 2), 2);
      new DataView(huge.buffer).setUint32(8, MAX_NPY_HEADER_BYTES + 1, true);
      expect(formatError(() => readNpy(huge)).message).toMatch(
        /Expected at most 1048576 bytes for the header length .* but received 1048577 bytes/,
      );
      new DataView(huge.buffer).setUint32(8, 0xffffffff, true);
      expect(formatError(() => readNpy(huge)).message).toMatch(/received 4294967295 bytes/);
      expect(formatError(() => readNpy(bytes.subarray(0, 11))).message).toMatch(/header length/);
      const v2 = npyWith(good, f8(1, 2), 2);
      expect(formatError(() => readNpy(v2.subarray(0, 11))).message).toMatch(
        /Expected 4 bytes for the header length .* received 3 bytes/,
      );
    });

    it.each([
      ['not a dict', '[1, 2]', /Expected a Python dict literal for the header .* received \[1, 2\]/],
      [
        'unterminated dict',
        "{'descr': '<f8', 'fortran_order': False",
        /Syntax error: expected "," but found end of header/,
      ],
      ['code instead of a literal', "__import__('os').system('ls')", /Syntax error: unexpected name "__import__"/],
      [
        'a float literal',
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2.0,), }",
        /Syntax error: malformed integer/,
      ],
      [
        'an extra key',
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}",
        /Expected only the keys 'descr', 'fortran_order' and 'shape' .* received the key 'x'/,
      ],
      ['a missing key', "{'descr': '<f8', 'shape': (2,)}", /received a dict without 'fortran_order'/],
      [
        'a duplicate key',
        "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}",
        /Expected each key once .* received 'descr' twice/,
      ],
      ['a non-string key', "{1: '<f8', 'fortran_order': False, 'shape': (2,)}", /received the key 1/],
      ['text after the dict', `${good} x`, /unexpected character "x" after the closing brace/],
      ['an unterminated string', "{'descr: '<f8'}", /Syntax error/],
      ['a deeply nested literal', `{'descr': ${'('.repeat(100)}`, /nested too deeply/],
    ])('a header that is %s', (_, dict, message) => {
      expect(formatError(() => readNpy(npyWith(dict, f8(1, 2)))).message).toMatch(message);
    });

    it.each([
      ['|O', /Object arrays \(pickled Python objects\) are not supported/],
      ['<c16', /received '<c16'\. Complex dtypes are not supported/],
      ['<U5', /String dtypes are not supported/],
      ['|S3', /String dtypes are not supported/],
      ['<M8[ns]', /Datetime and timedelta dtypes are not supported/],
      ['<m8', /Datetime and timedelta dtypes are not supported/],
      ['|V8', /Void .* not supported/],
      ['<f16', /Only float16, float32 and float64 are supported/],
      ['<i3', /Only plain numeric and bool dtypes are supported/],
      ['float64', /received 'float64'/],
      ['', /received ''/],
    ])("an unsupported descr '%s'", (descr, message) => {
      const e = formatError(() =>
        readNpy(npyWith(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }`, f8(1, 2))),
      );
      expect(e.message).toMatch(/for the header's 'descr' of the \.npy bytes/);
      expect(e.message).toMatch(message);
    });

    it('a structured descr', () => {
      const e = formatError(() =>
        readNpy(npyWith("{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }", f8(1, 2))),
      );
      expect(e.message).toMatch(
        /received \[\('a', '<f8'\), \('b', '<i4'\)\]\. Structured \(record\) dtypes are not supported/,
      );
    });

    it('fortran_order that is not a bool', () => {
      const e = formatError(() => readNpy(npyWith("{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }", f8(1, 2))));
      expect(e.message).toMatch(/Expected True or False for the header's 'fortran_order' .* received 0/);
    });

    it.each([
      ['(-1,)', /Expected a tuple of non-negative integers for the header's 'shape' .* received \(-1,\)/],
      ['(2)', /received 2$/],
      ['[2]', /received \[2\]/],
      ["('2',)", /received \('2',\)/],
      ['(True,)', /received \(True,\)/],
      ['(None,)', /received \(None,\)/],
      ['(99999999999999999999,)', /received \(99999999999999999999,\)/],
      ['(4294967296, 4294967296)', /Expected a shape whose byte size fits in 2\^53 .*The size overflows/],
      [`(${Array(65).fill(1).join(', ')})`, /Expected at most 64 dimensions .* received 65 dimensions/],
    ])('a bad shape %s', (shape, message) => {
      expect(
        formatError(() => readNpy(npyWith(`{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`, f8(1, 2))))
          .message,
      ).toMatch(message);
    });

    it('data shorter or longer than the shape needs, without allocating for the claimed size', () => {
      const bytes = npyWith(good, f8(1, 2));
      expect(formatError(() => readNpy(bytes.subarray(0, bytes.length - 1))).message).toMatch(
        new RegExp(
          String.raw`Expected 16 bytes \(shape \(2,\) of float64\) for the data of the \.npy bytes but received` +
            String.raw` 15 bytes\. The file is truncated`,
        ),
      );
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      expect(formatError(() => readNpy(longer)).message).toMatch(
        /received 17 bytes\. There are unexpected bytes after the array data/,
      );
      const claimsHuge = npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000), }", f8(1));
      expect(formatError(() => readNpy(claimsHuge)).message).toMatch(
        /Expected 8000000000000000 bytes .* but received 8 bytes/,
      );
    });

    it('a version 3.0 header that is not UTF-8', () => {
      const bytes = npyWith(good, f8(1, 2), 3);
      bytes[12 + 12] = 0xff;
      expect(formatError(() => readNpy(bytes)).message).toMatch(
        /Expected UTF-8 text \(format version 3\.0\) for the header/,
      );
    });

    it('names the file in messages when reading a path', () => {
      const file = path.join(tmp.dir, 'broken.npy');
      fs.writeFileSync(file, Buffer.from('garbage'));
      expect(formatError(() => readNpy(file)).message).toContain(`for the start of ${JSON.stringify(file)}`);
    });
  });

  it('accepts headers numpy accepts: double quotes, any key order, Python 2 longs, "=" and "|" byte orders', () => {
    expect(describeArray(readNpy(path.join(IO_FIXTURES, 'double_quotes.npy'))).values).toEqual(['7', '8']);
    expect(readNpy(path.join(IO_FIXTURES, 'py2_long_shape.npy')).shape).toEqual([2, 3]);
    const eq = readNpy(npyWith("{'descr': '=f8', 'fortran_order': False, 'shape': (2,)}", f8(1, -2)));
    expect(Array.from(eq.data as Float64Array)).toEqual([1, -2]);
    const pipe = readNpy(npyWith("{'descr':'|u1','fortran_order':True,'shape':(2,2,),}", new Uint8Array([1, 2, 3, 4])));
    expect(Array.from(pipe.data as Uint8Array)).toEqual([1, 3, 2, 4]);
    const b1 = readNpy(npyWith("{'descr': '|b1', 'fortran_order': False, 'shape': (3,)}", new Uint8Array([0, 1, 7])));
    expect(Array.from(b1.data as Uint8Array)).toEqual([0, 1, 1]); // any non-zero byte is True, as in numpy
    const scalar = readNpy(
      npyWith("{'descr': '>i2', 'fortran_order': False, 'shape': ()}", new Uint8Array([0x01, 0x02])),
    );
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data as Int16Array)).toEqual([0x0102]);
  });

  it('returns a DseError ERR_DSE_FORMAT or a well-formed array for random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        formatOrValid(() => readNpy(bytes), assertWellFormed);
      }),
      { numRuns: 300 },
    );
  });

  it('returns ERR_DSE_FORMAT or a well-formed array for mutated and truncated valid files (property)', () => {
    const seeds = Object.keys(expected.files).map((n) => new Uint8Array(fs.readFileSync(path.join(IO_FIXTURES, n))));
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({
        kind: fc.constant('header' as const),
        at: fc.nat(),
        value: fc.constantFrom(...Array.from('{}()[]\',: 0123456789-TrueFalseL<>=|fiub\n"', (c) => c.charCodeAt(0))),
      }),
    );
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (which, mutations) => {
          const bytes = mutate(seeds[which], mutations);
          formatOrValid(() => readNpy(bytes), assertWellFormed);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('#parseNpy', () => {
  it('parses bytes like readNpy', () => {
    const bytes = fs.readFileSync(path.join(IO_FIXTURES, 'cube_i2_be_f.npy'));
    expect(parseNpy(bytes)).toEqual(readNpy(bytes));
    expect(describeArray(parseNpy(bytes))).toEqual(expected.files['cube_i2_be_f.npy']);
  });

  it('rejects anything but bytes with ERR_DSE_TYPE, and malformed bytes with ERR_DSE_FORMAT', () => {
    const e = thrown(() => parseNpy('file.npy' as unknown as Uint8Array));
    expect(e.code).toBe('ERR_DSE_TYPE');
    expect(e.message).toBe('Expected a Uint8Array/Buffer for bytes but received "file.npy"');
    expect(formatError(() => parseNpy(new Uint8Array([1, 2, 3]))).message).toMatch(/the \.npy bytes/);
  });
});

/** Values chosen to hit each dtype's edges. */
const SAMPLES: Record<NpyDtype, NpyArrayInput['data']> = {
  float64: [0.1, -0, Infinity, -Infinity, NaN, 1e-310, Number.MAX_VALUE],
  float32: [0.1, -0, Infinity, NaN, 3.4028234663852886e38, 1.401298464324817e-45],
  float16: [0.1, -0, 65504, 65520, 2 ** -24, 2 ** -25, NaN, -1.5],
  int8: [-128, 127, 0, -1],
  int16: [-32768, 32767, 5],
  int32: [-2147483648, 2147483647, 7],
  int64: [-(2n ** 63n), 2n ** 63n - 1n, 0n, 2n ** 53n + 1n],
  uint8: [0, 255, 128],
  uint16: [0, 65535, 1],
  uint32: [0, 4294967295, 2 ** 31],
  uint64: [0n, 2n ** 64n - 1n, 2n ** 63n],
  bool: [true, false, false, true],
};

function expectedValues(dtype: NpyDtype, data: NpyArrayInput['data']): NpyArray['data'] {
  const src = Array.from(data as ArrayLike<number | bigint | boolean>);
  switch (dtype) {
    case 'float64':
      return Float64Array.from(src, Number);
    case 'float32':
      return Float32Array.from(src, Number);
    case 'float16':
      return Float32Array.from(src, (v) => float16BitsToFloat64(float64ToFloat16Bits(Number(v))));
    case 'int64':
      return BigInt64Array.from(src, (v) => BigInt(v));
    case 'uint64':
      return BigUint64Array.from(src, (v) => BigInt(v));
    case 'bool':
      return Uint8Array.from(src, (v) => (v ? 1 : 0));
    default: {
      const Ctor = {
        int8: Int8Array,
        int16: Int16Array,
        int32: Int32Array,
        uint8: Uint8Array,
        uint16: Uint16Array,
        uint32: Uint32Array,
      }[dtype];
      return new Ctor(src.map(Number));
    }
  }
}

describe('#encodeNpy', () => {
  it('lays out the header like np.save: version 1.0, padded to 64 bytes, newline-terminated', () => {
    const bytes = encodeNpy({ data: new Float64Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = bytes[8] | (bytes[9] << 8);
    expect((10 + hlen) % 64).toBe(0);
    const header = Buffer.from(bytes.subarray(10, 10 + hlen)).toString('latin1');
    expect(header.endsWith('\n')).toBe(true);
    expect(header.trimEnd()).toBe("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }");
    expect(bytes.length).toBe(10 + hlen + 48);
    expect(Buffer.from(encodeNpy({ data: [5], shape: [] }).subarray(10, 70)).toString('latin1')).toContain(
      "'shape': (), }",
    );
    expect(Buffer.from(encodeNpy({ data: [5] }).subarray(10, 70)).toString('latin1')).toContain("'shape': (1,), }");
    expect(Buffer.from(encodeNpy({ data: [true] }).subarray(10, 70)).toString('latin1')).toContain("'descr': '|b1'");
  });

  it.each(ALL_DTYPES)('round-trips %s through parseNpy', (dtype) => {
    const data = SAMPLES[dtype];
    const back = parseNpy(encodeNpy({ data, dtype }));
    expect(back.dtype).toBe(dtype);
    expect(back.shape).toEqual([data.length]);
    expect(back.data).toEqual(expectedValues(dtype, data));
  });

  it('infers the dtype from the typed array and defaults the shape to [length]', () => {
    const cases: [NpyArrayInput['data'], NpyDtype][] = [
      [new Float64Array(2), 'float64'],
      [new Float32Array(2), 'float32'],
      [new Int8Array(2), 'int8'],
      [new Int16Array(2), 'int16'],
      [new Int32Array(2), 'int32'],
      [new BigInt64Array(2), 'int64'],
      [new Uint8Array(2), 'uint8'],
      [new Uint8ClampedArray(2), 'uint8'],
      [new Uint16Array(2), 'uint16'],
      [new Uint32Array(2), 'uint32'],
      [new BigUint64Array(2), 'uint64'],
      [[1, 2], 'float64'],
      [[1n, 2n], 'int64'],
      [[true, false], 'bool'],
      [[], 'float64'],
    ];
    for (const [data, dtype] of cases) {
      const a = parseNpy(encodeNpy({ data }));
      expect(a.dtype).toBe(dtype);
      expect(a.shape).toEqual([data.length]);
    }
  });

  it('converts between types: float16 rounds ties to even, float32 rounds, bigints to floats', () => {
    const h = parseNpy(encodeNpy({ data: new Uint16Array([2049, 2051]), dtype: 'float16' }));
    expect(Array.from(h.data as Float32Array)).toEqual([2048, 2052]);
    const f = parseNpy(encodeNpy({ data: new Float64Array([0.1]), dtype: 'float32' }));
    expect((f.data as Float32Array)[0]).toBe(Math.fround(0.1));
    const big = parseNpy(encodeNpy({ data: new BigInt64Array([2n ** 53n + 1n]), dtype: 'float64' }));
    expect((big.data as Float64Array)[0]).toBe(2 ** 53);
    const i = parseNpy(encodeNpy({ data: new Float64Array([-3, 4]), dtype: 'int64' }));
    expect(Array.from(i.data as BigInt64Array)).toEqual([-3n, 4n]);
    const b = parseNpy(encodeNpy({ data: new Float64Array([1, 0, 1]), dtype: 'bool' }));
    expect(Array.from(b.data as Uint8Array)).toEqual([1, 0, 1]);
  });

  it('keeps shapes, including 0-d, empty and 3-d', () => {
    for (const shape of [[], [0], [0, 3], [3, 0], [2, 3, 4], [1, 1, 1, 1]]) {
      const n = shape.reduce((p, d) => p * d, 1);
      const data = Float64Array.from({ length: n }, (_, k) => k);
      const a = parseNpy(encodeNpy({ data, shape }));
      expect(a.shape).toEqual(shape);
      expect(a.data).toEqual(data);
    }
  });

  it('round-trips random arrays (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL_DTYPES),
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
        fc.integer(),
        (dtype, shape, seed) => {
          const n = shape.reduce((p, d) => p * d, 1);
          const data: number[] = [];
          for (let k = 0; k < n; k++)
            data.push(
              dtype === 'bool' ? (seed + k) & 1 : dtype.startsWith('float') ? (seed * (k + 1)) / 7 : (seed + k) & 0x7f,
            );
          const a = parseNpy(encodeNpy({ data, shape, dtype }));
          assertWellFormed(a);
          expect(a.shape).toEqual(shape);
          expect(a.data).toEqual(expectedValues(dtype, data));
        },
      ),
      { numRuns: 300 },
    );
  });

  itNumpy('gives files numpy reads with the same values, dtype and shape', () => {
    const inputs: Record<string, NpyArrayInput> = {};
    for (const dtype of ALL_DTYPES) inputs[`${dtype}.npy`] = { data: SAMPLES[dtype], dtype };
    inputs['cube.npy'] = { data: Float32Array.from({ length: 24 }, (_, k) => k / 4), shape: [2, 3, 4] };
    inputs['scalar.npy'] = { data: [42], shape: [], dtype: 'int16' };
    inputs['empty.npy'] = { data: [], shape: [0, 3], dtype: 'uint32' };
    const files: string[] = [];
    const ours: Record<string, unknown> = {};
    for (const [name, input] of Object.entries(inputs)) {
      const file = path.join(tmp.dir, 'np', name);
      writeNpy(file, input);
      files.push(file);
      ours[file] = describeArray(readNpy(file));
      expect(readNpy(file)).toEqual(parseNpy(encodeNpy(input)));
    }
    const theirs = numpyLoad(files);
    for (const f of files) expect(theirs[f]).toEqual(ours[f]);
  });

  it('rejects a shape that does not match the data with ERR_DSE_SHAPE', () => {
    const e = thrown(() => encodeNpy({ data: [1, 2, 3, 4, 5], shape: [2, 3] }));
    expect(e.code).toBe('ERR_DSE_SHAPE');
    expect(e.message).toBe(
      'Expected a shape whose product equals the data length 5 for array.shape but received [2, 3] (product 6)',
    );
    const neg = thrown(() => encodeNpy({ data: [], shape: [-1, 0] }));
    expect(neg.code).toBe('ERR_DSE_SHAPE');
    expect(neg.message).toBe('Expected a non-negative integer for array.shape[0] but received -1');
    expect(thrown(() => encodeNpy({ data: [1], shape: [1.5] })).code).toBe('ERR_DSE_SHAPE');
    expect(thrown(() => encodeNpy({ data: [1], shape: Array(65).fill(1) })).message).toMatch(/at most 64 dimensions/);
    expect(thrown(() => encodeNpy({ data: [1], shape: '1' as unknown as number[] })).code).toBe('ERR_DSE_TYPE');
  });

  it('rejects bad data, dtypes and out-of-range values with a clear message', () => {
    expect(thrown(() => encodeNpy(null as unknown as NpyArrayInput)).message).toBe(
      'Expected an object { data, shape?, dtype? } for array but received null',
    );
    expect(thrown(() => encodeNpy({ data: 'abc' } as unknown as NpyArrayInput)).message).toBe(
      'Expected a typed array or an array for array.data but received "abc"',
    );
    expect(thrown(() => encodeNpy({ data: new DataView(new ArrayBuffer(2)) } as unknown as NpyArrayInput)).code).toBe(
      'ERR_DSE_TYPE',
    );
    const dt = thrown(() => encodeNpy({ data: [1], dtype: 'complex128' as NpyDtype }));
    expect(dt.code).toBe('ERR_DSE_OPTION');
    expect(dt.message).toMatch(/^Expected one of 'float64', .* for array\.dtype but received "complex128"$/);
    const range = thrown(() => encodeNpy({ data: [1, 300], dtype: 'uint8' }));
    expect(range.code).toBe('ERR_DSE_TYPE');
    expect(range.message).toBe('Expected an integer in [0, 255] for array.data[1] (dtype uint8) but received 300');
    expect(thrown(() => encodeNpy({ data: [0.5], dtype: 'int32' })).message).toMatch(/received 0\.5$/);
    expect(thrown(() => encodeNpy({ data: [2 ** 63], dtype: 'int64' })).message).toMatch(
      /an integer in \[-9223372036854775808, 9223372036854775807\]/,
    );
    expect(thrown(() => encodeNpy({ data: [-1n], dtype: 'uint64' })).message).toMatch(/received -1n$/);
    expect(thrown(() => encodeNpy({ data: [2], dtype: 'bool' })).message).toBe(
      'Expected 0, 1, true or false for array.data[0] (dtype bool) but received 2',
    );
    expect(thrown(() => encodeNpy({ data: ['x'] as unknown as number[] })).message).toBe(
      'Expected a number for array.data[0] (dtype float64) but received "x"',
    );
  });
});

describe('#writeNpy', () => {
  it('writes atomically, creating folders and leaving no temporary file', () => {
    const file = path.join(tmp.dir, 'a', 'b', 'c', 'x.npy');
    writeNpy(file, { data: [1, 2, 3] });
    expect(Array.from(readNpy(file).data as Float64Array)).toEqual([1, 2, 3]);
    writeNpy(file, { data: [4, 5], dtype: 'int8' }); // replaces the old content
    expect(readNpy(file).dtype).toBe('int8');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['x.npy']);
  });

  it('accepts a bare file name (relative to the working directory)', () => {
    const cwd = process.cwd();
    const dir = path.join(tmp.dir, 'bare');
    fs.mkdirSync(dir);
    process.chdir(dir);
    try {
      writeNpy('bare.npy', { data: new Uint16Array([7]) });
      expect(readNpy('bare.npy').data).toEqual(new Uint16Array([7]));
    } finally {
      process.chdir(cwd);
    }
    expect(fs.readdirSync(dir)).toEqual(['bare.npy']);
  });

  it('throws ERR_DSE_IO without leaving debris when the target cannot be written', () => {
    const dir = path.join(tmp.dir, 'blocked');
    fs.mkdirSync(path.join(dir, 'target.npy'), { recursive: true });
    const e = thrown(() => writeNpy(path.join(dir, 'target.npy'), { data: [1] }));
    expect(e.code).toBe('ERR_DSE_IO');
    expect(e.message).toMatch(/^Could not write ".*target\.npy": /);
    expect(fs.readdirSync(dir)).toEqual(['target.npy']);
    const fileAsFolder = path.join(tmp.dir, 'plain-file');
    fs.writeFileSync(fileAsFolder, 'x');
    expect(thrown(() => writeNpy(path.join(fileAsFolder, 'x.npy'), { data: [1] })).code).toBe('ERR_DSE_IO');
  });

  it('validates before touching the filesystem', () => {
    const file = path.join(tmp.dir, 'never.npy');
    expect(thrown(() => writeNpy(file, { data: [1, 2], shape: [3] })).code).toBe('ERR_DSE_SHAPE');
    expect(fs.existsSync(file)).toBe(false);
    expect(thrown(() => writeNpy(3 as unknown as string, { data: [1] })).code).toBe('ERR_DSE_TYPE');
  });
});

describe('#writeFileAtomic', () => {
  it('writes the bytes, replaces existing files and cleans up', () => {
    const file = path.join(tmp.dir, 'atomic', 'f.bin');
    writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    writeFileAtomic(file, new Uint8Array([9]));
    expect(Array.from(fs.readFileSync(file))).toEqual([9]);
    writeFileAtomic(file, new Uint8Array(0));
    expect(fs.readFileSync(file).length).toBe(0);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['f.bin']);
  });

  it('rejects bad arguments with ERR_DSE_TYPE', () => {
    expect(thrown(() => writeFileAtomic('', new Uint8Array(1))).message).toBe(
      'Expected a non-empty file path string for path but received ""',
    );
    expect(thrown(() => writeFileAtomic(path.join(tmp.dir, 'x'), [1] as unknown as Uint8Array)).message).toBe(
      'Expected a Uint8Array for bytes but received an array of length 1',
    );
  });
});

describe('#decodeNpy', () => {
  it('names the given source in its messages', () => {
    const e = thrown(() => decodeNpy(new Uint8Array(3), 'member "a.npy" of "x.npz"'));
    expect(e.code).toBe('ERR_DSE_FORMAT');
    expect(e.message).toMatch(/for the start of member "a\.npy" of "x\.npz"/);
    expect(decodeNpy(encodeNpy({ data: [1] }), 'x').shape).toEqual([1]);
  });
});

describe('#inputBytes', () => {
  it('reads paths, passes bytes through and rejects anything else', () => {
    const file = path.join(IO_FIXTURES, 'vec_i4.npy');
    const fromPath = inputBytes(file, 'p', 'the bytes');
    expect(fromPath.where).toBe(JSON.stringify(file));
    expect(Buffer.from(fromPath.bytes).equals(fs.readFileSync(file))).toBe(true);
    const bytes = new Uint8Array(2);
    expect(inputBytes(bytes, 'p', 'the bytes')).toEqual({ bytes, where: 'the bytes' });
    expect(thrown(() => inputBytes(null, 'p', 'x')).message).toBe(
      'Expected a file path string or a Uint8Array/Buffer for p but received null',
    );
  });
});

describe('#encodeNpyNamed', () => {
  it('encodes like encodeNpy, naming the argument as told', () => {
    expect(encodeNpyNamed({ data: [1, 2] }, 'x')).toEqual(encodeNpy({ data: [1, 2] }));
    expect(thrown(() => encodeNpyNamed({ data: [1], shape: [2] }, 'arrays["k"]')).message).toMatch(
      /for arrays\["k"\]\.shape/,
    );
  });
});

describe('#checkPath', () => {
  it('accepts non-empty strings and rejects the rest with ERR_DSE_TYPE', () => {
    expect(() => checkPath('a.npy', 'path')).not.toThrow();
    for (const bad of ['', 'a\u0000b', 3, null]) expect(thrown(() => checkPath(bad, 'path')).code).toBe('ERR_DSE_TYPE');
  });
});

describe('#ioError', () => {
  it('wraps a filesystem error as ERR_DSE_IO, keeping the cause', () => {
    const cause = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    const e = ioError('read', 'a.npy', cause);
    expect(e).toBeInstanceOf(DseError);
    expect(e.code).toBe('ERR_DSE_IO');
    expect(e.message).toBe('Could not read "a.npy": ENOENT: no such file');
    expect(e.cause).toBe(cause);
  });
});
