"""An exact numpy reference for the integer convolution and matrix-product ops (QLinearConv, ConvInteger,
QLinearMatMul, MatMulInteger, com.microsoft QGemm), written from the ONNX spec and docs/quantization.md, with no
code shared with qinfer or ONNX Runtime.

    outputs = exact_ref.run(model, feeds)      # a one-node model; feeds: {input name: array}

Sums are exact (int64, wrapped to int32 as both runtimes do); requantization is qinfer's one rule
(kernels/requant.h, the rule ONNX Runtime's MLAS applies too), in float32 exactly as written there:
    s   = (x_scale * w_scale[c]) / y_scale          (QGemm: ((alpha * a_scale) * b_scale[n]) / y_scale)
    v   = float32(acc) * s                          one correctly rounded float32 multiply
    y   = round_half_even(clamp(v, qmin - zp, qmax - zp)) + zp
QGemm without y_scale: y = float32(acc) * ((alpha * a_scale) * b_scale[n]).

tests/quant_ops/run_quant_ops.py uses it where ONNX Runtime's own integer results are not exact on this CPU (its
x86 u8 x s8 gemm without VNNI saturates int16 pair sums in vpmaddubsw), and checks it against ONNX Runtime
wherever ONNX Runtime is exact.
"""
import itertools

import numpy as np
from onnx import helper, numpy_helper

OPS = ("QLinearConv", "ConvInteger", "QLinearMatMul", "MatMulInteger", "QGemm")
# op -> (index of the activation input, index of the weight input): the operand pair of the integer product
OPERANDS = {"QLinearConv": (0, 3), "ConvInteger": (0, 1), "QLinearMatMul": (0, 3), "MatMulInteger": (0, 1),
            "QGemm": (0, 3)}
F32 = np.float32


def _range(dt):
    info = np.iinfo(dt)
    return int(info.min), int(info.max)


def requant(acc, scale, zp, dt):
    """acc: int64 array; scale: float32, broadcast against acc; zp: the output zero point; dt: uint8 / int8."""
    qmin, qmax = _range(dt)
    zp = int(zp)
    v = acc.astype(np.int32).astype(F32) * np.asarray(scale, F32)  # float32(acc) * s, one rounding
    v = np.clip(v, F32(qmin - zp), F32(qmax - zp))
    return (np.rint(v).astype(np.int64) + zp).astype(dt)           # np.rint: half to even


def _wrap32(acc):
    return acc.astype(np.int64).astype(np.uint64).astype(np.uint32).view(np.int32).astype(np.int64) \
        if acc.size else acc.astype(np.int64)


def conv_sum(x, w, pads, strides, dilations, group):
    """int64 N-d convolution of x [N, C, *S] (zero point already subtracted) and w [M, C/group, *K]."""
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[i + nd]) for i in range(nd)])
    ksz = w.shape[2:]
    out = [(xp.shape[2 + i] - dilations[i] * (ksz[i] - 1) - 1) // strides[i] + 1 for i in range(nd)]
    n, c = x.shape[:2]
    m = w.shape[0]
    cg, mg = c // group, m // group
    y = np.zeros([n, m] + out, np.int64)
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        for k in itertools.product(*[range(s) for s in ksz]):
            sl = tuple(slice(k[i] * dilations[i], k[i] * dilations[i] + strides[i] * (out[i] - 1) + 1, strides[i])
                       for i in range(nd))
            win = xs[(slice(None), slice(None)) + sl]                     # [N, cg, *out]
            wk = w[(slice(g * mg, (g + 1) * mg), slice(None)) + tuple(k)]  # [mg, cg]
            y[:, g * mg:(g + 1) * mg] += np.einsum("nc...,mc->nm...", win, wk)
    return y


def _conv_geometry(attrs, x_shape, w_shape):
    nd = len(x_shape) - 2
    ksz = list(attrs.get("kernel_shape", w_shape[2:]))
    strides = list(attrs.get("strides", [1] * nd))
    dil = list(attrs.get("dilations", [1] * nd))
    pads = list(attrs.get("pads", [0] * (2 * nd)))
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0] * (2 * nd)
        for i in range(nd):
            o = -(-x_shape[2 + i] // strides[i])
            total = max(0, (o - 1) * strides[i] + (ksz[i] - 1) * dil[i] + 1 - x_shape[2 + i])
            lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
            pads[i], pads[i + nd] = lo, total - lo
    elif auto == "VALID":
        pads = [0] * (2 * nd)
    return pads, strides, dil, int(attrs.get("group", 1))


def _per_channel(v, n):
    v = np.asarray(v)
    return np.broadcast_to(v.reshape(-1), (n,)) if v.size == 1 else v.reshape(-1)


def _i64(a):
    return np.asarray(a).astype(np.int64)


def run(model, feeds):
    """-> [output arrays] of a one-node model of one of OPS, in graph output order."""
    if len(model.graph.node) != 1 or model.graph.node[0].op_type not in OPS:
        raise ValueError("exact_ref: a one-node model of " + "/".join(OPS) + " is expected")
    node = model.graph.node[0]
    vals = dict(feeds)
    vals.update({t.name: numpy_helper.to_array(t) for t in model.graph.initializer})
    ins = [vals[n] if n else None for n in node.input] + [None] * 9
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    op = node.op_type
    if op in ("QLinearConv", "ConvInteger"):
        if op == "QLinearConv":
            x, xs, xz, w, ws, wz, ys, yz, b = ins[:9]
        else:
            x, w, xz, wz = ins[:4]
        m = w.shape[0]
        xz = 0 if xz is None else int(np.asarray(xz).reshape(-1)[0])
        wz = np.zeros(m, np.int64) if wz is None else _i64(_per_channel(wz, m))
        wi = _i64(w) - wz.reshape([m] + [1] * (w.ndim - 1))
        pads, strides, dil, group = _conv_geometry(attrs, x.shape, w.shape)
        acc = conv_sum(_i64(x) - xz, wi, pads, strides, dil, group)
        bshape = [1, m] + [1] * (x.ndim - 2)
        if op == "ConvInteger":
            return [_wrap32(acc).astype(np.int32)]
        if b is not None:
            acc = acc + _i64(b).reshape(bshape)
        s = (F32(xs) * _per_channel(ws, m).astype(F32)) / F32(ys)
        return [requant(_wrap32(acc), s.reshape(bshape), np.asarray(yz).reshape(-1)[0], yz.dtype)]
    if op in ("QLinearMatMul", "MatMulInteger"):
        if op == "QLinearMatMul":
            a, as_, az, b, bs, bz, ys, yz = ins[:8]
        else:
            a, b, az, bz = ins[:4]
        n = b.shape[-1]
        az = 0 if az is None else _i64(az).reshape(-1, 1) if np.asarray(az).size > 1 else int(np.asarray(az).reshape(-1)[0])
        bz = np.zeros(n, np.int64) if bz is None else _i64(_per_channel(bz, n))
        acc = np.matmul(_i64(a) - az, _i64(b) - bz)
        if op == "MatMulInteger":
            return [_wrap32(acc).astype(np.int32)]
        s = (F32(as_) * _per_channel(bs, n).astype(F32)) / F32(ys)
        return [requant(_wrap32(acc), s, np.asarray(yz).reshape(-1)[0], yz.dtype)]
    # com.microsoft QGemm: A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp
    a, as_, az, b, bs, bz, c, ys, yz = ins[:9]
    a = a.T if attrs.get("transA", 0) else a
    b = b.T if attrs.get("transB", 0) else b
    n = b.shape[1]
    alpha = F32(attrs.get("alpha", 1.0))
    bz = np.zeros(n, np.int64) if bz is None else _i64(_per_channel(bz, n))
    acc = (_i64(a) - int(np.asarray(az).reshape(-1)[0])) @ (_i64(b) - bz)
    if c is not None:
        acc = acc + _i64(c)
    s = (alpha * F32(as_)) * _per_channel(bs, n).astype(F32)
    if ys is None:
        return [_wrap32(acc).astype(np.int32).astype(F32) * s]
    return [requant(_wrap32(acc), s / F32(ys), np.asarray(yz).reshape(-1)[0], yz.dtype)]


def u8s8(model, feeds):
    """True when the model has an op of OPS multiplying uint8 activations by int8 weights (ONNX Runtime's u8s8
    gemm: exact with VNNI, saturating int16 pair sums in vpmaddubsw without)."""
    vals = dict(feeds)
    vals.update({t.name: numpy_helper.to_array(t) for t in model.graph.initializer})
    for node in model.graph.node:
        if node.op_type in OPERANDS:
            ia, iw = OPERANDS[node.op_type]
            a, w = vals.get(node.input[ia]), vals.get(node.input[iw])
            if a is not None and w is not None and a.dtype == np.uint8 and w.dtype == np.int8:
                return True
    return False
