// SPDX-License-Identifier: MIT
/** Pieces the commands share: the measure kinds, flag applicability, paths, JSON output. */
import * as fs from 'fs';
import * as path from 'path';
import { Option, type Command } from 'commander';
import { DseError } from '../errors';
import { UsageError, type CliIo } from './io';
import { positive, nonNegative, count, countOrNone, seedValue } from './args';

/** What is measured: the reference's entropy variants. */
export type Kind = 'diffusion' | 'adjacency' | 'knn' | 'classic' | 'entry';

/** Kinds with a one-line description (for --help). */
export const KINDS: Record<Kind, string> = {
  diffusion: 'diffusion spectral entropy (DSE / DSMI, the default)',
  adjacency: 'spectral entropy of the Gaussian adjacency (ASE / ASMI), --anisotropic: normalised',
  knn: 'spectral entropy of the binarised kNN adjacency (ASE / ASMI with use_knn)',
  classic: 'classic Shannon entropy of the binned vectors (CSE / CSMI)',
  entry: 'entropy of the diffusion matrix entries (DSE / DSMI with matrix_entry_entropy)',
};

/** Which kinds each kind-specific flag applies to (by commander's attribute name). */
export const APPLIES_TO: Record<string, Kind[]> = {
  sigma: ['diffusion', 'adjacency', 'entry'],
  t: ['diffusion'],
  anisotropic: ['adjacency'],
  knn: ['knn'],
  bins: ['classic'],
  cache: ['diffusion', 'adjacency', 'knn'],
  cachePrecision: ['diffusion', 'adjacency', 'knn'],
  chebyshev: ['diffusion'],
  precision: ['diffusion', 'adjacency', 'knn', 'entry'],
  method: ['diffusion', 'adjacency'],
  probes: ['diffusion', 'adjacency'],
  lanczosSteps: ['diffusion', 'adjacency'],
};

/** The "Kinds:" help section. */
export function kindsHelp(): string {
  return `\nKinds:\n${Object.entries(KINDS)
    .map(([k, d]) => `  ${k.padEnd(10)} ${d}`)
    .join('\n')}`;
}

/** Adds `--kind` and the flags of the measure's options to a command. */
export function addMeasureOptions(cmd: Command): Command {
  cmd
    .addOption(new Option('--kind <kind>', 'what to measure (see Kinds below)').choices(Object.keys(KINDS)).default('diffusion'))
    .addOption(new Option('--sigma <number>', 'Gaussian kernel bandwidth (gaussian_kernel_sigma)').argParser(positive).default(10))
    .addOption(new Option('--t <number>', 'diffusion time: power of the eigenvalues (kind diffusion)').argParser(nonNegative).default(1))
    .addOption(new Option('--anisotropic', 'normalised Gaussian kernel D^-1/2 G D^-1/2 (kind adjacency)').default(false))
    .addOption(new Option('--knn <k>', 'neighbours per row, self included (kind knn)').argParser(count).default(10))
    .addOption(new Option('--bins <n>', 'bins per dimension (kind classic: num_bins_per_dim)').argParser(count).default(2))
    .addOption(new Option('--seed <n|none>', 'random seed (random_seed); "none" for unseeded').argParser(seedValue).default(0))
    .addOption(new Option('--precision <precision>', 'working precision of the kernel and eigensolver').choices(['float64', 'float32']).default('float64'));
  addMethodOptions(cmd);
  return cmd;
}

/** Adds `--method`, `--probes` and `--lanczos-steps` (see {@link methodOptions}). */
export function addMethodOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--method <method>', "'exact' eigendecomposition, or 'slq' stochastic Lanczos quadrature for large N (an estimate; see README)")
        .choices(['exact', 'slq'])
        .default('exact'),
    )
    .addOption(new Option('--probes <n>', 'probe vectors of --method slq (slq.probes, default 16; >= 4)').argParser(count))
    .addOption(new Option('--lanczos-steps <n>', 'Lanczos steps per probe of --method slq (slq.lanczosSteps, default 16; >= 2)').argParser(count));
}

/** The flags of `--method`. */
export interface MethodFlags {
  method?: 'exact' | 'slq';
  probes?: number;
  lanczosSteps?: number;
}

/**
 * The library options `--method`, `--probes` and `--lanczos-steps` stand for: nothing for the
 * exact method (the default), `{ method: 'slq', slq? }` for 'slq'. The tuning flags without
 * `--method slq` are a usage error.
 */
export function methodOptions(f: MethodFlags): Record<string, unknown> {
  if (f.method !== 'slq') {
    if (f.probes !== undefined || f.lanczosSteps !== undefined)
      throw new UsageError(`${f.probes !== undefined ? '--probes' : '--lanczos-steps'} applies only with --method slq`);
    return {};
  }
  const slq: Record<string, number> = {};
  if (f.probes !== undefined) slq.probes = f.probes;
  if (f.lanczosSteps !== undefined) slq.lanczosSteps = f.lanczosSteps;
  return Object.keys(slq).length ? { method: 'slq', slq } : { method: 'slq' };
}

/** Flags the user typed that do not apply to `kind`: a usage error naming them. */
export function checkApplicable(cmd: Command, kind: Kind): void {
  for (const [name, kinds] of Object.entries(APPLIES_TO)) {
    if (cmd.getOptionValueSource(name) === 'cli' && !kinds.includes(kind)) {
      const flag = cmd.options.find((o) => o.attributeName() === name)?.long ?? name;
      throw new UsageError(`${flag} does not apply to --kind ${kind} (it applies to --kind ${kinds.join(', ')})`);
    }
  }
}

/** Adds `--max-n`. */
export function addMaxN(cmd: Command): Command {
  return cmd.addOption(new Option('--max-n <n|none>', 'subsample more rows than this (max_N); "none" for no limit').argParser(countOrNone).default(10000));
}

/** Resolves a path given on the command line against the run's working folder. */
export function resolvePath(io: CliIo, file: string): string {
  return path.resolve(io.cwd, file);
}

/** Seconds since `start` (from process.hrtime.bigint()), to the millisecond. */
export function secondsSince(start: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - start) / 1e6) / 1000;
}

/** JSON with bigints as strings, two-space indented, newline-terminated. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
}

/** The folder of the bundled data (data/digits_X.npy, data/digits_y.npy). */
export function dataDir(): string {
  return path.join(__dirname, '..', '..', 'data');
}

/** Device and inode of the file at `file` (links followed), or null when there is none. */
function identity(file: string): string | null {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/**
 * Refuses, before any work, an output file that could not be written: its folder missing or
 * read-only, or a folder or read-only file in its place. `outputs` map a flag to a path.
 */
export function checkWritable(outputs: [string, string][]): void {
  for (const [flag, file] of outputs) {
    const dir = path.dirname(file);
    const fail = (why: string) => new DseError('ERR_DSE_IO', `Could not write ${flag} ${JSON.stringify(file)}: ${why}`);
    let dirStat: fs.Stats;
    try {
      dirStat = fs.statSync(dir);
    } catch {
      throw fail(`the folder ${JSON.stringify(dir)} does not exist`);
    }
    if (!dirStat.isDirectory()) throw fail(`${JSON.stringify(dir)} is not a folder`);
    try {
      fs.accessSync(dir, fs.constants.W_OK);
    } catch {
      throw fail(`the folder ${JSON.stringify(dir)} is not writable`);
    }
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(file);
    } catch {
      st = null;
    }
    if (st?.isDirectory()) throw fail('it is a folder');
    if (st) {
      try {
        fs.accessSync(file, fs.constants.W_OK);
      } catch {
        throw fail('the file is read-only');
      }
    }
  }
}

/**
 * Refuses, before any work, an output file that is one of the inputs (the same file by device
 * and inode, whatever links or relative paths lead to it) or another output: writing it would
 * destroy the data being read. `outputs` and `inputs` map a flag or role to a path.
 */
export function checkOutputs(outputs: [string, string][], inputs: [string, string][]): void {
  const seen = new Map<string, string>();
  for (const [role, file] of inputs) {
    const id = identity(file);
    if (id !== null && !seen.has(id)) seen.set(id, role);
  }
  const outs = new Map<string, string>();
  for (const [flag, file] of outputs) {
    const id = identity(file);
    if (id === null) {
      // Not there yet: two outputs may still name the same new file.
      const key = `new:${path.resolve(file)}`;
      if (outs.has(key)) throw new DseError('ERR_DSE_IO', `Expected different files for ${outs.get(key)} and ${flag} but both are ${JSON.stringify(file)}`);
      outs.set(key, flag);
      continue;
    }
    const input = seen.get(id);
    if (input !== undefined)
      throw new DseError('ERR_DSE_IO', `Expected an output file that is not an input for ${flag} but ${JSON.stringify(file)} is ${input}: it would be overwritten`);
    if (outs.has(id)) throw new DseError('ERR_DSE_IO', `Expected different files for ${outs.get(id)} and ${flag} but both are ${JSON.stringify(file)}`);
    outs.set(id, flag);
  }
}
