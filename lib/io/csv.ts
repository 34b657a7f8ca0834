// SPDX-License-Identifier: MIT
/**
 * Numeric CSV files: matrices in (one row per sample, one column per dimension, an optional
 * header line) and result tables out. Comma, semicolon or tab separated (detected from the
 * first data line); `#` comment lines and blank lines are skipped; fields may be quoted.
 */

import * as fs from 'fs';
import { DseError, describe } from '../errors';
import { checkPath, ioError, writeFileAtomic } from './atomic';

/** A numeric table read from a CSV file. */
export interface CsvMatrix {
  /** The values, row-major: `data[i * cols + j]`. */
  data: Float64Array;
  /** Number of data lines. */
  rows: number;
  /** Number of fields per line. */
  cols: number;
  /** The header's field names, or null when the first line was numeric. */
  header: string[] | null;
  /** True when every field is written as an integer (`3`, not `3.0`): numpy would read an integer dtype. */
  integer: boolean;
}

const DELIMITERS = [',', ';', '\t'] as const;

/** Splits one line on `delimiter`, honouring double-quoted fields (`""` is a literal quote). */
function splitLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** A number as CSV writers print it (`1`, `-2.5e-3`, `NaN` is refused by the caller). */
function parseNumber(text: string): number {
  const s = text.trim();
  if (s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i.test(s)) return Number.NaN;
  const lower = s.toLowerCase().replace(/^\+/, '');
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower === 'nan' || lower === '-nan') return Number.NaN;
  return Number(s);
}

function isNumeric(text: string): boolean {
  const s = text.trim().toLowerCase().replace(/^[+-]/, '');
  return s === 'nan' || s === 'inf' || s === 'infinity' || !Number.isNaN(parseNumber(text));
}

/**
 * Splits CSV text into lines of text fields (comma separated; double-quoted fields may hold
 * commas, quotes as `""` and line breaks). No type conversion: for tables that mix text and numbers.
 *
 * @example
 * ```ts
 * parseCsvFields('a,"b,c"\n1,2\n'); // [['a', 'b,c'], ['1', '2']]
 * ```
 */
export function parseCsvFields(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (body[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Parses numeric CSV text into a matrix. The first non-comment line is a header when none of
 * its fields is a number and at least one is non-empty (`x,y`, `,a,b`); any other line is data. Every data line must have the same number of fields and
 * every field must be a finite number; otherwise a `DseError` with code `ERR_DSE_FORMAT`
 * names the line and column.
 *
 * @param text - the file's content
 * @param where - how to name the source in error messages (e.g. the file path)
 * @returns the values with their shape and header
 * @example
 * ```ts
 * parseCsv('x,y\n1,2\n3,4\n', 'inline'); // { rows: 2, cols: 2, header: ['x', 'y'], data: [1, 2, 3, 4], ... }
 * ```
 */
export function parseCsv(text: string, where = 'the CSV text'): CsvMatrix {
  if (typeof text !== 'string')
    throw new DseError('ERR_DSE_TYPE', `Expected a string of CSV text for text but received ${describe(text)}`);
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let delimiter: string | undefined;
  let header: string[] | null = null;
  let cols = -1;
  const values: number[] = [];
  let rows = 0;
  let integer = true;
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l];
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (delimiter === undefined) {
      // The delimiter that splits the first line into the most fields (a single column has none).
      let best = 1;
      delimiter = ',';
      for (const d of DELIMITERS) {
        const n = splitLine(line, d).length;
        if (n > best) {
          best = n;
          delimiter = d;
        }
      }
      const fields = splitLine(line, delimiter);
      // A header: no field is a number and at least one is non-empty text. A line mixing numbers
      // with text or empty fields is data, and its bad field an error (never a dropped row).
      if (!fields.some(isNumeric) && fields.some((f) => f.trim() !== '')) {
        header = fields.map((f) => f.trim());
        cols = fields.length;
        continue;
      }
    }
    const fields = splitLine(line, delimiter);
    if (cols === -1) cols = fields.length;
    if (fields.length !== cols)
      throw new DseError(
        'ERR_DSE_FORMAT',
        `Expected ${cols} fields on every line of ${where} but line ${l + 1} has ${fields.length}`,
      );
    for (let c = 0; c < fields.length; c++) {
      const v = parseNumber(fields[c]);
      if (!Number.isFinite(v)) {
        const shown = fields[c].trim() === '' ? 'an empty field' : describe(fields[c].trim());
        throw new DseError(
          'ERR_DSE_FORMAT',
          `Expected a finite number in ${where} but received ${shown} at line ${l + 1}, column ${c + 1}`,
        );
      }
      if (integer && !/^\s*[+-]?\d+\s*$/.test(fields[c])) integer = false;
      values.push(v);
    }
    rows++;
  }
  if (rows === 0)
    throw new DseError('ERR_DSE_FORMAT', `Expected at least 1 line of numbers in ${where} but received ${header ? 'only a header' : 'no data'}`);
  return { data: Float64Array.from(values), rows, cols, header, integer };
}

/**
 * Reads a numeric CSV file (see {@link parseCsv}). A missing or unreadable file is a
 * `DseError` with code `ERR_DSE_IO`; a malformed one `ERR_DSE_FORMAT`.
 *
 * @param file - path of the `.csv` (or `.tsv`, `.txt`) file
 * @returns the values with their shape and header
 * @example
 * ```ts
 * const { data, rows, cols } = readCsv('embeddings.csv');
 * ```
 */
export function readCsv(file: string): CsvMatrix {
  checkPath(file, 'file');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw ioError('read', file, e);
  }
  return parseCsv(text, JSON.stringify(file));
}

/**
 * A text field as spreadsheet-safe CSV: text starting with =, +, -, @, a tab or a carriage
 * return is what Excel, LibreOffice and Google Sheets run as a formula, so it gets a leading
 * apostrophe (OWASP's advice for CSV injection; the apostrophe shows the text as typed); then
 * the field is quoted when it holds a quote, the delimiter or a line break.
 */
function quote(field: string): string {
  const safe = /^[=+\-@\t\r]/.test(field) ? `'${field}` : field;
  return /[",\n\r\t]/.test(safe) || safe !== field ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One CSV cell: numbers in full precision (never neutralised), empty for null/undefined. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return quote(String(v));
}

/**
 * Formats a table as CSV text (comma separated, `\n` line ends, fields quoted when needed,
 * numbers with full precision, `null`/`undefined` as empty fields).
 *
 * @param header - column names
 * @param rows - one array of cells per line
 * @returns the CSV text, ending with a newline
 * @example
 * ```ts
 * formatCsv(['epoch', 'dse'], [[1, 3.5], [2, 4.25]]); // 'epoch,dse\n1,3.5\n2,4.25\n'
 * ```
 */
export function formatCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [header.map(quote).join(',')];
  for (const row of rows) lines.push(row.map(cell).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * Writes a table as a CSV file, atomically (see {@link formatCsv}).
 *
 * @param file - destination path
 * @param header - column names
 * @param rows - one array of cells per line
 * @example
 * ```ts
 * writeCsv('trace.csv', ['epoch', 'dse'], [[1, 3.5]]);
 * ```
 */
export function writeCsv(file: string, header: readonly string[], rows: readonly (readonly unknown[])[]): void {
  writeFileAtomic(file, new TextEncoder().encode(formatCsv(header, rows)));
}
