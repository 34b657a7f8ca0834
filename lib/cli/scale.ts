// SPDX-License-Identifier: MIT
/**
 * `dse scale <file>`: the typical distance between the rows of a matrix (quantiles on a seeded
 * sample) and the DSE of that sample at sigma = multiples of the median distance: guidance for
 * choosing `--sigma`, not a default.
 */
import { Option, type Command } from 'commander';
import { distanceScale } from '../scale';
import { diffusionSpectralEntropy } from '../entropy';
import type { CliIo } from './io';
import { count, orNull, type None } from './args';
import { flagOption } from './flags';
import { resolvePath, secondsSince, toJson } from './common';
import { textTable } from './format';
import { loadMatrix } from './load';
import { progressBar } from './progress';
import { ownProperties } from '../validate';

interface ScaleFlags {
  sample: number;
  seed: number | bigint | None;
  t: number;
  key?: string;
  json: boolean;
}

/** Sigma as multiples of the median distance. */
export const SCALE_MULTIPLES = [0.25, 0.5, 1, 2, 4] as const;

/** A sigma people can type: 3 significant digits. */
function roundSigma(v: number): number {
  return Number(v.toPrecision(3));
}

/** Registers `dse scale`. */
export function registerScale(program: Command, io: CliIo): void {
  program
    .command('scale')
    .summary('typical pairwise distance of a matrix, and DSE at a few sigma: to choose --sigma')
    .description(
      'The Euclidean distances between the rows of a matrix on a seeded random sample of --sample rows\n' +
        '(5%, 25%, 50%, 75%, 95% quantiles), and the DSE of the same sample at sigma = 0.25, 0.5, 1, 2\n' +
        'and 4 times the median distance. Guidance for choosing --sigma, not a default: far below the\n' +
        'typical distance DSE is near log2 of the rows (no row sees another), far above it near 0.\n' +
        'Keep one sigma for every epoch of a trace so that the curves compare.',
    )
    .argument('<file>', 'the matrix: .npy, .npz or .csv, shape [N, D]')
    .addOption(new Option('--sample <n>', 'rows drawn at random (all rows when fewer)').argParser(count).default(1000))
    .addOption(flagOption('seed', 'seed of the sample and of DSE; "none" for unseeded'))
    .addOption(flagOption('t', 'diffusion time of the DSE column'))
    .option('--key <name>', 'array to read from a .npz file')
    .option('--json', 'print JSON: the quantiles and the DSE per sigma', false)
    .addHelpText('after', '\nExample:\n  dse scale embeddings.npy            # then: dse trace runs --sigma <a value near the median> ...')
    .action(async (file: string, givenFlags: ScaleFlags) => {
      const flags = ownProperties(givenFlags) as ScaleFlags;
      const start = process.hrtime.bigint();
      const X = loadMatrix(resolvePath(io, file), flags.key);
      const randomSeed = orNull(flags.seed);
      const s = distanceScale(X, { sampleSize: flags.sample, randomSeed });
      const k = s.sample.length;
      // The sample's own rows (all of them: maxN null), so DSE and distances describe the same points.
      const cols = X.cols;
      const sampled = { data: new Float64Array(k * cols), rows: k, cols };
      s.sample.forEach((row, i) => sampled.data.set(X.data.subarray(row * cols, (row + 1) * cols), i * cols));
      const base = s.median > 0 ? s.median : s.quantiles['95'];
      const dse: { multiple: number; sigma: number; dse: number }[] = [];
      if (base > 0) {
        const bar = progressBar(io, 'dse scale');
        bar.start(SCALE_MULTIPLES.length, 'DSE');
        try {
          for (const multiple of SCALE_MULTIPLES) {
            const sigma = roundSigma(multiple * base);
            dse.push({ multiple, sigma, dse: await diffusionSpectralEntropy(sampled, { gaussianKernelSigma: sigma, t: flags.t, maxN: null, randomSeed }) });
            bar.tick(`sigma ${sigma}`);
          }
        } finally {
          bar.stop();
        }
      }
      const maxBits = Math.log2(k);
      const seconds = secondsSince(start);
      if (flags.json) {
        const { sample: _rows, ...scale } = s;
        io.stdout.write(toJson({ command: 'scale', file, sampleSize: k, seed: randomSeed, ...scale, t: flags.t, maxDse: maxBits, dse, seconds }));
        return;
      }
      const q = s.quantiles;
      const fmt = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1e5 ? v.toFixed(Math.max(0, 3 - Math.floor(Math.log10(Math.abs(v))))) : v.toPrecision(4));
      const out = [
        `${s.rows} x ${s.cols}; ${k < s.rows ? `a random sample of ${k} rows (seed ${randomSeed ?? 'none'})` : `all ${k} rows`}, ${s.pairs} pairwise distances\n\n`,
        'Euclidean distance between rows\n',
        textTable(['min', '5%', '25%', 'median', '75%', '95%', 'max'], [[s.min, q['5'], q['25'], q['50'], q['75'], q['95'], s.max].map(fmt)]),
      ];
      if (dse.length) {
        out.push(`\nDSE of the sample (t = ${flags.t}; at most log2(${k}) = ${maxBits.toFixed(2)} bits)\n`);
        out.push(textTable(['sigma', 'x median', 'DSE (bits)'], dse.map((d) => [String(d.sigma), String(d.multiple), d.dse.toFixed(4)])));
      } else out.push('\nEvery sampled row is the same point: no distance to scale sigma against.\n');
      out.push(
        '\nGuidance, not a default: choose sigma against the median distance, where DSE is well\n' +
          'between 0 and its maximum, and keep the same sigma for every epoch and run you compare.\n',
      );
      out.push(`Done in ${seconds.toFixed(1)} s\n`);
      io.stdout.write(out.join(''));
    });
}
