#!/usr/bin/python3
"""Model-zoo parity: qinfer against ONNX Runtime on the models models/make_zoo.py builds.

    run_zoo.py --qinfer BUILD/tools/qinfer [--model NAME]... [--sets N] [--one-session] [-v] [--keep DIR]
    run_zoo.py --ort-vs-torch [--model NAME]...     # check the references instead: ORT against PyTorch's outputs

For each model (<cache>/zoo/<name>/manifest.json) and each of its input sets, tests/zoo/ort_run.js runs ORT
(onnxruntime-node, CPU, 1 thread; its version is printed and stamped in ort.json) and `qinfer run` runs on the same
.npy inputs (their shapes fix the dynamic dims); every output must agree:
    cosine(qinfer, ort) >= 0.99999   and   max|qinfer - ort| <= 1e-4 * max|ort|
plus the same shape, and finite values wherever ORT's are finite. --one-session: one `qinfer run` for all the
input sets of a model (each input given once per set), so that a single session is resized from set to set
(qinfer_session_resize_input) where the sets' shapes differ. One line per output with cosine and max|d|;
"N passed, N failed" (one check per model x set x output) closes the output; exit 1 on any failure.
"""
import argparse
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
ORT_RUN = os.path.join(HERE, "ort_run.js")
COS_MIN = 0.99999
REL_MAX = 1e-4


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def metrics(out, ref):
    """-> (cosine, max|d|, max|ref|, problem or None)."""
    import numpy as np
    if out.shape != ref.shape:
        return float("nan"), float("nan"), float("nan"), f"shape {list(out.shape)} != reference {list(ref.shape)}"
    o = out.astype(np.float64).ravel()
    r = ref.astype(np.float64).ravel()
    fin = np.isfinite(r)
    if not np.isfinite(o[fin]).all():
        return float("nan"), float("inf"), float("nan"), "non-finite values where the reference is finite"
    if (~fin).any() and not np.array_equal(np.isnan(o), np.isnan(r)):
        return float("nan"), float("inf"), float("nan"), "NaN/Inf positions differ"
    o, r = o[fin], r[fin]
    maxref = float(np.abs(r).max()) if r.size else 0.0
    maxd = float(np.abs(o - r).max()) if r.size else 0.0
    no, nr = float(np.linalg.norm(o)), float(np.linalg.norm(r))
    if no == 0.0 and nr == 0.0:
        cos = 1.0
    elif no == 0.0 or nr == 0.0:
        cos = 0.0
    else:
        cos = float(np.dot(o, r) / (no * nr))
    return cos, maxd, maxref, None


def run(cmd, timeout):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s", time.time() - t0
    err = p.stderr.decode(errors="replace").strip()
    if p.returncode != 0:
        sig = f" (signal {-p.returncode})" if p.returncode < 0 else ""
        lines = err.splitlines()
        san = [l.strip() for l in lines if "ERROR: AddressSanitizer" in l or "ERROR: LeakSanitizer" in l
               or "runtime error:" in l]
        return p.returncode, f"exit {p.returncode}{sig}: " + " | ".join(san[:1] + lines[-3:]), time.time() - t0
    return 0, err, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description="qinfer vs ONNX Runtime on the model zoo",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--qinfer", default=os.environ.get("QINFER_BIN"), help="path of the qinfer CLI")
    ap.add_argument("--cache", help="cache folder (default $QINFER_CACHE or <repo>/.cache)")
    ap.add_argument("--model", action="append", default=[], help="model name (repeatable; default: all built)")
    ap.add_argument("--sets", type=int, default=0, help="use at most N input sets per model (default: all)")
    ap.add_argument("--threads", type=int, default=1, help="qinfer --threads (default 1)")
    ap.add_argument("--qinfer-arg", action="append", default=[], help="extra argument for qinfer run (repeatable)")
    ap.add_argument("--node", default=shutil.which("node") or "node", help="node executable")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per qinfer / ORT run")
    ap.add_argument("--cos-min", type=float, default=COS_MIN)
    ap.add_argument("--rel-max", type=float, default=REL_MAX)
    ap.add_argument("--one-session", action="store_true",
                    help="run every input set of a model in one qinfer session (input sets, resized between them)")
    ap.add_argument("--ort-vs-torch", action="store_true",
                    help="compare ORT with the PyTorch outputs stored by make_zoo.py instead of running qinfer")
    ap.add_argument("--keep", help="keep the outputs under this folder")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    import numpy as np

    cache = os.path.abspath(args.cache or os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))
    zoo = os.path.join(cache, "zoo")
    names = args.model or sorted(d for d in os.listdir(zoo) if os.path.exists(os.path.join(zoo, d, "manifest.json"))) \
        if os.path.isdir(zoo) or args.model else []
    if not names:
        print(f"zoo: no models under {zoo}: run models/make_zoo.py", file=sys.stderr)
        return 2
    if not args.ort_vs_torch:
        if not args.qinfer:
            print("zoo: --qinfer (or $QINFER_BIN) is required", file=sys.stderr)
            return 2
        args.qinfer = os.path.abspath(args.qinfer)
        if not os.access(args.qinfer, os.X_OK):
            print(f"zoo: {args.qinfer} is not an executable", file=sys.stderr)
            return 2

    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="qinfer-zoo.")
    passed, failed = 0, []
    ort_version = None
    try:
        for name in names:
            mdir = os.path.join(zoo, name)
            try:
                with open(os.path.join(mdir, "manifest.json")) as f:
                    man = json.load(f)
            except OSError as e:
                print(f"FAIL {name}: no manifest ({e}); run models/make_zoo.py")
                failed.append(name)
                continue
            model = os.path.join(mdir, man["model"])
            sets = man["sets"][: args.sets] if args.sets else man["sets"]
            one_dir, one_msg = None, None
            if args.one_session and not args.ort_vs_torch:
                one_dir = os.path.join(work, name, "one_session")
                cmd = [args.qinfer, "run", model, "--output-dir", one_dir, "--threads", str(args.threads)]
                for st in sets:
                    cmd += [f"--input={n}={os.path.join(mdir, f)}" for n, f in st.items()]
                rc, one_msg, t_one = run(cmd + args.qinfer_arg, args.timeout)
                one_msg = None if rc == 0 else one_msg
                print(f"{name}: {len(sets)} input sets in one qinfer session: {t_one:.2f} s (process wall time)")
            for k, st in enumerate(sets):
                tag = f"{name} set{k}"
                shapes = " ".join(f"{n}={'x'.join(map(str, np.load(os.path.join(mdir, f), mmap_mode='r').shape))}"
                                  for n, f in st.items())
                inputs = []
                for n, f in st.items():
                    inputs += ["--input", f"{n}={os.path.join(mdir, f)}"]
                ort_dir = os.path.join(work, name, f"set{k}", "ort")
                rc, msg, t_ort = run([args.node, ORT_RUN, model, "--output-dir", ort_dir, "--cache", cache] + inputs,
                                     args.timeout)
                if rc != 0:
                    print(f"FAIL {tag}: ONNX Runtime failed: {msg}")
                    failed.append(tag)
                    continue
                with open(os.path.join(ort_dir, "ort.json")) as f:
                    meta = json.load(f)
                if ort_version != meta["ort_version"]:
                    ort_version = meta["ort_version"]
                    print(f"zoo: reference ONNX Runtime {ort_version} (onnxruntime-node, CPU EP, 1 thread)")
                if args.ort_vs_torch:
                    if not man.get("torch_outputs"):
                        print(f"skip {tag}: no PyTorch outputs (not an exported model)")
                        continue
                    cand_dir, cand_files, cand_name = mdir, man["torch_outputs"][k], "torch"
                    t_q = 0.0
                elif one_dir:
                    if one_msg:
                        print(f"FAIL {tag} ({shapes}): qinfer {one_msg}")
                        failed.append(tag)
                        continue
                    cand_dir = os.path.join(one_dir, f"set{k}") if len(sets) > 1 else one_dir
                    cand_files = {o: sanitize(o) + ".npy" for o in meta["outputs"]}
                    cand_name, t_q = "qinfer (one session)", 0.0
                else:
                    cand_dir = os.path.join(work, name, f"set{k}", "qinfer")
                    os.makedirs(cand_dir, exist_ok=True)
                    cmd = [args.qinfer, "run", model] + inputs + ["--output-dir", cand_dir, "--threads",
                                                                  str(args.threads)] + args.qinfer_arg
                    rc, msg, t_q = run(cmd, args.timeout)
                    if rc != 0:
                        print(f"FAIL {tag} ({shapes}): qinfer {msg}")
                        failed.append(tag)
                        continue
                    if args.verbose and msg:
                        print(msg)
                    cand_files = {o: sanitize(o) + ".npy" for o in meta["outputs"]}
                    cand_name = "qinfer"
                print(f"{tag} ({shapes}): ORT {t_ort:.2f} s, {cand_name} {t_q:.2f} s (process wall time)")
                for oname, oinfo in meta["outputs"].items():
                    ref = np.load(os.path.join(ort_dir, oinfo["file"]))
                    cpath = os.path.join(cand_dir, cand_files.get(oname, sanitize(oname) + ".npy"))
                    otag = f"{tag} {oname}"
                    if not os.path.exists(cpath):
                        print(f"  FAIL {oname}: {cand_name} wrote no {os.path.basename(cpath)}")
                        failed.append(otag)
                        continue
                    out = np.load(cpath)
                    cos, maxd, maxref, prob = metrics(out, ref)
                    lim = args.rel_max * maxref
                    ok = prob is None and cos >= args.cos_min and maxd <= lim
                    detail = prob or (f"cos={cos:.8f} max|d|={maxd:.3e} (limit {lim:.3e} = {args.rel_max:g} x "
                                      f"max|ref| {maxref:.4g}) shape={list(ref.shape)}")
                    if out.dtype != ref.dtype:
                        detail += f" [dtype {out.dtype} vs {ref.dtype}]"
                    print(f"  {'ok  ' if ok else 'FAIL'} {oname}: {detail}")
                    if ok:
                        passed += 1
                    else:
                        failed.append(otag)
                sys.stdout.flush()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if failed:
        print("zoo: failed: " + ", ".join(failed))
    print(f"{passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
