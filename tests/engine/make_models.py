#!/usr/bin/env python3
"""Builds the small ONNX models the engine tests run (written with onnx.helper, random weights, fixed seed).

usage: make_models.py OUT_DIR

  small_cnn.onnx   Conv -> BatchNormalization -> Relu -> MaxPool -> depthwise Conv -> Clip -> Add (skip)
                   -> GlobalAveragePool -> Flatten -> Gemm -> Softmax, with a symbolic batch dim "N"
                   (exercises BN folding, activation fusion, the arena planner, threads)
  dyn_reshape.onnx Shape -> Gather -> Unsqueeze -> Concat -> Reshape: a dynamic-shape subgraph that
                   constant folding must remove once the input shape is bound
  unsupported.onnx uses an operator qinfer does not implement
  add_const.onnx   y = x + c, x and c float[8], c all 1.0 as raw_data aligned in the file (so that it is
                   used in place); add_const_ext.onnx the same with c in add_const_ext.data (external data):
                   the tests rewrite and truncate copies of these files after loading them
  convt_bias.onnx  ConvTranspose (stride 2) with a constant bias left in place in the file
Each model also gets a reference output computed here with numpy (an oracle independent of qinfer):
NAME.input.npy and NAME.expected.npy.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(1234)


def t(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def conv2d(x, w, b, stride=1, pad=0, groups=1):
    n, c, h, wd = x.shape
    co, cig, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, co, oh, ow), np.float64)
    cog = co // groups
    for g in range(groups):
        for o in range(g * cog, (g + 1) * cog):
            for i in range(cig):
                for r in range(kh):
                    for s in range(kw):
                        patch = xp[:, g * cig + i, r:r + stride * oh:stride, s:s + stride * ow:stride]
                        y[:, o] += w[o, i, r, s] * patch
            y[:, o] += b[o]
    return y


def small_cnn(out):
    c1, c2, classes = 8, 8, 10
    w1 = rng.standard_normal((c1, 3, 3, 3)).astype(np.float32) * 0.3
    b1 = rng.standard_normal(c1).astype(np.float32) * 0.1
    gamma = rng.uniform(0.5, 1.5, c1).astype(np.float32)
    beta = rng.standard_normal(c1).astype(np.float32) * 0.1
    mean = rng.standard_normal(c1).astype(np.float32) * 0.1
    var = rng.uniform(0.5, 2.0, c1).astype(np.float32)
    wd = rng.standard_normal((c2, 1, 3, 3)).astype(np.float32) * 0.3
    bd = rng.standard_normal(c2).astype(np.float32) * 0.1
    wf = rng.standard_normal((classes, c2)).astype(np.float32) * 0.3
    bf = rng.standard_normal(classes).astype(np.float32) * 0.1
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("BatchNormalization", ["c1", "gamma", "beta", "mean", "var"], ["bn"], epsilon=1e-5, name="bn1"),
        helper.make_node("Relu", ["bn"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
        helper.make_node("Conv", ["p1", "wd", "bd"], ["c2"], pads=[1, 1, 1, 1], group=c2, name="dw"),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"], name="relu6"),
        helper.make_node("Add", ["r2", "p1"], ["s"], name="skip"),
        helper.make_node("GlobalAveragePool", ["s"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["logits"], transB=1, name="fc"),
        helper.make_node("Softmax", ["logits"], ["prob"], axis=1, name="softmax"),
    ]
    inits = [t("w1", w1), t("b1", b1), t("gamma", gamma), t("beta", beta), t("mean", mean), t("var", var),
             t("wd", wd), t("bd", bd), t("lo", np.float32(0)), t("hi", np.float32(6)), t("wf", wf), t("bf", bf)]
    graph = helper.make_graph(nodes, "small_cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 16, 16])],
                              [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", classes]),
                               helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "small_cnn.onnx"))

    x = rng.standard_normal((2, 3, 16, 16)).astype(np.float32)
    y = conv2d(x.astype(np.float64), w1, b1, pad=1)
    y = (y - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5) * gamma[None, :, None, None] \
        + beta[None, :, None, None]
    y = np.maximum(y, 0)
    p = y.reshape(2, c1, 8, 2, 8, 2).max(axis=(3, 5))
    d = np.clip(conv2d(p, wd, bd, pad=1, groups=c2), 0, 6)
    g = (d + p).mean(axis=(2, 3))
    logits = g @ wf.T.astype(np.float64) + bf
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob = e / e.sum(axis=1, keepdims=True)
    np.save(os.path.join(out, "small_cnn.input.npy"), x)
    np.save(os.path.join(out, "small_cnn.expected.npy"), prob.astype(np.float32))


def dyn_reshape(out):
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "axes0"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "minus1"], ["newshape"], axis=0),
        helper.make_node("Reshape", ["x", "newshape"], ["flat"]),
        helper.make_node("Mul", ["flat", "two"], ["y"]),
    ]
    inits = [t("zero", np.int64(0)), t("axes0", np.array([0], np.int64)), t("minus1", np.array([-1], np.int64)),
             t("two", np.float32(2))]
    graph = helper.make_graph(nodes, "dyn_reshape",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2, "h", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "rest"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "dyn_reshape.onnx"))
    x = rng.standard_normal((3, 2, 4, 3)).astype(np.float32)
    np.save(os.path.join(out, "dyn_reshape.input.npy"), x)
    np.save(os.path.join(out, "dyn_reshape.expected.npy"), (x.reshape(3, -1) * 2).astype(np.float32))


def unsupported(out):
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Det", ["r"], ["y"])]
    graph = helper.make_graph(nodes, "unsupported",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, os.path.join(out, "unsupported.onnx"))


def convt_bias(out):
    """ConvTranspose with constant weights and bias, the bias's bytes on a 4-byte boundary of the file so the
    loader leaves them in place in the mapping (test_load_copy truncates the file under a session)."""
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = np.arange(1, 4, dtype=np.float32) * 0.25
    for pad in range(4):
        graph = helper.make_graph(
            [helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2], name="up")], "convt_bias",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 5, 5])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 11, 11])], [t("w", w), t("b", b)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.doc_string = "p" * pad
        data = model.SerializeToString()
        if data.index(b.tobytes()) % 4 == 0:
            break
    onnx.checker.check_model(model)
    with open(os.path.join(out, "convt_bias.onnx"), "wb") as f:
        f.write(data)
    x = rng.standard_normal((1, 4, 5, 5)).astype(np.float32)
    y = np.zeros((1, 3, 11, 11), np.float64) + b[None, :, None, None]
    for i in range(5):  # every input pixel scatters its 3x3 window of w, stride 2
        for j in range(5):
            y[0, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3] += np.einsum("c,cokl->okl", x[0, :, i, j], w)
    np.save(os.path.join(out, "convt_bias.input.npy"), x)
    np.save(os.path.join(out, "convt_bias.expected.npy"), y.astype(np.float32))


def add_const_model(name):
    c = numpy_helper.from_array(np.ones(8, np.float32), "c")
    graph = helper.make_graph([helper.make_node("Add", ["x", "c"], ["y"])], name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [8])], [c])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def add_const(out):
    pattern = np.ones(8, np.float32).tobytes()
    for pad in range(4):  # the model's doc_string comes before the graph: it moves c's bytes to a 4-byte boundary
        model = add_const_model("add_const")
        model.doc_string = "p" * pad
        data = model.SerializeToString()
        if data.index(pattern) % 4 == 0 and data.count(pattern) == 1:
            break
    else:
        raise SystemExit("add_const: cannot align c")
    with open(os.path.join(out, "add_const.onnx"), "wb") as f:
        f.write(data)
    model = add_const_model("add_const_ext")
    onnx.save(model, os.path.join(out, "add_const_ext.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="add_const_ext.data", size_threshold=0)


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    small_cnn(out)
    dyn_reshape(out)
    unsupported(out)
    add_const(out)
    convt_bias(out)
