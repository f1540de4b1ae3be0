#!/usr/bin/python3
"""ONNX backend node tests against the qinfer CLI.

    run_backend.py --generate [--data DIR]                      # make the test data (and its index) only
    run_backend.py --qinfer BUILD/tools/qinfer [--filter REGEX] [--group OP] [-v] [-j N] [--keep DIR]
    run_backend.py --list [--filter REGEX] [--group OP]          # what would run, and why the rest would not
    run_backend.py --groups                                      # the ctest groups (one per supported op)

Test data: Debian's python3-onnx 1.12 generates its ~922 node tests (model.onnx + test_data_set_*/input_*.pb,
output_*.pb) into DIR (default <cache>/onnx-backend/<onnx version>, cache = $QINFER_CACHE or <repo>/.cache),
together with index.json, the facts about every test that selection needs (its op types, including those of
nested graphs, its inputs and outputs). Generation takes a few seconds and happens on first use.

Selection: a test runs when every op of its model (default domain) is in supported_ops.txt and no pattern of
exclusions.txt matches its name fully. Each test belongs to one group, the supported op it is about (the op of a
one-node model, else the supported op whose name is the longest prefix of the test's name, else "other"), so that
ctest can run one case per op.

Running: `qinfer run model.onnx --input NAME=input_i.pb ... --output-dir DIR --threads 1` per data set; input_i.pb
feeds the i-th graph input that is not an initializer (its TensorProto name when set). Inputs that decide output
shapes (Reshape's shape, Slice's starts/ends/axes/steps, Unsqueeze's axes, Resize's scales/sizes, ...) are fed
as inputs like the others: qinfer binds their values when it creates the session (docs/cli.md, "Inputs that
decide shapes"); --list marks the tests that have such inputs (SHAPE_INPUTS). Each output_i.pb is compared
with DIR/<name>.npy (name: the i-th graph output, characters outside [A-Za-z0-9._-] -> '_') as ONNX's own backend
runner does: same dtype and shape; floating point within rtol=1e-3, atol=1e-7, NaN where the reference has NaN;
integers and bools exactly. Prints "N passed, N failed" last and exits 1 on any failure (77: --group has nothing
to run, which ctest reports as skipped).
"""
import argparse
import concurrent.futures
import fcntl
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
INDEX_VERSION = 3
RTOL, ATOL = 1e-3, 1e-7


def numpy_aliases():
    """onnx 1.12's test generators use np.float/np.int/np.bool/np.object, removed in numpy 1.24."""
    import numpy as np
    import warnings
    warnings.filterwarnings("ignore")
    for name, t in (("float", float), ("int", int), ("bool", bool), ("object", object), ("complex", complex),
                    ("str", str), ("long", int), ("unicode", str)):
        if name not in np.__dict__:
            setattr(np, name, t)


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def default_data_dir(cache):
    import onnx
    cache = os.path.abspath(cache or os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))
    return os.path.join(cache, "onnx-backend", onnx.__version__)


# ---------------------------------------------------------------- generation + index


def graph_ops(graph, acc):
    for n in graph.node:
        acc.add((n.domain if n.domain not in ("", "ai.onnx") else "", n.op_type))
        for a in n.attribute:
            if a.HasField("g"):
                graph_ops(a.g, acc)
            for g in a.graphs:
                graph_ops(g, acc)
    return acc


# Inputs that decide output shapes, which qinfer binds to their values when it creates a session (the runner feeds
# them as ordinary inputs; it froze them into initializers before qinfer could bind them). Only --list uses the
# table now, to mark such tests; the index keeps its field under the old name "freeze" and the index version
# hashes the table, so that the shared generated data stays valid. Pad's constant_value (input 2) is not
# shape-deciding, but qinfer reads it when the session is created too.
SHAPE_INPUTS = {
    "Reshape": (1,), "Expand": (1,), "Tile": (1,), "Squeeze": (1,), "Unsqueeze": (1,), "Split": (1,),
    "Slice": (1, 2, 3, 4), "Pad": (1, 2, 3), "Resize": (1, 2, 3), "ConstantOfShape": (0,), "Range": (0, 1, 2),
    "ReduceSum": (1,), "ReduceMean": (1,), "ReduceMax": (1,), "ReduceMin": (1,), "ReduceProd": (1,),
    "ReduceL1": (1,), "ReduceL2": (1,), "ReduceLogSum": (1,), "ReduceLogSumExp": (1,), "ReduceSumSquare": (1,),
    "TopK": (1,), "OneHot": (1,), "Upsample": (1,),
}


def index_version():
    """The index is rebuilt when its format or the SHAPE_INPUTS table changes."""
    import hashlib
    h = hashlib.sha256(json.dumps(SHAPE_INPUTS, sort_keys=True).encode()).hexdigest()[:12]
    return f"{INDEX_VERSION}-{h}"


def shape_inputs(graph, in_names):
    """Graph inputs that feed a shape-deciding input slot of a (top-level) node."""
    names = set(in_names)
    out = []
    for n in graph.node:
        if n.domain not in ("", "ai.onnx"):
            continue
        for i in SHAPE_INPUTS.get(n.op_type, ()):
            if i < len(n.input) and n.input[i] in names and n.input[i] not in out:
                out.append(n.input[i])
    return out


def value_kind(vi):
    import onnx
    which = vi.type.WhichOneof("value")
    if which == "tensor_type":
        return onnx.TensorProto.DataType.Name(vi.type.tensor_type.elem_type)
    return which or "unknown"


def build_index(node_dir):
    import onnx
    tests = {}
    for name in sorted(os.listdir(node_dir)):
        d = os.path.join(node_dir, name)
        mpath = os.path.join(d, "model.onnx")
        if not os.path.isfile(mpath):
            continue
        m = onnx.load(mpath)
        g = m.graph
        inits = {i.name for i in g.initializer}
        ginputs = [i for i in g.input if i.name not in inits]
        in_names = [i.name for i in ginputs]
        sets = []
        for sd in sorted(x for x in os.listdir(d) if x.startswith("test_data_set_")):
            sp = os.path.join(d, sd)
            nin = len([f for f in os.listdir(sp) if re.fullmatch(r"input_\d+\.pb", f)])
            nout = len([f for f in os.listdir(sp) if re.fullmatch(r"output_\d+\.pb", f)])
            ins = []
            for i in range(nin):
                f = f"{sd}/input_{i}.pb"
                pname = ""
                if i < len(ginputs) and ginputs[i].type.HasField("tensor_type"):
                    t = onnx.TensorProto()
                    with open(os.path.join(d, f), "rb") as fh:
                        t.ParseFromString(fh.read())
                    pname = t.name
                iname = pname if pname in in_names else (in_names[i] if i < len(in_names) else pname)
                ins.append([f, iname])
            outs = [[f"{sd}/output_{i}.pb", g.output[i].name if i < len(g.output) else ""] for i in range(nout)]
            sets.append({"inputs": ins, "outputs": outs})
        tests[name] = {
            "opset": max([o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] or [0]),
            "ops": sorted(f"{dom}::{op}" if dom else op for dom, op in graph_ops(g, set())),
            "nodes": len(g.node),
            "inputs": [[i.name, value_kind(i)] for i in ginputs],
            "freeze": shape_inputs(g, in_names),
            "outputs": [[o.name, value_kind(o)] for o in g.output],
            "sets": sets,
        }
    return tests


def generate(data_dir):
    """Generates the node tests into data_dir (atomically, under a lock) unless its index is current."""
    idx_path = os.path.join(data_dir, "index.json")
    parent = os.path.dirname(data_dir)
    os.makedirs(parent, exist_ok=True)
    with open(os.path.join(parent, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(idx_path) as f:
                idx = json.load(f)
            if idx.get("version") == index_version():
                return idx
        except (OSError, ValueError):
            pass
        numpy_aliases()
        import onnx
        from onnx.backend.test import cmd_tools
        tmp = tempfile.mkdtemp(prefix=".gen.", dir=parent)
        try:
            t0 = time.time()
            cmd_tools.generate_data(argparse.Namespace(output=tmp, op_type=None))
            idx = {"version": index_version(), "onnx": onnx.__version__,
                   "tests": build_index(os.path.join(tmp, "node"))}
            with open(os.path.join(tmp, "index.json"), "w") as f:
                json.dump(idx, f)
            if os.path.exists(data_dir):
                shutil.rmtree(data_dir)
            os.rename(tmp, data_dir)
            print(f"backend: generated {len(idx['tests'])} node tests into {data_dir} ({time.time() - t0:.1f} s)",
                  file=sys.stderr)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return idx


# ---------------------------------------------------------------- selection


def read_supported(path):
    ops = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                ops.append(line)
    return ops


def read_exclusions(path):
    """Lines 'REGEX  # reason'; the regex must match a test name fully. A reason is required."""
    out = []
    with open(path) as f:
        for no, line in enumerate(f, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            if "#" not in s:
                raise SystemExit(f"{path}:{no}: exclusion without a '# reason': {s}")
            pat, reason = s.split("#", 1)
            pat, reason = pat.strip(), reason.strip()
            if not pat or not reason:
                raise SystemExit(f"{path}:{no}: exclusion needs a pattern and a reason: {s}")
            out.append((re.compile(pat), reason, no))
    return out


def norm(s):
    return s.lower().replace("_", "")


def group_of(name, info, supported):
    """The supported op a test is about: the op of a one-node model, else the supported op whose name is the
    longest prefix of the test's name (test_softmax_axis_0_expanded -> Softmax), else 'other'."""
    ops = [o for o in info["ops"] if "::" not in o]
    if info["nodes"] == 1 and len(ops) == 1 and ops[0] in supported:
        return ops[0]
    key = norm(name[5:] if name.startswith("test_") else name)
    best = None
    for op in supported:
        if key.startswith(norm(op)) and (best is None or len(op) > len(best)):
            best = op
    return best or "other"


def classify(idx, supported, exclusions):
    """-> {name: (status, group, why)} with status 'run', 'excluded' or 'unsupported'."""
    sup = set(supported)
    res = {}
    for name, info in idx["tests"].items():
        missing = [o for o in info["ops"] if o not in sup]
        group = group_of(name, info, sup)
        if missing:
            res[name] = ("unsupported", group, "ops not supported: " + ", ".join(missing))
            continue
        why = None
        for rx, reason, _ in exclusions:
            if rx.fullmatch(name):
                why = reason
                break
        if why:
            res[name] = ("excluded", group, why)
        elif not info["sets"]:
            res[name] = ("excluded", group, "no test data set")
        else:
            res[name] = ("run", group, "")
    return res


# ---------------------------------------------------------------- running + comparing


def compare(ref, out):
    """None when out matches ref at ONNX's tolerances, else a one-line description."""
    import numpy as np
    if out.dtype != ref.dtype:
        return f"dtype {out.dtype} != expected {ref.dtype}"
    if out.shape != ref.shape:
        return f"shape {list(out.shape)} != expected {list(ref.shape)}"
    if ref.dtype.kind in "fc":
        r = ref.astype(np.float64)
        o = out.astype(np.float64)
        rnan, onan = np.isnan(r), np.isnan(o)
        if (rnan != onan).any():
            i = np.unravel_index(np.argmax(rnan != onan), r.shape) if r.ndim else ()
            return f"NaN mismatch at {tuple(int(x) for x in i)}: got {o[i]}, expected {r[i]}"
        ok = ~rnan
        with np.errstate(invalid="ignore"):
            same_inf = (r == o)  # equal infinities
            err = np.where(ok & ~same_inf, np.abs(o - r), 0.0)
            lim = ATOL + RTOL * np.abs(np.where(ok, r, 0.0))
        bad = err > lim
        if bad.any():
            i = np.unravel_index(np.argmax(np.where(bad, err, -1.0)), r.shape) if r.ndim else ()
            ii = tuple(int(x) for x in i)
            return (f"{int(bad.sum())}/{r.size} elements off; max |d| {float(err.max()):.3g} at {ii}: "
                    f"got {o[i]!r}, expected {r[i]!r}")
        return None
    if not np.array_equal(out, ref):
        ne = out != ref
        i = np.unravel_index(np.argmax(ne), ref.shape) if ref.ndim else ()
        ii = tuple(int(x) for x in i)
        return f"{int(ne.sum())}/{ref.size} elements differ; at {ii}: got {out[i]!r}, expected {ref[i]!r}"
    return None


def run_test(name, info, data_dir, args, work_root):
    """-> (ok, message)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    tdir = os.path.join(data_dir, "node", name)
    msgs = []
    for k, st in enumerate(info["sets"]):
        odir = os.path.join(work_root, name, f"set{k}")
        os.makedirs(odir, exist_ok=True)
        cmd = [args.qinfer, "run", os.path.join(tdir, "model.onnx")]
        for f, iname in st["inputs"]:
            cmd += ["--input", f"{iname}={os.path.join(tdir, f)}"]
        cmd += ["--output-dir", odir, "--threads", str(args.threads)] + args.qinfer_arg
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return False, f"set{k}: qinfer timed out after {args.timeout} s"
        if p.returncode != 0:
            err = p.stderr.decode(errors="replace").strip().splitlines()
            # A sanitizer report's headline says more than its last line.
            san = [l for l in err if "ERROR: AddressSanitizer" in l or "ERROR: LeakSanitizer" in l
                   or "runtime error:" in l]
            tail = san[0].strip() if san else (err[-1] if err else "")
            sig = f" (signal {-p.returncode})" if p.returncode < 0 else ""
            return False, f"set{k}: qinfer exit {p.returncode}{sig}: {tail}"
        for f, oname in st["outputs"]:
            t = onnx.TensorProto()
            with open(os.path.join(tdir, f), "rb") as fh:
                t.ParseFromString(fh.read())
            ref = numpy_helper.to_array(t)
            opath = os.path.join(odir, sanitize(oname) + ".npy")
            if not os.path.exists(opath):
                msgs.append(f"set{k} output {oname!r}: qinfer wrote no {os.path.basename(opath)}")
                continue
            try:
                out = np.load(opath, allow_pickle=False)
            except Exception as e:
                msgs.append(f"set{k} output {oname!r}: unreadable .npy: {e}")
                continue
            m = compare(ref, out)
            if m:
                msgs.append(f"set{k} output {oname!r}: {m}")
    return (not msgs), "; ".join(msgs)


def main():
    ap = argparse.ArgumentParser(description="ONNX backend node tests against the qinfer CLI",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--qinfer", default=os.environ.get("QINFER_BIN"), help="path of the qinfer CLI")
    ap.add_argument("--data", help="test data folder (default <cache>/onnx-backend/<onnx version>)")
    ap.add_argument("--cache", help="cache folder (default $QINFER_CACHE or <repo>/.cache)")
    ap.add_argument("--generate", action="store_true", help="make the test data and exit")
    ap.add_argument("--filter", help="run only tests whose name matches this regex (re.search)")
    ap.add_argument("--group", help="run only the tests of this group (a supported op, or 'other')")
    ap.add_argument("--groups", action="store_true", help="print the groups (one per line) and exit")
    ap.add_argument("--list", action="store_true", help="print every test's status and group, run nothing")
    ap.add_argument("--supported", default=os.path.join(HERE, "supported_ops.txt"))
    ap.add_argument("--exclusions", default=os.path.join(HERE, "exclusions.txt"))
    ap.add_argument("--threads", type=int, default=1, help="qinfer --threads (default 1)")
    ap.add_argument("--qinfer-arg", action="append", default=[], help="extra argument for qinfer run "
                    "(repeatable), e.g. --qinfer-arg=--isa --qinfer-arg=scalar")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per qinfer run")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", help="keep qinfer's outputs under this folder")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every test, not only failures")
    args = ap.parse_args()

    supported = read_supported(args.supported)
    if args.groups:
        print("\n".join(supported + ["other"]))
        return 0
    exclusions = read_exclusions(args.exclusions)
    if args.cache:  # what a stand-in CLI (fake_qinfer.py -> tests/zoo/ort_run.js) loads onnxruntime-node from
        os.environ["QINFER_CACHE"] = os.path.abspath(args.cache)
    data_dir = os.path.abspath(args.data or default_data_dir(args.cache))
    idx = generate(data_dir)
    if args.generate:
        print(f"backend: {len(idx['tests'])} node tests in {data_dir}")
        return 0
    cls = classify(idx, supported, exclusions)

    # Exclusion patterns that match nothing are probably typos.
    for rx, _, no in exclusions:
        if not any(rx.fullmatch(n) for n in idx["tests"]):
            print(f"backend: warning: {args.exclusions}:{no}: pattern {rx.pattern!r} matches no test",
                  file=sys.stderr)

    names = sorted(cls)
    if args.filter:
        rx = re.compile(args.filter)
        names = [n for n in names if rx.search(n)]
    if args.group:
        names = [n for n in names if cls[n][1] == args.group]

    if args.list:
        for n in names:
            st, grp, why = cls[n]
            shape_in = idx["tests"][n].get("freeze")
            print(f"{st:11s} {grp:20s} {n}" + (f"  ({why})" if why else "") +
                  (f"  [shape inputs: {', '.join(shape_in)}]" if shape_in else ""))
        c = {s: sum(1 for n in names if cls[n][0] == s) for s in ("run", "excluded", "unsupported")}
        shaped = sum(1 for n in names if cls[n][0] == "run" and idx["tests"][n].get("freeze"))
        print(f"backend: {c['run']} would run ({shaped} with inputs that decide shapes), {c['excluded']} excluded, "
              f"{c['unsupported']} unsupported")
        return 0

    to_run = [n for n in names if cls[n][0] == "run"]
    excluded = [n for n in names if cls[n][0] == "excluded"]
    if args.group and not to_run:
        print(f"backend: group {args.group}: nothing to run ({len(excluded)} excluded)")
        print("0 passed, 0 failed")
        return 77
    if not args.qinfer:
        print("backend: --qinfer (or $QINFER_BIN) is required to run tests", file=sys.stderr)
        return 2
    args.qinfer = os.path.abspath(args.qinfer)
    if not os.access(args.qinfer, os.X_OK):
        print(f"backend: {args.qinfer} is not an executable", file=sys.stderr)
        return 2
    if args.verbose:
        for n in excluded:
            print(f"SKIP {n}: {cls[n][2]}")

    work_root = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="qinfer-backend.")
    t0 = time.time()
    passed, failed = 0, []
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
            futs = {n: ex.submit(run_test, n, idx["tests"][n], data_dir, args, work_root) for n in to_run}
            for n in to_run:
                try:
                    ok, msg = futs[n].result()
                except Exception as e:  # a harness error is a failure of that test, not of the run
                    ok, msg = False, f"harness error: {type(e).__name__}: {e}"
                if ok:
                    passed += 1
                    if args.verbose:
                        print(f"PASS {n}")
                else:
                    failed.append(n)
                    print(f"FAIL {n} [{cls[n][1]}]: {msg}")
                sys.stdout.flush()
    finally:
        if not args.keep:
            shutil.rmtree(work_root, ignore_errors=True)
    if failed:
        by_group = {}
        for n in failed:
            by_group.setdefault(cls[n][1], []).append(n)
        print("backend: failures by group: " + ", ".join(f"{g} {len(v)}" for g, v in sorted(by_group.items())))
    print(f"backend: {time.time() - t0:.1f} s, {len(excluded)} excluded by {os.path.basename(args.exclusions)}")
    print(f"{passed} passed, {len(failed)} failed")
    if failed:
        return 1
    # A group with nothing to run (all excluded, or no ONNX test) is reported to ctest as skipped.
    return 77 if args.group and not to_run else 0


if __name__ == "__main__":
    sys.exit(main())
