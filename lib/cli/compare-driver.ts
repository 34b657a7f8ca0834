// SPDX-License-Identifier: MIT
/**
 * The Python side of `dse compare` (and of `npm run bench --reference package`): a script run as
 * `python -c PYTHON_DRIVER '<request JSON>'`. It loads the files with numpy, calls the function
 * of the Python package `dse_dsmi` R times, and prints one line: {@link RESULT_MARK} and JSON.
 *
 * Request: `{ module, function, x: { path, key }, reference: { path, key } | null,
 * clusters: { path } | null, kwargs, repeat }` (kwargs with the package's keyword names).
 * Result: `{ value, seconds[], peakRssBytes, peakRssBeforeBytes, clusters, python, numpy,
 * module: { file, version } }`, or `{ error: 'import' | 'api' | 'load' | 'exception', ... }`
 * with exit status 3. Arrays are read before timing: X as [N, -1] (1-D: one column), the
 * reference as stored ([N] and [N, 1] as they are, more dimensions flattened after the first),
 * as `dse` reads them. Memory: `getrusage(RUSAGE_SELF).ru_maxrss`, the whole process's peak
 * resident set, read before the first run and after the last (null where `resource` is missing).
 */

/** What starts the result line on the driver's stdout (the package may print too). */
export const RESULT_MARK = '@@dse-compare@@ ';

/** The driver's source, for `python -c`. */
export const PYTHON_DRIVER = String.raw`
import contextlib, importlib, json, math, platform, sys, time

MARK = '@@dse-compare@@ '


def emit(obj):
    sys.__stdout__.write(MARK + json.dumps(obj) + '\n')
    sys.__stdout__.flush()


def one_line(e):
    text = ' '.join(str(e).split())
    return '%s: %s' % (type(e).__name__, text) if text else type(e).__name__


def fail(kind, **fields):
    fields['error'] = kind
    emit(fields)
    sys.exit(3)


def peak_rss():
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == 'darwin' else int(peak) * 1024


req = json.loads(sys.argv[1])
try:
    import numpy as np
except Exception as e:
    fail('import', module='numpy', message=one_line(e))
try:
    mod = importlib.import_module(req['module'])
except Exception as e:
    fail('import', module=req['module'], message=one_line(e))
fn = getattr(mod, req['function'], None)
if not callable(fn):
    fail('api', message='module %s (%s) has no function ' +
      '%s' % (req['module'], getattr(mod, '__file__', '?'), req['function']))

version = getattr(mod, '__version__', None)
if version is None:
    try:
        from importlib import metadata
        version = metadata.version('dse-dsmi')
    except Exception:
        version = None


def load(spec):
    a = np.load(spec['path'], allow_pickle=False)
    if hasattr(a, 'files'):
        with a:
            key = spec.get('key')
            if key is None:
                if len(a.files) != 1:
                    raise ValueError('%s holds %d arrays; give the key' % (spec['path'], len(a.files)))
                key = a.files[0]
            return a[key]
    return a


try:
    X = load(req['x'])
    X = X.reshape(X.shape[0], -1)
    args = [X]
    if req.get('reference') is not None:
        ref = load(req['reference'])
        if ref.ndim > 2:
            ref = ref.reshape(ref.shape[0], -1)
        args.append(ref)
    kwargs = dict(req['kwargs'])
    if req.get('clusters') is not None:
        kwargs['precomputed_clusters'] = load(req['clusters'])
except Exception as e:
    fail('load', message=one_line(e))

is_mi = req.get('reference') is not None
seconds = []
before = peak_rss()
try:
    # What the package prints goes to stderr: stdout carries the result line only.
    with contextlib.redirect_stdout(sys.stderr):
        for _ in range(int(req.get('repeat', 1))):
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            seconds.append(time.perf_counter() - start)
    value = float(np.real(out[0] if is_mi else out))
    clusters = np.asarray(out[1]).reshape(-1).tolist() if is_mi else None
except Exception as e:
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = '%s:%d' % (tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else None
    fail('exception', message=one_line(e), where=where)

emit({
    'value': value if math.isfinite(value) else repr(value),
    'seconds': seconds,
    'peakRssBytes': peak_rss(),
    'peakRssBeforeBytes': before,
    'clusters': clusters,
    'python': platform.python_version(),
    'numpy': np.__version__,
    'module': {'file': getattr(mod, '__file__', None), 'version': version},
})
`;
