"""qinfer against ONNX Runtime on one model (issue 12: parity for any model in one command)."""

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from . import errors
from .model import Model
from .session import Session


def _metrics(ref, got):
    """cosine, SQNR (dB), max |d| and, for integer tensors, the largest step between them; in float64."""
    a = np.asarray(ref, dtype=np.float64).ravel()
    b = np.asarray(got, dtype=np.float64).ravel()
    d = a - b
    sig, noise = float(np.dot(a, a)), float(np.dot(d, d))
    na, nb = float(np.sqrt(np.dot(a, a))), float(np.sqrt(np.dot(b, b)))
    row = {
        "cosine": 1.0 if na == 0 and nb == 0 else (float(np.dot(a, b)) / (na * nb) if na and nb else 0.0),
        "sqnr_db": float("inf") if noise == 0 else (10 * np.log10(sig / noise) if sig else float("-inf")),
        "max_abs": float(np.max(np.abs(d))) if d.size else 0.0,
    }
    if np.issubdtype(np.asarray(ref).dtype, np.integer):
        row["max_step"] = int(np.max(np.abs(np.asarray(ref, np.int64) - np.asarray(got, np.int64)))) if d.size else 0
    return row


def _random_inputs(model, inputs, dims, seed):
    rng = np.random.default_rng(seed)
    feeds = dict(inputs or {})
    for t in model.inputs:
        if t.name in feeds:
            continue
        shape = tuple(d if isinstance(d, int) else int((dims or {}).get(d, 1)) for d in t.shape)
        if t.dtype is None:
            raise errors.UnsupportedError(errors.ERR_UNSUPPORTED, "input '%s': type %s" % (t.name, t.type_name))
        if np.issubdtype(t.dtype, np.floating):
            feeds[t.name] = rng.uniform(-1, 1, shape).astype(t.dtype)
        else:
            feeds[t.name] = np.zeros(shape, t.dtype)
    return feeds


def _script():
    """bench/parity.py of the repository the package runs from ($QINFER_PARITY_SCRIPT overrides), or None."""
    env = os.environ.get("QINFER_PARITY_SCRIPT")
    if env:
        return env if os.path.isfile(env) else None
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(os.path.dirname(os.path.dirname(here)), "bench", "parity.py")
    return path if os.path.isfile(path) else None


def parity(model, inputs=None, threads=1, dims=None, seed=0):
    """Runs the model on qinfer and on ONNX Runtime with the same inputs and compares every output.

    model: a path (or a Model: its path is used). inputs: {name: array}; inputs not given get uniform [-1, 1)
    values (integers: zeros) from numpy's generator seeded with `seed`, at the declared shape with symbolic dims
    from `dims` (default 1).

    With the onnxruntime module importable: returns a list of dicts, one per output: name, shape, dtype, cosine,
    sqnr_db, max_abs (max_step too for integer outputs), computed in float64 from both runtimes' arrays.
    Without it, when the package runs from a qinfer repository that has bench/parity.py (ONNX Runtime through
    node's onnxruntime-node; $QINFER_PARITY_SCRIPT names another copy) and node is on PATH: that script's
    --json report, parsed, as a dict. Otherwise raises ParityUnavailableError (an ImportError) saying so.
    """
    path = model.path if isinstance(model, Model) else os.fspath(model)
    try:
        ort = importlib.import_module("onnxruntime")
    except ImportError as e:
        ort, why = None, e
    if ort is None:
        script = _script()
        node = shutil.which("node")
        if script is None or node is None:
            raise errors.ParityUnavailableError(
                "qinfer.parity needs ONNX Runtime: the onnxruntime Python module is not importable (%s), and %s. "
                "Install onnxruntime for this Python, or run from a qinfer repository with bench/parity.py after "
                "tools/install-deps.sh (node and onnxruntime-node)." % (
                    why, "node is not on PATH" if script else "no bench/parity.py was found "
                    "($QINFER_PARITY_SCRIPT or <repo>/bench/parity.py)"))
        return _parity_script(script, path, inputs, threads, dims, seed)
    with Model(path) as m:
        feeds = _random_inputs(m, inputs, dims, seed)
    so = ort.SessionOptions()
    so.intra_op_num_threads = max(int(threads), 1)
    ref = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in ref.get_outputs()]
    want = ref.run(names, feeds)
    with Session(path, threads=threads, dims=dims, shapes={k: v.shape for k, v in feeds.items()}) as s:
        got = s.run(feeds)
    rows = []
    for name, r in zip(names, want):
        r = np.asarray(r)
        g = got[name]
        row = {"name": name, "shape": tuple(g.shape), "dtype": g.dtype.name}
        if r.shape != g.shape:
            row["error"] = "shape %s in ONNX Runtime, %s in qinfer" % (r.shape, g.shape)
        else:
            row.update(_metrics(r, g))
        rows.append(row)
    return rows


def _parity_script(script, path, inputs, threads, dims, seed):
    with tempfile.TemporaryDirectory(prefix="qinfer-parity-") as tmp:
        cmd = [sys.executable, script, path, "--threads", str(int(threads)), "--json", os.path.join(tmp, "out.json")]
        for name, value in (inputs or {}).items():
            f = os.path.join(tmp, "in%d.npy" % len(cmd))
            np.save(f, np.asarray(value))
            cmd += ["--input", "%s=%s" % (name, f)]
        for k, v in (dims or {}).items():
            cmd += ["--dim", "%s=%d" % (k, int(v))]
        if seed:
            cmd += ["--seed", str(int(seed))]
        p = subprocess.run(cmd, capture_output=True, text=True)
        out = os.path.join(tmp, "out.json")
        if not os.path.exists(out):
            raise errors.Error(errors.ERR_RUNTIME, "%s failed (exit %d): %s" % (script, p.returncode,
                                                                              (p.stderr or p.stdout).strip()))
        with open(out) as f:
            return json.load(f)
