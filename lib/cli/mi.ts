// SPDX-License-Identifier: MIT
/** `dse mi <X-file> <reference-file>`: DSMI (or ASMI, CSMI, matrix-entry DSMI) of two files. */
import * as path from 'path';
import { Option, type Command } from 'commander';
import {
  diffusionSpectralMutualInformation,
  adjacencySpectralMutualInformation,
  type MutualInformationResult,
} from '../mi';
import { uniqueCounts } from '../clusters';
import { writeNpy } from '../io/npy';
import { writeCsv } from '../io/csv';
import type { CliIo } from './io';
import { checkOutputs, resolvePath, secondsSince, toJson } from './common';
import { addMeasureHelp, addMeasureOptions, checkApplicable, flagOption, functionOf, measureOptions } from './flags';
import { MEASURE_FLAGS, type FlagName, type MeasureFlags } from './flags';
import { loadMatrix, loadReference, loadLabels } from './load';
import { progressBar } from './progress';
import { ownProperties } from '../validate';

/** The flags of `dse mi` (and of `dse compare` with a reference file). */
export interface MiFlags extends MeasureFlags {
  discrete?: boolean;
  continuous?: boolean;
  nClusters: number;
  repetitions: number;
  clusters?: string;
  saveClusters?: string;
  key?: string;
  referenceKey?: string;
}

/**
 * The library call a kind stands for, with every option it uses (without the clusters).
 *
 * @example
 * ```ts
 * miCall({ kind: 'classic', bins: 2, ... }); // { fn: 'diffusionSpectralMutualInformation', options: {
 * classicShannonEntropy: true, ... } }
 * ```
 */
export function miCall(f: MiFlags): {
  fn: 'diffusionSpectralMutualInformation' | 'adjacencySpectralMutualInformation';
  options: Record<string, unknown>;
} {
  const referenceDiscrete = f.discrete ? true : f.continuous || f.clusters !== undefined ? false : null;
  const options = { referenceDiscrete, ...measureOptions(f.kind, f as unknown as Record<string, unknown>, MI_FLAGS) };
  return {
    fn: functionOf(f.kind, 'diffusionSpectralMutualInformation', 'adjacencySpectralMutualInformation'),
    options,
  };
}

const MI_FLAGS: FlagName[] = [...MEASURE_FLAGS, 'nClusters', 'repetitions'];

/** Adds the flags of DSMI's reference: `--discrete`, `--continuous`, `--n-clusters`, `--repetitions`, `--clusters`. */
export function addReferenceOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--discrete',
        'the reference is class labels (reference_discrete=True); default: an integer column is',
      ).conflicts(['continuous', 'clusters']),
    )
    .addOption(
      new Option('--continuous', 'the reference is continuous: bin scalars, cluster vectors').conflicts('discrete'),
    )
    .addOption(flagOption('nClusters'))
    .addOption(flagOption('repetitions'))
    .option('--clusters <file>', 'precomputed cluster labels of the reference, one per row (precomputed_clusters)');
}

function saveClusters(file: string, clusters: Int32Array): void {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv')
    writeCsv(
      file,
      ['cluster'],
      Array.from(clusters, (c) => [c]),
    );
  // A copy made here: the addon's own Int32Array may come from another realm (vm contexts, jest).
  else writeNpy(file, { data: Int32Array.from(clusters) });
}

/** Registers `dse mi`. */
export function registerMi(program: Command, io: CliIo): void {
  const cmd = program
    .command('mi')
    .summary('diffusion spectral mutual information DSMI(X; reference) of two files')
    .description(
      'Diffusion spectral mutual information (or ASMI/CSMI, see --kind) between the rows of a matrix\n' +
        'and a reference with one row per row: class labels (an integer column: discrete), continuous\n' +
        'scalars (binned into --n-clusters) or vectors (spectral clustering into --n-clusters).\n' +
        'Prints the value in bits, or JSON with --json.',
    )
    .argument('<X-file>', 'the embeddings: .npy, .npz or .csv, shape [N, D]')
    .argument('<reference-file>', "labels [N], scalars [N] or vectors [N, D'] (.npy, .npz or .csv)");
  addMeasureOptions(cmd);
  addReferenceOptions(cmd);
  cmd
    .option('--save-clusters <file>', 'write the cluster labels used (.npy or .csv), to reuse with --clusters')
    .option('--key <name>', 'array to read from X-file when it is a .npz')
    .option('--reference-key <name>', 'array to read from reference-file when it is a .npz');
  addMeasureHelp(cmd, 'value, options used, N, D, clusters, seconds', [
    'dse mi embeddings.npy labels.npy',
    'dse mi embeddings.npy images.npy --n-clusters 10 --save-clusters images_clusters.npy',
    'dse mi embeddings_epoch2.npy images.npy --clusters images_clusters.npy --json',
  ]).action(async (xFile: string, refFile: string, givenFlags: MiFlags, command: Command) => {
    const flags = ownProperties(givenFlags) as MiFlags;
    checkApplicable(command, flags.kind);
    const start = process.hrtime.bigint();
    if (flags.saveClusters !== undefined)
      checkOutputs(
        [['--save-clusters', resolvePath(io, flags.saveClusters)]],
        [
          ['the embeddings file', resolvePath(io, xFile)],
          ['the reference file', resolvePath(io, refFile)],
          ...(flags.clusters !== undefined
            ? [['the --clusters file', resolvePath(io, flags.clusters)] as [string, string]]
            : []),
        ],
      );
    const X = loadMatrix(resolvePath(io, xFile), flags.key);
    const ref = loadReference(resolvePath(io, refFile), flags.referenceKey);
    const { fn, options } = miCall(flags);
    if (flags.clusters !== undefined) options.precomputedClusters = loadLabels(resolvePath(io, flags.clusters));
    const bar = progressBar(io, `dse mi (${flags.kind})`);
    bar.start(1, 'clusters');
    const onProgress = (done: number, total: number) => bar.update(done, 'entropies', total);
    let result: MutualInformationResult;
    try {
      result =
        fn === 'diffusionSpectralMutualInformation'
          ? await diffusionSpectralMutualInformation(X, ref.reference, { ...options, onProgress } as Parameters<
              typeof diffusionSpectralMutualInformation
            >[2])
          : await adjacencySpectralMutualInformation(X, ref.reference, { ...options, onProgress } as Parameters<
              typeof adjacencySpectralMutualInformation
            >[2]);
    } finally {
      bar.stop();
    }
    if (flags.saveClusters !== undefined) saveClusters(resolvePath(io, flags.saveClusters), result.clusters);
    const seconds = secondsSince(start);
    if (flags.json) {
      const { values, counts } = uniqueCounts(result.clusters);
      const shown = { ...options };
      if (shown.precomputedClusters) shown.precomputedClusters = flags.clusters;
      io.stdout.write(
        toJson({
          command: 'mi',
          kind: flags.kind,
          function: fn,
          value: result.value,
          xFile,
          referenceFile: refFile,
          N: X.rows,
          D: X.cols,
          referenceShape: ref.shape,
          clusters: values.length,
          clusterSizes: Object.fromEntries(values.map((v, i) => [String(v), counts[i]])),
          options: shown,
          seconds,
        }),
      );
    } else io.stdout.write(`${result.value}\n`);
  });
}
