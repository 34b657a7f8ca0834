// SPDX-License-Identifier: MIT
/**
 * Everything a caller passes is checked here, before any native call: matrices become
 * contiguous row-major Float64Array/Float32Array views (no copy when they already are), and
 * option objects are read against a spec (types, ranges, defaults, unknown names).
 */
import { types } from 'util';
import { DseError, describe, invalid, markOptionValue, raw } from './errors';

/** A dense row-major matrix: `data[i * cols + j]` is row i, column j. */
export interface Matrix {
  data: Float64Array | Float32Array;
  rows: number;
  cols: number;
}

/** An object with a 2-D `shape` and `dataSync()`, such as a TensorFlow.js tensor. */
export interface TensorLike {
  shape: number[];
  dataSync(): ArrayLike<number>;
}

/** A 2-D array with its shape, as {@link readNpy} returns it: `{ data, shape: [rows, cols] }`. */
export interface ShapedArray {
  data: ArrayLike<number> | BigInt64Array | BigUint64Array;
  shape: number[];
}

/**
 * What the functions accept as a matrix: a `Matrix`, an array of equal-length rows, a tensor, or
 * a 2-D array with its shape (what `readNpy` returns).
 */
export type MatrixLike = Matrix | number[][] | TensorLike | ShapedArray;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Arrays created here or by the package itself (copies of number[][], of plain arrays, of
 * snapshots): no caller holds them, so an async call may keep reading them after an await.
 */
const ownArrays = new WeakSet<object>();

/** Those of them known to hold finite values only (the package never writes to them after). */
const finiteArrays = new WeakSet<object>();

/** Registers an array the package has just created and shares with no caller. */
export function adopt<T extends object>(data: T): T {
  ownArrays.add(data);
  return data;
}

/**
 * A private copy of a matrix, checked to be finite a slice at a time with the event loop free
 * between slices (DseTracker.record: 10000 x 256 values would otherwise hold the main thread for
 * one long scan). The copy itself is taken at once, before the first await: the caller may reuse
 * its buffer as soon as the call returns. `spare`, a private array no call reads any more, is
 * written into instead of a new one when it has the same type and length.
 */
export async function ownedFiniteMatrix(
  m: Matrix,
  name: string,
  spare: Float64Array | Float32Array | null = null,
  valuesPerSlice = 1 << 18,
): Promise<Matrix> {
  let copy: Matrix = m;
  if (!ownArrays.has(m.data)) {
    // Writing into pages already in use costs a few ms for 10000 x 256 values; fresh pages can
    // cost 100x that in first-touch page faults (docs/internals/event-loop.md).
    const reuse =
      spare && ownArrays.has(spare) && spare.constructor === m.data.constructor && spare.length === m.data.length;
    const data = reuse ? spare : adopt(m.data.slice());
    if (reuse) {
      finiteArrays.delete(data);
      data.set(m.data);
    }
    copy = { data, rows: m.rows, cols: m.cols };
  }
  if (finiteArrays.has(copy.data)) return copy;
  for (let start = 0; start < copy.data.length; start += valuesPerSlice) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    checkFinite(copy, name, start, Math.min(copy.data.length, start + valuesPerSlice));
  }
  finiteArrays.add(copy.data);
  return copy;
}

/**
 * The matrix on memory no caller holds: `m` itself when its data was created by the package,
 * else a copy. Async entry points take it before their first await, so that mutating or
 * transferring the caller's buffer meanwhile changes nothing.
 */
export function ownedMatrix(m: Matrix): Matrix {
  if (ownArrays.has(m.data)) return m;
  const data = adopt(m.data.slice());
  if (finiteArrays.has(m.data)) finiteArrays.add(data);
  return { data, rows: m.rows, cols: m.cols };
}

/** toMatrix, then {@link ownedMatrix}: what an async entry point reads X with. */
export function toOwnedMatrix(X: unknown, name = 'X'): Matrix {
  const m = ownedMatrix(toMatrix(X, name));
  finiteArrays.add(m.data);
  return m;
}

/** The built-in type tag of a value (`'Float64Array'`, `'Object'`, ...), across realms. */
export function typeName(v: unknown): string {
  return Object.prototype.toString.call(v).slice(8, -1);
}

/**
 * True for a real Float64Array or Float32Array, across realms (jest, worker threads); an object
 * that only claims the name through Symbol.toStringTag is not one.
 */
export function isFloatArray(v: unknown): v is Float64Array | Float32Array {
  return types.isFloat64Array(v) || types.isFloat32Array(v);
}

function checkDimension(value: unknown, name: string, what: string): number {
  if (typeof value !== 'number') throw invalid('ERR_DSE_TYPE', name, `a number of ${what}`, value);
  if (!Number.isInteger(value) || value < 0 || value > MAX_SAFE)
    throw invalid('ERR_DSE_SHAPE', name, `a non-negative integer number of ${what}`, value);
  return value;
}

function isDetached(data: ArrayBufferView): boolean {
  const buf = data.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buf.detached === 'boolean') return buf.detached;
  return buf.byteLength === 0 && data.byteLength === 0;
}

/** Scans values [from, to) for NaN / +-Infinity; names the first one by row and column. */
export function checkFinite(m: Matrix, name: string, from = 0, to = m.data.length): void {
  const { data, cols } = m;
  for (let i = from; i < to; i++) {
    const v = data[i];
    if (v - v !== 0) {
      const r = Math.floor(i / cols);
      const c = i - r * cols;
      throw new DseError(
        'ERR_DSE_NON_FINITE',
        `Expected finite numbers in ${name} but received ${describe(v)} at row ${r}, column ${c}`,
      );
    }
  }
}

function fromRows(rows: unknown[], name: string): Matrix {
  const n = rows.length;
  if (n === 0) throw invalid('ERR_DSE_SHAPE', name, 'at least 1 row', raw('an empty array'));
  const first = rows[0];
  if (!Array.isArray(first) && !ArrayBuffer.isView(first))
    throw invalid('ERR_DSE_TYPE', `${name}[0]`, 'an array of numbers (one row)', first);
  const cols = (first as ArrayLike<number>).length;
  if (cols === 0) throw invalid('ERR_DSE_SHAPE', name, 'at least 1 column', raw(`shape [${n}, 0]`));
  if (n * cols > 2 ** 31 * 8)
    throw invalid('ERR_DSE_SHAPE', name, 'a matrix that fits in memory', raw(`shape [${n}, ${cols}]`));
  const data = adopt(new Float64Array(n * cols));
  for (let i = 0; i < n; i++) {
    const row = rows[i] as ArrayLike<unknown>;
    if (!Array.isArray(row) && !ArrayBuffer.isView(row))
      throw invalid('ERR_DSE_TYPE', `${name}[${i}]`, 'an array of numbers (one row)', row);
    if (row.length !== cols)
      throw invalid(
        'ERR_DSE_SHAPE',
        `${name}[${i}]`,
        `${cols} values like row 0 (rows must have equal length)`,
        raw(`${row.length}`),
      );
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== 'number') throw invalid('ERR_DSE_TYPE', `${name}[${i}][${j}]`, 'a number', v);
      data[i * cols + j] = v;
    }
  }
  return { data, rows: n, cols };
}

/**
 * Turns a `MatrixLike` into a checked `Matrix`: a Float64Array/Float32Array (the caller's own
 * buffer, not a copy, when it already is one), `rows * cols` values, all finite.
 */
export function toMatrix(X: unknown, name = 'X'): Matrix {
  const m = toShapedMatrix(X, name);
  // A private array already checked is not scanned again (DseTracker passes its snapshots on).
  if (!finiteArrays.has(m.data)) {
    checkFinite(m, name);
    if (ownArrays.has(m.data)) finiteArrays.add(m.data);
  }
  return m;
}

/** {@link toMatrix} without the scan for non-finite values (the caller scans: ownedFiniteMatrix). */
export function toShapedMatrix(X: unknown, name = 'X'): Matrix {
  if (X === null || X === undefined || typeof X !== 'object')
    throw invalid(
      'ERR_DSE_TYPE',
      name,
      'a matrix ({ data, rows, cols }, { data, shape }, number[][] or a 2-D tensor)',
      X,
    );
  let m: Matrix;
  if (Array.isArray(X)) {
    m = fromRows(X, name);
  } else if (isTensorLike(X)) {
    m = fromTensor(X, name);
  } else if (isShapedArray(X)) {
    m = fromShape(X.shape, X.data, name, `${name}.data`);
  } else {
    const o = X as Record<string, unknown>;
    if (!('data' in o) || !('rows' in o) || !('cols' in o))
      throw invalid(
        'ERR_DSE_TYPE',
        name,
        'a matrix ({ data, rows, cols }, { data, shape }, number[][] or a 2-D tensor)',
        X,
      );
    const rows = checkDimension(o.rows, `${name}.rows`, 'rows');
    const cols = checkDimension(o.cols, `${name}.cols`, 'columns');
    let data = o.data as unknown;
    if (Array.isArray(data)) {
      for (let i = 0; i < data.length; i++)
        if (typeof data[i] !== 'number') throw invalid('ERR_DSE_TYPE', `${name}.data[${i}]`, 'a number', data[i]);
      data = adopt(Float64Array.from(data as number[]));
    } else if (!isFloatArray(data)) {
      throw invalid(
        'ERR_DSE_TYPE',
        `${name}.data`,
        'a Float64Array or Float32Array',
        data,
        ArrayBuffer.isView(data) ? 'Convert it first, e.g. Float64Array.from(data)' : undefined,
      );
    }
    const arr = data as Float64Array | Float32Array;
    if (rows * cols > 0 && isDetached(arr))
      throw invalid(
        'ERR_DSE_TYPE',
        `${name}.data`,
        'a typed array with a live buffer',
        raw('a view of a detached (transferred) ArrayBuffer'),
      );
    if (rows * cols > MAX_SAFE || arr.length !== rows * cols)
      throw invalid(
        'ERR_DSE_SHAPE',
        `${name}.data`,
        `rows * cols = ${rows} * ${cols} = ${rows * cols} values`,
        raw(`${arr.length}`),
      );
    m = { data: arr, rows, cols };
  }
  if (m.rows < 1) throw invalid('ERR_DSE_SHAPE', name, 'at least 1 row', raw(`shape [${m.rows}, ${m.cols}]`));
  if (m.cols < 1) throw invalid('ERR_DSE_SHAPE', name, 'at least 1 column', raw(`shape [${m.rows}, ${m.cols}]`));
  return m;
}

/** A tensor: a `shape` and `dataSync()`. */
export function isTensorLike(X: object): X is TensorLike {
  const o = X as Partial<TensorLike>;
  return Array.isArray(o.shape) && typeof o.dataSync === 'function';
}

/** An array with its shape, `{ data, shape }` (not a `{ data, rows, cols }` matrix). */
export function isShapedArray(X: object): X is ShapedArray {
  const o = X as Partial<ShapedArray> & { rows?: unknown };
  return Array.isArray(o.shape) && 'data' in o && !('rows' in o);
}

/** A tensor's values, read once; a throwing `dataSync()` (a disposed tensor) becomes a DseError. */
export function tensorValues(X: TensorLike, name: string): ArrayLike<number> {
  try {
    return X.dataSync();
  } catch (e) {
    throw new DseError('ERR_DSE_TYPE', `Could not read ${name}: its dataSync() threw ${(e as Error)?.message ?? e}`, {
      cause: e,
    });
  }
}

function fromTensor(X: TensorLike, name: string): Matrix {
  return fromShape(X.shape, tensorValues(X, name), name, `${name}.dataSync()`);
}

/** A matrix of `shape` over `values` (read from `where`): float arrays as they are, others as float64. */
function fromShape(shape: unknown[], values: unknown, name: string, where: string): Matrix {
  if (shape.length !== 2)
    throw invalid('ERR_DSE_SHAPE', `${name}.shape`, 'a 2-D shape [rows, cols]', raw(`[${shape.join(', ')}]`));
  const rows = checkDimension(shape[0], `${name}.shape[0]`, 'rows');
  const cols = checkDimension(shape[1], `${name}.shape[1]`, 'columns');
  const data = isFloatArray(values) ? values : adopt(float64Values(values, where));
  if (data.length !== rows * cols)
    throw invalid('ERR_DSE_SHAPE', where, `${rows * cols} values`, raw(`${data.length}`));
  return { data, rows, cols };
}

/** Values as float64: typed arrays (bigint ones converted as numpy would) or numbers. */
function float64Values(values: unknown, where: string): Float64Array {
  if (types.isBigInt64Array(values) || types.isBigUint64Array(values)) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
    return out;
  }
  if (types.isTypedArray(values)) return Float64Array.from(values as unknown as ArrayLike<number>);
  if (!Array.isArray(values)) throw invalid('ERR_DSE_TYPE', where, 'a typed array or an array of numbers', values);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw invalid('ERR_DSE_TYPE', `${where}[${i}]`, 'a number', v);
    out[i] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Options

/** One option: how to read it and its default. */
export interface OptionRule<V> {
  default: V;
  /** Throws a DseError naming `name` when `value` is not acceptable. */
  parse(value: unknown, name: string): V;
}

export type OptionSpec<T> = { [K in keyof T]: OptionRule<T[K]> };

/** The options a spec reads: each rule's value type. */
export type Parsed<S> = { [K in keyof S]: S[K] extends OptionRule<infer V> ? V : never };

/**
 * The value of `obj`'s own property `key`, or undefined: never one inherited from a prototype
 * (a polluted `Object.prototype.eigvalSavePath` must not become an option).
 */
export function ownValue(obj: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/**
 * A null-prototype copy of `obj`'s own enumerable properties (undefined and null give an empty
 * one), for option bags read by property access.
 */
export function ownProperties<T extends object>(obj: T | undefined | null): Partial<T> {
  const out = Object.create(null) as Partial<T>;
  if (obj === undefined || obj === null || typeof obj !== 'object') return out;
  for (const key of Object.keys(obj)) (out as Record<string, unknown>)[key] = (obj as Record<string, unknown>)[key];
  return out;
}

/**
 * Reads `options` against `spec`: unknown names are an error, `undefined` takes the default,
 * every value is checked. Only own properties count: inherited ones (a polluted
 * `Object.prototype`) are ignored. Getters that throw become `ERR_DSE_OPTION`.
 */
export function readOptions<T extends object>(options: unknown, spec: OptionSpec<T>, fn: string): T {
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options)))
    throw invalid('ERR_DSE_TYPE', `${fn} options`, 'an object or undefined', options);
  const out = {} as T;
  const given = (options ?? {}) as Record<string, unknown>;
  let keys: string[];
  try {
    keys = Object.keys(given);
  } catch (e) {
    throw new DseError('ERR_DSE_OPTION', `Could not read the options of ${fn}: ${(e as Error)?.message ?? e}`);
  }
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(spec, key)) {
      const known = Object.keys(spec).sort().join(', ');
      throw markOptionValue(
        new DseError('ERR_DSE_OPTION', `Unknown option "${key}" for ${fn}. Known options: ${known}`),
      );
    }
  }
  for (const key of Object.keys(spec) as (keyof T & string)[]) {
    let value: unknown;
    try {
      value = ownValue(given, key);
    } catch (e) {
      throw new DseError(
        'ERR_DSE_OPTION',
        `Could not read option ${key} of ${fn}: its getter threw ${(e as Error)?.message ?? e}`,
      );
    }
    const rule = spec[key];
    try {
      out[key] = value === undefined ? rule.default : rule.parse(value, key);
    } catch (e) {
      throw e instanceof DseError && e.code === 'ERR_DSE_OPTION' ? markOptionValue(e) : e;
    }
  }
  return out;
}

function rule<V>(def: V, parse: (value: unknown, name: string) => V): OptionRule<V> {
  return { default: def, parse };
}

/** A finite number > 0. */
export const positiveNumber = (def: number): OptionRule<number> =>
  rule(def, (v, name) => {
    if (typeof v !== 'number') throw invalid('ERR_DSE_OPTION', name, 'a finite number > 0', v);
    if (!Number.isFinite(v) || !(v > 0)) throw invalid('ERR_DSE_OPTION', name, 'a finite number > 0', v);
    return v;
  });

/** A finite number >= 0. */
export const nonNegativeNumber = (def: number): OptionRule<number> =>
  rule(def, (v, name) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw invalid('ERR_DSE_OPTION', name, 'a finite number >= 0', v);
    return v;
  });

/** An integer >= min. */
export const integerAtLeast = (def: number, min: number): OptionRule<number> =>
  rule(def, (v, name) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      throw invalid('ERR_DSE_OPTION', name, `an integer >= ${min}`, v);
    return v;
  });

/** An integer >= min, or null for "no limit". */
export const integerAtLeastOrNull = (def: number | null, min: number): OptionRule<number | null> =>
  rule(def, (v, name) => {
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      throw invalid('ERR_DSE_OPTION', name, `an integer >= ${min}, or null for no limit`, v);
    return v;
  });

export const boolean = (def: boolean): OptionRule<boolean> =>
  rule(def, (v, name) => {
    if (typeof v !== 'boolean') throw invalid('ERR_DSE_OPTION', name, 'true or false', v);
    return v;
  });

/** A seed for Python's random.seed: an integer (number or bigint), or null for unseeded. */
export const seed = (def: number | bigint | null): OptionRule<number | bigint | null> =>
  rule(def, (v, name) => {
    if (v === null || typeof v === 'bigint') return v;
    if (typeof v !== 'number' || !Number.isSafeInteger(v))
      throw invalid('ERR_DSE_OPTION', name, 'an integer (a safe-integer number or a bigint), or null for unseeded', v);
    return v;
  });

export const oneOf = <V extends string>(def: V, values: readonly V[]): OptionRule<V> =>
  rule(def, (v, name) => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
      throw invalid('ERR_DSE_OPTION', name, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
    return v as V;
  });

export const optionalFunction = <F extends (...args: never[]) => unknown>(): OptionRule<F | undefined> =>
  rule<F | undefined>(undefined, (v, name) => {
    if (typeof v !== 'function') throw invalid('ERR_DSE_OPTION', name, 'a function', v);
    return v as F;
  });

export const optionalSignal = (): OptionRule<AbortSignal | undefined> =>
  rule<AbortSignal | undefined>(undefined, (v, name) => {
    const s = v as AbortSignal;
    if (
      typeof s !== 'object' ||
      s === null ||
      typeof s.aborted !== 'boolean' ||
      typeof s.addEventListener !== 'function'
    )
      throw invalid('ERR_DSE_OPTION', name, 'an AbortSignal', v);
    return s;
  });

/** A memory limit in bytes for one call, or null for the process-wide setting. */
export const memoryLimit = (): OptionRule<number | null> =>
  rule<number | null>(null, (v, name) => {
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw invalid('ERR_DSE_OPTION', name, 'a finite number of bytes > 0, or null for the process-wide limit', v);
    return v;
  });
