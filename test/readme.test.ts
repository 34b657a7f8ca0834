// SPDX-License-Identifier: MIT
// Every code block of the README runs and prints what the README says it prints:
//   - the TypeScript blocks are compiled (TypeScript's transpiler) and run against this build,
//     `dse-dsmi` standing for it; a block followed by "prints" and a text block must print
//     exactly that text;
//   - the tracker block runs with a stand-in model (its `fit` does nothing, its `predict` gives a
//     subset of the digits that changes with the epoch), so that every line of it is executed;
//   - the command-line block runs every `npx dse ...` line in a folder holding the files it names;
//   - the Developing block is what .ci/run runs.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { loadDigits } from '../lib/data';
import { writeNpy } from '../lib/io/npy';
import { runCli } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-readme-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Block {
  lang: string;
  code: string;
  /** The heading the block stands under. */
  section: string;
  /** The text block that follows "prints", when there is one. */
  prints?: string;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  let section = '';
  const re = /^(#{1,3} .*)$|^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    if (m[1]) section = m[1].replace(/^#+ /, '');
    else out.push({ lang: m[2], code: m[3], section });
  }
  for (let i = 0; i + 1 < out.length; i++) {
    const between = markdown.slice(markdown.indexOf(out[i].code) + out[i].code.length, markdown.indexOf(out[i + 1].code));
    if (out[i].lang === 'ts' && out[i + 1].lang === 'text' && /\nprints\n/.test(between)) out[i].prints = out[i + 1].code;
  }
  return out;
}

/** Compiles a README block to CommonJS, `dse-dsmi` resolving to this build, inside an async function. */
function compile(code: string, prelude = ''): string {
  const wrapped = `${code.replace(/^import (.*) from 'dse-dsmi';$/gm, "import $1 from 'DSE';")}\nexport {};`;
  const js = ts.transpileModule(wrapped, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const body = js.replace(/require\("DSE"\)/g, `require(${JSON.stringify(path.join(ROOT, 'dist'))})`);
  return `(async () => {\n${prelude}\n${body}\n})().catch((e) => { console.error(e); process.exitCode = 1; });`;
}

async function runNode(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const { spawn } = await import('child_process');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: tmp });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const all = blocks(README);

describe('README code blocks', () => {
  it('has the blocks this test knows', () => {
    expect(all.filter((b) => b.lang === 'ts').map((b) => b.section)).toEqual(['Quick start', 'Tracking a training run']);
    expect(all.filter((b) => b.lang === 'sh').map((b) => b.section)).toEqual(['Install', 'Command line', 'Developing']);
  });

  it('the quick start prints what the README says', async () => {
    const b = all.find((x) => x.section === 'Quick start' && x.lang === 'ts')!;
    expect(b.prints).toBeDefined();
    const file = path.join(tmp, 'quick-start.js');
    fs.writeFileSync(file, compile(b.code));
    const r = await runNode(file);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(b.prints);
  });

  it('the tracker block runs (a stand-in model) and writes its report', async () => {
    const b = all.find((x) => x.section === 'Tracking a training run' && x.lang === 'ts')!;
    // 200 digits; "training" moves the embeddings towards their class means epoch after epoch.
    const prelude = `
const d = require(${JSON.stringify(path.join(ROOT, 'dist'))});
const all = d.loadDigits();
const n = 200, cols = all.X.cols;
const xTrain = { data: all.X.data.slice(0, n * cols), rows: n, cols };
const yTrain = all.y.slice(0, n);
const xs = xTrain, ys = yTrain;
let trained = 0;
const model = { fit: async () => { trained++; } };
const penultimate = { predict: () => {
  const out = new Float64Array(n * cols);
  for (let i = 0; i < n; i++) for (let j = 0; j < cols; j++)
    out[i * cols + j] = xTrain.data[i * cols + j] * (1 - trained / 25) + (yTrain[i] === j % 10 ? trained : 0);
  return { data: out, rows: n, cols };
} };`;
    const file = path.join(tmp, 'tracker.js');
    fs.writeFileSync(file, compile(b.code, prelude));
    const r = await runNode(file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const html = fs.readFileSync(path.join(tmp, 'training-report.html'), 'utf8');
    expect(html).toContain('<svg');
    const data = JSON.parse(/<script type="application\/json" id="dse-data">([\s\S]*?)<\/script>/.exec(html)![1]) as unknown;
    expect(JSON.stringify(data)).toContain('"epoch":20');
  });

  it('every command-line line runs on files of the names it uses', async () => {
    const { X, y } = loadDigits();
    writeNpy(path.join(tmp, 'embeddings.npy'), { data: X.data, shape: [X.rows, X.cols] });
    writeNpy(path.join(tmp, 'labels.npy'), { data: y });
    writeNpy(path.join(tmp, 'y.npy'), { data: y });
    fs.mkdirSync(path.join(tmp, 'runs'), { recursive: true });
    for (let e = 1; e <= 2; e++) writeNpy(path.join(tmp, 'runs', `epoch_${e}.npy`), { data: X.data.map((v) => v * e), shape: [X.rows, X.cols] });
    const b = all.find((x) => x.section === 'Command line' && x.lang === 'sh')!;
    const lines = b.code.split('\n').filter((l) => l.startsWith('npx dse '));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      const args = line.replace(/\s+#.*$/, '').split(/\s+/).slice(2);
      if (args[0] === 'compare') continue; // needs Python's dse-dsmi: test/compare.test.ts runs it with the stand-in
      const r = await runCli(tmp, args);
      expect({ line, code: r.code, stderr: r.stderr }).toEqual({ line, code: 0, stderr: '' });
    }
  });

  it("the Developing block's test command is what .ci/run runs", () => {
    const b = all.find((x) => x.section === 'Developing' && x.lang === 'sh')!;
    const testCommand = b.code.split('\n')[1].replace(/\s+#.*$/, '').trim();
    expect(testCommand).toBe('npm run test:all');
    expect(fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm run test:all$/m);
  });
});
