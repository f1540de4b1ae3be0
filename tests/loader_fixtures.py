#!/usr/bin/python3
"""Writes ONNX models made by the onnx Python package for test_loader_python.c.

Usage: loader_fixtures.py OUT_DIR. Exits 77 (ctest "skipped") when onnx or numpy is missing.

Files written:
  real.onnx           Conv/Relu/Gemm model: raw_data initializers, typed-field initializers, a Constant node,
                      a symbolic batch dim, attributes of several kinds.
  ext/real.onnx       The same model with every initializer in ext/weights.data (external data).
  cases.txt           "<file> <status> <message fragment>" lines: models the loader must refuse.
Initializer values follow formulas the C test recomputes (W[i] = (i % 7 - 3) / 4, ...).
"""
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # pragma: no cover
    print("skipped: %s" % e)
    sys.exit(77)

QINFER_ERR_INVALID_MODEL = 3
QINFER_ERR_UNSUPPORTED = 4


def real_model():
    w = ((np.arange(2 * 3 * 3 * 3) % 7 - 3) / 4.0).astype(np.float32).reshape(2, 3, 3, 3)
    b = np.array([0.5, -0.5], dtype=np.float32)
    gw = (np.arange(8 * 4) / 8.0).astype(np.float32).reshape(4, 8)
    shape = np.array([-1, 8], dtype=np.int64)
    inits = [
        numpy_helper.from_array(w, "W"),  # raw_data
        numpy_helper.from_array(b, "B"),
        helper.make_tensor("GW", TensorProto.FLOAT, gw.shape, gw.flatten().tolist()),  # float_data
        helper.make_tensor("shape", TensorProto.INT64, [2], shape.tolist()),  # int64_data
        helper.make_tensor("i8", TensorProto.INT8, [3], [-7, 0, 7]),  # int32_data
    ]
    half = numpy_helper.from_array(np.array([1.0, 2.0], dtype=np.float32), "half")
    nodes = [
        helper.make_node("Conv", ["X", "W", "B"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         strides=[2, 2]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Constant", [], ["k"], name="const", value=half),
        helper.make_node("Reshape", ["r", "shape"], ["flat"], name="reshape"),
        helper.make_node("Gemm", ["flat", "GW"], ["g"], name="gemm", alpha=0.5, transB=1),
        helper.make_node("Mul", ["g", "k0"], ["Y"], name="mul"),
        helper.make_node("Constant", [], ["k0"], name="const0", value_floats=[3.0, 4.0, 5.0, 6.0]),
    ]
    graph = helper.make_graph(
        nodes, "real",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 3, 4, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 4])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="loader_fixtures", opset_imports=[helper.make_opsetid("", 13)])
    return model


def refused_models(out):
    cases = []

    def save(name, model, status, needle):
        onnx.save(model, os.path.join(out, name))
        cases.append("%s %d %s" % (name, status, needle))

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    op = [helper.make_opsetid("", 13)]
    g = helper.make_graph([helper.make_node("Add", ["x", "ghost"], ["y"], name="add")], "g", [x], [y])
    save("dangling.onnx", helper.make_model(g, opset_imports=op), QINFER_ERR_INVALID_MODEL, "ghost")
    bf = helper.make_tensor("bf", TensorProto.BFLOAT16, [1], [1])
    g = helper.make_graph([helper.make_node("Add", ["x", "bf"], ["y"])], "g", [x], [y], initializer=[bf])
    save("bfloat16.onnx", helper.make_model(g, opset_imports=op), QINFER_ERR_UNSUPPORTED, "bfloat16")
    s = helper.make_tensor("s", TensorProto.STRING, [1], [b"text"])
    g = helper.make_graph([helper.make_node("Identity", ["s"], ["y"])], "g", [], [y], initializer=[s])
    save("string.onnx", helper.make_model(g, opset_imports=op), QINFER_ERR_UNSUPPORTED, "string")
    g = helper.make_graph([helper.make_node("Constant", [], ["y"], value_string="hi")], "g", [], [y])
    save("const_string.onnx", helper.make_model(g, opset_imports=op), QINFER_ERR_UNSUPPORTED, "value_string")
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Relu", ["x"], ["y"])], "g",
                          [x], [y])
    save("twice.onnx", helper.make_model(g, opset_imports=op), QINFER_ERR_INVALID_MODEL, "produced twice")
    w = numpy_helper.from_array(np.zeros(4, dtype=np.float32), "w")
    w.raw_data = w.raw_data[:12]
    g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g", [x], [y], initializer=[w])
    save("short_raw.onnx", helper.make_model(g, opset_imports=op), QINFER_ERR_INVALID_MODEL, "raw_data has 12")
    return cases


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "ext"), exist_ok=True)
    model = real_model()
    # not checked: nodes are deliberately out of order (const0 comes last)
    onnx.save(model, os.path.join(out, "real.onnx"))
    onnx.save_model(model, os.path.join(out, "ext", "real.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="weights.data", size_threshold=0)
    cases = refused_models(out)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(cases) + "\n")
    print("onnx %s: wrote fixtures to %s" % (onnx.__version__, out))


if __name__ == "__main__":
    main()
