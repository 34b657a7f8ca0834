#!/usr/bin/env python3
"""Checks bench/reference.py against the golden cases in test/fixtures/cases.json.

Run:  python3 bench/test_reference.py
Prints one line per check and a final "N passed, N failed" line; exits 1 on any
failure. Cases using options that bench/reference.py does not implement
(chebyshevApprox, eigvalSavePath; the eigvalCache section) are skipped and listed.

Besides the in-process checks, one case per function is also run through the
CLI (python3 bench/reference.py --workload ...) to check its contract.
"""

import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "test", "fixtures")
sys.path.insert(0, HERE)

import reference  # noqa: E402

UNSUPPORTED_OPTIONS = {"chebyshevApprox", "eigvalSavePath"}


def fixture(name):
    return os.path.join(FIXTURES, name)


def same_partition(a, b):
    """True when labelings a and b induce the same partition (up to renaming)."""
    a = np.asarray(a).reshape(-1)
    b = np.asarray(b).reshape(-1)
    if a.shape != b.shape:
        return False
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = []

    def report(self, name, ok, detail):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print("%s  %-34s %s" % ("PASS" if ok else "FAIL", name, detail))
        sys.stdout.flush()


def check_value(got, expected, rtol):
    tol = rtol * abs(expected) + 1e-10
    err = abs(got - expected)
    return err <= tol, "got %.17g expected %.17g |err| %.3g tol %.3g" % (got, expected, err, tol)


def run_case(case, res):
    name = case["name"]
    options = case.get("options") or {}
    bad = UNSUPPORTED_OPTIONS.intersection(options)
    if bad:
        res.skipped.append("%s (%s)" % (name, ", ".join(sorted(bad))))
        print("SKIP  %-34s options not implemented: %s" % (name, ", ".join(sorted(bad))))
        return

    workload = {"fn": case["fn"], "X": case["args"]["embeddingVectors"], "options": options}
    if "referenceVectors" in case["args"]:
        workload["reference"] = case["args"]["referenceVectors"]
    fn, args, kwargs, is_mi = reference.build_call(workload, base_dir=FIXTURES)

    start = time.perf_counter()
    result = fn(*args, **kwargs)
    elapsed = time.perf_counter() - start
    value = float(result[0] if is_mi else result)

    expected = case["expected"]
    ok, detail = check_value(value, expected["value"], case["rtol"])
    notes = []

    if "clusters" in expected:
        want = np.load(fixture(expected["clusters"]))
        got = np.asarray(result[1]) if is_mi else None
        part_ok = got is not None and same_partition(got, want)
        ok = ok and part_ok
        notes.append("clusters %s" % ("ok" if part_ok else "MISMATCH"))

    if "sampledIndices" in expected:
        want = np.load(fixture(expected["sampledIndices"]))
        got = reference.subsample_indices(len(args[0]), kwargs.get("max_N", 10000),
                                          kwargs.get("random_seed", 0))
        idx_ok = got is not None and got.shape == want.shape and np.array_equal(got, want)
        ok = ok and idx_ok
        notes.append("indices %s" % ("ok" if idx_ok else "MISMATCH"))

    notes.append("%.3fs" % elapsed)
    res.report(name, ok, detail + "  " + ", ".join(notes))


def run_kernel_eigenvalues(entry, res):
    X = np.load(fixture(entry["X"]))
    sigma = entry["gaussianKernelSigma"]
    want = np.sort(np.load(fixture(entry["eigenvalues"])))
    K = reference.diffusion_kernel(X, sigma=sigma)
    got = reference.exact_eigvals(K)
    got = np.sort(np.real(got))
    err = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("inf")
    name = "eig_%s_s%s" % (os.path.splitext(entry["X"])[0], sigma)
    res.report(name, err <= 1e-10, "max |eig err| %.3g (tol 1e-10)" % err)


def run_python_random_sample(entries, res):
    import random

    bad = []
    for e in entries:
        random.seed(e["seed"])
        if random.sample(range(e["n"]), k=e["k"]) != e["sample"]:
            bad.append("seed=%s n=%s k=%s" % (e["seed"], e["n"], e["k"]))
    res.report("pythonRandomSample", not bad,
               "%d sequences%s" % (len(entries), (" MISMATCH: " + "; ".join(bad)) if bad else " equal"))


def run_cli(case, res):
    """Run one case through the CLI and check the output contract and value."""
    workload = {"fn": case["fn"], "X": fixture(case["args"]["embeddingVectors"]),
                "options": dict(case.get("options") or {})}
    if "referenceVectors" in case["args"]:
        workload["reference"] = fixture(case["args"]["referenceVectors"])
    pc = workload["options"].get("precomputedClusters")
    if isinstance(pc, str):
        workload["options"]["precomputedClusters"] = fixture(pc)
    cmd = [sys.executable, os.path.join(HERE, "reference.py"),
           "--workload", json.dumps(workload), "--repeat", "2", "--threads", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    name = "cli:" + case["name"]
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or len(lines) != 1:
        res.report(name, False, "rc=%d stdout=%r stderr=%r" % (proc.returncode, proc.stdout[-300:], proc.stderr[-300:]))
        return
    out = json.loads(lines[0])
    shape_ok = (set(out) == {"value", "seconds", "peakRssBytes"}
                and isinstance(out["seconds"], list) and len(out["seconds"]) == 2
                and isinstance(out["peakRssBytes"], int) and out["peakRssBytes"] > 0)
    ok, detail = check_value(out["value"], case["expected"]["value"], case["rtol"])
    res.report(name, ok and shape_ok,
               detail + "  seconds=%s peakRss=%.1f MiB%s" % (
                   ["%.3f" % s for s in out["seconds"]], out["peakRssBytes"] / 2 ** 20,
                   "" if shape_ok else "  BAD OUTPUT SHAPE"))


def main():
    warnings.filterwarnings("ignore")
    with open(fixture("cases.json")) as f:
        golden = json.load(f)
    res = Results()

    for case in golden["cases"]:
        try:
            run_case(case, res)
        except Exception as exc:  # report and go on
            res.report(case["name"], False, "raised %s: %s" % (type(exc).__name__, exc))

    for entry in golden.get("kernelEigenvalues", []):
        try:
            run_kernel_eigenvalues(entry, res)
        except Exception as exc:
            res.report("eig_" + entry["X"], False, "raised %s: %s" % (type(exc).__name__, exc))

    if golden.get("pythonRandomSample"):
        run_python_random_sample(golden["pythonRandomSample"], res)

    for entry in golden.get("eigvalCache", []):
        label = "eigvalCache:%s" % entry.get("file")
        res.skipped.append("%s (eigvalSavePath)" % label)
        print("SKIP  %-34s eigenvalue cache not implemented" % label)

    # CLI contract: the first supported case of each function.
    seen = set()
    for case in golden["cases"]:
        if case["fn"] in seen or UNSUPPORTED_OPTIONS.intersection(case.get("options") or {}):
            continue
        seen.add(case["fn"])
        run_cli(case, res)

    if res.skipped:
        print("skipped: " + "; ".join(res.skipped))
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
