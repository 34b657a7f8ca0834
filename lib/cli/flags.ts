// SPDX-License-Identifier: MIT
/**
 * The one table of the CLI's measure flags: for each, the library option it sets, the kinds it
 * applies to, its parser and help. Defaults come from the library's option rules (lib/options.ts),
 * so a default is set in one place. `measureCall` maps a kind and the parsed flags to the library
 * call; `dse entropy`, `dse mi`, `dse compare` and `dse trace` all go through it, and
 * docs/cli-options.md is generated from the same table (scripts/gen-docs.js).
 */
import { Option, type Command } from 'commander';
import { ASE_SPEC, DSE_SPEC, DSMI_SPEC } from '../options';
import { CLUSTER_SPEC } from '../clusters';
import { SLQ_DEFAULTS } from '../slq';
import { UsageError } from './io';
import { positive, nonNegative, count, countOrNone, seedValue, orNull, type None } from './args';

/** What is measured: the reference's entropy variants. */
export type Kind = 'diffusion' | 'adjacency' | 'knn' | 'classic' | 'entry';

/** Kinds with a one-line description (for --help), and what each fixes in the library call. */
export const KINDS: Record<Kind, { help: string; family: 'diffusion' | 'adjacency'; fixed: Record<string, unknown> }> =
  {
    diffusion: { help: 'diffusion spectral entropy (DSE / DSMI, the default)', family: 'diffusion', fixed: {} },
    adjacency: {
      help: 'spectral entropy of the Gaussian adjacency (ASE / ASMI), --anisotropic: normalised',
      family: 'adjacency',
      fixed: {},
    },
    knn: {
      help: 'spectral entropy of the binarised kNN adjacency (ASE / ASMI with use_knn)',
      family: 'adjacency',
      fixed: { useKnn: true },
    },
    classic: {
      help: 'classic Shannon entropy of the binned vectors (CSE / CSMI)',
      family: 'diffusion',
      fixed: { classicShannonEntropy: true },
    },
    entry: {
      help: 'entropy of the diffusion matrix entries (DSE / DSMI with matrix_entry_entropy)',
      family: 'diffusion',
      fixed: { matrixEntryEntropy: true },
    },
  };

const ALL: Kind[] = ['diffusion', 'adjacency', 'knn', 'classic', 'entry'];

/** One flag of the table. */
export interface FlagDef {
  /** commander's flags, e.g. `--sigma <number>`. */
  flags: string;
  help: string;
  /** The library option it sets (null: handled by the command itself). */
  option: string | null;
  /** The kinds it applies to; typed for another kind it is a usage error. */
  kinds: Kind[];
  parse?: (value: string) => unknown;
  choices?: readonly string[];
  /** The default, taken from the library's rule (undefined: no default, the flag is optional). */
  default?: unknown;
  /** Turns the parsed value into the option's value (e.g. `none` -> null). */
  toOption?: (value: unknown) => unknown;
  /** Only set the option when the flag is true (a flag that switches a mode on). */
  onlyWhenSet?: boolean;
}

const noneToNull = (v: unknown) => orNull(v as never);

const FLAG_TABLE = {
  sigma: {
    flags: '--sigma <number>',
    help: 'Gaussian kernel bandwidth (gaussian_kernel_sigma)',
    option: 'gaussianKernelSigma',
    kinds: ['diffusion', 'adjacency', 'entry'],
    parse: positive,
    default: DSE_SPEC.gaussianKernelSigma.default,
  },
  t: {
    flags: '--t <number>',
    help: 'diffusion time: power of the eigenvalues (kind diffusion)',
    option: 't',
    kinds: ['diffusion'],
    parse: nonNegative,
    default: DSE_SPEC.t.default,
  },
  anisotropic: {
    flags: '--anisotropic',
    help: 'normalised Gaussian kernel D^-1/2 G D^-1/2 (kind adjacency)',
    option: 'anisotropic',
    kinds: ['adjacency'],
    default: ASE_SPEC.anisotropic.default,
  },
  knn: {
    flags: '--knn <k>',
    help: 'neighbours per row, self included (kind knn)',
    option: 'knn',
    kinds: ['knn'],
    parse: count,
    default: ASE_SPEC.knn.default,
  },
  bins: {
    flags: '--bins <n>',
    help: 'bins per dimension (kind classic: num_bins_per_dim)',
    option: 'numBinsPerDim',
    kinds: ['classic'],
    parse: count,
    default: DSE_SPEC.numBinsPerDim.default,
  },
  seed: {
    flags: '--seed <n|none>',
    help: 'random seed (random_seed); "none" for unseeded',
    option: 'randomSeed',
    kinds: ALL,
    parse: seedValue,
    default: DSE_SPEC.randomSeed.default,
    toOption: noneToNull,
  },
  precision: {
    flags: '--precision <precision>',
    help: 'working precision of the kernel and eigensolver',
    option: 'precision',
    kinds: ['diffusion', 'adjacency', 'knn', 'entry'],
    choices: ['float64', 'float32'],
    default: DSE_SPEC.precision.default,
  },
  method: {
    flags: '--method <method>',
    help: "'exact' eigendecomposition, or 'slq' stochastic Lanczos quadrature for large N (an estimate; see README)",
    option: null,
    kinds: ['diffusion', 'adjacency'],
    choices: ['exact', 'slq'],
    default: DSE_SPEC.method.default,
  },
  probes: {
    flags: '--probes <n>',
    help: `probe vectors of --method slq (slq.probes, default ${SLQ_DEFAULTS.probes}; >= 4)`,
    option: null,
    kinds: ['diffusion', 'adjacency'],
    parse: count,
  },
  lanczosSteps: {
    flags: '--lanczos-steps <n>',
    help: `Lanczos steps per probe of --method slq (slq.lanczosSteps, default ${SLQ_DEFAULTS.lanczosSteps}; >= 2)`,
    option: null,
    kinds: ['diffusion', 'adjacency'],
    parse: count,
  },
  maxN: {
    flags: '--max-n <n|none>',
    help: 'subsample more rows than this (max_N); "none" for no limit',
    option: 'maxN',
    kinds: ALL,
    parse: countOrNone,
    default: DSE_SPEC.maxN.default,
    toOption: noneToNull,
  },
  cache: {
    flags: '--cache <path>',
    help: 'eigenvalue cache, .npz (eigval_save_path): saved on the first run, used after that',
    option: null,
    kinds: ['diffusion', 'adjacency', 'knn'],
  },
  cachePrecision: {
    flags: '--cache-precision <dtype>',
    help: `precision of the saved eigenvalues (eigval_save_precision; default ${DSE_SPEC.eigvalSavePrecision.default})`,
    option: 'eigvalSavePrecision',
    kinds: ['diffusion', 'adjacency', 'knn'],
    choices: ['float16', 'float32', 'float64'],
  },
  chebyshev: {
    flags: '--chebyshev',
    help: 'estimate the eigenvalues from Chebyshev moments (chebyshev_approx; not recommended)',
    option: 'chebyshevApprox',
    kinds: ['diffusion'],
    default: DSE_SPEC.chebyshevApprox.default,
    onlyWhenSet: true,
  },
  nClusters: {
    flags: '--n-clusters <n>',
    help: 'clusters (bins) of a continuous reference',
    option: 'nClusters',
    kinds: ALL,
    parse: count,
    default: DSMI_SPEC.nClusters.default,
  },
  repetitions: {
    flags: '--repetitions <n>',
    help: 'random subsets per cluster (num_repetitions)',
    option: 'numRepetitions',
    kinds: ALL,
    parse: count,
    default: DSMI_SPEC.numRepetitions.default,
  },
  nNeighbors: {
    flags: '--n-neighbors <n>',
    help: 'neighbours of the graph that clusters a vector reference (spectral clustering)',
    option: 'nNeighbors',
    kinds: ALL,
    parse: count,
    default: CLUSTER_SPEC.nNeighbors.default,
  },
} satisfies Record<string, FlagDef>;

export type FlagName = keyof typeof FLAG_TABLE;

/** The flags, by commander attribute name. */
export const FLAGS: Record<FlagName, FlagDef> = FLAG_TABLE;

/** The flags of the measure itself, shared by every command that measures. */
export const MEASURE_FLAGS: FlagName[] = [
  'sigma',
  't',
  'anisotropic',
  'knn',
  'bins',
  'seed',
  'precision',
  'method',
  'probes',
  'lanczosSteps',
];

/** The commander Option of a flag of the table (`help`: a command's own wording of it). */
export function flagOption(name: FlagName, help?: string): Option {
  const def = FLAGS[name];
  const o = new Option(def.flags, help ?? def.help);
  if (def.parse) o.argParser(def.parse);
  if (def.choices) o.choices(def.choices);
  if (def.default !== undefined) o.default(def.default);
  return o;
}

/** Adds the flags of the table named by `names` to a command. */
export function addFlags(cmd: Command, names: readonly FlagName[]): Command {
  for (const name of names) cmd.addOption(flagOption(name));
  return cmd;
}

/** The library function of a kind's family. */
export function functionOf<D, A>(kind: Kind, diffusion: D, adjacency: A): D | A {
  return KINDS[kind].family === 'diffusion' ? diffusion : adjacency;
}

/** The "Kinds:" help section. */
export function kindsHelp(): string {
  const lines = Object.entries(KINDS).map(([k, d]) => `  ${k.padEnd(10)} ${d.help}`);
  return `\nKinds:\n${lines.join('\n')}`;
}

/** Ends a measuring command's options and help: `--json` (what it prints), the kinds, the examples. */
export function addMeasureHelp(cmd: Command, json: string, examples: string[]): Command {
  return cmd
    .option('--json', `print JSON: ${json}`, false)
    .addHelpText('after', kindsHelp())
    .addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
}

/** Adds `--kind` and the flags of the measure to a command. */
export function addMeasureOptions(cmd: Command): Command {
  cmd.addOption(
    new Option('--kind <kind>', 'what to measure (see Kinds below)').choices(Object.keys(KINDS)).default('diffusion'),
  );
  return addFlags(cmd, MEASURE_FLAGS);
}

/** Flags the user typed that do not apply to `kind`: a usage error naming them. */
export function checkApplicable(cmd: Command, kind: Kind): void {
  for (const [name, def] of Object.entries(FLAGS) as [FlagName, FlagDef][]) {
    if (cmd.getOptionValueSource(name) === 'cli' && !def.kinds.includes(kind)) {
      const flag = def.flags.split(' ')[0];
      throw new UsageError(`${flag} does not apply to --kind ${kind} (it applies to --kind ${def.kinds.join(', ')})`);
    }
  }
}

/** The flags of `--method`. */
export interface MethodFlags {
  method?: 'exact' | 'slq';
  probes?: number;
  lanczosSteps?: number;
}

/** The parsed MEASURE_FLAGS and `--kind`, `--key` and `--json`, as commander gives them. */
export interface MeasureFlags extends MethodFlags {
  kind: Kind;
  sigma: number;
  t: number;
  seed: number | bigint | None;
  anisotropic: boolean;
  knn: number;
  bins: number;
  precision: 'float64' | 'float32';
  key?: string;
  json: boolean;
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

/**
 * The library options of a measure: the kind's fixed options, then every flag of `names` that
 * applies to the kind and sets an option, then the method's. Flags the command did not register
 * (undefined values) are left out.
 *
 * @example
 * ```ts
 * measureOptions('knn', { knn: 7, seed: 'none', maxN: 100 }, ['knn', 'seed', 'maxN']);
 * // { useKnn: true, knn: 7, randomSeed: null, maxN: 100 }
 * ```
 */
export function measureOptions(
  kind: Kind,
  flags: Record<string, unknown>,
  names: readonly FlagName[],
): Record<string, unknown> {
  const options: Record<string, unknown> = { ...KINDS[kind].fixed };
  for (const name of names) {
    const def = FLAGS[name];
    const value = flags[name];
    if (def.option === null || value === undefined || !def.kinds.includes(kind)) continue;
    if (def.onlyWhenSet && value !== true) continue;
    options[def.option] = def.toOption ? def.toOption(value) : value;
  }
  if (FLAGS.method.kinds.includes(kind)) Object.assign(options, methodOptions(flags as MethodFlags));
  return options;
}
