#!/usr/bin/env python3
"""Tests of `qinfer compare` (tests/compare.cmake registers one ctest case per --case):

  oracle    the FP32 model and its hand-made QDQ version (models.py), copies of both that output every
            intermediate tensor run by ONNX Runtime (tests/zoo/ort_run.js); numpy computes the expected metrics
            from ORT's tensors (a QuantizeLinear output dequantized with its own parameters) and every row of
            `qinfer compare --per-layer --csv` must match: the same tensors, SQNR within 0.5 dB (the integer
            runtime may differ from ORT by one quantization step on a few elements) or both above 60 dB, cosine
            within 1e-4, max |diff| within two quantization steps (the accumulated view's columns); the same for
            the output row of a plain `qinfer compare --csv`, sorted by SQNR ascending.
  isolated  the isolated view's columns against ONNX Runtime running each node's Q-DQ region cut out of the QDQ
            model on the FP32 tensors (ort_isolated), rows ranked by isolated SQNR; a chain whose first layer has
            a step 12 times too coarse is ranked worst by the isolated view, not by the accumulated one.
  table     a Conv whose output range is cut to a HardSigmoid's ramp: its isolated row is measured through
            the lookup table qinfer makes of the HardSigmoid, as ORT computes that region.
  identity  a model against itself (FP32 and QDQ, random inputs): inf SQNR and cosine 1 in every row;
            --min-sqnr passes on equal models and fails (exit 1) on FP32 vs QDQ.
  errors    missing model, mismatched input names / shapes, a bad --csv path (exit 1), usage errors (exit 2).
"""
import argparse
import csv
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
import onnx.utils

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FAILURES = []


def check(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print('FAIL: ' + msg)
    return cond


def qinfer(args, *cmd):
    p = subprocess.run([args.qinfer, 'compare', *cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60, cwd=args.workdir)
    return p.returncode, p.stdout.decode('utf-8', 'replace')


def expect_exit(args, code, text, *cmd):
    rc, out = qinfer(args, *cmd)
    ok = check(rc == code and text in out,
               'qinfer compare %s: want exit %d and %r, got exit %d:\n%s' % (' '.join(cmd), code, text, rc, out))
    if ok:
        print('ok   exit %d %-40s %s' % (code, repr(text)[:40], ' '.join(cmd)))
    return out


def read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def save_models(workdir):
    x = models.make_input()
    fp32, qdq, params = models.make_pair(x)
    onnx.save(fp32, os.path.join(workdir, 'fp32.onnx'))
    onnx.save(qdq, os.path.join(workdir, 'qdq.onnx'))
    np.save(os.path.join(workdir, 'x.npy'), x)
    return x, fp32, qdq, params


def metrics(ref, test):
    """What qinfer compare computes, in float64."""
    r, t = ref.astype(np.float64).ravel(), test.astype(np.float64).ravel()
    d = r - t
    rr, dd = float(r @ r), float(d @ d)
    sqnr = math.inf if dd == 0 else (-math.inf if rr == 0 else 10 * math.log10(rr / dd))
    nr, nt = math.sqrt(rr), math.sqrt(float(t @ t))
    cos = 1.0 if nr == 0 and nt == 0 else (0.0 if nr == 0 or nt == 0 else float(r @ t) / (nr * nt))
    return {'sqnr_db': sqnr, 'cosine': cos, 'max_abs_diff': float(np.abs(d).max()),
            'mean_abs_diff': float(np.abs(d).mean())}


def ort_run(args, model_path, out_dir, x_path, more=()):
    """Runs model_path in ONNX Runtime on x (and the (name, .npy path) pairs more); returns name -> array."""
    cmd = [args.node, os.path.join(REPO, 'tests', 'zoo', 'ort_run.js'), model_path, '--output-dir', out_dir,
           '--opt', 'disabled']
    for name, path in ([('x', x_path)] if x_path else []) + list(more):
        cmd += ['--input', '%s=%s' % (name, path)]
    if args.cache:
        cmd += ['--cache', os.path.abspath(args.cache)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if p.returncode != 0:
        sys.exit('ort_run.js failed on %s:\n%s' % (model_path, p.stdout.decode('utf-8', 'replace')))
    return lambda name: np.load(os.path.join(out_dir, name + '.npy'))


def check_rows(rows, expected, steps, what):
    """rows: qinfer's CSV rows; expected: tensor -> (metrics, test tensor, op, shape)."""
    got = {r['tensor']: r for r in rows}
    check(len(got) == len(rows), '%s: a tensor listed twice' % what)
    check(set(got) == set(expected), '%s: tensors %s, expected %s' % (what, sorted(got), sorted(expected)))
    sq = [float(r['sqnr_db']) for r in rows]
    check(what != 'out' or sq == sorted(sq), '%s: rows not sorted by SQNR ascending: %s' % (what, sq))
    for name in sorted(set(got) & set(expected)):
        r, (m, test_name, op, shape) = got[name], expected[name]
        s, c, mx = float(r['sqnr_db']), float(r['cosine']), float(r['max_abs_diff'])
        ok = check(abs(s - m['sqnr_db']) <= 0.5 or (s > 60 and m['sqnr_db'] > 60),
                   '%s %s: SQNR %.4f dB, ORT+numpy %.4f dB' % (what, name, s, m['sqnr_db']))
        ok &= check(abs(c - m['cosine']) <= 1e-4, '%s %s: cosine %.7f, ORT+numpy %.7f' % (what, name, c, m['cosine']))
        ok &= check(abs(mx - m['max_abs_diff']) <= 2 * steps[name] + 1e-6,
                    '%s %s: max|diff| %.6g, ORT+numpy %.6g' % (what, name, mx, m['max_abs_diff']))
        ok &= check((r['test_tensor'], r['op'], r['shape']) == (test_name, op, shape),
                    '%s %s: test tensor / op / shape %s, expected %s' %
                    (what, name, (r['test_tensor'], r['op'], r['shape']), (test_name, op, shape)))
        print('%s %-4s %-6s SQNR %8.3f dB (ORT %8.3f)  cosine %.6f (ORT %.6f)  max|diff| %.5f (ORT %.5f)' %
              ('ok  ' if ok else 'FAIL', what, name, s, m['sqnr_db'], c, m['cosine'], mx, m['max_abs_diff']))


def case_oracle(args):
    x, fp32, qdq, params = save_models(args.workdir)
    w = args.workdir
    inner = ['conv', 'relu', 'add', 'gap', 'flat']
    onnx.save(models.with_all_outputs(fp32, inner), os.path.join(w, 'fp32_all.onnx'))
    onnx.save(models.with_all_outputs(qdq, list(models.QUANTIZED.values())), os.path.join(w, 'qdq_all.onnx'))
    ref = ort_run(args, os.path.join(w, 'fp32_all.onnx'), os.path.join(w, 'ort_fp32'), os.path.join(w, 'x.npy'))
    tst = ort_run(args, os.path.join(w, 'qdq_all.onnx'), os.path.join(w, 'ort_qdq'), os.path.join(w, 'x.npy'))

    def dequant(t):
        s, z = params[t]
        return (tst(models.QUANTIZED[t]).astype(np.float64) - float(z)) * float(s)

    # Every QuantizeLinear input REF computes (the Conv output is fused into Relu in REF's session), and the
    # output y (a float tensor of both).
    ops = {'x': 'input', 'relu': 'Relu', 'add': 'Add', 'gap': 'GlobalAveragePool', 'flat': 'Flatten'}
    expected, steps = {}, {}
    for t, op in ops.items():
        rv = x if t == 'x' else ref(t)
        expected[t] = (metrics(rv, dequant(t)), models.QUANTIZED[t], op, '[%s]' % ','.join(map(str, rv.shape)))
        steps[t] = float(params[t][0])
    expected['y'] = (metrics(ref('y'), tst('y')), 'y', 'Gemm', '[1,%d]' % models.K)
    steps['y'] = float(params['gemm'][0])
    # The oracle itself must see quantization error everywhere (else it could not catch a wrong dequantization).
    check(all(5 < m[0]['sqnr_db'] < 60 for m in expected.values()), 'oracle: unexpected SQNRs %s' %
          {k: v[0]['sqnr_db'] for k, v in expected.items()})

    out = expect_exit(args, 0, 'summary: 6 tensors compared', 'fp32.onnx', 'qdq.onnx', '--input', 'x=x.npy',
                      '--per-layer', '--csv', 'layers.csv', '--top', '3')
    print(out)
    check(out.count('\n  ') >= 1 and 'per layer, worst isolated SQNR first (3 of 6)' in out, 'table: --top 3 not applied')
    if os.path.exists(os.path.join(w, 'layers.csv')):
        check_rows(read_csv(os.path.join(w, 'layers.csv')), expected, steps, 'layer')
    else:
        check(False, 'layers.csv not written')
    out = expect_exit(args, 0, 'outputs:', 'fp32.onnx', 'qdq.onnx', '--input', 'x=x.npy', '--csv', 'outputs.csv')
    rows = read_csv(os.path.join(w, 'outputs.csv')) if os.path.exists(os.path.join(w, 'outputs.csv')) else []
    check_rows(rows, {'y': (expected['y'][0], 'y', 'output', '[1,%d]' % models.K)}, steps, 'out')


def ort_isolated(args, qdq_path, regions, ref, tag):
    """The isolated view computed by ONNX Runtime: for each float tensor t, the Q-DQ region of the node writing
    it cut out of the QDQ model (onnx.utils.Extractor: from the float tensors it quantizes to the
    DequantizeLinear output that ends it), fed REF's (ORT FP32) values, its output measured against REF's t."""
    w, out = args.workdir, {}
    for t, (inputs, end) in regions.items():
        path = os.path.join(w, '%s_region_%s.onnx' % (tag, t))
        onnx.utils.extract_model(qdq_path, path, inputs, [end])
        feeds = []
        for name in inputs:
            np.save(os.path.join(w, '%s_in_%s.npy' % (tag, name)), ref(name))
            feeds.append((name, os.path.join(w, '%s_in_%s.npy' % (tag, name))))
        got = ort_run(args, path, os.path.join(w, '%s_ort_%s' % (tag, t)), None, feeds)
        out[t] = metrics(ref(t), got(end))
    return out


def check_isolated(rows, expected, what):
    """qinfer's CSV rows against ORT's isolated metrics (within 0.01 dB: the same integer arithmetic, one
    quantization step apart on a few elements at most)."""
    got = {r['tensor']: r for r in rows}
    for t, m in expected.items():
        r = got.get(t)
        if not check(r is not None and r['isolated_sqnr_db'] != '', '%s %s: no isolated row' % (what, t)):
            continue
        s, c = float(r['isolated_sqnr_db']), float(r['isolated_cosine'])
        ok = check(abs(s - m['sqnr_db']) <= 0.01, '%s %s: isolated SQNR %.4f dB, ORT %.4f dB' % (what, t, s, m['sqnr_db']))
        ok &= check(abs(c - m['cosine']) <= 1e-5, '%s %s: isolated cosine %.7f, ORT %.7f' % (what, t, c, m['cosine']))
        print('%s %s %-5s isolated SQNR %8.3f dB (ORT %8.3f)  cosine %.6f (ORT %.6f)  %s %s' %
              ('ok  ' if ok else 'FAIL', what, t, s, m['sqnr_db'], c, m['cosine'], r['test_op'], r['test_node']))
    iso = [float(r['isolated_sqnr_db']) for r in rows if r['isolated_sqnr_db'] != '']
    check(iso == sorted(iso) and all(r['isolated_sqnr_db'] != '' for r in rows[:len(iso)]),
          '%s: rows not ranked by isolated SQNR: %s' % (what, [r['isolated_sqnr_db'] for r in rows]))


def case_isolated(args):
    """The isolated view against ONNX Runtime on the compare pair and on a chain whose first layer is quantized
    with a step 12 times too coarse: that layer must be the isolated view's worst while the accumulated view's
    worst is downstream (ORT's numbers must say the same, else the model proves nothing)."""
    x, fp32, qdq, params = save_models(args.workdir)
    w = args.workdir
    onnx.save(models.with_all_outputs(fp32, ['relu', 'add', 'gap', 'flat']), os.path.join(w, 'fp32_all.onnx'))
    r = ort_run(args, os.path.join(w, 'fp32_all.onnx'), os.path.join(w, 'ort_fp32'), os.path.join(w, 'x.npy'))
    ref = lambda t: x if t == 'x' else r(t)  # noqa: E731
    regions = {'x': (['x'], 'x_dq_conv'), 'relu': (['x'], 'relu_dq'), 'add': (['relu', 'x'], 'add_dq'),
               'gap': (['add'], 'gap_dq'), 'flat': (['gap'], 'flat_dq'), 'y': (['flat'], 'y')}
    expected = ort_isolated(args, os.path.join(w, 'qdq.onnx'), regions, ref, 'pair')
    out = expect_exit(args, 0, 'isolated: median', 'fp32.onnx', 'qdq.onnx', '--input', 'x=x.npy', '--per-layer',
                      '--csv', 'pair.csv', '--top', '0')
    print(out)
    if check(os.path.exists(os.path.join(w, 'pair.csv')), 'pair.csv not written'):
        check_isolated(read_csv(os.path.join(w, 'pair.csv')), expected, 'pair ')

    ws = models.chain_weights()
    onnx.save(models.chain_fp32(ws), os.path.join(w, 'chain_fp32.onnx'))
    names = models.chain_names()
    qm, cparams, cregions = models.chain_qdq(ws, x, {'r1': 12.0, 'r2': 4.0, 'r3': 4.0, 'r4': 4.0, 'r5': 4.0, 'y_pre': 4.0})
    onnx.save(qm, os.path.join(w, 'chain_qdq.onnx'))
    onnx.save(models.with_all_outputs(models.chain_fp32(ws), names[:-1]), os.path.join(w, 'chain_fp32_all.onnx'))
    onnx.save(models.with_all_outputs(qm, [t + '_q' for t in ['x'] + names[:-1]]), os.path.join(w, 'chain_qdq_all.onnx'))
    r = ort_run(args, os.path.join(w, 'chain_fp32_all.onnx'), os.path.join(w, 'ort_chain_fp32'),
                os.path.join(w, 'x.npy'))
    t_ort = ort_run(args, os.path.join(w, 'chain_qdq_all.onnx'), os.path.join(w, 'ort_chain_qdq'),
                    os.path.join(w, 'x.npy'))
    ref = lambda t: x if t == 'x' else r(t)  # noqa: E731
    expected = ort_isolated(args, os.path.join(w, 'chain_qdq.onnx'), cregions, ref, 'chain')
    accumulated = {t: metrics(ref(t), t_ort('y') if t == 'y' else
                              (t_ort(t + '_q').astype(np.float64) - float(cparams[t][1])) * float(cparams[t][0]))
                   for t in ['x'] + names}
    iso_worst = min(expected, key=lambda t: expected[t]['sqnr_db'])
    acc_worst = min(accumulated, key=lambda t: accumulated[t]['sqnr_db'])
    print('ORT: isolated %s, accumulated %s' % ({t: round(m['sqnr_db'], 2) for t, m in expected.items()},
                                                {t: round(m['sqnr_db'], 2) for t, m in accumulated.items()}))
    check(iso_worst == 'r1' and acc_worst != 'r1', 'chain: ORT ranks %s worst isolated, %s accumulated' %
          (iso_worst, acc_worst))
    out = expect_exit(args, 0, 'isolated: median', 'chain_fp32.onnx', 'chain_qdq.onnx', '--input', 'x=x.npy',
                      '--per-layer', '--csv', 'chain.csv', '--top', '0')
    print(out)
    if check(os.path.exists(os.path.join(w, 'chain.csv')), 'chain.csv not written'):
        rows = read_csv(os.path.join(w, 'chain.csv'))
        check_isolated(rows, expected, 'chain')
        acc = min(rows, key=lambda row: float(row['sqnr_db']))
        check(rows[0]['tensor'] == 'r1' and acc['tensor'] == acc_worst,
              'chain: qinfer ranks %s worst isolated (want r1), %s accumulated (want %s)' %
              (rows[0]['tensor'], acc['tensor'], acc_worst))
        summary = [ln for ln in out.splitlines() if ln.startswith('summary:')]
        check(len(summary) == 1 and summary[0].endswith('(%s)' % acc_worst),
              'chain: the summary names another accumulated worst than %s: %s' % (acc_worst, summary))
        iso = [ln for ln in out.splitlines() if ln.startswith('isolated:')]
        check(len(iso) == 1 and '(r1, TEST node ' in iso[0], 'chain: the isolated summary %s' % iso)


def case_table(args):
    """A Conv whose output range is cut to what the HardSigmoid reading it can tell apart: qinfer measures the Conv
    through the lookup table (its row's isolated SQNR is the table output's, as ORT computes x -> ... -> y), not
    the clipped tensor against REF's unclipped one (which would read as a few dB)."""
    x = models.make_input()
    w = args.workdir
    np.save(os.path.join(w, 'x.npy'), x)
    fp, qm, regions = models.table_pair(x)
    onnx.save(fp, os.path.join(w, 't_fp32.onnx'))
    onnx.save(qm, os.path.join(w, 't_qdq.onnx'))
    onnx.save(models.with_all_outputs(fp, ['c']), os.path.join(w, 't_fp32_all.onnx'))
    r = ort_run(args, os.path.join(w, 't_fp32_all.onnx'), os.path.join(w, 'ort_t_fp32'), os.path.join(w, 'x.npy'))
    ref = lambda t: x if t == 'x' else r(t)  # noqa: E731
    expected = {}
    for t, (inputs, end) in regions.items():  # c is measured as the table sees it: against REF's y
        path = os.path.join(w, 't_region_%s.onnx' % t)
        onnx.utils.extract_model(os.path.join(w, 't_qdq.onnx'), path, inputs, [end])
        for name in inputs:
            np.save(os.path.join(w, 't_in_%s.npy' % name), ref(name))
        got = ort_run(args, path, os.path.join(w, 't_ort_%s' % t), None,
                      [(n, os.path.join(w, 't_in_%s.npy' % n)) for n in inputs])
        expected[t] = metrics(ref('y'), got(end))
    clipped = float(((np.abs(r('c')) > 3).mean()))
    check(clipped > 0.2, 'table: only %.2f of c beyond the cut range (the model tests nothing)' % clipped)
    expect_exit(args, 0, 'isolated: median', 't_fp32.onnx', 't_qdq.onnx', '--input', 'x=x.npy', '--per-layer',
                '--csv', 't.csv', '--top', '0')
    if check(os.path.exists(os.path.join(w, 't.csv')), 't.csv not written'):
        rows = read_csv(os.path.join(w, 't.csv'))
        check_isolated(rows, expected, 'table')
        got = {row['tensor']: row for row in rows}
        check('c' in got and got['c']['test_op'] == 'QLinearConv' and float(got['c']['sqnr_db']) < 15,
              'table: c measured by QLinearConv, its accumulated SQNR (clipped) low: %s' % got.get('c'))


def case_identity(args):
    save_models(args.workdir)
    w = args.workdir
    for m in ('fp32', 'qdq'):
        out = expect_exit(args, 0, 'summary:', m + '.onnx', m + '.onnx', '--per-layer', '--csv', m + '.csv',
                          '--min-sqnr', '1000', '--seed', '3', '--threads', '2', '--top', '0')
        print(out)
        if not check(os.path.exists(os.path.join(w, m + '.csv')), m + '.csv not written'):
            continue
        rows = read_csv(os.path.join(w, m + '.csv'))
        check(len(rows) >= 5, '%s vs itself: only %d rows' % (m, len(rows)))
        for r in rows:
            check(r['sqnr_db'] == 'inf' and float(r['cosine']) == 1.0 and float(r['max_abs_diff']) == 0.0,
                  '%s vs itself: %s' % (m, r))
        y = [ln for ln in out.splitlines() if ln.startswith('  y ')]
        check(len(y) >= 1 and ' inf ' in y[0] and ' 1 ' in y[0], '%s vs itself: output line %s' % (m, y))
    expect_exit(args, 1, 'below --min-sqnr 100 dB', 'fp32.onnx', 'qdq.onnx', '--min-sqnr', '100')
    expect_exit(args, 0, 'outputs:', 'fp32.onnx', 'qdq.onnx', '--min-sqnr', '10')


def case_errors(args):
    save_models(args.workdir)
    w = args.workdir
    onnx.save(models.relu_model((1, 4)), os.path.join(w, 'relu4.onnx'))
    onnx.save(models.relu_model((1, 5)), os.path.join(w, 'relu5.onnx'))
    onnx.save(models.relu_model((1, 4), x_name='z'), os.path.join(w, 'relu4z.onnx'))
    expect_exit(args, 1, 'cannot load model: QINFER_ERR_IO', 'fp32.onnx', 'missing.onnx')
    expect_exit(args, 1, 'cannot load model: QINFER_ERR_IO', 'missing.onnx', 'fp32.onnx')
    expect_exit(args, 1, "REF and TEST have different inputs: TEST's input 'z' is not an input of REF",
                'relu4.onnx', 'relu4z.onnx')
    expect_exit(args, 1, "input 'x' has shape [1,4] in REF but [1,5] in TEST", 'relu4.onnx', 'relu5.onnx')
    expect_exit(args, 1, "'x' is not an input of TEST", 'fp32.onnx', 'relu4z.onnx', '--input', 'x=x.npy')
    expect_exit(args, 1, "cannot write 'no/such/dir/out.csv'", 'fp32.onnx', 'fp32.onnx', '--csv',
                'no/such/dir/out.csv')
    expect_exit(args, 1, "input 'x': cannot open 'nothere.npy'", 'fp32.onnx', 'qdq.onnx', '--input', 'x=nothere.npy')
    expect_exit(args, 2, "unknown option '--frobnicate'", 'fp32.onnx', 'qdq.onnx', '--frobnicate')
    expect_exit(args, 2, 'needs two models', 'fp32.onnx')
    expect_exit(args, 2, 'more than two models', 'fp32.onnx', 'qdq.onnx', 'relu4.onnx')
    expect_exit(args, 2, '--min-sqnr needs a number', 'fp32.onnx', 'qdq.onnx', '--min-sqnr', 'loud')
    expect_exit(args, 2, '--top needs a number', 'fp32.onnx', 'qdq.onnx', '--top', '-1')
    expect_exit(args, 0, 'usage: qinfer compare REF TEST', '--help')
    check(not os.path.exists(os.path.join(w, 'no')), 'a folder was created for the bad --csv path')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--case', required=True, choices=['oracle', 'identity', 'errors', 'isolated', 'table'])
    ap.add_argument('--qinfer', required=True)
    ap.add_argument('--node', default='node')
    ap.add_argument('--cache', default=None, help='cache folder holding npm/node_modules/onnxruntime-node')
    ap.add_argument('--workdir', required=True)
    args = ap.parse_args()
    args.qinfer = os.path.abspath(args.qinfer)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    {'oracle': case_oracle, 'identity': case_identity, 'errors': case_errors,
     'isolated': case_isolated, 'table': case_table}[args.case](args)
    if FAILURES:
        print('%d check(s) failed' % len(FAILURES))
        sys.exit(1)
    print('all checks passed')


if __name__ == '__main__':
    main()
