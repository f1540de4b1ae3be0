"""qinfer vs ONNX Runtime: com.microsoft DynamicQuantizeMatMul and MatMulIntegerToFloat (the integer product with
a float output and a run-time scale, engine/ops/quant_dynamic.c). Collected by tests/quant_ops/run_quant_ops.py
through CASES(h), h being tests/ops_ort/run_ops_ort.py.

Both runtimes compute y = float32(sum_k (a - a_zp) * (b - b_zp[n])) * (a_scale * b_scale[n]) + bias[n], with A
quantized as DynamicQuantizeLinear does for DynamicQuantizeMatMul; the outputs are compared with the float
tolerance of run_ops_ort.py (ATOL 1e-5 + RTOL 1e-4; ORT's MLAS may fuse the scale and bias into one
multiply-add). Every case also has an exact numpy reference written from those formulas (float32 arithmetic,
int64 sums), against which qinfer must be bit-equal (`exact`): on an x86 CPU without VNNI, where ORT's uint8 x
int8 product saturates, the int8-weight cases are compared with that reference instead of ORT (the cases with
uint8 weights, zero point 128 or any, run ORT's exact uint8 x uint8 path everywhere).
B uint8 with zero point 128 and int8 B take qinfer's gemm path; a zero point far from 128 (b - b_zp outside
[-128, 127]) its generic loop.
"""
import numpy as np
from onnx import helper

MS = (("com.microsoft", 1),)
F32 = np.float32
U8S8 = ("ONNX Runtime's uint8 x int8 product saturates int16 pair sums on x86 CPUs without VNNI (tests/common/"
        "ort_u8s8.py); reference: numpy, from the formulas above, bit-exact")
ORT_DEVIATIONS = {"dqmm_s8w_per_column": U8S8, "mmitf_u8_s8w_per_column": U8S8}


def dynamic_quantize(a):
    """DynamicQuantizeLinear (ONNX): uint8, range [min(a, 0), max(a, 0)]; float32 arithmetic."""
    lo, hi = F32(min(a.min(), 0)), F32(max(a.max(), 0))
    scale = F32((hi - lo) / F32(255)) if hi > lo else F32(1)
    zp = np.clip(np.rint(F32(0) - lo / scale), 0, 255)
    return np.clip(np.rint(a / scale) + zp, 0, 255).astype(np.uint8), scale, int(zp)


def reference(a, a_scale, a_zp, b, b_scale, b_zp, bias):
    acc = (a.astype(np.int64) - a_zp) @ (b.astype(np.int64) - np.asarray(b_zp, np.int64))
    y = acc.astype(np.int32).astype(F32) * (F32(a_scale) * np.asarray(b_scale, F32)).astype(F32)
    return y + bias.astype(F32) if bias is not None else y


def CASES(h):
    cases = []
    C = h.C

    def b_operand(r, k, n, b_dt, zp_kind, per_column):
        shape = (n,) if per_column else ()
        if b_dt == np.int8:
            b = r.integers(-128, 128, size=(k, n)).astype(np.int8)
            bz = np.zeros(shape, np.int8)
        else:
            b = r.integers(0, 256, size=(k, n)).astype(np.uint8)
            bz = (np.full(shape, 128) if zp_kind == "128" else r.integers(3, 40, size=shape)).astype(np.uint8)
        bs = r.uniform(0.002, 0.02, size=shape).astype(np.float32)
        return b, bz, bs

    def dqmm(name, a_shape, n, b_dt=np.uint8, zp_kind="128", per_column=True, bias=True, zp_input=True):
        r = h.rng_for(name)
        k = a_shape[-1]
        a = (r.standard_normal(a_shape) * 2 + 0.3).astype(np.float32)
        b, bz, bs = b_operand(r, k, n, b_dt, zp_kind, per_column)
        bias_v = r.standard_normal(n).astype(np.float32) if bias else None
        ins = [("A", a), ("B", C(b)), ("b_scale", C(bs)), ("b_zero_point", C(bz)) if zp_input else None,
               ("bias", C(bias_v)) if bias else None]
        while ins[-1] is None:
            ins.pop()
        node = helper.make_node("DynamicQuantizeMatMul", ["" if i is None else i[0] for i in ins], ["Y"],
                                name="DynamicQuantizeMatMul_0", domain="com.microsoft")

        def ref(feeds):
            aq, s, z = dynamic_quantize(feeds["A"])
            return [reference(aq, s, z, b, bs, bz if zp_input else 0, bias_v)]
        c = h.graph_case(name, [node], [i for i in ins if i is not None], [("Y", "f")], 13, extra_opsets=MS)
        c.cross_ref = ref
        if b_dt == np.int8:  # uint8 x int8: the exact reference (ORT saturates on CPUs without VNNI)
            c.ref, c.exact = ref, True
        cases.append(c)

    dqmm("dqmm_u8w_zp128_per_column_bias", [5, 40], 24)
    dqmm("dqmm_u8w_zp_far_generic_3d", [2, 3, 17], 9, zp_kind="far", per_column=False, bias=False)
    dqmm("dqmm_u8w_no_zero_point", [4, 33], 7, zp_kind="128", bias=False, zp_input=False)
    dqmm("dqmm_s8w_per_column", [6, 70], 20, b_dt=np.int8)

    def mmitf(name, a_shape, n, a_dt=np.uint8, b_dt=np.uint8, zp_kind="128", per_column=True, bias=True):
        r = h.rng_for(name)
        k = a_shape[-1]
        lo, hi = (-128, 127) if a_dt == np.int8 else (0, 255)
        a = r.integers(lo, hi + 1, size=a_shape).astype(a_dt)
        az = a_dt(r.integers(lo + 20, hi - 20))
        a_s = np.float32(r.uniform(0.01, 0.05))
        b, bz, bs = b_operand(r, k, n, b_dt, zp_kind, per_column)
        bias_v = r.standard_normal(n).astype(np.float32) if bias else None
        ins = [("A", a), ("B", C(b)), ("a_scale", C(a_s)), ("b_scale", C(bs)), ("a_zero_point", C(az)),
               ("b_zero_point", C(bz)), ("bias", C(bias_v)) if bias else None]
        while ins[-1] is None:
            ins.pop()
        node = helper.make_node("MatMulIntegerToFloat", [i[0] for i in ins], ["Y"], name="MatMulIntegerToFloat_0",
                                domain="com.microsoft")

        def ref(feeds):
            return [reference(feeds["A"], a_s, int(az), b, bs, bz, bias_v)]
        c = h.graph_case(name, [node], ins[:len(ins)], [("Y", "f")], 13, extra_opsets=MS)
        c.cross_ref = ref
        if a_dt == np.uint8 and b_dt == np.int8:
            c.ref, c.exact = ref, True
        cases.append(c)

    mmitf("mmitf_u8_u8w_per_column_bias", [7, 33], 10)
    mmitf("mmitf_s8_s8w", [2, 5, 40], 12, a_dt=np.int8, b_dt=np.int8, bias=False)
    mmitf("mmitf_u8_u8w_far_generic", [3, 19], 5, zp_kind="far", per_column=False)
    mmitf("mmitf_u8_s8w_per_column", [9, 64], 16, b_dt=np.int8)
    return cases
