"""DequantizeLinear of int4 / uint4 tensors and QuantizeLinear to them (opsets 21 and 23: per tensor, per axis,
blocked) against ONNX Runtime (run by run_quant_ops.py).

The onnx package of the test machine may predate the 4-bit types, so their tensors are written by hand here:
TensorProto data_type 22 (INT4) / 21 (UINT4), two values per byte, low nibble first, in raw_data (or in
int32_data, one byte per entry, for some cases); an odd count's last high nibble is set to garbage, which both
runtimes must ignore. DequantizeLinear outputs float and must match exactly. QuantizeLinear's 4-bit output is
read back through a DequantizeLinear with the same parameters (a graph output of a 4-bit type is not something
either runtime hands over as an array here); (q - zp) * scale is one-to-one in q, so exact float equality is
exact equality of the quantized values. Inputs include ties (x.5 steps) and values far outside the range
(saturation to -8..7 / 0..15)."""
import numpy as np
from onnx import TensorProto, helper

INT4, UINT4 = 22, 21


def nib_tensor(name, values, signed, shape, typed=False, garbage=0xA):
    """4-bit TensorProto of values (shape); garbage: the high nibble of an odd count's last byte."""
    v = np.asarray(values, np.int64).reshape(-1)
    lo, hi = (-8, 7) if signed else (0, 15)
    assert v.min(initial=lo) >= lo and v.max(initial=hi) <= hi
    nib = list((v & 15).astype(np.uint8))
    if len(nib) % 2:
        nib.append(garbage)
    b = bytes(int(nib[i]) | int(nib[i + 1]) << 4 for i in range(0, len(nib), 2))
    t = TensorProto()
    t.name = name
    t.data_type = INT4 if signed else UINT4
    t.dims.extend(shape)
    if typed:
        t.int32_data.extend(list(b))
    else:
        t.raw_data = b
    return t


def CASES(h):
    out = []

    def model(name, nodes, inputs, inits, outputs, opset):
        m, feeds = h.make_model(name, nodes, inputs, outputs, opset)
        m.graph.initializer.extend(inits)
        out.append(h.Case(name, m, feeds, exact=True))

    def params(r, pshape, signed, with_zp):
        sc = r.uniform(0.01, 0.2, pshape).astype(np.float32)
        zp = r.integers(-8, 8, pshape) if signed else r.integers(0, 16, pshape)
        return sc, (zp if with_zp else None)

    def f32c(name, a):
        return h.numpy_helper.from_array(np.asarray(a, np.float32), name)

    # (name, x shape, axis, block_size, per-axis?) ; per tensor when axis is None
    layouts = (("tensor", (3, 7), None, 0), ("axis0", (5, 6), 0, 0), ("axis1", (2, 5, 3), 1, 0),
               ("axism1", (4, 9), -1, 0), ("block_ax1", (4, 32), 1, 16), ("block_ax1_short", (3, 13), 1, 4),
               ("block_ax0", (10, 3), 0, 4), ("block_ax2_odd", (2, 3, 7), 2, 3))

    def pshape_of(shape, axis, block):
        if axis is None:
            return ()
        a = axis % len(shape)
        if block == 0:
            return (shape[a],)
        s = list(shape)
        s[a] = -(-shape[a] // block)
        return tuple(s)

    def attrs_of(axis, block):
        at = {}
        if axis is not None:
            at["axis"] = axis
        if block:
            at["block_size"] = block
        return at

    # ------------------------------------------------------------------ DequantizeLinear of int4 / uint4
    for opset in (21, 23):
        for lname, shape, axis, block in layouts:
            for signed in (True, False):
                for with_zp in (True, False):
                    if opset == 23 and not with_zp:
                        continue
                    t = "i4" if signed else "u4"
                    name = f"dq{opset}_{t}_{lname}" + ("" if with_zp else "_nozp")
                    r = h.rng_for(name)
                    q = r.integers(-8, 8, shape) if signed else r.integers(0, 16, shape)
                    ps = pshape_of(shape, axis, block)
                    sc, zp = params(r, ps, signed, with_zp)
                    typed = lname in ("axis1", "block_ax2_odd")  # int32_data storage for some
                    inits = [nib_tensor("x", q, signed, shape, typed=typed), f32c("s", sc)]
                    ins = ["x", "s"]
                    if zp is not None:
                        inits.append(nib_tensor("z", zp, signed, ps))
                        ins.append("z")
                    node = helper.make_node("DequantizeLinear", ins, ["y"], name="dq", **attrs_of(axis, block))
                    model(name, [node], [], inits, [("y", "f")], opset)

    # ------------------------------------------------------------------ QuantizeLinear to int4 / uint4
    for opset in (21, 23):
        for lname, shape, axis, block in layouts:
            for signed in (True, False):
                for how in ("zp", "output_dtype"):
                    if opset == 23 and how == "output_dtype" and lname not in ("tensor", "block_ax1_short"):
                        continue
                    t = "i4" if signed else "u4"
                    name = f"q{opset}_{t}_{lname}_{how}"
                    r = h.rng_for(name)
                    ps = pshape_of(shape, axis, block)
                    sc, zp = params(r, ps, signed, how == "zp")
                    # about a third of the values saturate; steps of half a scale make ties
                    k = (r.integers(-24, 25, shape) * 0.5).astype(np.float32)
                    inits = [f32c("s", sc)]
                    qins = ["x", "s"]
                    at = attrs_of(axis, block)
                    if how == "zp":
                        inits.append(nib_tensor("z", zp, signed, ps))
                        qins.append("z")
                        qat = dict(at)
                    else:
                        qat = dict(at, output_dtype=INT4 if signed else UINT4)
                    nodes = [helper.make_node("QuantizeLinear", qins, ["q"], name="q", **qat),
                             helper.make_node("DequantizeLinear", ["q"] + qins[1:], ["y"], name="dq", **at)]
                    model(name, nodes, [("x", k * _scale_like(sc, shape, axis, block))], inits, [("y", "f")], opset)
    return out + W4A32_CASES(h) + W4A32_CONV_CASES(h)


def _scale_like(sc, shape, axis, block):
    """The scale of every element of x (float32), so that x = k / 2 * scale puts ties on exact half steps."""
    if sc.ndim == 0:
        return np.float32(sc)
    a = axis % len(shape)
    if block == 0:
        s = [1] * len(shape)
        s[a] = shape[a]
        return sc.reshape(s)
    return np.repeat(sc, block, axis=a).take(range(shape[a]), axis=a)


def W4A32_CASES(h):
    """Weight-only int4 QDQ: DequantizeLinear(constant int4 / uint4 weight) -> MatMul / Gemm with float
    activations, which qinfer runs on its W4A32 kernels (MatMulQB4W) with the weight kept 4-bit; a block of 8 (not a
    multiple of 16) and per-axis scales along K take the reference path (the DequantizeLinear folded to float
    weights). Float results: atol 1e-4 + rtol 1e-4 as the MatMulNBits cases."""
    out = []
    specs = (  # name, A shape, K, N, W layout ("kn" = [K, N], "nk" = [N, K] for Gemm transB), axis, block, op
        ("mm_i4_channel", (7, 40), 40, 24, "kn", 1, 0, "MatMul"),
        ("mm_u4_block16", (1, 48), 48, 20, "kn", 0, 16, "MatMul"),
        ("mm_i4_block32_short", (197, 70), 70, 33, "kn", 0, 32, "MatMul"),
        ("mm_u4_block64_rank3", (2, 5, 130), 130, 9, "kn", 0, 64, "MatMul"),
        ("mm_i4_block128", (7, 260), 260, 17, "kn", 0, 128, "MatMul"),
        ("mm_i4_tensor", (3, 20), 20, 6, "kn", None, 0, "MatMul"),
        ("mm_i4_block8_ref", (7, 40), 40, 10, "kn", 0, 8, "MatMul"),
        ("mm_u4_axis0_ref", (7, 24), 24, 10, "kn", 0, 0, "MatMul"),
        ("gemm_i4_transb_block16_bias", (7, 48), 48, 12, "nk", 1, 16, "Gemm"),
        ("gemm_u4_channel_bias_beta", (197, 33), 33, 21, "kn", 1, 0, "Gemm"),
        ("gemm_i4_transb_channel_scalar_c", (1, 64), 64, 8, "nk", 0, 0, "Gemm"),
    )
    for name, ashape, k, n, lay, axis, block, op in specs:
        cname = f"w4a32_{name}"
        r = h.rng_for(cname)
        signed = "_i4_" in cname
        wshape = (k, n) if lay == "kn" else (n, k)
        q = r.integers(-8, 8, wshape) if signed else r.integers(0, 16, wshape)
        if axis is None:
            pshape = ()
        elif block == 0:
            pshape = (wshape[axis],)
        else:
            pshape = list(wshape)
            pshape[axis] = -(-wshape[axis] // block)
            pshape = tuple(pshape)
        sc = r.uniform(0.01, 0.1, pshape).astype(np.float32)
        zp = r.integers(-8, 8, pshape) if signed else r.integers(0, 16, pshape)
        inits = [nib_tensor("wq", q, signed, wshape), h.numpy_helper.from_array(sc, "ws"),
                 nib_tensor("wz", zp, signed, pshape)]
        at = {}
        if axis is not None:
            at["axis"] = axis
        if block:
            at["block_size"] = block
        nodes = [helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["w"], name="dq", **at)]
        if op == "MatMul":
            nodes.append(helper.make_node("MatMul", ["a", "w"], ["y"], name="mm"))
        else:
            ins = ["a", "w"]
            gat = {"transB": 1 if lay == "nk" else 0}
            if "bias" in name or "scalar_c" in name:
                c = r.standard_normal(1 if "scalar_c" in name else n).astype(np.float32)
                inits.append(h.numpy_helper.from_array(c, "c"))
                ins.append("c")
            if "beta" in name:
                gat["beta"] = 0.5
            nodes.append(helper.make_node("Gemm", ins, ["y"], name="gemm", **gat))
        m, feeds = h.make_model(cname, nodes, [("a", r.standard_normal(ashape).astype(np.float32))], [("y", "f")], 21)
        m.graph.initializer.extend(inits)
        out.append(h.Case(cname, m, feeds, atol=1e-4, rtol=1e-4))
    return out


def W4A32_CONV_CASES(h):
    """Weight-only int4 QDQ Conv: DequantizeLinear(constant int4 / uint4 [M, C, k...]) -> Conv with float input,
    which qinfer runs as ConvQB4W on its W4A32 kernels: per output channel, per tensor, blocks of input channels
    whose parameters are the same at every tap (block of bl_c channels = bl_c * taps im2col rows); parameters that
    vary over the taps, a block of 4 x 9 taps (not a multiple of 16) and group 2 take the reference path; the weight
    may also be flat [M, C * taps] in blocks of consecutive k (flat<N>) -> Reshape -> Conv; a Relu /
    LeakyRelu after it is fused into it.
    atol 1e-4 + rtol 1e-4."""
    out = []
    specs = (  # name, x shape, M, kernel, layout (tensor | channel | block<N> | blockvary<N>), conv attrs
        ("conv_i4_channel_3x3_bias", (1, 8, 10, 10), 12, (3, 3), "channel", {"pads": [1, 1, 1, 1]}),
        ("conv_u4_block16_3x3", (2, 32, 7, 7), 10, (3, 3), "block16", {"pads": [1, 1, 1, 1]}),
        ("conv_i4_block16_1x1_bias", (1, 48, 6, 5), 20, (1, 1), "block16", {}),
        ("conv_i4_block32_short_3x3_s2", (1, 40, 9, 9), 7, (3, 3), "block32", {"strides": [2, 2]}),
        ("conv_u4_tensor_dil", (1, 6, 12, 12), 5, (3, 3), "tensor", {"dilations": [2, 2], "pads": [2, 2, 2, 2]}),
        ("conv_i4_channel_1d", (2, 16, 30), 9, (5,), "channel", {"pads": [2, 2]}),
        ("conv_i4_channel_big", (1, 16, 40, 40), 24, (3, 3), "channel", {"pads": [1, 1, 1, 1]}),
        ("conv_u4_block16_1x1_relu", (1, 16, 5, 5), 8, (1, 1), "block16", {}),
        ("conv_i4_channel_3x3_leaky", (1, 4, 6, 6), 6, (3, 3), "channel", {"pads": [1, 1, 1, 1]}),
        ("conv_i4_blockvary_ref", (1, 32, 6, 6), 8, (3, 3), "blockvary16", {}),
        ("conv_u4_block4_ref", (1, 8, 6, 6), 8, (3, 3), "block4", {}),
        ("conv_i4_group2_ref", (1, 8, 6, 6), 6, (3, 3), "channel", {"group": 2}),
        # flat [M, C * taps] weights in blocks of consecutive k -> Reshape -> Conv (qinfer's quantizer writes these)
        ("conv_i4_flat32_3x3_bias", (1, 20, 7, 7), 10, (3, 3), "flat32", {"pads": [1, 1, 1, 1]}),
        ("conv_u4_flat16_1d", (2, 6, 20), 5, (5,), "flat16", {"kernel_shape": [5], "strides": [2]}),
        ("conv_i4_flat64_1x1_relu", (1, 100, 4, 4), 9, (1, 1), "flat64", {}),
        ("conv_u4_flat8_ref", (1, 8, 6, 6), 4, (3, 3), "flat8", {}),
    )
    for name, xshape, m, ks, lay, cat in specs:
        cname = f"w4a32_{name}"
        r = h.rng_for(cname)
        signed = "_i4_" in cname
        c = xshape[1] // cat.get("group", 1)
        flat = lay.startswith("flat")
        wshape = (m, c * int(np.prod(ks))) if flat else (m, c) + ks
        q = r.integers(-8, 8, wshape) if signed else r.integers(0, 16, wshape)
        at = {}
        if lay == "tensor":
            pshape = ()
        elif lay == "channel":
            pshape, at = (m,), {"axis": 0}
        elif flat:
            bl = int(lay[4:])
            pshape, at = (m, -(-wshape[1] // bl)), {"axis": 1, "block_size": bl}
        else:
            bl = int(lay.replace("blockvary", "").replace("block", ""))
            pshape, at = (m, -(-c // bl)) + ks, {"axis": 1, "block_size": bl}
        sc = r.uniform(0.01, 0.1, pshape).astype(np.float32)
        zp = r.integers(-8, 8, pshape) if signed else r.integers(0, 16, pshape)
        if lay.startswith("block") and not lay.startswith("blockvary"):  # the same at every tap
            sc = np.broadcast_to(sc[..., :1, :1] if len(ks) == 2 else sc[..., :1], pshape).copy()
            zp = np.broadcast_to(zp[..., :1, :1] if len(ks) == 2 else zp[..., :1], pshape).copy()
        inits = [nib_tensor("wq", q, signed, wshape), h.numpy_helper.from_array(sc, "ws"),
                 nib_tensor("wz", zp, signed, pshape)]
        ins = ["x", "w"]
        if "bias" in name:
            inits.append(h.numpy_helper.from_array(r.standard_normal(m).astype(np.float32), "b"))
            ins.append("b")
        act = "relu" in name or "leaky" in name
        nodes = [helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wf" if flat else "w"], name="dq", **at)]
        if flat:
            inits.append(h.numpy_helper.from_array(np.array((m, c) + ks, np.int64), "wshape"))
            nodes.append(helper.make_node("Reshape", ["wf", "wshape"], ["w"], name="reshape"))
        nodes += [helper.make_node("Conv", ins, ["c" if act else "y"], name="conv", **cat)]
        if "relu" in name:  # fused into ConvQB4W as its clamp, LeakyRelu after its run
            nodes.append(helper.make_node("Relu", ["c"], ["y"], name="relu"))
        if "leaky" in name:
            nodes.append(helper.make_node("LeakyRelu", ["c"], ["y"], name="leaky", alpha=0.1))
        mdl, feeds = h.make_model(cname, nodes, [("x", r.standard_normal(xshape).astype(np.float32))], [("y", "f")],
                                  21)
        mdl.graph.initializer.extend(inits)
        out.append(h.Case(cname, mdl, feeds, atol=1e-4, rtol=1e-4))
    return out
