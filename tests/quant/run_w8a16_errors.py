#!/usr/bin/python3
"""qinfer's internal W8A16 ops (QLinearConv16 / QLinearMatMul16, domain ai.qinfer, engine/ops/quant_w8a16.c) in a
model file: the QDQ pass makes them, but a file may name them too, so every malformed one must fail session
creation with a clear error naming the problem, never crash. Models built here with onnx.helper.

    run_w8a16_errors.py --qinfer BUILD/tools/qinfer

Checks: a well-formed QLinearConv16 and QLinearMatMul16 run; 7 inputs, a missing input, int8 x, a non-zero
weight zero point, a float y zero point, a bias of the wrong length, a zero y scale, 3-D conv weights, a K
mismatch, transA and per-column scales of the wrong length each exit 1 with the expected message."""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper, numpy_helper

BASE = {"xs": np.array(0.01, np.float32), "xz": np.array(0, np.int16), "w": np.ones((3, 4, 3, 3), np.int8),
        "ws": np.array(0.1, np.float32), "wz": np.array(0, np.int8), "ys": np.array(0.02, np.float32),
        "yz": np.array(0, np.int16), "b": np.zeros(3, np.int32)}
INS = ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"]
MM = {"w": np.ones((4, 3), np.int8)}

# name: (inputs, initializer overrides, x dtype, op, attributes, x shape, expected message or None)
CASES = {
    "conv_ok": (INS, {}, T.INT16, "QLinearConv16", None, (1, 4, 6, 6), None),
    "seven_inputs": (INS[:7], {}, T.INT16, "QLinearConv16", None, (1, 4, 6, 6), "expected 8 or 9 inputs"),
    "x_int8": (INS, {"xz": np.array(0, np.int8)}, T.INT8, "QLinearConv16", None, (1, 4, 6, 6),
               "x has type int8 and w int8; int16 / uint16 and int8 expected"),
    "w_zero_point": (INS, {"wz": np.array(3, np.int8)}, T.INT16, "QLinearConv16", None, (1, 4, 6, 6),
                     "w_zero_point[0] is not 0"),
    "y_zero_point_float": (INS, {"yz": np.array(0, np.float32)}, T.INT16, "QLinearConv16", None, (1, 4, 6, 6),
                           "zero point 'yz' has type float"),
    "bias_length": (INS, {"b": np.zeros(5, np.int32)}, T.INT16, "QLinearConv16", None, (1, 4, 6, 6),
                    "bias must be an int32 vector of 3 values"),
    "y_scale_zero": (INS, {"ys": np.array(0, np.float32)}, T.INT16, "QLinearConv16", None, (1, 4, 6, 6),
                     "scale 'ys'[0] is 0"),
    "missing_w_zero_point": (INS[:5] + [""] + INS[6:], {}, T.INT16, "QLinearConv16", None,
                       (1, 4, 6, 6), "input 5 is missing"),
    "w_rank3": (INS, {"w": np.ones((3, 4, 3), np.int8)}, T.INT16, "QLinearConv16", None, (1, 4, 6, 6),
                "only 2-D convolutions"),
    "matmul_ok": (INS[:8], MM, T.UINT16, "QLinearMatMul16", None, (2, 4), None),
    "matmul_k": (INS[:8], {"w": np.ones((5, 3), np.int8)}, T.INT16, "QLinearMatMul16", None, (2, 4),
                 "x's last dimension 4 differs from K = 5"),
    "matmul_trans_a": (INS[:8], MM, T.INT16, "QLinearMatMul16", {"transA": 1}, (2, 4), "no transA"),
    "matmul_scales": (INS[:8], dict(MM, ws=np.ones(7, np.float32), wz=np.zeros(7, np.int8)), T.INT16,
                      "QLinearMatMul16", None, (2, 4), "'ws' has 7 values but axis 1 of 'w' has length 3"),
}


def build(path, ins, over, xdt, op, attrs, xshape):
    inits = dict(BASE, **over)
    if xdt == T.UINT16:
        inits["xz"] = np.array(32768, np.uint16)
    x = helper.make_tensor_value_info("x", xdt, list(xshape))
    y = helper.make_tensor_value_info("y", T.INT16, None)
    node = helper.make_node(op, ins, ["y"], domain="ai.qinfer", **(attrs or {}))
    used = {i for i in ins if i}
    g = helper.make_graph([node], "w8a16", [x], [y],
                          initializer=[numpy_helper.from_array(v, k) for k, v in inits.items() if k in used])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("ai.qinfer", 1)])
    m.ir_version = 10
    onnx.save(m, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    args = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="qinfer_w8a16_") as work:
        for name, (ins, over, xdt, op, attrs, xshape, want) in CASES.items():
            path = os.path.join(work, name + ".onnx")
            build(path, ins, over, xdt, op, attrs, xshape)
            p = subprocess.run([args.qinfer, "run", path, "--output-dir", os.path.join(work, "out_" + name)],
                               capture_output=True, text=True)
            if want is None:
                ok = p.returncode == 0
            else:
                ok = p.returncode == 1 and want in p.stderr and op in p.stderr
            print(("   ok   " if ok else "   FAIL ") + f"{name}: exit {p.returncode}"
                  + (f", message has '{want}'" if want else "") + ("" if ok else f": {p.stderr.strip()}"))
            failures += not ok
    print(f"w8a16 op errors: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
