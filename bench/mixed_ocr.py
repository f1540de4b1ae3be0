#!/usr/bin/python3
"""PP-OCR rec / det under `qinfer quantize --target-sqnr` (docs/quantization.md, "Mixed precision"): a measurement,
not a test (minutes of CPU).

    /usr/bin/python3 bench/mixed_ocr.py --qinfer build-release/tools/qinfer --model ppocr_rec \
        [--quantized FILE] [--lines 100] [--cache DIR]

Renders --lines held-out inputs of the zoo's kind (models/make_zoo.py's synthetic text lines / pages, seeds
disjoint from the zoo's test sets and calibration samples, set 0's shape), runs the FP32 model and the quantized
one with `qinfer run` on each and prints, for rec, the share of lines whose greedy CTC text (argmax per step,
repeats merged, blank 0 dropped) is identical to FP32's, and for both the output SQNR against FP32 (worst and
median)."""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "models"))
import make_zoo  # noqa: E402


def ctc_text(probs):
    ids = probs.reshape(-1, probs.shape[-1]).argmax(axis=-1)
    out, prev = [], -1
    for i in ids:
        if i != prev and i != 0:
            out.append(int(i))
        prev = i
    return out


def sqnr(ref, x):
    ref = ref.astype(np.float64)
    err = ((ref - x) ** 2).sum()
    return float("inf") if err == 0 else 10 * np.log10((ref ** 2).sum() / err)


def run(qinfer, model, x_path, d):
    p = subprocess.run([qinfer, "run", model, "--input", f"x={x_path}", "--output-dir", d], capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.exit(p.stdout + p.stderr)
    (f,) = [f for f in os.listdir(d) if f.endswith(".npy")]
    return np.load(os.path.join(d, f))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--model", required=True, choices=["ppocr_rec", "ppocr_det"])
    ap.add_argument("--quantized", required=True)
    ap.add_argument("--lines", type=int, default=100)
    ap.add_argument("--cache")
    args = ap.parse_args()
    cache = make_zoo.cache_dir(args.cache)
    fp = os.path.join(cache, "zoo", args.model, "model.onnx")
    spec = make_zoo.MODELS[args.model]
    one = dict(spec, shapes=[spec["shapes"][0]])
    same, sq = 0, []
    with tempfile.TemporaryDirectory(prefix="qinfer_mixocr_") as work:
        for k in range(args.lines):
            x = next(iter(make_zoo.make_inputs(dict(one, seed=spec["seed"] * 7919 + 20000 + k), "x")[0].values()))
            xp = os.path.join(work, "x.npy")
            np.save(xp, x)
            os.makedirs(os.path.join(work, f"r{k}"))
            os.makedirs(os.path.join(work, f"q{k}"))
            ref = run(args.qinfer, fp, xp, os.path.join(work, f"r{k}"))
            got = run(args.qinfer, args.quantized, xp, os.path.join(work, f"q{k}"))
            sq.append(sqnr(ref, got))
            if args.model == "ppocr_rec":
                same += ctc_text(ref) == ctc_text(got)
    print(f"{args.model}: {args.lines} held-out inputs, output SQNR against FP32 worst {min(sq):.2f} dB, "
          f"median {float(np.median(sq)):.2f} dB")
    if args.model == "ppocr_rec":
        print(f"{args.model}: text identical to FP32 on {same} of {args.lines} lines ({100.0 * same / args.lines:.1f} %)")


if __name__ == "__main__":
    main()
