#!/usr/bin/python3
"""ONNX writer round trip: `qinfer convert` (load + engine/quant/writer/onnx_writer.c, no pass) checked by
independent tools.

    run_writer.py --qinfer BUILD/tools/qinfer --suite backend|zoo [--node NODE] [--cache DIR] [--filter REGEX]
                  [--max-mb N] [-j N] [-v] [--keep DIR]

Models: --suite backend takes every ONNX backend node test that tests/backend/run_backend.py runs (its
supported_ops.txt and exclusions.txt, its generated data in the cache), with the inputs of its first data set;
--suite zoo takes every model of models/make_zoo.py (<cache>/zoo/<name>/, input set 0), skipping files over
--max-mb (default 200).

Each model is written back with `qinfer convert MODEL -o OUT`, then:
  1. onnx.checker.check_model(OUT, full_check=True) must pass. When it fails on the original too (onnx 1.12's
     checker does not know newer opsets or IR versions), the check is counted as "checker n/a", not as a pass.
  2. ONNX Runtime (onnxruntime-node, tests/ops_ort/ort_batch.js, CPU, one thread) runs the original and the
     written model on the same inputs: every output must have the same name, type, shape and identical bytes,
     as the graph is the same. When ORT refuses the original, the check is counted as "ORT n/a"; when it accepts
     the original, it must accept the written model.
With --opset13 only the models at opsets 7 to 12 are taken, written with `qinfer convert --opset 13` (the version
converter, engine/quant/writer/opset_upgrade.c; the written file must import opset 13), and checked the same way:
ORT's outputs on the opset-13 file must equal, byte for byte, its outputs on the original at its own opset.
Prints one FAIL line per failing model, then the counts and "N passed, N failed"; exit 1 on any failure, 77 when
nothing ran (ctest: skipped).
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "backend"))
import run_backend  # noqa: E402  (selection and data of the backend suite)

ORT_BATCH = os.path.join(REPO, "tests", "ops_ort", "ort_batch.js")


def cache_dir(arg):
    return os.path.abspath(arg or os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))


def backend_cases(args, work):
    """-> [(name, model, {input name: .npy})]: the backend tests run_backend.py runs, first data set."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    data_dir = run_backend.default_data_dir(args.cache)
    idx = run_backend.generate(data_dir)
    cls = run_backend.classify(idx, run_backend.read_supported(os.path.join(REPO, "tests", "backend", "supported_ops.txt")),
                               run_backend.read_exclusions(os.path.join(REPO, "tests", "backend", "exclusions.txt")))
    cases = []
    for name in sorted(cls):
        if cls[name][0] != "run" or (args.filter and not re.search(args.filter, name)):
            continue
        tdir = os.path.join(data_dir, "node", name)
        inputs = {}
        for k, (f, iname) in enumerate(idx["tests"][name]["sets"][0]["inputs"]):
            t = onnx.TensorProto()
            with open(os.path.join(tdir, f), "rb") as fh:
                t.ParseFromString(fh.read())
            npy = os.path.join(work, name, f"input_{k}.npy")
            os.makedirs(os.path.dirname(npy), exist_ok=True)
            np.save(npy, numpy_helper.to_array(t))
            inputs[iname] = npy
        cases.append((name, os.path.join(tdir, "model.onnx"), inputs))
    return cases, []


def zoo_cases(args):
    """-> [(name, model, inputs)], [skipped names]: the zoo models, input set 0."""
    names = subprocess.run([sys.executable, os.path.join(REPO, "models", "make_zoo.py"), "--list"],
                           check=True, stdout=subprocess.PIPE, text=True).stdout.split()
    cases, skipped = [], []
    for name in names:
        if args.filter and not re.search(args.filter, name):
            continue
        d = os.path.join(args.cache, "zoo", name)
        with open(os.path.join(d, "manifest.json")) as f:  # missing: run models/make_zoo.py (ctest fixture zoo.build)
            man = json.load(f)
        model = os.path.join(d, man["model"])
        mb = os.path.getsize(model) / 1e6
        if mb > args.max_mb:
            skipped.append(f"{name} ({mb:.0f} MB > --max-mb {args.max_mb})")
            continue
        cases.append((name, model, {k: os.path.join(d, v) for k, v in man["sets"][0].items()}))
    return cases, skipped


def default_opset(path):
    import onnx
    m = onnx.load(path, load_external_data=False)
    return max((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), default=0)


def upgradable(cases):
    """--opset13: the cases whose model the version converter takes (default opset 7 to 12)."""
    return [c for c in cases if 7 <= default_opset(c[1]) < 13]


def convert(args, model, out):
    """-> None or an error line."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    try:
        p = subprocess.run([args.qinfer, "convert", model, "-o", out] + (["--opset", "13"] if args.opset13 else []),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    except subprocess.TimeoutExpired:
        return "qinfer convert timed out"
    if p.returncode != 0:
        lines = p.stderr.decode(errors="replace").strip().splitlines()
        return f"qinfer convert exit {p.returncode}: {lines[-1] if lines else ''}"
    if args.opset13 and default_opset(out) != 13:
        return f"qinfer convert --opset 13 wrote opset {default_opset(out)}"
    return None


def check(path):
    """-> None or the checker's first line. The model is loaded first: onnx 1.12's check_model on a path with
    full_check writes the shape-inferred model back over the file, and ORT must run the file qinfer wrote."""
    import onnx
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        return None
    except Exception as e:  # ValidationError, InferenceError, ...
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"


def ort_runs(args, cases, written, work):
    """Runs ORT on the original and written model of every case in one node process -> results per job name."""
    jobs = []
    for name, model, inputs in cases:
        if name in written:
            for side, path in (("orig", model), ("written", written[name])):
                jobs.append({"name": f"{side}:{name}", "model": path, "inputs": inputs,
                             "outdir": os.path.join(work, name, "ort_" + side)})
    jobs_file, res_file = os.path.join(work, "ort_jobs.json"), os.path.join(work, "ort_results.json")
    with open(jobs_file, "w") as f:
        json.dump(jobs, f)
    p = subprocess.run([args.node, ORT_BATCH, jobs_file, res_file, "--cache", args.cache], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise SystemExit(f"writer: {ORT_BATCH} failed: {p.stderr.decode(errors='replace').strip()}")
    with open(res_file) as f:
        res = json.load(f)
    print(f"writer: ONNX Runtime {res.get('ort_version')} (node), optimization {res.get('opt')}")
    return res["cases"]


def compare_ort(name, work, orig, new):
    """-> None or a description of the first difference between ORT's outputs on both models."""
    if not new["ok"]:
        return f"ORT runs the original but not the written model ({new['stage']}: {new['error']})"
    o_out, n_out = orig["outputs"], new["outputs"]
    if [(o["name"], o["type"], o["shape"]) for o in o_out] != [(o["name"], o["type"], o["shape"]) for o in n_out]:
        return f"ORT outputs differ: original {o_out}, written {n_out}"
    for o in o_out:
        with open(os.path.join(work, name, "ort_orig", o["file"]), "rb") as f:
            a = f.read()
        with open(os.path.join(work, name, "ort_written", o["file"]), "rb") as f:
            b = f.read()
        if a != b:
            return f"ORT output {o['name']!r} differs between the original and the written model"
    return None


def main():
    ap = argparse.ArgumentParser(description="ONNX writer round trip against onnx.checker and ONNX Runtime",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--qinfer", default=os.environ.get("QINFER_BIN"), required=False, help="path of the qinfer CLI")
    ap.add_argument("--suite", choices=("backend", "zoo"), required=True)
    ap.add_argument("--node", default=shutil.which("node") or "node", help="node executable (for ONNX Runtime)")
    ap.add_argument("--cache", help="cache folder (default $QINFER_CACHE or <repo>/.cache)")
    ap.add_argument("--filter", help="only models whose name matches this regex (re.search)")
    ap.add_argument("--max-mb", type=float, default=200.0, help="skip zoo models larger than this (MB)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="parallel conversions / checks")
    ap.add_argument("--keep", help="keep the written models and ORT outputs under this folder")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every model, not only failures")
    ap.add_argument("--opset13", action="store_true",
                    help="only models at opsets 7 to 12, written with `qinfer convert --opset 13` (the version converter)")
    args = ap.parse_args()
    if not args.qinfer or not os.access(args.qinfer, os.X_OK):
        print("writer: --qinfer must name the qinfer CLI", file=sys.stderr)
        return 2
    args.qinfer = os.path.abspath(args.qinfer)
    args.cache = cache_dir(args.cache)
    run_backend.numpy_aliases()

    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="qinfer-writer.")
    os.makedirs(work, exist_ok=True)
    t0 = time.time()
    try:
        cases, skipped = backend_cases(args, work) if args.suite == "backend" else zoo_cases(args)
        if args.opset13:
            cases = upgradable(cases)
        for s in skipped:
            print(f"SKIP {s}")
        if not cases:
            print("writer: nothing to run\n0 passed, 0 failed")
            return 77
        fails = {}
        written = {}
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
            outs = {name: os.path.join(work, name, "written.onnx") for name, _, _ in cases}
            futs = {name: ex.submit(convert, args, model, outs[name]) for name, model, _ in cases}
            for name, _, _ in cases:
                e = futs[name].result()
                if e:
                    fails[name] = e
                else:
                    written[name] = outs[name]
        checker = {}  # name -> "pass" | "n/a" | "fail"
        with concurrent.futures.ProcessPoolExecutor(max(1, args.jobs)) as ex:
            futs = {name: ex.submit(check, path) for name, path in written.items()}
            orig = {name: model for name, model, _ in cases}
            for name in written:
                e = futs[name].result()
                checker[name] = "pass" if not e else "n/a" if check(orig[name]) else "fail"
                if checker[name] == "fail":
                    fails[name] = f"onnx.checker refuses the written model (not the original): {e}"
        ort = {}  # name -> "identical" | "n/a" | "fail"
        res = ort_runs(args, cases, written, work)
        for name in written:
            o, n = res[f"orig:{name}"], res[f"written:{name}"]
            e = compare_ort(name, work, o, n) if o["ok"] else None
            ort[name] = "n/a" if not o["ok"] else "fail" if e else "identical"
            if e:
                fails[name] = fails[name] + "; " + e if name in fails else e
        for name, _, _ in cases:
            if name in fails:
                print(f"FAIL {name}: {fails[name]}")
            elif args.verbose:
                print(f"PASS {name} (checker {checker[name]}, ORT {ort[name]})")

        def count(d, v):
            return sum(1 for x in d.values() if x == v)
        print(f"writer ({args.suite}{', opset 13' if args.opset13 else ''}): {len(cases)} models, {len(written)} written; onnx.checker: {count(checker, 'pass')} "
              f"pass, {count(checker, 'fail')} fail, {count(checker, 'n/a')} n/a (the original fails too); ORT: "
              f"{count(ort, 'identical')} identical, {count(ort, 'fail')} fail, {count(ort, 'n/a')} n/a (ORT refuses "
              f"the original); {len(skipped)} skipped; {time.time() - t0:.1f} s")
        print(f"{len(cases) - len(fails)} passed, {len(fails)} failed")
        return 1 if fails else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
