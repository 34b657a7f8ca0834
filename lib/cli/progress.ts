// SPDX-License-Identifier: MIT
/**
 * Progress bars on stderr for long work (cli-progress), drawn only for a person watching:
 * stderr is a terminal and `CI` is not set. Piped, redirected or in CI they print nothing.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { CliIo } from './io';

/** A progress bar, or a silent stand-in with the same methods. */
export interface Progress {
  /** Starts (or restarts) the bar at 0 of `total`. */
  start(total: number, label?: string): void;
  /** Moves to `done` of the total (or of a new `total`), with a new label. */
  update(done: number, label?: string, total?: number): void;
  /** Adds one, with a new label. */
  tick(label?: string): void;
  /** Removes the bar from the terminal. */
  stop(): void;
  /** Whether a bar is actually drawn. */
  readonly visible: boolean;
}

const silent: Progress = { start() {}, update() {}, tick() {}, stop() {}, visible: false };

/**
 * Whether progress bars should be drawn for this run.
 *
 * @example
 * ```ts
 * wantsProgress(processIo()); // false when piped or in CI
 * ```
 */
export function wantsProgress(io: CliIo): boolean {
  const ci = io.env.CI;
  return io.stderr.isTTY === true && !(ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false');
}

/**
 * A progress bar titled `title` on the run's stderr (silent when {@link wantsProgress} is false).
 *
 * @example
 * ```ts
 * const bar = progressBar(io, 'trace');
 * bar.start(files.length);
 * for (const f of files) { await work(f); bar.tick(f); }
 * bar.stop();
 * ```
 */
export function progressBar(io: CliIo, title: string): Progress {
  if (!wantsProgress(io)) return silent;
  const bar = new SingleBar(
    {
      format: `${title} |{bar}| {value}/{total} {label} ({duration_formatted})`,
      stream: io.stderr as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      etaBuffer: 20,
      fps: 5,
    },
    Presets.shades_classic,
  );
  let running = false;
  let value = 0;
  return {
    visible: true,
    start(total, label = '') {
      value = 0;
      if (running) bar.setTotal(total);
      else bar.start(total, 0, { label });
      running = true;
      bar.update(0, { label });
    },
    update(done, label, total) {
      if (total !== undefined && total !== bar.getTotal()) bar.setTotal(total);
      value = done;
      bar.update(done, label === undefined ? {} : { label });
    },
    tick(label) {
      value += 1;
      bar.update(value, label === undefined ? {} : { label });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** A spinner with the elapsed time, for one long call whose progress cannot be counted. */
export interface Spinner {
  /** Starts spinning with a label (what is being done). */
  start(label: string): void;
  /** Stops and removes the line from the terminal. */
  stop(): void;
  /** Whether anything is drawn. */
  readonly visible: boolean;
}

const FRAMES = ['|', '/', '-', '\\'];

/**
 * A spinner titled `title` on the run's stderr, redrawn 10 times a second with the seconds
 * elapsed (silent when {@link wantsProgress} is false): honest where a bar would sit at 0/1.
 *
 * @example
 * ```ts
 * const s = spinner(io, 'dse entropy');
 * s.start('kernel and eigenvalues of 5000 x 5000');
 * await work();
 * s.stop();
 * ```
 */
export function spinner(io: CliIo, title: string): Spinner {
  if (!wantsProgress(io)) return { start() {}, stop() {}, visible: false };
  let timer: NodeJS.Timeout | null = null;
  let frame = 0;
  let began = 0;
  let label = '';
  const draw = () => {
    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    io.stderr.write(`\r\x1b[K${title} ${FRAMES[frame++ % FRAMES.length]} ${label} (${seconds} s)`);
  };
  return {
    visible: true,
    start(text) {
      label = text;
      began = Date.now();
      draw();
      if (!timer) {
        timer = setInterval(draw, 100);
        timer.unref();
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      io.stderr.write('\r\x1b[K');
    },
  };
}
