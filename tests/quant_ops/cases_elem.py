"""QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and the com.microsoft elementwise QLinear ops
(Add, Mul, Concat, Sigmoid, LeakyRelu) against ONNX Runtime (run by run_quant_ops.py).

Q/DQ, DynamicQuantizeLinear and the lookup-table ops QLinearSigmoid / QLinearLeakyRelu must match exactly (the
same IEEE operations as ORT; the sigmoid and leaky-relu tables are checked on every byte for several parameter
sets). QLinearAdd, QLinearMul and QLinearConcat are made with steps=1: QLinearAdd rescales in fixed point
(docs/quantization.md), QLinearMul and QLinearConcat use the requantization rule (a float multiply by a composed
scale) where ORT divides; results may differ by one step where the real value is (next to) a tie: ORT rounds after adding
the output zero point (ties go to even y, not to even y - zp) and its concat divides by the output scale where
qinfer multiplies by s_in / s_out. The scales here are arbitrary floats, as a calibration gives them: with
"round" decimal scales (0.02, 0.03, ...) many real values are exact ties and up to a few percent of the outputs
differ by one step, all of them ties."""
import numpy as np

MS = (("com.microsoft", 1),)


def CASES(h):
    C, rng_for, op_case = h.C, h.rng_for, h.op_case
    out = []

    def add(c):
        out.append(c)
        return c

    def f32(r, shape, scale=1.0):
        return (r.standard_normal(shape) * scale).astype(np.float32)

    def q8(r, shape, s8):
        return r.integers(-128, 128, shape).astype(np.int8) if s8 else r.integers(0, 256, shape).astype(np.uint8)

    def zp(v, s8):
        return np.array(v, np.int8 if s8 else np.uint8)

    # ---------------------------------------------------------------- QuantizeLinear
    def quant(name, opset, x, scale, zero=None, attrs=None, out_dt="u8", runtime=False):
        s = np.asarray(scale, np.float32)
        ins = [("x", x), ("y_scale", s if runtime else C(s))]
        if zero is not None:
            ins.append(("y_zero_point", zero if runtime else C(zero)))
        add(op_case(name, "QuantizeLinear", ins, [("y", out_dt)], opset, attrs))

    for opset in (10, 13, 19, 21, 23):
        for s8 in (False, True):
            r = rng_for(f"q{opset}_{s8}")
            x = f32(r, (3, 37), 4.0)
            x[0, :9] = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1000.0, -1000.0, np.inf], np.float32) * 0.125
            x[1, :2] = [np.inf, -np.inf]
            quant(f"q{opset}_{'s8' if s8 else 'u8'}_tensor", opset, x, np.float32(0.125), zp(-3 if s8 else 131, s8),
                  out_dt="i8" if s8 else "u8")
    r = rng_for("q13_default_zp")
    quant("q13_no_zero_point", 13, f32(r, (4, 5, 6)), np.float32(0.02))
    quant("q13_scale_1d_one", 13, f32(r, (4, 5)), np.array([0.03], np.float32), np.array([100], np.uint8))
    for axis, shape in ((1, (2, 5, 4, 3)), (0, (6, 7)), (-1, (3, 4, 9)), (2, (2, 3, 4, 5))):
        for s8 in (False, True):
            r = rng_for(f"q13_axis{axis}_{s8}")
            c = shape[axis]
            sc = r.uniform(0.005, 0.1, c).astype(np.float32)
            z = zp(r.integers(-20, 20, c) + (0 if s8 else 128), s8)
            quant(f"q13_axis{axis}_{'s8' if s8 else 'u8'}".replace("-", "m"), 13, f32(r, shape, 2.0), sc, z,
                  {"axis": axis}, "i8" if s8 else "u8")
    r = rng_for("q19_axis")
    quant("q19_axis1_s8", 19, f32(r, (2, 8, 5)), r.uniform(0.01, 0.1, 8).astype(np.float32),
          zp(r.integers(-10, 10, 8), True), {"axis": 1}, "i8")
    # blocked (21): block_size along axis; the last block may be short
    for name, shape, axis, bs, s8 in (("q21_block_ax1_u8", (4, 6), 1, 2, False), ("q21_block_ax1_short_s8", (3, 7), 1, 3, True),
                                     ("q21_block_ax0_u8", (10, 3), 0, 4, False), ("q23_block_ax2_s8", (2, 3, 8), 2, 4, True)):
        r = rng_for(name)
        sshape = list(shape)
        sshape[axis] = -(-shape[axis] // bs)
        sc = r.uniform(0.01, 0.1, sshape).astype(np.float32)
        z = zp(r.integers(-10, 10, sshape) + (0 if s8 else 128), s8)
        quant(name, 21 if name.startswith("q21") else 23, f32(r, shape), sc, z, {"axis": axis, "block_size": bs},
              "i8" if s8 else "u8")
    r = rng_for("q21_output_dtype")
    quant("q21_output_dtype_int8", 21, f32(r, (5, 7)), np.float32(0.01), attrs={"output_dtype": 3}, out_dt="i8")
    quant("q21_output_dtype_uint8", 21, f32(r, (5, 7)), np.float32(0.01), attrs={"output_dtype": 2})
    # scale and zero point computed at run time (graph inputs)
    quant("q13_runtime_params", 13, f32(r, (3, 11)), np.array(0.05, np.float32), np.array(7, np.uint8),
          runtime=True)
    quant("q13_runtime_per_axis", 13, f32(r, (3, 11)), np.array([0.05, 0.02, 0.1], np.float32),
          np.array([-3, 0, 9], np.int8), {"axis": 0}, "i8", runtime=True)

    # ---------------------------------------------------------------- DequantizeLinear
    def dequant(name, opset, x, scale, zero=None, attrs=None, runtime=False):
        s = np.asarray(scale, np.float32)
        ins = [("x", x), ("x_scale", s if runtime else C(s))]
        if zero is not None:
            ins.append(("x_zero_point", zero if runtime else C(zero)))
        add(op_case(name, "DequantizeLinear", ins, ["y"], opset, attrs, exact=True))

    for opset in (10, 13, 19, 21, 23):
        for s8 in (False, True):
            r = rng_for(f"dq{opset}_{s8}")
            dequant(f"dq{opset}_{'s8' if s8 else 'u8'}_tensor", opset, q8(r, (5, 33), s8), np.float32(0.0371),
                    zp(-7 if s8 else 140, s8))
    r = rng_for("dq_int32")
    dequant("dq13_int32", 13, r.integers(-100000, 100000, (4, 9)).astype(np.int32), np.float32(0.0003))
    dequant("dq13_int32_zero_zp", 13, r.integers(-100000, 100000, (9,)).astype(np.int32), np.float32(0.001),
            np.array(0, np.int32))
    dequant("dq13_int32_axis0", 13, r.integers(-1000, 1000, (3, 5)).astype(np.int32),
            np.array([0.1, 0.2, 0.3], np.float32), attrs={"axis": 0})
    dequant("dq13_no_zero_point", 13, q8(r, (2, 3, 4), False), np.float32(0.5))
    for axis, shape in ((1, (2, 5, 3, 3)), (0, (4, 6)), (-1, (3, 7))):
        for s8 in (False, True):
            r = rng_for(f"dq13_axis{axis}_{s8}")
            c = shape[axis]
            dequant(f"dq13_axis{axis}_{'s8' if s8 else 'u8'}".replace("-", "m"), 13, q8(r, shape, s8),
                    r.uniform(0.005, 0.1, c).astype(np.float32), zp(r.integers(-20, 20, c) + (0 if s8 else 128), s8),
                    {"axis": axis})
    for name, shape, axis, bs, s8 in (("dq21_block_ax1_s8", (4, 8), 1, 4, True), ("dq21_block_ax0_u8", (7, 3), 0, 2, False),
                                     ("dq23_block_ax1_short_u8", (2, 10, 3), 1, 4, False)):
        r = rng_for(name)
        sshape = list(shape)
        sshape[axis] = -(-shape[axis] // bs)
        dequant(name, 21 if name.startswith("dq21") else 23, q8(r, shape, s8),
                r.uniform(0.01, 0.1, sshape).astype(np.float32),
                zp(r.integers(-10, 10, sshape) + (0 if s8 else 128), s8), {"axis": axis, "block_size": bs})
    r = rng_for("dq_runtime")
    dequant("dq13_runtime_params", 13, q8(r, (6, 5), True), np.array(0.25, np.float32), np.array(-4, np.int8),
            runtime=True)

    # ---------------------------------------------------------------- DynamicQuantizeLinear
    def dyn(name, x):
        add(op_case(name, "DynamicQuantizeLinear", [("x", x)], [("y", "u8"), "y_scale", ("y_zero_point", "u8")],
                    11, exact=True))

    r = rng_for("dynamic")
    dyn("dynq_normal", f32(r, (4, 33), 3.0))
    dyn("dynq_positive", np.abs(f32(r, (5, 7))) + 0.5)
    dyn("dynq_negative", -np.abs(f32(r, (5, 7))) - 0.25)
    dyn("dynq_zeros", np.zeros((3, 4), np.float32))
    dyn("dynq_constant", np.full((2, 9), 3.0, np.float32))
    dyn("dynq_large", f32(r, (3, 64, 65), 10.0))

    # ---------------------------------------------------------------- QLinearAdd / QLinearMul
    def qbin(name, op, a_shape, b_shape, s8, params=None, runtime=False):
        r = rng_for(name)
        sa, za, sb, zb, sy, zy = params or (0.0213, 5, 0.0347, -9, 0.0419, 3)
        off = 0 if s8 else 128
        def sv(v):
            a = np.array([v] if runtime else v, np.float32)
            return a if runtime else C(a)
        def zv(v):
            a = zp([v + off] if runtime else v + off, s8)
            return a if runtime else C(a)
        ins = [("A", q8(r, a_shape, s8)), ("A_scale", sv(sa)), ("A_zero_point", zv(za)), ("B", q8(r, b_shape, s8)),
               ("B_scale", sv(sb)), ("B_zero_point", zv(zb)), ("C_scale", sv(sy)), ("C_zero_point", zv(zy))]
        add(op_case(name, op, ins, [("C", "i8" if s8 else "u8")], 13, {"domain": "com.microsoft"},
                    extra_opsets=MS, steps=1))

    for op in ("QLinearAdd", "QLinearMul"):
        p = "qadd" if op == "QLinearAdd" else "qmul"
        for s8 in (False, True):
            t = "s8" if s8 else "u8"
            qbin(f"{p}_same_{t}", op, (2, 3, 17, 19), (2, 3, 17, 19), s8)
            qbin(f"{p}_scalar_b_{t}", op, (3, 41), (), s8)
            qbin(f"{p}_scalar_a_{t}", op, (1,), (4, 37), s8)
            qbin(f"{p}_channel_{t}", op, (2, 8, 5, 7), (1, 8, 1, 1), s8)
            qbin(f"{p}_row_{t}", op, (6, 33), (33,), s8)
            qbin(f"{p}_outer_{t}", op, (5, 1), (1, 23), s8)
            qbin(f"{p}_general_{t}", op, (2, 1, 4, 9), (3, 1, 9), s8)
        qbin(f"{p}_wide_ratio_u8", op, (4, 50), (4, 50), False, (0.517, 0, 0.00113, 72, 0.0109, 0))
        # power-of-two scales: the add's multipliers are exact, ties are real ties, rounded half to even as ORT
        # does when the output zero point is even
        qbin(f"{p}_dyadic_u8", op, (8, 64), (8, 64), False, (0.25, 0, 0.125, -4, 0.5, 0))
        qbin(f"{p}_tiny_scales_s8", op, (3, 30), (3, 30), True, (1e-4, -10, 2e-4, 20, 3e-4, -5))
        # (parameters computed at run time: ORT 1.30 refuses non-constant scales for these ops, "Scale and
        # Zero-point must be a scalar"; test_ops_quant_elem covers them)

    # ---------------------------------------------------------------- QLinearConcat
    def qconcat(name, shapes, axis, params, yparams, s8):
        r = rng_for(name)
        off = 0 if s8 else 128
        ins = [("Y_scale", C(np.array(yparams[0], np.float32))), ("Y_zero_point", C(zp(yparams[1] + off, s8)))]
        for i, (shape, (s, z)) in enumerate(zip(shapes, params)):
            ins += [(f"X{i}", q8(r, shape, s8)), (f"X{i}_scale", C(np.array(s, np.float32))),
                    (f"X{i}_zero_point", C(zp(z + off, s8)))]
        add(op_case(name, "QLinearConcat", ins, [("Y", "i8" if s8 else "u8")], 13,
                    {"domain": "com.microsoft", "axis": axis}, extra_opsets=MS, steps=1))

    for s8 in (False, True):
        t = "s8" if s8 else "u8"
        qconcat(f"qconcat_mixed_axis1_{t}", [(2, 3, 5), (2, 4, 5), (2, 1, 5)], 1,
                [(0.0513, 3), (0.1027, -2), (0.0219, 0)], (0.0513, 3), s8)
        qconcat(f"qconcat_mixed_last_{t}", [(3, 7), (3, 9)], -1, [(0.0137, 10), (0.0311, -20)], (0.0229, 1), s8)
        qconcat(f"qconcat_axis0_{t}", [(2, 6), (5, 6), (1, 6)], 0, [(0.2, 0), (0.2, 0), (0.0533, 30)], (0.2, 0), s8)
        qconcat(f"qconcat_all_bytes_{t}", [(4, 256), (4, 256)], 1, [(0.0173, 7), (0.0291, -11)], (0.0337, 2), s8)

    # ---------------------------------------------------------------- QLinearSigmoid / QLinearLeakyRelu
    def qunary(name, op, shape, s8, xp, yp, attrs=None, every_byte=False):
        r = rng_for(name)
        off = 0 if s8 else 128
        x = (np.arange(256) - off).astype(np.int8 if s8 else np.uint8) if every_byte else q8(r, shape, s8)
        ins = [("X", x), ("X_scale", C(np.array(xp[0], np.float32))),
               ("X_zero_point", C(zp(xp[1] + off, s8))), ("Y_scale", C(np.array(yp[0], np.float32))),
               ("Y_zero_point", C(zp(yp[1] + off, s8)))]
        add(op_case(name, op, ins, [("Y", "i8" if s8 else "u8")], 13, dict(attrs or {}, domain="com.microsoft"),
                    extra_opsets=MS))

    for s8 in (False, True):
        t = "s8" if s8 else "u8"
        for i, (xp, yp, alpha) in enumerate((((0.0173, 3), (1 / 256, -128), 0.01), ((0.113, -40), (0.0041, 17), 0.3),
                                             ((0.0021, 90), (0.0009, -100), 0.2), ((0.37, -128), (0.0313, 0), 0.07))):
            qunary(f"qsigmoid_every_byte{i}_{t}", "QLinearSigmoid", None, s8, xp, yp, every_byte=True)
            qunary(f"qleakyrelu_every_byte{i}_{t}", "QLinearLeakyRelu", None, s8, xp, (yp[0] * 7, yp[1]),
                   {"alpha": alpha}, every_byte=True)
        qunary(f"qsigmoid_{t}", "QLinearSigmoid", (2, 3, 40, 7), s8, (0.05, 0), (1.0 / 256, -128))
        qunary(f"qsigmoid_wide_{t}", "QLinearSigmoid", (300,), s8, (0.1, 20), (0.004, -100))
        qunary(f"qleakyrelu_{t}", "QLinearLeakyRelu", (4, 50), s8, (0.03, -5), (0.02, -40), {"alpha": 0.1})
        qunary(f"qleakyrelu_default_{t}", "QLinearLeakyRelu", (4, 50), s8, (0.03, 10), (0.03, 10))
    return out
