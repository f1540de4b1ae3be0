"""ONNX Runtime's QOperator transformer ops (com.microsoft QLinearSoftmax, QLinearWhere, QLinearReduceMean,
QAttention) against ONNX Runtime (run by run_quant_ops.py).

QLinearSoftmax and QLinearWhere reproduce ORT's arithmetic (its exponent table, float sum in axis order and
floor(1 / y_scale); its requantization tables) and must match exactly. Two departures: a softmax of one value,
where ORT's uint8 product overflows to infinity and comes out as the zero point (compared with numpy: probability
1, saturated); and QLinearReduceMean, which ORT has no CPU kernel for, so its cases run in ORT as
DequantizeLinear -> ReduceMean -> QuantizeLinear, the op's spec, with steps=1 (qinfer sums the integers exactly and
requantizes once; ORT rounds a float mean summed in its own order: one step apart at most, where the mean is next
to a half step).
QAttention's output is float: compared within float tolerances (see qattention cases)."""
import numpy as np
from onnx import helper

MS = (("com.microsoft", 1),)

ORT_DEVIATIONS = {}


def CASES(h):
    C, rng_for, op_case = h.C, h.rng_for, h.op_case
    out = []

    def add(c):
        out.append(c)
        return c

    def q8(r, shape, s8):
        return r.integers(-128, 128, shape).astype(np.int8) if s8 else r.integers(0, 256, shape).astype(np.uint8)

    def zp(v, s8):
        return np.array(v, np.int8 if s8 else np.uint8)

    def f(v):
        return np.array(v, np.float32)

    # ---------------------------------------------------------------- QLinearSoftmax
    def qsoftmax(name, shape, s8, xs, ys, yz, opset=13, axis=None, xz=3, data=None, runtime=False, lo=None):
        r = rng_for(name)
        off = 0 if s8 else 128
        x = data if data is not None else q8(r, shape, s8)
        if lo is not None:  # a narrow spread: rows dominated by their largest value
            x = (r.integers(0, lo, shape) + (-128 if s8 else 0)).astype(x.dtype)
            x.reshape(-1, shape[-1])[:, 0] = 127 if s8 else 255
        pv = (lambda a: a) if runtime else C
        ins = [("X", x), ("X_scale", pv(f(xs))), ("x_zero_point", pv(zp(xz + off, s8))), ("y_scale", pv(f(ys))),
               ("y_zero_point", pv(zp(yz, s8)))]
        attrs = {"domain": "com.microsoft", "opset": opset}
        if axis is not None:
            attrs["axis"] = axis
        return add(op_case(name, "QLinearSoftmax", ins, [("Y", "i8" if s8 else "u8")], 13, attrs,
                           extra_opsets=MS))

    for s8 in (False, True):
        t = "s8" if s8 else "u8"
        yz = -128 if s8 else 0
        qsoftmax(f"qsoftmax_last_{t}", (2, 3, 40), s8, 0.0713, 1 / 256, yz)
        qsoftmax(f"qsoftmax_vit_heads_{t}", (1, 4, 50, 50), s8, 0.0437, 1 / 256, yz)
        qsoftmax(f"qsoftmax_axis1_{t}", (2, 5, 7, 3), s8, 0.1129, 1 / 256, yz, axis=1)
        qsoftmax(f"qsoftmax_axis0_{t}", (6, 4, 5), s8, 0.0291, 1 / 256, yz, axis=0)
        qsoftmax(f"qsoftmax_axism2_{t}", (3, 9, 4), s8, 0.0517, 1 / 256, yz, axis=-2)
        # axis absent: ORT's schema default -1 at every opset (not Softmax-11's 1)
        qsoftmax(f"qsoftmax_opset11_default_axis_{t}", (2, 3, 4, 5), s8, 0.0613, 1 / 256, yz, opset=11)
        qsoftmax(f"qsoftmax_opset1_axis2_{t}", (2, 3, 4, 5), s8, 0.0827, 1 / 256, yz, opset=1, axis=2)
        qsoftmax(f"qsoftmax_opset12_axis0_{t}", (3, 2, 6), s8, 0.0209, 1 / 256, yz, opset=12, axis=0)
        qsoftmax(f"qsoftmax_opset13_default_axis_{t}", (4, 33), s8, 0.0301, 1 / 256, yz, xz=-20)
        qsoftmax(f"qsoftmax_long_{t}", (2, 5000), s8, 0.0173, 1 / 256, yz)
        qsoftmax(f"qsoftmax_wide_scale_{t}", (5, 17), s8, 0.9137, 1 / 256, yz)
        qsoftmax(f"qsoftmax_tiny_scale_{t}", (5, 17), s8, 0.00021, 1 / 256, yz)
        # other output scales: floor(1 / y_scale) as ORT (0.01f -> 100, 0.0123 -> 81, 0.3 -> 3)
        qsoftmax(f"qsoftmax_yscale_0p01_{t}", (4, 20), s8, 0.0713, 0.01, yz + 5)
        qsoftmax(f"qsoftmax_yscale_0p0123_{t}", (4, 20), s8, 0.0713, 0.0123, yz)
        qsoftmax(f"qsoftmax_yscale_0p3_{t}", (4, 20), s8, 0.0713, 0.3, yz + 2)
        qsoftmax(f"qsoftmax_runtime_params_{t}", (3, 30), s8, 0.0391, 1 / 256, yz, runtime=True)
    # a softmax of one value is 1: ORT's uint8 path overflows (T[255] * 256 is above FLT_MAX) and writes 0
    # a softmax of one value is 1: ORT's uint8 product e * 256 overflows to infinity and comes out as 0 + zero point
    qsoftmax("qsoftmax_len1_s8", (3, 1), True, 0.05, 1 / 256, -100)
    c = qsoftmax("qsoftmax_len1_u8", (3, 1), False, 0.05, 1 / 256, 10)
    c.ref = lambda feeds: [np.full(feeds["X"].shape, 255, np.uint8)]
    ORT_DEVIATIONS[c.name] = ("softmax over one value: ORT's float product e * 256 overflows to infinity and its "
                              "uint8 conversion gives 0 (output: the zero point, 10); reference: numpy, "
                              "probability 1 saturated to 255")
    # rows dominated by their largest value: probabilities of 1 saturate (255; int8 127 with zero point -128)
    qsoftmax("qsoftmax_dominant_u8", (6, 12), False, 0.71, 1 / 256, 0, lo=200)
    qsoftmax("qsoftmax_dominant_s8", (6, 12), True, 0.71, 1 / 256, -128, lo=200)
    qsoftmax("qsoftmax_dominant_opset11_s8", (2, 1, 12), True, 0.93, 1 / 256, -128, lo=200, opset=11)

    # ---------------------------------------------------------------- QLinearWhere
    def qwhere(name, cshape, xshape, yshape, s8, xp, yp, zp_, runtime=False):
        r = rng_for(name)
        off = 0 if s8 else 128
        pv = (lambda a: a) if runtime else C
        ins = [("condition", r.integers(0, 2, cshape).astype(bool)), ("X", q8(r, xshape, s8)),
               ("x_scale", pv(f(xp[0]))), ("x_zero_point", pv(zp(xp[1] + off, s8))), ("Y", q8(r, yshape, s8)),
               ("y_scale", pv(f(yp[0]))), ("y_zero_point", pv(zp(yp[1] + off, s8))), ("z_scale", pv(f(zp_[0]))),
               ("z_zero_point", pv(zp(zp_[1] + off, s8)))]
        add(op_case(name, "QLinearWhere", ins, [("Z", "i8" if s8 else "u8")], 13, {"domain": "com.microsoft"},
                    extra_opsets=MS))

    for s8 in (False, True):
        t = "s8" if s8 else "u8"
        qwhere(f"qwhere_same_{t}", (2, 3, 17), (2, 3, 17), (2, 3, 17), s8, (0.0213, 5), (0.0347, -9), (0.0419, 3))
        qwhere(f"qwhere_bcast_{t}", (4, 1), (1, 5), (4, 5), s8, (0.1, -20), (0.0291, 30), (0.0177, 0))
        qwhere(f"qwhere_scalar_y_{t}", (2, 8, 9), (2, 8, 9), (), s8, (0.0531, 0), (0.25, 100), (0.0531, 0))
        qwhere(f"qwhere_mask_{t}", (1, 1, 6, 6), (2, 3, 6, 6), (1,), s8, (0.047, 12), (0.047, 12), (0.047, 12))
        qwhere(f"qwhere_saturate_{t}", (3, 40), (3, 40), (3, 40), s8, (0.5, -100), (0.4, 90), (0.01, 1))
        qwhere(f"qwhere_runtime_params_{t}", (3, 11), (3, 11), (1, 11), s8, (0.0213, 5), (0.0347, -9), (0.0419, 3),
               runtime=True)

    # ---------------------------------------------------------------- QLinearReduceMean
    def qreduce_mean(name, shape, axes, keepdims, s8, xp=(0.0473, 3), yp=(0.0391, -2)):
        r = rng_for(name)
        off = 0 if s8 else 128
        x = q8(r, shape, s8)
        params = [("data_scale", C(f(xp[0]))), ("data_zero_point", C(zp(xp[1] + off, s8))),
                  ("reduced_scale", C(f(yp[0]))), ("reduced_zero_point", C(zp(yp[1] + off, s8)))]
        c = add(op_case(name, "QLinearReduceMean", [("data", x)] + params, [("reduced", "i8" if s8 else "u8")], 13,
                        {"domain": "com.microsoft", "axes": axes, "keepdims": keepdims}, extra_opsets=MS, steps=1))
        nodes = [helper.make_node("DequantizeLinear", ["data", "data_scale", "data_zero_point"], ["xf"]),
                 helper.make_node("ReduceMean", ["xf"], ["yf"], axes=axes, keepdims=keepdims),
                 helper.make_node("QuantizeLinear", ["yf", "reduced_scale", "reduced_zero_point"], ["reduced"])]
        c.ort_model = h.make_model(name, nodes, [("data", x)] + params, [("reduced", "i8" if s8 else "u8")], 13)[0]
        ORT_DEVIATIONS[name] = ("ORT 1.30 has no CPU kernel for QLinearReduceMean; reference: ORT's "
                                "DequantizeLinear -> ReduceMean -> QuantizeLinear (the op's spec)")

    for s8 in (False, True):
        t = "s8" if s8 else "u8"
        qreduce_mean(f"qreducemean_last_keep_{t}", (2, 50, 64), [-1], 1, s8)
        qreduce_mean(f"qreducemean_axis1_nokeep_{t}", (3, 7, 5), [1], 0, s8, (0.0213, -10), (0.0109, 7))
        qreduce_mean(f"qreducemean_axes02_{t}", (4, 3, 6), [0, 2], 1, s8)
        qreduce_mean(f"qreducemean_hw_{t}", (1, 16, 9, 9), [2, 3], 1, s8, (0.0821, 0), (0.0337, 0))
        qreduce_mean(f"qreducemean_all_axes_{t}", (3, 4, 5), [0, 1, 2], 0, s8)
        qreduce_mean(f"qreducemean_saturate_{t}", (2, 8, 4), [1], 1, s8, (0.5, -128), (0.01, 100))

    # ---------------------------------------------------------------- QAttention
    # int8 weights are drawn from [-64, 63]: ORT's uint8 x int8 gemm without VNNI saturates int16 pair sums
    # (tests/common/ort_u8s8.py), which 7-bit weights cannot reach (255 * 64 * 2 < 32768); uint8 weights use its
    # exact uint8 x uint8 path over the whole range.
    def qattention(name, batch, seq, d_in, hidden, heads, w_s8=True, per_column=False, mask=None, xz=True,
                   wz=True, runtime=False, attrs=None):
        r = rng_for(name)
        x = r.integers(0, 256, (batch, seq, d_in)).astype(np.uint8)
        w = (r.integers(-64, 64, (d_in, 3 * hidden)).astype(np.int8) if w_s8
             else r.integers(0, 256, (d_in, 3 * hidden)).astype(np.uint8))
        ncol = 3 * hidden if per_column else 1
        ws = r.uniform(0.002, 0.01, ncol).astype(np.float32)
        wzv = (r.integers(-5, 6, ncol) if w_s8 else r.integers(118, 139, ncol)).astype(w.dtype)
        if not per_column:
            ws, wzv = ws.reshape(()), wzv.reshape(())
        pv = (lambda a: a) if runtime else C
        ins = [("input", x), ("weight", C(w)), ("bias", C(r.standard_normal(3 * hidden).astype(np.float32))),
               ("input_scale", pv(f(0.0173))), ("weight_scale", C(ws)),
               None if mask is None else ("mask_index", mask(r)),
               ("input_zero_point", pv(np.array(131, np.uint8))) if xz else None,
               ("weight_zero_point", C(wzv)) if wz else None]
        while ins[-1] is None:
            ins.pop()
        add(op_case(name, "QAttention", ins, [("output", "f")], 13,
                    dict(attrs or {}, domain="com.microsoft", num_heads=heads), extra_opsets=MS))

    i32 = lambda v: (lambda r: np.array(v, np.int32))
    qattention("qattention_s8w", 2, 5, 8, 8, 2)
    qattention("qattention_u8w", 2, 5, 8, 8, 2, w_s8=False)
    qattention("qattention_per_column_s8w", 2, 6, 12, 12, 3, per_column=True)
    qattention("qattention_per_column_u8w", 1, 7, 16, 8, 2, w_s8=False, per_column=True)
    qattention("qattention_bert_like", 1, 16, 64, 64, 4)
    qattention("qattention_pruned_input", 2, 4, 20, 8, 4)  # input hidden 20 > hidden 8
    qattention("qattention_no_zero_points", 2, 5, 8, 8, 1, xz=False, wz=False)
    qattention("qattention_runtime_input_params", 2, 5, 8, 8, 2, runtime=True)
    qattention("qattention_mask_end", 3, 6, 8, 8, 2, mask=i32([6, 3, 1]))
    qattention("qattention_mask_end_start", 2, 6, 8, 8, 2, mask=i32([5, 6, 1, 2]))
    qattention("qattention_mask_2d", 2, 6, 8, 8, 2,
               mask=lambda r: np.concatenate([np.ones((2, 1)), r.integers(0, 2, (2, 5))], 1).astype(np.int32))
    qattention("qattention_mask_3d", 2, 4, 8, 8, 2,
               mask=lambda r: np.concatenate([np.ones((2, 4, 1)), r.integers(0, 2, (2, 4, 3))], 2).astype(np.int32))
    qattention("qattention_unidirectional", 2, 6, 8, 8, 2, attrs={"unidirectional": 1})
    qattention("qattention_unidirectional_mask", 2, 6, 8, 8, 2, mask=i32([4, 6]), attrs={"unidirectional": 1})
    qattention("qattention_scale_filter", 2, 6, 8, 8, 2, mask=i32([2, 5]),
               attrs={"scale": 0.3, "mask_filter_value": -50.0})
    return out
