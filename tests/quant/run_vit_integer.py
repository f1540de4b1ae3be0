#!/usr/bin/env python3
"""ViT's attention and MLP on integer matmuls (issue 11 item 7), W8A8 and W4A8.

    run_vit_integer.py --qinfer BUILD/tools/qinfer --cache DIR [--node node] [--keep DIR]

For the zoo ViT quantized by `qinfer quantize` as W8A8 (int8 weights) and W4A8 (int4 weights, block 32, mse):
  1. every MatMul and Gemm of the FP32 model runs as an integer op in qinfer (QI_DEBUG_QDQ=1 names each fusion):
     the linears (qkv, out_proj, fc1, fc2, head) on QLinearMatMul / QGemm (W8A8) or QLinearMatMulW4 (W4A8), and
     both activation x activation products of every attention block (Q K^T, scores x V) on QLinearMatMul, with
     Softmax / LayerNormalization left in float between them; no MatMul or Gemm stays in float;
  2. the output agrees with ONNX Runtime 1.30 on the same QDQ file (ORT fuses the same patterns into its own
     integer kernels; Softmax, LayerNormalization and Gelu run in float in both, so bytes can differ at rounding
     ties: cosine >= 0.98 and SQNR against FP32 within 1.5 dB of ORT's, the zoo test's bounds for ViT);
  3. the output against FP32 (ONNX Runtime on the FP32 model): W8A8 >= 18 dB, W4A8 >= 11 dB (measured 21.7 and
     13.6 dB on set 0; the bounds catch a broken fusion or kernel, which gives near 0 dB).
Exit 1 on any failure.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run_quant_zoo import ORT_RUN, big_stack, cosine, ort_u8s8, run, sanitize, sqnr  # noqa: E402

VARIANTS = [  # name, quantize options, integer op of the linears, least SQNR against FP32
    ("W8A8", [], {"QLinearMatMul", "QGemm"}, 18.0),
    ("W4A8", ["--weights", "int4", "--block-size", "32", "--weight-method", "mse"], {"QLinearMatMulW4"}, 11.0),
]


def fusions(qinfer, model, inputs):
    """{original node name: integer op} from QI_DEBUG_QDQ=1's lines `qdq: NAME -> OP (node N)`."""
    env = dict(os.environ, QI_DEBUG_QDQ="1")
    r = subprocess.run([qinfer, "run", model, "--output-dir", tempfile.mkdtemp()] + inputs, env=env,
                       capture_output=True, text=True, preexec_fn=big_stack)
    if r.returncode != 0:
        raise RuntimeError(f"qinfer run {model} failed ({r.returncode}):\n{r.stderr}")
    return {m.group(1): m.group(2) for m in re.finditer(r"^qdq: (\S+) -> (\S+) \(node", r.stderr, re.M)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--node", default=shutil.which("node") or "node")
    ap.add_argument("--keep", help="keep the work folder here")
    args = ap.parse_args()
    vit = os.path.join(args.cache, "zoo", "vit")
    fp32 = os.path.join(vit, "model.onnx")
    work = args.keep or tempfile.mkdtemp(prefix="vitq")
    os.makedirs(work, exist_ok=True)
    set0 = os.path.join(vit, "set0", "input.npy")
    inputs = ["--input", f"input={set0}"]
    ort = [args.node, ORT_RUN, "--cache", args.cache]
    failures = []

    def check(ok, what):
        print(("   ok   " if ok else "   FAIL ") + what)
        if not ok:
            failures.append(what)

    g = onnx.load(fp32, load_external_data=False).graph
    consts = {i.name for i in g.initializer} | {o for n in g.node if n.op_type == "Constant" for o in n.output}
    linears = [n.name for n in g.node if n.op_type in ("MatMul", "Gemm") and n.input[1] in consts]
    attention = [n.name for n in g.node if n.op_type == "MatMul" and n.input[1] not in consts]
    print(f"ViT: {len(linears)} MatMul / Gemm with constant weights, {len(attention)} activation x activation MatMuls")
    check(len(attention) == 24 and len(linears) == 49, "the zoo ViT's 12 blocks (24 attention products, 49 linears)")

    probe = ort_u8s8.probe(args.node, ORT_RUN, args.cache, os.path.join(work, "probe"))
    run(ort + [fp32, "--output-dir", os.path.join(work, "fp32")] + inputs)
    ref = np.load(os.path.join(work, "fp32", "output.npy"))
    for name, opts, linear_ops, least in VARIANTS:
        q = os.path.join(work, f"vit.{name.lower()}.onnx")
        run([args.qinfer, "quantize", fp32, "-o", q, "--calib", os.path.join(vit, "calib")] + opts)
        fused = fusions(args.qinfer, q, inputs)
        bad = [(n, fused.get(n, "float")) for n in linears if fused.get(n) not in linear_ops]
        check(not bad, f"{name}: all {len(linears)} linears on {'/'.join(sorted(linear_ops))}"
                       + (f" (not: {bad[:4]})" if bad else ""))
        bad = [(n, fused.get(n, "float")) for n in attention if fused.get(n) != "QLinearMatMul"]
        check(not bad, f"{name}: all {len(attention)} attention products (Q K^T, scores x V) on QLinearMatMul"
                       + (f" (not: {bad[:4]})" if bad else ""))
        qd = os.path.join(work, name.lower())
        run([args.qinfer, "run", q, "--output-dir", qd] + inputs)
        od = os.path.join(work, name.lower() + "_ort")
        if name == "W8A8" and not probe.exact:  # ORT's u8s8 path saturates here: its exact u8u8 path instead
            qm, n_w, _, _ = ort_u8s8.reexpress_s8_weights(onnx.load(q))
            print(f"   note   {name}: ORT's u8s8 path saturates on this CPU (no VNNI): ORT runs the file with its "
                  f"{n_w} int8 weights re-expressed as uint8 (w + 128, zero point + 128: the same values)")
            q = q[:-5] + ".u8w.onnx"
            onnx.save(qm, q)
        run(ort + [q, "--output-dir", od] + inputs)
        mine = np.load(os.path.join(qd, sanitize("output") + ".npy"))
        theirs = np.load(os.path.join(od, "output.npy"))
        c = cosine(mine, theirs)
        s_mine, s_ort = sqnr(ref, mine), sqnr(ref, theirs)
        check(c >= 0.98, f"{name}: output cosine against ONNX Runtime's integer run {c:.5f} >= 0.98")
        check(abs(s_mine - s_ort) <= 1.5, f"{name}: SQNR against FP32 {s_mine:.2f} dB, ORT's {s_ort:.2f} dB (within 1.5)")
        check(s_mine >= least, f"{name}: SQNR against FP32 {s_mine:.2f} dB >= {least}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("FAILED: " + "; ".join(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
