#!/usr/bin/env python3
"""ONNX Runtime's entropy calibrator against qinfer's, on the same samples (docs/quantization.md, "Calibration
methods"). Not a ctest case: the investigation behind issue 11's entropy collapse, kept so its figures can be
re-measured.

  tests/quant/entropy_vs_ort.py --qinfer build-release/tools/qinfer --model resnet18 [--num-bins 128,2048]

Steps: (1) ONNX Runtime 1.30 (onnxruntime-node, tests/zoo/ort_run.js) runs the FP32 model on the zoo's
calibration samples with every tensor an output, as ORT's calibrator does; (2) the thresholds of ORT's
EntropyCalibrater (onnxruntime/python/tools/quantization/calibrate.py, HistogramCollector: collect_value and
get_entropy_threshold, written here again in numpy from its description: a histogram of the values over
[-T, T], T = max |x|, num_bins bins; windows [zero_bin - i, zero_bin + i] for i from num_quantized_bins / 2 to
num_bins / 2; P = the window with the outside counts added to its end bins, Q = the window merged into
num_quantized_bins groups of num_bins_in_window // num_quantized_bins bins (the rest into the last group), each
group's count spread over the bins where P is non-zero and stored as int64; both smoothed with eps = 1e-4 on the raw
counts; KL by scipy.stats.entropy's formula; the chosen window's edges clipped to [min, max]); (3) those ranges
put into qinfer's minmax QDQ model of the same samples (uint8 scale and zero point by ORT's formula), then `qinfer
compare` against FP32 on the zoo's test sets, beside qinfer's own minmax and entropy files.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORT_RUN = os.path.join(REPO, "tests", "zoo", "ort_run.js")


def smooth(p, eps=1e-4):
    zeros = p == 0
    nz = p.size - zeros.sum()
    if nz == 0:
        return None
    out = p.astype(np.float32)
    out += np.where(zeros, np.float32(eps), np.float32(-eps * zeros.sum() / nz))
    return out


def kl(p, q):
    p = p / p.sum()
    q = q / q.sum()
    m = p > 0
    return float(np.sum(p[m] * np.log(p[m] / q[m])))


def ort_entropy_range(values, num_bins, num_quantized_bins):
    lo, hi = values.min(), values.max()
    t = max(abs(lo), abs(hi))
    hist, edges = np.histogram(values, num_bins, range=(-t, t))
    zero = num_bins // 2
    half = num_quantized_bins // 2
    best, best_range = np.inf, None
    for i in range(half, zero + 1):
        s, e = zero - i, min(zero + i + 1, num_bins)
        sliced = hist[s:e].copy()
        p = sliced.copy()
        p[0] += hist[:s].sum()
        p[-1] += hist[e:].sum()
        nonzero = (p != 0).astype(np.int64)
        merged = sliced.size // num_quantized_bins
        groups = np.array([sliced[k * merged:(k + 1) * merged].sum() for k in range(num_quantized_bins)])
        groups[-1] += sliced[num_quantized_bins * merged:].sum()
        q = np.zeros(p.size, dtype=np.int64)
        for k in range(num_quantized_bins):
            norm = nonzero[k * merged:(k + 1) * merged].sum()
            if norm:
                q[k * merged:(k + 1) * merged] = float(groups[k]) / float(norm)
        ps, qs = smooth(p), smooth(q)
        d = kl(ps, qs) if ps is not None and qs is not None else np.inf
        if d < best:
            best, best_range = d, (float(edges[s]), float(edges[e]))
    r = best_range if best_range is not None else (float(lo), float(hi))
    return max(r[0], float(lo)), min(r[1], float(hi))


def ort_uint8(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    s = np.float32((hi - lo) / 255.0) if hi != lo else np.float32(1)
    return s, np.uint8(round(max(0, min(255, -lo / float(s)))))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"{' '.join(cmd)}: {r.stderr or r.stdout}")
    return r.stdout


def output_sqnr(qinfer, fp32, test, sets):
    out = []
    for d in sets:
        feeds = [x for f in sorted(os.listdir(d)) for x in ("--input", f"{f[:-4]}={os.path.join(d, f)}")]
        for line in run([qinfer, "compare", fp32, test, "--threads", "2"] + feeds).splitlines():
            t = line.split()
            if len(t) >= 7 and t[1] == "float" and t[2].startswith("["):
                out.append(f"{float(t[3]):.2f} dB / {float(t[4]):.5f}")
                break
    return ", ".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))
    ap.add_argument("--node", default="node")
    ap.add_argument("--num-bins", default="128,2048", help="ORT num_bins values to try (num_quantized_bins 128)")
    ap.add_argument("--work")
    args = ap.parse_args()
    zoo = os.path.join(args.cache, "zoo", args.model)
    fp32, calib = os.path.join(zoo, "model.onnx"), os.path.join(zoo, "calib")
    sets = [os.path.join(zoo, s) for s in sorted(os.listdir(zoo)) if s.startswith("set")]
    work = args.work or tempfile.mkdtemp(prefix="qinfer_entropy_ort_")
    os.makedirs(work, exist_ok=True)

    files = [{None: os.path.join(calib, f)} for f in sorted(os.listdir(calib)) if f.endswith(".npy")]
    model = onnx.load(fp32)
    input_name = model.graph.input[0].name
    names = [o for n in model.graph.node for o in n.output]
    have = {o.name for o in model.graph.output}
    model.graph.output.extend(helper.make_empty_tensor_value_info(n) for n in names if n not in have)
    every = os.path.join(work, "every_output.onnx")
    onnx.save(model, every)
    values = {}
    for k, f in enumerate(files):
        d = os.path.join(work, f"ort{k}")
        run([args.node, ORT_RUN, every, "--output-dir", d, "--input", f"{input_name}={f[None]}", "--cache", args.cache])
        for n in names + [input_name]:
            p = f[None] if n == input_name else os.path.join(d, "".join(c if c.isalnum() or c in "._-" else "_"
                                                                          for c in n) + ".npy")
            if os.path.exists(p):
                values.setdefault(n, []).append(np.load(p).astype(np.float32).ravel())

    base = {}
    for method in ("minmax", "entropy"):
        base[method] = os.path.join(work, f"qinfer_{method}.onnx")
        run([args.qinfer, "quantize", fp32, "-o", base[method], "--calib", calib, "--method", method, "--no-trim"])
        print(f"{args.model:14s} qinfer {method:8s} output SQNR / cosine: {output_sqnr(args.qinfer, fp32, base[method], sets)}")

    q = onnx.load(base["minmax"])
    inits = {i.name: i for i in q.graph.initializer}
    producer = {o: n.name for n in q.graph.node for o in n.output}
    fp32_out = {n.name: n.output[0] for n in onnx.load(fp32, load_external_data=False).graph.node}
    for nb in [int(x) for x in args.num_bins.split(",")]:
        changed = 0
        clipped = []
        for n in q.graph.node:
            if n.op_type != "QuantizeLinear" or n.input[0] in inits:
                continue
            name = n.input[0]
            if name not in values and producer.get(name) in fp32_out:
                name = fp32_out[producer[name]]
            if name not in values:
                continue
            v = np.concatenate(values[name])
            lo, hi = ort_entropy_range(v, nb, 128)
            clipped.append(hi / float(v.max()) if v.max() > 0 else 1.0)
            s, z = ort_uint8(lo, hi)
            inits[n.input[1]].CopyFrom(numpy_helper.from_array(np.array(s, np.float32), n.input[1]))
            if len(n.input) > 2:
                inits[n.input[2]].CopyFrom(numpy_helper.from_array(np.array(z, np.uint8), n.input[2]))
            changed += 1
        path = os.path.join(work, f"ort_entropy_{nb}.onnx")
        onnx.save(q, path)
        print(f"{args.model:14s} ORT entropy num_bins {nb:5d}: {changed} ranges, top end / max median "
              f"{np.median(clipped):.3f} (min {min(clipped):.3f}); output SQNR / cosine: "
              f"{output_sqnr(args.qinfer, fp32, path, sets)}")


if __name__ == "__main__":
    main()
