#!/usr/bin/python3
"""`qinfer quantize`'s weight options (--weights int8|int4|uint4, --block-size, --weight-method minmax|mse,
--activations float) on a small model built here, checked against oracles written here and against ONNX Runtime.

    run_quantize_weights.py --qinfer BUILD/tools/qinfer --node node [--cache DIR] [-v]

The model (opset 13): Conv 3->40 3x3 -> Relu -> depthwise Conv 40 -> Conv 40->48 3x3 (uniform weights with outliers,
whose best clip is low) -> ReduceMean (axes attribute) -> MatMul B [48, 24] (heavy-tailed) -> Gemm transB [10, 24] (one all-zero
output channel). 40 and 48 input channels
leave a short last block for blocks 16 / 32 (and one short block for 64 / 128). Checks, per option set:
  - the written weights, decoded here from the file (nibbles low first, the scale's layout, axis, block_size),
    equal the oracle's: the groups (per output channel; blocks along K: 4-bit Conv weights written flat
    [Cout, Cin * kh * kw] in blocks of consecutive k -> DequantizeLinear -> Reshape back, MatMul axis 0, Gemm axis 1
    with transB; a K no longer than the block: per output channel), and per group the scale (and zero point) of minmax, or
    for mse the brute-force search over every clip ratio (64 - i) / 64, i = 0..32, of the least squared error
    (a different choice is accepted only where the two errors tie to 1e-12: summation order); with calibrated
    activations each weight's squared error weighted by E[x^2] of the input it multiplies, recomputed here by a
    float64 forward pass over the calibration files (ties to 1e-6: qinfer's activations are float32), and the
    weighting must change the choice of some group;
  - 4-bit weights with calibrated activations, and int8 weights with --bias-correction: c1's bias is corrected by
    the mean output error of its quantized weights, b - sum_k (W_q - W)[m, k] E[x_c(k)] with E[x_c] from the
    calibration files (float to 1e-5, int32 to half a step); int8 weights by default (c1 under 4-bit blocks >= 27
    is one: its K fits a block), and 4-bit ones with --no-bias-correction: b itself;
  - every dequantized weight is within half a step of the float weight inside the clipping range;
  - the file: default-domain opset 21 for 4-bit weights (the ReduceMean's axes became an input), 13 for int8;
    int4 / uint4 initializers of ceil(n / 2) bytes; the file is at most 0.2 of the FP32 one's weight bytes... (size
    ratio reported);
  - ONNX Runtime runs the written model; for weight-only models its output equals (1e-5 relative) its output of the
    FP32 model with the weights replaced by the oracle's dequantized weights (so the file means what the oracle
    says); for W4A8 models the output SQNR against FP32 is above 8 dB (random heavy-tailed weights, 4 layers);
  - qinfer runs the written model and agrees with ONNX Runtime (weight-only: 1e-4 relative; W4A8: SQNR >= 30 dB
    between the two runtimes);
  - bad options: a block size other than 0 / 16 / 32 / 64 / 128, a block size with int8 weights, 4-bit weights per
    tensor, an unknown --weights / --activations / --weight-method, --target-sqnr with float activations: exit
    code 1 or 2 and a message naming the problem; --activations float needs no --calib.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORT_RUN = os.path.join(REPO, "tests", "zoo", "ort_run.js")
INT4, UINT4 = 22, 21

failures = []
verbose = False


def check(ok, what):
    if verbose or not ok:
        print(("   ok   " if ok else "   FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args):
    p = subprocess.run(list(args), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def build_model():
    rng = np.random.default_rng(11)
    inits, nodes = [], []

    def w(name, shape, scale=0.3, heavy=False, edit=None):
        a = rng.standard_t(3, size=shape) if heavy else rng.standard_normal(shape)
        if heavy == "uniform":
            a = rng.uniform(-1, 1, size=shape)
        if edit:
            edit(a)
        inits.append(numpy_helper.from_array((a * scale).astype(np.float32), name))
        return name

    def outliers(a):  # one large value per output channel: the best clip of a wide group is low (r < 0.75)
        a[:, 0, 0, 0] = 3.0

    def zero_row(a):  # an all-zero output channel: scale 1
        a[2] = 0

    nodes.append(helper.make_node("Conv", ["x", w("c1.w", (40, 3, 3, 3)), w("c1.b", (40,), 0.1)], ["c1"], name="c1",
                                  pads=[1] * 4))
    nodes.append(helper.make_node("Relu", ["c1"], ["r1"], name="r1"))
    nodes.append(helper.make_node("Conv", ["r1", w("dw.w", (40, 1, 3, 3)), w("dw.b", (40,), 0.1)], ["dw"], name="dw",
                                  pads=[1] * 4, group=40))
    nodes.append(helper.make_node("Conv", ["dw", w("c2.w", (48, 40, 3, 3), 0.1, "uniform", outliers), w("c2.b", (48,), 0.1)],
                                  ["c2"], name="c2", pads=[1] * 4))
    nodes.append(helper.make_node("ReduceMean", ["c2"], ["m"], name="mean", axes=[2, 3], keepdims=0))
    nodes.append(helper.make_node("MatMul", ["m", w("mm.w", (48, 24), 0.2, True)], ["mm"], name="mm"))
    nodes.append(helper.make_node("Gemm", ["mm", w("fc.w", (10, 24), 0.3, False, zero_row), w("fc.b", (10,), 0.1)], ["y"], name="fc",
                                  transB=1))
    g = helper.make_graph(nodes, "weights", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


# ---- the oracle: groups and parameters, written from the option's meaning ----

# weight name -> (op, channel axis, K axis, tie the taps)
LAYOUT = {"c1.w": ("Conv", 0, 1, True), "dw.w": ("Conv", 0, 1, True), "c2.w": ("Conv", 0, 1, True),
          "mm.w": ("MatMul", 1, 0, False), "fc.w": ("Gemm", 0, 1, False)}


def groups(w, layout, bits, block):
    """The index arrays of every group (each in element order) and the scale tensor's shape."""
    op, ch, kax, tie = layout
    idx = np.arange(w.size).reshape(w.shape)
    if bits == 8 or block == 0 or w.shape[kax] <= block:  # (one block of all K: per channel)
        return [np.moveaxis(idx, ch, 0)[c].ravel() for c in range(w.shape[ch])], (w.shape[ch],)
    nb = -(-w.shape[kax] // block)
    out = []
    moved = np.moveaxis(idx, kax, 0)  # [K, ...rest]
    rest = moved.shape[1:]
    if tie:  # Conv [Cout, Cin, kh, kw]: group (cout, block) over all taps
        for c in range(w.shape[0]):
            for b in range(nb):
                out.append(np.sort(idx[c, b * block:(b + 1) * block].ravel()))
    else:  # one group per (block, every other index), ordered as the scale tensor
        flat_rest = int(np.prod(rest))
        for o_b in range(nb):
            for r in range(flat_rest):
                out.append(np.sort(moved[o_b * block:(o_b + 1) * block].reshape(-1, flat_rest)[:, r]))
        if kax == 1:  # Gemm transB [N, K]: the scale is [N, nb]: reorder to (n, b)
            out = [out[b * flat_rest + n] for n in range(flat_rest) for b in range(nb)]
    shape = list(w.shape)
    shape[kax] = nb
    return out, tuple(shape)


def candidates(v, bits, asym, a=None, f16=False):
    """Every (scale, zp, error) of the search, i = 0..32 (None where the candidate is not valid); a: each value's
    weight in the squared error (the activation-weighted search), or None for 1; f16: each scale rounded to the
    nearest float16 (4-bit blocks, written float16)."""
    lo, hi = min(float(v.min()), 0.0), max(float(v.max()), 0.0)
    qmin, qmax = (-127, 127) if bits == 8 else ((0, 15) if asym else (-7, 7))
    out = []
    for i in range(33):
        r = (64 - i) / 64
        if asym:
            s = np.float32(np.float32(hi * r - lo * r) / np.float32(15))
            s = np.float32(np.float16(s)) if f16 else s
            zp = 0 if not s > 0 else int(min(max(np.rint(-(lo * r) / np.float64(s)), 0), 15))
        else:
            s = np.float32(np.float32(max(-lo, hi) * r) / np.float32(127 if bits == 8 else 7))
            s = np.float32(np.float16(s)) if f16 else s
            zp = 0
        if not (s > 0 and np.isfinite(s)):
            out.append(None)
            continue
        q = np.rint(np.clip(v / s, np.float32(qmin - zp), np.float32(qmax - zp))) + zp
        d2 = (v.astype(np.float64) - (np.float32(q - zp) * s).astype(np.float64)) ** 2
        e = float(np.sum(d2 if a is None else a * d2))
        out.append((s, zp, e))
    return out


def decode(m, qname):
    """The integer values, scale, zero point and attributes of the DequantizeLinear reading initializer qname."""
    init = {t.name: t for t in m.graph.initializer}
    t = init[qname]
    n = int(np.prod(t.dims))
    if t.data_type in (INT4, UINT4):
        raw = np.frombuffer(t.raw_data, dtype=np.uint8)
        check(len(raw) == (n + 1) // 2, f"{qname}: {n} 4-bit values in {(n + 1) // 2} bytes (has {len(raw)})")
        nib = np.stack([raw & 15, raw >> 4], axis=1).ravel()[:n].astype(np.int32)
        q = np.where(nib >= 8, nib - 16, nib) if t.data_type == INT4 else nib
    else:
        q = numpy_helper.to_array(t).astype(np.int32).ravel()
    dq = next(x for x in m.graph.node if x.op_type == "DequantizeLinear" and x.input[0] == qname)
    attrs = {a.name: helper.get_attribute_value(a) for a in dq.attribute}
    if dq.input[1] in init:
        scale = numpy_helper.to_array(init[dq.input[1]])
    else:  # float16 scales: initializer -> Cast(float) -> DequantizeLinear
        cast = next(x for x in m.graph.node if x.op_type == "Cast" and x.output[0] == dq.input[1])
        st = init[cast.input[0]]
        check(st.data_type == TensorProto.FLOAT16 and helper.get_attribute_value(cast.attribute[0]) == TensorProto.FLOAT,
              f"{qname}: a float16 scale cast to float")
        scale = numpy_helper.to_array(st).astype(np.float32)
    attrs["f16"] = dq.input[1] not in init
    zp = None
    if len(dq.input) > 2 and dq.input[2]:
        zt = init[dq.input[2]]
        raw = np.frombuffer(zt.raw_data, dtype=np.uint8)
        zn = int(np.prod(zt.dims))
        zp = np.stack([raw & 15, raw >> 4], axis=1).ravel()[:zn].astype(np.int32).reshape(tuple(zt.dims))
        check(zt.data_type == UINT4, f"{qname}: zero point uint4")
    return t.data_type, q.reshape(tuple(t.dims)), scale, zp, attrs


def conv2d(x, w, group=1):
    """x [N, C, H, W] * w [M, C/g, 3, 3], pads 1, stride 1, in float64."""
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, :, i:i + h, j:j + wd] for i in range(3) for j in range(3)], axis=2)  # [N, C, 9, H, W]
    m = w.shape[0]
    cg, mg = c // group, m // group
    out = [np.einsum("nckhw,mck->nmhw", cols[:, g * cg:(g + 1) * cg], w[g * mg:(g + 1) * mg].reshape(mg, cg, 9))
           for g in range(group)]
    return np.concatenate(out, axis=1)


def input_second_moments(fp32, calib):
    """E[x_k^2] of every quantized layer's input over the calibration files, from a float64 forward pass of the
    model here: per input channel (Conv: axis 1, over samples and positions; MatMul / Gemm: per k)."""
    p = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in fp32.graph.initializer}
    x = np.concatenate([np.load(os.path.join(calib, f)) for f in sorted(os.listdir(calib))]).astype(np.float64)
    r1 = np.maximum(conv2d(x, p["c1.w"]) + p["c1.b"].reshape(1, -1, 1, 1), 0)
    dw = conv2d(r1, p["dw.w"], group=40) + p["dw.b"].reshape(1, -1, 1, 1)
    c2 = conv2d(dw, p["c2.w"]) + p["c2.b"].reshape(1, -1, 1, 1)
    mean = c2.mean(axis=(2, 3))
    mm = mean @ p["mm.w"]
    chan = lambda t: (t ** 2).mean(axis=(0, 2, 3)) if t.ndim == 4 else (t ** 2).mean(axis=0)
    return {"c1.w": chan(x), "dw.w": chan(r1), "c2.w": chan(dw), "mm.w": chan(mean), "fc.w": chan(mm)}


def importance(name, w, ex2):
    """Each weight's E[x_k^2]: the input channel / k it multiplies (Conv: axis 1, the depthwise one its own channel
    m; MatMul [K, N]: axis 0; Gemm transB [N, K]: axis 1)."""
    e = ex2[name]
    if name == "dw.w":
        return np.broadcast_to(e.reshape(-1, 1, 1, 1), w.shape)
    if name == "mm.w":
        return np.broadcast_to(e.reshape(-1, 1), w.shape)
    return np.broadcast_to(e.reshape((1, -1) + (1,) * (w.ndim - 2)), w.shape)


def check_weights(fp32, m, label, bits, asym, block, mse, ex2=None):
    """Every quantized weight against the oracle; returns the dequantized weights. ex2: the layer inputs' second
    moments when activations are calibrated (the mse search is then weighted by them)."""
    weights = {t.name: numpy_helper.to_array(t) for t in fp32.graph.initializer}
    deq = {}
    weighted_differs = 0  # groups whose weighted choice is not the plain one: the weighting is seen
    for name in LAYOUT:
        w = w4d = weights[name]
        layout = LAYOUT[name]
        # a K no longer than the block (one block: the depthwise's 9, c1's 27 at blocks >= 32, fc's 24 at 32) is
        # written int8 per output channel under 4-bit weights
        k_len = w[0].size if layout[0] == "Conv" else w.shape[layout[2]]
        wbits, wasym = (8, False) if bits == 4 and block and k_len <= block else (bits, asym)
        imp = importance(name, w, ex2).astype(np.float64) if ex2 is not None and mse else None
        # 4-bit Conv blocks run along the im2col's K = Cin * kh * kw: the weight is written flat [Cout, K] in blocks
        # of consecutive k (one scale each) -> DequantizeLinear -> Reshape back to [Cout, Cin, kh, kw]
        flat = layout[0] == "Conv" and wbits == 4 and block and w[0].size > block
        if flat:
            w, layout = w.reshape(w.shape[0], -1), ("Conv", 0, 1, False)
            imp = None if imp is None else imp.reshape(w.shape)
            dq = next(x for x in m.graph.node if x.op_type == "DequantizeLinear" and x.input[0] == name + "_quantized")
            rs = [x for x in m.graph.node if x.op_type == "Reshape" and x.input[0] == dq.output[0]]
            init = {t.name: t for t in m.graph.initializer}
            check(len(rs) == 1 and rs[0].input[1] in init and
                  list(numpy_helper.to_array(init[rs[0].input[1]])) == list(w4d.shape),
                  f"{label} {name}: the flat weight is reshaped back to {w4d.shape}")
        dtype, q, scale, zp, attrs = decode(m, name + "_quantized")
        want_type = 3 if wbits == 8 else (UINT4 if wasym else INT4)
        check(dtype == want_type, f"{label} {name}: element type {dtype} (want {want_type})")
        grp, sshape = groups(w, layout, wbits, block)
        check(tuple(scale.shape) == sshape, f"{label} {name}: scale shape {scale.shape} (want {sshape})")
        op, ch, kax, tie = layout
        blk = 0 if wbits == 8 or w.shape[kax] <= block else block  # one block of all K: written per channel
        want_axis = ch if blk == 0 else kax
        check(attrs.get("axis", 1) == want_axis and attrs.get("block_size", 0) == blk,
              f"{label} {name}: axis {attrs.get('axis')} block_size {attrs.get('block_size', 0)}")
        f16 = wbits == 4 and blk > 0  # 4-bit blocks: float16 scales (2 bytes each) -> Cast
        check(attrs["f16"] == f16, f"{label} {name}: scales written as {'float16' if attrs['f16'] else 'float'}")
        if tuple(scale.shape) != sshape:
            continue
        flat_scale = scale.ravel()
        # the scale of each element, through its group (tied groups: the scale repeated over the taps)
        el_scale = np.zeros(w.size, np.float32)
        el_zp = np.zeros(w.size, np.int32)
        if blk == 0:
            el_scale = np.moveaxis(np.broadcast_to(scale.reshape([-1 if d == ch else 1 for d in range(w.ndim)]),
                                                   w.shape), 0, 0).ravel()
            if zp is not None:
                el_zp = np.broadcast_to(zp.reshape([-1 if d == ch else 1 for d in range(w.ndim)]), w.shape).ravel()
        else:
            rep = np.repeat(scale, blk, axis=kax)[tuple(slice(0, s) for s in w.shape)]
            el_scale = rep.ravel()
            if zp is not None:
                el_zp = np.repeat(zp, blk, axis=kax)[tuple(slice(0, s) for s in w.shape)].ravel()
        bad_choice = bad_q = 0
        for g in grp:
            v = w.ravel()[g]
            a = None if imp is None else imp.ravel()[g]
            cands = candidates(v, wbits, wasym, a, f16)
            got_s, got_z = el_scale[g[0]], el_zp[g[0]]
            if not (np.all(el_scale[g] == got_s) and np.all(el_zp[g] == got_z)):
                bad_choice += 1  # a group with two scales
                continue
            valid = [c for c in cands if c is not None]
            if not valid:
                ok = got_s == np.float32(1) and got_z == 0
            elif not mse:
                ok = cands[0] is not None and got_s == cands[0][0] and got_z == cands[0][1]
            else:
                best = min(c[2] for c in valid)
                first = next(c for c in cands if c is not None and c[2] == best)
                mine = [c for c in cands if c is not None and c[0] == got_s and c[1] == got_z]
                # ties: summation order, and (weighted) qinfer's E[x^2] from a float32 forward pass against this
                # float64 one
                tie = 1e-12 if a is None else 1e-6
                ok = (first[0] == got_s and first[1] == got_z) or \
                    (mine and abs(mine[0][2] - best) <= tie * max(best, 1e-30))
                if a is not None:
                    plain = [c for c in candidates(v, wbits, wasym, None, f16) if c is not None]
                    pbest = min(c[2] for c in plain)
                    pfirst = next(c for c in plain if c[2] == pbest)
                    weighted_differs += (pfirst[0], pfirst[1]) != (first[0], first[1])
            bad_choice += not ok
            qmin, qmax = (-127, 127) if wbits == 8 else ((0, 15) if wasym else (-7, 7))
            want_q = np.rint(np.clip(v / got_s, np.float32(qmin - got_z), np.float32(qmax - got_z))) + got_z
            bad_q += int(np.sum(want_q != q.ravel()[g]))
        check(bad_choice == 0, f"{label} {name}: {len(grp)} groups, {bad_choice} with a scale other than the oracle's")
        check(bad_q == 0, f"{label} {name}: {bad_q} quantized values other than the oracle's")
        d = ((q.ravel() - el_zp).astype(np.float32) * el_scale).reshape(w.shape)
        lo = (np.float32(-7 if wbits == 4 and not wasym else -127) - el_zp) * el_scale
        hi = (np.float32(7 if wbits == 4 and not wasym else 127) - el_zp) * el_scale
        if wbits == 4 and wasym:
            lo, hi = (0 - el_zp) * el_scale, (15 - el_zp) * el_scale
        inside = (w.ravel() >= lo - el_scale / 2) & (w.ravel() <= hi + el_scale / 2)
        err = np.abs(d.ravel() - w.ravel())[inside]
        check(np.all(err <= el_scale[inside] * 0.5 * (1 + 1e-6)),
              f"{label} {name}: dequantized within half a step inside the range (max {err.max() / 1:.3g})")
        if not mse and not wasym:  # (asymmetric: the rounded zero point may move an end by half a step)
            check(inside.all(), f"{label} {name}: minmax clips nothing")
        if mse and not inside.all():
            out = ~inside
            check(np.all(np.abs(d.ravel()[out]) < np.abs(w.ravel()[out])),
                  f"{label} {name}: {int(out.sum())} clipped values dequantize to the range's end")
        deq[name] = d.reshape(w4d.shape).astype(np.float32)
    if ex2 is not None and mse:
        check(weighted_differs > 0, f"{label}: the activation-weighted search chooses otherwise than the plain one "
              f"in {weighted_differs} groups (> 0: the weighting is tested)")
    return deq


def ort(args, model_path, x_path, work, tag, opt="all"):
    """ONNX Runtime's output. opt "basic" for the meaning of a weight-only file: at "extended" ORT runs DQ(int8
    weight) -> MatMul as DynamicQuantizeMatMul, quantizing the activations at run time (measured: 1 % off)."""
    d = os.path.join(work, "ort_" + tag)
    rc, out = run(args.node, ORT_RUN, model_path, "--output-dir", d, "--input", f"x={x_path}", "--cache", args.cache,
                  "--opt", opt)
    check(rc == 0, f"ONNX Runtime runs {os.path.basename(model_path)}" + ("" if rc == 0 else ": " + out[-400:]))
    return np.load(os.path.join(d, "y.npy")) if rc == 0 else None


def qinfer_run(args, model_path, x_path, work, tag):
    d = os.path.join(work, "qi_" + tag)
    rc, out = run(args.qinfer, "run", model_path, "--input", f"x={x_path}", "--output-dir", d)
    check(rc == 0, f"qinfer runs {os.path.basename(model_path)}" + ("" if rc == 0 else ": " + out[-400:]))
    return np.load(os.path.join(d, "y.npy")) if rc == 0 else None


def sqnr(ref, x):
    ref, x = ref.astype(np.float64), x.astype(np.float64)
    n = np.sum((ref - x) ** 2)
    return np.inf if n == 0 else 10 * np.log10(np.sum(ref ** 2) / n)


def opset_of(m):
    return next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))


def check_bias_correction(fp32, m, deq, calib, label, corrected=True):
    """int8 / 4-bit weights with calibrated activations: c1's bias (c1 reads the model input, whose channel means the
    calibration files give) is b - sum_k (W_q - W)[m, k] E[x_c(k)], the error the weight quantization adds to the
    output on average; as a float constant (blocked weights) to 1e-5, as int32 at x_scale * w_scale to half a step.
    Not corrected: b itself."""
    xs = np.concatenate([np.load(os.path.join(calib, f)) for f in sorted(os.listdir(calib))])
    ex = xs.astype(np.float64).mean(axis=(0, 2, 3))
    w = numpy_helper.to_array(next(t for t in fp32.graph.initializer if t.name == "c1.w")).astype(np.float64)
    b = numpy_helper.to_array(next(t for t in fp32.graph.initializer if t.name == "c1.b")).astype(np.float64)
    shift = np.einsum("mchw,c->m", deq["c1.w"].astype(np.float64) - w, ex)
    want = b - shift if corrected else b
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer if t.data_type not in (INT4, UINT4)}
    conv = next(n for n in m.graph.node if n.name == "c1")
    bname = conv.input[2]
    if bname in init:  # float
        got, tol = init[bname].astype(np.float64), 1e-5 * np.abs(want).max() + 1e-7
    else:  # DequantizeLinear of int32
        dq = next(n for n in m.graph.node if n.output[0] == bname)
        step = init[dq.input[1]].astype(np.float64)
        got, tol = init[dq.input[0]].astype(np.float64) * step, step * 0.5 * (1 + 1e-6) + 1e-7
    check(np.abs(shift).max() > 4 * np.max(tol), f"{label}: c1's expected weight error is no rounding "
          f"(max |shift| {np.abs(shift).max():.3g})")
    d = np.abs(got - want)
    check(np.all(d <= tol), f"{label}: c1's bias " + ("corrected by the mean weight error" if corrected else
                                                       "as it is") + f" (max |d| {d.max():.3g})")


def test_options(args, work, fp32_path, calib, x_path):
    fp32 = onnx.load(fp32_path)
    ex2 = input_second_moments(fp32, calib)
    y_fp32 = ort(args, fp32_path, x_path, work, "fp32")
    cases = [  # (weights, block, method, activations)
        ("int4", 0, "minmax", "float"), ("int4", 16, "minmax", "float"), ("int4", 32, "mse", "float"),
        ("uint4", 16, "mse", "float"), ("uint4", 0, "minmax", "float"), ("int4", 64, "mse", "float"),
        ("int4", 128, "minmax", "float"), ("int8", 0, "mse", "float"), ("int8", 0, "minmax", "float"),
        ("int4", 32, "mse", "uint8"), ("int4", 0, "mse", "int8"), ("uint4", 16, "minmax", "uint8"),
        ("int8", 0, "mse", "uint8 --bias-correction"), ("int8", 0, "minmax", "uint8"),
        ("int4", 16, "minmax", "uint8 --no-bias-correction"),
    ]
    for wt, block, method, act_opts in cases:
        act, *more = act_opts.split()
        label = f"--weights {wt} --block-size {block} --weight-method {method} --activations {act_opts}"
        out = os.path.join(work, f"{wt}_{block}_{method}_{act}{len(more)}.onnx")
        cmd = [args.qinfer, "quantize", fp32_path, "-o", out, "--weights", wt, "--weight-method", method,
               "--activations", act, *more]
        if block:
            cmd += ["--block-size", str(block)]
        if act != "float":
            cmd += ["--calib", calib]
        rc, text = run(*cmd)
        check(rc == 0, label + ("" if rc == 0 else ": " + text[-400:]))
        if rc != 0:
            continue
        m = onnx.load(out)
        bits = 8 if wt == "int8" else 4
        check(opset_of(m) == (21 if bits == 4 else 13), f"{label}: written at opset {opset_of(m)}")
        if bits == 4:
            mean = next(n for n in m.graph.node if n.op_type == "ReduceMean")
            check(len(mean.input) == 2 and not any(a.name == "axes" for a in mean.attribute),
                  f"{label}: ReduceMean's axes an input at opset 21")
        deq = check_weights(fp32, m, label, bits, wt == "uint4", block if bits == 4 else 0, method == "mse",
                            ex2 if act != "float" else None)
        if act != "float" and "c1.w" in deq:
            c1_four = bits == 4 and not (block and 27 <= block)  # a K (27) that fits one block stays int8
            corrected = "--no-bias-correction" not in more and (c1_four or "--bias-correction" in more)
            check_bias_correction(fp32, m, deq, calib, label, corrected)
        y = ort(args, out, x_path, work, os.path.basename(out)[:-5], "basic" if act == "float" else "all")
        y_qi = qinfer_run(args, out, x_path, work, os.path.basename(out)[:-5])
        if y is None:
            continue
        if act == "float" and len(deq) == len(LAYOUT):
            ref = onnx.load(fp32_path)
            for t in ref.graph.initializer:
                if t.name in deq:
                    t.CopyFrom(numpy_helper.from_array(deq[t.name], t.name))
            ref_path = os.path.join(work, "deq_" + os.path.basename(out))
            onnx.save(ref, ref_path)
            y_ref = ort(args, ref_path, x_path, work, "deq_" + os.path.basename(out)[:-5], "basic")
            if y_ref is not None:
                d = float(np.max(np.abs(y - y_ref)))
                check(d <= 1e-5 * float(np.max(np.abs(y_ref))) + 1e-6,
                      f"{label}: ORT on the file = ORT on the oracle's dequantized weights (max |d| {d:.2g})")
            if y_qi is not None:
                d = float(np.max(np.abs(y - y_qi)))
                check(d <= 1e-4 * float(np.max(np.abs(y))) + 1e-6, f"{label}: qinfer = ORT (max |d| {d:.2g})")
        else:
            s = sqnr(y_fp32, y)
            check(s >= 8, f"{label}: ORT output SQNR vs FP32 {s:.1f} dB >= 8")
            if y_qi is not None:
                s = sqnr(y, y_qi)
                check(s >= 30, f"{label}: qinfer vs ORT on the written model {s:.1f} dB >= 30")
        if verbose:
            print(f"        {label}: {os.path.getsize(out)} bytes (FP32 {os.path.getsize(fp32_path)})")


def test_errors(args, work, fp32_path, calib):
    out = os.path.join(work, "bad.onnx")
    cases = [
        (["--weights", "int4", "--block-size", "8", "--activations", "float"], "--block-size must be 0"),
        (["--weights", "int4", "--block-size", "33", "--activations", "float"], "--block-size must be 0"),
        (["--weights", "int4", "--block-size", "x", "--activations", "float"], "--block-size must be 0"),
        (["--block-size", "32", "--calib", calib], "needs 4-bit weights"),
        (["--weights", "int4", "--per-tensor", "--calib", calib], "not one per tensor"),
        (["--weights", "int5", "--calib", calib], "--weights must be int8, int4 or uint4, not 'int5'"),
        (["--activations", "fp16"], "--activations must be uint8, int8, int16, uint16 or float, not 'fp16'"),
        (["--weight-method", "max", "--activations", "float"], "unknown weight method 'max'"),
        (["--activations", "float", "--target-sqnr", "30"], "target SQNR"),
        (["--weights", "int4"], "no calibration folder"),
    ]
    done = os.path.join(work, "int4_16_minmax_float.onnx")  # written by test_options
    if os.path.exists(done):
        rc, text = run(args.qinfer, "quantize", done, "-o", out, "--activations", "float", "--weights", "int4")
        check(rc == 1 and "already quantized" in text and not os.path.exists(out),
              f"a weight-only model quantized again: exit {rc}, says 'already quantized' ({text.strip()[-200:]})")
    for extra, want in cases:
        if os.path.exists(out):
            os.remove(out)
        rc, text = run(args.qinfer, "quantize", fp32_path, "-o", out, *extra)
        check(rc in (1, 2) and want in text and not os.path.exists(out),
              f"{' '.join(extra)}: exit {rc}, says '{want}'" + ("" if want in text else f" (said: {text.strip()})"))


def main():
    global verbose
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE", os.path.join(REPO, ".cache")))
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    verbose = args.v
    with tempfile.TemporaryDirectory() as work:
        fp32_path = os.path.join(work, "fp32.onnx")
        onnx.save(build_model(), fp32_path)
        calib = os.path.join(work, "calib")
        os.makedirs(calib)
        rng = np.random.default_rng(3)
        mean = np.array([0.8, -0.5, 0.3], np.float32).reshape(1, 3, 1, 1)  # channel means for the bias correction
        for i in range(4):
            np.save(os.path.join(calib, f"s{i}.npy"), rng.standard_normal((1, 3, 8, 8)).astype(np.float32) + mean)
        x_path = os.path.join(work, "x.npy")
        np.save(x_path, rng.standard_normal((1, 3, 8, 8)).astype(np.float32) + mean)
        test_options(args, work, fp32_path, calib, x_path)
        test_errors(args, work, fp32_path, calib)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all weight-option checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
