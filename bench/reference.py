#!/usr/bin/env python3
"""Python stand-in for the reference dse-dsmi 1.1 package, for benchmarking.

Written from shared/REFERENCE.md. It performs the same steps as the reference,
including its wasteful ones (dense diagonal matrices and two N x N matrix
products to form K, an N x N threshold mask for the kNN adjacency, ...), so that
its timings and peak memory stand for the reference's. It is NOT an optimised
implementation: do not "fix" the waste.

Not implemented (raise NotImplementedError): ``chebyshev_approx=True`` and
``eigval_save_path`` (the eigenvalue cache).

Two entry points:

* importable functions with the reference's names, keywords and defaults:
  ``diffusion_spectral_entropy``, ``adjacency_spectral_entropy``,
  ``diffusion_spectral_mutual_information``,
  ``adjacency_spectral_mutual_information`` (the MI ones return (MI, clusters)).

* a CLI for the benchmark harness::

    python3 bench/reference.py --workload '<json>' [--repeat R] [--threads N]

  See bench/README-reference.md for the contract.
"""

import os
import sys


# --------------------------------------------------------------------------
# Thread limiting must be decided before numpy is imported (env var fallback).
# Only done when run as a script; importing this module changes nothing.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are deliberately left untouched.
# --------------------------------------------------------------------------
_THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def _early_threads_arg(argv):
    """Return the --threads value from argv (or None) without argparse."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


_THREAD_LIMIT_MODE = None  # None | "threadpoolctl" | "env"
if __name__ == "__main__":
    _t = _early_threads_arg(sys.argv[1:])
    if _t is not None:
        try:
            import threadpoolctl  # noqa: F401  (does not import numpy)

            _THREAD_LIMIT_MODE = "threadpoolctl"
        except ImportError:
            _THREAD_LIMIT_MODE = "env"
            for _name in _THREAD_ENV_VARS:
                os.environ[_name] = str(int(_t))

import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.cluster import SpectralClustering  # noqa: E402
from sklearn.metrics import pairwise_distances  # noqa: E402


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------
def subsample_indices(n, max_N, random_seed):
    """Rows kept when n > max_N: seed Python's global generator (unless the
    seed is None) and draw random.sample(range(n), k=max_N). None otherwise."""
    if max_N is None or n <= max_N:
        return None
    if random_seed is not None:
        random.seed(random_seed)
    return np.array(random.sample(range(n), k=max_N))


def _maybe_subsample(X, max_N, random_seed):
    if X is None:
        return X
    idx = subsample_indices(len(X), max_N, random_seed)
    if idx is None:
        return X
    return X[idx, :]


def gaussian_adjacency(dist, sigma):
    """G = exp(-Dist^2 / (2 sigma^2)) / (sigma sqrt(2 pi)), elementwise."""
    scale = 1.0 / (sigma * np.sqrt(2.0 * np.pi))
    return scale * np.exp(-(dist ** 2) / (2.0 * sigma ** 2))


def anisotropic_normalize(G):
    """K = diag(d^-1/2) G diag(d^-1/2) with d = rowsum(G), formed the way the
    reference forms it: a dense N x N diagonal matrix and two dense products."""
    inv_sqrt_deg = 1.0 / np.sqrt(G.sum(axis=1))
    Dm = np.diag(inv_sqrt_deg)
    return Dm @ G @ Dm


def diffusion_kernel(X, sigma=10.0):
    """Symmetric matrix K with the eigenvalues of the diffusion matrix.
    (Dist and G stay alive until K is formed, as in the reference: this keeps
    the peak memory representative.)"""
    dist = pairwise_distances(X)
    G = gaussian_adjacency(dist, sigma)
    K = anisotropic_normalize(G)
    return K


def exact_eigvals(A):
    """Symmetric solver when A looks symmetric (np.allclose with rtol=1e-5,
    atol=1e-8), general solver (complex output possible) otherwise."""
    if np.allclose(A, A.T, rtol=1e-5, atol=1e-8):
        return np.linalg.eigvalsh(A)
    return np.linalg.eigvals(A)


def shannon_bits(prob):
    """-sum(p log2 p) after adding machine epsilon to every entry."""
    prob = prob + np.finfo(float).eps
    return -np.sum(prob * np.log2(prob))


def _classic_shannon_probabilities(X, num_bins_per_dim):
    lo = np.min(X, axis=0)
    hi = np.max(X, axis=0)
    # A constant column gives 0/0 = NaN, as in the reference; every row then
    # lands in the same bin of that column, which leaves the counts unchanged.
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = (X - lo) / (hi - lo)
    edges = np.linspace(0.0, 1.0, num_bins_per_dim + 1)[:-1]
    binned = np.digitize(scaled, bins=edges)
    counts = np.unique(binned, axis=0, return_counts=True)[1]
    return counts / np.sum(counts)


def _unsupported(chebyshev_approx, eigval_save_path):
    if chebyshev_approx:
        raise NotImplementedError("chebyshev_approx is not implemented in bench/reference.py")
    if eigval_save_path is not None:
        raise NotImplementedError("eigval_save_path (eigenvalue cache) is not implemented in bench/reference.py")


# --------------------------------------------------------------------------
# Entropies
# --------------------------------------------------------------------------
def diffusion_spectral_entropy(embedding_vectors,
                               gaussian_kernel_sigma=10,
                               t=1,
                               max_N=10000,
                               chebyshev_approx=False,
                               eigval_save_path=None,
                               eigval_save_precision=np.float16,
                               classic_shannon_entropy=False,
                               matrix_entry_entropy=False,
                               num_bins_per_dim=2,
                               random_seed=0,
                               verbose=False):
    """DSE (or CSE when classic_shannon_entropy) of the [N, D] embeddings, in bits."""
    _unsupported(chebyshev_approx, eigval_save_path)
    X = _maybe_subsample(embedding_vectors, max_N, random_seed)

    if classic_shannon_entropy:
        prob = _classic_shannon_probabilities(np.array(X, copy=True), num_bins_per_dim)
    elif matrix_entry_entropy:
        K = diffusion_kernel(X, sigma=gaussian_kernel_sigma)
        # Row-stochastic P, again through a dense diagonal matrix product.
        P = np.diag(1.0 / K.sum(axis=1)) @ K
        entries = np.abs(P.reshape(-1))
        prob = entries / entries.sum()
    else:
        K = diffusion_kernel(X, sigma=gaussian_kernel_sigma)
        ev = exact_eigvals(K)
        ev = np.abs(ev) ** t
        prob = ev / ev.sum()

    return shannon_bits(prob)


def adjacency_spectral_entropy(embedding_vectors,
                               gaussian_kernel_sigma=10,
                               anisotropic=False,
                               use_knn=False,
                               knn=10,
                               max_N=10000,
                               eigval_save_path=None,
                               eigval_save_precision=np.float16,
                               random_seed=0,
                               verbose=False):
    """ASE: entropy of the adjacency spectrum (Gaussian, anisotropic or kNN)."""
    _unsupported(False, eigval_save_path)
    X = _maybe_subsample(embedding_vectors, max_N, random_seed)

    # Every N x N intermediate below stays alive through the eigen solve, as
    # in the reference, so that the peak memory is representative.
    dist = pairwise_distances(X)
    if use_knn:
        # A[i, j] = 1 when dist[i, j] <= the knn-th smallest entry of row i
        # (the zero self-distance counts). Ties are all included, so A is not
        # symmetric in general. Built with an explicit N x N threshold matrix
        # and integer entries, as the reference builds it.
        n = dist.shape[0]
        order = np.argpartition(dist, knn - 1, axis=1)
        kth = dist[np.arange(n), order[:, knn - 1]]
        threshold = np.tile(kth.reshape(n, 1), (1, n))
        A = (dist <= threshold) * 1
    else:
        G = gaussian_adjacency(dist, gaussian_kernel_sigma)
        A = anisotropic_normalize(G) if anisotropic else G

    ev = np.abs(exact_eigvals(A))
    prob = ev / ev.sum()
    return shannon_bits(prob)


# --------------------------------------------------------------------------
# Mutual information
# --------------------------------------------------------------------------
def _reference_clusters(reference_vectors, reference_discrete, n_clusters,
                        precomputed_clusters):
    ref = np.asarray(reference_vectors)
    if ref.ndim == 1:
        ref = ref.reshape(ref.shape[0], 1)
    d_ref = ref.shape[1]

    if reference_discrete is None:
        reference_discrete = d_ref == 1 and np.issubdtype(ref.dtype, np.integer)

    if reference_discrete:
        if d_ref != 1:
            raise ValueError("reference_discrete is True but reference_vectors is not [N, 1]")
        return ref  # the labels themselves (a given precomputed_clusters is ignored)
    if precomputed_clusters is not None:
        return np.asarray(precomputed_clusters)
    if d_ref == 1:
        lo = np.min(ref, axis=0)
        hi = np.max(ref, axis=0)
        scaled = (ref - lo) / (hi - lo)
        edges = np.linspace(0.0, 1.0, n_clusters + 1)[:-1]
        return np.digitize(scaled, bins=edges)  # labels 1..n_clusters, shape [N, 1]
    model = SpectralClustering(n_clusters=n_clusters,
                               affinity="nearest_neighbors",
                               assign_labels="cluster_qr",
                               random_state=0).fit(ref)
    return model.labels_


def _spectral_mutual_information(X, clusters, entropy_fn, entropy_kwargs,
                                 num_repetitions, random_seed):
    """sum_c (n_c / N) * (mean_r H(random n_c rows) - H(rows of cluster c))."""
    values, counts = np.unique(clusters, return_counts=True)
    n_total = clusters.shape[0]
    gains = []
    for value in values:
        members = (clusters == value).reshape(-1)
        n_c = int(np.sum(clusters == value))
        # Inner calls keep the entropy function's own max_N / random_seed
        # defaults (10000 / 0), as the reference does.
        h_cond = entropy_fn(X[members, :], **entropy_kwargs)

        if random_seed is not None:
            random.seed(random_seed)
        h_rand = []
        for _ in range(num_repetitions):
            rows = np.array(random.sample(range(n_total), k=n_c))
            h_rand.append(entropy_fn(X[rows, :], **entropy_kwargs))
        gains.append(np.mean(h_rand) - h_cond)

    return np.sum(counts / np.sum(counts) * np.array(gains))


def diffusion_spectral_mutual_information(embedding_vectors,
                                          reference_vectors,
                                          reference_discrete=None,
                                          gaussian_kernel_sigma=10,
                                          t=1,
                                          chebyshev_approx=False,
                                          num_repetitions=5,
                                          n_clusters=10,
                                          precomputed_clusters=None,
                                          classic_shannon_entropy=False,
                                          matrix_entry_entropy=False,
                                          num_bins_per_dim=2,
                                          random_seed=0,
                                          verbose=False):
    """DSMI. Returns (MI, clusters)."""
    _unsupported(chebyshev_approx, None)
    clusters = _reference_clusters(reference_vectors, reference_discrete,
                                   n_clusters, precomputed_clusters)
    kwargs = dict(gaussian_kernel_sigma=gaussian_kernel_sigma,
                  t=t,
                  chebyshev_approx=chebyshev_approx,
                  classic_shannon_entropy=classic_shannon_entropy,
                  matrix_entry_entropy=matrix_entry_entropy,
                  num_bins_per_dim=num_bins_per_dim)
    mi = _spectral_mutual_information(embedding_vectors, clusters,
                                      diffusion_spectral_entropy, kwargs,
                                      num_repetitions, random_seed)
    return mi, clusters


def adjacency_spectral_mutual_information(embedding_vectors,
                                          reference_vectors,
                                          reference_discrete=None,
                                          gaussian_kernel_sigma=10,
                                          use_knn=False,
                                          anisotropic=False,
                                          num_repetitions=5,
                                          n_clusters=10,
                                          precomputed_clusters=None,
                                          random_seed=0,
                                          verbose=False):
    """ASMI. Returns (MI, clusters). The inner ASE calls use knn=10 always."""
    clusters = _reference_clusters(reference_vectors, reference_discrete,
                                   n_clusters, precomputed_clusters)
    kwargs = dict(gaussian_kernel_sigma=gaussian_kernel_sigma,
                  use_knn=use_knn,
                  anisotropic=anisotropic)
    mi = _spectral_mutual_information(embedding_vectors, clusters,
                                      adjacency_spectral_entropy, kwargs,
                                      num_repetitions, random_seed)
    return mi, clusters


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------
FUNCTIONS = {
    "diffusionSpectralEntropy": (diffusion_spectral_entropy, False),
    "adjacencySpectralEntropy": (adjacency_spectral_entropy, False),
    "diffusionSpectralMutualInformation": (diffusion_spectral_mutual_information, True),
    "adjacencySpectralMutualInformation": (adjacency_spectral_mutual_information, True),
}

# camelCase option -> python keyword
OPTION_NAMES = {
    "gaussianKernelSigma": "gaussian_kernel_sigma",
    "t": "t",
    "maxN": "max_N",
    "chebyshevApprox": "chebyshev_approx",
    "eigvalSavePath": "eigval_save_path",
    "eigvalSavePrecision": "eigval_save_precision",
    "classicShannonEntropy": "classic_shannon_entropy",
    "matrixEntryEntropy": "matrix_entry_entropy",
    "numBinsPerDim": "num_bins_per_dim",
    "randomSeed": "random_seed",
    "anisotropic": "anisotropic",
    "useKnn": "use_knn",
    "knn": "knn",
    "referenceDiscrete": "reference_discrete",
    "numRepetitions": "num_repetitions",
    "nClusters": "n_clusters",
    "precomputedClusters": "precomputed_clusters",
    "verbose": "verbose",
}


def _accepted_keywords(fn):
    code = fn.__code__
    return set(code.co_varnames[:code.co_argcount])


def build_call(workload, base_dir=None):
    """Turn a workload dict into (function, positional args, kwargs, is_mi).
    Loads the arrays. Relative paths are taken from base_dir (default: cwd)."""
    name = workload.get("fn")
    if name not in FUNCTIONS:
        raise ValueError("unknown fn %r; expected one of %s" % (name, ", ".join(FUNCTIONS)))
    fn, is_mi = FUNCTIONS[name]

    def path_of(p):
        if base_dir is not None and not os.path.isabs(p):
            return os.path.join(base_dir, p)
        return p

    x_path = workload.get("X", workload.get("embeddingVectors"))
    if x_path is None:
        raise ValueError("workload needs \"X\" (path of an .npy file)")
    args = [np.load(path_of(x_path))]
    if is_mi:
        r_path = workload.get("reference", workload.get("referenceVectors"))
        if r_path is None:
            raise ValueError("workload for %s needs \"reference\" (path of an .npy file)" % name)
        args.append(np.load(path_of(r_path)))

    accepted = _accepted_keywords(fn)
    kwargs = {}
    for key, value in (workload.get("options") or {}).items():
        py = OPTION_NAMES.get(key)
        if py is None or py not in accepted:
            raise ValueError("option %r is not accepted by %s" % (key, name))
        if py == "precomputed_clusters" and value is not None:
            value = np.load(path_of(value)) if isinstance(value, str) else np.asarray(value)
        if py == "eigval_save_precision" and isinstance(value, str):
            value = np.dtype(value).type
        kwargs[py] = value
    return fn, args, kwargs, is_mi


def _peak_rss_bytes():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def _parse_args(argv):
    import argparse

    parser = argparse.ArgumentParser(
        description="Run one workload of the Python reference stand-in and print "
                    "{\"value\", \"seconds\", \"peakRssBytes\"} as one JSON line.")
    parser.add_argument("--workload", required=True,
                        help="JSON: {fn, X, reference?, options?}")
    parser.add_argument("--repeat", type=int, default=1,
                        help="number of timed runs (default 1)")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit BLAS/OpenMP threads (default: leave as is)")
    ns = parser.parse_args(argv)
    if ns.repeat < 1:
        parser.error("--repeat must be >= 1")
    if ns.threads is not None and ns.threads < 1:
        parser.error("--threads must be >= 1")
    return ns


def main(argv=None):
    import warnings

    ns = _parse_args(sys.argv[1:] if argv is None else argv)
    # The reference silences all warnings on import; do the same here.
    warnings.filterwarnings("ignore")

    workload = json.loads(ns.workload)
    fn, args, kwargs, is_mi = build_call(workload)

    limiter = None
    if ns.threads is not None and _THREAD_LIMIT_MODE != "env":
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(limits=ns.threads)

    seconds = []
    value = None
    try:
        for _ in range(ns.repeat):
            start = time.perf_counter()
            result = fn(*args, **kwargs)
            seconds.append(time.perf_counter() - start)
            value = float(result[0] if is_mi else result)
    finally:
        if limiter is not None:
            limiter.restore_original_limits()

    out = {"value": value, "seconds": seconds, "peakRssBytes": _peak_rss_bytes()}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
