"""qinfer vs ONNX Runtime: integer convolution and matrix products (QLinearConv, ConvInteger, QLinearMatMul,
MatMulInteger, com.microsoft QGemm). Collected by tests/quant_ops/run_quant_ops.py through CASES(h), h being
tests/ops_ort/run_ops_ort.py.

Every case compares exactly (integer outputs equal; QGemm's float output bit-equal): both runtimes compute the
int32 sum of (x - x_zp) * (w - w_zp) (+ bias), multiply it in float by the scale (x_scale * w_scale[c]) / y_scale
composed in that order, round half to even and saturate. Weights, scales and zero points are initializers
(qinfer's fast paths) unless a case name says `dynw` (weights fed at run time: qinfer's generic path); uint8
weights and nonzero weight zero points take the generic path too. y_scale is chosen from the data so that the
outputs spread over the whole range and some saturate.
"""
import numpy as np
from onnx import helper

MS = (("com.microsoft", 1),)

ORT_DEVIATIONS = {
    "convinteger_u8_w_zp_per_channel":
        "ORT 1.30's ConvInteger refuses a per-output-channel w_zero_point ('Non per-tensor quantization is not "
        "supported now'), which the spec allows; reference: numpy (int64 sums of (x - x_zp) * (w - w_zp[m]))",
}


def _convint_ref(x, w, xz, wz):
    """ConvInteger, 2-D, stride 1, no padding, group 1, per-channel w_zero_point."""
    xi = x.astype(np.int64) - np.int64(xz)
    wi = w.astype(np.int64) - wz.astype(np.int64).reshape(-1, 1, 1, 1)
    n, _, hh, ww = x.shape
    m, _, kh, kw = w.shape
    y = np.zeros((n, m, hh - kh + 1, ww - kw + 1), np.int64)
    for oy in range(y.shape[2]):
        for ox in range(y.shape[3]):
            y[:, :, oy, ox] = np.einsum("nckl,mckl->nm", xi[:, :, oy:oy + kh, ox:ox + kw], wi)
    return y.astype(np.int32)


def _q(r, shape, dt):
    lo, hi = (-128, 127) if dt == np.int8 else (0, 255)
    return r.integers(lo, hi + 1, size=shape).astype(dt)


def _zp(r, dt, shape=()):
    lo, hi = (-100, 100) if dt == np.int8 else (20, 235)
    return r.integers(lo, hi + 1, size=shape).astype(dt)


def _spread(x_scale, w_scale, k):
    """An output scale that maps +-3 standard deviations of sum_k (x - zp) * w onto about +-127 steps."""
    return np.float32(np.mean(x_scale) * np.mean(w_scale) * np.sqrt(k) * 74.0 * 74.0 * 3.0 / 127.0)


def CASES(h):
    cases = []
    C = h.C

    def qconv(name, x_shape, w_shape, x_dt=np.uint8, w_dt=np.int8, per_channel=True, bias=True, w_zp=False,
              dyn_w=False, opset=13, **attrs):
        r = h.rng_for(name)
        m = w_shape[0]
        x = _q(r, x_shape, x_dt)
        w = _q(r, w_shape, w_dt)
        xs = np.float32(r.uniform(0.01, 0.05))
        ws = r.uniform(0.002, 0.02, size=(m,) if per_channel else ()).astype(np.float32)
        wz = (_zp(r, w_dt, ws.shape) if w_zp else np.zeros(ws.shape, w_dt))
        k = int(np.prod(w_shape[1:]))
        ys = _spread(xs, ws, k)
        ins = [("x", x), ("x_scale", C(xs)), ("x_zero_point", C(_zp(r, x_dt))),
               ("w", w if dyn_w else C(w)), ("w_scale", C(ws)), ("w_zero_point", C(wz)),
               ("y_scale", C(ys)), ("y_zero_point", C(_zp(r, x_dt)))]
        if bias:
            ins.append(("B", C(r.integers(-20000, 20000, size=(m,)).astype(np.int32))))
        out = ("y", "u8" if x_dt == np.uint8 else "i8")
        cases.append(h.op_case(name, "QLinearConv", ins, [out], opset, attrs))

    # uint8 activations, int8 per-channel weights: the gemm paths
    qconv("qlinearconv_u8_3x3_pad", [1, 8, 9, 9], [16, 8, 3, 3], pads=[1, 1, 1, 1])
    qconv("qlinearconv_u8_3x3_stride2_dil", [2, 6, 11, 10], [10, 6, 3, 3], strides=[2, 1], dilations=[2, 2],
          pads=[1, 2, 0, 1])
    qconv("qlinearconv_u8_pointwise", [1, 24, 7, 7], [40, 24, 1, 1])
    qconv("qlinearconv_u8_pointwise_per_tensor", [2, 16, 5, 6], [8, 16, 1, 1], per_channel=False, bias=False)
    qconv("qlinearconv_u8_group2", [1, 8, 8, 8], [12, 4, 3, 3], group=2, pads=[1, 1, 1, 1])
    qconv("qlinearconv_u8_1d", [2, 5, 17], [7, 5, 4], strides=[2], pads=[1, 2])
    qconv("qlinearconv_u8_same_upper", [1, 3, 8, 7], [4, 3, 4, 3], auto_pad="SAME_UPPER", strides=[2, 2])
    qconv("qlinearconv_u8_same_lower", [1, 3, 8, 7], [4, 3, 4, 3], auto_pad="SAME_LOWER", strides=[2, 2])
    qconv("qlinearconv_u8_valid_5x5", [1, 4, 12, 12], [6, 4, 5, 5], auto_pad="VALID")
    qconv("qlinearconv_u8_resnet_like", [1, 64, 14, 14], [64, 64, 3, 3], pads=[1, 1, 1, 1])
    qconv("qlinearconv_u8_stem_7x7_s2", [1, 3, 32, 32], [16, 3, 7, 7], strides=[2, 2], pads=[3, 3, 3, 3])
    # depthwise (group == C), with a channel multiplier, and a 5x5 window
    qconv("qlinearconv_u8_depthwise_3x3", [1, 16, 10, 10], [16, 1, 3, 3], group=16, pads=[1, 1, 1, 1])
    qconv("qlinearconv_u8_depthwise_3x3_s2", [2, 8, 11, 11], [8, 1, 3, 3], group=8, strides=[2, 2], pads=[1, 1, 1, 1])
    qconv("qlinearconv_u8_depthwise_mult2_5x5", [1, 6, 9, 9], [12, 1, 5, 5], group=6, pads=[2, 2, 2, 2])
    # int8 activations
    qconv("qlinearconv_s8_3x3", [1, 8, 9, 9], [16, 8, 3, 3], x_dt=np.int8, pads=[1, 1, 1, 1])
    qconv("qlinearconv_s8_pointwise", [1, 32, 6, 6], [24, 32, 1, 1], x_dt=np.int8)
    qconv("qlinearconv_s8_depthwise", [1, 12, 8, 8], [12, 1, 3, 3], x_dt=np.int8, group=12, pads=[1, 1, 1, 1])
    qconv("qlinearconv_s8_1d_dil", [1, 4, 20], [6, 4, 3], x_dt=np.int8, dilations=[3], pads=[2, 2])
    qconv("qlinearconv_s8_per_tensor", [1, 4, 7, 7], [5, 4, 3, 3], x_dt=np.int8, per_channel=False, bias=False,
          strides=[2, 2])
    # generic path: uint8 weights, nonzero weight zero points, weights fed at run time
    qconv("qlinearconv_u8u8_w_zp", [1, 4, 7, 7], [6, 4, 3, 3], w_dt=np.uint8, w_zp=True, pads=[1, 1, 1, 1])
    qconv("qlinearconv_u8s8_w_zp", [1, 4, 7, 7], [6, 4, 3, 3], w_zp=True, per_channel=False, pads=[1, 1, 1, 1])
    qconv("qlinearconv_u8_dynw", [1, 4, 7, 7], [6, 4, 3, 3], dyn_w=True, pads=[0, 1, 2, 1])
    qconv("qlinearconv_u8_opset21", [1, 4, 6, 6], [4, 4, 3, 3], opset=21, pads=[1, 1, 1, 1])

    def convint(name, x_shape, w_shape, x_dt=np.uint8, w_dt=np.uint8, w_zp_shape=(), **attrs):
        r = h.rng_for(name)
        w, xz, wz = _q(r, w_shape, w_dt), _zp(r, x_dt), _zp(r, w_dt, w_zp_shape)
        ins = [("x", _q(r, x_shape, x_dt)), ("w", C(w)), ("x_zero_point", C(xz)), ("w_zero_point", C(wz))]
        cases.append(h.op_case(name, "ConvInteger", ins, [("y", "i32")], 10, attrs))
        if name in ORT_DEVIATIONS:
            cases[-1].ref = lambda f: [_convint_ref(f["x"], w, xz, wz)]

    convint("convinteger_u8_pad", [1, 3, 7, 7], [4, 3, 3, 3], pads=[1, 1, 1, 1])
    convint("convinteger_u8_stride_group", [2, 4, 9, 8], [6, 2, 3, 2], group=2, strides=[2, 1], dilations=[1, 2])
    convint("convinteger_u8_w_zp_per_channel", [1, 3, 6, 6], [5, 3, 2, 2], w_zp_shape=(5,))
    convint("convinteger_u8_1d", [1, 2, 15], [3, 2, 4], strides=[2], pads=[1, 1])

    def qmatmul(name, a_shape, b_shape, a_dt=np.uint8, b_dt=np.int8, per_column=False, b_zp=False, dyn_b=False,
                opset=13):
        r = h.rng_for(name)
        n = b_shape[-1] if len(b_shape) >= 2 else 1
        bs = r.uniform(0.002, 0.02, size=(n,) if per_column else ()).astype(np.float32)
        bz = _zp(r, b_dt, bs.shape) if b_zp else np.zeros(bs.shape, b_dt)
        a_s = np.float32(r.uniform(0.01, 0.05))
        b = _q(r, b_shape, b_dt)
        ins = [("a", _q(r, a_shape, a_dt)), ("a_scale", C(a_s)), ("a_zero_point", C(_zp(r, a_dt))),
               ("b", b if dyn_b else C(b)), ("b_scale", C(bs)), ("b_zero_point", C(bz)),
               ("y_scale", C(_spread(a_s, bs, a_shape[-1]))), ("y_zero_point", C(_zp(r, a_dt)))]
        cases.append(h.op_case(name, "QLinearMatMul", ins, [("y", "u8" if a_dt == np.uint8 else "i8")], opset))

    qmatmul("qlinearmatmul_u8_2d", [5, 17], [17, 9])
    qmatmul("qlinearmatmul_u8_2d_per_column", [33, 64], [64, 40], per_column=True)
    qmatmul("qlinearmatmul_u8_3d", [2, 7, 20], [20, 13], per_column=True)
    qmatmul("qlinearmatmul_u8_4d_a", [2, 3, 4, 16], [16, 5])
    qmatmul("qlinearmatmul_u8_vector", [1, 300], [300, 10])
    qmatmul("qlinearmatmul_s8_2d", [6, 24], [24, 11], a_dt=np.int8, per_column=True)
    qmatmul("qlinearmatmul_s8_3d", [3, 5, 8], [8, 7], a_dt=np.int8)
    qmatmul("qlinearmatmul_u8_batch_broadcast", [1, 4, 5], [3, 5, 6])
    qmatmul("qlinearmatmul_u8_batch_both", [3, 4, 5], [3, 5, 6], dyn_b=True)
    qmatmul("qlinearmatmul_u8u8", [4, 12], [12, 6], b_dt=np.uint8, b_zp=True)
    qmatmul("qlinearmatmul_u8_b_zp", [4, 12], [12, 6], b_zp=True)
    qmatmul("qlinearmatmul_u8_dynb", [4, 12], [12, 6], dyn_b=True)
    qmatmul("qlinearmatmul_u8_opset21", [3, 10], [10, 4], opset=21)

    def mmint(name, a_shape, b_shape, a_dt=np.uint8, b_dt=np.uint8, b_zp_shape=()):
        r = h.rng_for(name)
        ins = [("A", _q(r, a_shape, a_dt)), ("B", C(_q(r, b_shape, b_dt))), ("a_zero_point", C(_zp(r, a_dt))),
               ("b_zero_point", C(_zp(r, b_dt, b_zp_shape)))]
        cases.append(h.op_case(name, "MatMulInteger", ins, [("Y", "i32")], 10))

    mmint("matmulinteger_u8u8_2d", [4, 9], [9, 5])
    mmint("matmulinteger_u8u8_3d", [2, 4, 9], [9, 5])
    mmint("matmulinteger_u8s8_per_column", [3, 7], [7, 6], b_dt=np.int8, b_zp_shape=(6,))
    mmint("matmulinteger_s8s8", [5, 8], [8, 3], a_dt=np.int8, b_dt=np.int8)
    mmint("matmulinteger_u8u8_broadcast", [2, 1, 3, 6], [4, 6, 2])

    def qgemm(name, m, k, n, trans_a=0, trans_b=0, alpha=1.0, c_shape=None, float_out=False, a_dt=np.uint8,
              b_dt=np.int8, per_column=True, b_zp=False):
        r = h.rng_for(name)
        a = _q(r, (k, m) if trans_a else (m, k), a_dt)
        b = _q(r, (n, k) if trans_b else (k, n), b_dt)
        bs = r.uniform(0.002, 0.02, size=(n,) if per_column else ()).astype(np.float32)
        bz = _zp(r, b_dt, bs.shape) if b_zp else np.zeros(bs.shape, b_dt)
        a_s = np.float32(r.uniform(0.01, 0.05))
        ins = [("A", a), ("a_scale", C(a_s)), ("a_zero_point", C(_zp(r, a_dt))), ("B", C(b)), ("b_scale", C(bs)),
               ("b_zero_point", C(bz))]
        ins.append(("C", C(r.integers(-20000, 20000, size=c_shape).astype(np.int32))) if c_shape is not None
                   else None)
        out = ("Y", "f")
        if not float_out:
            ins += [("y_scale", C(np.float32(_spread(a_s, bs, k) * alpha))), ("y_zero_point", C(_zp(r, a_dt)))]
            out = ("Y", "u8" if a_dt == np.uint8 else "i8")
        while ins[-1] is None:
            ins.pop()
        names = ["" if i is None else i[0] for i in ins]
        node = helper.make_node("QGemm", names, [out[0]], name="QGemm_0", domain="com.microsoft", transA=trans_a,
                                transB=trans_b, alpha=alpha)
        cases.append(h.graph_case(name, [node], [i for i in ins if i is not None], [out], 13, exact=True,
                                  extra_opsets=MS))

    qgemm("qgemm_u8_basic", 4, 16, 9, c_shape=(9,))
    qgemm("qgemm_u8_transb", 7, 33, 12, trans_b=1, c_shape=(12,))
    qgemm("qgemm_u8_transa_alpha", 5, 20, 6, trans_a=1, alpha=0.5)
    qgemm("qgemm_u8_c_matrix", 3, 10, 4, c_shape=(3, 4))
    qgemm("qgemm_u8_c_scalar_per_tensor", 2, 64, 8, c_shape=(1,), per_column=False)
    qgemm("qgemm_u8_float_out", 4, 12, 5, c_shape=(5,), float_out=True)
    qgemm("qgemm_s8", 6, 24, 10, trans_b=1, a_dt=np.int8, c_shape=(10,))
    qgemm("qgemm_u8u8_b_zp", 4, 9, 3, b_dt=np.uint8, b_zp=True)
    return cases
