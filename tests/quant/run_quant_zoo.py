#!/usr/bin/python3
"""Static INT8 on the model zoo: qinfer's quantizer, qinfer's integer runtime and ONNX Runtime on the same model.

    run_quant_zoo.py --qinfer BUILD/tools/qinfer --model NAME [--cache DIR] [--node node] [--keep DIR] [-v]

For the model: `qinfer quantize` on its calibration samples (models/make_calib.py; 4 samples, minmax, per-channel
weights, uint8 activations) writes a QDQ model; `qinfer run --all-tensors` runs it on input set 0 with its integer
kernels, and every tensor a QuantizeLinear of the model makes (an activation; weights are stored quantized) must
be in that dump: a missing one fails, unless FUSED_AWAY names it for this model with the reason. Then:
  1. Per tensor, the QDQ semantics: ONNX Runtime with graph optimizations disabled (every QuantizeLinear,
     DequantizeLinear and op run as written, in float) computes each quantized tensor from qinfer's own values of
     the quantized tensors before it (a copy of the model in which every consumer of a QuantizeLinear output reads
     a graph input fed qinfer's tensor), so each tensor is checked on its own instead of after the differences of
     all the layers before it. Every element must be equal, or one step apart where ORT's value before rounding
     (x / y_scale) lies within TIE = 1e-3 of a step from a half step: a rounding tie, which float arithmetic in
     another order, or QLinearAdd / QLinearMul adding the zero point before rounding (docs/quantization.md), may
     send either way.
  0. The INT8 file imports opset >= 13 with default-domain QuantizeLinear / DequantizeLinear (models below 13 are
     upgraded by qinfer's version converter, engine/quant/writer/opset_upgrade.c) and passes
     onnx.checker.check_model(full_check=True).
  2. Against ONNX Runtime 1.30's own integer runtime on the same QDQ model (all graph optimizations: QDQ fused into
     QLinearConv / QLinearMatMul / QGemm ...), with every QuantizeLinear output added as a graph output: every
     quantized tensor equal on >= 99.9 % of its elements and never more than one step apart; the final outputs
     cosine >= 0.9999 (the issue's parity criterion). On the CNNs (MobileNetV2, ResNet-18/50, FaceNet, ArcFace,
     PP-OCR cls) the bytes are expected to be identical. Three models cannot meet this over the whole network for
     reasons outside the integer kernels; they are listed in LOOSE with the reason, their per-tensor agreement is
     printed and the final outputs are held to cosine >= 0.98 against ORT's INT8 and an SQNR against FP32 within
     1.5 dB of ORT's (criterion 1 checks them per tensor).
     ORT's uint8 x int8 gemm saturates on x86 CPUs without VNNI (tests/common/ort_u8s8.py; a probe decides):
     there ORT runs the same QDQ model with its int8 weights re-expressed as uint8 (w + 128, zero point + 128:
     the same values), which it computes on its exact uint8 x uint8 path. The script says so when it does.
  3. qinfer's outputs are bit-identical on every ISA path this CPU has (scalar, avx2, ... ) and at 1 and 3
     threads: integer kernels give one answer. Where the INT8 model keeps a float Conv / ConvTranspose / Gemm /
     MatMul (its input made by no DequantizeLinear), which runs the ISA's FP32 gemm, held to tolerances and not
     to bits across ISAs, the ISA paths are held to cosine >= 0.99999 instead (threads still to bits).
  4. The INT8 model is no larger than 0.27 x the FP32 file for models with more than 10 MB of weights (smaller
     ones are dominated by the graph's structure; the ratio is printed), and its output SQNR against ORT's FP32
     output is printed (a floor of 10 dB catches a broken quantizer; accuracy targets are measured by
     bench/quant_report.py, not asserted here).
Exit 1 on any failure.
"""
import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORT_RUN = os.path.join(REPO, "tests", "zoo", "ort_run.js")
sys.path.insert(0, os.path.join(REPO, "tests", "common"))
import ort_u8s8  # noqa: E402
from onnx_full_check import full_check_error  # noqa: E402

ISAS = ["scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "neoni8mm"]

# model -> why ORT's quantized tensors cannot equal qinfer's byte for byte
LOOSE = {
    "vit": "Softmax, LayerNormalization and Gelu run in float between quantized tensors in both runtimes, and their "
           "float kernels differ in the last bits; a one-step difference at a rounding tie grows over 12 layers",
    "ppocr_det": "ConvTranspose and Resize run in float between quantized tensors (no runtime has integer versions); "
                 "the float results differ in the last bits and flip rounding ties, which later layers amplify",
    "ppocr_rec": "the attention blocks' Softmax and their LayerNormalization written out (ReduceMean, Sub, Pow, Sqrt, "
                 "Div) run in float between quantized tensors in both runtimes; the first 88 quantized tensors are "
                 "byte-identical, the first attention Softmax's output is 99.3 % equal (one step, float kernels "
                 "differing in the last bits at rounding ties), and the differences grow over the blocks, as in vit",
}
# model -> {QuantizeLinear output: why qinfer's --all-tensors dump legitimately lacks it}. Empty: today qinfer
# keeps every quantized tensor of every zoo model (a fused pattern's 8-bit output is the tensor itself).
FUSED_AWAY = {}
# criterion 1: a one-step difference is a rounding tie when ORT's x / y_scale is within TIE of a half step.
# Measured (AMD Zen 3, AVX2, all nine models): 3,505 of 80 million elements differ, every one within 2.3e-5 of a
# step of a tie (a float32 ulp or two of values up to 256; 3,377 of them exact ties in one ppocr_det Add whose
# output scale is twice its input scales); 1e-3 leaves 40x for other kernels' summation orders, while a wrong
# result (a dropped epsilon or activation, a wrong scale) lands that near a tie in only ~0.2 % of its elements.
TIE = 1e-3


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def big_stack():
    """A 64 MB stack for the child: ONNX Runtime's session on criterion 1's ViT model (optimizations disabled, 356
    extra inputs) recurses deeply inside libonnxruntime (gdb: one three-function cycle, frame after frame) and
    nearly fills node's default 8 MB main-thread stack, which also holds argv: with a work folder name 10
    characters longer (35 KB of arguments instead of 26 KB) it died of SIGSEGV; with ulimit -s 65536 it runs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = 64 << 20
    if soft != resource.RLIM_INFINITY and soft < want and (hard == resource.RLIM_INFINITY or hard >= want):
        resource.setrlimit(resource.RLIMIT_STACK, (want, hard))


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=big_stack, **kw)
    if r.returncode != 0:
        shown = " ".join(cmd) if len(cmd) < 40 else " ".join(cmd[:12]) + f" ... ({len(cmd)} arguments)"
        raise RuntimeError(f"{shown} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
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


def qnodes_of(model):
    return [n for n in model.graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear")]


def read_dump(folder):
    """qinfer's --all-tensors index: tensor name -> file."""
    index = {}
    with open(os.path.join(folder, "tensors.tsv")) as f:
        for line in f:
            name, file = line.rstrip("\n").split("\t")[:2]
            index[name] = os.path.join(folder, file)
    return index


def forced_model(qmodel, qouts, index):
    """Criterion 1's copy of the model: each consumer of a QuantizeLinear output T reads a graph input T__qinfer
    (fed qinfer's T) instead; T and each QuantizeLinear's float input stay as graph outputs.
    -> (model, {T__qinfer: qinfer's file})."""
    m = onnx.ModelProto()
    m.CopyFrom(qmodel)
    g = m.graph
    feeds = {}
    graph_inputs = {i.name for i in g.input}
    outs = {o.name for o in g.output}
    for q in [n for n in g.node if n.op_type == "QuantizeLinear" and n.output[0] in qouts]:
        t = q.output[0]
        for name in (t, q.input[0]):
            if name not in outs and name not in graph_inputs:
                g.output.append(helper.make_empty_tensor_value_info(name))
                outs.add(name)
        if t not in index:
            continue
        alias = t + "__qinfer"
        for n in g.node:
            for i, x in enumerate(n.input):
                if x == t:
                    n.input[i] = alias
        a = np.load(index[t], mmap_mode="r")
        elem = onnx.TensorProto.UINT8 if a.dtype == np.uint8 else onnx.TensorProto.INT8
        g.input.append(helper.make_tensor_value_info(alias, elem, list(a.shape)))
        feeds[alias] = index[t]
    return m, feeds


def q_params(model, node):
    """A QuantizeLinear's scale and zero point as numpy arrays broadcast along its axis."""
    inits = {t.name: t for t in model.graph.initializer}
    scale = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
    return scale, next((a.i for a in node.attribute if a.name == "axis"), 1)


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
    args.cache = os.path.abspath(args.cache)
    zoo = os.path.join(args.cache, "zoo", args.model)
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
        print(f"   note   looser parity bounds against ORT's integer runtime: {LOOSE[args.model]}")
    ort = [args.node, ORT_RUN, "--cache", args.cache]
    try:
        qpath = os.path.join(work, "int8.onnx")
        out = run([args.qinfer, "quantize", fp32, "-o", qpath, "--calib", calib, "--max-samples", str(args.samples)])
        if args.verbose:
            print(out)
        feeds = {f[:-4]: os.path.join(set0, f) for f in sorted(os.listdir(set0))}
        inputs = [x for n, f in feeds.items() for x in ("--input", f"{n}={f}")]
        qmodel = onnx.load(qpath)
        fmodel = onnx.load(fp32, load_external_data=False)
        # the file runs in ONNX Runtime as written: opset >= 13 (standard per-axis Q/DQ; a model below 13 is
        # upgraded by qinfer's version converter) and valid for ONNX's own checker
        check(default_opset(qmodel) >= 13 and all(n.domain == "" for n in qnodes_of(qmodel)),
              f"INT8 file at opset {default_opset(qmodel)} (>= 13; FP32 model: {default_opset(fmodel)}), default-domain "
              f"QuantizeLinear / DequantizeLinear")
        bad = full_check_error(qpath)
        check(bad is None, f"onnx.checker full_check on the INT8 file{': ' + bad if bad else ''}")
        run([args.qinfer, "run", qpath, "--output-dir", os.path.join(work, "qi_out"),
             "--all-tensors", os.path.join(work, "qi_all")] + inputs)
        index = read_dump(os.path.join(work, "qi_all"))

        # every quantized tensor of the model is in qinfer's dump (or named in FUSED_AWAY with the reason)
        qnodes = [n for n in qmodel.graph.node if n.op_type == "QuantizeLinear"]
        qouts = [n.output[0] for n in qnodes]
        fused = FUSED_AWAY.get(args.model, {})
        for name in qouts:
            if name in index:
                continue
            if name in fused:
                print(f"   info   {name}: not in qinfer's dump: {fused[name]}")
            else:
                check(False, f"{name}: a quantized tensor missing from qinfer's --all-tensors dump")
        for name in fused:
            if name in index or name not in qouts:
                check(False, f"FUSED_AWAY names {name}, which qinfer's dump has (or the model lacks): update it")
        present = [n for n in qouts if n in index]

        # 1. per tensor, the QDQ semantics (ORT, optimizations disabled), from qinfer's own inputs
        fm, ffeeds = forced_model(qmodel, set(qouts), index)
        fpath = os.path.join(work, "int8_forced.onnx")
        onnx.save(fm, fpath)
        fdir = os.path.join(work, "ort_qdq_forced")
        run(ort + [fpath, "--output-dir", fdir, "--opt", "disabled"] + inputs +
            [x for n, f in ffeeds.items() for x in ("--input", f"{n}={f}")])
        n_diff = n_el = compared = 0
        worst = (0.0, "")
        for q in qnodes:
            name = q.output[0]
            if name not in index:
                continue
            a = np.load(os.path.join(fdir, sanitize(name) + ".npy")).astype(np.int32)
            b = np.load(index[name]).astype(np.int32)
            if a.shape != b.shape:
                check(False, f"{name}: shape {b.shape} vs ORT {a.shape} (QDQ semantics)")
                continue
            compared += 1
            n_el += a.size
            diff = a != b
            if not diff.any():
                continue
            n_diff += int(diff.sum())
            src = q.input[0]
            x = np.load(feeds[src] if src in feeds else os.path.join(fdir, sanitize(src) + ".npy")).astype(np.float32)
            scale, axis = q_params(qmodel, q)
            if scale.size > 1:
                scale = scale.reshape([-1 if i == axis % x.ndim else 1 for i in range(x.ndim)])
            v = x / scale  # ORT's QuantizeLinear: float32 division, then round half to even
            tie = np.abs(np.abs(v - np.floor(v)) - 0.5)[diff]
            steps = int(np.abs(a - b).max())
            if tie.max() > worst[0]:
                worst = (float(tie.max()), name)
            if steps > 1 or tie.max() > TIE:
                check(False, f"{name}: {int(diff.sum())}/{a.size} elements differ from ORT's QDQ semantics, max "
                             f"{steps} step(s), {int((tie > TIE).sum())} of them away from a rounding tie (ORT's "
                             f"x / scale {tie.max():.3g} of a step from a half step; allowed {TIE:g})")
            elif args.verbose:
                print(f"   info   {name}: {int(diff.sum())}/{a.size} elements one step apart, at ties")
        check(compared == len(present) and compared > 0,
              f"{compared} quantized tensors vs ORT's QDQ semantics (optimizations disabled) from qinfer's inputs: "
              f"{n_diff} of {n_el} elements one step apart, all at rounding ties (farthest {worst[0]:.3g} of a step "
              f"from a half step{', ' + worst[1] if worst[1] else ''}; allowed {TIE:g})")

        # 2. ORT's integer runtime on the same QDQ model (re-expressed on a CPU where ORT's u8s8 path saturates)
        ort_model = onnx.ModelProto()
        ort_model.CopyFrom(qmodel)
        have = {o.name for o in ort_model.graph.output}
        for name in qouts:
            if name not in have:
                ort_model.graph.output.append(helper.make_empty_tensor_value_info(name))
        probe = ort_u8s8.probe(args.node, ORT_RUN, args.cache, os.path.join(work, "probe"))
        int8_ref = "ORT's INT8"
        if probe.exact:
            print(f"   info   ORT's u8s8 path is exact on this CPU: {probe.describe()}")
        else:
            ort_model, n_w, notes, shifted = ort_u8s8.reexpress_s8_weights(ort_model)
            if shifted & set(qouts):  # qinfer's quantizer stores weights quantized: no QuantizeLinear on them
                raise RuntimeError(f"re-expressed weight QuantizeLinear outputs {sorted(shifted)}: not expected")
            int8_ref = "ORT's INT8 (u8 weights)"
            print(f"   note   ORT's u8s8 path saturates on this CPU (no VNNI): comparing with ORT on the same QDQ "
                  f"model with its {n_w} int8 weights re-expressed as uint8 (w + 128, zero point + 128: the same "
                  f"values), which ORT computes on its exact u8u8 path; {probe.describe()}")
            for note in notes:
                print(f"   note   {note}")
        ort_path = os.path.join(work, "int8_all_outputs.onnx")
        onnx.save(ort_model, ort_path)
        run(ort + [fp32, "--output-dir", os.path.join(work, "ort_fp32")] + inputs)
        run(ort + [ort_path, "--output-dir", os.path.join(work, "ort_int8"), "--opt", "all"] + inputs)

        compared, worst = 0, (1.0, 0, "")
        for name in present:
            a = np.load(os.path.join(work, "ort_int8", sanitize(name) + ".npy")).astype(np.int32)
            b = np.load(index[name]).astype(np.int32)
            if a.shape != b.shape:
                check(False, f"{name}: shape {b.shape} vs ORT {a.shape}")
                continue
            d = np.abs(a - b)
            eq = float((d == 0).mean()) if d.size else 1.0
            compared += 1
            if (eq, -int(d.max(initial=0))) < (worst[0], -worst[1]):
                worst = (eq, int(d.max(initial=0)), name)
            if args.model not in LOOSE and (eq < 0.999 or d.max(initial=0) > 1):
                check(False, f"{name}: {eq * 100:.3f}% equal to {int8_ref}, max {int(d.max(initial=0))} steps apart")
        check(compared > 0, f"{compared} quantized tensors compared with {int8_ref}; least equal: {worst[2] or '-'} "
                            f"{worst[0] * 100:.3f}% (max {worst[1]} step)")
        for o in fmodel.graph.output:
            ref = np.load(os.path.join(work, "ort_fp32", sanitize(o.name) + ".npy"))
            ort8 = np.load(os.path.join(work, "ort_int8", sanitize(o.name) + ".npy"))
            qi8 = np.load(os.path.join(work, "qi_out", sanitize(o.name) + ".npy"))
            c = cosine(ort8, qi8)
            bound = 0.98 if args.model in LOOSE else 0.9999
            check(c >= bound, f"output {o.name}: cosine qinfer vs {int8_ref} {c:.6f} >= {bound}")
            s, s_ort = sqnr(ref, qi8), sqnr(ref, ort8)
            check(s >= 10.0, f"output {o.name}: SQNR INT8 vs FP32 {s:.2f} dB ({int8_ref}: {s_ort:.2f} dB)")
            if args.model in LOOSE:
                check(s >= s_ort - 1.5, f"output {o.name}: SQNR within 1.5 dB of ORT's or better")

        # 3. one answer on every ISA path and thread count (bits: integer kernels; a float Conv / Gemm / MatMul
        # left in the model, one whose input no DequantizeLinear makes, runs FP32 kernels that may differ by ISA)
        dq_outs = {o for n in qmodel.graph.node if n.op_type == "DequantizeLinear" for o in n.output}
        float_gemms = [f"{n.op_type} {n.name}" for n in qmodel.graph.node
                       if n.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul") and n.input[0] not in dq_outs]
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
            got = {n: np.load(os.path.join(d, sanitize(n) + ".npy")) for n in base}
            same = all(np.array_equal(base[n], got[n]) for n in base)
            if extra[0] == "--isa" and not same and (float_gemms or args.model in LOOSE):
                # FP32 kernels are held to tolerances across ISAs, not to bits (docs/kernels.md): a float Conv /
                # Gemm / MatMul left in the model runs the ISA's FP32 gemm; in the LOOSE models the float ops
                # between quantized tensors (Softmax, LayerNorm, Sigmoid ...) differ in their last bits across
                # paths and flip rounding ties that later layers amplify (ppocr_rec scalar vs AVX2: 0.99966).
                # The integer kernels do not differ.
                c = min(cosine(base[n], got[n]) for n in base)
                bound = 0.999 if args.model in LOOSE else 0.99999
                check(c >= bound, f"outputs with {' '.join(extra)}: cosine {c:.7f} >= {bound} to the default run "
                                  f"(not identical: float ops run the ISA's FP32 kernels"
                                  f"{', e.g. ' + float_gemms[0] if float_gemms else ''})")
            else:
                check(same, f"outputs with {' '.join(extra)} identical to the default run")

        # 4. size
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
