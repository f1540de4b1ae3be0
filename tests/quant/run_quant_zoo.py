#!/usr/bin/python3
"""Static INT8 on the model zoo: qinfer's quantizer, qinfer's integer runtime and ONNX Runtime on the same model.

    run_quant_zoo.py --qinfer BUILD/tools/qinfer --model NAME [--cache DIR] [--node node] [--keep DIR] [-v]

For the model: `qinfer quantize` on its calibration samples (models/make_calib.py; 4 samples, minmax, per-channel
weights, uint8 activations) writes a QDQ model; then, on input set 0:
  1. ONNX Runtime 1.30 runs the QDQ model with every QuantizeLinear output added as a graph output (the quantized
     tensors), and `qinfer run --all-tensors` runs it with its integer kernels. Every quantized tensor both have
     must be equal on >= 99.9 % of its elements and never more than one step apart; the final outputs must have
     cosine >= 0.9999 (the issue's parity criterion).
  2. qinfer's outputs are bit-identical on every ISA path this CPU has (scalar, avx2, ... ) and at 1 and 3
     threads: integer kernels give one answer.
  3. The INT8 model is no larger than 0.27 x the FP32 file for models with more than 10 MB of weights (smaller
     ones are dominated by the graph's structure; the ratio is printed), and its output SQNR against ORT's FP32
     output is printed (a floor of 10 dB catches a broken quantizer; accuracy targets are measured by
     bench/quant_report.py, not asserted here).
Where ORT and qinfer run the same integer ops (the CNNs: MobileNetV2, ResNet-18/50, FaceNet, ArcFace) the bytes
are expected to be identical. Four models cannot meet criterion 1 for reasons outside the integer kernels; they are
listed in LOOSE with the reason and checked against looser bounds instead (final outputs: cosine >= 0.98 against
ORT's INT8, and an SQNR against FP32 within 1.5 dB of ORT's), so a real regression still fails them; their
per-tensor agreement is printed. Exit 1 on any failure.
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
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORT_RUN = os.path.join(REPO, "tests", "zoo", "ort_run.js")
ISAS = ["scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "neoni8mm"]

# model -> why ORT's quantized tensors cannot equal qinfer's byte for byte
LOOSE = {
    "vit": "Softmax, LayerNormalization and Gelu run in float between quantized tensors in both runtimes, and their "
           "float kernels differ in the last bits; a one-step difference at a rounding tie grows over 12 layers",
    "ppocr_det": "ConvTranspose and Resize run in float between quantized tensors (no runtime has integer versions); "
                 "the float results differ in the last bits and flip rounding ties, which later layers amplify",
    "ppocr_rec": "opset 9: ORT cannot fuse QDQ patterns below opset 10, so it computes every quantized op in float on "
                 "dequantized values; ties round differently from the integer kernels and the differences grow",
    "ppocr_cls": "opset 9, as ppocr_rec",
}


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    den = np.linalg.norm(a) * np.linalg.norm(b)
    return 1.0 if den == 0 and np.array_equal(a, b) else float(a @ b / den) if den else 0.0


def sqnr(ref, x):
    ref, x = ref.astype(np.float64), x.astype(np.float64)
    err = ((ref - x) ** 2).sum()
    return float("inf") if err == 0 else 10 * np.log10((ref ** 2).sum() / err)


def default_opset(model):
    return max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))
    ap.add_argument("--node", default=shutil.which("node") or "node")
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--keep")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    zoo = os.path.join(os.path.abspath(args.cache), "zoo", args.model)
    fp32 = os.path.join(zoo, "model.onnx")
    set0 = os.path.join(zoo, "set0")
    calib = os.path.join(zoo, "calib")
    for p in (fp32, set0, calib):
        if not os.path.exists(p):
            print(f"quant: {p} is missing (models/make_zoo.py, models/make_calib.py)", file=sys.stderr)
            return 2
    work = args.keep or tempfile.mkdtemp(prefix="qinfer_quant_")
    os.makedirs(work, exist_ok=True)
    failures = []

    def check(ok, what):
        print(("   ok   " if ok else "   FAIL ") + what)
        if not ok:
            failures.append(what)

    if args.model in LOOSE:
        print(f"   note   looser parity bounds: {LOOSE[args.model]}")
    try:
        qpath = os.path.join(work, "int8.onnx")
        out = run([args.qinfer, "quantize", fp32, "-o", qpath, "--calib", calib, "--max-samples", str(args.samples)])
        if args.verbose:
            print(out)
        inputs = []
        for f in sorted(os.listdir(set0)):
            inputs += ["--input", f"{f[:-4]}={os.path.join(set0, f)}"]
        qmodel = onnx.load(qpath)
        fmodel = onnx.load(fp32, load_external_data=False)
        opt = "all" if default_opset(qmodel) >= 10 else "basic"

        # ORT: FP32 reference and the QDQ model with its quantized tensors as outputs
        qouts = [n.output[0] for n in qmodel.graph.node if n.op_type == "QuantizeLinear"]
        have = {o.name for o in qmodel.graph.output}
        for name in qouts:
            if name not in have:
                qmodel.graph.output.append(helper.make_empty_tensor_value_info(name))
        ort_model = os.path.join(work, "int8_all_outputs.onnx")
        onnx.save(qmodel, ort_model)
        ort = [args.node, ORT_RUN, "--cache", os.path.abspath(args.cache)]
        run(ort + [fp32, "--output-dir", os.path.join(work, "ort_fp32")] + inputs)
        run(ort + [ort_model, "--output-dir", os.path.join(work, "ort_int8"), "--opt", opt] + inputs)
        run([args.qinfer, "run", qpath, "--output-dir", os.path.join(work, "qi_out"),
             "--all-tensors", os.path.join(work, "qi_all")] + inputs)
        index = {}
        with open(os.path.join(work, "qi_all", "tensors.tsv")) as f:
            for line in f:
                name, file = line.rstrip("\n").split("\t")[:2]
                index[name] = file

        # 1. quantized tensors and outputs vs ORT
        compared, worst = 0, (1.0, 0, "")
        for name in qouts:
            if name not in index:
                continue  # fused away inside an integer op in qinfer (e.g. a requantization folded into a table)
            a = np.load(os.path.join(work, "ort_int8", sanitize(name) + ".npy")).astype(np.int32)
            b = np.load(os.path.join(work, "qi_all", index[name])).astype(np.int32)
            if a.shape != b.shape:
                check(False, f"{name}: shape {b.shape} vs ORT {a.shape}")
                continue
            d = np.abs(a - b)
            eq = float((d == 0).mean()) if d.size else 1.0
            compared += 1
            if (eq, -int(d.max(initial=0))) < (worst[0], -worst[1]):
                worst = (eq, int(d.max(initial=0)), name)
            if args.model not in LOOSE and (eq < 0.999 or d.max(initial=0) > 1):
                check(False, f"{name}: {eq * 100:.3f}% equal to ORT, max {int(d.max(initial=0))} steps apart")
        check(compared > 0, f"{compared} quantized tensors compared with ORT; least equal: {worst[2]} "
                            f"{worst[0] * 100:.3f}% (max {worst[1]} step)")
        for o in fmodel.graph.output:
            ref = np.load(os.path.join(work, "ort_fp32", sanitize(o.name) + ".npy"))
            ort8 = np.load(os.path.join(work, "ort_int8", sanitize(o.name) + ".npy"))
            qi8 = np.load(os.path.join(work, "qi_out", sanitize(o.name) + ".npy"))
            c = cosine(ort8, qi8)
            bound = 0.98 if args.model in LOOSE else 0.9999
            check(c >= bound, f"output {o.name}: cosine qinfer vs ORT (both INT8) {c:.6f} >= {bound}")
            s, s_ort = sqnr(ref, qi8), sqnr(ref, ort8)
            check(s >= 10.0, f"output {o.name}: SQNR INT8 vs FP32 {s:.2f} dB (ORT's INT8: {s_ort:.2f} dB)")
            if args.model in LOOSE:
                check(s >= s_ort - 1.5, f"output {o.name}: SQNR within 1.5 dB of ORT's or better")

        # 2. one answer on every ISA path and thread count
        base = {o.name: np.load(os.path.join(work, "qi_out", sanitize(o.name) + ".npy")) for o in fmodel.graph.output}
        variants = [["--isa", isa] for isa in ISAS] + [["--threads", "3"]]
        for extra in variants:
            d = os.path.join(work, "qi_" + "_".join(x.strip("-") for x in extra))
            try:
                run([args.qinfer, "run", qpath, "--output-dir", d] + inputs + extra)
            except RuntimeError as e:
                if "cannot run the" in str(e):
                    print(f"   skip   {' '.join(extra)}: not available on this CPU")
                    continue
                raise
            same = all(np.array_equal(base[n], np.load(os.path.join(d, sanitize(n) + ".npy"))) for n in base)
            check(same, f"outputs with {' '.join(extra)} identical to the default run")

        # 3. size
        weights = sum(np.prod(t.dims) * 4 for t in fmodel.graph.initializer if t.data_type == 1)
        ratio = os.path.getsize(qpath) / os.path.getsize(fp32)
        if weights > 10e6:
            check(ratio <= 0.27, f"INT8 file {ratio:.3f} x the FP32 file (<= 0.27)")
        else:
            print(f"   info   INT8 file {ratio:.3f} x the FP32 file ({weights / 1e6:.1f} MB of float weights)")
    except RuntimeError as e:
        check(False, str(e))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"quant {args.model}: {'FAIL' if failures else 'ok'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
