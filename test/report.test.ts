// SPDX-License-Identifier: MIT
// Reports: Vega-Lite specs, SVG drawn by vega in Node, the self-contained HTML page, and the page
// opened in headless Chromium, where every chart must have drawn one visible line per series.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { lineChartSpec, renderLineCharts, reportHtml, renderReport, writeReportFile, traceReport, traceCsv, parseTraceCsv, bitsAxisSpan, yDomain, type LineChart } from '../lib/report';
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
    expect(spec.layer.map((l: any) => l.mark.type)).toEqual(['line', 'point']);
    expect(spec.layer[1].encoding.shape.scale.range.slice(0, 2)).toEqual(['circle', 'square']); // a marker shape per series
    expect(spec.layer[1].encoding.size.scale.range).toEqual([80, 30]); // large and small: coinciding markers both show
    expect(spec.encoding.x.title).toBe('Epoch');
    expect(spec.encoding.y.title).toBe('DSE(Z) (bits)');
    expect(spec.encoding.color.title).toBe('Layer');
    expect(spec.encoding.color.scale.domain).toEqual(['fc1', 'fc2']);
    expect(JSON.stringify(spec)).not.toMatch(/"url"/);
  });

  it('rounds the y axis out to ticks, the top value never on the edge', () => {
    // the demo's sigma = 5 line: 10.8059 bits at most
    const [lo, hi] = (lineChartSpec({ ...chart, points: [{ x: 1, y: 10.8059, series: 's' }, { x: 2, y: 10.6871, series: 's' }], yMinSpan: bitsAxisSpan(1797) }) as any).encoding.y.scale.domain;
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(10.8059);
    expect(hi).toBe(12.5);
    expect(yDomain([3.1, 4.4])).toEqual([3, 4.5]);
    expect(yDomain([1, 2])).toEqual([1, 2.2]); // 2 is a tick: one more step above it
  });

  it('draws noise flat: the axis of a measure in bits includes 0 and spans at least bitsAxisSpan(N)', () => {
    expect(bitsAxisSpan(1797)).toBeCloseTo(0.05 * Math.log2(1797), 12);
    expect(bitsAxisSpan(16)).toBe(0.25); // 5% of 4 bits is less
    expect(bitsAxisSpan(100)).toBeCloseTo(0.3322, 4);
    expect(bitsAxisSpan(1)).toBe(0.25);
    // a shuffled-label run: DSMI between -0.008 and 0.018 bits
    const noise = [0.012, -0.008, 0.018, 0.003, -0.002].map((y, i) => ({ x: i + 1, y, series: 'shuffled' }));
    const spec = lineChartSpec({ ...chart, points: noise, yMinSpan: bitsAxisSpan(1797) }) as any;
    const [lo, hi] = spec.encoding.y.scale.domain;
    expect(spec.encoding.y.scale.nice).toBe(false); // the domain is exactly this
    expect(lo).toBeLessThanOrEqual(-0.008);
    expect(hi).toBeGreaterThanOrEqual(0.018);
    expect(hi - lo).toBeGreaterThanOrEqual(bitsAxisSpan(1797));
    // the noise fills under 5% of the axis instead of all of it
    expect((0.018 + 0.008) / (hi - lo)).toBeLessThan(0.05);
    // values far from 0 still get an axis from 0; a slightly negative minimum a small margin below it
    expect(yDomain([3.1, 4.4], 0.25)[0]).toBe(0);
    expect(yDomain([-0.005, 2.35], 0.54)).toEqual([-0.01, 2.5]);
    expect(yDomain([-0.3, 0.1], 0.5)).toEqual([-0.3, 0.2]);
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
  it('writes every record at full precision, sorted by layer then epoch, with the failures', () => {
    const csv = traceCsv(
      [
        { layer: 'b', epoch: 2, rows: 5, cols: 3, dse: 1 / 3, dsmiY: null, dsmiX: 0.5, seconds: 1 },
        { layer: 'b', epoch: 1, rows: 5, cols: 3, dse: 2 / 3, dsmiY: null, dsmiX: 0.25, seconds: 1, rowsUsed: 4, source: 'b/e1.npy', file: { size: 128, mtimeMs: 1.5 }, options: 'abc' },
      ],
      [{ layer: 'b', epoch: 3, error: 'Expected "x",\nbut', source: 'b/e3.npy' }],
    );
    const lines = csv.split('\n');
    expect(lines[0]).toBe('layer,epoch,rows,cols,dse,dsmi_zy,dsmi_zx,seconds,rows_used,source,size,mtime_ms,options,error');
    expect(lines[1]).toBe(`b,1,5,3,${2 / 3},,0.25,1,4,b/e1.npy,128,1.5,abc,`);
    expect(lines[2]).toBe(`b,2,5,3,${1 / 3},,0.5,1,,,,,,`);
    expect(lines[3]).toBe('b,3,,,,,,,,b/e3.npy,,,,"Expected ""x"", but"');
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

  it('at 480 px: the values table scrolls in its own box, the page does not; noise is drawn flat (screenshot)', async () => {
    const records = [];
    for (let epoch = 1; epoch <= 12; epoch++) {
      const noise = Math.sin(epoch * 1.7) * 0.013 + 0.005; // -0.008 .. 0.018 bits
      records.push({ layer: 'shuffled labels', epoch, rows: 1797, cols: 64, dse: 2 + epoch / 5, dsmiY: noise, dsmiX: null, seconds: 1.25, rowsUsed: 1000 });
      records.push({ layer: 'true labels', epoch, rows: 1797, cols: 64, dse: 2 + epoch / 5, dsmiY: 0.1 * epoch, dsmiX: null, seconds: 1.25, rowsUsed: 1000 });
    }
    const doc = traceReport(records, { failures: [{ layer: 'true labels', epoch: 13, error: 'Expected 2880 bytes (shape (90, 4) of float64) for the data of "runs/e13.npy" but received 372 bytes. The file is truncated' }] });
    const file = path.join(tmp, 'narrow.html');
    await writeReportFile(file, doc);
    // Headless Chromium's window is at least 500 px wide: the page goes in a 480 px frame (its own viewport).
    const probe = path.join(tmp, 'narrow-probe.html');
    const measure = `<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="narrow.html" style="width:480px;height:1400px;border:0" onload="measure()"></iframe>
<script>
function measure() {
  const doc = document.getElementById('f').contentDocument;
  const win = document.getElementById('f').contentWindow;
  const box = doc.querySelector('section.table div.scroll');
  const fig = [...doc.querySelectorAll('figure.chart')].find((f) => f.textContent.includes('DSMI(Z;Y)'));
  const lines = [...fig.querySelectorAll('path[aria-roledescription="line mark"]')].map((p) => p.getBoundingClientRect().height);
  const grid = [...fig.querySelectorAll('.role-axis-grid line, .role-axis-grid path')].map((g) => g.getBoundingClientRect());
  const pre = document.createElement('pre');
  pre.id = 'measure';
  pre.textContent = JSON.stringify({
    page: doc.documentElement.scrollWidth, window: win.innerWidth,
    boxScroll: box.scrollWidth, boxClient: box.clientWidth, overflow: win.getComputedStyle(box).overflowX,
    lines, plotTop: Math.min(...grid.map((g) => g.top)), plotBottom: Math.max(...grid.map((g) => g.bottom)),
  });
  document.body.appendChild(pre);
}
</script></body></html>`;
    fs.writeFileSync(probe, measure);
    const dom = chromium(['--window-size=600,1400', '--allow-file-access-from-files', '--virtual-time-budget=10000', '--dump-dom', `file://${probe}`]);
    const raw = dom.match(/<pre id="measure">([\s\S]*?)<\/pre>/)![1].replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    const m = JSON.parse(raw) as { page: number; window: number; boxScroll: number; boxClient: number; overflow: string; lines: number[]; plotTop: number; plotBottom: number };
    expect(m.window).toBe(480);
    expect(m.page).toBeLessThanOrEqual(480); // the page itself does not scroll sideways
    expect(m.overflow).toBe('auto');
    expect(m.boxScroll).toBeGreaterThan(m.boxClient); // the table does, in its box
    expect(m.boxClient).toBeLessThanOrEqual(480);
    // the shuffled-label line (the flatter of the two) spans a small part of the plot's height
    const plotHeight = m.plotBottom - m.plotTop;
    expect(plotHeight).toBeGreaterThan(100);
    expect(Math.min(...m.lines) / plotHeight).toBeLessThan(0.1);
    chromium(['--window-size=600,1400', '--allow-file-access-from-files', '--virtual-time-budget=10000', `--screenshot=${path.join(tmp, 'narrow.png')}`, `file://${probe}`]);
    const bytes = fs.readFileSync(path.join(tmp, 'narrow.png'));
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(10000);
    // DSE_KEEP_SCREENSHOTS=<folder> keeps the picture, to look at.
    if (process.env.DSE_KEEP_SCREENSHOTS) fs.copyFileSync(path.join(tmp, 'narrow.png'), path.join(process.env.DSE_KEEP_SCREENSHOTS, 'report-480px.png'));
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
  it('parses back to the same records and failures (text with commas, quotes and formula signs too)', () => {
    const records = [
      { layer: 'x', epoch: 3, rows: 4, cols: 2, dse: Math.PI, dsmiY: Math.E, dsmiX: 1e-12, seconds: 0.5, rowsUsed: 4, source: 'x/e,"3".npy', file: { size: 10, mtimeMs: 1764000000000.123 }, options: 'f00d' },
      { layer: '=cmd', epoch: 4, rows: 4, cols: 2, dse: 1, dsmiY: null, dsmiX: null, seconds: 0 },
    ];
    const failures = [{ layer: 'x', epoch: 5, error: 'truncated, "badly"', source: '-x/e5.npy', file: { size: 3, mtimeMs: 2 }, options: 'f00d' }];
    const text = traceCsv(records, failures);
    const back = parseTraceCsv(text);
    expect(back.records).toEqual([records[0], records[1]].sort((a, b) => (a.layer < b.layer ? 1 : -1)));
    expect(back.failures).toEqual(failures);
    const numeric = parseCsv(text.split('\n').slice(0, 2).map((l) => l.split(',').slice(1, 8).join(',')).join('\n'));
    expect(numeric.data[3]).toBe(Math.PI);
    // an older file with the first eight columns only is read too
    expect(parseTraceCsv('layer,epoch,rows,cols,dse,dsmi_zy,dsmi_zx,seconds\na,1,4,2,0.5,,,1\n').records).toEqual([{ layer: 'a', epoch: 1, rows: 4, cols: 2, dse: 0.5, dsmiY: null, dsmiX: null, seconds: 1 }]);
    expect(() => parseTraceCsv('a,b\n1,2\n', 'f.csv')).toThrow('Expected a trace CSV with a "layer" column in f.csv but its header is "a,b"');
    expect(() => parseTraceCsv('layer,epoch,dse\na,1,x\n', 'f.csv')).toThrow('Expected a number for dse in f.csv but received "x" at line 2');
  });
});

describe('#traceReport', () => {
  const recs = (layer: string, offset: number) =>
    [1, 2, 3].map((epoch) => ({ layer, epoch, rows: 5000, cols: 8, dse: 2 + epoch / 10, dsmiY: 0.01 * (epoch % 2) - 0.004 + offset, dsmiX: null, seconds: 1, rowsUsed: 1000 }));

  it('keeps the Run section and every run\'s options in a combined report of several runs', async () => {
    const doc = traceReport([...recs('a', 0), ...recs('b', 0.2)], { runOptions: { 'true labels': { gaussianKernelSigma: 5 }, shuffled: { gaussianKernelSigma: 5, labels: 'shuffled' } } });
    expect(Object.keys(doc.meta!)).toEqual(expect.arrayContaining(['generated', 'dse-dsmi', 'node', 'blas', 'records']));
    expect(doc.meta!.blas).toMatch(/threads/);
    const html = await renderReport(doc);
    expect(html).toContain('<h2>Run</h2>');
    expect(html).toContain('<h2>Options used: true labels</h2>');
    expect(html).toContain('<h2>Options used: shuffled</h2>');
    expect(JSON.parse(html.match(/id="dse-data">([\s\S]*?)<\/script>/)![1]).runOptions.shuffled.labels).toBe('shuffled');
  });

  it('says when rows were subsampled, shows failures with their error, and notes coinciding series', () => {
    const doc = traceReport([...recs('a', 0), ...recs('b', 0)], { failures: [{ layer: 'a', epoch: 4, error: 'Expected 2880 bytes but received 372', source: 'a/4.npy' }] });
    const t = doc.tables[0];
    expect(t.columns).toEqual(['Layer / run', 'Epoch', 'N', 'N used *', 'D', 'DSE(Z)', 'DSMI(Z;Y)', 'Seconds', 'Error']);
    expect(t.rows[3]).toEqual(['a', 4, null, null, null, null, null, null, 'Expected 2880 bytes but received 372']);
    expect(t.notes![0]).toMatch(/^\* DSE\(Z\) of every entry used a random subsample of 1000 rows \(maxN/);
    expect(t.notes![1]).toBe('1 entry could not be computed: see the Error column.');
    expect(doc.charts[0].caption).toMatch(/a and b coincide/);
    expect(doc.charts[0].yMinSpan).toBe(bitsAxisSpan(1000));
    expect(traceReport(recs('a', 0)).charts[0].caption).not.toMatch(/coincide/);
  });
});

