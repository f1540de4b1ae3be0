"""Models in the layouts ONNX Runtime's quantizers write, built with onnx.helper from the zoo's FP32 models (the ORT
Python quantizer is not installed here; what each builder copies from it is said in its docstring). Used by
tests/quant/run_qdq_sources.py (group ort_made) and for the benchmarks of docs/benchmarks.md.

  ort_resnet18_qdq    quantize_static, QDQ format, defaults (QUInt8 activations asymmetric, QInt8 weights
                      symmetric per tensor, MinMax calibration) of ResNet-18 with BatchNormalization folded into
                      the convolutions as torch's eval export does; 16 of the 20 convolution biases reach their
                      Conv through an Identity (torch shares equal tensors that way), and ORT's quantizer leaves
                      such biases float, the other 4 become int32 behind a DequantizeLinear at x_scale * w_scale.
  ort_mbv2_dynamic    quantize_dynamic, defaults (QInt8 weights symmetric per tensor) of MobileNetV2 (BN folded):
                      every Conv becomes DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul by the Mul of the two
                      scales -> Add of the bias reshaped to [1, C, 1, 1]; Clip and the Gemm head stay float.
  ort_matmul_dynamic  quantize_dynamic(per_channel=True) of one MatMul [1024, 1024] x [1024, 1024]: MatMulInteger
                      with per-column int8 weights (reduce_range: [-64, 64]) and zero points, Cast, Mul.

    python3 tests/quant/ort_made.py --out DIR [--node node] [--cache DIR]   # writes the three models and inputs
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORT_RUN = os.path.join(REPO, "tests", "zoo", "ort_run.js")
MODELS = ("ort_resnet18_qdq", "ort_mbv2_dynamic", "ort_matmul_dynamic")


def _sanitize(name):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def fold_bn(model, identity_biases=0):
    """Conv -> BatchNormalization folded into the Conv's weights and a bias, as torch.onnx.export of an eval model
    does (initializers named onnx::Conv_N). The biases of the first `identity_biases` convolutions that are not a
    downsample reach the Conv through an Identity node."""
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    readers = {}
    for n in g.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    nodes, new_inits, drop, count, shared = [], {}, set(), 0, 0
    for n in g.node:
        if id(n) in drop:
            continue
        r = readers.get(n.output[0], []) if n.op_type == "Conv" else []
        if len(r) == 1 and r[0].op_type == "BatchNormalization":
            bn = r[0]
            gamma, beta, mean, var = (inits[i] for i in bn.input[1:5])
            eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
            k = (gamma / np.sqrt(var + eps)).astype(np.float32)
            w = (inits[n.input[1]] * k.reshape(-1, 1, 1, 1)).astype(np.float32)
            b = (beta - mean * k).astype(np.float32)
            wn, bn_name = f"onnx::Conv_{count}", f"onnx::Conv_{count + 1}"
            count += 2
            new_inits[wn], new_inits[bn_name] = w, b
            conv = helper.make_node("Conv", [n.input[0], wn, bn_name], [bn.output[0]], name=n.name)
            conv.attribute.extend(n.attribute)
            if shared < identity_biases and "downsample" not in n.name and n.input[0] != g.input[0].name:
                ident = bn_name + "_identity"
                nodes.append(helper.make_node("Identity", [bn_name], [ident], name=f"/Identity_{shared}"))
                conv.input[2] = ident
                shared += 1
            nodes.append(conv)
            drop.add(id(bn))
        else:
            nodes.append(n)
    used = {i for n in nodes for i in n.input}
    keep = [numpy_helper.from_array(v, k) for k, v in inits.items() if k in used]
    keep += [numpy_helper.from_array(v, k) for k, v in new_inits.items()]
    out = helper.make_graph(nodes, g.name, list(g.input), list(g.output), keep)
    m = helper.make_model(out, opset_imports=list(model.opset_import))
    m.ir_version = model.ir_version
    return m


def _calibrate(model, inputs, node, cache, work):
    """MinMax ranges of every float tensor over the samples, computed by ONNX Runtime (every tensor an output)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for n in m.graph.node:
        for o in n.output:
            if o not in have:
                m.graph.output.append(helper.make_empty_tensor_value_info(o))
    path = os.path.join(work, "calib.onnx")
    onnx.save(m, path)
    lo, hi = {}, {}
    for i, (name, x) in enumerate(inputs):
        xin, out = os.path.join(work, f"calib_{i}.npy"), os.path.join(work, f"calib_out_{i}")
        np.save(xin, x)
        subprocess.run([node, ORT_RUN, path, "--output-dir", out, "--cache", cache, "--input", f"{name}={xin}"],
                       check=True, capture_output=True)
        for t in [name] + [o.name for o in m.graph.output]:
            a = x if t == name else np.load(os.path.join(out, _sanitize(t) + ".npy"))
            if a.dtype != np.float32:
                continue
            lo[t] = min(lo.get(t, np.inf), float(a.min()))
            hi[t] = max(hi.get(t, -np.inf), float(a.max()))
    return lo, hi


def _u8_params(lo, hi):
    """ORT's compute_scale_zp for QUInt8, asymmetric: the range widened to hold 0."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    return scale, np.uint8(np.clip(np.rint(0 - lo / scale), 0, 255))


def _s8_symmetric(w, axis=None, qmax=127):
    """ORT's symmetric int8 weights (zero point 0, scale max|w| / qmax, per tensor or per index of axis)."""
    if axis is None:
        s = np.float32(np.abs(w).max() / qmax)
        return np.clip(np.rint(w / s), -qmax, qmax).astype(np.int8), s
    red = tuple(i for i in range(w.ndim) if i != axis)
    s = (np.abs(w).max(axis=red) / qmax).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    return np.clip(np.rint(w / s.reshape(shape)), -qmax, qmax).astype(np.int8), s


def ort_resnet18_qdq(zoo, node, cache, work):
    """quantize_static QDQ layout: every float activation read or written by Conv / Add / MaxPool /
    GlobalAveragePool / Flatten / Gemm gets QuantizeLinear -> DequantizeLinear (T_QuantizeLinear_Output,
    T_DequantizeLinear_Output, T_scale, T_zero_point, scalars); a Relu whose input only it reads is removed and
    its producer quantized with the Relu's range; MaxPool and Flatten outputs share their input's parameters;
    weights W_quantized (int8) -> DequantizeLinear; initializer biases B_quantized (int32, scale x_scale *
    w_scale) -> DequantizeLinear; biases behind an Identity stay float; the graph output is the last DQ."""
    model = fold_bn(onnx.load(os.path.join(zoo, "resnet18", "model.onnx")), identity_biases=16)
    g = model.graph
    in_name = g.input[0].name
    calib = [(in_name, np.load(os.path.join(zoo, "resnet18", "calib", f))) for f in
             sorted(f for f in os.listdir(os.path.join(zoo, "resnet18", "calib")) if f.endswith(".npy"))[:4]]
    lo, hi = _calibrate(model, calib, node, cache, work)
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    readers = {}
    for n in g.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    quantized_ops = ("Conv", "Add", "MaxPool", "GlobalAveragePool", "Flatten", "Gemm")
    # Relu removal: the producer writes the Relu's output name
    rename, removed = {}, set()
    for n in g.node:
        if n.op_type == "Relu":
            src = [p for p in g.node if n.input[0] in p.output]
            if src and src[0].op_type in quantized_ops and len(readers[n.input[0]]) == 1:
                rename[n.input[0]] = n.output[0]
                removed.add(id(n))
    out_name = g.output[0].name
    new_inits, nodes, qparams = [], [], {}

    def const(name, value):
        new_inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def qdq(t, share=None):
        """Q -> DQ of activation t; returns the DQ output name."""
        if share:
            s_name, z_name = qparams[share]
        else:
            s, z = _u8_params(lo[t], hi[t])
            s_name, z_name = const(t + "_scale", s), const(t + "_zero_point", z)
        qparams[t] = (s_name, z_name)
        q_in = t if t != out_name else t + "_QuantizeLinear_Input"
        nodes.append(helper.make_node("QuantizeLinear", [q_in, s_name, z_name], [t + "_QuantizeLinear_Output"],
                                      name=t + "_QuantizeLinear"))
        dq_out = t + "_DequantizeLinear_Output" if t != out_name else t
        nodes.append(helper.make_node("DequantizeLinear", [t + "_QuantizeLinear_Output", s_name, z_name], [dq_out],
                                      name=t + "_DequantizeLinear"))
        return dq_out

    def weight(w_name, x_scale_name, b_name):
        wq, ws = _s8_symmetric(inits[w_name])
        const(w_name + "_quantized", wq)
        const(w_name + "_scale", ws)
        const(w_name + "_zero_point", np.int8(0))
        nodes.append(helper.make_node("DequantizeLinear", [w_name + "_quantized", w_name + "_scale",
                                                           w_name + "_zero_point"], [w_name + "_DequantizeLinear_Output"],
                                      name=w_name + "_DequantizeLinear"))
        if b_name not in inits:  # behind an Identity: left float
            return w_name + "_DequantizeLinear_Output", b_name
        bs = np.float32(numpy_helper.to_array(next(t for t in new_inits if t.name == x_scale_name)) * ws)
        const(b_name + "_quantized", np.rint(inits[b_name] / bs).astype(np.int32))
        const(b_name + "_quantized_scale", bs)
        const(b_name + "_quantized_zero_point", np.int32(0))
        nodes.append(helper.make_node("DequantizeLinear", [b_name + "_quantized", b_name + "_quantized_scale",
                                                           b_name + "_quantized_zero_point"],
                                      [b_name + "_quantized_DequantizeLinear_Output"],
                                      name=b_name + "_quantized_DequantizeLinear"))
        return w_name + "_DequantizeLinear_Output", b_name + "_quantized_DequantizeLinear_Output"

    dq_of = {in_name: qdq(in_name)}
    for n in g.node:
        if id(n) in removed:
            continue
        if n.op_type not in quantized_ops:
            nodes.append(n)
            continue
        outs = [rename.get(o, o) for o in n.output]
        ins = [dq_of.get(i, i) for i in n.input]
        if n.op_type in ("Conv", "Gemm"):
            ins[1], ins[2] = weight(n.input[1], qparams[n.input[0]][0], n.input[2])
        q = helper.make_node(n.op_type, ins, [o if o != out_name else o + "_QuantizeLinear_Input" for o in outs],
                             name=n.name)
        q.attribute.extend(n.attribute)
        nodes.append(q)
        share = n.input[0] if n.op_type in ("MaxPool", "Flatten") else None
        if outs[0] in lo or share:
            dq_of[outs[0]] = qdq(outs[0], share)
    used = {i for n in nodes for i in n.input}
    keep = [t for t in g.initializer if t.name in used]  # the float weights and int32-quantized biases drop out
    graph = helper.make_graph(nodes, "ort_resnet18_qdq", list(g.input), list(g.output), keep + new_inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    return m, in_name, np.load(os.path.join(zoo, "resnet18", "set0", "input.npy"))


def _dynamic_quant(nodes, new_inits, dql, x, w_name, w, per_axis=None, qmax=127):
    """ORT's quantize_activation (one DynamicQuantizeLinear per tensor, shared) and quantize_weight."""
    if x not in dql:
        dql[x] = (x + "_quantized", x + "_scale", x + "_zero_point")
        nodes.append(helper.make_node("DynamicQuantizeLinear", [x], list(dql[x]), name=x + "_QuantizeLinear"))
    wq, ws = _s8_symmetric(w, per_axis, qmax)
    new_inits += [numpy_helper.from_array(wq, w_name + "_quantized"), numpy_helper.from_array(ws, w_name + "_scale"),
                  numpy_helper.from_array(np.zeros(ws.shape, np.int8), w_name + "_zero_point")]
    return dql[x], (w_name + "_quantized", w_name + "_scale", w_name + "_zero_point")


def _scale_chain(nodes, name, integer_out, out, x_scale, w_scale, scaled):
    """Cast -> Mul by the Mul of the scales (ORT's ConvInteger / MatMulInteger quantize())."""
    cast_out = integer_out + "_cast_output"
    nodes.append(helper.make_node("Cast", [integer_out], [cast_out], name=integer_out + "_cast", to=TensorProto.FLOAT))
    nodes.append(helper.make_node("Mul", [x_scale, w_scale], [name + "_scales_mul:0"], name=name + "_scales_mul"))
    nodes.append(helper.make_node("Mul", [cast_out, name + "_scales_mul:0"], [scaled], name=name + "_output_scale_mul"))


def ort_mbv2_dynamic(zoo):
    model = fold_bn(onnx.load(os.path.join(zoo, "mobilenet_v2", "model.onnx")))
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    nodes, new_inits, dql = [], [], {}
    for n in g.node:
        if n.op_type != "Conv":
            nodes.append(n)
            continue
        (xq, xs, xz), (wq, ws, wz) = _dynamic_quant(nodes, new_inits, dql, n.input[0], n.input[1], inits[n.input[1]])
        name, out = n.name + "_quant", n.output[0]
        ci = helper.make_node("ConvInteger", [xq, wq, xz, wz], [out + "_output_quantized"], name=name)
        ci.attribute.extend(n.attribute)
        nodes.append(ci)
        scaled = out + "quant_scaled_output"
        _scale_chain(nodes, name, out + "_output_quantized", out, xs, ws, scaled)
        shape = out + "_bias_reshape_shape"
        new_inits.append(numpy_helper.from_array(np.array([1, -1, 1, 1], np.int64), shape))
        nodes.append(helper.make_node("Reshape", [n.input[2], shape], [out + "_bias_reshape_output"]))
        nodes.append(helper.make_node("Add", [scaled, out + "_bias_reshape_output"], [out], name=out + "_bias_add"))
    used = {i for n in nodes for i in n.input}
    keep = [t for t in g.initializer if t.name in used]  # the float weights drop out
    graph = helper.make_graph(nodes, "ort_mbv2_dynamic", list(g.input), list(g.output), keep + new_inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    return m, g.input[0].name, np.load(os.path.join(zoo, "mobilenet_v2", "set0", "input.npy"))


def ort_matmul_dynamic(n=1024):
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((n, n)) * 0.05).astype(np.float32)
    nodes, new_inits, dql = [], [], {}
    (xq, xs, xz), (wq, ws, wz) = _dynamic_quant(nodes, new_inits, dql, "A", "B", w, per_axis=1, qmax=64)
    nodes.append(helper.make_node("MatMulInteger", [xq, wq, xz, wz], ["Y_output_quantized"], name="MatMul_0_quant"))
    _scale_chain(nodes, "MatMul_0_quant", "Y_output_quantized", "Y", xs, ws, "Y")
    graph = helper.make_graph(nodes, "ort_matmul_dynamic", [helper.make_tensor_value_info("A", TensorProto.FLOAT,
                                                                                            [n, n])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [n, n])], new_inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    return m, "A", rng.standard_normal((n, n)).astype(np.float32)


def build(name, zoo, node, cache, work):
    """-> (ModelProto, input name, input array)."""
    if name == "ort_resnet18_qdq":
        return ort_resnet18_qdq(zoo, node, cache, work)
    if name == "ort_mbv2_dynamic":
        return ort_mbv2_dynamic(zoo)
    if name == "ort_matmul_dynamic":
        return ort_matmul_dynamic()
    raise ValueError(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--node", default="node")
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        for name in MODELS:
            m, in_name, x = build(name, os.path.join(args.cache, "zoo"), args.node, args.cache, work)
            onnx.save(m, os.path.join(args.out, name + ".onnx"))
            np.save(os.path.join(args.out, name + "." + in_name + ".npy"), x)
            print(f"{name}: {os.path.join(args.out, name + '.onnx')} (input {in_name} {list(x.shape)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
