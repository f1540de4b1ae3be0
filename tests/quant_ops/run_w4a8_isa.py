#!/usr/bin/python3
"""W4A8 QDQ models (tests/quant_ops/cases_w4a8.py) on every ISA path: `qinfer run --isa scalar` and `--isa avx2`
(1 thread, and 2 threads on avx2) must give identical output bytes, and the pass must fuse exactly the cases
cases_w4a8.FUSED says (QI_DEBUG_QDQ=1 prints "-> QLinearConvW4" / "-> QLinearMatMulW4" for a fused node; the
others stay on the float path, which must print a reason). The values themselves are checked against ONNX
Runtime by the quant_ops test (tests/quant_ops/run_quant_ops.py) and against a naive oracle by
tests/unit/test_ops_quant_w4a8.c. An ISA path this CPU lacks is reported as skipped.

    run_w4a8_isa.py --qinfer BUILD/tools/qinfer [--filter REGEX] [-v]
"""
import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(qinfer, model, x, out, isa, threads):
    """-> (output bytes or None, stderr text)."""
    env = dict(os.environ, QI_DEBUG_QDQ="1")
    cmd = [qinfer, "run", model, "--input", f"x={x}", "--output-dir", out, "--threads", str(threads), "--isa", isa]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        return None, err
    return np.load(os.path.join(out, "y.npy")).tobytes(), err


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--filter")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    h = load(os.path.join(os.path.dirname(HERE), "ops_ort", "run_ops_ort.py"), "run_ops_ort")
    cw = load(os.path.join(HERE, "cases_w4a8.py"), "cases_w4a8")
    cases = [c for c in cw.CASES(h) if not args.filter or re.search(args.filter, c.name)]
    runs = [("scalar", 1), ("avx2", 1), ("avx2", 2)]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="qinfer-w4a8-isa-") as work:
        model0 = os.path.join(work, "probe.onnx")
        onnx.save(cases[0].model, model0)
        np.save(os.path.join(work, "probe.npy"), cases[0].feeds["x"])
        avail = []
        for isa in ("scalar", "avx2"):
            got, err = run(args.qinfer, model0, os.path.join(work, "probe.npy"), os.path.join(work, "probe"), isa, 1)
            if got is None:
                print(f"ISA path {isa}: skipped ({err.strip().splitlines()[-1] if err.strip() else 'refused'})")
            else:
                avail.append(isa)
        runs = [r for r in runs if r[0] in avail]
        for c in cases:
            cdir = os.path.join(work, c.name)
            os.makedirs(cdir)
            model, x = os.path.join(cdir, "model.onnx"), os.path.join(cdir, "x.npy")
            onnx.save(c.model, model)
            np.save(x, c.feeds["x"])
            outs, problem = [], None
            for i, (isa, threads) in enumerate(runs):
                got, err = run(args.qinfer, model, x, os.path.join(cdir, f"out{i}"), isa, threads)
                if got is None:
                    problem = f"qinfer --isa {isa} failed: {err.strip()[-300:]}"
                    break
                fused = re.search(r"-> QLinear(Conv|MatMul)W4 ", err) is not None
                if fused != cw.FUSED[c.name]:
                    problem = (f"{'fused' if fused else 'not fused'} on {isa}, expected "
                               f"{'fused' if cw.FUSED[c.name] else 'the float path'}: {err.strip()[:300]}")
                    break
                if not fused and "not fused" not in err:
                    problem = "left on the float path without a reason under QI_DEBUG_QDQ"
                    break
                outs.append(got)
            if not problem and any(o != outs[0] for o in outs):
                problem = "output bytes differ between " + ", ".join(f"{i}/{t}t" for i, t in runs)
            if problem:
                print(f"FAIL  {c.name}: {problem}")
                failed += 1
            else:
                what = "fused" if cw.FUSED[c.name] else "float path"
                print(f"ok    {c.name}: {what}, identical bytes on " + ", ".join(f"{i} {t}t" for i, t in runs))
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
