// SPDX-License-Identifier: MIT
// Reports: Vega-Lite specs, SVG drawn by vega in Node, the self-contained HTML page, and the page
// opened in headless Chromium, where every chart must have drawn one visible line per series.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { lineChartSpec, renderLineCharts, reportHtml, renderReport, writeReportFile, traceReport, traceCsv, type LineChart } from '../lib/report';
import { DseTracker } from '../lib/tracker';
import { readNpy } from '../lib/io/npy';
import { parseCsv } from '../lib/io/csv';
import { describeBrowser, requirePrereq } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-report-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const chart: LineChart = {
  title: 'DSE(Z)',
  xTitle: 'Epoch',
  yTitle: 'DSE(Z) (bits)',
  seriesTitle: 'Layer',
  points: [
    { x: 1, y: 3.1, series: 'fc1' },
    { x: 2, y: 3.9, series: 'fc1' },
    { x: 3, y: 4.4, series: 'fc1' },
    { x: 1, y: 2.0, series: 'fc2' },
    { x: 2, y: 2.5, series: 'fc2' },
    { x: 3, y: 2.7, series: 'fc2' },
  ],
};

/** Counts a substring. */
function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('#lineChartSpec', () => {
  it('inlines the data and encodes epoch, value and series with titled axes', () => {
    const spec = lineChartSpec(chart) as any;
    expect(spec.data.values).toHaveLength(6);
    expect(spec.mark.type).toBe('line');
    expect(spec.encoding.x.title).toBe('Epoch');
    expect(spec.encoding.y.title).toBe('DSE(Z) (bits)');
    expect(spec.encoding.color.title).toBe('Layer');
    expect(spec.encoding.color.scale.domain).toEqual(['fc1', 'fc2']);
    expect(JSON.stringify(spec)).not.toMatch(/"url"/);
  });
});

describe('#renderLineCharts', () => {
  it('draws one line mark per series with vega (renderer none), axes and legend titled', async () => {
    const [svg, svg2] = await renderLineCharts([chart, { ...chart, title: 'One line', points: chart.points.slice(0, 3) }]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(count(svg, 'aria-roledescription="line mark"')).toBe(2);
    expect(count(svg2, 'aria-roledescription="line mark"')).toBe(1);
    for (const text of ['DSE(Z)', 'Epoch', 'DSE(Z) (bits)', 'Layer', 'fc1', 'fc2']) expect(svg).toContain(`>${text}<`);
    // the line path goes through all three points of its series (M + 2 segments)
    const d = svg.match(/aria-roledescription="line mark"[^>]*\sd="([^"]+)"/)![1];
    expect(d.match(/[ML]/g)!.length).toBeGreaterThanOrEqual(3);
  });

  it('returns nothing for no charts without starting a worker', async () => {
    await expect(renderLineCharts([])).resolves.toEqual([]);
  });
});

describe('#reportHtml', () => {
  it('is self-contained: no scripts to run, nothing fetched, data escaped', async () => {
    const doc = traceReport(
      [
        { layer: 'a</script><b>x', epoch: 1, rows: 10, cols: 2, dse: 1.5, dsmiY: 0.25, dsmiX: null, seconds: 0.01 },
        { layer: 'a</script><b>x', epoch: 2, rows: 10, cols: 2, dse: 1.75, dsmiY: 0.5, dsmiX: null, seconds: 0.01 },
      ],
      { options: { gaussianKernelSigma: 10 } },
    );
    const html = await renderReport(doc);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script(?![^>]*type="application\/json")/);
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<link\b/);
    expect(html).not.toContain('<b>x');
    // two charts (no DSMI(Z;X) values), the table, the options, the raw records as JSON
    expect(count(html, '<figure class="chart"')).toBe(2);
    expect(html).toContain('Options used');
    const json = html.match(/<script type="application\/json" id="dse-data">([\s\S]*?)<\/script>/)![1];
    const data = JSON.parse(json);
    expect(data.records).toHaveLength(2);
    expect(data.records[0].layer).toBe('a</script><b>x');
  });

  it('keeps the ids of several SVGs apart', () => {
    const svg = '<svg><defs><clipPath id="clip1"></clipPath></defs><g clip-path="url(#clip1)"></g></svg>';
    const html = reportHtml({ title: 't', charts: [chart, chart], tables: [] }, [svg, svg]);
    expect(html).toContain('id="chart-1-clip1"');
    expect(html).toContain('url(#chart-2-clip1)');
  });
});

describe('#traceCsv', () => {
  it('writes every record at full precision, sorted by layer then epoch', () => {
    const csv = traceCsv([
      { layer: 'b', epoch: 2, rows: 5, cols: 3, dse: 1 / 3, dsmiY: null, dsmiX: 0.5, seconds: 1 },
      { layer: 'b', epoch: 1, rows: 5, cols: 3, dse: 2 / 3, dsmiY: null, dsmiX: 0.25, seconds: 1 },
    ]);
    expect(csv.split('\n')[0]).toBe('layer,epoch,rows,cols,dse,dsmi_zy,dsmi_zx,seconds');
    expect(csv.split('\n')[1]).toBe(`b,1,5,3,${2 / 3},,0.25,1`);
  });
});

// ---------------------------------------------------------------------------------------------
// The report in a real browser

// Chromium on PATH (chromium, chromium-browser, google-chrome): without it these tests fail with
// the `missing: Chromium ...` line, unless DSE_SKIP_BROWSER_TESTS=1 skips them.
function chromium(args: string[]): string {
  const CHROMIUM = requirePrereq('chromium');
  const profile = fs.mkdtempSync(path.join(tmp, 'profile-'));
  const r = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 60000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`chromium failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Runs in the page: where each chart's line marks ended up once Chromium laid them out. */
const MEASURE = `<script>
(() => {
  const charts = [...document.querySelectorAll('figure.chart')].map((fig) => {
    const svg = fig.querySelector('svg');
    const box = svg.getBoundingClientRect();
    const lines = [...svg.querySelectorAll('path[aria-roledescription="line mark"]')].map((p) => {
      const b = p.getBoundingClientRect();
      const style = getComputedStyle(p);
      return {
        length: p.getTotalLength(),
        width: b.width,
        height: b.height,
        inside: b.left >= box.left - 1 && b.right <= box.right + 1 && b.top >= box.top - 1 && b.bottom <= box.bottom + 1,
        stroke: style.stroke,
        strokeWidth: parseFloat(style.strokeWidth),
        visible: style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0,
      };
    });
    const texts = (sel) => [...svg.querySelectorAll(sel)].map((t) => t.textContent);
    return {
      id: fig.id,
      series: Number(fig.dataset.series),
      width: box.width,
      height: box.height,
      lines,
      points: svg.querySelectorAll('path[aria-roledescription="point"]').length,
      title: texts('.role-title-text text, .role-title text'),
      axisTitles: texts('.role-axis-title text'),
    };
  });
  const pre = document.createElement('pre');
  pre.id = 'measure';
  pre.textContent = JSON.stringify({ charts, tables: document.querySelectorAll('table').length });
  document.body.appendChild(pre);
})();
</script>`;

describeBrowser('report in headless Chromium', () => {
  it('draws every chart with one visible line per layer (DSE(Z), DSMI(Z;Y), DSMI(Z;X))', async () => {
    // A real trace: digits with noise that fades over the epochs, as two "layers".
    const x = readNpy(path.join(__dirname, '..', 'data', 'digits_X.npy'));
    const y = readNpy(path.join(__dirname, '..', 'data', 'digits_y.npy'));
    const n = 300;
    const X = { data: Float64Array.from((x.data as Uint8Array).subarray(0, n * 64)), rows: n, cols: 64 };
    const labels = Int32Array.from((y.data as Uint8Array).subarray(0, n));
    const tracker = new DseTracker({ labels, inputs: X, gaussianKernelSigma: 20 });
    let state = 7;
    const noise = () => ((state = (state * 48271) % 2147483647) / 2147483647 - 0.5) * 16;
    for (const layer of ['conv', 'fc']) {
      for (const epoch of [1, 2, 3, 4]) {
        const scale = (layer === 'conv' ? 1 : 2) / epoch;
        const Z = X.data.map((v) => v + scale * noise());
        await tracker.record({ epoch, layer, embeddings: { data: Z, rows: n, cols: 64 } });
      }
    }
    const file = path.join(tmp, 'trace.html');
    const bytes = await tracker.writeReport(file, { title: 'Browser check' });
    expect(bytes).toBeGreaterThan(10000);
    const probe = path.join(tmp, 'probe.html');
    fs.writeFileSync(probe, fs.readFileSync(file, 'utf8').replace('</body>', `${MEASURE}\n</body>`));
    const dom = chromium(['--window-size=1200,900', '--dump-dom', `file://${probe}`]);
    const raw = dom.match(/<pre id="measure">([\s\S]*?)<\/pre>/);
    expect(raw).not.toBeNull();
    const decoded = raw![1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    const measured = JSON.parse(decoded) as {
      charts: { id: string; series: number; width: number; height: number; points: number; title: string[]; axisTitles: string[]; lines: { length: number; width: number; height: number; inside: boolean; stroke: string; strokeWidth: number; visible: boolean }[] }[];
      tables: number;
    };
    expect(measured.charts.map((c) => c.title.join(' '))).toEqual(['DSE(Z)', 'DSMI(Z;Y)', 'DSMI(Z;X)']);
    for (const c of measured.charts) {
      expect(c.width).toBeGreaterThan(300);
      expect(c.height).toBeGreaterThan(200);
      expect(c.axisTitles).toEqual(expect.arrayContaining(['Epoch']));
      expect(c.series).toBe(2);
      expect(c.lines).toHaveLength(2);
      expect(c.points).toBe(8);
      for (const line of c.lines) {
        expect(line.visible).toBe(true);
        expect(line.inside).toBe(true);
        expect(line.length).toBeGreaterThan(50); // a drawn polyline, not a dot
        expect(line.width).toBeGreaterThan(100); // spans the epochs
        expect(line.strokeWidth).toBeGreaterThan(1);
        expect(line.stroke).toMatch(/^rgb/);
      }
      expect(new Set(c.lines.map((l) => l.stroke)).size).toBe(2); // one colour per layer
    }
    expect(measured.tables).toBeGreaterThanOrEqual(3); // values, options, run
  });

  it('renders the page to pixels (screenshot)', async () => {
    const file = path.join(tmp, 'small.html');
    await writeReportFile(file, { title: 'Screenshot', charts: [chart], tables: [] });
    const png = path.join(tmp, 'shot.png');
    chromium(['--window-size=800,500', `--screenshot=${png}`, `file://${file}`]);
    const bytes = fs.readFileSync(png);
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(10000); // a blank page compresses to ~3 KB
  });
});

describe('the trace CSV round trip', () => {
  it('parses back to the same numbers', () => {
    const records = [{ layer: 'x', epoch: 3, rows: 4, cols: 2, dse: Math.PI, dsmiY: Math.E, dsmiX: 1e-12, seconds: 0.5 }];
    const text = traceCsv(records);
    const rows = text.trim().split('\n')[1].split(',');
    expect(Number(rows[4])).toBe(Math.PI);
    const numeric = parseCsv(text.split('\n').map((l) => l.split(',').slice(1).join(',')).join('\n'));
    expect(numeric.header).toEqual(['epoch', 'rows', 'cols', 'dse', 'dsmi_zy', 'dsmi_zx', 'seconds']);
    expect(numeric.data[3]).toBe(Math.PI);
  });
});

