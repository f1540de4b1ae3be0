"""com.microsoft.MatMulNBits (4-bit) against ONNX Runtime (run by run_quant_ops.py).

Random models: a float weight W[N, K] quantized block-wise along K (block 16 / 32 / 64 / 128, K not always a
multiple of the block: the last block's blob is zero-padded) into uint4 codes, packed as ORT's B [N, n_blocks,
blob] (low nibble first), with scales, and zero points packed as uint8 nibbles, given as floats, or absent
(default 8); bias or not; A with M = 1, 7, 197 rows (rank 2 and 3). qinfer computes in float on its W4A32 kernels,
ORT (accuracy_level 0) in float too: a float tolerance like the FP32 parity tests, atol 1e-4 + rtol 1e-4 (K up to
300 products of order 0.1).

accuracy_level 4 (the "acc4" cases): ORT 1.30 quantizes A to int8 per row and block at run time (MLAS CompInt8) and
so does qinfer (kernels/qd8-f32-qb4w-gemm): both take the same codes, so the integer block products agree and only
the float sums of their scaled results differ (ORT adds the zero point's share in a separate float pass): atol
2e-4 + rtol 2e-4. That is far below the activations' 8-bit rounding (about 1e-2 on these outputs), so a float
product on either side would fail it. With float zero points or g_idx both compute in float (ORT skips its
prepacking there; qinfer runs its W4A32 kernels). g_idx is given without zero points: with uint8 zero points
and g_idx ORT 1.30 gives results unlike the zero points' meaning without g_idx (max|d| 8.4 on m7_b32), not traced."""
import numpy as np
from onnx import helper

MS = (("com.microsoft", 1),)


def quantize(r, n, k, block, zp_kind):
    """-> (B uint8 [n, nb, block / 2], scales float [n, nb], zero points or None)."""
    nb = -(-k // block)
    codes = r.integers(0, 16, (n, nb * block)).astype(np.uint8)
    codes[:, k:] = 0  # padding past K
    b = (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8).reshape(n, nb, block // 2)
    scales = r.uniform(0.01, 0.1, (n, nb)).astype(np.float32)
    if zp_kind == "u8":
        z = r.integers(0, 16, (n, nb + (nb % 2))).astype(np.uint8)
        zp = (z[:, 0::2] | (z[:, 1::2] << 4)).astype(np.uint8).reshape(-1)
    elif zp_kind == "f32":
        zp = r.uniform(0.0, 15.0, (n, nb)).astype(np.float32)
    else:
        zp = None
    return b, scales, zp


def CASES(h):
    out = []
    specs = (  # name, M rows (A shape), K, N, block, zero points, bias
        ("m1_b16_u8zp", (1, 48), 48, 24, 16, "u8", False),
        ("m7_b32_nozp_bias", (7, 70), 70, 33, 32, None, True),
        ("m197_b64_u8zp_bias", (197, 300), 300, 40, 64, "u8", True),
        ("m7_b128_u8zp", (7, 260), 260, 17, 128, "u8", False),
        ("m1_b128_nozp", (1, 128), 128, 64, 128, None, False),
        ("m197_b16_nozp", (197, 40), 40, 9, 16, None, False),
        ("rank3_b32_u8zp_bias", (2, 7, 96), 96, 20, 32, "u8", True),
        ("m7_b16_f32zp", (7, 50), 50, 12, 16, "f32", False),
        ("m1_b64_oddblocks", (1, 150), 150, 5, 64, "u8", True),
    )
    for name, ashape, k, n, block, zp_kind, with_bias in specs:
        cname = f"matmulnbits_{name}"
        r = h.rng_for(cname)
        b, scales, zp = quantize(r, n, k, block, zp_kind)
        ins = [("A", (r.standard_normal(ashape)).astype(np.float32)), ("B", h.C(b)),
               ("scales", h.C(scales.reshape(-1)))]
        ins.append(("zero_points", h.C(zp)) if zp is not None else None)
        if with_bias:
            ins += [None, ("bias", h.C(r.standard_normal(n).astype(np.float32)))]
        node, gins, gouts = h.op_node("MatMulNBits", ins, ["Y"], {"K": k, "N": n, "bits": 4, "block_size": block})
        node.domain = "com.microsoft"
        m, feeds = h.make_model(cname, [node], gins, gouts, 21, MS)
        out.append(h.Case(cname, m, feeds, atol=1e-4, rtol=1e-4))
    acc4 = (  # name, A shape, K, N, block, zero points, bias, g_idx
        ("m1_b16_u8zp", (1, 48), 48, 24, 16, "u8", False, False),
        ("m7_b32_nozp_bias", (7, 70), 70, 33, 32, None, True, False),
        ("m50_b32_u8zp_bias", (50, 192), 192, 40, 32, "u8", True, False),
        ("m197_b64_u8zp", (197, 300), 300, 40, 64, "u8", False, False),
        ("m7_b128_nozp", (7, 260), 260, 17, 128, None, False, False),
        ("m3_b256_u8zp", (3, 520), 520, 9, 256, "u8", True, False),
        ("rank3_b16_u8zp_bias", (2, 7, 96), 96, 20, 16, "u8", True, False),
        ("m7_b16_f32zp", (7, 50), 50, 12, 16, "f32", False, False),  # float zero points: float in both
        ("m7_b32_gidx", (7, 64), 64, 10, 32, None, False, True),      # g_idx: float in both
    )
    for name, ashape, k, n, block, zp_kind, with_bias, with_gidx in acc4:
        cname = f"matmulnbits_acc4_{name}"
        r = h.rng_for(cname)
        b, scales, zp = quantize(r, n, k, block, zp_kind)
        ins = [("A", (r.standard_normal(ashape)).astype(np.float32)), ("B", h.C(b)),
               ("scales", h.C(scales.reshape(-1))), ("zero_points", h.C(zp)) if zp is not None else None]
        if with_gidx or with_bias:
            ins.append(("g_idx", h.C((np.arange(k) // block).astype(np.int32))) if with_gidx else None)
        if with_bias:
            ins.append(("bias", h.C(r.standard_normal(n).astype(np.float32))))
        node, gins, gouts = h.op_node("MatMulNBits", ins, ["Y"], {"K": k, "N": n, "bits": 4, "block_size": block,
                                                                  "accuracy_level": 4})
        node.domain = "com.microsoft"
        m, feeds = h.make_model(cname, [node], gins, gouts, 21, MS)
        out.append(h.Case(cname, m, feeds, atol=2e-4, rtol=2e-4))
    return out
