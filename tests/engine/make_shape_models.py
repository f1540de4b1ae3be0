#!/usr/bin/env python3
"""Models whose inputs change shape or decide shapes, for tests/engine/test_resize.c, with numpy oracles.

usage: make_shape_models.py OUT_DIR

  conv_hw.onnx       Conv 3x3 -> Relu -> depthwise Conv 3x3 stride 2 -> Add (1x1 Conv branch), input
                     x[N, 3, H, W] with symbolic N, H, W. Inputs and outputs for shapes A, B, C:
                     conv_hw.{A,B,C}.x.npy and conv_hw.{A,B,C}.y.npy
  attn_seq.onnx      one attention block with symbolic sequence length S: x[1, S, 16] and mask[1, S] (1 keep,
                     0 masked) sharing "S"; Q / K / V MatMuls, the heads split and joined by Reshapes whose
                     shapes come from Shape -> Gather -> Concat subgraphs (a dynamic export), Softmax, output
                     MatMul, residual Add. attn_seq.{A,B}.{x,mask,y}.npy
  reshape_input.onnx y = Reshape(x, shape) * 2 with `shape` a graph input (int64[2]) and x float[2, 6];
                     reshape_input.{A,B}.{shape,y}.npy, reshape_input.x.npy
  slice_input.onnx   y = Slice(x, starts, ends) with starts / ends graph inputs reaching Slice through Identity;
                     slice_input.{starts,ends,x,y}.npy
  window_matmul.onnx y = x[S, 4] @ W[:, S-4:S]: a MatMul whose constant operand is folded from the input's shape
                     (Shape -> Gather -> Sub -> Slice of W), so it holds other values at each S though its size
                     stays 4x4: a resize must pack it again. window_matmul.{A,B}.{x,y}.npy
  qdq_conv_hw.onnx   x -> QuantizeLinear / DequantizeLinear -> Conv 3x3 (int8 weights per channel, int32 bias, as
                     DequantizeLinear) -> QuantizeLinear / DequantizeLinear, input x[1, 3, H, W]: qinfer fuses it
                     into a QLinearConv on its integer kernels (packed int8 weights). qdq_conv_hw.{A,B}.{x,y}.npy,
                     y from numpy's float convolution of the dequantized values, requantized
  dqmm_seq.onnx      com.microsoft DynamicQuantizeMatMul of x[1, S, 16] float by int8 B [16, 12] with per-column
                     scales, zero points and a bias: its packed weights are kept across a resize.
                     dqmm_seq.{A,B}.{x,y}.npy, y from numpy's DynamicQuantizeLinear and integer product
  qattn_seq.onnx     com.microsoft QAttention of x[1, S, 16] uint8 by uint8 weights [16, 24] (zero point near
                     128), 2 heads: its packed weights are kept across a resize. qattn_seq.{A,B}.{x,y}.npy, y
                     from numpy's integer projection and float64 attention
Every expected output is computed here with numpy, independently of qinfer.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_models import conv2d  # noqa: E402  (the naive numpy convolution the engine tests share)

rng = np.random.default_rng(4321)


def t(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def save(out, name, model):
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def conv_hw(out):
    w1 = rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.3
    b1 = rng.standard_normal(8).astype(np.float32) * 0.1
    w2 = rng.standard_normal((8, 1, 3, 3)).astype(np.float32) * 0.3
    b2 = rng.standard_normal(8).astype(np.float32) * 0.1
    w3 = rng.standard_normal((8, 3, 1, 1)).astype(np.float32) * 0.3
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2], group=8),
        helper.make_node("Conv", ["x", "w3"], ["c3"], strides=[2, 2]),
        helper.make_node("Add", ["c2", "c3"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "conv_hw", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8, "OH", "OW"])],
                              [t("w1", w1), t("b1", b1), t("w2", w2), t("b2", b2), t("w3", w3)])
    save(out, "conv_hw", helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    for tag, shape in (("A", (1, 3, 9, 8)), ("B", (2, 3, 15, 11)), ("C", (1, 3, 4, 5))):
        x = rng.standard_normal(shape).astype(np.float32)
        r1 = np.maximum(conv2d(x, w1, b1, pad=1), 0)
        y = conv2d(r1, w2, b2, stride=2, pad=1, groups=8)
        y3 = conv2d(x[:, :, :, :], w3, np.zeros(8, np.float32), stride=2)
        np.save(os.path.join(out, f"conv_hw.{tag}.x.npy"), x)
        np.save(os.path.join(out, f"conv_hw.{tag}.y.npy"), (y + y3).astype(np.float32))


D, HEADS = 16, 2


def attn_seq(out):
    wq, wk, wv, wo = (rng.standard_normal((D, D)).astype(np.float32) * 0.25 for _ in range(4))
    dh = D // HEADS
    nodes = [
        helper.make_node("Shape", ["x"], ["xs"]),
        helper.make_node("Slice", ["xs", "i0", "i2"], ["bs"]),  # [batch, S]
        helper.make_node("Concat", ["bs", "heads_dh"], ["split_shape"], axis=0),
        helper.make_node("Concat", ["bs", "d"], ["join_shape"], axis=0),
    ]
    for name, w in (("q", "wq"), ("k", "wk"), ("v", "wv")):
        nodes += [helper.make_node("MatMul", ["x", w], [name + "0"]),
                  helper.make_node("Reshape", [name + "0", "split_shape"], [name + "1"]),
                  helper.make_node("Transpose", [name + "1"], [name], perm=[0, 2, 1, 3])]
    nodes += [
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["s0"]),
        helper.make_node("Mul", ["s0", "scale"], ["s1"]),
        helper.make_node("Sub", ["one", "mask"], ["m0"]),
        helper.make_node("Mul", ["m0", "neg"], ["m1"]),
        helper.make_node("Unsqueeze", ["m1", "axes12"], ["m2"]),
        helper.make_node("Add", ["s1", "m2"], ["s2"]),
        helper.make_node("Softmax", ["s2"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "v"], ["o0"]),
        helper.make_node("Transpose", ["o0"], ["o1"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["o1", "join_shape"], ["o2"]),
        helper.make_node("MatMul", ["o2", "wo"], ["o3"]),
        helper.make_node("Add", ["o3", "x"], ["y"]),
    ]
    inits = [t("wq", wq), t("wk", wk), t("wv", wv), t("wo", wo), t("i0", np.array([0], np.int64)),
             t("i2", np.array([2], np.int64)), t("heads_dh", np.array([HEADS, dh], np.int64)),
             t("d", np.array([D], np.int64)), t("scale", np.float32(1 / np.sqrt(dh))), t("one", np.float32(1)),
             t("neg", np.float32(-1e4)), t("axes12", np.array([1, 2], np.int64))]
    graph = helper.make_graph(nodes, "attn_seq",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "S", D]),
                               helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, "S"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "S", D])], inits)
    save(out, "attn_seq", helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    for tag, s in (("A", 5), ("B", 11)):
        x = rng.standard_normal((1, s, D)).astype(np.float32)
        mask = (rng.random((1, s)) > 0.3).astype(np.float32)
        mask[0, 0] = 1
        x64 = x.astype(np.float64)

        def heads(a):
            return a.reshape(1, s, HEADS, dh).transpose(0, 2, 1, 3)
        q, k, v = heads(x64 @ wq), heads(x64 @ wk), heads(x64 @ wv)
        sc = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh) + ((1 - mask) * -1e4)[:, None, None, :]
        p = np.exp(sc - sc.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        o = (p @ v).transpose(0, 2, 1, 3).reshape(1, s, D)
        y = o @ wo + x64
        for name, arr in (("x", x), ("mask", mask), ("y", y.astype(np.float32))):
            np.save(os.path.join(out, f"attn_seq.{tag}.{name}.npy"), arr)


def reshape_input(out):
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["r"]), helper.make_node("Mul", ["r", "two"], ["y"])]
    graph = helper.make_graph(nodes, "reshape_input",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6]),
                               helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["a", "b"])], [t("two", np.float32(2))])
    save(out, "reshape_input", helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    x = rng.standard_normal((2, 6)).astype(np.float32)
    np.save(os.path.join(out, "reshape_input.x.npy"), x)
    for tag, shape in (("A", [3, 4]), ("B", [6, -1])):
        np.save(os.path.join(out, f"reshape_input.{tag}.shape.npy"), np.array(shape, np.int64))
        np.save(os.path.join(out, f"reshape_input.{tag}.y.npy"), (x.reshape(shape) * 2).astype(np.float32))


def slice_input(out):
    nodes = [helper.make_node("Identity", ["starts"], ["s0"]), helper.make_node("Identity", ["ends"], ["e0"]),
             helper.make_node("Slice", ["x", "s0", "e0"], ["y"])]
    graph = helper.make_graph(nodes, "slice_input",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 5]),
                               helper.make_tensor_value_info("starts", TensorProto.INT64, [2]),
                               helper.make_tensor_value_info("ends", TensorProto.INT64, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["a", "b"])])
    save(out, "slice_input", helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    x = rng.standard_normal((4, 5)).astype(np.float32)
    starts, ends = np.array([1, 0], np.int64), np.array([3, -1], np.int64)
    for name, arr in (("x", x), ("starts", starts), ("ends", ends), ("y", x[1:3, 0:-1])):
        np.save(os.path.join(out, f"slice_input.{name}.npy"), arr)


def window_matmul(out):
    w = rng.standard_normal((4, 16)).astype(np.float32)
    nodes = [
        helper.make_node("Shape", ["x"], ["xs"]),
        helper.make_node("Gather", ["xs", "i0"], ["s"]),
        helper.make_node("Sub", ["s", "four"], ["s4"]),
        helper.make_node("Slice", ["w", "s4", "s", "one"], ["wb"]),
        helper.make_node("MatMul", ["x", "wb"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "window_matmul", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["S", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["S", 4])],
                              [t("w", w), t("i0", np.array([0], np.int64)), t("four", np.array([4], np.int64)),
                               t("one", np.array([1], np.int64))])
    save(out, "window_matmul", helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    for tag, n in (("A", 5), ("B", 9)):
        x = rng.standard_normal((n, 4)).astype(np.float32)
        np.save(os.path.join(out, f"window_matmul.{tag}.x.npy"), x)
        np.save(os.path.join(out, f"window_matmul.{tag}.y.npy"), (x.astype(np.float64) @ w[:, n - 4:n]).astype(np.float32))


def qdq_conv_hw(out):
    wq = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    ws = (rng.random(4) * 0.01 + 0.005).astype(np.float32)
    xs, ys = np.float32(0.02), np.float32(0.05)
    bq = rng.integers(-500, 500, 4).astype(np.int32)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
        helper.make_node("DequantizeLinear", ["wq", "ws"], ["wd"], axis=0),
        helper.make_node("DequantizeLinear", ["bq", "bs"], ["bd"], axis=0),
        helper.make_node("Conv", ["xd", "wd", "bd"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("QuantizeLinear", ["c", "ys", "yz"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"]),
    ]
    inits = [t("xs", xs), t("xz", np.uint8(128)), t("wq", wq), t("ws", ws), t("bq", bq), t("bs", (ws * xs).astype(np.float32)),
             t("ys", ys), t("yz", np.uint8(128))]
    graph = helper.make_graph(nodes, "qdq_conv_hw", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "H", "W"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, "H", "W"])], inits)
    save(out, "qdq_conv_hw", helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    for tag, (h, w) in (("A", (6, 7)), ("B", (11, 5))):
        x = rng.uniform(-2, 2, (1, 3, h, w)).astype(np.float32)
        xq = np.clip(np.rint(x / xs) + 128, 0, 255)
        xd = (xq - 128) * np.float64(xs)
        c = conv2d(xd, wq.astype(np.float64) * ws[:, None, None, None].astype(np.float64), bq * (ws.astype(np.float64) * xs), pad=1)
        y = (np.clip(np.rint(c / ys) + 128, 0, 255) - 128) * ys
        np.save(os.path.join(out, f"qdq_conv_hw.{tag}.x.npy"), x)
        np.save(os.path.join(out, f"qdq_conv_hw.{tag}.y.npy"), y.astype(np.float32))


MS = helper.make_opsetid("com.microsoft", 1)


def dqmm_seq(out):
    b = rng.integers(-100, 100, (16, 12)).astype(np.int8)
    bs = rng.uniform(0.002, 0.01, 12).astype(np.float32)
    bz = rng.integers(-3, 4, 12).astype(np.int8)
    bias = rng.standard_normal(12).astype(np.float32)
    node = helper.make_node("DynamicQuantizeMatMul", ["x", "b", "bs", "bz", "bias"], ["y"], domain="com.microsoft")
    graph = helper.make_graph([node], "dqmm_seq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "S", 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "S", 12])],
                              [t("b", b), t("bs", bs), t("bz", bz), t("bias", bias)])
    save(out, "dqmm_seq", helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), MS]))
    for tag, n in (("A", 5), ("B", 13)):
        x = rng.uniform(-2, 3, (1, n, 16)).astype(np.float32)
        # DynamicQuantizeLinear: the range [min(x, 0), max(x, 0)] over 255 steps, round half to even
        lo, hi = min(np.float32(0), x.min()), max(np.float32(0), x.max())
        scale = np.float32((hi - lo) / np.float32(255))
        zp = np.clip(np.rint(-lo / scale), 0, 255)
        xq = np.clip(np.rint(x / scale) + zp, 0, 255)
        acc = (xq.astype(np.int64) - int(zp)) @ (b.astype(np.int64) - bz.astype(np.int64))
        y = acc * (np.float64(scale) * bs.astype(np.float64)) + bias
        np.save(os.path.join(out, f"dqmm_seq.{tag}.x.npy"), x)
        np.save(os.path.join(out, f"dqmm_seq.{tag}.y.npy"), y.astype(np.float32))


def qattn_seq(out):
    heads, hidden = 2, 8
    w = rng.integers(0, 256, (16, 3 * hidden)).astype(np.uint8)
    ws = rng.uniform(0.002, 0.01, 3 * hidden).astype(np.float32)
    wz = rng.integers(118, 139, 3 * hidden).astype(np.uint8)
    bias = rng.standard_normal(3 * hidden).astype(np.float32)
    xs, xz = np.float32(0.0173), np.uint8(131)
    node = helper.make_node("QAttention", ["x", "w", "bias", "xs", "ws", "", "xz", "wz"], ["y"], domain="com.microsoft",
                            num_heads=heads)
    graph = helper.make_graph([node], "qattn_seq", [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, "S", 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "S", hidden])],
                              [t("w", w), t("bias", bias), t("xs", xs), t("ws", ws), t("xz", xz), t("wz", wz)])
    save(out, "qattn_seq", helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), MS]))
    hs = hidden // heads
    for tag, n in (("A", 6), ("B", 17)):
        x = rng.integers(0, 256, (1, n, 16)).astype(np.uint8)
        acc = (x[0].astype(np.int64) - int(xz)) @ (w.astype(np.int64) - wz.astype(np.int64))
        qkv = acc * (ws.astype(np.float64) * np.float64(xs)) + bias
        y = np.zeros((n, hidden))
        for h in range(heads):
            q, k, v = (qkv[:, i * hidden + h * hs:i * hidden + (h + 1) * hs] for i in range(3))
            sc = q @ k.T / np.sqrt(hs)
            p = np.exp(sc - sc.max(-1, keepdims=True))
            y[:, h * hs:(h + 1) * hs] = (p / p.sum(-1, keepdims=True)) @ v
        np.save(os.path.join(out, f"qattn_seq.{tag}.x.npy"), x)
        np.save(os.path.join(out, f"qattn_seq.{tag}.y.npy"), y[None].astype(np.float32))


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    conv_hw(out)
    attn_seq(out)
    reshape_input(out)
    slice_input(out)
    window_matmul(out)
    qdq_conv_hw(out)
    dqmm_seq(out)
    qattn_seq(out)
