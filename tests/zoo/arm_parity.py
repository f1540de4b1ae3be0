#!/usr/bin/python3
"""The model zoo on ARM: the cross-built qinfer under qemu-user against the x86 build (INT8) and ONNX Runtime (FP32).

    arm_parity.py --host-qinfer build-release/tools/qinfer --target-qinfer build-cross-aarch64/tools/qinfer
                  --emulator "qemu-aarch64 -L /usr/aarch64-linux-gnu" --int8-cpus cortex-a53,cortex-a76,max
                  --fp32-cpus max,cortex-a53 --model mobilenet_v2 [--model ...] [--sets N] [--cache DIR]
                  [--work DIR] [--node node]

Per model of the zoo (<cache>/zoo/<name>/, built by models/make_zoo.py; calibration samples by models/make_calib.py):
  INT8  The x86 build quantizes the FP32 model exactly as the quantized-zoo suite does (tests/quant/run_quant_zoo.py:
        `qinfer quantize --calib <zoo>/calib --max-samples 4`, minmax, per-channel weights, uint8 activations), the x86
        build runs the QDQ file on the first N input sets, and the ARM build runs the same file under qemu with each
        CPU model of --int8-cpus (QEMU_CPU=<model>, so every dispatch level the model reaches is used: aarch64
        cortex-a53 -> neon, cortex-a76 -> neondot, max -> neoni8mm). On the CNNs every output must be bit-identical
        to the x86 build's: between the quantized tensors only integer kernels run, and integer kernels give one
        answer on every ISA (docs/kernels.md). The models of run_quant_zoo.LOOSE (vit, ppocr_det, ppocr_rec) run
        float ops between integer ones (Softmax, LayerNormalization, Gelu, ConvTranspose, Resize), whose FP32 kernels
        differ in their last bits by ISA and flip rounding ties that later layers amplify: they are held to the
        cosine that suite allows across ISA paths (>= 0.999), and whether they came out identical is printed.
  FP32  tests/zoo/run_zoo.py (the zoo's ORT parity tolerances, onnxruntime-node on this machine as reference) with
        the ARM build under qemu as its qinfer, once per CPU model of --fp32-cpus, on the first N input sets.
The quantized file is kept in <work>/<model>/int8.onnx and made again only when the FP32 model or the x86 qinfer is
newer. One line per check ("ok"/"FAIL"), the qemu wall time of each run, and "N passed, N failed"; exit 1 on any
failure, 2 on a usage error (a model asked for but missing from the cache counts as a failure, never as a skip).
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "quant"))
from run_quant_zoo import LOOSE  # noqa: E402  (models with float ops between the quantized tensors)

LOOSE_COS = 0.999  # run_quant_zoo.py's bound between ISA paths for the LOOSE models
SAMPLES = 4  # run_quant_zoo.py's --samples default


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    den = np.linalg.norm(a) * np.linalg.norm(b)
    return 1.0 if den == 0 and np.array_equal(a, b) else float(a @ b / den) if den else 0.0


def run(cmd, timeout, env=None):
    """-> (ok, combined output, seconds)."""
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout:.0f} s", time.time() - t0
    return p.returncode == 0, p.stdout, time.time() - t0


def picked_isa(out):
    """The path `qinfer run` reports ("... (isa neondot, ...")."""
    i = out.find("(isa ")
    return out[i + 5:].split(",")[0].split(")")[0] if i >= 0 else "?"


def newer(path, *sources):
    return not os.path.exists(path) or any(os.path.getmtime(s) > os.path.getmtime(path) for s in sources)


class Checks:
    def __init__(self):
        self.passed, self.failed = 0, []

    def __call__(self, ok, tag, detail):
        print(f"  {'ok  ' if ok else 'FAIL'} {tag}: {detail}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed.append(tag)


def int8_model(args, name, mdir, work, check):
    """Quantizes with the x86 build (run_quant_zoo.py's recipe) unless an up-to-date file is there; -> path or None."""
    qpath = os.path.join(work, "int8.onnx")
    fp32, calib = os.path.join(mdir, "model.onnx"), os.path.join(mdir, "calib")
    if not os.path.isdir(calib):
        check(False, f"{name} int8", f"no calibration samples in {calib} (models/make_calib.py)")
        return None
    if newer(qpath, fp32, args.host_qinfer):
        ok, out, t = run([args.host_qinfer, "quantize", fp32, "-o", qpath + ".tmp", "--calib", calib,
                          "--max-samples", str(SAMPLES)], args.timeout)
        if not ok:
            check(False, f"{name} int8", f"x86 qinfer quantize failed: {out.strip()[-500:]}")
            return None
        os.replace(qpath + ".tmp", qpath)
        print(f"{name}: quantized by the x86 build in {t:.1f} s", flush=True)
    return qpath


def outputs(d):
    return {f: np.load(os.path.join(d, f)) for f in sorted(os.listdir(d)) if f.endswith(".npy")}


def check_int8(args, name, mdir, sets, work, check):
    qpath = int8_model(args, name, mdir, work, check)
    if not qpath:
        return
    for k, st in enumerate(sets):
        inputs = [x for n, f in st.items() for x in ("--input", f"{n}={os.path.join(mdir, f)}")]
        tag = f"{name} int8 set{k}"
        ref_dir = os.path.join(work, f"set{k}", "x86")
        shutil.rmtree(ref_dir, ignore_errors=True)
        ok, out, t = run([args.host_qinfer, "run", qpath, "--output-dir", ref_dir, "--threads", "1"] + inputs,
                         args.timeout)
        if not ok:
            check(False, f"{tag} x86", f"qinfer run failed: {out.strip()[-500:]}")
            continue
        ref = outputs(ref_dir)
        for cpu in args.int8_cpus:
            d = os.path.join(work, f"set{k}", cpu)
            shutil.rmtree(d, ignore_errors=True)
            ok, out, t = run(args.emulator + [args.target_qinfer, "run", qpath, "--output-dir", d, "--threads", "1"]
                             + inputs, args.timeout, env=dict(os.environ, QEMU_CPU=cpu))
            ctag = f"{tag} -cpu {cpu}"
            if not ok:
                check(False, ctag, f"qinfer run under qemu failed: {out.strip()[-500:]}")
                continue
            got = outputs(d)
            if sorted(got) != sorted(ref):
                check(False, ctag, f"outputs {sorted(got)} != x86's {sorted(ref)}")
                continue
            same = all(got[f].dtype == ref[f].dtype and got[f].shape == ref[f].shape and
                       got[f].tobytes() == ref[f].tobytes() for f in ref)
            where = f"isa {picked_isa(out)}, {t:.1f} s under qemu"
            if name in LOOSE:
                c = min(cosine(got[f], ref[f]) for f in ref)
                check(c >= LOOSE_COS, ctag, f"cosine {c:.7f} >= {LOOSE_COS} to x86 "
                      f"({'bit-identical' if same else 'not bit-identical: float ops between quantized tensors'}; "
                      f"{where})")
            else:
                check(same, ctag, f"{'bit-identical to' if same else 'DIFFERS from'} the x86 build's outputs ({where})")


def check_fp32(args, name, work, check):
    wrapper = os.path.join(work, "qinfer-emulated")
    with open(wrapper, "w") as f:  # run_zoo.py takes one executable
        f.write("#!/bin/sh\nexec " + " ".join(shlex.quote(a) for a in args.emulator + [args.target_qinfer]) +
                ' "$@"\n')
    os.chmod(wrapper, 0o755)
    for cpu in args.fp32_cpus:
        cmd = [sys.executable, os.path.join(HERE, "run_zoo.py"), "--qinfer", wrapper, "--model", name,
               "--timeout", str(args.timeout)]
        if args.cache:
            cmd += ["--cache", args.cache]
        if args.node:
            cmd += ["--node", args.node]
        if args.sets:
            cmd += ["--sets", str(args.sets)]
        ok, out, t = run(cmd, args.timeout * 4, env=dict(os.environ, QEMU_CPU=cpu))
        last = out.strip().splitlines()[-1:] or ["no output"]
        if not ok:
            print(out, end="")
        check(ok, f"{name} fp32 -cpu {cpu}", f"run_zoo.py vs ONNX Runtime: {last[0]} ({t:.1f} s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--host-qinfer", required=True, help="the x86 build's qinfer")
    ap.add_argument("--target-qinfer", required=True, help="the ARM build's qinfer")
    ap.add_argument("--emulator", required=True, help='e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu"')
    ap.add_argument("--int8-cpus", default="", help="qemu CPU models for the INT8 check (comma separated)")
    ap.add_argument("--fp32-cpus", default="", help="qemu CPU models for the FP32 check (comma separated)")
    ap.add_argument("--model", action="append", default=[], help="zoo model (repeatable; default: all built)")
    ap.add_argument("--sets", type=int, default=1, help="input sets per model (0: all; default 1)")
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))
    ap.add_argument("--node", help="node executable for ONNX Runtime (run_zoo.py's default otherwise)")
    ap.add_argument("--work", required=True, help="folder for the INT8 files and the outputs")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per qinfer run")
    args = ap.parse_args()
    args.cache = os.path.abspath(args.cache)
    args.emulator = shlex.split(args.emulator)
    args.int8_cpus = [c for c in args.int8_cpus.split(",") if c]
    args.fp32_cpus = [c for c in args.fp32_cpus.split(",") if c]
    args.host_qinfer, args.target_qinfer = os.path.abspath(args.host_qinfer), os.path.abspath(args.target_qinfer)
    for exe in (args.host_qinfer, args.target_qinfer):
        if not os.access(exe, os.X_OK):
            print(f"arm_parity: {exe} is not an executable", file=sys.stderr)
            return 2
    zoo = os.path.join(args.cache, "zoo")
    names = args.model or sorted(d for d in (os.listdir(zoo) if os.path.isdir(zoo) else [])
                                 if os.path.exists(os.path.join(zoo, d, "manifest.json")))
    if not names:
        print(f"arm_parity: no models under {zoo}: run models/make_zoo.py", file=sys.stderr)
        return 2

    check = Checks()
    for name in names:
        mdir = os.path.join(zoo, name)
        manifest = os.path.join(mdir, "manifest.json")
        if not os.path.exists(manifest):
            check(False, name, f"not in the cache (no {manifest}): run models/make_zoo.py")
            continue
        with open(manifest) as f:
            man = json.load(f)
        sets = man["sets"][: args.sets] if args.sets else man["sets"]
        work = os.path.join(os.path.abspath(args.work), name)
        os.makedirs(work, exist_ok=True)
        kind = f"not a CNN: {LOOSE[name]}" if name in LOOSE else "a CNN: INT8 outputs held to bits"
        print(f"{name} ({len(sets)} input set(s); {kind})", flush=True)
        if args.int8_cpus:
            check_int8(args, name, mdir, sets, work, check)
        if args.fp32_cpus:
            check_fp32(args, name, work, check)
    if check.failed:
        print("arm_parity: failed: " + ", ".join(check.failed))
    print(f"{check.passed} passed, {len(check.failed)} failed")
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
