#!/usr/bin/python3
"""Graphs where a folded BatchNormalization's epsilon and a fused Relu / Clip decide the output, float and QDQ,
run by `qinfer run` and checked against numpy.

    run_fusion_models.py --qinfer BUILD/tools/qinfer [--filter REGEX] [--keep DIR] [-v]
    (QINFER_EMULATOR, e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu", is put before the qinfer command.)

Before these, only the zoo models noticed a Conv -> BatchNormalization fold that forgot epsilon, or a fused
activation that was not applied: the unit, engine and single-op graphs have variances far above epsilon and
activations whose bounds the data never reaches. Each model here is built (onnx.helper, seeded) so that the
detail binds, and the script checks that it does before running anything:
  - BatchNormalization: variances 1e-6 .. 1e-4 with epsilon 1e-3, so sqrt(var) instead of sqrt(var + eps) changes
    the outputs by a factor of 3 to 30;
  - Relu: at least 20 % of the values before it are negative; Clip(min, max): at least 10 % of the values
    before it lie below min and 10 % above max (the clamp is inside the output's range; in the QDQ models
    inside the output quantization's range too, so the quantization alone would not clamp them).
Float models: Conv (3x3, 1x1, depthwise) -> [BatchNormalization] -> [Relu | Clip], Gemm / MatMul / Add ->
Relu / Clip, a standalone BatchNormalization -> Relu; they must equal numpy's float64 result within
1e-5 * max|ref| + 1e-4 * |ref| elementwise. QDQ models (uint8 activations, int8 weights per output channel, int32
biases as DequantizeLinear at x_scale * w_scale: ONNX Runtime's quantizer's format) of the same patterns, which
qinfer fuses into QLinearConv / QGemm / QLinearMatMul / QLinearAdd with the BatchNormalization folded and the
activation fused (QI_DEBUG_QDQ=1's log must show the fusion: a QDQ model left in float fails); their uint8
outputs must be within one step of numpy's QDQ semantics (float64 on the
dequantized values, QuantizeLinear rounding half to even) on every element and equal on >= 99 % (a step at a
rounding tie, or from the bias re-quantized at the folded scale). Every model runs at the default ISA and with
--isa scalar. One line per model and ISA; exit 1 on any failure.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
EPS = 1e-3


# ------------------------------------------------------------------------------------------------ numpy
def conv(x, w, b, pad, group):
    """float64 NCHW convolution, stride 1, symmetric padding."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        for r in range(kh):
            for s in range(kw):
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", xs[:, :, r:r + oh, s:s + ow],
                                                       w[g * mg:(g + 1) * mg, :, r, s])
    return y + b.astype(np.float64).reshape(1, -1, 1, 1)


def batchnorm(x, gamma, beta, mean, var, eps):
    sh = (1, -1) + (1,) * (x.ndim - 2)
    return ((x - mean.reshape(sh)) / np.sqrt(var.astype(np.float64).reshape(sh) + eps) * gamma.reshape(sh)
            + beta.reshape(sh))


def quantize(x, scale, zp):
    return np.clip(np.rint(x / np.float64(scale)) + zp, 0, 255).astype(np.uint8)


def dequantize(q, scale, zp):
    return (q.astype(np.float64) - zp) * np.float64(scale)


# ------------------------------------------------------------------------------------------------ models
class Model:
    def __init__(self, name):
        self.name, self.nodes, self.inits, self.feeds = name, [], [], {}
        self.out_type = TensorProto.FLOAT
        self.binds = []  # what the model checks binds, printed
        self.fused = None  # QDQ models: the integer op QI_DEBUG_QDQ must report
        self.gone = []  # tensors the fold / fusion removes: absent from `qinfer run --all-tensors`

    def init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(self, op, ins, outs, **attrs):
        self.nodes.append(helper.make_node(op, ins, outs, name=f"{op.lower()}_{len(self.nodes)}", **attrs))
        return outs[0]

    def proto(self):
        ins = [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v.shape)) for k, v in self.feeds.items()]
        g = helper.make_graph(self.nodes, self.name, ins, [helper.make_tensor_value_info("y", self.out_type, None)],
                              self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = 8
        return m


def bn_params(rng, c, center):
    """gamma, beta, mean (near the per-channel center of the data), var in [1e-6, 1e-4]."""
    gamma = rng.uniform(0.5, 1.5, c).astype(np.float32)
    beta = (rng.standard_normal(c) * 0.2).astype(np.float32)
    mean = (center + rng.standard_normal(c) * 0.05).astype(np.float32)
    var = np.exp(rng.uniform(np.log(1e-6), np.log(1e-4), c)).astype(np.float32)
    return gamma, beta, mean, var


def act_bounds(pre):
    """Clip bounds inside the range of `pre`: its 20th and 80th percentiles."""
    lo, hi = np.percentile(pre, [20, 80])
    return np.float32(lo), np.float32(hi)


def apply_act(m, act, y, pre, out):
    """Adds the activation node after tensor y (float) and returns (output name, numpy result)."""
    if act == "relu":
        share = float((pre < 0).mean())
        m.binds.append(f"{share:.0%} negative before Relu")
        if share < 0.2:
            raise AssertionError(f"{m.name}: only {share:.0%} of the values before Relu are negative")
        return m.node("Relu", [y], [out]), np.maximum(pre, 0)
    if act == "clip":
        lo, hi = act_bounds(pre)
        below, above = float((pre < lo).mean()), float((pre > hi).mean())
        m.binds.append(f"Clip({lo:.3g}, {hi:.3g}): {below:.0%} below, {above:.0%} above")
        if below < 0.1 or above < 0.1:
            raise AssertionError(f"{m.name}: Clip bounds do not bind ({below:.0%} below, {above:.0%} above)")
        return m.node("Clip", [y, m.init(f"{out}_min", lo), m.init(f"{out}_max", hi)], [out]), np.clip(pre, lo, hi)
    return None, pre


def bn_binds(m, pre, gamma, beta, mean, var, tol):
    """Checks that dropping epsilon changes the BatchNormalization's output far beyond the comparison's bound."""
    with_eps = batchnorm(pre, gamma, beta, mean, var, EPS)
    without = batchnorm(pre, gamma, beta, mean, var, 0.0)
    ratio = float(np.abs(without - with_eps).max() / (tol * np.abs(with_eps).max()))
    m.binds.append(f"epsilon {EPS:g} vs var {var.min():.1e}..{var.max():.1e}: without it max|d| = {ratio:.0f}x the bound")
    if ratio < 100:
        raise AssertionError(f"{m.name}: dropping epsilon changes the output only {ratio:.1f}x the bound")
    return with_eps


def float_model(name, kind, act=None, bn=False, seed=0):
    rng = np.random.default_rng(seed)
    m = Model(name)
    tol = 1e-4
    if kind in ("conv3x3", "conv1x1", "convdw"):
        c, oc = (8, 8) if kind == "convdw" else (4, 6)
        k, pad, group = {"conv3x3": (3, 1, 1), "conv1x1": (1, 0, 1), "convdw": (3, 1, 8)}[kind]
        x = rng.standard_normal((1, c, 9, 9)).astype(np.float32)
        w = (rng.standard_normal((oc, c // group, k, k)) * 0.3).astype(np.float32)
        b = (rng.standard_normal(oc) * 0.1).astype(np.float32)
        m.feeds["x"] = x
        y = m.node("Conv", ["x", m.init("w", w), m.init("b", b)], ["conv"], pads=[pad] * 4, group=group)
        ref = conv(x, w, b, pad, group)
        if bn or act:
            m.gone.append("conv")  # BatchNormalization folded into the Conv, the activation fused into it
        if bn:
            gamma, beta, mean, var = bn_params(rng, oc, ref.mean(axis=(0, 2, 3)))
            y = m.node("BatchNormalization", [y] + [m.init(n, v) for n, v in
                       (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var))], ["bn"], epsilon=EPS)
            ref = bn_binds(m, ref, gamma, beta, mean, var, tol)
    elif kind == "bn":
        x = rng.standard_normal((1, 6, 5, 5)).astype(np.float32)
        m.feeds["x"] = x
        gamma, beta, mean, var = bn_params(rng, 6, np.zeros(6))
        y = m.node("BatchNormalization", ["x"] + [m.init(n, v) for n, v in
                   (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var))], ["bn"], epsilon=EPS)
        ref = bn_binds(m, x.astype(np.float64), gamma, beta, mean, var, tol)
        m.gone.append("bn")  # the activation fused into BatchNormalization
    elif kind in ("gemm", "matmul"):
        x = rng.standard_normal((5, 24)).astype(np.float32)
        w = (rng.standard_normal((24, 10)) * 0.3).astype(np.float32)
        b = (rng.standard_normal(10) * 0.1).astype(np.float32)
        m.feeds["x"] = x
        if kind == "gemm":
            y = m.node("Gemm", ["x", m.init("w", w.T.copy()), m.init("b", b)], ["gemm"], transB=1)
            ref = x.astype(np.float64) @ w + b
            m.gone.append("gemm")
        else:
            y = m.node("MatMul", ["x", m.init("w", w)], ["mm"])
            ref = x.astype(np.float64) @ w
    elif kind == "add":
        a = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
        c = rng.standard_normal((3, 1, 5)).astype(np.float32)
        m.feeds["a"] = a
        y = m.node("Add", ["a", m.init("c", c)], ["add"])
        ref = a.astype(np.float64) + c
    else:
        raise ValueError(kind)
    if act:
        _, ref = apply_act(m, act, y, ref, "y")
    else:
        m.nodes[-1].output[0] = "y"
    return m, ref, tol


def qdq_model(name, kind, act=None, bn=False, seed=0):
    """uint8 activations, int8 per-channel weights, DQ(int32) bias: the QDQ format of ONNX Runtime's quantizer."""
    rng = np.random.default_rng(seed + 1000)
    m = Model(name)
    m.out_type = TensorProto.UINT8
    shape = {"conv3x3": (1, 4, 9, 9), "conv1x1": (1, 4, 9, 9), "convdw": (1, 8, 9, 9), "gemm": (5, 24),
             "matmul": (5, 24), "add": (2, 3, 4, 5)}[kind]
    x = rng.standard_normal(shape).astype(np.float32)
    m.feeds["x"] = x
    xs, xz = np.float32(np.abs(x).max() / 127.0), np.uint8(128)
    xq = m.node("QuantizeLinear", ["x", m.init("x_scale", xs), m.init("x_zp", xz)], ["xq"])
    xd = m.node("DequantizeLinear", [xq, "x_scale", "x_zp"], ["xd"])
    xv = dequantize(quantize(x.astype(np.float64), xs, 128), xs, 128)

    def weights(shape_w, axis):
        w = (rng.standard_normal(shape_w) * 0.3).astype(np.float32)
        red = tuple(i for i in range(w.ndim) if i != axis)
        ws = (np.abs(w).max(axis=red) / 127.0).astype(np.float32)
        bshape = [1] * w.ndim
        bshape[axis] = -1
        wq = np.clip(np.rint(w / ws.reshape(bshape)), -127, 127).astype(np.int8)
        wd = m.node("DequantizeLinear", [m.init("w_q", wq), m.init("w_scale", ws), m.init("w_zp", np.zeros_like(wq,
                    shape=ws.shape))], ["wd"], axis=axis)
        return wd, wq.astype(np.float64) * ws.reshape(bshape).astype(np.float64), ws

    def bias(ws, count):
        bs = (xs * ws).astype(np.float32)  # float32 product, as the quantizer stores it
        bq = rng.integers(-3000, 3000, count).astype(np.int32)
        bd = m.node("DequantizeLinear", [m.init("b_q", bq), m.init("b_scale", bs), m.init("b_zp", np.zeros(count,
                    np.int32))], ["bd"], axis=0)
        return bd, bq.astype(np.float64) * bs.astype(np.float64)

    if kind.startswith("conv"):
        c = shape[1]
        oc, k, pad, group = {"conv3x3": (6, 3, 1, 1), "conv1x1": (6, 1, 0, 1), "convdw": (8, 3, 1, 8)}[kind]
        wd, wv, ws = weights((oc, c // group, k, k), 0)
        if bn:  # a float bias, as PyTorch's QAT ConvBn exports have (qinfer folds BatchNormalization into a
            # Conv with a float constant bias; a DequantizeLinear bias is not folded, the Conv then stays float)
            bv = (rng.standard_normal(oc) * 0.1).astype(np.float32)
            bd = m.init("b", bv)
        else:
            bd, bv = bias(ws, oc)
        y = m.node("Conv", [xd, wd, bd], ["conv"], pads=[pad] * 4, group=group)
        pre = conv(xv, wv, bv, pad, group)
        if bn:
            gamma, beta, mean, var = bn_params(rng, oc, pre.mean(axis=(0, 2, 3)))
            y = m.node("BatchNormalization", [y] + [m.init(n, v) for n, v in
                       (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var))], ["bn"], epsilon=EPS)
            pre = bn_binds(m, pre, gamma, beta, mean, var, 1e-2)
    elif kind in ("gemm", "matmul"):
        if kind == "gemm":
            wd, wv, ws = weights((10, 24), 0)  # B transposed: [N, K], per output column = axis 0
            bd, bv = bias(ws, 10)
            y = m.node("Gemm", [xd, wd, bd], ["gemm"], transB=1)
            pre = xv @ wv.T + bv
        else:
            wd, wv, ws = weights((24, 10), 1)
            y = m.node("MatMul", [xd, wd], ["mm"])
            pre = xv @ wv
    elif kind == "add":
        c = rng.standard_normal((3, 1, 5)).astype(np.float32)
        cs, cz = np.float32(np.abs(c).max() / 127.0), np.uint8(128)
        cq = quantize(c.astype(np.float64), cs, 128)
        cd = m.node("DequantizeLinear", [m.init("c_q", cq), m.init("c_scale", cs), m.init("c_zp", cz)], ["cd"])
        y = m.node("Add", [xd, cd], ["add"])
        pre = xv + dequantize(cq, cs, 128)
    else:
        raise ValueError(kind)
    yact, ref = apply_act(m, act, y, pre, "act")
    if yact is None:
        yact = y
    m.fused = {"conv": "QLinearConv", "gemm": "QGemm", "matmul": "QLinearMatMul", "add": "QLinearAdd"}[kind[:4] if
                                                                                                       kind.startswith("conv") else kind]
    m.gone += [t for t in ("conv", "bn", "gemm", "mm", "add", "act") if t in {o for n in m.nodes for o in n.output}]
    # the output quantization covers the values before the activation (zero point inside), so that the
    # activation, not the quantization range, clamps them
    lo, hi = float(min(pre.min(), 0.0)), float(max(pre.max(), 0.0))
    ys = np.float32((hi - lo) / 255.0)
    yz = np.uint8(np.clip(np.rint(-lo / ys), 0, 255))
    m.node("QuantizeLinear", [yact, m.init("y_scale", ys), m.init("y_zp", yz)], ["y"])
    return m, quantize(ref, ys, int(yz)), None


CASES = []
for k in ("conv3x3", "conv1x1", "convdw"):
    for act in ("relu", "clip"):
        CASES.append((f"{k}_{act}", k, act, False))
    CASES.append((f"{k}_bn", k, None, True))
    CASES.append((f"{k}_bn_relu", k, "relu", True))
    CASES.append((f"{k}_bn_clip", k, "clip", True))
for k in ("gemm", "matmul", "add"):
    for act in ("relu", "clip"):
        CASES.append((f"{k}_{act}", k, act, False))


def all_models():
    out = []
    for i, (name, kind, act, bn) in enumerate(CASES):
        out.append(("f_" + name,) + float_model("f_" + name, kind, act, bn, seed=i))
        out.append(("q_" + name,) + qdq_model("q_" + name, kind, act, bn, seed=i))
    out.append(("f_bn_relu",) + float_model("f_bn_relu", "bn", "relu", seed=99))
    out.append(("f_bn_clip",) + float_model("f_bn_clip", "bn", "clip", seed=98))
    return out


def compare(got, ref, tol):
    """-> problem or None, and a short detail."""
    want = np.float32 if tol is not None else ref.dtype
    if got.shape != ref.shape or got.dtype != want:
        return f"{got.dtype} {list(got.shape)} vs reference {np.dtype(want)} {list(ref.shape)}", ""
    if tol is None:  # quantized
        d = np.abs(got.astype(np.int32) - ref.astype(np.int32))
        eq = float((d == 0).mean())
        detail = f"{eq:.2%} equal, max {int(d.max())} step"
        if d.max() > 1 or eq < 0.99:
            return f"{detail} (allowed: 1 step, >= 99% equal)", detail
        return None, detail
    r = ref.astype(np.float64)
    d = np.abs(got.astype(np.float64) - r)
    bound = 1e-5 * np.abs(r).max() + tol * np.abs(r)
    detail = f"max|d| {d.max():.3g} (max|ref| {np.abs(r).max():.3g})"
    if not (d <= bound).all():
        i = np.unravel_index(np.argmax(d - bound), d.shape)
        return f"{int((d > bound).sum())}/{d.size} elements off, {detail}; at {list(map(int, i))}: " \
               f"{got[i]:.6g} vs {r[i]:.6g}", detail
    return None, detail


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--filter")
    ap.add_argument("--keep")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    emulator = shlex.split(os.environ.get("QINFER_EMULATOR", ""))  # a cross build's qemu (tests/CMakeLists.txt)
    work = args.keep or tempfile.mkdtemp(prefix="qinfer_fusion_")
    os.makedirs(work, exist_ok=True)
    failed = passed = 0
    try:
        for name, model, ref, tol in all_models():
            if args.filter and not re.search(args.filter, name):
                continue
            d = os.path.join(work, name)
            os.makedirs(d, exist_ok=True)
            mpath = os.path.join(d, "model.onnx")
            with open(mpath, "wb") as f:
                f.write(model.proto().SerializeToString())
            inputs = []
            for k, v in model.feeds.items():
                np.save(os.path.join(d, k + ".npy"), v)
                inputs += ["--input", f"{k}={os.path.join(d, k + '.npy')}"]
            for isa in (None, "scalar"):
                out = os.path.join(d, "out_" + (isa or "default"))
                cmd = emulator + [args.qinfer, "run", mpath, "--output-dir", out, "--threads", "1"] + inputs
                if isa:
                    cmd += ["--isa", isa]
                else:
                    cmd += ["--all-tensors", os.path.join(d, "all")]
                r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, QI_DEBUG_QDQ="1"))
                label = f"{name} [{isa or 'default ISA'}]"
                if r.returncode != 0:
                    print(f"FAIL  {label}: qinfer exit {r.returncode}: {r.stderr.strip().splitlines()[-1:]}")
                    failed += 1
                    continue
                problem, detail = compare(np.load(os.path.join(out, "y.npy")), ref, tol)
                if not isa and not problem:  # the fold and fusion the model is about happened
                    with open(os.path.join(d, "all", "tensors.tsv")) as f:
                        kept = {line.split("\t")[0] for line in f}
                    left = [t for t in model.gone if t in kept]
                    if left:
                        problem = f"not folded / fused: qinfer computed {', '.join(left)}"
                    elif model.fused and not re.search(rf"^qdq: .* -> {model.fused} ", r.stderr, re.M):
                        problem = f"no {model.fused} fusion in QI_DEBUG_QDQ's log"
                if problem:
                    print(f"FAIL  {label}: {problem}")
                    failed += 1
                else:
                    passed += 1
                    if args.verbose or isa is None:
                        print(f"ok    {label}: {detail}; binds: {'; '.join(model.binds)}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
