"""qinfer vs ONNX Runtime: W4A8 QDQ models, DQ(x uint8 / int8), DQ(w int4 / uint4 constant) [, bias] -> Conv /
MatMul / Gemm [-> Relu / Clip] -> Q, opset 21, the weights per tensor, per output channel or in blocks of
16 / 32 / 64 / 128 along the reduction (Conv: input channels, the parameters repeated over the kernel taps; or the
weight flat [M, C/g * kh * kw] in blocks of consecutive k -> Reshape -> Conv), with and without zero points. Collected by tests/quant_ops/run_quant_ops.py through CASES(h), h being
tests/ops_ort/run_ops_ort.py; tests/quant/run_w4a8_isa.py runs the same models on every ISA path.

qinfer fuses them into ai.qinfer QLinearConvW4 / QLinearMatMulW4 on the qb4w integer kernels (FUSED says which
must be fused; the others stay on the float path: activations per axis, Conv block parameters that vary over the
taps, Gemm with transA or alpha != 1). ONNX Runtime runs them in float through DequantizeLinear, so the integer
results may differ from its float-then-quantize ones by rounding: steps=1 (at most one step, in at most 0.1% of the
elements). Biases: DQ(int32) at x_scale * w_scale (what quantizers write: exact through the int32 rule), DQ(int32)
at a scale of its own, or float (both taken as their float value).
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 21
INT4, UINT4 = 22, 21  # TensorProto.INT4 / UINT4 (the onnx package here may predate the names)

# case name -> whether qinfer must fuse it into a W4A8 op (checked by tests/quant/run_w4a8_isa.py)
FUSED = {}


def int4_init(name, q, signed):
    """An int4 / uint4 initializer: two values per byte, low nibble first."""
    t = onnx.TensorProto()
    t.name = name
    t.data_type = INT4 if signed else UINT4
    t.dims.extend(q.shape)
    nib = (q.astype(np.int64).ravel() & 15).astype(np.uint8)
    if nib.size % 2:
        nib = np.append(nib, np.uint8(0))
    t.raw_data = (nib[0::2] | (nib[1::2] << 4)).astype(np.uint8).tobytes()
    return t


def _conv_f(x, w, group, strides, pads, dil):
    """Float convolution (2-D, NCHW) for choosing y_scale."""
    n, _, hh, ww = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (hh + pads[0] + pads[2] - (kh - 1) * dil[0] - 1) // strides[0] + 1
    ow = (ww + pads[1] + pads[3] - (kw - 1) * dil[1] - 1) // strides[1] + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xg = xp[:, g * cg:(g + 1) * cg]
        for ky in range(kh):
            for kx in range(kw):
                y0, x0 = ky * dil[0], kx * dil[1]
                patch = xg[:, :, y0:y0 + (oh - 1) * strides[0] + 1:strides[0], x0:x0 + (ow - 1) * strides[1] + 1:strides[1]]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, w[g * mg:(g + 1) * mg, :, ky, kx])
    return y


def _expand(p, shape, axis, block):
    """Per-block parameters (shaped like w with ceil(len / block) along axis) repeated to w's shape."""
    return np.repeat(p, block, axis=axis).take(np.arange(shape[axis]), axis=axis)


def CASES(h):
    cases = []

    def w4(name, op, x_shape, w_shape, signed=True, w_zp=False, block=0, per_tensor=False, x_dt=np.uint8,
           bias="float", act=None, fused=True, taps_vary=False, x_per_axis=False, trans_a=0, trans_b=0, alpha=1.0,
           flat=False, **attrs):
        r = h.rng_for(name)
        conv, gemm = op == "Conv", op == "Gemm"
        lo, hi = (-8, 7) if signed else (0, 15)
        conv_shape = list(w_shape)
        if flat:  # the Conv weight stored [M, K] in blocks of K (32 consecutive im2col k a scale) -> Reshape
            w_shape = [w_shape[0], int(np.prod(w_shape[1:]))]
        q = r.integers(lo, hi + 1, size=w_shape)
        out_axis, k_axis = (0, 1) if conv or (gemm and trans_b) else (1, 0)
        m = w_shape[out_axis]
        if per_tensor:
            ps_shape = ()
        elif block:
            ps_shape = list(w_shape)
            ps_shape[k_axis] = -(-w_shape[k_axis] // block)
        else:
            ps_shape = (m,)
        ws = r.uniform(0.02, 0.2, size=ps_shape).astype(np.float32)
        wz = r.integers(lo, hi + 1, size=ps_shape) if w_zp else np.zeros(ps_shape, np.int64)
        if conv and block and not taps_vary and not flat:  # one value per (channel, block), repeated over the taps
            for p in (ws, wz):
                p[...] = p[:, :, :1, :1] if len(w_shape) == 4 else p[:, :, :1]
        if block:
            s_full, z_full = _expand(ws, w_shape, k_axis, block), _expand(wz, w_shape, k_axis, block)
        elif per_tensor:
            s_full, z_full = ws, wz
        else:
            shp = [1] * len(w_shape)
            shp[out_axis] = m
            s_full, z_full = ws.reshape(shp), wz.reshape(shp)
        wf = ((q - z_full).astype(np.float64) * s_full).reshape(conv_shape)

        xlo, xhi = (-128, 127) if x_dt == np.int8 else (0, 255)
        x = r.integers(xlo, xhi + 1, size=x_shape).astype(x_dt)
        xs = np.float32(r.uniform(0.01, 0.05))
        xz = x_dt(r.integers(xlo + 40, xhi - 40 + 1))
        xf = (x.astype(np.float64) - float(xz)) * xs
        if conv:
            x4, w4_ = (xf, wf) if len(x_shape) == 4 else (xf[:, :, None, :], wf[:, :, None, :])
            sp = len(x_shape) - 2
            pads = attrs.get("pads", [0] * 2 * sp)
            pads4 = pads if sp == 2 else [0, pads[0], 0, pads[1]]
            st = attrs.get("strides", [1] * sp)
            yf = _conv_f(x4, w4_, attrs.get("group", 1), st if sp == 2 else [1, st[0]], pads4, [1, 1])
            if sp == 1:
                yf = yf[:, :, 0, :]
        else:
            a = xf.T if trans_a else xf
            yf = alpha * (a @ (wf.T if trans_b else wf))

        inits = [helper.make_tensor("x_scale", TensorProto.FLOAT, [], [xs]),
                 numpy_helper.from_array(np.array(xz, x_dt), "x_zero_point"),
                 int4_init("w", q, signed), numpy_helper.from_array(ws, "w_scale")]
        nodes = [helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zero_point"], ["xf"], name="dq_x")]
        if x_per_axis:  # activations quantized per channel: the pass leaves the pattern in float
            c = x_shape[1]
            inits[0] = numpy_helper.from_array(np.full((c,), xs, np.float32), "x_scale")
            inits[1] = numpy_helper.from_array(np.full((c,), xz, x_dt), "x_zero_point")
            nodes[0] = helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zero_point"], ["xf"], name="dq_x",
                                        axis=1)
        w_ins = ["w", "w_scale"]
        if w_zp:
            inits.append(int4_init("w_zero_point", wz, signed))
            w_ins.append("w_zero_point")
        dq_attrs = {"axis": k_axis if block else out_axis} if not per_tensor else {}
        if block:
            dq_attrs["block_size"] = block
        nodes.append(helper.make_node("DequantizeLinear", w_ins, ["wflat" if flat else "wf"], name="dq_w", **dq_attrs))
        if flat:
            inits.append(numpy_helper.from_array(np.array(conv_shape, np.int64), "w_shape"))
            nodes.append(helper.make_node("Reshape", ["wflat", "w_shape"], ["wf"], name="reshape_w"))
        op_ins = ["xf", "wf"]
        if bias and op != "MatMul":
            if bias.startswith("int32"):  # at x_scale * w_scale (per channel), or a scale of its own
                own = block or per_tensor or bias == "int32_own_scale"
                bsc = np.float32(xs * 0.05) if own else (xs * ws).astype(np.float32)
                bq = r.integers(-3000, 3000, size=(m,)).astype(np.int32)
                inits += [numpy_helper.from_array(bq, "bias_q"), numpy_helper.from_array(np.asarray(bsc), "bias_scale")]
                nodes.append(helper.make_node("DequantizeLinear", ["bias_q", "bias_scale"], ["bias"], name="dq_b",
                                              **({"axis": 0} if np.ndim(bsc) else {})))
                bf = bq * np.broadcast_to(bsc, (m,)).astype(np.float64)
            else:
                bf = r.uniform(-1, 1, size=(m,)).astype(np.float32) * np.float32(np.abs(yf).max() * 0.3)
                inits.append(numpy_helper.from_array(bf.astype(np.float32), "bias"))
            op_ins.append("bias")
            yf = yf + (bf.reshape((1, m) + (1,) * (yf.ndim - 2)) if conv else bf)
        op_attrs = dict(attrs)
        if gemm:
            op_attrs.update(transA=trans_a, transB=trans_b, alpha=alpha)
        nodes.append(helper.make_node(op, op_ins, ["yf"], name=f"{op.lower()}_0", **op_attrs))
        y_in = "yf"
        if act == "relu":
            nodes.append(helper.make_node("Relu", ["yf"], ["ya"], name="relu_0"))
            y_in, yf = "ya", np.maximum(yf, 0)
        elif act == "clip":
            lim = np.float32(np.abs(yf).max() * 0.5)
            inits += [helper.make_tensor("lo", TensorProto.FLOAT, [], [-lim * 0.2]),
                      helper.make_tensor("hi", TensorProto.FLOAT, [], [lim])]
            nodes.append(helper.make_node("Clip", ["yf", "lo", "hi"], ["ya"], name="clip_0"))
            y_in, yf = "ya", np.clip(yf, -lim * 0.2, lim)
        ys = np.float32(max(np.abs(yf).max(), 1e-3) / 110.0)
        yz = x_dt(0 if x_dt == np.int8 else 128) if act is None else x_dt(-100 if x_dt == np.int8 else 20)
        inits += [helper.make_tensor("y_scale", TensorProto.FLOAT, [], [ys]),
                  numpy_helper.from_array(np.array(yz, x_dt), "y_zero_point")]
        nodes.append(helper.make_node("QuantizeLinear", [y_in, "y_scale", "y_zero_point"], ["y"], name="q_y"))
        g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", h.NP_TO_ONNX[np.dtype(x_dt)], x_shape)],
                              [helper.make_tensor_value_info("y", h.NP_TO_ONNX[np.dtype(x_dt)], None)],
                              initializer=inits)
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="qinfer-w4a8")
        model.ir_version = 10
        cases.append(h.Case(name, model, {"x": x}, steps=1))
        FUSED[name] = fused

    # Conv: per channel (int32 bias at x_scale * w_scale: the INT8 rule), per tensor, blocks along input channels
    w4("w4a8_conv_int4_pc_3x3", "Conv", [1, 16, 9, 9], [24, 16, 3, 3], bias="int32", act="relu", pads=[1, 1, 1, 1])
    w4("w4a8_conv_uint4_zp_pc_s2", "Conv", [2, 8, 11, 10], [12, 8, 3, 3], signed=False, w_zp=True, strides=[2, 2],
       pads=[1, 0, 1, 1])
    w4("w4a8_conv_int4_per_tensor", "Conv", [1, 6, 7, 7], [8, 6, 3, 3], per_tensor=True, bias=None)
    w4("w4a8_conv_int4_pc_s8_clip", "Conv", [1, 12, 8, 8], [20, 12, 1, 1], x_dt=np.int8, act="clip")
    w4("w4a8_conv_int4_1d", "Conv", [2, 10, 17], [6, 10, 3], bias="int32", pads=[1, 1])
    w4("w4a8_conv_int4_pc_int32bias_own_scale", "Conv", [1, 8, 7, 7], [16, 8, 3, 3], bias="int32_own_scale",
       pads=[1, 1, 1, 1])
    w4("w4a8_conv_int4_block16_3x3", "Conv", [1, 32, 8, 8], [16, 32, 3, 3], block=16, pads=[1, 1, 1, 1])
    w4("w4a8_conv_uint4_zp_block32_1x1", "Conv", [1, 64, 6, 6], [24, 64, 1, 1], signed=False, w_zp=True, block=32,
       act="relu")
    w4("w4a8_conv_int4_block64_zp_int32bias", "Conv", [1, 128, 5, 5], [32, 128, 1, 1], w_zp=True, block=64,
       bias="int32")
    w4("w4a8_conv_int4_block128_tail", "Conv", [1, 160, 4, 4], [16, 160, 1, 1], block=128)
    w4("w4a8_conv_int4_group2_block16", "Conv", [1, 64, 7, 7], [16, 32, 3, 3], block=16, group=2, strides=[2, 2],
       pads=[1, 1, 1, 1])
    w4("w4a8_conv_int4_depthwise_pc", "Conv", [1, 16, 10, 10], [16, 1, 3, 3], bias="int32", group=16,
       pads=[1, 1, 1, 1], act="relu")
    w4("w4a8_conv_uint4_depthwise_block16", "Conv", [1, 16, 9, 9], [32, 1, 3, 3], signed=False, w_zp=True, block=16,
       group=16, pads=[1, 1, 1, 1])
    # flat [M, K] weights blocked along K -> Reshape -> Conv (qinfer's quantizer writes them: a scale per 32 k)
    w4("w4a8_conv_int4_flat_block32_3x3", "Conv", [1, 20, 7, 7], [16, 20, 3, 3], flat=True, block=32,
       pads=[1, 1, 1, 1], kernel_shape=[3, 3], act="relu")
    w4("w4a8_conv_uint4_zp_flat_block16_s2", "Conv", [2, 6, 9, 8], [8, 6, 3, 3], signed=False, w_zp=True, flat=True,
       block=16, strides=[2, 2], pads=[0, 1, 1, 0], bias="int32")
    w4("w4a8_conv_int4_flat_block32_1d", "Conv", [1, 12, 15], [10, 12, 5], flat=True, block=32, pads=[2, 2])
    w4("w4a8_conv_int4_flat_block64_group2", "Conv", [1, 32, 6, 6], [12, 16, 3, 3], flat=True, block=64, group=2)
    # refused: the float path
    w4("w4a8_conv_block16_taps_vary", "Conv", [1, 32, 6, 6], [8, 32, 3, 3], block=16, taps_vary=True, fused=False)
    w4("w4a8_conv_x_per_axis", "Conv", [1, 8, 6, 6], [8, 8, 3, 3], x_per_axis=True, fused=False)

    # MatMul: B [K, N] per column or in blocks along K (K not a multiple of the block too)
    w4("w4a8_matmul_int4_pc", "MatMul", [7, 64], [64, 24])
    w4("w4a8_matmul_uint4_zp_block16", "MatMul", [5, 48], [48, 40], signed=False, w_zp=True, block=16)
    w4("w4a8_matmul_int4_block32_3d", "MatMul", [2, 9, 96], [96, 17], block=32, act="relu")
    w4("w4a8_matmul_int4_block64_tail", "MatMul", [3, 200], [200, 33], block=64)
    w4("w4a8_matmul_uint4_zp_block128", "MatMul", [4, 300], [300, 20], signed=False, w_zp=True, block=128)
    w4("w4a8_matmul_int4_s8_block32", "MatMul", [6, 64], [64, 16], x_dt=np.int8, block=32)

    # Gemm: B [N, K] with transB, or [K, N]
    w4("w4a8_gemm_int4_transb_pc", "Gemm", [8, 64], [32, 64], trans_b=1, act="relu")
    w4("w4a8_gemm_uint4_zp_transb_block32", "Gemm", [5, 96], [24, 96], trans_b=1, signed=False, w_zp=True, block=32,
       bias="int32")
    w4("w4a8_gemm_int4_block16", "Gemm", [5, 80], [80, 12], block=16)
    w4("w4a8_gemm_int4_pc_int32bias", "Gemm", [3, 40], [40, 10], bias="int32")
    # refused: the float path
    w4("w4a8_gemm_transa", "Gemm", [64, 4], [64, 8], trans_a=1, fused=False)
    w4("w4a8_gemm_alpha", "Gemm", [4, 32], [32, 8], alpha=0.5, bias=None, fused=False)
    return cases
