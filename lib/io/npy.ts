// SPDX-License-Identifier: MIT
/**
 * Reader and writer for numpy's `.npy` format (versions 1.0, 2.0 and 3.0).
 *
 * Layout: the magic string `\x93NUMPY`, a major and a minor version byte, the header
 * length (little-endian u16 for 1.0, u32 for 2.0/3.0), then the header: a Python dict
 * literal `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }` padded with
 * spaces and a final newline so that the data starts at a multiple of 64 bytes, then
 * the raw element data. Version 3.0 only differs by a UTF-8 (instead of latin-1) header.
 *
 * The header is read by a small strict parser for Python literals (never `eval`), every
 * size is checked against the bytes actually present before anything is allocated, and
 * every failure is a `DseError` (`ERR_DSE_FORMAT` for malformed data).
 */

import * as fs from 'fs';
import { DseError, describe, invalid, raw } from '../errors';
import { checkPath, ioError, writeFileAtomic } from './atomic';
import { float16Table, float64ToFloat16Bits } from './float16';
import { LITTLE_ENDIAN_HOST } from './endian';

/**
 * Element types understood by {@link readNpy} and {@link encodeNpy} (numpy names).
 *
 * @example
 * ```ts
 * const dtype: NpyDtype = 'float16'; // stored as '<f2', read back as a Float32Array
 * ```
 */
export type NpyDtype =
  | 'float64'
  | 'float32'
  | 'float16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool';

/**
 * The typed arrays an {@link NpyArray} can hold.
 *
 * @example
 * ```ts
 * const data: NpyData = readNpy('labels.npy').data; // e.g. a BigInt64Array for int64
 * ```
 */
export type NpyData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/**
 * An n-dimensional array read from a `.npy` file.
 *
 * `data` is always in C (row-major) order and native byte order. Its type follows
 * `dtype`: `Float64Array` for float64, `Float32Array` for float32 *and* float16 (the
 * halves are widened exactly), `Uint8Array` of 0/1 for bool, `BigInt64Array` /
 * `BigUint64Array` for int64 / uint64, and the matching typed array otherwise.
 *
 * @example
 * ```ts
 * const a: NpyArray = readNpy('blobs.npy');
 * const [rows, cols] = a.shape;
 * const x01 = (a.data as Float64Array)[0 * cols + 1];
 * ```
 */
export interface NpyArray {
  /** The elements in C order. */
  data: NpyData;
  /** The dimensions; `[]` for a 0-d (scalar) array. */
  shape: number[];
  /** The element type of the file. */
  dtype: NpyDtype;
}

/**
 * What {@link encodeNpy} accepts: the values (a typed array or a plain array), an
 * optional shape (default `[data.length]`) and an optional dtype (default: the one that
 * matches the typed array; `float64` for a plain array of numbers, `int64` for bigints,
 * `bool` for booleans). `data` always holds *values*: with `dtype: 'float16'` a
 * `Uint16Array` holds numbers to round, not half bit patterns.
 *
 * @example
 * ```ts
 * const input: NpyArrayInput = { data: [1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: 'float32' };
 * ```
 */
export interface NpyArrayInput {
  /** Elements in C (row-major) order. */
  data: NpyData | Uint8ClampedArray | readonly number[] | readonly bigint[] | readonly boolean[];
  /** Dimensions; their product must equal `data.length`. Default `[data.length]`. */
  shape?: readonly number[];
  /** Element type to store. */
  dtype?: NpyDtype;
}

/**
 * Header lengths above this (1 MiB) are refused as absurd (numpy itself stops at 10 000 bytes).
 *
 * @example
 * ```ts
 * MAX_NPY_HEADER_BYTES; // 1048576
 * ```
 */
export const MAX_NPY_HEADER_BYTES = 1 << 20;
/** numpy's limit on the number of dimensions (NPY_MAXDIMS). */
const MAX_NDIM = 64;

/** A typed array class, as its constructor. */
type ArrayClass = new (bufferOrLength: ArrayBuffer | number, byteOffset?: number, length?: number) => NpyData;

interface DtypeInfo {
  dtype: NpyDtype;
  kind: 'f' | 'i' | 'u' | 'b';
  size: 1 | 2 | 4 | 8;
  /** The typed array holding the elements' bytes as they are in the file (float16: their bits). */
  array: ArrayClass;
}

/** Where each dtype's elements are held as they are in the file (float16: their bits). */
const ARRAYS: Record<NpyDtype, ArrayClass> = {
  float64: Float64Array,
  float32: Float32Array,
  float16: Uint16Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

/** Kind and size read from the name: 'uint16' is kind 'u', 2 bytes; 'bool' is 'b', 1 byte. */
const DTYPES = Object.fromEntries(
  Object.entries(ARRAYS).map(([dtype, array]) => {
    const bits = Number(/\d+$/.exec(dtype)?.[0] ?? 8);
    return [dtype, { dtype, kind: dtype[0], size: bits / 8, array }];
  }),
) as Record<NpyDtype, DtypeInfo>;

const DTYPE_NAMES = Object.keys(DTYPES) as NpyDtype[];

/** The little-endian descr numpy writes for each dtype. */
function descrOf(info: DtypeInfo): string {
  return `${info.size === 1 ? '|' : '<'}${info.kind}${info.size}`;
}

const SUPPORTED_DESCRS = DTYPE_NAMES.map((d) => `'${descrOf(DTYPES[d])}'`).join(', ');

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

function formatError(where: string, field: string, expected: string, actual: string, hint?: string): DseError {
  return invalid('ERR_DSE_FORMAT', `${field} of ${where}`, expected, raw(actual), hint);
}

function showBytes(bytes: Uint8Array, max = 8): string {
  if (bytes.length === 0) return 'nothing (0 bytes)';
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `bytes ${shown}${bytes.length > max ? ' ...' : ''}`;
}

function pyRepr(s: string): string {
  const clipped = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  // Control characters are what this escapes.
  // eslint-disable-next-line no-control-regex
  return `'${clipped.replace(/[\\']/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f-\u00ff]/g, hex)}'`;
}

// ---------------------------------------------------------------------------------------
// A strict parser for the Python literals that can appear in a .npy header
// ---------------------------------------------------------------------------------------

type PyValue =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'tuple'; items: PyValue[] }
  | { t: 'list'; items: PyValue[] }
  | { t: 'dict'; entries: [PyValue, PyValue][] };

class HeaderSyntaxError extends Error {}

const MAX_NESTING = 32;

class LiteralParser {
  private pos = 0;

  constructor(private readonly src: string) {}

  parseDocument(): PyValue {
    this.skipSpace();
    const value = this.value(0);
    this.skipSpace();
    if (this.pos < this.src.length) {
      this.fail(`unexpected ${this.found()} after the closing brace`);
    }
    return value;
  }

  private fail(message: string): never {
    throw new HeaderSyntaxError(`${message} at character ${this.pos}`);
  }

  private found(): string {
    if (this.pos >= this.src.length) return 'end of header';
    return `character ${JSON.stringify(this.src[this.pos])}`;
  }

  private skipSpace(): void {
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\n' || c === '\t' || c === '\r') this.pos++;
      else break;
    }
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.src[this.pos] !== ch) this.fail(`expected ${JSON.stringify(ch)} but found ${this.found()}`);
    this.pos++;
  }

  private value(depth: number): PyValue {
    if (depth > MAX_NESTING) this.fail('literal nested too deeply');
    this.skipSpace();
    const c = this.src[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.sequence(depth, '(', ')');
    if (c === '[') return this.sequence(depth, '[', ']');
    if (c === "'" || c === '"') return { t: 'str', v: this.string() };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return { t: 'int', v: this.integer() };
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos, this.pos + 16));
    if (word) {
      if (word[0] === 'True' || word[0] === 'False') {
        this.pos += word[0].length;
        return { t: 'bool', v: word[0] === 'True' };
      }
      if (word[0] === 'None') {
        this.pos += 4;
        return { t: 'none' };
      }
      this.fail(`unexpected name ${JSON.stringify(word[0])}`);
    }
    this.fail(`expected a value but found ${this.found()}`);
  }

  private string(): string {
    const quote = this.src[this.pos++];
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) this.fail('unterminated string');
      const c = this.src[this.pos++];
      if (c === quote) return out;
      if (c === '\n' || c === '\r') this.fail('line break inside a string');
      if (c === '\\') {
        const e = this.src[this.pos++];
        if (e === '\\' || e === "'" || e === '"') out += e;
        else this.fail('unsupported escape sequence in a string');
      } else {
        out += c;
      }
    }
  }

  private integer(): bigint {
    const m = /^-?(0|[1-9][0-9]*)/.exec(this.src.slice(this.pos, this.pos + 400));
    if (!m) this.fail(`expected digits but found ${this.found()}`);
    this.pos += m[0].length;
    const next = this.src[this.pos];
    if (next === 'L' || next === 'l')
      this.pos++; // Python 2 long suffix, written by old numpy
    else if (next !== undefined && /[0-9A-Za-z_.]/.test(next))
      this.fail(`malformed integer followed by ${this.found()}`);
    return BigInt(m[0]);
  }

  private sequence(depth: number, open: string, close: string): PyValue {
    this.pos++; // the opening bracket
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] === close) {
        this.pos++;
        break;
      }
      if (items.length > 0) {
        this.expect(',');
        sawComma = true;
        this.skipSpace();
        if (this.src[this.pos] === close) {
          this.pos++;
          break;
        }
      }
      items.push(this.value(depth + 1));
    }
    if (open === '(') {
      // `(5)` is just the integer 5 in Python, not a tuple.
      if (items.length === 1 && !sawComma) return items[0];
      return { t: 'tuple', items };
    }
    return { t: 'list', items };
  }

  private dict(depth: number): PyValue {
    this.pos++; // '{'
    const entries: [PyValue, PyValue][] = [];
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] === '}') {
        this.pos++;
        break;
      }
      if (entries.length > 0) {
        this.expect(',');
        this.skipSpace();
        if (this.src[this.pos] === '}') {
          this.pos++;
          break;
        }
      }
      const key = this.value(depth + 1);
      this.expect(':');
      const value = this.value(depth + 1);
      entries.push([key, value]);
    }
    return { t: 'dict', entries };
  }
}

function showPy(v: PyValue): string {
  switch (v.t) {
    case 'str':
      return pyRepr(v.v);
    case 'int':
      return v.v.toString();
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return v.items.length === 1 ? `(${showPy(v.items[0])},)` : `(${v.items.map(showPy).join(', ')})`;
    case 'list':
      return `[${v.items.map(showPy).join(', ')}]`;
    case 'dict':
      return `{${v.entries.map(([k, x]) => `${showPy(k)}: ${showPy(x)}`).join(', ')}}`;
  }
}

function clip(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n - 3)}...` : s;
}

// ---------------------------------------------------------------------------------------
// Header interpretation
// ---------------------------------------------------------------------------------------

interface Descr {
  info: DtypeInfo;
  /** True when the file's bytes are in the opposite order of this machine's. */
  swap: boolean;
}

function parseDescr(value: PyValue, where: string): Descr {
  if (value.t !== 'str') {
    const hint = value.t === 'list' ? 'Structured (record) dtypes are not supported' : undefined;
    throw formatError(
      where,
      "the header's 'descr'",
      `a dtype string such as ${SUPPORTED_DESCRS}`,
      clip(showPy(value)),
      hint,
    );
  }
  const s = value.v;
  const m = /^([<>=|]?)([a-zA-Z?])(\d*)$/.exec(s);
  const kind = s.replace(/^[<>=|]/, '').charAt(0);
  const size = m && m[3] !== '' ? Number(m[3]) : NaN;
  const info = DTYPE_NAMES.map((d) => DTYPES[d]).find((d) => d.kind === kind && d.size === size);
  if (!m || !info) {
    let hint = 'Only plain numeric and bool dtypes are supported';
    if (kind === 'O') hint = 'Object arrays (pickled Python objects) are not supported';
    else if (kind === 'c') hint = 'Complex dtypes are not supported';
    else if (kind === 'U' || kind === 'S' || kind === 'a') hint = 'String dtypes are not supported';
    else if (kind === 'M' || kind === 'm') hint = 'Datetime and timedelta dtypes are not supported';
    else if (kind === 'V') hint = 'Void (raw or structured) dtypes are not supported';
    else if (kind === 'f') hint = 'Only float16, float32 and float64 are supported';
    throw formatError(
      where,
      "the header's 'descr'",
      `one of ${SUPPORTED_DESCRS} (byte order <, > or =)`,
      pyRepr(s),
      hint,
    );
  }
  const order = m[1];
  const fileLittle = order === '<' ? true : order === '>' ? false : LITTLE_ENDIAN_HOST; // '=', '|' or none: native
  return { info, swap: info.size > 1 && fileLittle !== LITTLE_ENDIAN_HOST };
}

interface Header {
  descr: Descr;
  fortran: boolean;
  shape: number[];
  count: number;
}

function interpretHeader(text: string, where: string): Header {
  let doc: PyValue;
  try {
    doc = new LiteralParser(text).parseDocument();
  } catch (e) {
    if (e instanceof HeaderSyntaxError) {
      throw formatError(
        where,
        'the header',
        'a Python dict literal',
        clip(JSON.stringify(text.trimEnd())),
        `Syntax error: ${e.message}`,
      );
    }
    throw e;
  }
  if (doc.t !== 'dict') {
    throw formatError(where, 'the header', 'a Python dict literal', clip(showPy(doc)));
  }
  const seen = new Map<string, PyValue>();
  for (const [k, v] of doc.entries) {
    if (k.t !== 'str' || !['descr', 'fortran_order', 'shape'].includes(k.v)) {
      throw formatError(
        where,
        'the header',
        "only the keys 'descr', 'fortran_order' and 'shape'",
        `the key ${clip(showPy(k))}`,
      );
    }
    if (seen.has(k.v)) throw formatError(where, 'the header', 'each key once', `${pyRepr(k.v)} twice`);
    seen.set(k.v, v);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!seen.has(key)) {
      throw formatError(
        where,
        'the header',
        "the keys 'descr', 'fortran_order' and 'shape'",
        `a dict without ${pyRepr(key)}`,
      );
    }
  }
  const descr = parseDescr(seen.get('descr')!, where);
  const fo = seen.get('fortran_order')!;
  if (fo.t !== 'bool') {
    throw formatError(where, "the header's 'fortran_order'", 'True or False', clip(showPy(fo)));
  }
  const sh = seen.get('shape')!;
  if (sh.t !== 'tuple') {
    throw formatError(where, "the header's 'shape'", 'a tuple of non-negative integers', clip(showPy(sh)));
  }
  if (sh.items.length > MAX_NDIM) {
    throw formatError(where, "the header's 'shape'", `at most ${MAX_NDIM} dimensions`, `${sh.items.length} dimensions`);
  }
  const shape: number[] = [];
  let product = 1; // over the non-zero dimensions, times the item size: must stay exact
  let count = 1;
  for (const item of sh.items) {
    if (item.t !== 'int' || item.v < 0n || item.v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw formatError(where, "the header's 'shape'", 'a tuple of non-negative integers', clip(showPy(sh)));
    }
    const d = Number(item.v);
    shape.push(d);
    if (d !== 0) product *= d;
    count *= d;
    if (product * descr.info.size > Number.MAX_SAFE_INTEGER) {
      throw formatError(
        where,
        "the header's 'shape'",
        'a shape whose byte size fits in 2^53',
        clip(showPy(sh)),
        'The size overflows',
      );
    }
  }
  return { descr, fortran: fo.v, shape, count };
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function decodeHeaderText(bytes: Uint8Array, utf8: boolean, where: string): string {
  if (utf8) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw formatError(where, 'the header', 'UTF-8 text (format version 3.0)', showBytes(bytes, 16));
    }
  }
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192)); // latin-1
  }
  return s;
}

function swapBytes(buf: Uint8Array, size: number): void {
  for (let i = 0; i + size <= buf.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = buf[a];
      buf[a] = buf[b];
      buf[b] = t;
    }
  }
}

/** Reorders the elements of a Fortran-ordered (column-major) buffer into C order. */
function fortranToC(src: ArrayBuffer, shape: number[], count: number, size: number): ArrayBuffer {
  const nd = shape.length;
  if (nd < 2 || count === 0) return src;
  // Copy whole elements as 1, 2 or 4-byte words (8-byte items as two 4-byte words).
  const wordsPerItem = size === 8 ? 2 : 1;
  const wordSize = size === 8 ? 4 : size;
  const make = (b: ArrayBuffer): Uint8Array | Uint16Array | Uint32Array =>
    wordSize === 1 ? new Uint8Array(b) : wordSize === 2 ? new Uint16Array(b) : new Uint32Array(b);
  const out = new ArrayBuffer(src.byteLength);
  const s = make(src);
  const o = make(out);
  const stride: number[] = new Array(nd);
  stride[0] = wordsPerItem;
  for (let k = 1; k < nd; k++) stride[k] = stride[k - 1] * shape[k - 1];
  const idx: number[] = new Array(nd).fill(0);
  let off = 0;
  for (let i = 0, j = 0; i < count; i++, j += wordsPerItem) {
    o[j] = s[off];
    if (wordsPerItem === 2) o[j + 1] = s[off + 1];
    for (let k = nd - 1; k >= 0; k--) {
      off += stride[k];
      if (++idx[k] < shape[k]) break;
      off -= stride[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

function wrap(buffer: ArrayBuffer, info: DtypeInfo, count: number): NpyData {
  const data = new info.array(buffer, 0, count);
  if (info.dtype === 'float16') {
    const table = float16Table();
    return Float32Array.from(data as Uint16Array, (bits) => table[bits]);
  }
  if (info.dtype === 'bool') for (let i = 0; i < count; i++) data[i] = data[i] !== 0 ? 1 : 0;
  return data;
}

/**
 * Internal: parses `.npy` bytes, naming the source `where` in error messages (used by
 * the `.npz` reader to name the archive member).
 *
 * @example
 * ```ts
 * decodeNpy(bytes, 'member "x.npy" of "a.npz"');
 * ```
 */
export function decodeNpy(bytes: Uint8Array, where: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    let hint: string | undefined;
    if (bytes[0] === 0x50 && bytes[1] === 0x4b) hint = 'This looks like a zip archive (.npz); use readNpz';
    else if (bytes.length < 10 && MAGIC.every((b, i) => i >= bytes.length || bytes[i] === b))
      hint = 'The file is truncated';
    throw formatError(where, 'the start', 'the magic string \\x93NUMPY followed by a version', showBytes(bytes), hint);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw formatError(where, 'the format version', '1.0, 2.0 or 3.0', `${major}.${minor}`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) {
    throw formatError(
      where,
      'the header length',
      `${lenBytes} bytes`,
      `${bytes.length - 8} bytes`,
      'The file is truncated',
    );
  }
  const headerLen =
    major === 1
      ? bytes[8] | (bytes[9] << 8)
      : (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24)) >>> 0;
  if (headerLen > MAX_NPY_HEADER_BYTES) {
    throw formatError(where, 'the header length', `at most ${MAX_NPY_HEADER_BYTES} bytes`, `${headerLen} bytes`);
  }
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.length) {
    throw formatError(
      where,
      'the header length',
      `at most the ${bytes.length - 8 - lenBytes} bytes left in the file`,
      `${headerLen}`,
      'The file is truncated',
    );
  }
  const text = decodeHeaderText(bytes.subarray(8 + lenBytes, dataStart), major === 3, where);
  const header = interpretHeader(text, where);
  const { info, swap } = header.descr;
  const need = header.count * info.size;
  const have = bytes.length - dataStart;
  if (have !== need) {
    const shapeText = `(${header.shape.join(', ')}${header.shape.length === 1 ? ',' : ''})`;
    throw formatError(
      where,
      'the data',
      `${need} bytes (shape ${shapeText} of ${info.dtype})`,
      `${have} bytes`,
      have < need ? 'The file is truncated' : 'There are unexpected bytes after the array data',
    );
  }
  // Copy into a fresh (hence aligned) buffer; never aliases the caller's bytes.
  let buffer = new ArrayBuffer(need);
  new Uint8Array(buffer).set(bytes.subarray(dataStart));
  if (swap) swapBytes(new Uint8Array(buffer), info.size);
  if (header.fortran) buffer = fortranToC(buffer, header.shape, header.count, info.size);
  return { data: wrap(buffer, info, header.count), shape: header.shape, dtype: info.dtype };
}

/**
 * Internal helper for readNpz: the total size in bytes (header and data) that the `.npy` whose
 * first bytes are `prefix` holds according to its header (shape x itemsize), or null while the
 * prefix is too short to tell. A malformed start throws as {@link decodeNpy} does.
 *
 * @example
 * ```ts
 * npyTotalBytes(firstChunk, 'member "a.npy"'); // 128 + 8 * 500 for a float64 array of 500
 * ```
 */
export function npyTotalBytes(prefix: Uint8Array, where: string): number | null {
  if (prefix.length < 12) {
    if (
      prefix.length >= 8 &&
      (MAGIC.some((b, i) => prefix[i] !== b) || !(prefix[6] >= 1 && prefix[6] <= 3 && prefix[7] === 0))
    )
      decodeNpy(prefix, where);
    return null;
  }
  const major = prefix[6];
  if (MAGIC.some((b, i) => prefix[i] !== b) || !((major === 1 || major === 2 || major === 3) && prefix[7] === 0))
    decodeNpy(prefix, where);
  const lenBytes = major === 1 ? 2 : 4;
  const headerLen =
    major === 1
      ? prefix[8] | (prefix[9] << 8)
      : (prefix[8] | (prefix[9] << 8) | (prefix[10] << 16) | (prefix[11] << 24)) >>> 0;
  if (headerLen > MAX_NPY_HEADER_BYTES) decodeNpy(prefix, where);
  const dataStart = 8 + lenBytes + headerLen;
  if (prefix.length < dataStart) return null;
  const header = interpretHeader(decodeHeaderText(prefix.subarray(8 + lenBytes, dataStart), major === 3, where), where);
  return dataStart + header.count * header.descr.info.size;
}

/**
 * Internal helper shared by the readers of this folder: reads a path synchronously
 * (`ERR_DSE_IO` on failure) or takes the bytes given, and names the source for messages.
 *
 * @example
 * ```ts
 * const { bytes, where } = inputBytes('a.npy', 'pathOrBytes', 'the .npy bytes'); // where: '"a.npy"'
 * ```
 */
export function inputBytes(
  pathOrBytes: unknown,
  parameter: string,
  what: string,
): { bytes: Uint8Array; where: string } {
  if (typeof pathOrBytes === 'string') {
    checkPath(pathOrBytes, parameter);
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(pathOrBytes);
    } catch (e) {
      throw ioError('read', pathOrBytes, e);
    }
    return { bytes, where: JSON.stringify(pathOrBytes) };
  }
  if (pathOrBytes instanceof Uint8Array) return { bytes: pathOrBytes, where: what };
  throw new DseError(
    'ERR_DSE_TYPE',
    `Expected a file path string or a Uint8Array/Buffer for ${parameter} but received ${describe(pathOrBytes)}`,
  );
}

/**
 * Reads a `.npy` file (a path, read synchronously) or parses `.npy` bytes.
 *
 * Fortran-ordered data is transposed to C order and big-endian data is byte-swapped,
 * so `data` is always C-ordered and native. float16 arrives as an exact `Float32Array`,
 * bool as a `Uint8Array` of 0/1, int64/uint64 as `BigInt64Array`/`BigUint64Array`.
 * Malformed input throws a `DseError` with code `ERR_DSE_FORMAT`; an unreadable file
 * `ERR_DSE_IO`.
 *
 * @param pathOrBytes - a file path, or the file's bytes (`Uint8Array` or `Buffer`)
 * @returns the array: typed data in C order, shape and dtype
 * @example
 * ```ts
 * const { data, shape, dtype } = readNpy('test/fixtures/blobs.npy');
 * // dtype 'float64', shape [500, 16], data a Float64Array of 8000 values
 * ```
 */
export function readNpy(pathOrBytes: string | Uint8Array): NpyArray {
  const { bytes, where } = inputBytes(pathOrBytes, 'pathOrBytes', 'the .npy bytes');
  return decodeNpy(bytes, where);
}

/**
 * Parses `.npy` bytes held in memory (same result and errors as {@link readNpy}).
 *
 * @param bytes - the complete content of a `.npy` file
 * @returns the array
 * @example
 * ```ts
 * const a = parseNpy(encodeNpy({ data: [1, 2, 3] })); // { data: Float64Array [1,2,3], shape: [3], dtype: 'float64' }
 * ```
 */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (!(bytes instanceof Uint8Array)) {
    throw new DseError('ERR_DSE_TYPE', `Expected a Uint8Array/Buffer for bytes but received ${describe(bytes)}`);
  }
  return decodeNpy(bytes, 'the .npy bytes');
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

/** The dtype whose elements a typed array holds as they are (Uint8ClampedArray: uint8), or null. */
function typedDtype(data: ArrayBufferView): NpyDtype | null {
  if (data instanceof Uint8ClampedArray) return 'uint8';
  return DTYPE_NAMES.find((d) => d !== 'float16' && d !== 'bool' && data instanceof DTYPES[d].array) ?? null;
}

function defaultDtype(data: NpyArrayInput['data']): NpyDtype {
  if (ArrayBuffer.isView(data)) return typedDtype(data) ?? 'float64';
  const first = (data as ArrayLike<unknown>)[0];
  if (typeof first === 'bigint') return 'int64';
  if (typeof first === 'boolean') return 'bool';
  return 'float64';
}

const INT_RANGES: Partial<Record<NpyDtype, [bigint, bigint]>> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  uint32: [0n, 4294967295n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** `label` names the argument being encoded: 'array', or 'arrays["x"]' for .npz. */
function elementError(label: string, dtype: NpyDtype, i: number, expected: string, value: unknown): DseError {
  return invalid('ERR_DSE_TYPE', `${label}.data[${i}] (dtype ${dtype})`, expected, value);
}

function toNumber(v: unknown, i: number, dtype: NpyDtype, label: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw elementError(label, dtype, i, 'a number', v);
}

function toInteger(v: unknown, i: number, dtype: NpyDtype, label: string): bigint {
  const [lo, hi] = INT_RANGES[dtype]!;
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else if (typeof v === 'boolean') b = v ? 1n : 0n;
  else throw elementError(label, dtype, i, `an integer in [${lo}, ${hi}]`, v);
  if (b < lo || b > hi) throw elementError(label, dtype, i, `an integer in [${lo}, ${hi}]`, v);
  return b;
}

/** The elements of `data` converted to `dtype`, as little-endian bytes. */
function encodeData(data: NpyArrayInput['data'], info: DtypeInfo, label: string): Uint8Array {
  const n = data.length;
  const dtype = info.dtype;
  let typed: ArrayBufferView;
  if (ArrayBuffer.isView(data) && typedDtype(data) === dtype) {
    typed = data as ArrayBufferView;
  } else {
    const src = data as ArrayLike<unknown>;
    switch (dtype) {
      case 'float64':
      case 'float32': {
        const out = new DTYPES[dtype].array(n) as Float64Array;
        for (let i = 0; i < n; i++) out[i] = toNumber(src[i], i, dtype, label);
        typed = out;
        break;
      }
      case 'float16': {
        const out = new Uint16Array(n);
        for (let i = 0; i < n; i++) out[i] = float64ToFloat16Bits(toNumber(src[i], i, dtype, label));
        typed = out;
        break;
      }
      case 'bool': {
        const out = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const v = src[i];
          if (v === 0 || v === 1 || v === 0n || v === 1n || v === true || v === false)
            out[i] = v === true || v === 1 || v === 1n ? 1 : 0;
          else throw elementError(label, dtype, i, '0, 1, true or false', v);
        }
        typed = out;
        break;
      }
      case 'int64':
      case 'uint64': {
        const out = dtype === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
        for (let i = 0; i < n; i++) out[i] = toInteger(src[i], i, dtype, label);
        typed = out;
        break;
      }
      default: {
        const [lo, hi] = INT_RANGES[dtype]!.map(Number);
        const out = new DTYPES[dtype].array(n) as Int32Array;
        for (let i = 0; i < n; i++) {
          const v = src[i];
          const x =
            typeof v === 'number'
              ? v
              : typeof v === 'bigint' || typeof v === 'boolean'
                ? Number(toInteger(v, i, dtype, label))
                : NaN;
          if (!Number.isInteger(x) || x < lo || x > hi)
            throw elementError(label, dtype, i, `an integer in [${lo}, ${hi}]`, v);
          out[i] = x;
        }
        typed = out;
      }
    }
  }
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, n * info.size);
  if (!LITTLE_ENDIAN_HOST && info.size > 1) {
    const copy = bytes.slice();
    swapBytes(copy, info.size);
    return copy;
  }
  return bytes;
}

function checkInput(array: unknown, label: string): { data: NpyArrayInput['data']; shape: number[]; info: DtypeInfo } {
  if (array === null || typeof array !== 'object' || Array.isArray(array) || ArrayBuffer.isView(array)) {
    throw new DseError(
      'ERR_DSE_TYPE',
      `Expected an object { data, shape?, dtype? } for ${label} but received ${describe(array)}`,
    );
  }
  const { data, shape, dtype } = array as { data?: unknown; shape?: unknown; dtype?: unknown };
  const isTyped = ArrayBuffer.isView(data) && !(data instanceof DataView);
  if (!isTyped && !Array.isArray(data)) {
    throw new DseError(
      'ERR_DSE_TYPE',
      `Expected a typed array or an array for ${label}.data but received ${describe(data)}`,
    );
  }
  const arr = data as NpyArrayInput['data'];
  if (isTyped && typedDtype(arr as ArrayBufferView) === null) {
    throw new DseError(
      'ERR_DSE_TYPE',
      `Expected a numeric typed array (Float64Array, Float32Array, Int8/16/32Array, Uint8/16/32Array, BigInt64Array, ` +
        `BigUint64Array) for ${label}.data but received ${describe(data)}`,
    );
  }
  let info: DtypeInfo;
  if (dtype === undefined) info = DTYPES[defaultDtype(arr)];
  else if (typeof dtype === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, dtype))
    info = DTYPES[dtype as NpyDtype];
  else {
    throw new DseError(
      'ERR_DSE_OPTION',
      `Expected one of ${DTYPE_NAMES.map((d) => `'${d}'`).join(', ')} for ${label}.dtype but received ` +
        `${describe(dtype)}`,
    );
  }
  let dims: number[];
  if (shape === undefined) dims = [arr.length];
  else {
    if (!Array.isArray(shape)) {
      throw new DseError(
        'ERR_DSE_TYPE',
        `Expected an array of non-negative integers for ${label}.shape but received ${describe(shape)}`,
      );
    }
    if (shape.length > MAX_NDIM) {
      throw invalid(
        'ERR_DSE_SHAPE',
        `${label}.shape`,
        `at most ${MAX_NDIM} dimensions`,
        raw(`${shape.length} dimensions`),
      );
    }
    dims = [];
    for (let k = 0; k < shape.length; k++) {
      const d: unknown = shape[k];
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        throw invalid('ERR_DSE_SHAPE', `${label}.shape[${k}]`, 'a non-negative integer', d);
      }
      dims.push(d);
    }
  }
  const product = dims.reduce((p, d) => p * d, 1);
  if (product !== arr.length) {
    throw invalid(
      'ERR_DSE_SHAPE',
      `${label}.shape`,
      `a shape whose product equals the data length ${arr.length}`,
      raw(`[${dims.join(', ')}] (product ${product})`),
    );
  }
  return { data: arr, shape: dims, info };
}

function pyShape(shape: number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * Encodes an array as `.npy` bytes: little-endian, C order, format version 1.0 (2.0 if
 * the header would not fit in 65535 bytes), header padded so the data starts at a
 * multiple of 64 bytes, exactly as `np.save` lays it out.
 *
 * Values are converted to `dtype`: floats are rounded to nearest (float16 with
 * {@link float64ToFloat16Bits}), integers must be integral and in range, bools 0/1/true/false
 * (otherwise `ERR_DSE_TYPE`). A shape whose product differs from `data.length` gives
 * `ERR_DSE_SHAPE`; an unknown dtype `ERR_DSE_OPTION`.
 *
 * @param array - `{ data, shape?, dtype? }`
 * @returns the complete file content
 * @example
 * ```ts
 * const bytes = encodeNpy({ data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
 * // np.load(io.BytesIO(bytes)) -> array([[1., 2., 3.], [4., 5., 6.]], dtype=float32)
 * ```
 */
export function encodeNpy(array: NpyArrayInput): Uint8Array {
  return encodeNpyNamed(array, 'array');
}

/**
 * Internal: {@link encodeNpy} with the argument named `label` in error messages.
 *
 * @example
 * ```ts
 * encodeNpyNamed({ data: [1] }, 'arrays["x"]');
 * ```
 */
export function encodeNpyNamed(array: NpyArrayInput, label: string): Uint8Array {
  const { data, shape, info } = checkInput(array, label);
  const body = encodeData(data, info, label);
  const dict = `{'descr': '${descrOf(info)}', 'fortran_order': False, 'shape': ${pyShape(shape)}, }`;
  let version = 1;
  let prefix = 10;
  let padded = dict.length + 1; // + '\n'
  padded += (64 - ((prefix + padded) % 64)) % 64;
  if (padded > 0xffff) {
    version = 2;
    prefix = 12;
    padded = dict.length + 1;
    padded += (64 - ((prefix + padded) % 64)) % 64;
  }
  const out = new Uint8Array(prefix + padded + body.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const lenView = new DataView(out.buffer);
  if (version === 1) lenView.setUint16(8, padded, true);
  else lenView.setUint32(8, padded, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  out.fill(0x20, prefix + dict.length, prefix + padded - 1);
  out[prefix + padded - 1] = 0x0a;
  out.set(body, prefix + padded);
  return out;
}

/**
 * Writes an array to a `.npy` file atomically (temporary file in the same folder,
 * fsync, rename), creating missing parent folders. See {@link encodeNpy} for the
 * conversions and errors; filesystem failures give `ERR_DSE_IO`.
 *
 * @param path - destination file, e.g. `'out/embedding.npy'`
 * @param array - `{ data, shape?, dtype? }`
 * @example
 * ```ts
 * writeNpy('labels.npy', { data: new Int32Array([0, 1, 1, 2]) });
 * // python: np.load('labels.npy') -> array([0, 1, 1, 2], dtype=int32)
 * ```
 */
export function writeNpy(path: string, array: NpyArrayInput): void {
  checkPath(path, 'path');
  writeFileAtomic(path, encodeNpy(array));
}
