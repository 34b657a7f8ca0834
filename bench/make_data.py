#!/usr/bin/env python3
"""Writes the benchmark inputs of `npm run bench` as .npy files (fixed seeds; skipped when present).

usage: python3 bench/make_data.py DIR NAME [NAME ...]

  uniform_N_D   N x D float64, uniform on [0, 1) (seed 0 + N + D)
  labels_N_K    N int64 labels, uniform on 0..K-1 (seed 1)
  images_N      N x 3072 float64 "images": smooth random 32x32x3 fields around 10 smooth prototypes
                (seed 2), so that spectral clustering into 10 clusters is well posed
  noise_N       N x 3072 float64 "images" of white noise, uniform on [0, 1) (seed 3): no cluster
                structure, the hard case for the spectral embedding (its wanted eigenvalues lie
                close to the next ones); the reference takes ~5 s on noise_3000
"""
import os
import sys

import numpy as np


def uniform(n, d):
    return np.random.default_rng(n + d).random((n, d))


def labels(n, k):
    return np.random.default_rng(1).integers(0, k, n).astype(np.int64)


def smooth(rng, shape, width):
    """Gaussian-smoothed white noise along the two image axes (FFT, periodic), unit variance."""
    noise = rng.standard_normal(shape)
    fy = np.fft.fftfreq(shape[1])[:, None]
    fx = np.fft.fftfreq(shape[2])[None, :]
    gain = np.exp(-2 * (np.pi * width) ** 2 * (fy ** 2 + fx ** 2))[None, :, :, None]
    field = np.real(np.fft.ifft2(np.fft.fft2(noise, axes=(1, 2)) * gain, axes=(1, 2)))
    return field / field.std()


def images(n):
    rng = np.random.default_rng(2)
    protos = smooth(rng, (10, 32, 32, 3), 3.0)
    lab = rng.integers(0, 10, n)
    Y = protos[lab] + 1.2 * smooth(rng, (n, 32, 32, 3), 2.0)
    return np.ascontiguousarray(Y.reshape(n, -1))


def noise(n):
    return np.random.default_rng(3).random((n, 3072))


def make(name):
    kind, *args = name.split("_")
    nums = [int(a) for a in args]
    if kind == "uniform":
        return uniform(*nums)
    if kind == "labels":
        return labels(*nums)
    if kind == "images":
        return images(*nums)
    if kind == "noise":
        return noise(*nums)
    raise SystemExit("unknown data set %r" % name)


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    for name in sys.argv[2:]:
        path = os.path.join(folder, name + ".npy")
        if os.path.exists(path):
            continue
        tmp = path + ".tmp.npy"
        np.save(tmp, make(name))
        os.replace(tmp, path)


if __name__ == "__main__":
    main()
