// SPDX-License-Identifier: MIT
/**
 * Each public operation is defined once: its option rules, how it reads its inputs, and its plan
 * (lib/plan.ts). `promiseForm` and `syncForm` derive the two public functions from it, so every
 * Promise form takes `signal` and `onProgress`, copies its inputs before the first await and
 * rejects with the caller's stack, and every form validates the same way.
 */
import { runAsync, runSync, type AsyncOptions, type Plan } from './plan';
import { readOptions, optionalSignal, optionalFunction, toMatrix, toOwnedMatrix, type OptionSpec } from './validate';
import type { Matrix, MatrixLike } from './validate';

export interface Operation<I extends unknown[], O extends { memoryLimitBytes: number | null }, P, R, A = unknown> {
  /** The Promise form's name; the Sync form's is it + `Sync`. */
  name: string;
  /** How many positional inputs come before the options (X, or X and a reference). */
  inputs: I['length'];
  /** The option rules of both forms (the Promise form adds `signal` and `onProgress`). */
  spec: OptionSpec<O>;
  /** Reads the positional inputs. `owned`: copy what the caller could change while a Promise form runs. */
  read(inputs: I, o: O, owned: boolean): P;
  plan(parsed: P, o: O): Plan<R>;
  /** Never set: carries the public options type `A` of the Promise form to the derived forms' types. */
  readonly publicOptions?: A;
}

/** An operation on one matrix X (a private copy in the Promise form, which the caller could change meanwhile). */
export function matrixOperation<O extends { memoryLimitBytes: number | null }, R, A>(
  name: string,
  spec: OptionSpec<O>,
  plan: (X: Matrix, o: O) => Plan<R>,
): Operation<[X: MatrixLike], O, Matrix, R, A> {
  return { name, inputs: 1, spec, read: ([X], _o, owned) => (owned ? toOwnedMatrix : toMatrix)(X, 'X'), plan };
}

/** A Sync form's options: the Promise form's but `signal` and `onProgress`. */
export type SyncOptions<A> = Omit<A, keyof AsyncOptions>;

export const CONTROL_SPEC = {
  signal: optionalSignal(),
  onProgress: optionalFunction<(done: number, total: number) => void>(),
};

/** The Promise form `name(...inputs, options)` of an operation. */
export function promiseForm<I extends unknown[], O extends { memoryLimitBytes: number | null }, P, R, A>(
  op: Operation<I, O, P, R, A>,
): (...args: [...inputs: I, options?: A]) => Promise<R> {
  const name = op.name;
  const spec = { ...op.spec, ...CONTROL_SPEC } as OptionSpec<O & AsyncOptions>;
  const arity = op.inputs;
  async function form(...args: [...inputs: I, options?: A]): Promise<R> {
    // Captured before anything is queued, so a rejection points at the caller's line.
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, form);
    const { signal, onProgress, ...o } = readOptions(args[arity], spec, name);
    const parsed = op.read(args.slice(0, arity) as I, o as unknown as O, true);
    const memoryLimitBytes = (o as unknown as O).memoryLimitBytes;
    return runAsync(() => op.plan(parsed, o as unknown as O), { signal, onProgress, memoryLimitBytes }, holder.stack);
  }
  Object.defineProperty(form, 'name', { value: name });
  return form;
}

/** The blocking form `nameSync(...inputs, options)` of an operation. */
export function syncForm<I extends unknown[], O extends { memoryLimitBytes: number | null }, P, R, A>(
  op: Operation<I, O, P, R, A>,
): (...args: [...inputs: I, options?: SyncOptions<A>]) => R {
  const name = `${op.name}Sync`;
  const arity = op.inputs;
  function form(...args: [...inputs: I, options?: SyncOptions<A>]): R {
    const o = readOptions(args[arity], op.spec, name);
    return runSync(op.plan(op.read(args.slice(0, arity) as I, o, false), o), o);
  }
  Object.defineProperty(form, 'name', { value: name });
  return form;
}
