"""16-bit activations (W8A16) against ONNX Runtime (run by run_quant_ops.py): QuantizeLinear / DequantizeLinear
of int16 and uint16 (opset 21: per tensor, per axis, blocked; saturation at the 16-bit range) and graphs where 8-
and 16-bit tensors meet (a requantizing DQ -> Q from 16 to 8 bits, an 8-bit Add fed by a 16-bit producer), and
W8A16 Conv / MatMul / Gemm patterns (qinfer's QLinearConv16 / QLinearMatMul16) and a small CNN with a skip
connection, compared dequantized within one output step (ORT computes them in float).

Q / DQ must match ORT exactly (the same IEEE operations: a division, half-to-even rounding, a clamp; a
subtraction and a multiply). The mixed graphs run qinfer's float DQ -> Q path (16-bit tensors never enter the
8-bit integer ops) and must match exactly as well; the 8-bit Add, which qinfer fuses into QLinearAdd, is compared
as the other QLinearAdd cases are (steps=1, cases_elem.py's docstring)."""
import numpy as np
from onnx import TensorProto, helper

OPSET = 21


def CASES(h):
    C, rng_for, op_case, graph_case = h.C, h.rng_for, h.op_case, h.graph_case
    h.DT.setdefault("i16", TensorProto.INT16)
    h.DT.setdefault("u16", TensorProto.UINT16)
    out = []

    def add(c):
        out.append(c)
        return c

    def q16(r, shape, s16):
        return (r.integers(-32768, 32768, shape).astype(np.int16) if s16 else
                r.integers(0, 65536, shape).astype(np.uint16))

    def zp(v, s16):
        return np.array(v, np.int16 if s16 else np.uint16)

    def t(s16):
        return "s16" if s16 else "u16"

    # ---------------------------------------------------------------- QuantizeLinear to 16 bits
    def quant(name, x, scale, zero=None, attrs=None, s16=True, runtime=False):
        s = np.asarray(scale, np.float32)
        ins = [("x", x), ("y_scale", s if runtime else C(s))]
        if zero is not None:
            ins.append(("y_zero_point", zero if runtime else C(zero)))
        add(op_case(name, "QuantizeLinear", ins, [("y", "i16" if s16 else "u16")], OPSET, attrs))

    for s16 in (False, True):
        r = rng_for(f"q16_tensor_{s16}")
        x = (r.standard_normal((3, 41)) * 3.0).astype(np.float32)
        # ties, saturation at both ends, infinities
        x[0, :10] = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1e9, -1e9, np.inf, -np.inf], np.float32) * 1e-4
        x[1, :4] = [5.0, -5.0, 3.2767, -3.2768]
        quant(f"q16_tensor_{t(s16)}", x, np.float32(1e-4), zp(-17 if s16 else 32800, s16), s16=s16)
        quant(f"q16_tensor_zp_edge_{t(s16)}", x, np.float32(3.1e-4), zp(32767 if s16 else 0, s16), s16=s16)
        for axis, shape in ((1, (2, 5, 4, 3)), (0, (6, 7)), (-1, (3, 4, 9))):
            r = rng_for(f"q16_axis{axis}_{s16}")
            c = shape[axis]
            sc = r.uniform(1e-4, 1e-3, c).astype(np.float32)
            z = zp(r.integers(-300, 300, c) + (0 if s16 else 32768), s16)
            quant(f"q16_axis{axis}_{t(s16)}".replace("-", "m"), (r.standard_normal(shape) * 8).astype(np.float32),
                  sc, z, {"axis": axis}, s16)
        for name, shape, axis, bs in (("q16_block_ax1", (4, 6), 1, 2), ("q16_block_ax0_short", (10, 3), 0, 4)):
            r = rng_for(name + t(s16))
            sshape = list(shape)
            sshape[axis] = -(-shape[axis] // bs)
            sc = r.uniform(1e-4, 1e-3, sshape).astype(np.float32)
            z = zp(r.integers(-50, 50, sshape) + (0 if s16 else 32768), s16)
            quant(f"{name}_{t(s16)}", (r.standard_normal(shape) * 4).astype(np.float32), sc, z,
                  {"axis": axis, "block_size": bs}, s16)
    r = rng_for("q16_output_dtype")
    quant("q16_output_dtype_int16", (r.standard_normal((5, 7)) * 2).astype(np.float32), np.float32(1e-4),
          attrs={"output_dtype": TensorProto.INT16})
    quant("q16_output_dtype_uint16", np.abs(r.standard_normal((5, 7)) * 2).astype(np.float32), np.float32(1e-4),
          attrs={"output_dtype": TensorProto.UINT16}, s16=False)
    quant("q16_runtime_params", (r.standard_normal((3, 11)) * 2).astype(np.float32), np.array(2e-4, np.float32),
          np.array(-5, np.int16), runtime=True)

    # ---------------------------------------------------------------- DequantizeLinear of 16 bits
    def dequant(name, x, scale, zero=None, attrs=None):
        s = np.asarray(scale, np.float32)
        ins = [("x", x), ("x_scale", C(s))]
        if zero is not None:
            ins.append(("x_zero_point", C(zero)))
        add(op_case(name, "DequantizeLinear", ins, ["y"], OPSET, attrs, exact=True))

    for s16 in (False, True):
        r = rng_for(f"dq16_{s16}")
        x = q16(r, (5, 33), s16)
        x.flat[:2] = (-32768, 32767) if s16 else (0, 65535)
        dequant(f"dq16_tensor_{t(s16)}", x, np.float32(3.7e-4), zp(-7 if s16 else 32760, s16))
        dequant(f"dq16_no_zero_point_{t(s16)}", q16(r, (2, 3, 4), s16), np.float32(0.0123))
        for axis, shape in ((1, (2, 5, 3, 3)), (-1, (3, 7))):
            c = shape[axis]
            dequant(f"dq16_axis{axis}_{t(s16)}".replace("-", "m"), q16(r, shape, s16),
                    r.uniform(1e-4, 1e-3, c).astype(np.float32),
                    zp(r.integers(-200, 200, c) + (0 if s16 else 32768), s16), {"axis": axis})
        sshape = (4, 2)
        dequant(f"dq16_block_ax1_{t(s16)}", q16(r, (4, 8), s16), r.uniform(1e-4, 1e-3, sshape).astype(np.float32),
                zp(r.integers(-10, 10, sshape) + (0 if s16 else 32768), s16), {"axis": 1, "block_size": 4})

    # ---------------------------------------------------------------- mixed 8 / 16-bit graphs
    def qdq(x, q, s, z, prefix, nodes, inits):
        """x -> Q(s, z) -> q -> DQ -> prefix_dq; z's dtype picks the quantized type."""
        inits += [(f"{prefix}_s", C(np.array(s, np.float32))), (f"{prefix}_z", C(z))]
        nodes += [helper.make_node("QuantizeLinear", [x, f"{prefix}_s", f"{prefix}_z"], [q]),
                  helper.make_node("DequantizeLinear", [q, f"{prefix}_s", f"{prefix}_z"], [f"{prefix}_dq"])]
        return f"{prefix}_dq"

    for s16 in (False, True):
        r = rng_for(f"mixed_requant_{s16}")
        x = (r.standard_normal((2, 3, 9, 11)) * 2).astype(np.float32)
        nodes, inits = [], []
        a = qdq("x", "x16", 1.3e-4, zp(11 if s16 else 32768 + 11, s16), "a", nodes, inits)
        b = qdq(a, "x8", 0.0311, np.array(3, np.int8), "b", nodes, inits)
        nodes.append(helper.make_node("Identity", ["x8"], ["y8"]))
        nodes.append(helper.make_node("Identity", [b], ["y"]))
        add(graph_case(f"mixed_requant_16_to_8_{t(s16)}", nodes, [("x", x)] + inits, [("y8", "i8"), ("y", "f")],
                       OPSET, exact=True))

        # an 8-bit Add fed by a 16-bit producer: DQ(16) -> Relu -> Q(8) -> DQ -> Add(DQ(8)) -> Q(8)
        r = rng_for(f"mixed_add_{s16}")
        x = (r.standard_normal((2, 4, 7, 5)) * 2).astype(np.float32)
        x2 = (r.standard_normal((2, 4, 7, 5)) * 2).astype(np.float32)
        nodes, inits = [], []
        a = qdq("x", "x16", 2.1e-4, zp(-40 if s16 else 32700, s16), "a", nodes, inits)
        nodes.append(helper.make_node("Relu", [a], ["r"]))
        b = qdq("r", "r8", 0.0273, np.array(0, np.uint8), "b", nodes, inits)
        c = qdq("x2", "x2_8", 0.0419, np.array(121, np.uint8), "c", nodes, inits)
        nodes.append(helper.make_node("Add", [b, c], ["s"]))
        inits += [("y_s", C(np.array(0.0533, np.float32))), ("y_z", C(np.array(97, np.uint8)))]
        nodes.append(helper.make_node("QuantizeLinear", ["s", "y_s", "y_z"], ["y"]))
        add(graph_case(f"mixed_add8_after_16_{t(s16)}", nodes, [("x", x), ("x2", x2)] + inits, [("y", "u8")],
                       OPSET, steps=1))

    # ---------------------------------------------------------------- W8A16 products (QLinearConv16 / QLinearMatMul16)
    # DQ(x 16-bit), DQ(w int8 const) -> Conv / MatMul / Gemm [-> Relu] -> Q, which qinfer fuses into its integer
    # ops while ORT runs them in float (it has no 16-bit integer conv). The outputs are compared dequantized, within
    # one output step: the exact integer sum and ORT's float sum may round to neighbouring steps.
    def w8(r, shape, axis):
        w = r.standard_normal(shape).astype(np.float32) * 0.2
        red = tuple(i for i in range(len(shape)) if i != axis)
        ws = (np.abs(w).max(axis=red) / 127).astype(np.float32)
        ws_b = ws.reshape([-1 if i == axis else 1 for i in range(len(shape))])
        return np.clip(np.round(w / ws_b), -127, 127).astype(np.int8), ws

    class G:
        """A graph under construction: initializers and nodes."""
        def __init__(self):
            self.nodes, self.inits, self.k = [], [], 0

        def c(self, name, v):
            self.inits.append((name, C(v)))
            return name

        def qdq(self, x, s, z):
            self.k += 1
            p = f"t{self.k}"
            self.c(p + "_s", np.array(s, np.float32))
            self.c(p + "_z", z)
            self.nodes += [helper.make_node("QuantizeLinear", [x, p + "_s", p + "_z"], [p + "_q"]),
                           helper.make_node("DequantizeLinear", [p + "_q", p + "_s", p + "_z"], [p])]
            return p

        def weight(self, name, q, s, axis):
            self.c(name + "_q", q)
            self.c(name + "_s", s)
            self.nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_s"], [name], axis=axis))
            return name

        def bias(self, name, b, scale):
            self.c(name + "_q", np.round(b / scale).astype(np.int32))
            self.c(name + "_s", scale.astype(np.float32))
            self.nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_s"], [name], axis=0))
            return name

        def op(self, op, ins, **attrs):
            self.k += 1
            y = f"y{self.k}"
            self.nodes.append(helper.make_node(op, ins, [y], **attrs))
            return y

    def x_params(s16, scale):
        return scale, zp(0 if s16 else 32768 + 123, s16)

    def y_params(kind, scale):
        """kind: s16 / u16 / u8 -> (scale, zero point)"""
        return {"s16": (scale, zp(0, True)), "u16": (scale, zp(31000, False)),
                "u8": (scale * 200, np.array(7, np.uint8))}[kind]

    def w8a16_conv(name, s16, out, xshape, cout, kernel, group=1, relu=False, bias=True, **attrs):
        r = rng_for(name)
        g = G()
        x = (r.standard_normal(xshape) * 2).astype(np.float32)
        xs, xz = x_params(s16, 2.3e-4)
        a = g.qdq("x", xs, xz)
        wq, ws = w8(r, (cout, xshape[1] // group) + kernel, 0)
        ins = [a, g.weight("w", wq, ws, 0)]
        if bias:
            ins.append(g.bias("b", r.standard_normal(cout).astype(np.float32) * 0.3, xs * ws))
        y = g.op("Conv", ins, group=group, **attrs)
        if relu:
            y = g.op("Relu", [y])
        ys, yz = y_params(out, 6e-4)
        yq = g.qdq(y, ys, yz)
        g.nodes.append(helper.make_node("Identity", [yq], ["out"]))
        add(graph_case(name, g.nodes, [("x", x)] + g.inits, [("out", "f")], OPSET, atol=ys * 1.01, rtol=0.0))

    for s16 in (True, False):
        for out_kind in ("s16", "u16", "u8"):
            w8a16_conv(f"w8a16_conv3x3_{t(s16)}_to_{out_kind}", s16, out_kind, (1, 8, 11, 13), 12, (3, 3),
                       pads=[1, 1, 1, 1])
        w8a16_conv(f"w8a16_conv_stride_relu_{t(s16)}", s16, "s16", (2, 6, 15, 14), 10, (3, 2), relu=True,
                   strides=[2, 2], pads=[1, 0, 1, 1])
        w8a16_conv(f"w8a16_conv_group2_{t(s16)}", s16, "u16", (1, 8, 9, 9), 6, (3, 3), group=2, pads=[1, 1, 1, 1])
        w8a16_conv(f"w8a16_depthwise_{t(s16)}", s16, "s16", (1, 12, 10, 10), 12, (3, 3), group=12,
                   pads=[1, 1, 1, 1], relu=True)
        w8a16_conv(f"w8a16_conv1x1_nobias_{t(s16)}", s16, "s16", (1, 40, 7, 7), 24, (1, 1), bias=False)
    # a long K: sums beyond 2^24 and many chunks of 256
    w8a16_conv("w8a16_conv_long_k_s16", True, "s16", (1, 256, 6, 6), 8, (3, 3), pads=[1, 1, 1, 1])

    def w8a16_matmul(name, s16, out, xshape, n, gemm=False, trans_b=False, bias=False):
        r = rng_for(name)
        g = G()
        x = (r.standard_normal(xshape) * 2).astype(np.float32)
        xs, xz = x_params(s16, 2.1e-4)
        a = g.qdq("x", xs, xz)
        k = xshape[-1]
        wq, ws = w8(r, (n, k) if trans_b else (k, n), 0 if trans_b else 1)
        ins = [a, g.weight("w", wq, ws, 0 if trans_b else 1)]
        if bias:
            ins.append(g.bias("b", r.standard_normal(n).astype(np.float32) * 0.3, xs * ws))
        y = g.op("Gemm", ins, transB=1 if trans_b else 0) if gemm else g.op("MatMul", ins)
        ys, yz = y_params(out, 5e-4)
        yq = g.qdq(y, ys, yz)
        g.nodes.append(helper.make_node("Identity", [yq], ["out"]))
        add(graph_case(name, g.nodes, [("x", x)] + g.inits, [("out", "f")], OPSET, atol=ys * 1.01, rtol=0.0))

    for s16 in (True, False):
        w8a16_matmul(f"w8a16_matmul_3d_{t(s16)}", s16, "s16", (2, 5, 19), 12)
        w8a16_matmul(f"w8a16_matmul_to_u8_{t(s16)}", s16, "u8", (7, 33), 9)
        w8a16_matmul(f"w8a16_gemm_transb_bias_{t(s16)}", s16, "u16", (4, 20), 10, gemm=True, trans_b=True,
                     bias=True)
        w8a16_matmul(f"w8a16_gemm_bias_{t(s16)}", s16, "s16", (3, 17), 6, gemm=True, bias=True)

    # a small CNN with a skip connection: conv -> relu -> conv -> Add(skip) -> relu -> conv -> global pool -> gemm,
    # every activation int16 (the Add and the pooling run in float between Q / DQ)
    for s16 in (True, False):
        name = f"w8a16_cnn_skip_{t(s16)}"
        r = rng_for(name)
        g = G()
        x = (r.standard_normal((1, 3, 16, 16))).astype(np.float32)

        def q(v, sc):
            return g.qdq(v, *x_params(s16, sc))

        def conv(v, xs, cin, cout, relu, k=3):
            wq, ws = w8(r, (cout, cin, k, k), 0)
            b = g.bias(f"b{g.k}", r.standard_normal(cout).astype(np.float32) * 0.1, xs * ws)
            y = g.op("Conv", [v, g.weight(f"w{g.k}", wq, ws, 0), b], pads=[k // 2] * 4)
            return g.op("Relu", [y]) if relu else y

        a = q("x", 1.2e-4)
        c1 = q(conv(a, 1.2e-4, 3, 8, True), 3e-4)
        c2 = q(conv(c1, 3e-4, 8, 8, False), 4e-4)
        s_ = q(g.op("Relu", [g.op("Add", [c1, c2])]), 5e-4)
        c3 = q(conv(s_, 5e-4, 8, 16, True), 5e-4)
        p = q(g.op("Flatten", [g.op("GlobalAveragePool", [c3])]), 2e-4)
        wq, ws = w8(r, (10, 16), 0)
        y = g.op("Gemm", [p, g.weight("wfc", wq, ws, 0),
                          g.bias("bfc", r.standard_normal(10).astype(np.float32) * 0.1, 2e-4 * ws)], transB=1)
        yq = g.qdq(y, *x_params(s16, 3e-4))
        g.nodes.append(helper.make_node("Identity", [yq], ["out"]))
        add(graph_case(name, g.nodes, [("x", x)] + g.inits, [("out", "f")], OPSET, atol=3e-4 * 1.01, rtol=0.0))
    return out
