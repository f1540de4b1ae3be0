"""com.microsoft QLinearGlobalAveragePool and QLinearAveragePool against ONNX Runtime (run by
run_quant_ops.py).

qinfer sums x - x_zero_point exactly in int32 and requantizes with the scale x_scale / (y_scale * count)
(kernels/requant.h, docs/quantization.md); ORT's QLinearAveragePool dequantizes, averages in float and
quantizes, so the two round differently where the exact quotient is (within a few float ulps of) a half
step. The cases are made with steps=1: at least 99.9% of the elements equal, none more than one step apart.
Scales are arbitrary calibration-like values: scale pairs in simple ratios (0.05 / 0.04) make exact ties
common, and ORT's float sum then rounds either way (measured: 1-5% of the outputs one step apart on such
windowed cases; global pooling matches exactly). count_include_pad divides by the whole window, as ORT's
QLinearAveragePool does, also for ceil_mode windows that overhang the padded input. Coverage:
uint8 and int8, channels first and last, 1-3 spatial dims, global pooling over planes from 1 to 3136 values,
kernels 1..7, strides, explicit and asymmetric pads, auto_pad SAME_UPPER / SAME_LOWER / VALID, ceil_mode,
count_include_pad, extreme zero points, scale ratios that saturate, scales given at run time."""
import numpy as np

MS = (("com.microsoft", 1),)

ORT_UNSUPPORTED = {
    "qap_runtime_params_u8": "ORT 1.30's QLinearAveragePool shape inference wants constant scales and zero points "
                             "('Scale and Zero-point must be a scalar'); qinfer reads them at run time",
    "qap_runtime_params_s8": "same as qap_runtime_params_u8",
    "qgap_no_zero_points_u8": "ORT's schema makes both zero points of QLinearGlobalAveragePool required (5 inputs); "
                              "qinfer takes absent ones as 0",
    "qap_no_zero_points_u8": "ORT's type inference refuses QLinearAveragePool without zero points; qinfer takes "
                             "absent ones as 0",
}


def CASES(h):
    C, rng_for, op_case = h.C, h.rng_for, h.op_case
    out = []

    def q8(r, shape, s8):
        return r.integers(-128, 128, shape).astype(np.int8) if s8 else r.integers(0, 256, shape).astype(np.uint8)

    def pool(name, op, shape, s8, xp=(0.0473, 3), yp=(0.0391, -2), attrs=None, runtime=False, no_zp=False):
        """xp, yp: (scale, zero point as an int8 value; uint8 tensors add 128)."""
        r = rng_for(name)
        off = 0 if s8 else 128

        def sv(v):
            a = np.array(v, np.float32)
            return a if runtime else C(a)

        def zv(v):
            a = np.array(v + off, np.int8 if s8 else np.uint8)
            return a if runtime else C(a)

        ins = [("X", q8(r, shape, s8)), ("x_scale", sv(xp[0])), None if no_zp else ("x_zero_point", zv(xp[1])),
               ("y_scale", sv(yp[0])), None if no_zp else ("y_zero_point", zv(yp[1]))]
        if no_zp:
            ins = ins[:4]
        out.append(op_case(name, op, ins, [("Y", "i8" if s8 else "u8")], 13,
                           dict(attrs or {}, domain="com.microsoft"), extra_opsets=MS, steps=1))

    G, A = "QLinearGlobalAveragePool", "QLinearAveragePool"
    for s8 in (False, True):
        t = "s8" if s8 else "u8"
        # ------------------------------------------------------------ global
        pool(f"qgap_mbv2_head_{t}", G, (1, 1280, 7, 7), s8)
        pool(f"qgap_small_{t}", G, (2, 3, 5, 7), s8, (0.1, -7), (0.03, 11))
        pool(f"qgap_1x1_{t}", G, (2, 8, 1, 1), s8, (0.02, 0), (0.02, 0))
        pool(f"qgap_1d_{t}", G, (2, 4, 9), s8)
        pool(f"qgap_3d_{t}", G, (1, 3, 2, 3, 4), s8)
        pool(f"qgap_56x56_{t}", G, (1, 24, 56, 56), s8, (0.013, 4), (0.002, -1))
        pool(f"qgap_saturate_{t}", G, (1, 16, 9, 9), s8, (0.5, -128), (0.01, 127))
        pool(f"qgap_zp_extremes_{t}", G, (2, 5, 6, 6), s8, (0.07, 127), (0.05, -128))
        pool(f"qgap_nhwc_{t}", G, (1, 7, 7, 64), s8, attrs={"channels_last": 1})
        pool(f"qgap_nhwc_odd_{t}", G, (2, 5, 3, 37), s8, (0.03, -20), (0.02, 9), attrs={"channels_last": 1})
        pool(f"qgap_runtime_params_{t}", G, (2, 6, 4, 5), s8, runtime=True)
        # ------------------------------------------------------------ windowed
        pool(f"qap_2x2_s2_{t}", A, (1, 8, 16, 16), s8, attrs={"kernel_shape": [2, 2], "strides": [2, 2]})
        pool(f"qap_3x3_p1_{t}", A, (2, 5, 13, 11), s8,
             attrs={"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]})
        pool(f"qap_3x3_p1_cip_{t}", A, (2, 5, 13, 11), s8,
             attrs={"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1})
        pool(f"qap_3x3_s2_ceil_{t}", A, (1, 4, 14, 15), s8,
             attrs={"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1})
        pool(f"qap_3x3_s2_ceil_pad_cip_{t}", A, (1, 4, 14, 15), s8,
             attrs={"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 0, 1, 1], "ceil_mode": 1,
                    "count_include_pad": 1})
        pool(f"qap_asym_pads_{t}", A, (1, 3, 10, 9), s8, (0.0217, 10), (0.0309, -30),
             attrs={"kernel_shape": [4, 3], "strides": [1, 2], "pads": [2, 0, 1, 2]})
        for ap in ("SAME_UPPER", "SAME_LOWER", "VALID"):
            pool(f"qap_5x5_{ap.lower()}_{t}", A, (1, 3, 12, 10), s8,
                 attrs={"kernel_shape": [5, 5], "strides": [2, 2], "auto_pad": ap})
        pool(f"qap_7x7_global_like_{t}", A, (1, 32, 7, 7), s8, attrs={"kernel_shape": [7, 7]})
        pool(f"qap_1x1_s2_{t}", A, (1, 6, 9, 9), s8, attrs={"kernel_shape": [1, 1], "strides": [2, 2]})
        pool(f"qap_1d_{t}", A, (2, 3, 31), s8, attrs={"kernel_shape": [4], "strides": [3], "pads": [1, 2]})
        pool(f"qap_3d_{t}", A, (1, 2, 5, 6, 7), s8,
             attrs={"kernel_shape": [2, 3, 3], "strides": [1, 2, 2], "pads": [0, 1, 1, 1, 1, 0]})
        pool(f"qap_nhwc_{t}", A, (1, 9, 9, 24), s8,
             attrs={"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "channels_last": 1})
        pool(f"qap_nhwc_s2_cip_{t}", A, (2, 8, 7, 5), s8, (0.0412, -60), (0.0497, 17),
             attrs={"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 1, 0, 1], "count_include_pad": 1,
                    "channels_last": 1})
        pool(f"qap_saturate_{t}", A, (1, 4, 8, 8), s8, (0.913, 0), (0.0107, 0), attrs={"kernel_shape": [2, 2]})
        pool(f"qap_runtime_params_{t}", A, (1, 4, 9, 9), s8, runtime=True,
             attrs={"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]})
    pool("qgap_no_zero_points_u8", G, (1, 6, 5, 5), False, (0.02, -128), (0.015, -128), no_zp=True)
    pool("qap_no_zero_points_u8", A, (1, 6, 5, 5), False, (0.02, -128), (0.015, -128), no_zp=True,
         attrs={"kernel_shape": [2, 2]})
    return out
