// SPDX-License-Identifier: MIT
/** Whether this machine stores numbers little-endian (as .npy files mostly do). */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
