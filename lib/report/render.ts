// SPDX-License-Identifier: MIT
/**
 * Draws Vega-Lite specifications to SVG strings: `vegaLite.compile(spec)` then a headless
 * `vega.View` (renderer 'none') and `view.toSVG()`. vega and vega-lite are ES modules with
 * top-level await, which a CommonJS package cannot `require()`; they are imported in a
 * short-lived worker thread, which also keeps the caller's event loop free while it draws.
 */
import { Worker } from 'worker_threads';
import { pathToFileURL } from 'url';
import { DseError } from '../errors';
import { lineChartSpec, type LineChart } from './charts';
import { abortError } from '../native';

/** Aborting and following the drawing of the charts. */
export interface RenderControl {
  /** Stops the drawing (the worker is terminated); the promise rejects with an `AbortError`. */
  signal?: AbortSignal;
  /** Called as each chart is drawn: (charts drawn, charts). */
  onProgress?: (done: number, total: number) => void;
}

// The worker: a plain CommonJS script (eval), so it needs no compiled file next to this one.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
(async () => {
  const vega = await import(workerData.vegaUrl);
  const vegaLite = await import(workerData.vegaLiteUrl);
  const svgs = [];
  for (const spec of workerData.specs) {
    const compiled = vegaLite.compile(spec).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
    svgs.push(await view.toSVG());
    view.finalize();
    parentPort.postMessage({ drawn: svgs.length });
  }
  parentPort.postMessage({ svgs });
})().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
`;

/** The packages that draw the charts: optional peer dependencies, installed by those who want reports. */
export const CHART_PACKAGES = ['vega', 'vega-lite'] as const;

function resolveFrom(name: string): string | null {
  try {
    return require.resolve(name);
  } catch {
    return null;
  }
}

/**
 * Throws ERR_DSE_DEPENDENCY, before any work, when the chart packages are not installed: the CLI
 * calls it before computing anything a report is asked for.
 */
export function checkChartPackages(): void {
  const missing = CHART_PACKAGES.filter((name) => resolveFrom(name) === null);
  if (missing.length)
    throw new DseError(
      'ERR_DSE_DEPENDENCY',
      `Expected the packages ${missing.join(' and ')} to draw the report's charts but they are not installed. ` +
        'They are optional (most users only need the numbers): npm install vega vega-lite',
    );
}

function moduleUrl(name: string): string {
  checkChartPackages();
  return pathToFileURL(resolveFrom(name)!).href;
}

/**
 * Compiles and draws Vega-Lite specifications to standalone SVG documents, in order.
 *
 * @param specs - Vega-Lite top-level specifications with inline data
 * @returns one SVG string per specification
 * @example
 * ```ts
 * const [svg] = await renderVegaLite([lineChartSpec(chart)]);
 * ```
 */
export function renderVegaLite(specs: Record<string, unknown>[], control: RenderControl = {}): Promise<string[]> {
  const { signal, onProgress } = control;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (specs.length === 0) return Promise.resolve([]);
  const workerData = { vegaUrl: moduleUrl('vega'), vegaLiteUrl: moduleUrl('vega-lite'), specs };
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    let settled = false;
    const onAbort = () => finish(abortError(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (error: Error | null, svgs?: string[]) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (error) reject(error);
      else resolve(svgs!);
    };
    worker.on('message', (m: { svgs?: string[]; error?: string; drawn?: number }) => {
      if (m.drawn !== undefined) {
        try {
          onProgress?.(m.drawn, specs.length);
        } catch {
          // A throwing progress callback does not stop the drawing.
        }
      } else if (m.error) finish(new Error(`Could not draw the report charts with vega: ${m.error}`));
      else finish(null, m.svgs);
    });
    worker.on('error', (e) => finish(new Error(`Could not draw the report charts with vega: ${e.message}`)));
    worker.on('exit', (code) => finish(new Error(`The chart worker stopped (exit code ${code}) before drawing the charts`)));
  });
}

/**
 * Makes the ids inside one SVG unique within a page holding several (vega numbers its clip
 * paths and gradients from 1 in every drawing).
 *
 * @example
 * ```ts
 * prefixSvgIds('<clipPath id="clip1"/><g clip-path="url(#clip1)"/>', 'chart-2');
 * // '<clipPath id="chart-2-clip1"/><g clip-path="url(#chart-2-clip1)"/>'
 * ```
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  // Inside tags only (quoted attribute values may hold '>'); text such as a legend label that
  // reads id="x" or url(#x) is left as written.
  return svg.replace(/<[A-Za-z](?:[^>"']|"[^"]*"|'[^']*')*>/g, (tag) =>
    tag.replace(/(\s)([A-Za-z_:][-\w:.]*)="([^"]*)"/g, (_m, space: string, name: string, value: string) => {
      if (name === 'id') return `${space}id="${prefix}-${value}"`;
      if ((name === 'href' || name === 'xlink:href') && value.startsWith('#')) return `${space}${name}="#${prefix}-${value.slice(1)}"`;
      return `${space}${name}="${value.replace(/url\(#([^)]+)\)/g, (_u, id: string) => `url(#${prefix}-${id})`)}"`;
    }),
  );
}

/**
 * Draws line charts to SVG strings (see {@link lineChartSpec} for their look).
 *
 * @param charts - the charts
 * @returns one SVG string per chart
 * @example
 * ```ts
 * const [svg] = await renderLineCharts([{ title: 'DSE(Z)', xTitle: 'Epoch', yTitle: 'bits', seriesTitle: 'Layer',
 *   points: [{ x: 1, y: 3, series: 'fc' }, { x: 2, y: 4, series: 'fc' }] }]);
 * ```
 */
export async function renderLineCharts(charts: LineChart[], control: RenderControl = {}): Promise<string[]> {
  return renderVegaLite(charts.map(lineChartSpec), control);
}
