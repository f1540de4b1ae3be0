#!/usr/bin/python3
"""`qinfer quantize` on calibration samples of several shapes (docs/quantization.md, "Samples of several shapes"),
checked against ONNX Runtime (onnxruntime-node) and numpy as oracles.

    run_quant_shapes.py --qinfer BUILD/tools/qinfer --node node [--cache DIR] [--zoo] [-v]

A conv net with symbolic H and W (onnx.helper: Conv -> Relu -> Conv -> Add (residual) -> Conv stride 2 ->
GlobalAveragePool -> Flatten -> Gemm), calibrated on .npy samples in three shapes, each shape scaled differently
so that no single shape holds every tensor's extremes:
  - minmax (--no-trim): ONNX Runtime runs the FP32 model with every intermediate tensor as an output on each
    sample; numpy takes each tensor's min / max over all samples; every QuantizeLinear's scale and zero point in
    the written model must be the minmax formula of that merged range: bit-exact for the input (its values are the
    samples'), within 1e-5 relative for computed tensors (ORT's float sums round differently), zero points equal;
  - percentile: the input's range is the histogram percentile over all samples (numpy computes it the way
    docs/quantization.md states: 2048 bins over the merged min / max), bit-exact;
  - the summary says "calibrated on 9 samples in 3 shapes"; the written model runs in qinfer on every shape;
  - --target-sqnr measures over samples 0 .. 3, of three shapes, and prints the output SQNR: the worst over them of
    qinfer's INT8 output against ORT's FP32 output, computed here;
  - images of different sizes: with no --size a symbolic H / W takes the image's size (two shapes), a symbolic W
    beside a fixed H the aspect ratio, rounded up; with --size one shape;
  - two inputs: samples grouped by both inputs' shapes together, each input's range over all samples; a pair of
    shapes the model cannot take fails naming the sample;
  - errors: a sample whose shape contradicts a fixed model dim (message: the file, its shape, the model's), a
    sample of another rank, a sample of another dtype.
--zoo: PP-OCR rec (symbolic width) and det (symbolic H and W) from the cache, calibrated on crops of their
calibration samples in several sizes: the output is a valid ONNX model and the output SQNR is printed (at least
10 dB for rec; det's INT8 output is poor on 4 samples of any shape, 3.4 dB on its full-size ones).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORT_RUN = os.path.join(REPO, "tests", "zoo", "ort_run.js")
failures = []


def check(ok, what):
    print(("   ok   " if ok else "   FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args):
    p = subprocess.run(list(args), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def conv(name, x, cin, cout, rng, out, stride=1):
    w = numpy_helper.from_array((rng.standard_normal((cout, cin, 3, 3)) * 0.3).astype(np.float32), name + ".w")
    b = numpy_helper.from_array((rng.standard_normal(cout) * 0.1).astype(np.float32), name + ".b")
    return helper.make_node("Conv", [x, w.name, b.name], [out], name=name, pads=[1] * 4, strides=[stride] * 2), [w, b]


def model(h="H", w="W"):
    rng = np.random.default_rng(5)
    nodes, inits = [], []
    for spec in [("c1", "x", 3, 8, "c1o", 1), ("c2", "r1", 8, 8, "c2o", 1), ("c3", "sum", 8, 8, "c3o", 2)]:
        n, i = conv(spec[0], spec[1], spec[2], spec[3], rng, spec[4], spec[5])
        nodes.append(n)
        inits += i
        if spec[0] == "c1":
            nodes.append(helper.make_node("Relu", ["c1o"], ["r1"], name="relu1"))
        if spec[0] == "c2":
            nodes.append(helper.make_node("Add", ["c2o", "r1"], ["sum"], name="add"))
    nodes.append(helper.make_node("GlobalAveragePool", ["c3o"], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"))
    inits.append(numpy_helper.from_array((rng.standard_normal((5, 8)) * 0.5).astype(np.float32), "fc.w"))
    inits.append(numpy_helper.from_array((rng.standard_normal(5) * 0.1).astype(np.float32), "fc.b"))
    nodes.append(helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["y"], name="fc", transB=1))
    g = helper.make_graph(nodes, "shapes", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, h, w])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


# shapes and scales: the extremes of x and of the tensors after it fall in different shapes
SHAPES = [((1, 3, 8, 8), 1.0, 0.0), ((1, 3, 12, 6), 1.5, -2.0), ((1, 3, 5, 16), 1.0, 2.5)]


def write_samples(d):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(11)
    files = []
    for k in range(9):  # interleaved: 0, 3, 6 share a shape, ...
        shape, scale, shift = SHAPES[k % 3]
        x = (rng.standard_normal(shape) * scale + shift).astype(np.float32)
        files.append(os.path.join(d, f"{k:02d}.npy"))
        np.save(files[-1], x)
    return files


def act_params(lo, hi):
    """The minmax formula (docs/quantization.md): uint8, the range widened to hold 0, float32 arithmetic."""
    lo, hi = np.float32(min(lo, 0.0)), np.float32(max(hi, 0.0))
    s = np.float32(hi - lo) / np.float32(255)
    if not s > 0:
        s = np.float32(1)
    z = np.rint(np.float64(0) - np.float64(lo) / np.float64(s))
    return np.float32(s), int(min(max(z, 0), 255))


def qdq_params(path, fp32):
    """{activation name: (scale, zero point)} of every QuantizeLinear of a float activation, by the FP32 model's
    names (a graph output is renamed before its QuantizeLinear: found by its producer node's name)."""
    m, f = onnx.load(path), onnx.load(fp32)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    producer = {o: n.name for n in m.graph.node for o in n.output}
    fp32_output = {n.name: n.output[0] for n in f.graph.node}
    fp32_tensors = {o for n in f.graph.node for o in n.output} | {i.name for i in f.graph.input}
    out = {}
    for n in m.graph.node:
        if n.op_type == "QuantizeLinear" and n.input[0] not in inits:
            name = n.input[0]
            if name not in fp32_tensors and producer.get(name) in fp32_output:
                name = fp32_output[producer[name]]
            out[name] = (np.float32(inits[n.input[1]]), int(inits[n.input[2]]) if len(n.input) > 2 else 0)
    return out


def percentile_range(values, pct, bins=2048):
    """The percentile method over one merged histogram, as docs/quantization.md states it (doubles)."""
    lo, hi = float(values.min()), float(values.max())
    width = (hi - lo) / bins
    b = np.clip(((values.astype(np.float64) - lo) / width).astype(np.int64), 0, bins - 1)
    hist = np.bincount(b, minlength=bins).astype(np.float64)
    tail = hist.sum() * (1.0 - pct / 100.0)
    top, acc = bins - 1, 0.0
    while top > 0 and acc + hist[top] <= tail:
        acc += hist[top]
        top -= 1
    r_hi = min(np.float32(lo + (top + 1) * width), np.float32(hi))
    bottom, acc = 0, 0.0
    if lo < 0:
        while bottom < bins - 1 and acc + hist[bottom] <= tail:
            acc += hist[bottom]
            bottom += 1
    r_lo = np.float32(lo + bottom * width) if lo < 0 else np.float32(lo)
    return r_lo, r_hi


def ort_ranges(args, fp32, files, work):
    """Per tensor, min and max over every sample, from ONNX Runtime with every tensor an output."""
    m = onnx.load(fp32)
    names = [o for n in m.graph.node for o in n.output]
    have = {o.name for o in m.graph.output}
    m.graph.output.extend(helper.make_empty_tensor_value_info(n) for n in names if n not in have)
    path = os.path.join(work, "all_outputs.onnx")
    onnx.save(m, path)
    ranges = {"x": [np.inf, -np.inf]}
    for f in files:
        d = os.path.join(work, "ort_" + os.path.basename(f)[:-4])
        rc, out = run(args.node, ORT_RUN, path, "--output-dir", d, "--input", f"x={f}", "--cache", args.cache)
        if rc != 0:
            raise RuntimeError(out)
        for name in names + ["x"]:
            v = np.load(f) if name == "x" else np.load(os.path.join(d, name + ".npy"))
            r = ranges.setdefault(name, [np.inf, -np.inf])
            r[0], r[1] = min(r[0], float(v.min())), max(r[1], float(v.max()))
    return ranges


def test_minmax_and_percentile(args, work):
    fp32 = os.path.join(work, "dyn.onnx")
    onnx.save(model(), fp32)
    calib = os.path.join(work, "calib")
    files = write_samples(calib)
    qpath = os.path.join(work, "q_minmax.onnx")
    rc, out = run(args.qinfer, "quantize", fp32, "-o", qpath, "--calib", calib, "--no-trim", "--method", "minmax")
    if args.verbose:
        print(out)
    check(rc == 0 and "calibrated on 9 samples in 3 shapes" in out, "minmax over 3 shapes: exit 0, the summary "
          "says 'calibrated on 9 samples in 3 shapes'" + ("" if rc == 0 else ": " + out))
    if rc != 0:
        return
    check("the 9 samples come in 3 shapes ([1,3,8,8] x3, [1,3,12,6] x3, [1,3,5,16] x3)" in out,
          "the shapes are announced on stderr")
    oracle = ort_ranges(args, fp32, files, work)
    params = qdq_params(qpath, fp32)
    want = {"x", "r1", "c2o", "sum", "c3o", "gap", "flat", "y"}
    check(want == set(params), f"quantized activations {sorted(params)}")
    for name, (scale, zp) in sorted(params.items()):
        if name not in oracle:
            check(False, f"{name}: no oracle range")
            continue
        want_s, want_z = act_params(*oracle[name])
        if name == "x":
            ok = scale == want_s and zp == want_z
        else:
            ok = abs(float(scale) - float(want_s)) <= 1e-5 * float(want_s) and zp == want_z
        check(ok, f"{name}: scale {scale!r} zero point {zp} = minmax formula of the range over all shapes "
                  f"[{oracle[name][0]:.6g}, {oracle[name][1]:.6g}] (scale {want_s!r}, zero point {want_z})")
    # a merge that kept one shape's range would miss: the extremes of x lie in different shapes
    per_shape = [np.concatenate([np.load(f).ravel() for f in files[k::3]]) for k in range(3)]
    owners = (int(np.argmin([v.min() for v in per_shape])), int(np.argmax([v.max() for v in per_shape])))
    check(owners[0] != owners[1], f"(the test's design) x's min and max lie in different shapes: {owners}")
    for k, f in enumerate(files[:3]):
        rc, out = run(args.qinfer, "run", qpath, "--input", f"x={f}", "--output-dir", os.path.join(work, f"run{k}"))
        check(rc == 0, f"the INT8 model runs in qinfer on shape {SHAPES[k][0]}" + ("" if rc == 0 else ": " + out))

    qpath = os.path.join(work, "q_pct.onnx")
    rc, out = run(args.qinfer, "quantize", fp32, "-o", qpath, "--calib", calib, "--no-trim", "--method", "percentile",
                  "--percentile", "99.5")
    check(rc == 0, "percentile over 3 shapes: exit 0" + ("" if rc == 0 else ": " + out))
    if rc == 0:
        xs = np.concatenate([np.load(f).ravel() for f in files])
        want = act_params(*percentile_range(xs, 99.5))
        got = qdq_params(qpath, fp32)["x"]
        check(got == want, f"x: percentile 99.5 over the merged histogram of all shapes: scale, zero point {got} "
                           f"(numpy: {want})")

    qpath = os.path.join(work, "q_mp.onnx")
    rc, out = run(args.qinfer, "quantize", fp32, "-o", qpath, "--calib", calib, "--target-sqnr", "60", "--max-float",
                  "1", "--allow-miss")
    m = re.search(r"output SQNR (-?[0-9.]+) dB \(target", out)
    check(rc == 0 and m is not None, "--target-sqnr over samples 0 .. 3 (three shapes): exit 0, output SQNR "
          f"{m.group(1) if m else '?'} dB printed" + ("" if rc == 0 and m else ": " + out))
    if rc == 0 and m:  # the worst over samples 0 .. 3 of the written model against ORT's FP32 output
        worst = np.inf
        for k, f in enumerate(files[:4]):
            d = os.path.join(work, f"mp{k}")
            rc, err = run(args.qinfer, "run", qpath, "--input", f"x={f}", "--output-dir", d)
            ref = np.load(os.path.join(work, "ort_" + os.path.basename(f)[:-4], "y.npy")).astype(np.float64)
            worst = min(worst, 10 * np.log10((ref ** 2).sum() / ((ref - np.load(os.path.join(d, "y.npy"))) ** 2).sum()))
        check(abs(worst - float(m.group(1))) <= 0.05, f"the printed SQNR is the worst over samples 0 .. 3 of all "
              f"shapes: numpy on qinfer's INT8 and ORT's FP32 outputs gives {worst:.2f} dB")
    return fp32


def test_images(args, work, fp32):
    from PIL import Image

    d = os.path.join(work, "images")
    os.makedirs(d)
    rng = np.random.default_rng(3)
    for k, (h, w) in enumerate([(10, 14), (10, 14), (7, 9)]):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(os.path.join(d, f"{k}.png"))
    rc, out = run(args.qinfer, "quantize", fp32, "-o", os.path.join(work, "q_img.onnx"), "--calib", d, "--preset",
                  "none")
    check(rc == 0 and "come in 2 shapes ([1,3,10,14] x2, [1,3,7,9] x1)" in out, "images of two sizes, symbolic H "
          "and W, no --size: their own sizes" + ("" if rc == 0 else ": " + out))
    fixed_h = os.path.join(work, "h8.onnx")
    onnx.save(model(8, "W"), fixed_h)
    rc, out = run(args.qinfer, "quantize", fixed_h, "-o", os.path.join(work, "q_img_h.onnx"), "--calib", d,
                  "--preset", "none")
    check(rc == 0 and "come in 2 shapes ([1,3,8,12] x2, [1,3,8,11] x1)" in out, "the same images, H fixed at 8 and W "
          "symbolic: W = ceil(w * 8 / h) (14 -> 12, 9 -> 11)" + ("" if rc == 0 else ": " + out))
    rc, out = run(args.qinfer, "quantize", fp32, "-o", os.path.join(work, "q_img2.onnx"), "--calib", d, "--preset",
                  "none", "--size", "8x8")
    check(rc == 0 and "in 1 shape\n" in out, "the same images with --size 8x8: 1 shape" + ("" if rc == 0 else out))


def two_input_model():
    rng = np.random.default_rng(7)
    n, inits = conv("c", "s", 3, 4, rng, "y")
    g = helper.make_graph([helper.make_node("Add", ["a", "b"], ["s"], name="add"), n], "two",
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 3, "H", "W"]) for x in "ab"],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, "H", "W"])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m


def test_two_inputs(args, work):
    """Shapes group by every input's dims together; a pair the model cannot take names its sample."""
    fp32 = os.path.join(work, "two.onnx")
    onnx.save(two_input_model(), fp32)
    d = os.path.join(work, "two")
    rng = np.random.default_rng(8)
    values = {"a": [], "b": []}
    for k, hw in enumerate([(8, 8), (6, 10), (8, 8)]):
        for x, shift in [("a", -1.0 * k), ("b", 1.0 * k)]:
            os.makedirs(os.path.join(d, x), exist_ok=True)
            v = (rng.standard_normal((1, 3) + hw) + shift).astype(np.float32)
            values[x].append(v)
            np.save(os.path.join(d, x, f"{k}.npy"), v)
    q = os.path.join(work, "q_two.onnx")
    rc, out = run(args.qinfer, "quantize", fp32, "-o", q, "--calib", d, "--no-trim", "--method", "minmax")
    check(rc == 0 and "come in 2 shapes ([1,3,8,8] [1,3,8,8] x2, [1,3,6,10] [1,3,6,10] x1)" in out,
          "two inputs: samples grouped by both inputs' shapes" + ("" if rc == 0 else ": " + out))
    if rc == 0:
        params = qdq_params(q, fp32)
        for x in "ab":
            v = np.concatenate([t.ravel() for t in values[x]])
            want = act_params(float(v.min()), float(v.max()))
            check(params.get(x) == want, f"input {x}: scale, zero point {params.get(x)} = the minmax formula over all "
                                         f"samples of both shapes {want}")
    np.save(os.path.join(d, "b", "1.npy"), np.zeros((1, 3, 8, 8), np.float32))  # a is [1,3,6,10]: Add cannot take it
    rc, out = run(args.qinfer, "quantize", fp32, "-o", os.path.join(work, "x.onnx"), "--calib", d)
    check(rc == 1 and "creating the calibration session for the samples of " + os.path.join(d, "a", "1.npy") +
          "'s shape" in out, "a pair of shapes the model cannot take: the session error names the sample: " +
          out.strip().split("\n")[-1])


def test_errors(args, work):
    fixed = os.path.join(work, "fixed.onnx")
    onnx.save(model(8, 8), fixed)
    cases = []
    for name, arr in [("dims", np.zeros((1, 3, 8, 9), np.float32)), ("rank", np.zeros((1, 1, 3, 8, 8), np.float32)),
                      ("dtype", np.zeros((1, 3, 8, 8), np.int32))]:
        d = os.path.join(work, "bad_" + name)
        os.makedirs(d)
        np.save(os.path.join(d, "a.npy"), np.zeros((1, 3, 8, 8), np.float32))
        np.save(os.path.join(d, "b.npy"), arr)
        cases.append((d, os.path.join(d, "b.npy")))
    out_path = os.path.join(work, "x.onnx")
    rc, out = run(args.qinfer, "quantize", fixed, "-o", out_path, "--calib", cases[0][0])
    check(rc == 1 and f"{cases[0][1]}: shape [1,3,8,9] does not fit the model's input 'x' [1,3,8,8]" in out,
          "a fixed-dim model and a sample of another size: the file, its shape and the model's: " + out.strip())
    rc, out = run(args.qinfer, "quantize", os.path.join(work, "dyn.onnx"), "-o", out_path, "--calib", cases[1][0])
    check(rc == 1 and f"{cases[1][1]}: shape [1,1,3,8,8] does not fit the model's input 'x' [1,3,H,W]" in out,
          "a sample of another rank: " + out.strip())
    rc, out = run(args.qinfer, "quantize", os.path.join(work, "dyn.onnx"), "-o", out_path, "--calib", cases[2][0])
    check(rc == 1 and f"{cases[2][1]}: dtype int32, the model's input 'x' is float" in out,
          "a sample of another dtype: " + out.strip())
    check(not os.path.exists(out_path), "nothing written on failure")


def crops(src_files, sizes, d):
    """Centered crops of the cache's calibration samples to each (h, w) in sizes."""
    os.makedirs(d)
    for k, (h, w) in enumerate(sizes):
        x = np.load(src_files[k % len(src_files)])
        y, z = (x.shape[2] - h) // 2, (x.shape[3] - w) // 2
        np.save(os.path.join(d, f"{k:02d}.npy"), np.ascontiguousarray(x[:, :, y:y + h, z:z + w]))


def test_zoo(args, work):
    for name, sizes in [("ppocr_rec", [(48, 160), (48, 96), (48, 160), (48, 224)]),
                        ("ppocr_det", [(160, 160), (192, 160), (160, 224), (160, 160)])]:
        zdir = os.path.join(args.cache, "zoo", name)
        if not os.path.isdir(os.path.join(zdir, "calib")):
            print(f"   skip   {name}: not in the cache")
            continue
        src = sorted(os.path.join(zdir, "calib", f) for f in os.listdir(os.path.join(zdir, "calib"))
                     if f.endswith(".npy"))
        d = os.path.join(work, name)
        crops(src, sizes, d)
        n_shapes = len(set(sizes))
        q = os.path.join(work, name + ".int8.onnx")
        rc, out = run(args.qinfer, "quantize", os.path.join(zdir, "model.onnx"), "-o", q, "--calib", d,
                      "--target-sqnr", "1", "--max-float", "0", "--allow-miss")
        if args.verbose:
            print(out)
        m = re.search(r"output SQNR (-?[0-9.]+|inf) dB", out)
        check(rc == 0 and f"calibrated on {len(sizes)} samples in {n_shapes} shapes" in out and m is not None and
              (name != "ppocr_rec" or float(m.group(1)) >= 10),
              f"{name}: {len(sizes)} samples in {n_shapes} shapes, output SQNR {m.group(1) if m else '?'} dB"
              + ("" if rc == 0 and m else ": " + out[-2000:]))
        if rc == 0:
            onnx.checker.check_model(onnx.load(q))
            check(True, f"{name}: the output passes onnx.checker")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--node", default=shutil.which("node") or "node")
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE", os.path.join(REPO, ".cache")))
    ap.add_argument("--zoo", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="qi_quant_shapes_")
    try:
        if args.zoo:
            test_zoo(args, work)
        else:
            fp32 = test_minmax_and_percentile(args, work)
            test_images(args, work, fp32)
            test_two_inputs(args, work)
            test_errors(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
