#!/usr/bin/python3
"""One answer at any thread count: a zoo model run by `qinfer run` at 1, 2 and 3 threads, FP32 and its static INT8
file (`qinfer quantize` on the zoo's calibration samples, 2 of them), must give bit-identical outputs.

    run_threads.py --qinfer QINFER --cache CACHE --model NAME

The thread pool splits every loop statically and each output element is computed by exactly one thread in a fixed
order (engine/threadpool.h), so the float sums do not depend on the split either: the check is exact, for FP32 too.
The reference is the 1-thread run; 3 threads is more than this machine's cores and splits every loop unevenly.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

THREADS = (1, 2, 3)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()[-400:]}")
    return p.stdout


def outputs(folder):
    return {f: np.load(os.path.join(folder, f)) for f in sorted(os.listdir(folder)) if f.endswith(".npy")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--model", required=True)
    args = ap.parse_args()
    zoo = os.path.join(args.cache, "zoo", args.model)
    fp32, set0, calib = (os.path.join(zoo, p) for p in ("model.onnx", "set0", "calib"))
    for p in (fp32, set0, calib):
        if not os.path.exists(p):
            print(f"threads: {p} is missing (models/make_zoo.py, models/make_calib.py)", file=sys.stderr)
            return 2
    inputs = [x for f in sorted(os.listdir(set0)) for x in ("--input", f"{f[:-4]}={os.path.join(set0, f)}")]
    work = tempfile.mkdtemp(prefix="qinfer_threads_")
    failures = 0
    try:
        int8 = os.path.join(work, "int8.onnx")
        run([args.qinfer, "quantize", fp32, "-o", int8, "--calib", calib, "--max-samples", "2"])
        for precision, model in (("FP32", fp32), ("INT8", int8)):
            ref = None
            for t in THREADS:
                out = os.path.join(work, f"{precision}_{t}")
                run([args.qinfer, "run", model, "--output-dir", out, "--threads", str(t)] + inputs)
                got = outputs(out)
                if ref is None:
                    ref = got
                    if not ref:
                        print(f"   FAIL {precision}: no outputs written")
                        failures += 1
                    continue
                same = got.keys() == ref.keys() and all(
                    got[k].dtype == ref[k].dtype and got[k].shape == ref[k].shape and
                    np.array_equal(got[k].view(np.uint8), ref[k].view(np.uint8)) for k in ref)
                print(f"   {'ok  ' if same else 'FAIL'} {precision}: {t} threads bit-identical to 1 thread "
                      f"({len(ref)} outputs)")
                failures += not same
    except RuntimeError as e:
        print(f"   FAIL {e}")
        failures += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"threads {args.model}: {'FAIL' if failures else 'ok'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
