#!/usr/bin/python3
"""`qinfer sweep` on a small CNN built here with 2 calibration samples: every configuration row is in the table, the
CSV parses and matches the table, the file sizes are those of the kept files and ordered W4 < W8 < FP32, FP32
against itself is inf dB, the W8A32 row's SQNR is what numpy computes from the kept model's dequantized weights,
the SVG is well-formed XML with one point per configuration, --input sets are the evaluation samples when given,
and bad arguments fail with a clear message and the right exit status.

    run_sweep.py --qinfer BUILD/tools/qinfer
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CONFIGS = ["FP32", "W8A32", "W8A16", "W8A8", "W8A8-per-tensor", "W4A32", "W4A8", "W8A8-dynamic", "W4A8-dynamic"]
failures = []


def check(ok, what):
    print(("   ok   " if ok else "   FAIL ") + what)
    if not ok:
        failures.append(what)


def run(qinfer, *args, env=None):
    p = subprocess.run([qinfer, *args], capture_output=True, text=True, env=env)
    return p.returncode, p.stdout, p.stderr


def make_model(path):
    """x [1,3,8,8] -> Conv 3->32 3x3 -> Relu -> Conv 32->64 3x3 -> Relu -> GlobalAveragePool -> Flatten ("feat",
    an output) -> Gemm 64->10 ("logits"). Enough weights that the file size follows the weight bits."""
    rng = np.random.default_rng(11)
    w1 = (rng.standard_normal((32, 3, 3, 3)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal(32) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((64, 32, 3, 3)) * 0.1).astype(np.float32)
    b2 = (rng.standard_normal(64) * 0.1).astype(np.float32)
    fw = (rng.standard_normal((10, 64)) * 0.3).astype(np.float32)
    fb = (rng.standard_normal(10) * 0.1).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"), (fw, "fw"),
                                                        (fb, "fb")]]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["feat"], name="flatten"),
        helper.make_node("Gemm", ["feat", "fw", "fb"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(nodes, "sweep_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10]),
                               helper.make_tensor_value_info("feat", TensorProto.FLOAT, [1, 64])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.save(model, path)


def conv2d(x, w, b):
    """3x3, pads 1, stride 1, NCHW: the obvious loops over the taps."""
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, w.shape[0], h, wd), np.float64)
    for ky in range(3):
        for kx in range(3):
            out += np.einsum("nchw,oc->nohw", xp[:, :, ky:ky + h, kx:kx + wd], w[:, :, ky, kx])
    return out + b[None, :, None, None]


def forward(weights, x):
    r1 = np.maximum(conv2d(x, weights["w1"], weights["b1"]), 0)
    r2 = np.maximum(conv2d(r1, weights["w2"], weights["b2"]), 0)
    feat = r2.mean(axis=(2, 3))
    return {"logits": feat @ weights["fw"].T + weights["fb"], "feat": feat}


def float_weights(path):
    """Initializers of the model, each weight behind a DequantizeLinear dequantized as ONNX says."""
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in m.graph.initializer}
    out = dict(inits)
    for n in m.graph.node:
        if n.op_type != "DequantizeLinear":
            continue
        q, s = inits[n.input[0]], inits[n.input[1]]
        zp = inits[n.input[2]] if len(n.input) > 2 and n.input[2] else np.zeros_like(s)
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        if s.ndim == 1 and s.size > 1:
            shape = [1] * q.ndim
            shape[axis] = s.size
            s, zp = s.reshape(shape), zp.reshape(shape)
        out[n.output[0]] = (q - zp) * s
    # the consumers' inputs, under the names of the FP32 model
    names = {}
    for n in m.graph.node:
        if n.op_type in ("Conv", "Gemm"):
            names.update({n.input[1]: {"conv1": "w1", "conv2": "w2", "fc": "fw"}.get(n.name),
                          n.input[2]: {"conv1": "b1", "conv2": "b2", "fc": "fb"}.get(n.name)})
    return {names[k]: v for k, v in out.items() if names.get(k)}


def sqnr(ref, test):
    err = np.sum((ref - test) ** 2)
    return float("inf") if err == 0 else 10 * np.log10(np.sum(ref ** 2) / err)


def table_rows(stdout):
    """config -> (file MB, {output: (sqnr, cosine)}) from the printed table."""
    rows, current = {}, None
    for line in stdout.splitlines():
        f = line.split()
        if f and f[0] in CONFIGS and len(f) >= 12:
            current = f[0]
            rows[current] = (float(f[5]), {f[9]: (f[10], f[11])})
        elif current and len(f) == 3 and not line.startswith(("model", "isa", "SQNR", "csv", "svg")):
            rows[current][1][f[0]] = (f[1], f[2])
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    q = ap.parse_args().qinfer
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "cnn.onnx")
        make_model(model)
        calib = os.path.join(tmp, "calib")
        os.makedirs(calib)
        rng = np.random.default_rng(5)
        samples = [rng.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32) for _ in range(2)]
        for i, s in enumerate(samples):
            np.save(os.path.join(calib, f"{i:03d}.npy"), s)
        keep, csv_path, svg_path = (os.path.join(tmp, n) for n in ("kept", "sweep.csv", "sweep.svg"))

        print("sweep on the calibration samples")
        rc, out, err = run(q, "sweep", model, "--calib", calib, "--keep", keep, "--csv", csv_path, "--svg", svg_path,
                           "--runs", "3", "--warmup", "1")
        check(rc == 0, f"exit 0 (got {rc}: {err.strip()[-300:]})")
        print(out)
        check("the worst over 2 calibration samples" in out, "the table says what it measured on")
        check(re.search(r"sweep: 9/9 W4A8-dynamic: timing", err) is not None,
              "a progress line per configuration when not a terminal")
        table = table_rows(out)
        check(list(table) == CONFIGS, f"a table row per configuration in order (got {list(table)})")
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
        check(sorted({r["config"] for r in rows}) == sorted(CONFIGS), "a CSV row set per configuration")
        check(len(rows) == 2 * len(CONFIGS), "two rows (outputs) per configuration")
        by = {(r["config"], r["output"]): r for r in rows}
        for c in CONFIGS:
            for o in ("logits", "feat"):
                r = by.get((c, o))
                if not r:
                    check(False, f"CSV row {c} {o}")
                    continue
                t = table.get(c)
                same = t is not None and abs(t[0] - int(r["file_bytes"]) / 1e6) < 6e-4 and o in t[1]
                if same and r["sqnr_db"] == "inf":
                    same = t[1][o][0] == "inf"
                elif same:
                    same = abs(float(t[1][o][0]) - float(r["sqnr_db"])) < 6e-3 * max(1, abs(float(r["sqnr_db"])))
                check(same, f"{c} {o}: the table's size and SQNR are the CSV's")
                check(r["samples"] == "2" and float(r["median_ms"]) > 0, f"{c} {o}: 2 samples, a latency")
                path = r["model_file"]
                check(os.path.getsize(path) == int(r["file_bytes"]), f"{c}: file_bytes is the size of {path}")
        fp32 = by[("FP32", "logits")]
        check(fp32["sqnr_db"] == "inf" and float(fp32["cosine"]) == 1.0, "FP32 against itself: inf dB, cosine 1")
        size = {c: int(by[(c, "logits")]["file_bytes"]) for c in CONFIGS}
        check(size["W4A32"] < size["W8A32"] < size["FP32"] and size["W4A8"] < size["W8A8"] < size["FP32"] and
              size["W8A8-dynamic"] < size["FP32"] and size["W4A8-dynamic"] < size["FP32"],
              f"sizes W4 < W8 < FP32 ({size})")
        for c in CONFIGS[1:]:
            s = float(by[(c, "logits")]["sqnr_db"])
            check(5 < s < 200, f"{c}: a finite SQNR ({s:.2f} dB)")

        # W8A32 is float arithmetic on dequantized weights: numpy computes the same SQNR from the kept file
        ref_w = float_weights(model)
        w8 = float_weights(by[("W8A32", "logits")]["model_file"])
        for o in ("logits", "feat"):
            worst = min(sqnr(forward(ref_w, s.astype(np.float64))[o], forward(w8, s.astype(np.float64))[o])
                        for s in samples)
            got = float(by[("W8A32", o)]["sqnr_db"])
            check(abs(got - worst) < 0.05, f"W8A32 {o}: {got:.3f} dB, numpy {worst:.3f} dB")

        try:
            svg = ET.parse(svg_path).getroot()
            ns = "{http://www.w3.org/2000/svg}"
            points = [e for e in svg.iter(ns + "circle") if e.get("class") == "point"]
            texts = " ".join(e.text or "" for e in svg.iter(ns + "text"))
            check(len(points) == 2 * len(CONFIGS), f"SVG: one point per configuration in each panel ({len(points)})")
            check(all(c in texts for c in CONFIGS) and "(MB)" in texts and "(ms)" in texts and "(dB)" in texts,
                  "SVG: every label, axes with units")
        except ET.ParseError as e:
            check(False, f"SVG is well-formed XML ({e})")

        print("sweep on one --input set, without --keep")
        scratch = os.path.join(tmp, "scratch")
        os.makedirs(scratch)
        rc, out, err = run(q, "sweep", model, "--calib", calib, "--input", "x=" + os.path.join(calib, "001.npy"),
                           "--runs", "1", "--warmup", "0", "--samples", "1", env=dict(os.environ, TMPDIR=scratch))
        check(rc == 0 and "the worst over 1 --input set" in out and list(table_rows(out)) == CONFIGS,
              f"--input: exit 0, its set named ({rc}: {err.strip()[-200:]})")
        check(os.listdir(scratch) == [], f"the temporary folder is removed ({os.listdir(scratch)})")

        print("errors")
        img = os.path.join(tmp, "images")
        os.makedirs(img)
        open(os.path.join(img, "a.png"), "wb").write(b"\x89PNG\r\n\x1a\n")
        cases = [
            ((model,), 2, "no calibration folder given"),
            (("--calib", calib), 2, "no model given"),
            ((model, "--calib", calib, "--method", "best"), 2, "--method must be minmax, percentile, entropy or mse"),
            ((model, "--calib", calib, "--samples", "0"), 2, "--samples needs a number"),
            ((model, "--calib", calib, "--runs", "0"), 2, "--runs needs a number"),
            ((model, "--calib", calib, "--bogus"), 2, "unknown option '--bogus'"),
            ((model, "--calib", calib, "--std", "0"), 2, "--std"),
            ((os.path.join(tmp, "missing.onnx"), "--calib", calib), 1, "cannot load model"),
            ((model, "--calib", os.path.join(tmp, "nowhere")), 1, "cannot read the calibration folder"),
            ((model, "--calib", img, "--preset", "none"), 1, "are images"),
            ((model, "--calib", calib, "--csv", os.path.join(tmp, "no", "dir", "x.csv")), 1, "cannot write"),
            ((model, "--calib", calib, "--input", "y=" + os.path.join(calib, "000.npy")), 1, "'y'"),
        ]
        for args, code, msg in cases:
            rc, out, err = run(q, "sweep", *args)
            check(rc == code and msg in err, f"{' '.join(a.replace(tmp, '') for a in args)}: exit {code}, '{msg}' "
                                             f"(got {rc}: {err.strip()[:200]})")
    if failures:
        print(f"{len(failures)} FAILED")
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
