#!/usr/bin/python3
"""qinfer against ONNX Runtime on any ONNX model, in one command.

    bench/parity.py MODEL [--input NAME=FILE]... [--image FILE] [image options] [--dim SYM=V]... [--seed N]
                    [--all-tensors] [--threads N] [--isa X] [--json OUT] [--keep DIR]

1. `qinfer run` runs MODEL on the inputs: .npy / .pb files, images (.png / .jpg / .jpeg, through qinfer's image
   preprocessing: --preset, --size, --mean, ... as `qinfer run` takes them) and, for the inputs not given,
   qinfer's deterministic random values (--seed) in the model's declared shapes, symbolic dims from --dim (else
   1). It writes the inputs it really used (--save-inputs), so ONNX Runtime gets the same bytes.
2. tests/zoo/ort_run.js runs the model on those inputs with ONNX Runtime (onnxruntime-node from the project's
   cache, CPU, 1 thread). With --all-tensors qinfer keeps every intermediate tensor (`qinfer run --all-tensors`)
   and ORT runs a temporary copy of the model in which each of those tensors that a node of the graph produces
   is also a graph output (external data is copied along; DequantizeLinear outputs are left out, since as graph
   outputs they would stop ORT's QDQ fusions: their integer inputs are compared).
3. Per output (and per shared intermediate tensor): cosine, SQNR, max|d|, max|ref|, and for integer tensors the
   share of equal elements and the largest difference in integer steps. Tolerances (docs/testing.md, "Parity
   against ONNX Runtime for any model"): float tensors as the zoo tests, cosine >= 0.99999 and
   max|qinfer - ORT| <= 1e-4 x max|ORT|, same shape, finite wherever ORT is finite (NaN where ORT has NaN);
   8/16-bit integer tensors (quantized activations) as the INT8 zoo tests, at most 1 step apart and equal on
   >= 99.9 % of the elements; other integer and bool tensors equal.

ONNX Runtime's uint8 x int8 products saturate on x86 CPUs without VNNI (tests/common/ort_u8s8.py): for a model with
int8 weights a one-node probe decides, and where ORT is inexact it runs the same model with those weights
re-expressed as uint8 (w + 128, zero point + 128), which it computes exactly (--ort-as-is: the model as given).

Exit status: 0 all within the tolerances, 1 a tensor outside them (or missing, or a runtime failed on the
model), 2 a usage or setup error (no qinfer, no node / onnxruntime-node, an unreadable model).
"""
import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ORT_RUN = os.path.join(REPO, 'tests', 'zoo', 'ort_run.js')

COS_MIN = 0.99999
REL_MAX = 1e-4
MAX_STEPS = 1  # 8/16-bit integer tensors
MIN_EQUAL = 0.999
QUANT_DTYPES = ('int8', 'uint8', 'int16', 'uint16')
# qinfer's dtype names (qinfer_dtype_name) -> ONNX TensorProto element types
ONNX_TYPES = {'float32': 1, 'uint8': 2, 'int8': 3, 'uint16': 4, 'int16': 5, 'int32': 6, 'int64': 7, 'bool': 9,
              'float16': 10, 'float64': 11, 'uint32': 12, 'uint64': 13, 'float': 1, 'double': 11}
IMAGE_OPTIONS = ('--preset', '--size', '--resize', '--crop-fraction', '--mean', '--std', '--scale', '--layout')


class SetupError(Exception):
    pass


def sanitize(name):
    return re.sub(r'[^A-Za-z0-9._-]', '_', name)


def big_stack():
    """A 64 MB stack for node: ORT's session on a model with hundreds of outputs recurses deeply (see
    tests/quant/run_quant_zoo.py)."""
    resource.setrlimit(resource.RLIMIT_STACK, (64 << 20, resource.getrlimit(resource.RLIMIT_STACK)[1]))


def run(cmd, what, timeout, **kw):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return None, f'{what} timed out after {timeout} s'
    except OSError as e:
        raise SetupError(f'cannot start {what}: {e}')
    if p.returncode != 0:
        sig = f' (signal {-p.returncode})' if p.returncode < 0 else ''
        lines = (p.stderr.strip() or p.stdout.strip()).splitlines()
        shown = lines[:1] + lines[max(1, len(lines) - 2):]  # the message, and where a stack trace ends
        return None, f'{what} failed, exit {p.returncode}{sig}: ' + ' | '.join(shown)
    return p.stdout, None


# ---------------------------------------------------------------- metrics

def compare(out, ref, tol):
    """Metrics of qinfer's tensor out against ORT's ref, and whether they are within tol: a dict."""
    import numpy as np
    m = {'shape': list(ref.shape), 'dtype': str(ref.dtype), 'qinfer_dtype': str(out.dtype), 'cosine': None,
         'sqnr_db': None, 'max_abs_diff': None, 'max_abs_ref': None, 'equal_share': None, 'max_int_steps': None,
         'ok': False, 'problem': None}
    if out.shape != ref.shape:
        m['problem'] = f'shape {list(out.shape)}, ORT {list(ref.shape)}'
        return m
    is_int = ref.dtype.kind in 'iub'
    if is_int != (out.dtype.kind in 'iub'):
        m['problem'] = f'dtype {out.dtype}, ORT {ref.dtype}'
        return m
    o = out.astype(np.float64).ravel()
    r = ref.astype(np.float64).ravel()
    if is_int:
        d = np.abs(out.astype(np.int64).ravel() - ref.astype(np.int64).ravel()) if r.size else np.zeros(0, np.int64)
        m['max_int_steps'] = int(d.max()) if d.size else 0
        m['equal_share'] = float((d == 0).mean()) if d.size else 1.0
    fin = np.isfinite(r)
    if not np.isfinite(o[fin]).all():
        m['problem'] = 'non-finite values where ORT is finite'
        return m
    if (~fin).any() and not np.array_equal(np.isnan(o), np.isnan(r)):
        m['problem'] = 'NaN positions differ from ORT'
        return m
    if (~fin).any() and not np.array_equal(o[np.isinf(r)], r[np.isinf(r)]):
        m['problem'] = 'infinities differ from ORT'
        return m
    o, r = o[fin], r[fin]
    diff = o - r
    m['max_abs_diff'] = float(np.abs(diff).max()) if r.size else 0.0
    m['max_abs_ref'] = float(np.abs(r).max()) if r.size else 0.0
    no, nr, nd = float(np.linalg.norm(o)), float(np.linalg.norm(r)), float(np.linalg.norm(diff))
    m['cosine'] = 1.0 if no == nr == 0.0 else 0.0 if no == 0.0 or nr == 0.0 else float(np.dot(o, r) / (no * nr))
    m['sqnr_db'] = float('inf') if nd == 0.0 else float(10 * np.log10(nr * nr / (nd * nd))) if nr > 0 else float('-inf')
    if is_int:
        limit = tol['max_steps'] if ref.dtype.name in QUANT_DTYPES else 0
        share = tol['min_equal'] if ref.dtype.name in QUANT_DTYPES else 1.0
        m['ok'] = m['max_int_steps'] <= limit and m['equal_share'] >= share
        if not m['ok']:
            m['problem'] = (f'{m["max_int_steps"]} steps apart (limit {limit}), {100 * m["equal_share"]:.3f} % equal '
                            f'(at least {100 * share:g} %)')
    else:
        limit = tol['rel_max'] * m['max_abs_ref']
        m['ok'] = m['cosine'] >= tol['cos_min'] and m['max_abs_diff'] <= limit
        if not m['ok']:
            m['problem'] = (f'cosine {m["cosine"]:.8f} (at least {tol["cos_min"]}), max|d| {m["max_abs_diff"]:.3e} '
                            f'(limit {limit:.3e} = {tol["rel_max"]:g} x max|ORT|)')
    return m


def fmt(v, spec):
    if v is None:
        return '-'
    if isinstance(v, float) and v in (float('inf'), float('-inf')):
        return 'inf' if v > 0 else '-inf'
    return format(v, spec)


def print_row(row, width):
    ok = 'ok  ' if row['ok'] else 'FAIL'
    shape = 'x'.join(map(str, row['shape'])) if row.get('shape') is not None else '-'
    line = (f'{ok} {row["kind"]:<12} {row["name"]:<{width}} {row.get("dtype") or "-":<8} {shape:<18} '
            f'{fmt(row.get("cosine"), ".8f"):>11} {fmt(row.get("sqnr_db"), ".2f"):>8} '
            f'{fmt(row.get("max_abs_diff"), ".3e"):>10} {fmt(row.get("max_abs_ref"), ".3e"):>10}')
    if row.get('max_int_steps') is not None:
        line += f'  steps {row["max_int_steps"]}, {100 * row["equal_share"]:.3f} % equal'
    if row.get('problem'):
        line += f'  <- {row["problem"]}'
    print(line)


# ---------------------------------------------------------------- the two runtimes

def qinfer_run(a, model, work):
    """`qinfer run` with --save-inputs (and --all-tensors): -> ((isa, {input: {source, dtype, file of the bytes it
    got}}, {kept tensor: (file, dtype)}), None) or (None, error)."""
    out_dir, in_dir, all_dir = (os.path.join(work, d) for d in ('qinfer', 'inputs', 'qinfer_all'))
    cmd = [a.qinfer, 'run', model, '--output-dir', out_dir, '--save-inputs', in_dir, '--threads', str(a.threads),
           '--seed', str(a.seed)]
    if a.isa:
        cmd += ['--isa', a.isa]
    for v in a.input:
        cmd += ['--input', v]
    for v in a.image:
        cmd += ['--image', v]
    for v in a.dim:
        cmd += ['--dim', v]
    for opt in IMAGE_OPTIONS:
        v = getattr(a, opt[2:].replace('-', '_'))
        if v is not None:
            cmd += [opt, v]
    cmd += ['--bgr'] if a.bgr else ['--rgb'] if a.rgb else []
    if a.all_tensors:
        cmd += ['--all-tensors', all_dir]
    stdout, err = run(cmd, 'qinfer', a.timeout)
    if err:
        return None, err
    isa = re.search(r'\(isa (\S+),', stdout)
    sources = {}  # "input  NAME DTYPE SHAPE SOURCE" lines, for the report
    for line in stdout.splitlines():
        f = line.split()
        if len(f) >= 5 and f[0] == 'input':
            sources[f[1]] = (f[2], f[-1])
    inputs = {}
    for name in graph_inputs(model):
        file = os.path.join(in_dir, sanitize(name) + '.npy')
        if os.path.exists(file):
            dtype, source = sources.get(name, ('?', '?'))
            inputs[name] = {'source': source, 'dtype': dtype, 'file': file}
    tensors = {}
    if a.all_tensors:
        with open(os.path.join(all_dir, 'tensors.tsv')) as f:
            for line in f:
                name, file, dtype, _ = line.rstrip('\n').split('\t')
                tensors[name] = (os.path.join(all_dir, file), dtype)
    return (isa.group(1) if isa else None, inputs, tensors), None


def graph_inputs(model):
    """The names of the model's graph inputs that no initializer gives (the runtime inputs)."""
    import onnx
    m = onnx.load(model, load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in inits]


def json_safe(v):
    """Infinite and NaN floats as the strings "inf", "-inf", "nan" (strict JSON has no such numbers)."""
    if isinstance(v, float) and v != v:
        return 'nan'
    if isinstance(v, float) and v in (float('inf'), float('-inf')):
        return 'inf' if v > 0 else '-inf'
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, list):
        return [json_safe(x) for x in v]
    return v


def has_int8_weights(m):
    import onnx
    return any(t.data_type == onnx.TensorProto.INT8 for t in m.graph.initializer)


def exact_u8s8(a, m, model_dir, work):
    """ORT's uint8 x int8 products saturate on x86 CPUs without VNNI (tests/common/ort_u8s8.py): when the model has
    such products and the probe finds ORT inexact here, the same model with those int8 weights re-expressed as
    uint8 (w + 128, zero point + 128: the model unchanged), which ORT runs exactly. -> (model, report or None)."""
    import onnx
    if not has_int8_weights(m):
        return m, None
    sys.path.insert(0, os.path.join(REPO, 'tests', 'common'))
    import ort_u8s8
    full = onnx.ModelProto()
    full.CopyFrom(m)
    onnx.load_external_data_for_model(full, model_dir)
    re_m, count, _, shifted = ort_u8s8.reexpress_s8_weights(full)
    if not count:
        return m, None
    try:
        probe = ort_u8s8.probe(a.node, ORT_RUN, a.cache, os.path.join(work, 'probe'))
    except Exception as e:  # ORT cannot run a one-node model: it will not run this one
        raise SetupError(f'ONNX Runtime failed on the u8s8 probe model: {e}')
    rep = {'exact': probe.exact, 'probe': probe.describe(), 'reexpressed_weights': 0 if probe.exact else count,
           'shifted': sorted(shifted) if not probe.exact else []}
    return (m if probe.exact else re_m), rep


def ort_model(a, model, q_tensors, work):
    """The model ORT runs: MODEL itself, or a copy in work with int8 weights re-expressed (exact_u8s8) and, with
    --all-tensors, every tensor in q_tensors that a top-level node produces as a graph output too, typed from shape
    inference or else from qinfer's dtype. DequantizeLinear outputs are left out: as graph outputs they would stop
    ORT's QDQ fusions (their integer inputs are compared). -> (path, [names added], u8s8 report or None)."""
    import onnx
    m = onnx.load(model, load_external_data=False)
    model_dir = os.path.dirname(os.path.abspath(model))
    m, u8s8 = (m, None) if a.ort_as_is else exact_u8s8(a, m, model_dir, work)
    added = []
    if a.all_tensors:
        try:
            inferred = onnx.shape_inference.infer_shapes(m)
        except Exception:  # a model onnx cannot infer (custom domains): types from qinfer alone
            inferred = m
        known = {vi.name: vi for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
        produced = {o for n in m.graph.node if n.op_type != 'DequantizeLinear' for o in n.output if o}
        have = {o.name for o in m.graph.output}
        for n, (_, dtype) in q_tensors.items():
            if n in have or n not in produced:
                continue
            vi = known.get(n)
            if vi is None or not vi.type.tensor_type.elem_type:
                if dtype not in ONNX_TYPES:
                    continue
                vi = onnx.helper.make_tensor_value_info(n, ONNX_TYPES[dtype], None)
            m.graph.output.append(vi)
            added.append(n)
    if not added and not (u8s8 and u8s8['reexpressed_weights']):
        return model, added, u8s8
    path = os.path.join(work, 'model_for_ort.onnx')
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in m.graph.initializer):
        # the weights come along: the copy's external data is relative to the copy's folder
        onnx.load_external_data_for_model(m, model_dir)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location='model_for_ort.data', size_threshold=1024)
    else:
        onnx.save_model(m, path)
    return path, added, u8s8


def ort_run(a, model, inputs, work):
    """ORT on the saved inputs: -> (meta of ort.json, folder) or an error."""
    out_dir = os.path.join(work, 'ort')
    cmd = [a.node, ORT_RUN, model, '--output-dir', out_dir, '--cache', a.cache]
    for name, info in inputs.items():
        cmd += ['--input', f'{name}={info["file"]}']
    _, err = run(cmd, 'ONNX Runtime', a.timeout, preexec_fn=big_stack)
    if err and 'cannot load onnxruntime-node' in err:
        raise SetupError(err)
    if err:
        return None, err
    with open(os.path.join(out_dir, 'ort.json')) as f:
        return (json.load(f), out_dir), None


# ---------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(prog='parity.py', description='qinfer vs ONNX Runtime on any ONNX model',
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument('model')
    ap.add_argument('--input', action='append', default=[], metavar='NAME=FILE',
                    help='input NAME from a .npy / .pb file or an image (repeatable; others: random)')
    ap.add_argument('--image', action='append', default=[], metavar='FILE',
                    help="an image for the model's only input (qinfer run --image)")
    ap.add_argument('--dim', action='append', default=[], metavar='SYM=V', help='bind symbolic dim SYM (repeatable)')
    ap.add_argument('--seed', type=int, default=0, help='seed of the random inputs (default 0)')
    ap.add_argument('--all-tensors', action='store_true', help='also compare every intermediate tensor both produce')
    ap.add_argument('--threads', type=int, default=1, help='qinfer threads (default 1; ORT runs 1 thread)')
    ap.add_argument('--isa', help='qinfer --isa (default: the best this CPU has)')
    ap.add_argument('--json', metavar='OUT', help='write every row and the settings as JSON to OUT')
    ap.add_argument('--keep', metavar='DIR', help='keep inputs, outputs and the temporary model under DIR')
    ap.add_argument('--cos-min', type=float, default=COS_MIN, help=f'float tensors (default {COS_MIN})')
    ap.add_argument('--rel-max', type=float, default=REL_MAX, help=f'max|d| / max|ORT|, floats (default {REL_MAX:g})')
    ap.add_argument('--max-steps', type=int, default=MAX_STEPS, help=f'8/16-bit tensors (default {MAX_STEPS})')
    ap.add_argument('--min-equal', type=float, default=MIN_EQUAL,
                    help=f'8/16-bit tensors: share of equal elements (default {MIN_EQUAL})')
    ap.add_argument('--ort-as-is', action='store_true',
                    help="no int8 weight re-expression where ORT's uint8 x int8 products saturate (see the doc)")
    ap.add_argument('--qinfer', default=os.environ.get('QINFER_BIN') or os.path.join(REPO, 'build-release', 'tools',
                                                                                      'qinfer'),
                    help='the qinfer CLI (default $QINFER_BIN, else build-release/tools/qinfer)')
    ap.add_argument('--node', default=shutil.which('node') or 'node', help='node executable')
    ap.add_argument('--cache', default=os.environ.get('QINFER_CACHE') or os.path.join(REPO, '.cache'),
                    help='the cache holding npm/node_modules/onnxruntime-node (default $QINFER_CACHE, else .cache)')
    ap.add_argument('--timeout', type=float, default=600.0, help='seconds per runtime (default 600)')
    img = ap.add_argument_group('image options (passed to qinfer run; docs/cli.md)')
    for opt in IMAGE_OPTIONS:
        img.add_argument(opt)
    img.add_argument('--bgr', action='store_true')
    img.add_argument('--rgb', action='store_true')
    a = ap.parse_args(argv)
    names = [v.split('=', 1)[0] for v in a.input]
    if any('=' not in v or not v.split('=', 1)[0] for v in a.input):
        ap.error('--input wants NAME=FILE')
    if len(set(names)) != len(names) or len(a.image) > 1:
        ap.error('each input is given once (one input set per run)')
    return a


def main(argv=None):
    a = parse_args(argv)
    import numpy as np
    tol = {'cos_min': a.cos_min, 'rel_max': a.rel_max, 'max_steps': a.max_steps, 'min_equal': a.min_equal}
    a.qinfer, a.cache = os.path.abspath(a.qinfer), os.path.abspath(a.cache)
    if not os.access(a.qinfer, os.X_OK):
        raise SetupError(f'{a.qinfer} is not an executable: build qinfer or give --qinfer')
    if not os.path.isfile(a.model):
        raise SetupError(f'{a.model}: no such model file')
    work = os.path.abspath(a.keep) if a.keep else tempfile.mkdtemp(prefix='qinfer-parity.')
    os.makedirs(work, exist_ok=True)
    rows = []
    report = {'model': os.path.abspath(a.model), 'qinfer': a.qinfer, 'isa': None, 'threads': a.threads,
              'ort_version': None, 'ort_threads': 1, 'seed': a.seed, 'dims': a.dim, 'inputs': {}, 'tolerances': tol,
              'all_tensors': a.all_tensors, 'ort_u8s8': None, 'tensors': rows, 'passed': 0, 'failed': 0, 'ok': False, 'error': None}
    try:
        res, err = qinfer_run(a, a.model, work)
        if res:
            report['isa'], report['inputs'], q_tensors = res
            path, added, report['ort_u8s8'] = ort_model(a, a.model, q_tensors, work)
            if report['ort_u8s8'] and not report['ort_u8s8']['exact']:
                print(f'parity: ONNX Runtime\'s uint8 x int8 products saturate on this CPU '
                      f'({report["ort_u8s8"]["probe"]}): ORT runs the model with its '
                      f'{report["ort_u8s8"]["reexpressed_weights"]} int8 weights re-expressed as uint8 (exact, '
                      f'same model: tests/common/ort_u8s8.py)')
            res, err = ort_run(a, path, report['inputs'], work)
        if err:
            report['error'] = err
            print(f'parity: FAIL: {err}')
        else:
            meta, ort_dir = res
            report['ort_version'] = meta['ort_version']
            print(f'parity: {a.model}: qinfer ({report["isa"]}, {a.threads} thread{"s" * (a.threads != 1)}) vs ONNX '
                  f'Runtime {meta["ort_version"]} (onnxruntime-node, CPU, 1 thread)')
            for name, info in report['inputs'].items():
                print(f'input  {name} {info["dtype"]} <- {info["source"]}')
            extra = set(added)
            for name, oinfo in meta['outputs'].items():
                kind = 'intermediate' if name in extra else 'output'
                if kind == 'output':
                    qfile = os.path.join(work, 'qinfer', sanitize(name) + '.npy')
                else:
                    qfile = q_tensors[name][0]
                ref = np.load(os.path.join(ort_dir, oinfo['file']))
                if report['ort_u8s8'] and name in report['ort_u8s8']['shifted']:  # re-expressed: values + 128
                    ref = (ref.astype(np.int16) - 128).astype(np.int8)
                if not os.path.exists(qfile):
                    row = {'shape': list(ref.shape), 'dtype': str(ref.dtype), 'ok': False,
                           'problem': 'qinfer wrote no such output'}
                else:
                    row = compare(np.load(qfile), ref, tol)
                rows.append(dict(name=name, kind=kind, **row))
            width = min(48, max([len(r['name']) for r in rows] + [4]))
            print(f'     {"kind":<12} {"name":<{width}} {"dtype":<8} {"shape":<18} {"cosine":>11} {"SQNR dB":>8} '
                  f'{"max|d|":>10} {"max|ORT|":>10}')
            for r in rows:
                print_row(r, width)
        report['passed'] = sum(r['ok'] for r in rows)
        report['failed'] = len(rows) - report['passed']
        report['ok'] = not report['error'] and report['failed'] == 0 and bool(rows)
        shared = f', {sum(r["kind"] == "intermediate" for r in rows)} intermediate tensors' if a.all_tensors else ''
        print(f'parity: {report["passed"]} passed, {report["failed"]} failed ({sum(r["kind"] == "output" for r in rows)} '
              f'outputs{shared}): {"ok" if report["ok"] else "FAILED"}')
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        if a.json:
            with open(a.json, 'w') as f:
                json.dump(json_safe(report), f, indent=1, allow_nan=False)
                f.write('\n')
    return 0 if report['ok'] else 1


if __name__ == '__main__':
    try:
        sys.exit(main())
    except SetupError as e:
        print(f'parity: error: {e}', file=sys.stderr)
        sys.exit(2)
