#!/usr/bin/python3
"""`qinfer quantize --dynamic` (ONNX Runtime's quantize_dynamic layout) on a small model built here.

    run_quantize_dynamic.py --qinfer BUILD/tools/qinfer --node node [--cache DIR] [-v]

The model (opset 13), two inputs:
  x [1, 3, 12, 12] -> Conv 3->16 3x3 (bias) -> Relu -> GlobalAveragePool -> Flatten -> MatMul B [16, 32] -> Add
    bias (torch's MatMul + Add) -> Relu -> Gemm transB (B [10, 32], C [10] through an Identity as torch shares tensors, alpha 0.5, beta 2) -> y
  t [1, 6, 24] -> MatMul B [24, 20] and MatMul B' [24, 20] (one activation read by two linear layers) -> Add -> z
Checks:
  - the file: onnx.checker (full); every Conv / MatMul / Gemm became ConvInteger / MatMulInteger, one
    DynamicQuantizeLinear per distinct activation (4: x, the Flatten, the Relu, t), none left float; int8 weights
    and their scales equal a numpy oracle (per output channel: Conv axis 0, MatMul B per column, the Gemm's B
    transposed to [K, N] with alpha in the scale; max|w| / 127, q = round half to even of w / s); per tensor with
    --per-tensor;
  - qinfer runs it with every chain fused (QI_DEBUG_QDQ=1: 'qdq: NAME -> DynamicQuantizeConv / DynamicQuantizeMatMul'
    lines, one per integer op), and ONNX Runtime 1.30 runs it; their outputs agree (max |d| <= 1e-5 of the
    output's max |value|, the bound of the zoo's dynamic models; on a CPU where ORT's uint8 x int8 gemm saturates,
    ORT runs the same model with its int8 weights re-expressed as uint8, tests/common/ort_u8s8.py);
  - both are close to the FP32 model (output SQNR >= 30 dB, qinfer's and ORT's);
  - --exclude keeps a node float; no --calib is needed;
  - option conflicts fail with exit code 1 or 2 and a message naming them: --dynamic with --activations float /
    int16 / int8, with --target-sqnr;
  - --dynamic --weights int4 / uint4 --block-size 16 (test_int4): every MatMul / Gemm became com.microsoft
    MatMulNBits (bits 4, block_size 16, accuracy_level 4, K, N; B [N, nb, 8] of W^T, the Gemm's alpha in the
    scales and beta * C as the bias; uint4: packed zero points, int4: none, i.e. 8), the Conv stays float, no
    DynamicQuantizeLinear; the file's dequantized weights are within half a step of W; z (two MatMulNBits on the
    graph input t) equals a numpy oracle of accuracy_level 4 (t quantized per row and block of 16 by ORT's CompInt8
    rule, integer block products, then float) within 1e-5 of its range, and is the same bytes with --isa scalar;
    qinfer and ONNX Runtime 1.30 agree
    within 2e-4 of the output's range on y and z; both are >= 10 dB from FP32 (4-bit random weights: 12-23 dB); without --block-size the blocks are
    32.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORT_RUN = os.path.join(REPO, "tests", "zoo", "ort_run.js")
sys.path.insert(0, os.path.join(REPO, "tests", "common"))
import ort_u8s8  # noqa: E402

failures = []
verbose = False


def check(ok, what):
    if verbose or not ok:
        print(("   ok   " if ok else "   FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args, env=None):
    p = subprocess.run(list(args), capture_output=True, text=True, env=env)
    return p.returncode, p.stdout, p.stderr


def build_model(path):
    rng = np.random.default_rng(5)
    inits = []

    def w(name, shape, scale=0.3):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    nodes = [
        helper.make_node("Conv", ["x", w("c.w", (16, 3, 3, 3)), w("c.b", (16,), 0.1)], ["c"], name="conv",
                         pads=[1] * 4),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", w("mm.w", (16, 32))], ["mm"], name="mm"),
        helper.make_node("Add", ["mm", w("mm.b", (32,), 0.1)], ["mmb"], name="mm_bias"),
        helper.make_node("Relu", ["mmb"], ["h"], name="relu2"),
        helper.make_node("Identity", [w("fc.b", (10,), 0.1)], ["fc.b_shared"], name="share"),
        helper.make_node("Gemm", ["h", w("fc.w", (10, 32)), "fc.b_shared"], ["y"], name="fc", transB=1,
                         alpha=0.5, beta=2.0),
        helper.make_node("MatMul", ["t", w("p.w", (24, 20))], ["p"], name="proj_a"),
        helper.make_node("MatMul", ["t", w("q.w", (24, 20))], ["q"], name="proj_b"),
        helper.make_node("Add", ["p", "q"], ["z"], name="sum"),
    ]
    graph = helper.make_graph(nodes, "dyn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, 12]),
                                             helper.make_tensor_value_info("t", TensorProto.FLOAT, [1, 6, 24])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10]),
                               helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 6, 20])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, path)
    return {t.name: numpy_helper.to_array(t) for t in inits}


# weight name -> (the [K, N] or Conv layout the integer op reads, channel axis, alpha)
def weight_oracle(w, per_channel):
    """int8 symmetric: scale max|w| / 127 (float32) per channel (axis 0 for Conv, 1 for [K, N]) or per tensor."""
    axis = 0 if w.ndim == 4 else 1
    if per_channel:
        amax = np.abs(w).max(axis=tuple(d for d in range(w.ndim) if d != axis)).astype(np.float32)
    else:
        amax = np.float32(np.abs(w).max())
    s = (amax / np.float32(127)).astype(np.float32)
    sb = s.reshape([-1 if d == axis else 1 for d in range(w.ndim)]) if per_channel else s
    q = np.clip(np.rint(w / sb), -127, 127).astype(np.int8)
    return q, s


def check_file(path, weights, per_channel, label):
    m = onnx.load(path)
    try:
        onnx.checker.check_model(m, full_check=True)
        check(True, f"{label}: onnx.checker (full) accepts the file")
    except Exception as e:  # noqa: BLE001
        check(False, f"{label}: onnx.checker: {e}")
    ops = collections.Counter(n.op_type for n in m.graph.node)
    check(ops["ConvInteger"] == 1 and ops["MatMulInteger"] == 4,
          f"{label}: ConvInteger 1, MatMulInteger 4 (got {ops['ConvInteger']}, {ops['MatMulInteger']})")
    check(ops["DynamicQuantizeLinear"] == 4, f"{label}: 4 DynamicQuantizeLinear (x, flat, h, t shared by two): "
                                             f"{ops['DynamicQuantizeLinear']}")
    check(ops["Conv"] + ops["MatMul"] + ops["Gemm"] == 0, f"{label}: no float Conv / MatMul / Gemm left")
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    producers = {o: n for n in m.graph.node for o in n.output}
    for n in m.graph.node:
        if n.op_type not in ("ConvInteger", "MatMulInteger"):
            continue
        wq = init[n.input[1]]
        src = n.input[1][: -len("_quantized")]
        w = weights[src]
        alpha = np.float32(0.5) if src == "fc.w" else np.float32(1)
        if src == "fc.w":
            w = w.T  # Gemm transB: B is written as [K, N]
        q, s = weight_oracle(w, per_channel)
        check(wq.dtype == np.int8 and np.array_equal(wq, q), f"{label} {src}: int8 weights equal the oracle's")
        # the scale: through Cast -> Mul(., Mul(x_scale, w_scale))
        cast = next(c for c in m.graph.node if c.op_type == "Cast" and c.input[0] == n.output[0])
        mul = next(c for c in m.graph.node if c.op_type == "Mul" and cast.output[0] in c.input)
        other = next(i for i in mul.input if i != cast.output[0])
        smul = producers[other]
        ws = next(init[i] for i in smul.input if i in init)
        check(np.array_equal(ws.ravel(), np.atleast_1d(s * alpha).ravel()),
              f"{label} {src}: weight scale equals the oracle's (shape {list(ws.shape)})")
        if per_channel and src == "c.w":
            check(list(ws.shape) == [1, 16, 1, 1], f"{label}: the Conv's scale broadcasts along channels")
    return ops


def ort(args, path, inputs, work, tag):
    d = os.path.join(work, "ort_" + tag)
    rc, out, err = run(args.node, ORT_RUN, path, "--output-dir", d, "--cache", args.cache,
                       *sum([["--input", f"{k}={v}"] for k, v in inputs.items()], []))
    check(rc == 0, f"ONNX Runtime runs {os.path.basename(path)}" + ("" if rc == 0 else ": " + (out + err)[-400:]))
    return {k: np.load(os.path.join(d, k + ".npy")) for k in ("y", "z")} if rc == 0 else None


def qinfer_run(args, path, inputs, work, tag):
    d = os.path.join(work, "qi_" + tag)
    rc, out, err = run(args.qinfer, "run", path, "--output-dir", d,
                       *sum([["--input", f"{k}={v}"] for k, v in inputs.items()], []),
                       env=dict(os.environ, QI_DEBUG_QDQ="1"))
    check(rc == 0, f"qinfer runs {os.path.basename(path)}" + ("" if rc == 0 else ": " + (out + err)[-400:]))
    fused = collections.Counter(m.group(1) for m in re.finditer(r"^qdq: .* -> (\S+) \(node \d+\)$", err, re.M))
    return ({k: np.load(os.path.join(d, k + ".npy")) for k in ("y", "z")} if rc == 0 else None), fused


def sqnr(ref, x):
    ref, x = ref.astype(np.float64), x.astype(np.float64)
    n = np.sum((ref - x) ** 2)
    return np.inf if n == 0 else 10 * np.log10(np.sum(ref ** 2) / n)


def test_model(args, work, fp32_path, weights, inputs, u8s8):
    y32 = ort(args, fp32_path, inputs, work, "fp32")
    for per_channel in (True, False):
        label = "--dynamic" + ("" if per_channel else " --per-tensor")
        out = os.path.join(work, f"dyn_{int(per_channel)}.onnx")
        cmd = [args.qinfer, "quantize", fp32_path, "-o", out, "--dynamic"] + ([] if per_channel else ["--per-tensor"])
        rc, text, err = run(*cmd)
        check(rc == 0, f"{label} without --calib" + ("" if rc == 0 else ": " + (text + err)[-400:]))
        if rc != 0:
            continue
        check("dynamic: 5 nodes" in text and "4 activations" in text, f"{label}: the summary line ({text.strip()})")
        check_file(out, weights, per_channel, label)
        yq, fused = qinfer_run(args, out, inputs, work, f"dyn{int(per_channel)}")
        check(fused["DynamicQuantizeConv"] == 1 and fused["DynamicQuantizeMatMul"] == 4,
              f"{label}: qinfer fuses every chain (DynamicQuantizeConv {fused['DynamicQuantizeConv']} of 1, "
              f"DynamicQuantizeMatMul {fused['DynamicQuantizeMatMul']} of 4)")
        ort_path = out
        if not u8s8.exact:
            m, n_w, _, _ = ort_u8s8.reexpress_s8_weights(onnx.load(out))
            ort_path = os.path.join(work, f"dyn_{int(per_channel)}_u8u8.onnx")
            onnx.save(m, ort_path)
            check(n_w == 5, f"{label}: ORT's copy has its 5 int8 weights as uint8 (this CPU's u8s8 path saturates)")
        yo = ort(args, ort_path, inputs, work, f"dyn{int(per_channel)}")
        if yq is None or yo is None or y32 is None:
            continue
        for k in ("y", "z"):
            d = float(np.max(np.abs(yq[k] - yo[k])))
            bound = 1e-5 * float(np.max(np.abs(yo[k])))
            check(d <= bound, f"{label} {k}: qinfer and ONNX Runtime agree (max |d| {d:.3g} <= {bound:.3g})")
            s_qi, s_ort = sqnr(y32[k], yq[k]), sqnr(y32[k], yo[k])
            check(s_qi >= 30 and s_ort >= 30, f"{label} {k}: close to FP32 (SQNR qinfer {s_qi:.1f} dB, "
                                              f"ORT {s_ort:.1f} dB, >= 30)")
    # --exclude keeps the Gemm float
    out = os.path.join(work, "dyn_excl.onnx")
    rc, text, err = run(args.qinfer, "quantize", fp32_path, "-o", out, "--dynamic", "--exclude", "fc")
    check(rc == 0, "--dynamic --exclude fc" + ("" if rc == 0 else ": " + (text + err)[-400:]))
    if rc == 0:
        ops = collections.Counter(n.op_type for n in onnx.load(out).graph.node)
        check(ops["Gemm"] == 1 and ops["MatMulInteger"] == 3 and ops["DynamicQuantizeLinear"] == 3,
              f"--exclude fc: the Gemm stays float ({dict(ops)})")


def test_errors(args, work, fp32_path):
    calib = os.path.join(work, "calib")
    os.makedirs(calib, exist_ok=True)
    np.save(os.path.join(calib, "0.npy"), np.zeros((1, 3, 12, 12), np.float32))
    out = os.path.join(work, "bad.onnx")
    cases = [
        (["--activations", "float"], "float activations"),
        (["--activations", "int16"], "int16 activations"),
        (["--activations", "int8"], "int8 activations"),
        (["--target-sqnr", "30", "--calib", calib], "target SQNR"),
    ]
    for extra, want in cases:
        for order in (["--dynamic"] + extra, extra + ["--dynamic"]):
            rc, text, err = run(args.qinfer, "quantize", fp32_path, "-o", out, *order)
            msg = (text + err).strip()
            check(rc in (1, 2) and want in msg and "dynamic" in msg,
                  f"{' '.join(order)}: exit {rc}, message names '{want}' and dynamic ({msg[-200:]})")
            check(not os.path.exists(out), f"{' '.join(order)}: nothing written")


def nbits_oracle(a, node, init):
    """MatMulNBits at accuracy_level 4 on a [M, K] in numpy: A per row and block by amax / 127 and
    round-half-even of a * (127 / amax), integer block products with (code - zero point), float sum."""
    at = {x.name: x for x in node.attribute}
    k, n, bl = at["K"].i, at["N"].i, at["block_size"].i
    nb = -(-k // bl)
    b = init[node.input[1]].reshape(n, nb * bl // 2)
    codes = np.stack([b & 15, b >> 4], axis=-1).reshape(n, nb * bl)[:, :k].astype(np.int64)
    scales = init[node.input[2]].reshape(n, nb).astype(np.float32)
    if len(node.input) > 3 and node.input[3]:
        z = init[node.input[3]].reshape(n, -1)
        zp = np.stack([z & 15, z >> 4], axis=-1).reshape(n, -1)[:, :nb].astype(np.int64)
    else:
        zp = np.full((n, nb), 8, np.int64)
    a = a.reshape(-1, k).astype(np.float32)
    y = np.zeros((a.shape[0], n), np.float64)
    for bi in range(nb):
        blk = a[:, bi * bl:(bi + 1) * bl]
        amax = np.abs(blk).max(axis=1).astype(np.float32)
        inv = np.where(amax != 0, np.float32(127) / np.where(amax != 0, amax, 1), 0).astype(np.float32)
        q = np.rint((blk * inv[:, None]).astype(np.float32)).astype(np.int64)
        w = codes[:, bi * bl:(bi + 1) * bl] - zp[:, bi:bi + 1]
        y += (q @ w.T).astype(np.float64) * (amax / np.float32(127))[:, None].astype(np.float64) * \
            scales[:, bi][None, :].astype(np.float64)
    if len(node.input) > 5 and node.input[5]:
        y += init[node.input[5]][None, :]
    return y


def test_int4(args, work, fp32_path, weights, inputs):
    y32 = ort(args, fp32_path, inputs, work, "fp32_int4")
    t = np.load(inputs["t"])
    for wtype, block in (("int4", "16"), ("uint4", "16"), ("int4", None)):
        label = f"--dynamic --weights {wtype}" + (f" --block-size {block}" if block else "")
        out = os.path.join(work, f"dyn_{wtype}_{block}.onnx")
        rc, text, err = run(args.qinfer, "quantize", fp32_path, "-o", out, "--dynamic", "--weights", wtype,
                            *(["--block-size", block] if block else []))
        check(rc == 0, label + ("" if rc == 0 else ": " + (text + err)[-400:]))
        if rc != 0:
            continue
        m = onnx.load(out)
        ops = collections.Counter(n.op_type for n in m.graph.node)
        check(ops["MatMulNBits"] == 4 and ops["Conv"] == 1 and ops["MatMul"] + ops["Gemm"] == 0 and
              ops["DynamicQuantizeLinear"] == 0, f"{label}: 4 MatMulNBits, the Conv float ({dict(ops)})")
        init = {x.name: numpy_helper.to_array(x) for x in m.graph.initializer}
        bl = int(block or 32)
        for n in m.graph.node:
            if n.op_type != "MatMulNBits":
                continue
            at = {x.name: helper.get_attribute_value(x) for x in n.attribute}
            src = n.input[1][: -len("_nbits")]
            w = weights[src].T if src != "fc.w" else weights[src]  # W^T [N, K]
            alpha = 0.5 if src == "fc.w" else 1.0
            check(n.domain == "com.microsoft" and at.get("bits") == 4 and at.get("accuracy_level") == 4 and
                  at.get("block_size") == bl and at.get("K") == w.shape[1] and at.get("N") == w.shape[0],
                  f"{label} {src}: MatMulNBits attributes ({at})")
            nb = -(-w.shape[1] // bl)
            b = init[n.input[1]]
            check(b.dtype == np.uint8 and b.shape == (w.shape[0], nb, bl // 2), f"{label} {src}: B {b.shape}")
            codes = np.stack([b & 15, b >> 4], axis=-1).reshape(w.shape[0], nb * bl)
            has_zp = len(n.input) > 3 and bool(n.input[3])
            check(has_zp == (wtype == "uint4"), f"{label} {src}: zero points {'given' if has_zp else 'default 8'}")
            if has_zp:
                z = init[n.input[3]].reshape(w.shape[0], -1)
                zp = np.stack([z & 15, z >> 4], axis=-1).reshape(w.shape[0], -1)[:, :nb].astype(np.float32)
            else:
                zp = np.full((w.shape[0], nb), 8, np.float32)
            s = init[n.input[2]].reshape(w.shape[0], nb) / np.float32(alpha)
            deq = ((codes.astype(np.float32) - np.repeat(zp, bl, axis=1)) * np.repeat(s, bl, axis=1))[:, :w.shape[1]]
            step = np.repeat(np.abs(s), bl, axis=1)[:, :w.shape[1]]
            check(bool(np.all(np.abs(deq - w) <= step * 0.5001 + 1e-7)),
                  f"{label} {src}: dequantized weights within half a step of W")
            if src == "fc.w":
                bias = init[n.input[5]]
                check(np.allclose(bias, weights["fc.b"] * 2.0), f"{label}: the Gemm's beta * C is the bias")
        yq, _ = qinfer_run(args, out, inputs, work, f"int4_{wtype}_{block}")
        d = os.path.join(work, f"qi_int4_{wtype}_{block}_scalar")
        rc, _, err = run(args.qinfer, "run", out, "--output-dir", d, "--isa", "scalar",
                         *sum([["--input", f"{k}={v}"] for k, v in inputs.items()], []))
        if yq is not None and rc == 0:  # z is MatMulNBits + Add only: the integer kernels give the same bytes
            check(np.array_equal(np.load(os.path.join(d, "z.npy")), yq["z"]),
                  f"{label} z: --isa scalar gives the same bytes as the default path")
        yo = ort(args, out, inputs, work, f"int4_{wtype}_{block}")
        if yq is None or yo is None or y32 is None:
            continue
        nodes = {n.name: n for n in m.graph.node}
        z_ref = nbits_oracle(t, nodes["proj_a"], init) + nbits_oracle(t, nodes["proj_b"], init)
        d = float(np.max(np.abs(yq["z"].reshape(z_ref.shape) - z_ref)))
        rng = float(np.max(np.abs(z_ref)))
        check(d <= 1e-5 * rng, f"{label} z: qinfer equals the numpy accuracy_level 4 oracle (max |d| {d:.3g})")
        for k in ("y", "z"):
            d = float(np.max(np.abs(yq[k] - yo[k])))
            bound = 2e-4 * float(np.max(np.abs(yo[k])))
            check(d <= bound, f"{label} {k}: qinfer and ONNX Runtime agree (max |d| {d:.3g} <= {bound:.3g})")
            s_qi, s_ort = sqnr(y32[k], yq[k]), sqnr(y32[k], yo[k])
            check(s_qi >= 10 and s_ort >= 10, f"{label} {k}: near FP32 (SQNR qinfer {s_qi:.1f}, ORT {s_ort:.1f} dB)")


def main():
    global verbose
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE", os.path.join(REPO, ".cache")))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    verbose = args.verbose
    with tempfile.TemporaryDirectory(prefix="qi_dyn_") as work:
        fp32 = os.path.join(work, "fp32.onnx")
        weights = build_model(fp32)
        rng = np.random.default_rng(9)
        inputs = {"x": os.path.join(work, "x.npy"), "t": os.path.join(work, "t.npy")}
        np.save(inputs["x"], rng.standard_normal((1, 3, 12, 12)).astype(np.float32))
        np.save(inputs["t"], rng.standard_normal((1, 6, 24)).astype(np.float32))
        u8s8 = ort_u8s8.probe(args.node, ORT_RUN, args.cache, os.path.join(work, "u8s8_probe"))
        print(f"ORT's u8s8 path is {'exact' if u8s8.exact else 'saturating'} on this CPU: {u8s8.describe()}")
        test_model(args, work, fp32, weights, inputs, u8s8)
        test_errors(args, work, fp32)
        test_int4(args, work, fp32, weights, inputs)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
