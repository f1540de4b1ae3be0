#!/usr/bin/env python3
"""qinfer quantize --target-sqnr over 4-bit weights (engine/quant/mixed.c, docs/quantization.md "Mixed precision").

A chain of four MatMul + Relu layers, built here, where layer m2's weight has one huge row (input channel 0, fed
by a small activation): under 4-bit weights one scale per output channel rounds m2's other weights to zero, so m2
alone needs more bits. Checks: the search gives m2 int8 weights, first, at the isolated SQNR `qinfer compare
--per-layer` gives m2's output on the same samples (its worst isolated row), (or float) and leaves m1, m3, m4 at 4 bits (read
from the written file); the written model's output SQNR against a numpy FP32 oracle meets the target; the summary
table names each layer with its MACs (the oracle's count) and the share of MACs on 8 bits or fewer; a target that
cannot be reached exits 3 and says so; --min-low-bit-macs 100 keeps every MatMul on 8-bit activations (read from
the file) where the same target otherwise widens some; option errors (--target-sqnr out of range, with
--activations float, --min-low-bit-macs out of range) exit with their message."""
import argparse
import csv
import os
import re
import shutil
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from run_quantize_cli import check, failures, run

ROWS, C = 64, 32


def weights():
    rng = np.random.default_rng(5)
    ws = [rng.standard_normal((C, C)).astype(np.float32) * 0.3 for _ in range(4)]
    ws[0][:, 0] *= 0.02  # m1's output channel 0 is small ...
    ws[1][0, :] = 8.0 * np.sign(ws[1][0, :])  # ... and m2 reads it through a huge row: its int4 scale is 8 / 7
    return ws


def model(ws):
    nodes, inits, x = [], [], "x"
    for i, w in enumerate(ws):
        inits.append(numpy_helper.from_array(w, f"w{i + 1}"))
        y = "y" if i == len(ws) - 1 else f"h{i + 1}"
        nodes.append(helper.make_node("MatMul", [x, f"w{i + 1}"], [f"m{i + 1}o"], name=f"m{i + 1}"))
        if i < len(ws) - 1:
            nodes.append(helper.make_node("Relu", [f"m{i + 1}o"], [y], name=f"r{i + 1}"))
        else:
            nodes[-1].output[0] = y
        x = y
    g = helper.make_graph(nodes, "mixed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, ROWS, C])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, ROWS, C])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    return m


def oracle(ws, x):
    h = x.astype(np.float64)
    for i, w in enumerate(ws):
        h = h @ w.astype(np.float64)
        if i < len(ws) - 1:
            h = np.maximum(h, 0)
    return h


def sqnr(ref, x):
    err = ((ref - x) ** 2).sum()
    return float("inf") if err == 0 else 10 * np.log10((ref ** 2).sum() / err)


def weight_bits(path):
    """Per MatMul of the written file: the bits of the weight its DequantizeLinear reads (32 when float)."""
    m = onnx.load(path)
    dq = {n.output[0]: n for n in m.graph.node if n.op_type == "DequantizeLinear"}
    init = {t.name: t for t in m.graph.initializer}
    bits = {}
    for n in m.graph.node:
        if n.op_type != "MatMul":
            continue
        w = n.input[1]
        if w in dq and dq[w].input[0] in init:
            t = init[dq[w].input[0]].data_type
            bits[n.name] = 4 if t in (21, 22) else 8  # UINT4, INT4 (onnx >= 1.16)
        else:
            bits[n.name] = 32
    return bits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    q = args.qinfer
    work = tempfile.mkdtemp(prefix="qinfer_qmixed_")
    try:
        ws = weights()
        fp = os.path.join(work, "chain.onnx")
        onnx.save(model(ws), fp)
        calib = os.path.join(work, "calib")
        os.makedirs(calib)
        rng = np.random.default_rng(1)
        for k in range(4):
            np.save(os.path.join(calib, f"{k:02d}.npy"), rng.standard_normal((1, ROWS, C)).astype(np.float32))
        test_x = rng.standard_normal((1, ROWS, C)).astype(np.float32)
        test_in = os.path.join(work, "test.npy")
        np.save(test_in, test_x)
        ref = oracle(ws, test_x)

        def quantize(out, *extra):
            return run(q, "quantize", fp, "-o", out, "--calib", calib, "--weights", "int4", *extra)

        def output_sqnr(path):
            d = os.path.join(work, "o_" + os.path.basename(path))
            rc, log = run(q, "run", path, "--input", f"x={test_in}", "--output-dir", d)
            return sqnr(ref, np.load(os.path.join(d, "y.npy")).astype(np.float64)) if rc == 0 else float("-inf")

        plain = os.path.join(work, "plain.onnx")
        rc, log = quantize(plain)
        base = output_sqnr(plain)
        print(f"   all 4-bit: {base:.2f} dB, bits {weight_bits(plain)}")
        if args.keep:
            print(log)
        target = 12.0
        check(rc == 0 and base < target - 5, f"4-bit weights everywhere: {base:.2f} dB, well below {target} dB")

        out = os.path.join(work, "mixed.onnx")
        rc, log = quantize(out, "--target-sqnr", f"{target:g}")
        if args.keep:
            print(log)
        bits = weight_bits(out)
        got = output_sqnr(out)
        check(rc == 0 and bits.get("m2", 0) >= 8, f"--target-sqnr {target:g}: m2 gets >= 8-bit weights ({bits}, exit {rc})")
        check(all(bits.get(k) == 4 for k in ("m1", "m3", "m4")), f"the other layers keep 4-bit weights ({bits})")
        check(got >= target, f"the written model's output SQNR against numpy: {got:.2f} dB >= {target:g}")
        macs = ROWS * C * C
        rows = {m.group(1): m.groups() for m in re.finditer(
            r"mixed precision: (m\d)\s+MatMul\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)", log)}
        check(sorted(rows) == ["m1", "m2", "m3", "m4"] and all(int(r[1]) == macs for r in rows.values()),
              f"the summary table: one row per layer with {macs} MACs ({sorted(rows)})")
        check(all(rows[k][2] == str(bits[k]) and rows[k][3] == "8" for k in rows if k in bits),
              "the table's weight bits are the file's and the activations 8 bits")
        share = 100.0 * sum(macs for k in bits if bits[k] <= 8) / (4 * macs)
        check(f"{share:.1f} % of MACs on 8 bits or fewer" in log, f"the CLI's share of 8-bit MACs: {share:.1f} %")

        # the search ranks by qinfer compare's isolated view: over the 4 samples it measures, compare --per-layer of
        # the all-4-bit file (the search's first round) must name m2's tensor (h2) worst isolated, at the SQNR the
        # search printed for m2 (its worst over the samples)
        said = re.search(r"mixed precision: m2 \(MatMul\) isolated (-?[\d.]+) dB: int8 weights", log)
        worst = {}
        for k in range(4):
            csv_path = os.path.join(work, f"cmp{k}.csv")
            rc, clog = run(q, "compare", fp, plain, "--input", f"x={os.path.join(calib, f'{k:02d}.npy')}",
                           "--per-layer", "--csv", csv_path)
            with open(csv_path, newline="") as f:
                rows = list(csv.DictReader(f)) if rc == 0 else []
            for r in rows:
                if r["isolated_sqnr_db"]:
                    worst[r["tensor"]] = min(worst.get(r["tensor"], float("inf")), float(r["isolated_sqnr_db"]))
        lowest = min(worst, key=worst.get) if worst else None
        check(said and lowest == "h2" and abs(worst["h2"] - float(said.group(1))) < 0.01,
              f"compare --per-layer's isolated view over the 4 samples: worst {lowest} "
              f"({worst.get('h2', float('nan')):.2f} dB for h2), the search's m2: {said.group(1) if said else '?'} dB")

        # int8 weights: the ladder is 16-bit tensors, then float; the 16-bit Q / DQ the summary counts are in the file
        out16 = os.path.join(work, "mixed16.onnx")
        rc, log = run(q, "quantize", fp, "-o", out16, "--calib", calib, "--target-sqnr", "36")
        m = onnx.load(out16) if rc == 0 else None
        zp16 = {t.name for t in m.graph.initializer if t.data_type == TensorProto.UINT16} if m else set()
        wide = {n.input[0] for n in m.graph.node if n.op_type == "QuantizeLinear" and n.input[2] in zp16} \
            if m else set()
        said = re.search(r"(\d+) activations in 16 bits", log)
        got = output_sqnr(out16) if m else float("-inf")
        # the target holds on the calibration samples; the held-out input is given 2 dB
        check(rc == 0 and said and int(said.group(1)) == len(wide) > 0 and got >= 34,
              f"--target-sqnr 36 over int8 weights: {len(wide)} activations written at 16 bits (uint16 zero points) "
              f"as reported ({said.group(1) if said else '?'}), {got:.2f} dB against numpy (>= 34; exit {rc})")

        # --min-low-bit-macs 100: the same target may not widen what a MatMul reads; read back from the file: every
        # MatMul reads 8-bit activations (uint8 zero point of the QuantizeLinear behind its DequantizeLinear)
        outc = os.path.join(work, "mixed_low.onnx")
        rc, log = run(q, "quantize", fp, "-o", outc, "--calib", calib, "--target-sqnr", "36", "--min-low-bit-macs",
                      "100", "--allow-miss")
        m = onnx.load(outc) if rc == 0 else None
        act_bits = {}
        if m:
            zp_type = {t.name: t.data_type for t in m.graph.initializer}
            prod = {o: n for n in m.graph.node for o in n.output}
            for n in m.graph.node:
                if n.op_type == "MatMul":
                    dq = prod.get(n.input[0])
                    qn = prod.get(dq.input[0]) if dq is not None and dq.op_type == "DequantizeLinear" else None
                    act_bits[n.name] = 8 if qn is not None and zp_type.get(qn.input[2]) == TensorProto.UINT8 else 16
        check(rc == 0 and len(act_bits) == 4 and all(b == 8 for b in act_bits.values()) and "skipped" in log
              and "100.0 % of MACs on 8 bits or fewer" in log,
              f"--target-sqnr 36 --min-low-bit-macs 100: every MatMul reads 8-bit activations in the file "
              f"({act_bits}), promotions skipped, 100 % reported (exit {rc})")

        # unreachable: exit 3, the model written, the message names the miss
        rc, log = quantize(os.path.join(work, "miss.onnx"), "--target-sqnr", "200", "--max-float", "1")
        check(rc == 3 and "target SQNR 200.00 dB missed" in log and os.path.exists(os.path.join(work, "miss.onnx")),
              f"--target-sqnr 200 --max-float 1: exit {rc} (want 3), the miss reported")

        # option errors
        for extra, what in ((["--target-sqnr", "0"], "(0, 200]"), (["--target-sqnr", "201"], "(0, 200]"),
                            (["--target-sqnr", "x"], "(0, 200]"),
                            (["--activations", "float", "--target-sqnr", "30"], "target SQNR"),
                            (["--target-sqnr", "30", "--min-low-bit-macs", "101"], "percentage in [0, 100]"),
                            (["--target-sqnr", "30", "--min-low-bit-macs", "-1"], "percentage in [0, 100]"),
                            (["--target-sqnr", "30", "--min-low-bit-macs", "most"], "percentage in [0, 100]")):
            rc, log = quantize(os.path.join(work, "bad.onnx"), *extra)
            check(rc not in (0, 3) and what in log and not os.path.exists(os.path.join(work, "bad.onnx")),
                  f"{' '.join(extra)}: refused (exit {rc}) naming {what!r}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
