// SPDX-License-Identifier: MIT
/**
 * `dse trace <dir> --labels <file> [--inputs <file>]`: DSE(Z), DSMI(Z;Y) and DSMI(Z;X) of every
 * epoch and layer of a training-log folder, as a table, a CSV file and an HTML report. The work
 * is DseTracker's: the inputs are clustered once and the clusters reused for every epoch.
 * Nothing computed is lost: a file that fails becomes a row with its error, the CSV is appended
 * entry by entry, a rerun reuses the CSV's rows of unchanged files, and `--watch` follows a
 * folder that a training run is still writing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { setTimeout as sleep } from 'timers/promises';
import { Option, type Command } from 'commander';
import { DseTracker } from '../tracker';
import { AbortError, DseError } from '../errors';
import { raceAbort } from '../native';
import { writeFileAtomic } from '../io/atomic';
import {
  parseTraceCsv,
  traceCsv,
  traceCsvLine,
  TRACE_CSV_HEADER,
  type TraceFailure,
  type TraceFileStamp,
  traceTableRows,
  type TraceColumn,
  type TraceRecord,
} from '../report/trace';
import { ExitStatus, type CliIo } from './io';
import { positive, type None } from './args';
import { checkOutputs, checkWritable, resolvePath, secondsSince, toJson } from './common';
import { addFlags, flagOption, measureOptions, type FlagName } from './flags';

/** The flags of the measure that `dse trace` takes (the tracker's options). */
const TRACE_FLAGS: FlagName[] = [
  'sigma',
  't',
  'maxN',
  'seed',
  'repetitions',
  'nClusters',
  'nNeighbors',
  'precision',
  'method',
  'probes',
  'lanczosSteps',
];
import { fixed, textTable, bytes } from './format';
import { loadLabels, loadMatrix } from './load';
import { discoverTrace, epochPattern, traceCandidates, TRACE_EXTENSIONS, type EpochFile } from './discover';
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
  epochPattern?: string;
  strict: boolean;
  watch: boolean;
  interval: number;
  fresh: boolean;
  verbose: boolean;
}

const BITS = new Set<TraceColumn>(['dse', 'dsmiY', 'dsmiX']);
const TEXT_HEADERS: Record<TraceColumn, string> = {
  layer: 'layer',
  epoch: 'epoch',
  rows: 'N',
  rowsUsed: 'N used',
  cols: 'D',
  dse: 'DSE(Z)',
  dsmiY: 'DSMI(Z;Y)',
  dsmiX: 'DSMI(Z;X)',
  seconds: 'seconds',
  error: 'error',
};

/**
 * The records (and the entries that failed, with their error) as a terminal table.
 *
 * @example
 * ```ts
 * process.stdout.write(traceTable(tracker.results()));
 * ```
 */
export function traceTable(records: TraceRecord[], failures: TraceFailure[] = []): string {
  const { columns, rows } = traceTableRows(records, failures, false);
  const text = (v: string | number | null, c: TraceColumn): string =>
    c === 'error' ? String(v ?? '') : typeof v === 'number' && BITS.has(c) ? fixed(v) : String(v ?? '-');
  return textTable(
    columns.map((c) => TEXT_HEADERS[c]),
    rows.map((row) => row.map((v, i) => text(v, columns[i]))),
  );
}

/** Size and modification time of a file, or null when it is gone. */
function stampOf(file: string): TraceFileStamp | null {
  try {
    const st = fs.statSync(file);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

function sameStamp(a: TraceFileStamp | null | undefined, b: TraceFileStamp | null | undefined): boolean {
  return !!a && !!b && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** Registers `dse trace`. */
export function registerTrace(program: Command, io: CliIo): void {
  const cmd = program
    .command('trace')
    .summary('DSE(Z), DSMI(Z;Y), DSMI(Z;X) per epoch of a training-log folder, with a report')
    .description(
      'Reads a training-log folder of per-epoch embedding files (.npy, .npz, .csv, .tsv; one row per\n' +
        'sample, in the order of the labels; other files are ignored): one subfolder per layer or run,\n' +
        'or the files directly in the folder (one series). The epoch is the number after the last\n' +
        '"epoch", "ep" or "e" in the file name (emb-e3-loss0.25.npy: 3), else its last number\n' +
        '(step_500.npy: 500); --epoch-pattern overrides. Computes DSE(Z), DSMI(Z;Y) with the labels\n' +
        'and, with --inputs, DSMI(Z;X) for every file; the inputs are clustered once and the clusters\n' +
        'reused for every epoch. A file that fails is reported and shown with its error; the others\n' +
        'are computed (exit 2 if any failed). With --csv the values are appended as they come, and a\n' +
        'rerun reuses the rows of files that did not change. --watch follows a folder being written.',
    )
    .argument('<dir>', 'the training-log folder')
    .requiredOption('--labels <file>', 'Y: one label per row (.npy, .npz or .csv)')
    .option('--inputs <file>', 'X: the inputs, one row per sample, for DSMI(Z;X)')
    .option('--out <file>', 'where to write the HTML report', 'dse-trace-report.html')
    .option('--no-report', 'do not write the HTML report')
    .option('--csv <file>', 'write the values as CSV, entry by entry; a rerun reuses its rows of unchanged files')
    .option('--json', 'print the records as JSON instead of a table', false)
    .addOption(flagOption('sigma'))
    .addOption(flagOption('t', 'diffusion time'));
  addFlags(cmd, ['maxN']);
  cmd
    .addOption(flagOption('seed'))
    .addOption(flagOption('repetitions', 'random subsets per cluster of DSMI (num_repetitions)'))
    .addOption(flagOption('nClusters', 'clusters of the inputs (and bins of continuous labels)'))
    .addOption(flagOption('nNeighbors', 'neighbours of the graph that clusters the inputs'))
    .addOption(flagOption('precision', 'working precision'));
  addFlags(cmd, ['method', 'probes', 'lanczosSteps']);
  cmd
    .option('--key <name>', 'array to read from .npz embedding files')
    .option('--title <text>', 'title of the report')
    .option(
      '--epoch-pattern <regex>',
      'read the epoch from this regular expression\'s one capture group (e.g. "step(\\d+)")',
    )
    .option('--strict', 'stop at the first file that fails (what was computed is still written)', false)
    .option(
      '--watch',
      'keep following the folder: compute each new file once its size is stable, rewrite the report after each; ' +
        'Ctrl-C ends',
      false,
    )
    .addOption(
      new Option('--interval <seconds>', 'how often --watch looks at the folder').argParser(positive).default(2),
    )
    .option('--fresh', 'recompute everything, ignoring the rows of an existing --csv file', false)
    .option('--verbose', 'say which files are ignored and which rows are reused', false)
    .addHelpText(
      'after',
      '\nExample folder:\n  runs/fc1/epoch_1.npy  runs/fc1/epoch_2.npy ...  runs/fc2/epoch_1.npy ...\n' +
        '  dse trace runs --labels y.npy --inputs x.npy --out report.html --csv trace.csv\n' +
        '  dse trace runs --labels y.npy --csv trace.csv --watch     # while the training writes runs/',
    )
    .action(async (dir: string, givenFlags: TraceFlags) => {
      const flags = ownProperties(givenFlags) as TraceFlags;
      await traceCommand(io, dir, flags);
    });
}

async function traceCommand(io: CliIo, dir: string, flags: TraceFlags): Promise<void> {
  const start = process.hrtime.bigint();
  const root = resolvePath(io, dir);
  const labelsFile = resolvePath(io, flags.labels);
  const inputsFile = flags.inputs === undefined ? undefined : resolvePath(io, flags.inputs);
  const outFile = resolvePath(io, flags.out);
  const csvFile = flags.csv === undefined ? undefined : resolvePath(io, flags.csv);
  const pattern = flags.epochPattern === undefined ? undefined : epochPattern(flags.epochPattern);
  const outputs: [string, string][] = [
    ...(flags.report ? [['--out', outFile] as [string, string]] : []),
    ...(csvFile ? [['--csv', csvFile] as [string, string]] : []),
  ];
  const skip = [labelsFile, ...(inputsFile ? [inputsFile] : []), outFile, ...(csvFile ? [csvFile] : [])];
  // Outputs are left out of the discovery (a report or CSV of an earlier run may sit in the
  // folder); one that is an epoch file of the trace is refused below like any input.
  const ignored: string[] = [];
  const discover = () => discoverTrace(root, skip, dir, { epochPattern: pattern, allowEmpty: flags.watch, ignored });
  let files = discover();
  const traced = traceCandidates(root, [labelsFile, ...(inputsFile ? [inputsFile] : [])]);
  checkOutputs(outputs, [
    ['the --labels file', labelsFile],
    ...(inputsFile ? [['the --inputs file', inputsFile] as [string, string]] : []),
    ...traced.map((f): [string, string] => [`the epoch file ${JSON.stringify(path.relative(root, f))}`, f]),
  ]);
  checkWritable(outputs);
  if (flags.verbose && ignored.length)
    io.stderr.write(`dse trace: ignored (not ${TRACE_EXTENSIONS.join(', ')}): ${[...new Set(ignored)].join(', ')}\n`);
  const labels = loadLabels(labelsFile);
  const inputs = inputsFile === undefined ? null : loadMatrix(inputsFile);
  const tracker = new DseTracker({
    labels,
    inputs,
    ...measureOptions('diffusion', flags as unknown as Record<string, unknown>, TRACE_FLAGS),
  });

  // Ctrl-C (or io.signal) stops the work in progress; what is done is written below.
  const stop = new AbortController();
  const onSigint = () => stop.abort(new AbortError('Interrupted (Ctrl-C)'));
  process.once('SIGINT', onSigint);
  const onIoAbort = () => stop.abort(io.signal?.reason);
  if (io.signal?.aborted) onIoAbort();
  io.signal?.addEventListener('abort', onIoAbort, { once: true });

  const failures = new Map<string, TraceFailure>(); // by source
  const computedStamp = new Map<string, TraceFileStamp>(); // source -> the stamp its row was made from
  const rel = (f: EpochFile) => path.relative(root, f.file);
  let reused = 0;
  let reportBytes = 0;
  let reportWritten = false;
  const writeReport = async () => {
    if (!flags.report) return;
    if (tracker.results().length === 0 && failures.size === 0) return;
    const all = [...tracker.results(), ...failures.values()];
    reportBytes = await tracker.writeReport(outFile, {
      title: flags.title ?? `DSE / DSMI during training: ${path.basename(root)}`,
      subtitle: `${all.length} embedding files in ${new Set(all.map((f) => f.layer)).size} series from ${dir}`,
      meta: {
        folder: root,
        labels: flags.labels,
        ...(flags.inputs ? { inputs: flags.inputs } : {}),
        ...(flags.watch ? { updated: new Date().toISOString() } : { 'total seconds': secondsSince(start) }),
      },
      failures: [...failures.values()],
    });
    reportWritten = true;
  };
  const writeCsv = (text: string) => {
    if (csvFile) writeFileAtomic(csvFile, new TextEncoder().encode(text));
  };
  const appendCsv = (row: TraceRecord | TraceFailure) => {
    if (csvFile) fs.appendFileSync(csvFile, traceCsvLine(row));
  };

  try {
    // Resume: the CSV's rows of files that are unchanged, computed with the same options and data.
    if (csvFile && !flags.fresh && fs.existsSync(csvFile)) {
      let previous: ReturnType<typeof parseTraceCsv>;
      try {
        previous = parseTraceCsv(fs.readFileSync(csvFile, 'utf8'), JSON.stringify(flags.csv));
      } catch (e) {
        throw new DseError(
          'ERR_DSE_FORMAT',
          `${(e as Error).message}. It is not a dse trace CSV: choose another --csv file, or pass --fresh to ` +
            `overwrite it`,
          { cause: e },
        );
      }
      const bySource = new Map<string, TraceRecord>();
      for (const r of previous.records) if (r.source !== undefined) bySource.set(r.source, r);
      const mine = tracker.fingerprint();
      const keep: TraceRecord[] = [];
      for (const f of files) {
        const r = bySource.get(rel(f));
        if (
          r &&
          r.options === mine &&
          r.layer === f.series &&
          r.epoch === f.epoch &&
          sameStamp(r.file, stampOf(f.file))
        ) {
          keep.push(r);
          computedStamp.set(rel(f), r.file!);
        }
      }
      reused = tracker.restore(keep, JSON.stringify(flags.csv));
      if (reused > 0 || flags.verbose)
        io.stderr.write(
          `dse trace: reused ${reused} of ${files.length} entries from ${flags.csv}` +
            (flags.verbose && reused < files.length
              ? ` (${files.length - reused} new, changed or computed with other options)`
              : '') +
            '\n',
        );
    }
    // The CSV as it stands now (reused rows only), then one line appended per entry.
    writeCsv(`${TRACE_CSV_HEADER.join(',')}\n${tracker.results().map(traceCsvLine).join('')}`);

    const pendingMessages: string[] = [];
    /** Computes one file into the tracker, or records its failure. False when aborted. */
    const compute = async (f: EpochFile, stamp: TraceFileStamp, say: (m: string) => void): Promise<boolean> => {
      const source = rel(f);
      if (tracker.has(f.series, f.epoch)) tracker.remove(f.series, f.epoch);
      failures.delete(source);
      try {
        const Z = loadMatrix(f.file, flags.key);
        const r = await tracker.record({
          epoch: f.epoch,
          layer: f.series,
          embeddings: Z,
          source,
          file: stamp,
          signal: stop.signal,
        });
        appendCsv(r);
      } catch (e) {
        if (stop.signal.aborted) return false;
        const error = oneLine(String((e as Error)?.message ?? e));
        const failure: TraceFailure = {
          layer: f.series,
          epoch: f.epoch,
          source,
          error,
          file: stamp,
          options: tracker.fingerprint(),
        };
        failures.set(source, failure);
        appendCsv(failure);
        say(`dse: ${source}: ${error}\n`);
      }
      computedStamp.set(source, stamp);
      return true;
    };

    if (!flags.watch) {
      const todo = files.filter((f) => !computedStamp.has(rel(f)));
      const bar = progressBar(io, 'dse trace');
      const say = (m: string) => (bar.visible ? pendingMessages.push(m) : io.stderr.write(m));
      bar.start(todo.length + (inputs ? 1 : 0), inputs ? 'clustering the inputs' : '');
      try {
        if (inputs && todo.length > 0) await raceAbort(tracker.inputClusters(), stop.signal);
        if (inputs) bar.tick();
        for (const f of todo) {
          if (stop.signal.aborted) break;
          const stamp = stampOf(f.file) ?? { size: 0, mtimeMs: 0 };
          if (!(await compute(f, stamp, say))) break;
          bar.tick(rel(f));
          if (flags.strict && failures.size > 0) break;
        }
      } catch (e) {
        if (!stop.signal.aborted) throw e;
      } finally {
        bar.stop();
        for (const m of pendingMessages) io.stderr.write(m);
      }
    } else {
      await watchLoop();
    }

    async function watchLoop(): Promise<void> {
      const lastSeen = new Map<string, TraceFileStamp>();
      let lastDiscoveryError = '';
      const say = (m: string) => io.stderr.write(m);
      io.stderr.write(`dse trace: watching ${dir} every ${flags.interval} s (Ctrl-C to stop)\n`);
      while (!stop.signal.aborted) {
        try {
          files = discover();
          lastDiscoveryError = '';
        } catch (e) {
          const m = oneLine(String((e as Error)?.message ?? e));
          if (m !== lastDiscoveryError) say(`dse: ${m} (still watching)\n`);
          lastDiscoveryError = m;
        }
        for (const f of files) {
          if (stop.signal.aborted) break;
          const source = rel(f);
          const stamp = stampOf(f.file);
          if (!stamp) continue;
          const before = lastSeen.get(source);
          lastSeen.set(source, stamp);
          if (sameStamp(computedStamp.get(source), stamp)) continue;
          // Complete once two looks an interval apart see the same size and time.
          if (!sameStamp(before, stamp) || stamp.size === 0) continue;
          const t0 = process.hrtime.bigint();
          if (!(await compute(f, stamp, say))) break;
          if (!failures.has(source))
            say(`dse trace: ${source} (epoch ${f.epoch}) in ${secondsSince(t0).toFixed(1)} s\n`);
          await writeReport();
          if (flags.strict && failures.size > 0) return;
        }
        if (flags.strict && failures.size > 0) return;
        try {
          await sleep(flags.interval * 1000, undefined, { signal: stop.signal });
        } catch {
          // aborted: the loop ends
        }
      }
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    io.signal?.removeEventListener('abort', onIoAbort);
  }

  // Everything computed is written, also after Ctrl-C or a failure.
  writeCsv(traceCsv(tracker.results(), [...failures.values()]));
  await writeReport();
  const records = tracker.results();
  const failed = [...failures.values()];
  const interrupted = stop.signal.aborted;
  const subsampled = records.filter((r) => r.rowsUsed !== undefined && r.rowsUsed < r.rows);
  if (subsampled.length)
    io.stderr.write(
      `note: DSE(Z) used a random subsample of ${subsampled[0].rowsUsed} rows (--max-n) for ${subsampled.length} of ` +
        `${records.length} entries (${subsampled[0].rows} rows); --max-n none uses every row\n`,
    );
  const seconds = secondsSince(start);
  if (flags.json) {
    io.stdout.write(
      toJson({
        command: 'trace',
        records,
        failures: failed,
        reused,
        interrupted,
        options: tracker.options(),
        report: reportWritten ? outFile : null,
        reportBytes,
        csv: csvFile ?? null,
        seconds,
      }),
    );
  } else {
    const out = [records.length || failed.length ? traceTable(records, failed) : 'No entries computed.\n'];
    if (reportWritten) out.push(`\nReport: ${outFile} (${bytes(reportBytes)})\n`);
    if (csvFile) out.push(`${reportWritten ? '' : '\n'}CSV: ${csvFile}\n`);
    out.push(`Done in ${seconds.toFixed(1)} s\n`);
    io.stdout.write(out.join(''));
  }
  const total = records.length + failed.length;
  if (failed.length > 0)
    throw new ExitStatus(
      2,
      `${failed.length} of ${total} entries failed ` +
        `(${failed.map((f) => f.source).join(', ')})${flags.strict ? '; --strict stopped at the first' : ''}; the ` +
        `others are in the table${csvFile ? ', the CSV' : ''}${reportWritten ? ' and the report' : ''}`,
    );
  if (interrupted && !flags.watch)
    throw new ExitStatus(130, `interrupted: ${records.length} entries computed and written`);
}
