#!/usr/bin/env python3
"""`qinfer run` / `qinfer bench` with input sets of different shapes in one session (an input given several
times), and inputs that decide shapes fed as files, on the models of make_shape_models.py: outputs against the
numpy results written there.

usage: check_input_sets.py QINFER MODELS_DIR WORK_DIR

QINFER_EMULATOR (set by tests/CMakeLists.txt in a cross build: "qemu-aarch64 -L /usr/aarch64-linux-gnu") is
put before QINFER, so that the target's binary runs under qemu-user.
"""
import json
import os
import shlex
import subprocess
import sys

import numpy as np

qinfer, models, work = sys.argv[1:4]
emulator = shlex.split(os.environ.get("QINFER_EMULATOR", ""))
failures = []


def run(args, expect_rc=0):
    p = subprocess.run(emulator + [qinfer] + args, cwd=models, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120)
    if p.returncode != expect_rc:
        failures.append(f"qinfer {' '.join(args)}: exit {p.returncode}, expected {expect_rc}\n{p.stdout}")
    return p.stdout


def expect_outputs(out_dir, expected, tol):
    for k, want_file in enumerate(expected):
        got_path = os.path.join(out_dir, f"set{k}", "y.npy")
        if not os.path.exists(got_path):
            failures.append(f"{got_path} missing")
            continue
        got, want = np.load(got_path), np.load(os.path.join(models, want_file))
        if got.shape != want.shape:
            failures.append(f"{got_path}: shape {got.shape}, numpy {want.shape}")
        elif np.abs(got - want).max() > tol * (1 + np.abs(want).max()):
            failures.append(f"{got_path}: max difference {np.abs(got - want).max()}")


# one session, three shapes of x: N, H and W change
out = os.path.join(work, "conv_hw")
run(["run", "conv_hw.onnx", "--output-dir", out] + [f"--input=x=conv_hw.{t}.x.npy" for t in "ABC"])
expect_outputs(out, [f"conv_hw.{t}.y.npy" for t in "ABC"], 1e-5)

# two inputs sharing the symbolic S, both given per set
out = os.path.join(work, "attn_seq")
args = ["run", "attn_seq.onnx", "--output-dir", out]
for t in "AB":
    args += [f"--input=x=attn_seq.{t}.x.npy", f"--input=mask=attn_seq.{t}.mask.npy"]
run(args)
expect_outputs(out, [f"attn_seq.{t}.y.npy" for t in "AB"], 1e-5)

# a graph input deciding Reshape's shape: bound to the file's value, another value in set 1; x given once
out = os.path.join(work, "reshape_input")
run(["run", "reshape_input.onnx", "--output-dir", out, "--input", "x=reshape_input.x.npy",
     "--input", "shape=reshape_input.A.shape.npy", "--input", "shape=reshape_input.B.shape.npy"])
expect_outputs(out, ["reshape_input.A.y.npy", "reshape_input.B.y.npy"], 0)

# without its value: a clear error naming the input and the op
text = run(["run", "reshape_input.onnx", "--output-dir", os.path.join(work, "none"), "--input",
            "x=reshape_input.x.npy"], expect_rc=1)
if "graph input 'shape'" not in text or "(Reshape)" not in text:
    failures.append(f"the error names neither the input nor the op:\n{text}")

# bench reports each set
text = run(["bench", "conv_hw.onnx", "--runs", "2", "--warmup", "0", "--json", "--input=x=conv_hw.A.x.npy",
            "--input=x=conv_hw.B.x.npy"])
try:
    report = json.loads(text)
    shapes = [s["inputs"][0]["shape"] for s in report["sets"]]
    if shapes != [[1, 3, 9, 8], [2, 3, 15, 11]] or any(s["runs"] != 2 or s["median_ms"] <= 0 for s in report["sets"]):
        failures.append(f"bench sets: {report['sets']}")
    if report["sets"][1]["macs"] <= report["sets"][0]["macs"]:
        failures.append("bench: the larger set does not count more MACs")
except (ValueError, KeyError, IndexError) as e:
    failures.append(f"bench --json: {e}\n{text}")

for f in failures:
    print("FAIL", f)
print("input sets: all outputs match numpy" if not failures else f"{len(failures)} failures")
sys.exit(1 if failures else 0)
