// SPDX-License-Identifier: MIT
/** Plain-text tables and numbers for the terminal. */

/**
 * A number with `digits` decimals, or `-` for null.
 *
 * @example
 * ```ts
 * fixed(3.14159, 3); // '3.142'
 * ```
 */
export function fixed(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '-';
  return v.toFixed(digits);
}

/**
 * Aligns rows of cells into columns (numbers right-aligned, text left-aligned).
 *
 * @example
 * ```ts
 * textTable(['sigma', 'DSE'], [['10', '10.45']]);
 * ```
 */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => rows.reduce((w, r) => Math.max(w, (r[c] ?? '').length), h.length));
  const numeric = header.map(
    (_h, c) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.]+(e[-+]?\d+)?$|^-$/.test(r[c] ?? '')),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/**
 * A byte count for people: `812 B`, `143.2 KB`, `5.1 MB`.
 *
 * @example
 * ```ts
 * bytes(146636); // '143.2 KB'
 * ```
 */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 ** 2).toFixed(1)} MB`;
}
