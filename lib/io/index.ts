// SPDX-License-Identifier: MIT
/**
 * numpy file formats: `.npy` arrays, `.npz` archives, float16 conversions and the
 * atomic file writer they share.
 *
 * @example
 * ```ts
 * import { readNpy, writeNpz } from './io';
 * const x = readNpy('blobs.npy');
 * writeNpz('out.npz', { x: { data: x.data, shape: x.shape } }, { compress: true });
 * ```
 */

export { float64ToFloat16Bits, float16BitsToFloat64, roundToFloat16, encodeFloat16 } from './float16';
export { readNpy, parseNpy, encodeNpy, writeNpy, MAX_NPY_HEADER_BYTES } from './npy';
export type { NpyArray, NpyArrayInput, NpyData, NpyDtype } from './npy';
export { readNpz, encodeNpz, writeNpz, DEFAULT_NPZ_MAX_BYTES } from './npz';
export type { ReadNpzOptions, EncodeNpzOptions } from './npz';
export { writeFileAtomic } from './atomic';
