// SPDX-License-Identifier: MIT
/**
 * `dse trace <dir> --labels <file> [--inputs <file>]`: DSE(Z), DSMI(Z;Y) and DSMI(Z;X) of every
 * epoch and layer of a training-log folder, as a table, a CSV file and an HTML report. The work
 * is DseTracker's: the inputs are clustered once and the clusters reused for every epoch.
 */
import * as path from 'path';
import { Option, type Command } from 'commander';
import { DseTracker } from '../tracker';
import type { TraceRecord } from '../report/trace';
import type { CliIo } from './io';
import { count, nonNegative, positive, seedValue, orNull, type None } from './args';
import { checkOutputs, resolvePath, secondsSince, toJson } from './common';
import { addFlags, methodOptions } from './flags';
import { fixed, textTable, bytes } from './format';
import { loadLabels, loadMatrix } from './load';
import { discoverTrace, traceCandidates } from './discover';
import { progressBar } from './progress';
import { ownProperties } from '../validate';

interface TraceFlags {
  labels: string;
  inputs?: string;
  out: string;
  report: boolean;
  csv?: string;
  json: boolean;
  sigma: number;
  t: number;
  maxN: number | None;
  seed: number | bigint | None;
  repetitions: number;
  nClusters: number;
  nNeighbors: number;
  precision: 'float64' | 'float32';
  method?: 'exact' | 'slq';
  probes?: number;
  lanczosSteps?: number;
  key?: string;
  title?: string;
}

/**
 * The records as a terminal table.
 *
 * @example
 * ```ts
 * process.stdout.write(traceTable(tracker.results()));
 * ```
 */
export function traceTable(records: TraceRecord[]): string {
  const hasY = records.some((r) => r.dsmiY !== null);
  const hasX = records.some((r) => r.dsmiX !== null);
  const header = ['layer', 'epoch', 'N', 'D', 'DSE(Z)', ...(hasY ? ['DSMI(Z;Y)'] : []), ...(hasX ? ['DSMI(Z;X)'] : [])];
  const rows = records.map((r) => [
    r.layer,
    String(r.epoch),
    String(r.rows),
    String(r.cols),
    fixed(r.dse),
    ...(hasY ? [fixed(r.dsmiY)] : []),
    ...(hasX ? [fixed(r.dsmiX)] : []),
  ]);
  return textTable(header, rows);
}

/** Registers `dse trace`. */
export function registerTrace(program: Command, io: CliIo): void {
  const cmd = program
    .command('trace')
    .summary('DSE(Z), DSMI(Z;Y), DSMI(Z;X) per epoch of a training-log folder, with a report')
    .description(
      'Reads a training-log folder of per-epoch embedding files (.npy, .npz, .csv; one row per sample,\n' +
        'in the order of the labels): one subfolder per layer or run, or the files directly in the\n' +
        'folder (one series). The epoch is the last number in each file name, in natural order\n' +
        '(epoch_2 before epoch_10). Computes DSE(Z), DSMI(Z;Y) with the labels and, with --inputs,\n' +
        'DSMI(Z;X) for every file; the inputs are clustered once (spectral clustering) and the\n' +
        'clusters reused for every epoch. Prints a table and writes an HTML report with one chart per\n' +
        'measure (one line per layer or run) and, with --csv, a CSV file.',
    )
    .argument('<dir>', 'the training-log folder')
    .requiredOption('--labels <file>', 'Y: one label per row (.npy, .npz or .csv)')
    .option('--inputs <file>', 'X: the inputs, one row per sample, for DSMI(Z;X)')
    .option('--out <file>', 'where to write the HTML report', 'dse-trace-report.html')
    .option('--no-report', 'do not write the HTML report')
    .option('--csv <file>', 'also write the values as CSV')
    .option('--json', 'print the records as JSON instead of a table', false)
    .addOption(new Option('--sigma <number>', 'Gaussian kernel bandwidth (gaussian_kernel_sigma)').argParser(positive).default(10))
    .addOption(new Option('--t <number>', 'diffusion time').argParser(nonNegative).default(1));
  addFlags(cmd, ['maxN']);
  cmd
    .addOption(new Option('--seed <n|none>', 'random seed (random_seed); "none" for unseeded').argParser(seedValue).default(0))
    .addOption(new Option('--repetitions <n>', 'random subsets per cluster of DSMI (num_repetitions)').argParser(count).default(5))
    .addOption(new Option('--n-clusters <n>', 'clusters of the inputs (and bins of continuous labels)').argParser(count).default(10))
    .addOption(new Option('--n-neighbors <n>', 'neighbours of the graph that clusters the inputs').argParser(count).default(10))
    .addOption(new Option('--precision <precision>', 'working precision').choices(['float64', 'float32']).default('float64'));
  addFlags(cmd, ['method', 'probes', 'lanczosSteps']);
  cmd
    .option('--key <name>', 'array to read from .npz embedding files')
    .option('--title <text>', 'title of the report')
    .addHelpText(
      'after',
      '\nExample folder:\n  runs/fc1/epoch_1.npy  runs/fc1/epoch_2.npy ...  runs/fc2/epoch_1.npy ...\n' +
        '  dse trace runs --labels y.npy --inputs x.npy --out report.html --csv trace.csv',
    )
    .action(async (dir: string, givenFlags: TraceFlags) => {
      const flags = ownProperties(givenFlags) as TraceFlags;
      const start = process.hrtime.bigint();
      const root = resolvePath(io, dir);
      const labelsFile = resolvePath(io, flags.labels);
      const inputsFile = flags.inputs === undefined ? undefined : resolvePath(io, flags.inputs);
      const outFile = resolvePath(io, flags.out);
      const csvFile = flags.csv === undefined ? undefined : resolvePath(io, flags.csv);
      const outputs: [string, string][] = [...(flags.report ? [['--out', outFile] as [string, string]] : []), ...(csvFile ? [['--csv', csvFile] as [string, string]] : [])];
      // Outputs are left out of the discovery (a report or CSV of an earlier run may sit in the
      // folder); one that is an epoch file of the trace is refused below like any input.
      const files = discoverTrace(root, [labelsFile, ...(inputsFile ? [inputsFile] : []), outFile, ...(csvFile ? [csvFile] : [])], dir);
      const traced = traceCandidates(root, [labelsFile, ...(inputsFile ? [inputsFile] : [])]);
      checkOutputs(outputs, [
        ['the --labels file', labelsFile],
        ...(inputsFile ? [['the --inputs file', inputsFile] as [string, string]] : []),
        ...traced.map((f): [string, string] => [`the epoch file ${JSON.stringify(path.relative(root, f))}`, f]),
      ]);
      const labels = loadLabels(labelsFile);
      const inputs = inputsFile === undefined ? null : loadMatrix(inputsFile);
      const tracker = new DseTracker({
        labels,
        inputs,
        gaussianKernelSigma: flags.sigma,
        t: flags.t,
        maxN: orNull(flags.maxN),
        randomSeed: orNull(flags.seed),
        numRepetitions: flags.repetitions,
        nClusters: flags.nClusters,
        nNeighbors: flags.nNeighbors,
        precision: flags.precision,
        ...methodOptions(flags),
      });
      const bar = progressBar(io, 'dse trace');
      bar.start(files.length + (inputs ? 1 : 0), inputs ? 'clustering the inputs' : '');
      try {
        if (inputs) {
          await tracker.inputClusters();
          bar.tick();
        }
        for (const f of files) {
          const rel = path.relative(root, f.file);
          const Z = loadMatrix(f.file, flags.key);
          await tracker.record({ epoch: f.epoch, layer: f.series, embeddings: Z, source: rel });
          bar.tick(rel);
        }
      } finally {
        bar.stop();
      }
      const records = tracker.results();
      if (csvFile) tracker.writeCsv(csvFile);
      let reportBytes = 0;
      if (flags.report) {
        reportBytes = await tracker.writeReport(outFile, {
          title: flags.title ?? `DSE / DSMI during training: ${path.basename(root)}`,
          subtitle: `${files.length} embedding files in ${new Set(files.map((f) => f.series)).size} series from ${dir}`,
          meta: {
            folder: root,
            labels: flags.labels,
            ...(flags.inputs ? { inputs: flags.inputs } : {}),
            'total seconds': secondsSince(start),
          },
        });
      }
      const seconds = secondsSince(start);
      if (flags.json) {
        io.stdout.write(
          toJson({ command: 'trace', records, options: tracker.options(), report: flags.report ? outFile : null, reportBytes, csv: csvFile ?? null, seconds }),
        );
        return;
      }
      const out = [traceTable(records)];
      if (flags.report) out.push(`\nReport: ${outFile} (${bytes(reportBytes)})\n`);
      if (csvFile) out.push(`${flags.report ? '' : '\n'}CSV: ${csvFile}\n`);
      out.push(`Done in ${seconds.toFixed(1)} s\n`);
      io.stdout.write(out.join(''));
    });
}
