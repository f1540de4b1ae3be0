#!/usr/bin/env python3
"""Tests of the qinfer Python package (python/), one ctest case per --case:

  install  tools/install-python.sh into a fresh virtual environment; from outside the repository, that venv's
           python imports qinfer from its own site-packages, loads the libqinfer.so copied inside the package and
           runs a model against numpy
  api      Model / Session on small models built here with onnx.helper, against numpy: outputs, symbolic dims
           (resize), keep_intermediates (every kept tensor recomputed in numpy), views vs copies, profiling,
           dtype / shape / missing-input errors raised before the library and qinfer's own messages (files, models,
           options, a resize the model refuses), library lookup errors, parity's ImportError, a leak check
  quant    quantize() from a folder and from samples=[...] (byte-identical files, and identical to the CLI's
           `qinfer quantize`), compare() against the CLI's `qinfer compare --csv` and against SQNRs numpy
           computes from `qinfer run` outputs of both models; quantize's error paths
  zoo      MobileNetV2 (zoo set0) through the package against ONNX Runtime 1.30 (tests/zoo/ort_run.js)
  backend  ONNX backend node tests through the package against their expected outputs

Each case prints one line per check and ends with "N passed, N failed".
"""

import argparse
import csv
import glob
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

PASSED, FAILED = [], []


def check(ok, what, detail=""):
    (PASSED if ok else FAILED).append(what)
    print("%s %s%s" % ("ok  " if ok else "FAIL", what, (": " + detail) if detail and not ok else ""))
    return ok


def raises(fn, cls, needles, what):
    """fn() must raise cls whose message holds every needle (case-sensitive)."""
    try:
        fn()
    except cls as e:
        msg = str(e)
        missing = [n for n in needles if n not in msg]
        return check(not missing, what, "message %r lacks %r" % (msg, missing))
    except Exception as e:  # noqa: BLE001 (reported as the failure it is)
        return check(False, what, "raised %s: %s" % (type(e).__name__, e))
    return check(False, what, "nothing raised")


# ---------------------------------------------------------------- small models (onnx.helper)

def make_mlp(path):
    """x[batch, 4] -> MatMul W -> Add b -> Tanh -> Mul 2 -> Sigmoid -> y[batch, 8]; a second output z = Tanh's."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 8)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    two = np.array(2.0, np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["mm"], name="mm"),
             helper.make_node("Add", ["mm", "b"], ["lin"], name="add"),
             helper.make_node("Tanh", ["lin"], ["t"], name="tanh"),
             helper.make_node("Mul", ["t", "two"], ["m"], name="mul"),
             helper.make_node("Sigmoid", ["m"], ["y"], name="sig"),
             helper.make_node("Neg", ["t"], ["z"], name="neg")]
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8]),
                           helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 8])],
                          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
                           numpy_helper.from_array(two, "two")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, path)

    def oracle(x):
        x = x.astype(np.float64)
        mm = x @ w.astype(np.float64)
        lin = mm + b
        t = np.tanh(lin)
        mval = t * 2
        return {"x": x, "mm": mm, "lin": lin, "t": t, "m": mval, "y": 1 / (1 + np.exp(-mval)), "z": -t}
    return oracle


def make_reshape(path):
    """x[n] (symbolic) -> Reshape [2, -1] -> y: a length that is odd cannot be reshaped (qinfer refuses it)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    g = helper.make_graph([helper.make_node("Reshape", ["x", "s"], ["y"])], "rs",
                          [helper.make_tensor_value_info("x", TensorProto.INT64, ["n"])],
                          [helper.make_tensor_value_info("y", TensorProto.INT64, [2, None])],
                          [numpy_helper.from_array(np.array([2, -1], np.int64), "s")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, path)


def make_cnn(path):
    """x[1, 3, 8, 8] -> Conv -> Relu -> Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> y[1, 5]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(7)
    inits = [numpy_helper.from_array((rng.standard_normal((6, 3, 3, 3)) * 0.3).astype(np.float32), "w1"),
             numpy_helper.from_array((rng.standard_normal(6) * 0.1).astype(np.float32), "b1"),
             numpy_helper.from_array((rng.standard_normal((8, 6, 3, 3)) * 0.2).astype(np.float32), "w2"),
             numpy_helper.from_array((rng.standard_normal(8) * 0.1).astype(np.float32), "b2"),
             numpy_helper.from_array((rng.standard_normal((5, 8)) * 0.5).astype(np.float32), "w3"),
             numpy_helper.from_array((rng.standard_normal(5) * 0.1).astype(np.float32), "b3")]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
             helper.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], name="fc", transB=1)]
    g = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, path)


def close(a, b, rtol=1e-5, atol=1e-6):
    return a.shape == b.shape and np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol)


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def sqnr_db(ref, test):
    ref = ref.astype(np.float64).ravel()
    d = ref - test.astype(np.float64).ravel()
    return 10 * math.log10(float(np.dot(ref, ref)) / float(np.dot(d, d)))


# ---------------------------------------------------------------- cases

def case_install(a):
    venv = os.path.join(a.workdir, "venv")
    shutil.rmtree(venv, ignore_errors=True)
    p = subprocess.run(["bash", os.path.join(a.repo, "tools", "install-python.sh"), "--venv", venv, "--library",
                        a.lib], capture_output=True, text=True)
    if not check(p.returncode == 0, "tools/install-python.sh --venv DIR", p.stdout + p.stderr):
        return
    model = os.path.join(a.workdir, "mlp.onnx")
    oracle = make_mlp(model)
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    np.save(os.path.join(a.workdir, "x.npy"), x)
    probe = ("import json, sys, numpy as np, qinfer\n"
             "s = qinfer.Session(sys.argv[1])\n"
             "y = s.run({'x': np.load(sys.argv[2])})['y']\n"
             "np.save(sys.argv[3], y)\n"
             "print(json.dumps({'file': qinfer.__file__, 'lib': qinfer.library_path(), 'version': qinfer.version()}))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("QINFER_LIBRARY", "PYTHONPATH")}
    out_npy = os.path.join(a.workdir, "y.npy")
    # from a folder outside the repository: nothing but the venv can provide the package and the library
    p = subprocess.run([os.path.join(venv, "bin", "python"), "-c", probe, model, os.path.join(a.workdir, "x.npy"),
                        out_npy], capture_output=True, text=True, cwd=a.workdir, env=env)
    if not check(p.returncode == 0, "the venv's python imports qinfer and runs a model", p.stderr):
        return
    import json
    info = json.loads(p.stdout.strip().splitlines()[-1])
    site = os.path.realpath(venv)
    check(os.path.realpath(info["file"]).startswith(site), "qinfer imported from the venv", info["file"])
    pkg_dir = os.path.dirname(os.path.realpath(info["file"]))
    check(os.path.dirname(os.path.realpath(info["lib"])) == pkg_dir, "libqinfer.so loaded from inside the package",
          info["lib"])
    check(info["version"] == "0.1.0", "qinfer.version() from the installed library", info["version"])
    y = np.load(out_npy)
    check(close(y, oracle(x)["y"]), "installed package's output against numpy")

    # --target: a plain folder, the library given by a relative path
    target = os.path.join(a.workdir, "site")
    shutil.rmtree(target, ignore_errors=True)
    p = subprocess.run(["bash", os.path.join(a.repo, "tools", "install-python.sh"), "--target", "site", "--library",
                        os.path.relpath(a.lib, a.workdir)], capture_output=True, text=True, cwd=a.workdir)
    if not check(p.returncode == 0, "tools/install-python.sh --target DIR --library RELATIVE", p.stdout + p.stderr):
        return
    os.remove(out_npy)
    p = subprocess.run([sys.executable, "-c", probe, model, os.path.join(a.workdir, "x.npy"), out_npy],
                       capture_output=True, text=True, cwd=a.workdir, env=dict(env, PYTHONPATH=target))
    ok = p.returncode == 0 and os.path.realpath(json.loads(p.stdout.strip().splitlines()[-1])["lib"]).startswith(
        os.path.realpath(target))
    check(ok and close(np.load(out_npy), oracle(x)["y"]), "the --target folder's package and library run the model",
          p.stdout + p.stderr)


def case_api(a):
    sys.path.insert(0, os.path.join(a.repo, "python"))
    os.environ["QINFER_LIBRARY"] = a.lib
    import qinfer
    check(qinfer.version() == "0.1.0", "version()")
    check(os.path.realpath(qinfer.library_path()) == os.path.realpath(a.lib), "library from $QINFER_LIBRARY")
    mlp = os.path.join(a.workdir, "mlp.onnx")
    oracle = make_mlp(mlp)
    rng = np.random.default_rng(5)

    # descriptions
    m = qinfer.Model(mlp)
    check([(t.name, t.dtype, t.shape) for t in m.inputs] == [("x", np.dtype(np.float32), ("batch", 4))],
          "Model.inputs: name, dtype, symbolic shape", str(m.inputs))
    check([t.name for t in m.outputs] == ["y", "z"], "Model.outputs")

    # a run against numpy, then a resize through a new batch
    s = qinfer.Session(m, threads=2, dims={"batch": 2})
    check(s.inputs[0].shape == (2, 4), "dims= binds the symbolic batch", str(s.inputs[0].shape))
    x = rng.standard_normal((2, 4)).astype(np.float32)
    out = s.run({"x": x})
    ref = oracle(x)
    check(close(out["y"], ref["y"]) and close(out["z"], ref["z"]), "run() against numpy (batch 2)")
    x3 = rng.standard_normal((3, 4)).astype(np.float32)
    out3 = s.run({"x": x3})
    check(close(out3["y"], oracle(x3)["y"]) and s.inputs[0].shape == (3, 4), "a new batch resizes the session")
    check(list(s.run({"x": x}, outputs=["z"])) == ["z"], "run(outputs=[...]) returns those only")

    # errors raised before the library is called, and the library's own
    raises(lambda: s.run({"x": x.astype(np.float64)}), qinfer.InvalidArgumentError,
           ["input 'x' expects float (numpy float32), got numpy float64"], "dtype error names input and types")
    raises(lambda: s.run({"x": np.zeros((2, 5), np.float32)}), qinfer.ShapeError,
           ["input 'x' has shape (2, 5)", "(batch, 4)"], "fixed-dim shape error")
    raises(lambda: s.run({"x": np.zeros((2, 4, 1), np.float32)}), qinfer.ShapeError, ["(2, 4, 1)"], "rank error")
    raises(lambda: s.run({}), qinfer.InvalidArgumentError, ["input 'x' missing"], "missing input")
    raises(lambda: s.run({"x": x, "q": x}), qinfer.InvalidArgumentError, ["no input 'q'", "inputs: x"],
           "unknown input")
    raises(lambda: qinfer.Model(os.path.join(a.workdir, "absent.onnx")), qinfer.IoError, ["absent.onnx"],
           "missing model file: IoError with qinfer's message")
    bad = os.path.join(a.workdir, "garbage.onnx")
    with open(bad, "wb") as f:
        f.write(b"\x0a\xff\xff\xff\xff\x0f not a model")
    try:
        qinfer.Model(bad)
        check(False, "malformed model raises")
    except qinfer.Error as e:
        check(e.status in (2, 3) and e.message and e.message != e.status_name,
              "malformed model: Error with status and qinfer's message", repr(e))
    raises(lambda: qinfer.Session(m, threads=-1), qinfer.InvalidArgumentError, ["threads must be in 0..1024"],
           "qinfer's message for a bad option")
    raises(lambda: qinfer.Session(m, isa="sse9"), qinfer.InvalidArgumentError, ["unknown ISA 'sse9'"],
           "unknown ISA name")
    rs = os.path.join(a.workdir, "reshape.onnx")
    make_reshape(rs)
    srs = qinfer.Session(rs, dims={"n": 4})
    r = srs.run({"x": np.arange(4, dtype=np.int64)})["y"]
    check(r.dtype == np.int64 and r.tolist() == [[0, 1], [2, 3]], "int64 in and out")
    try:
        srs.run({"x": np.arange(5, dtype=np.int64)})
        check(False, "a resize the model refuses raises")
    except qinfer.ShapeError as e:
        check(e.status == 5 and "reshape" in e.message.lower(),
              "a resize the model refuses: ShapeError with qinfer's message", repr(e))
    check(srs.inputs[0].shape == (4,) and srs.run({"x": np.arange(4, dtype=np.int64)})["y"].shape == (2, 2),
          "the refused resize left the session at its previous shapes")

    # copies and views
    s2 = qinfer.Session(mlp, dims={"batch": 2})
    copied = s2.run({"x": x})["y"]
    view = s2.run({"x": x}, copy=False)["y"]
    check(not view.flags.writeable and np.array_equal(view, copied), "copy=False: a read-only view of the output")
    s2.run({"x": -x})
    check(not np.array_equal(view, copied) and close(view, oracle(-x)["y"]) and close(copied, ref["y"]),
          "the view shows the next run, the copy keeps its values")
    del s2  # the view keeps the session alive
    check(close(view, oracle(-x)["y"]), "a view outlives the Session object it came from")

    # lifetimes: a closed model's sessions keep working; a closed session refuses calls
    with qinfer.Model(mlp) as mc:
        sc = qinfer.Session(mc, dims={"batch": 2})
    check(close(sc.run({"x": x})["y"], ref["y"]), "a session outlives its closed model")
    sc.close()
    raises(lambda: sc.run({"x": x}), qinfer.InvalidArgumentError, ["the session is closed"], "run() after close()")
    raises(lambda: qinfer.Session(mc), qinfer.InvalidArgumentError, ["the model is closed"],
           "a session of a closed model")

    # intermediates against numpy
    sk = qinfer.Session(mlp, dims={"batch": 2}, keep_intermediates=True)
    raises(lambda: sk.tensors(), qinfer.InvalidArgumentError, ["no run yet"], "tensors() before a run")
    sk.run({"x": x})
    ts = sk.tensors()
    inter = [n for n in ts if n not in ("x", "y", "z")]
    check(len(inter) >= 2 and all(n in ref for n in ts), "keep_intermediates: inputs, outputs and intermediates",
          str(list(ts)))
    bad_t = [n for n in ts if not close(ts[n], ref[n], rtol=1e-5, atol=1e-5)]
    check(not bad_t, "every kept tensor equals numpy's recomputation (%s)" % ", ".join(ts), str(bad_t))
    check(close(sk.tensor(inter[0]), ref[inter[0]]), "tensor(name)")
    raises(lambda: s.tensor("t"), qinfer.InvalidArgumentError, ["keep_intermediates=True"],
           "tensor() of an intermediate without keep_intermediates")

    # profiling
    sp = qinfer.Session(mlp, profile=True)
    for _ in range(3):
        sp.run({"x": x[:1]})
    prof = sp.profile()
    check(len(prof) >= 2 and all(p["runs"] == 3 and p["total_ms"] >= 0 for p in prof) and
          {p["op_type"] for p in prof} <= {"MatMul", "Add", "Tanh", "Mul", "Sigmoid", "Neg", "Gemm"},
          "profile(): one record per node, 3 runs each", str(prof))
    check(qinfer.Session(mlp).profile() == [], "profile() without profiling is empty")

    # library lookup
    env = dict(os.environ, QINFER_LIBRARY=os.path.join(a.workdir, "nowhere", "libqinfer.so"),
               PYTHONPATH=os.path.join(a.repo, "python"))
    p = subprocess.run([sys.executable, "-c", "import qinfer\ntry:\n qinfer.version()\nexcept qinfer."
                        "LibraryNotFoundError as e:\n print('LNF', e.status, e)\n"], capture_output=True, text=True,
                       env=env)
    check("LNF 2" in p.stdout and "nowhere/libqinfer.so" in p.stdout and "QINFER_LIBRARY" in p.stdout,
          "a missing $QINFER_LIBRARY: LibraryNotFoundError naming it", p.stdout + p.stderr)
    lone = os.path.join(a.workdir, "lone")
    shutil.rmtree(lone, ignore_errors=True)
    shutil.copytree(os.path.join(a.repo, "python", "qinfer"), os.path.join(lone, "pkg", "qinfer"),
                    ignore=shutil.ignore_patterns("libqinfer.so*", "__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != "QINFER_LIBRARY"}
    env["PYTHONPATH"] = os.path.join(lone, "pkg")
    p = subprocess.run([sys.executable, "-c", "import qinfer\ntry:\n qinfer.Session('m.onnx')\nexcept qinfer."
                        "LibraryNotFoundError as e:\n print('LNF', e)\n"], capture_output=True, text=True, env=env)
    check("LNF" in p.stdout and "next to the package" in p.stdout and "build-release" in p.stdout,
          "no library anywhere: the error lists where it looked", p.stdout + p.stderr)

    # parity without onnxruntime and without bench/parity.py
    env = dict(os.environ, QINFER_PARITY_SCRIPT=os.path.join(a.workdir, "no-parity.py"),
               PYTHONPATH=os.path.join(a.repo, "python"))
    p = subprocess.run([sys.executable, "-c", "import sys, qinfer\nsys.modules['onnxruntime'] = None\ntry:\n"
                        " qinfer.parity(sys.argv[1])\nexcept ImportError as e:\n print(type(e).__name__, e)\n", mlp],
                       capture_output=True, text=True, env=env)
    check(p.stdout.startswith("ParityUnavailableError") and "onnxruntime" in p.stdout and "bench/parity.py" in p.stdout,
          "parity() without ONNX Runtime: a clear ImportError", p.stdout + p.stderr)

    # leaks: 1000 runs and 200 sessions, resident memory bounded
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        print("skip the resident-memory leak check (ASan's quarantine keeps freed memory resident)")
        return
    sl = qinfer.Session(mlp, dims={"batch": 2})
    for _ in range(100):
        sl.run({"x": x})
    before = rss_kib()
    for _ in range(1000):
        sl.run({"x": x})
    for _ in range(200):
        qinfer.Session(m).run({"x": x[:1]})
    grown = rss_kib() - before
    check(grown < 4096, "1000 runs + 200 sessions: RSS grew %d KiB (< 4096)" % grown)


def run_cli(a, *args):
    p = subprocess.run([a.qinfer] + [str(x) for x in args], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("qinfer %s failed: %s" % (" ".join(map(str, args)), p.stdout + p.stderr))
    return p.stdout


def case_quant(a):
    sys.path.insert(0, os.path.join(a.repo, "python"))
    os.environ["QINFER_LIBRARY"] = a.lib
    import qinfer
    w = a.workdir
    fp32 = os.path.join(w, "cnn.onnx")
    make_cnn(fp32)
    rng = np.random.default_rng(11)
    calib = os.path.join(w, "calib")
    shutil.rmtree(calib, ignore_errors=True)
    os.makedirs(calib)
    samples = [rng.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32) for _ in range(6)]
    for i, x in enumerate(samples):
        np.save(os.path.join(calib, "%03d.npy" % i), x)
    q_dir, q_list, q_cli = (os.path.join(w, n) for n in ("q_dir.onnx", "q_list.onnx", "q_cli.onnx"))
    stages = []
    rep = qinfer.quantize(fp32, q_dir, calib=calib, threads=1, progress=lambda st, d, t: stages.append(st))
    check(rep["quantized_nodes"] >= 3 and rep["weights"] == 3 and rep["samples"] == 6 and rep["output_sqnr_db"] is None,
          "quantize(calib=DIR): the report", str(rep))
    check(len(stages) > 0, "progress callback called", str(stages[:3]))
    qinfer.quantize(fp32, q_list, samples=[{"x": x} for x in samples], threads=1)
    run_cli(a, "quantize", fp32, "-o", q_cli, "--calib", calib, "--threads", "1")
    blobs = [open(p, "rb").read() for p in (q_dir, q_list, q_cli)]
    check(blobs[0] == blobs[1], "quantize(samples=[...]) writes the same bytes as quantize(calib=DIR)")
    check(blobs[0] == blobs[2], "quantize() writes the same bytes as `qinfer quantize`")

    # compare against the CLI and against numpy on `qinfer run` outputs
    x = rng.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)
    xf = os.path.join(w, "x.npy")
    np.save(xf, x)
    rows = qinfer.compare(fp32, q_dir, {"x": x}, per_layer=True)
    outs = [r for r in rows if r["kind"] == "output"]
    layers = [r for r in rows if r["kind"] == "layer"]
    check(len(outs) == 1 and outs[0]["name"] == "y" and outs[0]["match"] == "compared", "compare(): the output row",
          str(outs))
    csv_out = os.path.join(w, "cmp_out.csv")
    csv_layers = os.path.join(w, "cmp_layers.csv")
    run_cli(a, "compare", fp32, q_dir, "--input", "x=" + xf, "--csv", csv_out)
    run_cli(a, "compare", fp32, q_dir, "--input", "x=" + xf, "--per-layer", "--csv", csv_layers)
    cli_out = list(csv.DictReader(open(csv_out)))
    cli_layers = list(csv.DictReader(open(csv_layers)))
    for d in ("ref", "test"):
        run_cli(a, "run", fp32 if d == "ref" else q_dir, "--input", "x=" + xf, "--output-dir", os.path.join(w, d))
    np_sqnr = sqnr_db(np.load(os.path.join(w, "ref", "y.npy")), np.load(os.path.join(w, "test", "y.npy")))
    py_sqnr = outs[0]["sqnr_db"]
    check(abs(py_sqnr - float(cli_out[0]["sqnr_db"])) <= 1e-6 * abs(py_sqnr),
          "compare() output SQNR %.6f dB = the CLI's %s" % (py_sqnr, cli_out[0]["sqnr_db"]))
    check(abs(py_sqnr - np_sqnr) <= 1e-6 * abs(np_sqnr),
          "compare() output SQNR = numpy's from `qinfer run` outputs (%.6f dB)" % np_sqnr)
    check(5 < py_sqnr < 80 and 0.9 < outs[0]["cosine"] <= 1, "the SQNR is a quantized model's", str(outs[0]))
    by_name = {r["tensor"]: r for r in cli_layers}
    same = len(layers) == len(cli_layers) and len(layers) >= 3 and all(
        r["name"] in by_name and abs(r["sqnr_db"] - float(by_name[r["name"]]["sqnr_db"])) <= 1e-6 * abs(r["sqnr_db"])
        for r in layers if math.isfinite(r["sqnr_db"]))
    check(same, "compare(per_layer=True): %d rows, names and SQNRs as the CLI's --per-layer CSV" % len(layers),
          str([(r["name"], r["sqnr_db"]) for r in layers]) + " vs " + str([(r["tensor"], r["sqnr_db"])
                                                                        for r in cli_layers]))
    check(all(layers[i]["sqnr_db"] <= layers[i + 1]["sqnr_db"] for i in range(len(layers) - 1)),
          "per-layer rows worst first")
    rand = qinfer.compare(fp32, q_dir, seed=3)
    check(rand[0]["match"] == "compared" and math.isfinite(rand[0]["sqnr_db"]), "compare() on seeded random inputs")

    # errors
    out = os.path.join(w, "bad.onnx")
    raises(lambda: qinfer.quantize(fp32, out, calib=calib, weights="int3"), qinfer.InvalidArgumentError,
           ["weights must be one of int8, int4, uint4, got 'int3'"], "quantize: unknown weight type")
    raises(lambda: qinfer.quantize(fp32, out, calib=calib, block_size=32), qinfer.InvalidArgumentError,
           ["block"], "quantize: a block size with int8 weights (qinfer's message)")
    raises(lambda: qinfer.quantize(fp32, out, samples=[{"x": samples[0].astype(np.float64)}]),
           qinfer.InvalidArgumentError, ["double"], "quantize: a float64 sample (qinfer's message)")
    raises(lambda: qinfer.quantize(fp32, out, samples=[{"y": samples[0]}]), qinfer.InvalidArgumentError,
           ["samples[0] has no array for input 'x'"], "quantize: a sample without the input")
    raises(lambda: qinfer.quantize(fp32, out, samples=[{"x": samples[0][:, :2]}]), qinfer.ShapeError, ["x"],
           "quantize: a sample of the wrong shape (qinfer's message)")
    raises(lambda: qinfer.quantize(fp32, out, calib=calib, exclude=["conv9"]), qinfer.InvalidArgumentError,
           ["conv9"], "quantize: an exclusion naming no node (qinfer's message)")
    raises(lambda: qinfer.quantize(fp32, os.path.join(w, "no", "dir", "q.onnx"), calib=calib), qinfer.IoError, [],
           "quantize: unwritable out_path")
    raises(lambda: qinfer.quantize(fp32, out), qinfer.InvalidArgumentError, [], "quantize: no samples")
    check(not os.path.exists(out), "no file written by a failed quantize()")
    raises(lambda: qinfer.compare(fp32, q_dir, {"x": x[:, :1]}), qinfer.ShapeError, ["input 'x' has shape"],
           "compare: an input of the wrong shape")
    raises(lambda: qinfer.compare(fp32, os.path.join(w, "absent.onnx")), qinfer.IoError, ["absent.onnx"],
           "compare: a missing file")


def ort_outputs(a, model, inputs, outdir):
    args = [a.node, os.path.join(a.repo, "tests", "zoo", "ort_run.js"), model, "--output-dir", outdir, "--cache",
            a.cache]
    for name, f in inputs.items():
        args += ["--input", "%s=%s" % (name, f)]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("ort_run.js failed: " + p.stdout + p.stderr)


def case_zoo(a):
    sys.path.insert(0, os.path.join(a.repo, "python"))
    os.environ["QINFER_LIBRARY"] = a.lib
    import qinfer
    zdir = os.path.join(a.cache, "zoo", "mobilenet_v2")
    model = os.path.join(zdir, "model.onnx")
    inp = os.path.join(zdir, "set0", "input.npy")
    ort_dir = os.path.join(a.workdir, "ort")
    ort_outputs(a, model, {"input": inp}, ort_dir)
    ref = np.load(os.path.join(ort_dir, "output.npy"))
    s = qinfer.Session(model, threads=2)
    out = s.run({"input": np.load(inp)})["output"]
    o, r = out.astype(np.float64).ravel(), ref.astype(np.float64).ravel()
    cos = float(np.dot(o, r) / np.sqrt(np.dot(o, o) * np.dot(r, r)))
    maxd = float(np.max(np.abs(o - r)))
    # the zoo suite's tolerance (tests/zoo/run_zoo.py)
    check(out.shape == ref.shape and cos >= 0.99999 and maxd <= 1e-4 * float(np.max(np.abs(r))),
          "mobilenet_v2 set0 against ONNX Runtime: cosine %.7f, max|d| %.3g" % (cos, maxd))

    # qinfer.parity's onnxruntime path, the module answered by node's ONNX Runtime (tests/python/ort_shim)
    os.environ["QINFER_TEST_NODE"] = a.node
    os.environ["QINFER_CACHE"] = a.cache
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "ort_shim"))
    rows = qinfer.parity(model, {"input": np.load(inp)}, threads=2)
    check(len(rows) == 1 and rows[0]["name"] == "output" and rows[0]["cosine"] >= 0.99999 and
          abs(rows[0]["max_abs"] - maxd) <= 1e-6 * float(np.max(np.abs(r))) and rows[0]["sqnr_db"] > 60,
          "parity(): the output's cosine, SQNR and max|d| against ONNX Runtime", str(rows))
    small = os.path.join(a.workdir, "mlp.onnx")
    make_mlp(small)
    rows = qinfer.parity(small, dims={"batch": 3}, seed=4)
    check([(r["name"], r["shape"]) for r in rows] == [("y", (3, 8)), ("z", (3, 8))] and
          all(r["cosine"] > 0.999999 for r in rows), "parity() on random inputs at bound dims", str(rows))


BACKEND_TESTS = ["test_conv_with_strides_padding", "test_gather_0", "test_softmax_axis_1",
                 "test_argmax_default_axis_example", "test_add_bcast", "test_matmul_3d", "test_where_example",
                 "test_reshape_negative_dim"]


def case_backend(a):
    sys.path.insert(0, os.path.join(a.repo, "python"))
    os.environ["QINFER_LIBRARY"] = a.lib
    import json

    import onnx
    from onnx import numpy_helper
    import qinfer
    roots = sorted(glob.glob(os.path.join(a.cache, "onnx-backend", "*", "index.json")))
    if not check(bool(roots), "backend data generated (backend.generate)"):
        return
    root = os.path.dirname(roots[-1])
    index = json.load(open(roots[-1]))["tests"]
    for name in BACKEND_TESTS:
        t = index[name]
        d = os.path.join(root, "node", name)
        for st in t["sets"]:
            feeds = {n: numpy_helper.to_array(onnx.load_tensor(os.path.join(d, f))) for f, n in st["inputs"]}
            want = {n: numpy_helper.to_array(onnx.load_tensor(os.path.join(d, f))) for f, n in st["outputs"]}
            # inputs whose values decide shapes (a Reshape's shape) are bound at creation, as the backend runner does
            s = qinfer.Session(os.path.join(d, "model.onnx"), shapes={k: v.shape for k, v in feeds.items()},
                               values={n: feeds[n] for n in t["freeze"]})
            got = s.run(feeds)
            # the backend runner's rule: same dtype and shape, floats within rtol 1e-3, atol 1e-7
            ok = all(got[n].dtype == w.dtype and got[n].shape == w.shape and (
                np.allclose(got[n], w, rtol=1e-3, atol=1e-7) if w.dtype.kind == "f" else np.array_equal(got[n], w))
                for n, w in want.items())
            check(ok, "%s (%s) against its expected outputs" % (name, st["inputs"][0][0].split("/")[0]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", required=True, choices=["install", "api", "quant", "zoo", "backend"])
    ap.add_argument("--lib", required=True, help="libqinfer.so (the build's qinfer_shared)")
    ap.add_argument("--qinfer", help="the qinfer CLI")
    ap.add_argument("--node", help="node (ONNX Runtime side)")
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE", ""))
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    a.repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    a.lib = os.path.abspath(a.lib)
    os.makedirs(a.workdir, exist_ok=True)
    try:
        globals()["case_" + a.case](a)
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        check(False, "case %s ran to the end" % a.case, str(e))
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED or not PASSED else 0


if __name__ == "__main__":
    sys.exit(main())
