"""16-bit activations (W8A16) against ONNX Runtime (run by run_quant_ops.py): QuantizeLinear / DequantizeLinear
of int16 and uint16 (opset 21: per tensor, per axis, blocked; saturation at the 16-bit range) and graphs where 8-
and 16-bit tensors meet (a requantizing DQ -> Q from 16 to 8 bits, an 8-bit Add fed by a 16-bit producer).

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
    return out
