// SPDX-License-Identifier: MIT
// Issue 18 ("Reliability II"): what an outside break-test found. One describe per item; each
// test failed before its fix.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Zip, ZipDeflate } from 'fflate';
import {
  DseError,
  DseTracker,
  diffusionSpectralEntropySync,
  diffusionSpectralMutualInformationSync,
  diffusionSpectralMutualInformation,
  adjacencySpectralMutualInformationSync,
  spectralEntropy,
  traceReport,
  traceCsv,
  parseTraceCsv,
  parseCsv,
} from '../lib';
import { writeNpy, encodeNpy } from '../lib/io/npy';
import { readNpz, writeNpz } from '../lib/io/npz';
import { writeFileAtomic } from '../lib/io/atomic';
import { prefixSvgIds } from '../lib/report/render';
import type { Matrix } from '../lib/validate';
import { expectDseError, expectDseRejection, runCli, uniformMatrix, type CliResult } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-rel-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs `dse ...args` in-process, in the temp folder. */
const dse = (args: string[]): Promise<CliResult> => runCli(tmp, args);

/** Sets Object.prototype[key] for the duration of fn. */
function withPolluted<T>(key: string, value: unknown, fn: () => T): T {
  Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true, enumerable: false });
  try {
    return fn();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
}

/** Sets Object.prototype[key] until the promise fn returns has settled. */
async function withPollutedAsync<T>(key: string, value: unknown, fn: () => Promise<T>): Promise<T> {
  Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true, enumerable: false });
  try {
    return await fn();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
}

describe('item 3: options are own properties only', () => {
  it('ignores a polluted Object.prototype.eigvalSavePath (no options object, and an empty one)', () => {
    const X = uniformMatrix(40, 3, 5);
    const clean = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.5 });
    const file = path.join(tmp, 'polluted.npz');
    withPolluted('eigvalSavePath', file, () => {
      expect(diffusionSpectralEntropySync(X)).toBe(diffusionSpectralEntropySync(X, Object.create(null)));
      expect(diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.5 })).toBe(clean);
    });
    expect(fs.existsSync(file)).toBe(false);
  });

  it('ignores polluted numeric options (gaussianKernelSigma, t)', () => {
    const X = uniformMatrix(40, 3, 6);
    const clean = diffusionSpectralEntropySync(X);
    withPolluted('gaussianKernelSigma', 0.01, () =>
      withPolluted('t', 5, () => expect(diffusionSpectralEntropySync(X)).toBe(clean)),
    );
  });

  it('ignores polluted tracker and report options', async () => {
    const tracker = withPolluted('maxN', 7, () => new DseTracker({ gaussianKernelSigma: 1 }));
    expect(tracker.options().maxN).toBe(10000);
    const X = uniformMatrix(30, 3, 7);
    const rec = await withPolluted('layer', 'polluted', () => tracker.record({ epoch: 1, embeddings: X }));
    expect(rec.layer).toBe('embeddings');
    const doc = withPolluted('title', 'polluted title', () => traceReport(tracker.results()));
    expect(doc.title).toBe('DSE / DSMI during training');
  });

  it('ignores a polluted prototype in the CLI flags', async () => {
    const X = uniformMatrix(30, 3, 8);
    const file = path.join(tmp, 'x.csv');
    fs.writeFileSync(
      file,
      Array.from({ length: 30 }, (_v, i) => Array.from(X.data.subarray(i * 3, i * 3 + 3)).join(',')).join('\n'),
    );
    const clean = await dse(['entropy', 'x.csv', '--json']);
    expect(clean.code).toBe(0);
    const polluted = await withPollutedAsync('cache', path.join(tmp, 'from-prototype.npz'), () =>
      dse(['entropy', 'x.csv', '--json']),
    );
    expect(polluted.code).toBe(0);
    expect(fs.existsSync(path.join(tmp, 'from-prototype.npz'))).toBe(false);
    expect(JSON.parse(polluted.stdout).value).toBe(JSON.parse(clean.stdout).value);
  });
});

function writeMatrixCsv(file: string, m: Matrix): void {
  const lines: string[] = [];
  for (let i = 0; i < m.rows; i++) lines.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)).join(','));
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

describe('item 4: the CLI refuses an output that is an input', () => {
  const dir = path.join(tmp, 'item4');
  beforeAll(() => {
    fs.mkdirSync(path.join(dir, 'runs', 'a'), { recursive: true });
    writeNpy(path.join(dir, 'y.npy'), { data: Int32Array.from({ length: 40 }, (_v, i) => i % 2) });
    writeNpy(path.join(dir, 'z.npy'), { data: uniformMatrix(40, 3, 41).data, shape: [40, 3] });
    for (const e of [1, 2])
      writeNpy(path.join(dir, 'runs', 'a', `epoch_${e}.npy`), {
        data: uniformMatrix(40, 3, 41 + e).data,
        shape: [40, 3],
      });
    fs.symlinkSync(path.join(dir, 'y.npy'), path.join(dir, 'link-to-y.npy'));
  });
  const snapshot = () =>
    ['y.npy', 'z.npy', 'runs/a/epoch_1.npy', 'runs/a/epoch_2.npy'].map((f) =>
      fs.readFileSync(path.join(dir, f)).toString('hex'),
    );

  it.each([
    [['trace', 'item4/runs', '--labels', 'item4/y.npy', '--out', 'item4/y.npy'], /--out .*is the --labels file/],
    [
      ['trace', 'item4/runs', '--labels', 'item4/y.npy', '--csv', 'item4/runs/a/epoch_2.npy'],
      /--csv .*is the epoch file "a\/epoch_2.npy"/,
    ],
    [
      ['trace', 'item4/runs', '--labels', 'item4/y.npy', '--out', 'item4/link-to-y.npy'],
      /--out .*is the --labels file/,
    ],
    [
      ['mi', 'item4/z.npy', 'item4/y.npy', '--save-clusters', 'item4/z.npy'],
      /--save-clusters .*is the embeddings file/,
    ],
    [
      ['mi', 'item4/z.npy', 'item4/y.npy', '--save-clusters', 'item4/./y.npy'],
      /--save-clusters .*is the reference file/,
    ],
  ])('refuses %j before any work, leaving every input as it was', async (args, message) => {
    const before = snapshot();
    const r = await dse(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshot()).toEqual(before);
  });
});

describe('item 5: CSV cells cannot be spreadsheet formulas', () => {
  it('neutralises text cells starting with = + - @ tab or CR, and keeps numbers as numbers', () => {
    const csv = traceCsv([
      {
        layer: '=HYPERLINK("http://x","y")',
        epoch: 1,
        rows: 3,
        cols: 2,
        dse: -1.5,
        dsmiY: null,
        dsmiX: null,
        seconds: 0.1,
      },
      { layer: '@SUM(A1:A2)', epoch: 2, rows: 3, cols: 2, dse: 2, dsmiY: null, dsmiX: null, seconds: 0.1 },
      { layer: '+cmd', epoch: 3, rows: 3, cols: 2, dse: 2, dsmiY: null, dsmiX: null, seconds: 0.1 },
      { layer: '-x', epoch: 4, rows: 3, cols: 2, dse: 2, dsmiY: null, dsmiX: null, seconds: 0.1 },
      { layer: '\tx', epoch: 5, rows: 3, cols: 2, dse: 2, dsmiY: null, dsmiX: null, seconds: 0.1 },
    ]);
    const lines = csv.trim().split('\n').slice(1);
    // Sorted by layer (first appearance) then epoch.
    expect(lines[0]).toBe(`"'=HYPERLINK(""http://x"",""y"")",1,3,2,-1.5,,,0.1,,,,,,`);
    expect(lines[1].startsWith(`"'@SUM(A1:A2)",`)).toBe(true);
    expect(lines[2].startsWith(`"'+cmd",`)).toBe(true);
    expect(lines[3].startsWith(`"'-x",`)).toBe(true);
    expect(lines[4].startsWith(`"'\tx",`)).toBe(true);
    for (const line of lines) expect(line).not.toMatch(/^[=+\-@\t\r]/);
    // and read back as written
    expect(parseTraceCsv(csv).records.map((r) => r.layer)).toEqual([
      '=HYPERLINK("http://x","y")',
      '@SUM(A1:A2)',
      '+cmd',
      '-x',
      '\tx',
    ]);
  });
});

describe('item 6: numBinsPerDim costs nothing in memory or time', () => {
  it('bins 1e9 and 2^52 per dimension in milliseconds, each distinct row its own cell', () => {
    const X = uniformMatrix(200, 3, 61);
    for (const bins of [1e9, 2 ** 52]) {
      const start = process.hrtime.bigint();
      const v = diffusionSpectralEntropySync(X, { classicShannonEntropy: true, numBinsPerDim: bins });
      expect(Number(process.hrtime.bigint() - start) / 1e9).toBeLessThan(1);
      expect(v).toBeCloseTo(Math.log2(200), 9);
    }
    // Small bin counts are unchanged (the same edges, found by bisection).
    expect(diffusionSpectralEntropySync(X, { classicShannonEntropy: true, numBinsPerDim: 3 })).toBeLessThan(
      Math.log2(27) + 1e-9,
    );
  });
});

/** An npz whose member really inflates to `declared` bytes, with a .npy header of `shape` float64. */
function inflatingNpz(declared: number, shape: number[]): Uint8Array {
  const header = encodeNpy({ data: new Float64Array(shape.reduce((a, b) => a * b, 1)), shape }).subarray(0, 128);
  const parts: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    parts.push(chunk);
  });
  const member = new ZipDeflate('eigvals.npy', { level: 1 });
  zip.add(member);
  member.push(header);
  const zeros = new Uint8Array(1 << 20);
  let left = declared - header.length;
  while (left > 0) {
    const n = Math.min(left, zeros.length);
    left -= n;
    member.push(zeros.subarray(0, n), left === 0);
  }
  zip.end();
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('item 7: inflation is capped by what a member says it holds', () => {
  it('refuses a member whose .npy header holds far less than its declared size before inflating it', () => {
    const bomb = inflatingNpz(128 * 1024 ** 2, [10]);
    expect(bomb.length).toBeLessThan(1024 ** 2);
    // Before: 128 MiB allocated and inflated, then "Expected 208 bytes ... but received 134217728".
    expectDseError(
      () => readNpz(bomb),
      'ERR_DSE_FORMAT',
      /a declared size equal to what its \.npy header holds \(208 bytes\) .* but received 134217728 bytes declared/,
    );
  });

  it('caps an eigenvalue cache at 64 MiB', async () => {
    const file = path.join(tmp, 'bomb-cache.npz');
    const entries = 9 * 1024 ** 2; // 72 MiB of float64
    fs.writeFileSync(file, inflatingNpz(128 + 8 * entries, [entries]));
    expectDseError(
      () => diffusionSpectralEntropySync(uniformMatrix(20, 2, 71), { eigvalSavePath: file }),
      'ERR_DSE_CACHE',
      /maxBytes = 67108864/,
    );
  });
});

describe('item 8: no spread of unbounded arrays', () => {
  // 25000 distinct labels make 150000 subsets, more than Math.max(...sizes) could take (a
  // working DSMI of 40000 takes ~40 s here, too long for the suite; these stop at a clear error).
  const n = 25000;
  const X = uniformMatrix(n, 2, 81);
  const labels = Int32Array.from({ length: n }, (_v, i) => i);
  it('ASMI with useKnn and 40000 distinct labels: the smallest cluster, named', () => {
    expectDseError(
      () => adjacencySpectralMutualInformationSync(X, labels, { useKnn: true }),
      'ERR_DSE_OPTION',
      /the smallest has 1/,
    );
  });
  it('DSMI with 40000 distinct labels under a memory limit: ERR_DSE_MEMORY', () => {
    expectDseError(
      () => diffusionSpectralMutualInformationSync(X, labels, { memoryLimitBytes: 1e6 }),
      'ERR_DSE_MEMORY',
      /150000 subsets/,
    );
  });

  it('refuses numRepetitions 1e6 at once with ERR_DSE_MEMORY naming the subsets', () => {
    const X = uniformMatrix(2000, 2, 82);
    const labels = Int32Array.from({ length: 2000 }, (_v, i) => i % 4);
    const start = process.hrtime.bigint();
    expectDseError(
      () => diffusionSpectralMutualInformationSync(X, labels, { numRepetitions: 1e6, memoryLimitBytes: 1e9 }),
      'ERR_DSE_MEMORY',
      /4000004 subsets: 4 clusters x \(numRepetitions 1000000 \+ 1\).*Lower numRepetitions/,
    );
    expect(Number(process.hrtime.bigint() - start) / 1e9).toBeLessThan(1);
  });
});

describe('item 10: every failure is a DseError', () => {
  it('refuses a fake typed array (Symbol.toStringTag) with ERR_DSE_TYPE', () => {
    const fake = { [Symbol.toStringTag]: 'Float64Array', length: 6 };
    expectDseError(
      () => diffusionSpectralEntropySync({ data: fake as never, rows: 3, cols: 2 }),
      'ERR_DSE_TYPE',
      /Float64Array or Float32Array for X.data/,
    );
  });

  it('reads tensors whose dataSync() returns a BigInt64Array, refuses null with ERR_DSE_TYPE', () => {
    const X = uniformMatrix(30, 2, 101);
    const ints = BigInt64Array.from(X.data, (v) => BigInt(Math.round(v * 100)));
    const asNumbers = { data: Float64Array.from(ints, (v) => Number(v)), rows: 30, cols: 2 };
    expect(diffusionSpectralEntropySync({ shape: [30, 2], dataSync: () => ints } as never)).toBe(
      diffusionSpectralEntropySync(asNumbers),
    );
    expectDseError(
      () => diffusionSpectralEntropySync({ shape: [30, 2], dataSync: () => null } as never),
      'ERR_DSE_TYPE',
      /X.dataSync\(\)/,
    );
    expectDseError(
      () =>
        diffusionSpectralEntropySync({
          shape: [30, 2],
          dataSync: () => {
            throw new Error('disposed');
          },
        } as never),
      'ERR_DSE_TYPE',
      /dataSync\(\) threw disposed/,
    );
  });

  it('gives ERR_DSE_TYPE for a DSMI reference tensor whose dataSync() throws, and reads a 2-D one once', async () => {
    const X = uniformMatrix(30, 2, 102);
    const disposed = (shape: number[]) =>
      ({
        shape,
        dataSync: () => {
          throw new Error('disposed');
        },
      }) as never;
    for (const shape of [[30], [30, 2]]) {
      expectDseError(
        () => diffusionSpectralMutualInformationSync(X, disposed(shape)),
        'ERR_DSE_TYPE',
        /Could not read reference: its dataSync\(\) threw disposed/,
      );
      await expectDseRejection(diffusionSpectralMutualInformation(X, disposed(shape)), 'ERR_DSE_TYPE');
    }
    const Y = uniformMatrix(30, 2, 103);
    let reads = 0;
    const tensor = {
      shape: [30, 2],
      dataSync: () => {
        reads++;
        return Y.data;
      },
    };
    expect(diffusionSpectralMutualInformationSync(X, tensor as never).value).toBe(
      diffusionSpectralMutualInformationSync(X, Y).value,
    );
    expect(reads).toBe(1);
    // DseTracker's labels go the same way.
    expect(() => new DseTracker({ labels: disposed([30]) })).toThrow(
      expect.objectContaining({ name: 'DseError', code: 'ERR_DSE_TYPE', message: expect.stringContaining('labels') }),
    );
  });

  it('checks the values of a 1-D reference tensor or { data, shape } against its shape', () => {
    const X = uniformMatrix(30, 2, 104);
    const cases: [unknown, string, RegExp][] = [
      [
        { shape: [30], dataSync: () => null },
        'ERR_DSE_TYPE',
        /typed array or an array of numbers for reference.dataSync\(\) but received null/,
      ],
      [{ shape: [30], data: undefined }, 'ERR_DSE_TYPE', /for reference.data but received undefined/],
      [
        { shape: [99], data: new Int32Array(30) },
        'ERR_DSE_SHAPE',
        /99 values \(reference.shape\) for reference.data but received 30/,
      ],
      [
        { shape: [99], dataSync: () => new Int32Array(30) },
        'ERR_DSE_SHAPE',
        /for reference.dataSync\(\) but received 30/,
      ],
    ];
    for (const [reference, code, message] of cases)
      expectDseError(() => diffusionSpectralMutualInformationSync(X, reference as never), code, message);
  });

  it('wraps a failure of the memory estimate in a DseError (async too)', async () => {
    const fake = { [Symbol.toStringTag]: 'Float32Array', length: 6 };
    await expectDseRejection(
      diffusionSpectralMutualInformation({ data: fake as never, rows: 3, cols: 2 }, [0, 1, 0]),
      'ERR_DSE_TYPE',
    );
  });

  it('names dangling links and link loops in a dse trace folder in one line', async () => {
    const dir = path.join(tmp, 'item10');
    fs.mkdirSync(path.join(dir, 'runs', 'a'), { recursive: true });
    writeNpy(path.join(dir, 'y.npy'), { data: Int32Array.from({ length: 20 }, (_v, i) => i % 2) });
    writeNpy(path.join(dir, 'runs', 'a', 'epoch_1.npy'), { data: uniformMatrix(20, 2, 102).data, shape: [20, 2] });
    fs.symlinkSync(path.join(dir, 'nowhere.npy'), path.join(dir, 'runs', 'a', 'epoch_2.npy'));
    const dangling = await dse(['trace', 'item10/runs', '--labels', 'item10/y.npy', '--no-report']);
    expect(dangling.code).toBe(2);
    expect(dangling.stderr).toBe(
      'dse: Could not read "a/epoch_2.npy" in the trace folder: a symbolic link to nothing (dangling)\n',
    );
    fs.unlinkSync(path.join(dir, 'runs', 'a', 'epoch_2.npy'));
    fs.symlinkSync('epoch_3.npy', path.join(dir, 'runs', 'a', 'epoch_2.npy'));
    fs.symlinkSync('epoch_2.npy', path.join(dir, 'runs', 'a', 'epoch_3.npy'));
    const loop = await dse(['trace', 'item10/runs', '--labels', 'item10/y.npy', '--no-report']);
    expect(loop.code).toBe(2);
    expect(loop.stderr).toMatch(
      /^dse: Could not read "a\/epoch_\d.npy" in the trace folder: a loop of symbolic links\n$/,
    );
  });
});

describe('item 11: precomputedClusters as a BigInt64Array', () => {
  it('gives the value of the same labels as an Int32Array', () => {
    const X = uniformMatrix(120, 3, 111);
    const i32 = Int32Array.from({ length: 120 }, (_v, i) => i % 3);
    const i64 = BigInt64Array.from(i32, (v) => BigInt(v));
    const ref = uniformMatrix(120, 2, 112);
    const a = diffusionSpectralMutualInformationSync(X, ref, { precomputedClusters: i32 }).value;
    expect(diffusionSpectralMutualInformationSync(X, ref, { precomputedClusters: i64 }).value).toBe(a);
    expectDseError(
      () =>
        diffusionSpectralMutualInformationSync(X, ref, {
          precomputedClusters: BigInt64Array.from(i64, (v, i) => (i === 5 ? 2n ** 40n : v)),
        }),
      'ERR_DSE_TYPE',
      /precomputedClusters\[5\]/,
    );
  });
});

describe('item 12: long file names', () => {
  it('writes a cache file whose name is 250 bytes long', () => {
    const file = path.join(tmp, `${'c'.repeat(246)}.npz`);
    const X = uniformMatrix(30, 2, 121);
    const v = diffusionSpectralEntropySync(X, { eigvalSavePath: file });
    expect(fs.existsSync(file)).toBe(true);
    expect(diffusionSpectralEntropySync(X, { eigvalSavePath: file })).toBe(v);
    writeFileAtomic(path.join(tmp, `${'d'.repeat(255)}`), new Uint8Array([1]));
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('item 13: memory messages below 1 MiB', () => {
  it('prints exact bytes', () => {
    expectDseError(
      () => diffusionSpectralEntropySync(uniformMatrix(30, 2, 131), { memoryLimitBytes: 1 }),
      'ERR_DSE_MEMORY',
      /needs about \d+ bytes of memory .* but 1 byte is allowed/,
    );
  });
});

describe('item 14: one rule for CLI flag values', () => {
  beforeAll(() => writeMatrixCsv(path.join(tmp, 'x14.csv'), uniformMatrix(30, 3, 141)));
  it('exits 1 for a value the library refuses (--probes 3) as for one the parser refuses', async () => {
    const probes = await dse(['entropy', 'x14.csv', '--method', 'slq', '--probes', '3']);
    expect(probes.code).toBe(1);
    expect(probes.stderr).toMatch(/slq.probes/);
  });
  it.each([['0x10'], ['0b1'], ['Infinity'], ['1_0'], ['']])(
    'refuses --sigma %j (numbers are decimal)',
    async (value) => {
      const r = await dse(['entropy', 'x14.csv', '--sigma', value]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/--sigma/);
    },
  );
  it('accepts decimal forms', async () => {
    const a = await dse(['entropy', 'x14.csv', '--sigma', '16', '--json']);
    const b = await dse(['entropy', 'x14.csv', '--sigma', '1.6e1', '--json']);
    expect(JSON.parse(b.stdout).value).toBe(JSON.parse(a.stdout).value);
  });
});

describe('item 15: a CSV header is decided by one rule, and no data row is dropped', () => {
  it.each([[',1,2\n3,4,5\n'], ['0x10,1\n2,3\n'], ['"a",1\n2,3\n']])(
    'reads %j as data and reports its bad field',
    (text) => {
      expectDseError(() => parseCsv(text), 'ERR_DSE_FORMAT', /at line 1, column 1/);
    },
  );
  it('takes quoted numbers as data and text-only lines as headers', () => {
    expect(parseCsv('"1","2"\n3,4\n')).toMatchObject({ rows: 2, header: null });
    expect(parseCsv('x,y\n3,4\n')).toMatchObject({ rows: 1, header: ['x', 'y'] });
    expect(parseCsv(',a,b\n1,3,4\n')).toMatchObject({ rows: 1, header: ['', 'a', 'b'] });
  });
});

describe('item 16: underflowing |lambda|^t is rescaled like overflow', () => {
  it('gives the entropy of the rescaled spectrum', () => {
    expect(spectralEntropy([1e-200, 1e-200], { t: 2 })).toBeCloseTo(1, 12);
    expect(spectralEntropy([3e-200, 1e-200], { t: 2 })).toBeCloseTo(spectralEntropy([3, 1], { t: 2 }), 12);
    expect(spectralEntropy([1e-170, 1e-170], { t: 2 })).toBeCloseTo(1, 12); // subnormal sum
    expectDseError(() => spectralEntropy([0, 0]), 'ERR_DSE_NON_FINITE');
  });
});

describe('item 17: prefixSvgIds rewrites attributes only', () => {
  it('leaves legend text that looks like ids alone', () => {
    const svg = '<g id="a" clip-path="url(#c)"><use href="#a"/><text x="1">id="x" url(#y) href="#z"</text></g>';
    expect(prefixSvgIds(svg, 'p')).toBe(
      '<g id="p-a" clip-path="url(#p-c)"><use href="#p-a"/><text x="1">id="x" url(#y) href="#z"</text></g>',
    );
  });
});

describe('item 18: an npz with bytes before the zip', () => {
  it('is read as Python zipfile reads it (offsets shifted by the prefix)', () => {
    const file = path.join(tmp, 'plain.npz');
    writeNpz(file, { a: { data: Float64Array.from([0, 1, 2, 3]) } });
    const prefixed = Buffer.concat([Buffer.from('\x00\x01JUNK\xff\xfe'.repeat(10), 'latin1'), fs.readFileSync(file)]);
    expect(Array.from(readNpz(new Uint8Array(prefixed)).a.data as Float64Array)).toEqual([0, 1, 2, 3]);
    expectDseError(
      () => readNpz(new Uint8Array(prefixed.subarray(0, prefixed.length - 10))),
      'ERR_DSE_FORMAT',
      /^[\x20-\x7e]+$/,
    );
  });
});

void DseError;
