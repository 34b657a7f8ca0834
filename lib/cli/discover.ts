// SPDX-License-Identifier: MIT
/**
 * Finds the per-epoch embedding files of a training-log folder: one subfolder per layer or run
 * (`runs/fc1/epoch_1.npy`, ...) and/or files directly in the folder (one series named after it).
 * Only `.npy`, `.npz`, `.csv` and `.tsv` files are entries; the epoch comes from the file name
 * (see {@link epochOf}).
 */
import * as fs from 'fs';
import * as path from 'path';
import { DseError, markOptionValue } from '../errors';

/** File name endings that are entries of a trace folder (anything else is ignored). */
export const TRACE_EXTENSIONS = ['.npy', '.npz', '.csv', '.tsv'] as const;

/** True for a file name a trace folder reads (see {@link TRACE_EXTENSIONS}). */
export function isTraceFile(file: string): boolean {
  return (TRACE_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase());
}

/** How {@link discoverTrace} reads the folder. */
export interface DiscoverOptions {
  /** A regular expression with one capture group: the epoch (see {@link epochOf}). */
  epochPattern?: RegExp;
  /** Return [] for a folder without entries instead of failing (`--watch` waits for them). */
  allowEmpty?: boolean;
  /** Receives the files skipped because they are not matrix files (for `--verbose`). */
  ignored?: string[];
}

/** One embeddings file of a trace. */
export interface EpochFile {
  /** The layer or run: the subfolder's name, or the folder's own name for files directly in it. */
  series: string;
  /** The epoch: from the file name (see {@link epochOf}), or its 1-based position when no file of the series has a number. */
  epoch: number;
  /** Absolute path. */
  file: string;
}

/**
 * Compares names the way people count: `epoch_2` before `epoch_10`.
 *
 * @example
 * ```ts
 * ['e10.npy', 'e2.npy'].sort(naturalCompare); // ['e2.npy', 'e10.npy']
 * ```
 */
export function naturalCompare(a: string, b: string): number {
  const ca = a.match(/\d+|\D+/g) ?? [];
  const cb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i];
    const y = cb[i];
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length; // '01' after '1'
      continue;
    }
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

// `epoch`, `ep` or `e` not preceded by a letter or digit, an optional separator, then digits.
const EPOCH_WORD = /(?<![A-Za-z0-9])(?:epoch|ep|e)[-_. ]?(\d+)/gi;

/**
 * The epoch in a file name (without its extension): the number after the last `epoch`, `ep` or
 * `e` that starts a word (`emb-e3-loss0.25.npy` -> 3, `epoch_10_step_500.npy` -> 10,
 * `run2_ep7.npz` -> 7), else the last number (`step_500.npy` -> 500), else null. With `pattern`
 * (one capture group), its capture and nothing else; a name it does not match gives null.
 *
 * @example
 * ```ts
 * epochOf('emb-e3-loss0.25.npy'); // 3
 * epochOf('ckpt-12-of-40.npy', /-(\d+)-of/); // 12
 * ```
 */
export function epochOf(file: string, pattern?: RegExp): number | null {
  const base = path.basename(file, path.extname(file));
  if (pattern) {
    const m = base.match(pattern);
    if (!m || m[1] === undefined) return null;
    const v = Number(m[1]);
    return Number.isFinite(v) ? v : null;
  }
  const words = [...base.matchAll(EPOCH_WORD)];
  if (words.length > 0) return Number(words[words.length - 1][1]);
  const m = base.match(/(\d+)(?!.*\d)/);
  return m ? Number(m[1]) : null;
}

/**
 * The `--epoch-pattern` flag as a RegExp with exactly one capture group, or a DseError (option) saying why not.
 *
 * @example
 * ```ts
 * epochPattern('step(\\d+)'); // /step(\d+)/
 * ```
 */
export function epochPattern(source: string): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (e) {
    throw markOptionValue(new DseError('ERR_DSE_OPTION', `Expected a regular expression for --epoch-pattern but received ${JSON.stringify(source)}: ${(e as Error).message}`));
  }
  const groups = (new RegExp(`${source}|`).exec('') ?? []).length - 1;
  if (groups !== 1)
    throw markOptionValue(new DseError('ERR_DSE_OPTION', `Expected exactly one capture group (the epoch) in --epoch-pattern but ${JSON.stringify(source)} has ${groups}`));
  return re;
}

/** A file system failure while listing the folder, as a DseError naming the entry. */
function listingError(e: unknown, entry: string, root: string): DseError {
  const code = (e as { code?: unknown })?.code;
  const why =
    code === 'ELOOP'
      ? 'a loop of symbolic links'
      : code === 'ENOENT'
        ? 'a symbolic link to nothing (dangling)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : `${(e as Error)?.message ?? e}`;
  return new DseError('ERR_DSE_IO', `Could not read ${JSON.stringify(path.relative(root, entry) || '.')} in the trace folder: ${why}`, { cause: e });
}

function readEntries(dir: string, root: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw listingError(e, dir, root);
  }
}

function listMatrixFiles(dir: string, exclude: Set<string>, root: string, ignored?: string[]): string[] {
  return readEntries(dir, root)
    .filter((e) => {
      if (e.name.startsWith('.') || !(e.isFile() || e.isSymbolicLink())) return false;
      if (isTraceFile(e.name)) return true;
      ignored?.push(path.relative(root, path.join(dir, e.name)));
      return false;
    })
    .map((e) => path.join(dir, e.name))
    .filter((f) => {
      if (exclude.has(path.resolve(f))) return false;
      try {
        return fs.statSync(f).isFile();
      } catch (e) {
        throw listingError(e, f, root);
      }
    })
    .sort((a, b) => naturalCompare(path.basename(a), path.basename(b)));
}

function series(name: string, files: string[], root: string, pattern?: RegExp): EpochFile[] {
  const epochs = files.map((f) => epochOf(f, pattern));
  const missing = files.filter((_f, i) => epochs[i] === null);
  if (pattern && missing.length > 0)
    throw new DseError(
      'ERR_DSE_FORMAT',
      `Expected --epoch-pattern ${JSON.stringify(pattern.source)} to match every file name but ${JSON.stringify(path.relative(root, missing[0]))} has no match (a number in its capture group)`,
    );
  if (missing.length > 0 && missing.length < files.length)
    throw new DseError(
      'ERR_DSE_FORMAT',
      `Expected a number (the epoch) in every file name of ${JSON.stringify(path.relative(root, path.dirname(files[0])) || '.')} but ${JSON.stringify(path.basename(missing[0]))} has none (name it like epoch_3.npy, or see --epoch-pattern)`,
    );
  const out = files.map((file, i) => ({ series: name, epoch: epochs[i] ?? i + 1, file }));
  out.sort((a, b) => a.epoch - b.epoch || naturalCompare(a.file, b.file));
  for (let i = 1; i < out.length; i++)
    if (out[i].epoch === out[i - 1].epoch)
      throw new DseError(
        'ERR_DSE_FORMAT',
        `Expected one file per epoch in series ${JSON.stringify(name)} but epoch ${out[i].epoch} has two: ${JSON.stringify(path.basename(out[i - 1].file))} and ${JSON.stringify(path.basename(out[i].file))}`,
      );
  return out;
}

/**
 * The epoch files of a training-log folder, series by series (files directly in the folder
 * first, then subfolders in natural order), each series in epoch order.
 *
 * @param dir - the folder
 * @param exclude - files to skip (e.g. the labels and inputs when they sit in the same folder)
 * @param display - how to name the folder in error messages (default: `dir`)
 * @example
 * ```ts
 * discoverTrace('runs', ['runs/labels.npy']);
 * // [{ series: 'fc1', epoch: 1, file: '/.../runs/fc1/epoch_1.npy' }, ...]
 * ```
 */
export function discoverTrace(dir: string, exclude: string[] = [], display: string = dir, options: DiscoverOptions = {}): EpochFile[] {
  const { epochPattern: pattern, ignored } = options;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new DseError('ERR_DSE_IO', `Could not read the folder ${JSON.stringify(display)}: no such folder`);
  }
  if (!stat.isDirectory()) throw new DseError('ERR_DSE_IO', `Expected a folder of per-epoch embedding files but ${JSON.stringify(display)} is a file`);
  const skip = new Set(exclude.map((f) => path.resolve(f)));
  const root = path.resolve(dir);
  const rootName = path.basename(root);
  const subdirs = readEntries(root, root)
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(naturalCompare);
  const out: EpochFile[] = [];
  const top = listMatrixFiles(root, skip, root, ignored);
  if (top.length > 0) for (const f of series(subdirs.includes(rootName) ? `${rootName} (top level)` : rootName, top, root, pattern)) out.push(f);
  for (const sub of subdirs) {
    const files = listMatrixFiles(path.join(root, sub), skip, root, ignored);
    if (files.length > 0) for (const f of series(sub, files, root, pattern)) out.push(f);
  }
  if (out.length === 0 && !options.allowEmpty)
    throw new DseError(
      'ERR_DSE_FORMAT',
      `Expected per-epoch embedding files (${TRACE_EXTENSIONS.join(', ')}) in ${JSON.stringify(display)} or its subfolders but found none`,
    );
  return out;
}

/**
 * Every file `discoverTrace` reads from the folder (its top level and subfolders), without the
 * epoch checks: what an output path must not be.
 *
 * @example
 * ```ts
 * traceCandidates('runs'); // ['/.../runs/fc1/epoch_1.npy', ...]
 * ```
 */
export function traceCandidates(dir: string, exclude: string[] = []): string[] {
  const root = path.resolve(dir);
  const skip = new Set(exclude.map((f) => path.resolve(f)));
  const out = listMatrixFiles(root, skip, root);
  for (const e of readEntries(root, root))
    if (e.isDirectory() && !e.name.startsWith('.')) for (const f of listMatrixFiles(path.join(root, e.name), skip, root)) out.push(f);
  return out;
}
