#!/usr/bin/python3
"""Static INT8 on the model zoo: accuracy of each calibration method and weight granularity, file size, and
INT8 vs FP32 speed, qinfer and ONNX Runtime side by side.

    bench/quant_report.py [--qinfer BUILD/tools/qinfer] [--models a,b] [--methods minmax,percentile,entropy,mse]
                          [--samples N] [--threads N] [--runs N] [--rounds N] [--no-speed] [--out PREFIX]

For each zoo model (calibration samples: models/make_calib.py, default 8): `qinfer quantize` once per method with
per-channel weights, and once with per-tensor weights (minmax); each INT8 model runs in qinfer on the zoo's input
sets 0 and 1, and its outputs are compared with ONNX Runtime's FP32 outputs: SQNR = 10 log10(sum ref^2 /
sum (ref - int8)^2) in dB, averaged over the sets and outputs. Speed (unless --no-speed): `qinfer bench` on the FP32
and on the INT8 (minmax, per-channel) model and bench/ort_bench.js on both, alternating --rounds times as
bench/compare_ort.py does; medians of the rounds' medians. Prints a Markdown table and writes PREFIX.json
(default ./quant_report.json) stamped with the versions, the CPU and the git commit.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import compare_ort  # noqa: E402  (zoo_names, zoo_model, run_json, machine, git_commit)

ORT_RUN = os.path.join(REPO, "tests", "zoo", "ort_run.js")


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def sqnr(ref, x):
    ref, x = ref.astype(np.float64), x.astype(np.float64)
    err = ((ref - x) ** 2).sum()
    return float("inf") if err == 0 else float(10 * np.log10((ref ** 2).sum() / err))


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} ...: {p.stderr.strip()[-400:]}")
    return p.stdout


def input_sets(zoo_dir):
    sets = []
    for k in range(2):
        d = os.path.join(zoo_dir, f"set{k}")
        if os.path.isdir(d):
            sets.append(["--input", *[f"{f[:-4]}={os.path.join(d, f)}" for f in sorted(os.listdir(d))]])
    return [sum(([s[0], a] for a in s[1:]), []) for s in sets]


def accuracy(args, zoo_dir, work, qmodel, outputs, sets):
    """Mean SQNR (dB) of qmodel's outputs against ORT's FP32 outputs over the input sets."""
    vals = []
    for k, inputs in enumerate(sets):
        ref_dir, q_dir = os.path.join(work, f"fp32_{k}"), os.path.join(work, "q", f"{k}")
        if not os.path.isdir(ref_dir):
            run([args.node, ORT_RUN, os.path.join(zoo_dir, "model.onnx"), "--output-dir", ref_dir,
                 "--cache", os.path.abspath(args.cache)] + inputs)
        run([args.qinfer, "run", qmodel, "--output-dir", q_dir] + inputs)
        for o in outputs:
            vals.append(sqnr(np.load(os.path.join(ref_dir, sanitize(o) + ".npy")),
                             np.load(os.path.join(q_dir, sanitize(o) + ".npy"))))
    return statistics.mean(vals)


def speed(args, model, inputs):
    """Median ms of qinfer and ORT on model, alternating rounds."""
    q_cmd = [args.qinfer, "bench", model, "--threads", str(args.threads), "--runs", str(args.runs), "--json"] + inputs
    o_cmd = [args.node, compare_ort.ORT_BENCH, model, "--threads", str(args.threads), "--runs", str(args.runs),
             "--cache", os.path.abspath(args.cache)] + inputs
    res = {"qinfer": [], "ort": []}
    for r in range(args.rounds):
        order = [("qinfer", q_cmd), ("ort", o_cmd)]
        for side, cmd in order if r % 2 == 0 else order[::-1]:
            obj, _, err = compare_ort.run_json(cmd, 600)
            if not err:
                res[side].append(obj["median_ms"])
    return {k: statistics.median(v) if v else None for k, v in res.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--qinfer", default=os.path.join(REPO, "build", "tools", "qinfer"))
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))
    ap.add_argument("--node", default=shutil.which("node") or "node")
    ap.add_argument("--models")
    ap.add_argument("--methods", default="minmax,percentile,entropy,mse")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--out", default="quant_report")
    args = ap.parse_args()
    names = args.models.split(",") if args.models else compare_ort.zoo_names()
    methods = args.methods.split(",")
    configs = [(m, "per-channel") for m in methods] + [("minmax", "per-tensor")]
    rows = []
    for name in names:
        zoo_dir = os.path.join(args.cache, "zoo", name)
        fp32 = os.path.join(zoo_dir, "model.onnx")
        work = tempfile.mkdtemp(prefix=f"qinfer_qr_{name}_")
        row = {"model": name, "sqnr": {}, "errors": []}
        try:
            import onnx
            outputs = [o.name for o in onnx.load(fp32, load_external_data=False).graph.output]
            sets = input_sets(zoo_dir)
            for method, gran in configs:
                q = os.path.join(work, f"{method}_{gran}.onnx")
                try:
                    run([args.qinfer, "quantize", fp32, "-o", q, "--calib", os.path.join(zoo_dir, "calib"),
                         "--method", method, f"--{gran}", "--max-samples", str(args.samples)])
                    row["sqnr"][f"{method}/{gran}"] = accuracy(args, zoo_dir, work, q, outputs, sets)
                except RuntimeError as e:
                    row["errors"].append(f"{method}/{gran}: {e}")
                if method == "minmax" and gran == "per-channel" and os.path.exists(q):
                    row["file_ratio"] = os.path.getsize(q) / os.path.getsize(fp32)
                    if not args.no_speed:
                        row["fp32"] = speed(args, fp32, sets[0])
                        row["int8"] = speed(args, q, sets[0])
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)

    keys = [f"{m}/{g}" for m, g in configs]
    head = ["model", "INT8/FP32 file"] + [f"SQNR {k} dB" for k in keys]
    if not args.no_speed:
        head += ["qinfer FP32 ms", "qinfer INT8 ms", "INT8 speed-up", "ORT FP32 ms", "ORT INT8 ms"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = [r["model"], f"{r['file_ratio']:.3f}" if "file_ratio" in r else "–"]
        cells += [f"{r['sqnr'][k]:.2f}" if k in r["sqnr"] else "–" for k in keys]
        if not args.no_speed:
            f, i = r.get("fp32", {}), r.get("int8", {})
            up = f.get("qinfer") / i.get("qinfer") if f.get("qinfer") and i.get("qinfer") else None
            cells += [f"{v:.2f}" if v else "–" for v in (f.get("qinfer"), i.get("qinfer"))]
            cells += [f"{up:.2f}x" if up else "–"] + [f"{v:.2f}" if v else "–" for v in (f.get("ort"), i.get("ort"))]
        print("| " + " | ".join(cells) + " |")
    meta = {"machine": compare_ort.machine(), "commit": compare_ort.git_commit(), "threads": args.threads,
            "samples": args.samples, "rows": rows}
    with open(args.out + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
