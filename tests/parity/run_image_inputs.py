#!/usr/bin/python3
"""Image inputs of `qinfer run`, `compare` and `bench` (tools/cli_inputs.c + tools/cli_image.c) against an
independent oracle: PIL decodes the same image, numpy preprocesses it (tests/image/image_tests.py's
preprocess_oracle: the convention of engine/quant/image/preprocess.h written in float64), and the .npy that makes
is fed to `qinfer run` as a tensor. Checked:
  - the tensor `qinfer run --image` builds (written by --save-inputs) equals the oracle's (PNG: within 1e-5 +
    1e-6 |x|, the image tests' bound; JPEG: within the decoders' measured difference from PIL, 3 levels / std);
  - the outputs of the run fed the image and of the run fed the oracle's .npy are equal (PNG);
  - presets and options (imagenet: shorter-side crop, NCHW; facenet: NHWC; --size with symbolic H / W; --bgr),
    --input NAME=photo.png and --image alike; `compare` and `bench` take them too (same tensor, JSON source);
  - errors: no preprocessing chosen, a model with two inputs for --image, --image mixed with --input, a
    corrupt image, an image for an integer input, a bad option value, two images for compare (one input set).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto as TP, helper, numpy_helper
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'image'))
from image_tests import IMAGENET, JPEG_MAX_DIFF, natural_image, preprocess_oracle  # noqa: E402

from checks import check, summary  # noqa: E402

def conv_model(path, shape, nhwc=False, extra_input=None, dtype=TP.FLOAT):
    """x (shape) -> [Transpose to NCHW] -> Conv 3x3 (3 -> 4 channels) -> Relu -> GlobalAveragePool -> y."""
    rng = np.random.default_rng(5)
    inits = [numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.3, 'W')]
    nodes, x = [], 'x'
    if dtype != TP.FLOAT:
        nodes.append(helper.make_node('Cast', ['x'], ['xf'], to=TP.FLOAT))
        x = 'xf'
    if nhwc:
        nodes.append(helper.make_node('Transpose', [x], ['xt'], perm=[0, 3, 1, 2]))
        x = 'xt'
    nodes += [helper.make_node('Conv', [x, 'W'], ['c'], pads=[1, 1, 1, 1]), helper.make_node('Relu', ['c'], ['r']),
              helper.make_node('GlobalAveragePool', ['r'], ['y'])]
    inputs = [helper.make_tensor_value_info('x', dtype, shape)]
    if extra_input:
        nodes.append(helper.make_node('Identity', [extra_input], ['z']))
        inputs.append(helper.make_tensor_value_info(extra_input, TP.FLOAT, [1]))
    outputs = [helper.make_tensor_value_info('y', TP.FLOAT, None)]
    if extra_input:
        outputs.append(helper.make_tensor_value_info('z', TP.FLOAT, [1]))
    m = helper.make_model(helper.make_graph(nodes, 'img', inputs, outputs, inits),
                          opset_imports=[helper.make_opsetid('', 13)])
    m.ir_version = 7
    onnx.save_model(m, path)
    return path


def qinfer(a, args):
    p = subprocess.run([a.qinfer] + args, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def run_image(a, name, model, image_args, oracle, bound, extra=()):
    """qinfer run with the image, and with the oracle's tensor as .npy: tensor and outputs compared."""
    d = os.path.join(a.workdir, name)
    rc, text = qinfer(a, ['run', model, '--output-dir', d + '/img', '--save-inputs', d + '/in'] + image_args +
                      list(extra))
    if not check(rc == 0, f'{name}: qinfer run {" ".join(image_args)}') or not os.path.exists(d + '/in/x.npy'):
        print(text)
        return None
    got = np.load(d + '/in/x.npy')
    err = np.abs(got.astype(np.float64) - oracle.astype(np.float64))
    check(got.shape == oracle.shape and got.dtype == np.float32 and (err <= bound(oracle)).all(),
          f'{name}: the tensor qinfer made {list(got.shape)} equals PIL + numpy\'s {list(oracle.shape)} '
          f'(max |diff| {err.max() if err.size else 0:.2e})')
    np.save(d + '/oracle.npy', np.ascontiguousarray(oracle))
    rc, text = qinfer(a, ['run', model, '--output-dir', d + '/npy', '--input', f'x={d}/oracle.npy'] + list(extra))
    if not check(rc == 0, f'{name}: qinfer run on the oracle\'s .npy'):
        print(text)
        return None
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--qinfer', required=True)
    ap.add_argument('--workdir')
    a = ap.parse_args()
    a.workdir = a.workdir or tempfile.mkdtemp(prefix='qinfer-image-inputs.')
    w = a.workdir
    os.makedirs(w, exist_ok=True)
    pixels = natural_image(150, 200, 21)
    png, jpg = os.path.join(w, 'photo.png'), os.path.join(w, 'photo.jpg')
    Image.fromarray(pixels).save(png)
    Image.fromarray(pixels).save(jpg, quality=95)
    jpeg_pixels = np.asarray(Image.open(jpg).convert('RGB'))
    exact = lambda ref: 1e-5 + 1e-6 * np.abs(ref)  # noqa: E731

    nchw = conv_model(os.path.join(w, 'nchw.onnx'), ['batch', 3, 224, 224])
    nhwc = conv_model(os.path.join(w, 'nhwc.onnx'), [1, 160, 160, 3], nhwc=True)
    free = conv_model(os.path.join(w, 'free.onnx'), [1, 3, 'h', 'w'])
    two = conv_model(os.path.join(w, 'two.onnx'), [1, 3, 224, 224], extra_input='k')
    ints = conv_model(os.path.join(w, 'ints.onnx'), [1, 3, 8, 8], dtype=TP.UINT8)

    # imagenet preset on an NCHW input: --image and --input NAME=FILE
    ref = preprocess_oracle(pixels, 224, 224, resize='crop', crop=0.875, **IMAGENET)
    d = run_image(a, 'imagenet', nchw, ['--image', png, '--preset', 'imagenet'], ref, exact)
    if d:
        same = np.array_equal(np.load(d + '/img/y.npy'), np.load(d + '/npy/y.npy'))
        check(same, 'imagenet: the outputs of the image run and of the oracle .npy run are equal')
    d2 = run_image(a, 'imagenet_input', nchw, ['--input', f'x={png}', '--preset=imagenet'], ref, exact)
    if d and d2:
        check(np.array_equal(np.load(d + '/img/y.npy'), np.load(d2 + '/img/y.npy')), '--input x=photo.png = --image')
    # facenet preset on an NHWC input; --bgr; --size on symbolic H and W with explicit mean / std
    run_image(a, 'facenet_nhwc', nhwc, ['--image', png, '--preset', 'facenet'],
              preprocess_oracle(pixels, 160, 160, mean=(127.5,) * 3, std=(128,) * 3, nhwc=True), exact)
    run_image(a, 'size_bgr', free, ['--image', png, '--size', '48x64', '--mean', '10,20,30', '--std', '2,3,4',
                                   '--bgr'],
              preprocess_oracle(pixels, 48, 64, mean=(10, 20, 30), std=(2, 3, 4), bgr=True), exact)
    # no --size on symbolic H / W: the image's own size
    run_image(a, 'own_size', free, ['--image', png, '--preset', 'none'], preprocess_oracle(pixels, 150, 200), exact)
    # JPEG: our decoder against PIL's within the bound the image tests measured (3 levels, / std)
    run_image(a, 'jpeg', nchw, ['--image', jpg, '--preset', 'imagenet'],
              preprocess_oracle(jpeg_pixels, 224, 224, resize='crop', crop=0.875, **IMAGENET),
              lambda r: JPEG_MAX_DIFF / 57.12 + 1e-5)

    # compare and bench take the same inputs
    rc, text = qinfer(a, ['compare', nchw, nchw, '--image', png, '--preset', 'imagenet'])
    check(rc == 0 and f'input  x' in text and png in text and ' inf ' in text,
          'compare: the image for both models, identical outputs (inf dB)')
    rc, text = qinfer(a, ['bench', nchw, '--image', jpg, '--preset', 'imagenet', '--warmup', '0', '--runs', '1',
                          '--json'])
    try:
        inp = json.loads(text.strip().splitlines()[-1]).get('inputs', [{}])
        inp = inp[0] if isinstance(inp, list) else inp
    except (ValueError, IndexError, AttributeError):
        inp = {}
    check(rc == 0 and str(inp).count(jpg) == 1 and '224' in str(inp), f'bench --json: the image is the input ({inp})')

    # errors
    errors = [
        (['run', nchw, '--image', png], 1, 'needs a preprocessing choice'),
        (['run', two, '--image', png, '--preset', 'imagenet'], 1, 'the model has 2 inputs, not one'),
        (['run', nchw, '--image', png, '--input', f'x={png}', '--preset', 'imagenet'], 2, 'cannot be mixed'),
        (['run', ints, '--image', png, '--preset', 'none', '--size', '8'], 1, 'the model expects uint8'),
        (['run', nchw, '--image', png, '--preset', 'resnet'], 2, '--preset needs imagenet'),
        (['run', nchw, '--image', png, '--size', '100', '--preset', 'imagenet'], 1, 'does not match the model input'),
        (['bench', nchw, '--image', os.path.join(w, 'corrupt.png'), '--preset', 'imagenet'], 1, 'corrupt.png'),
        (['compare', nchw, nchw, '--image', os.path.join(w, 'missing.jpg'), '--preset', 'imagenet'], 1,
         'missing.jpg'),
        (['compare', nchw, nchw, '--image', png, '--image', png, '--preset', 'imagenet'], 2, '--image given twice'),
    ]
    with open(os.path.join(w, 'corrupt.png'), 'wb') as f:
        f.write(open(png, 'rb').read()[:200])
    for args, want_rc, want in errors:
        rc, text = qinfer(a, args)
        check(rc == want_rc and want in text and 'Sanitizer' not in text,
              f'{" ".join(os.path.basename(x) for x in args)}: exit {rc}, "{want}"' +
              ('' if rc == want_rc and want in text else f' -- got: {text.strip()[-300:]}'))
    return summary()


if __name__ == '__main__':
    sys.exit(main())
