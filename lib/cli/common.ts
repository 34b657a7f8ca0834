// SPDX-License-Identifier: MIT
/** Pieces the commands share: paths, outputs, JSON, the version. (The measure flags: flags.ts.) */
import * as fs from 'fs';
import * as path from 'path';
import { DseError } from '../errors';
import type { CliIo } from './io';

/** Resolves a path given on the command line against the run's working folder. */
export function resolvePath(io: CliIo, file: string): string {
  return path.resolve(io.cwd, file);
}

/** Seconds since `start` (from process.hrtime.bigint()), to the millisecond. */
export function secondsSince(start: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - start) / 1e6) / 1000;
}

/** JSON with bigints as strings, two-space indented, newline-terminated. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
}

/** Device and inode of the file at `file` (links followed), or null when there is none. */
function identity(file: string): string | null {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/**
 * Refuses, before any work, an output file that could not be written: its folder missing or
 * read-only, or a folder or read-only file in its place. `outputs` map a flag to a path.
 */
export function checkWritable(outputs: [string, string][]): void {
  for (const [flag, file] of outputs) {
    const dir = path.dirname(file);
    const fail = (why: string) => new DseError('ERR_DSE_IO', `Could not write ${flag} ${JSON.stringify(file)}: ${why}`);
    let dirStat: fs.Stats;
    try {
      dirStat = fs.statSync(dir);
    } catch {
      throw fail(`the folder ${JSON.stringify(dir)} does not exist`);
    }
    if (!dirStat.isDirectory()) throw fail(`${JSON.stringify(dir)} is not a folder`);
    try {
      fs.accessSync(dir, fs.constants.W_OK);
    } catch {
      throw fail(`the folder ${JSON.stringify(dir)} is not writable`);
    }
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(file);
    } catch {
      st = null;
    }
    if (st?.isDirectory()) throw fail('it is a folder');
    if (st) {
      try {
        fs.accessSync(file, fs.constants.W_OK);
      } catch {
        throw fail('the file is read-only');
      }
    }
  }
}

/**
 * Refuses, before any work, an output file that is one of the inputs (the same file by device
 * and inode, whatever links or relative paths lead to it) or another output: writing it would
 * destroy the data being read. `outputs` and `inputs` map a flag or role to a path.
 */
export function checkOutputs(outputs: [string, string][], inputs: [string, string][]): void {
  const seen = new Map<string, string>();
  for (const [role, file] of inputs) {
    const id = identity(file);
    if (id !== null && !seen.has(id)) seen.set(id, role);
  }
  const outs = new Map<string, string>();
  for (const [flag, file] of outputs) {
    const id = identity(file);
    if (id === null) {
      // Not there yet: two outputs may still name the same new file.
      const key = `new:${path.resolve(file)}`;
      if (outs.has(key)) throw new DseError('ERR_DSE_IO', `Expected different files for ${outs.get(key)} and ${flag} but both are ${JSON.stringify(file)}`);
      outs.set(key, flag);
      continue;
    }
    const input = seen.get(id);
    if (input !== undefined)
      throw new DseError('ERR_DSE_IO', `Expected an output file that is not an input for ${flag} but ${JSON.stringify(file)} is ${input}: it would be overwritten`);
    if (outs.has(id)) throw new DseError('ERR_DSE_IO', `Expected different files for ${outs.get(id)} and ${flag} but both are ${JSON.stringify(file)}`);
    outs.set(id, flag);
  }
}
