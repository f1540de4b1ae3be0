#!/usr/bin/python3
"""Quantized models from other sources than qinfer's quantizer, in qinfer and in ONNX Runtime.

    run_qdq_sources.py --qinfer BUILD/tools/qinfer [--group qat|qoperator|dynamic]... [--model NAME]...
                       [--node node] [--cache DIR] [--keep DIR] [--list] [-v]

Models, made at test time (seeded, a few seconds; nothing downloaded):
  qat        PyTorch 1.13 quantization-aware training (torch.ao.quantization.prepare_qat_fx; activations uint8
             per tensor, weights int8 symmetric per output channel), a few SGD steps on random data, then
             torch.onnx.export (opset 13) of the fake-quantized model: every FakeQuantize becomes a QuantizeLinear
             -> DequantizeLinear pair, weights as Q(float constant) -> DQ.
               qat_resnet       ResNet basic block with BatchNorm (QAT ConvBnReLU2d / ConvBn2d), residual Add, ReLU
               qat_resnet_nobn  the same block with biased convolutions and no BatchNorm (ConvReLU2d)
               qat_mbv2         MobileNetV2 inverted residual: 1x1 expand + ReLU6, 3x3 depthwise + ReLU6,
                                1x1 project, residual Add
               qat_head         two conv branches, Concat, AdaptiveAvgPool2d(1), flatten, Linear
               qat_resnet_converted, qat_mbv2_converted
                                the same after convert_fx (BatchNorm folded, int8 weights), exported from the
                                quantized::* ops: Q -> Cast -> DQ, DQ(int8 w), DQ(int32 bias at its own scale)
               qat_mbv2_fbgemm  qat_mbv2 with torch's older default fbgemm QAT qconfig (version 0): reduce_range
                                activations, exported as Q -> Clip(0, 127) on uint8 -> DQ
  qoperator  hand-built QOperator models (onnx.helper, opset 13 + com.microsoft 1): QuantizeLinear ->
             QLinearConv -> QLinearConv -> QLinearAdd (residual) -> QLinearGlobalAveragePool -> Flatten -> head ->
             DequantizeLinear, per-channel int8 weights, int32 biases, scales calibrated on the input:
               qop_u8           uint8 activations, QLinearMatMul head
               qop_s8           int8 activations, a depthwise QLinearConv more, com.microsoft QGemm head
                                (per-column weight scales)
  dynamic    the pattern ONNX Runtime's quantize_dynamic emits: DynamicQuantizeLinear -> ConvInteger /
             MatMulInteger -> Cast -> Mul by (x_scale * w_scale) -> Add bias:
               dyn_conv_matmul  ConvInteger (per-channel weight scales) -> Relu -> GlobalAveragePool -> Flatten ->
                                MatMulInteger (per-column scales and zero points)
               dyn_shared_scale two ConvInteger chains (8 and 16 channels) sharing one scalar weight scale
  ort_made   ONNX Runtime's quantizers' layouts built from the zoo (tests/quant/ort_made.py; needs the zoo):
               ort_resnet18_qdq    quantize_static QDQ of ResNet-18, 16 of 20 biases float behind an Identity
               ort_mbv2_dynamic    quantize_dynamic of MobileNetV2 (52 ConvInteger chains)
               ort_matmul_dynamic  quantize_dynamic(per_channel) of one 1024 x 1024 x 1024 MatMul

Per model, on one seeded input:
  1. qinfer with QI_DEBUG_QDQ=1: the fusions ("qdq: NODE -> OP") and refusals are printed; the Conv / MatMul /
     Gemm nodes left running in float are listed. A QAT model fails when no Conv was fused, or when a Conv is
     left in float and the model is not in GAPS (known fusion gaps, with the pattern; a gap that closes fails
     too, so the entry gets removed).
  2. ONNX Runtime 1.30 (tests/zoo/ort_run.js) on a copy with every 8-bit and int32 tensor qinfer computes added
     as a graph output, against `qinfer run --all-tensors`: every uint8 / int8 tensor both have equal on
     >= 99.9 % of its elements and never more than one step apart; int32 tensors (ConvInteger / MatMulInteger)
     equal where their 8-bit inputs are; float graph outputs with cosine >= 0.9999. On an x86 CPU without VNNI,
     where ORT's uint8 x int8 gemm saturates (tests/common/ort_u8s8.py; a probe run once decides, and the script
     says so), ORT's copy has its int8 weights of uint8 x int8 products re-expressed as uint8 (w + 128, zero
     point + 128: the same values), which ORT computes exactly on its uint8 x uint8 path.
  3. qinfer's outputs with --isa scalar and with --threads 3 identical to the default run (--isa scalar: cosine
     >= 0.99999 when a Conv / ConvTranspose / MatMul / Gemm runs in float, on the ISA's FP32 gemm, held to
     tolerances and not to bits across ISAs).
Models in ORT's dynamic format (ConvInteger / MatMulInteger): every chain fused onto the integer gemm
(DynamicQuantizeConv / DynamicQuantizeMatMul), and the graph outputs bit-equal to those of a copy whose int32
tensors are graph outputs (which keeps the chains unfused); ort_matmul_dynamic also bit-equal to a numpy reference.
The fused models keep no integer tensor, so for them step 2 compares the float outputs only.
One line per check; exit 1 on any failure.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORT_RUN = os.path.join(REPO, "tests", "zoo", "ort_run.js")
sys.path.insert(0, os.path.join(REPO, "tests", "common"))
import ort_u8s8  # noqa: E402
sys.path.insert(0, HERE)
import ort_made  # noqa: E402

# model -> known fusion gap in engine/pass_qdq.c (the Conv nodes of the pattern stay float in qinfer)
GAPS = {}

# model -> why ORT computes part of it in float where qinfer runs integer ops (then tensors may differ by a step
# or two at rounding ties: >= 99 % equal, <= 2 steps, output cosine >= 0.999)
ORT_FLOAT = {
    "qat_resnet": "QAT ConvBn export: DQ(x), DQ(Q(float w * bn_factor)) -> Conv(bias 0) -> Div(per-channel const) "
                  "-> Add(per-channel const) -> BatchNormalization [-> Relu] -> Q. qinfer folds the Div, Add and "
                  "BatchNormalization into the weights' scale and the bias (engine/pass_fold_conv.c) and runs "
                  "QLinearConv; ORT does not fuse the chain and runs it in float",
    "ort_qdq_affine": "Conv -> Mul (per channel, negative entries) -> Add -> Q: qinfer folds the Mul into the weights' "
                      "scale, negating the integers of negative channels, and runs QLinearConv; ORT runs it in float",
}


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    den = np.linalg.norm(a) * np.linalg.norm(b)
    return 1.0 if den == 0 and np.array_equal(a, b) else float(a @ b / den) if den else 0.0


# ------------------------------------------------------------------------------------------------ QAT exports

def qat_models():
    import torch
    from torch import nn
    return {"qat_resnet": lambda: _qat_resnet(torch, nn, bn=True),
            "qat_resnet_nobn": lambda: _qat_resnet(torch, nn, bn=False),
            "qat_mbv2": lambda: _qat_mbv2(torch, nn),
            "qat_head": lambda: _qat_head(torch, nn)}


def _qat_resnet(torch, nn, bn):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            norm = (lambda c: nn.BatchNorm2d(c)) if bn else (lambda c: None)
            self.stem, self.bn0, self.relu0 = nn.Conv2d(3, 16, 3, padding=1, bias=not bn), norm(16), nn.ReLU()
            self.conv1, self.bn1, self.relu1 = nn.Conv2d(16, 16, 3, padding=1, bias=not bn), norm(16), nn.ReLU()
            self.conv2, self.bn2 = nn.Conv2d(16, 16, 3, padding=1, bias=not bn), norm(16)
            self.relu2 = nn.ReLU()

        def forward(self, x):
            if not bn:  # Conv -> ReLU, which prepare_qat_fx fuses (ConvReLU2d: no Q between them)
                x = self.relu0(self.stem(x))
                return self.relu2(self.conv2(self.relu1(self.conv1(x))) + x)
            x = self.relu0(self.bn0(self.stem(x)))
            y = self.relu1(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            return self.relu2(y + x)
    return Block()


def _qat_mbv2(torch, nn):
    class InvertedResidual(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem, self.relu0 = nn.Conv2d(3, 16, 3, padding=1), nn.ReLU()
            self.expand, self.act1 = nn.Conv2d(16, 64, 1), nn.ReLU6()
            self.dw, self.act2 = nn.Conv2d(64, 64, 3, padding=1, groups=64), nn.ReLU6()
            self.project = nn.Conv2d(64, 16, 1)

        def forward(self, x):
            x = self.relu0(self.stem(x))
            y = self.act1(self.expand(x))
            y = self.act2(self.dw(y))
            return x + self.project(y)
    return InvertedResidual()


def _qat_head(torch, nn):
    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.ra = nn.Conv2d(3, 8, 3, padding=1), nn.ReLU()
            self.b, self.rb = nn.Conv2d(3, 8, 5, padding=2, stride=1), nn.ReLU()
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            y = torch.cat([self.ra(self.a(x)), self.rb(self.b(x))], 1)
            return self.fc(torch.flatten(self.pool(y), 1))
    return Head()


def export_qat(name, make, path, shape, convert=False, fbgemm_v0=False):
    import warnings
    import torch
    from torch.ao.quantization import (FakeQuantize, MovingAverageMinMaxObserver,
                                       MovingAveragePerChannelMinMaxObserver, QConfig, QConfigMapping,
                                       disable_observer, get_default_qat_qconfig)
    from torch.ao.quantization.quantize_fx import prepare_qat_fx
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    # torch 1.13's default QAT qconfigs (get_default_qat_qconfig_mapping) use FusedMovingAvgObsFakeQuantize,
    # whose op has no ONNX export; so plain FakeQuantize with fbgemm's settings: activations uint8 asymmetric per
    # tensor (the full range), weights int8 symmetric per output channel. fbgemm_v0: the older default
    # (get_default_qat_qconfig('fbgemm', version=0)), reduce_range activations exported as Q -> Clip(0, 127) -> DQ
    if fbgemm_v0:
        qconfig = get_default_qat_qconfig("fbgemm", version=0)
    else:
        act = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                                     dtype=torch.quint8, qscheme=torch.per_tensor_affine)
        wt = FakeQuantize.with_args(observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127,
                                    dtype=torch.qint8, qscheme=torch.per_channel_symmetric, ch_axis=0)
        qconfig = QConfig(activation=act, weight=wt)
    model = make().train()
    example = torch.randn(*shape)
    prepared = prepare_qat_fx(model, QConfigMapping().set_global(qconfig), example_inputs=(example,))
    opt = torch.optim.SGD(prepared.parameters(), lr=0.01, momentum=0.9)
    for _ in range(8):  # a few training steps: the loss pulls the output towards a fixed random target
        x = torch.randn(4, *shape[1:])
        loss = (prepared(x) - 0.5).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    prepared.apply(disable_observer)  # the observers' in-place updates have no ONNX export
    prepared.eval()
    if convert:  # the quantized model (BatchNorm folded into int8 weights), exported from quantized::* ops
        from torch.ao.quantization.quantize_fx import convert_fx
        torch.backends.quantized.engine = "qnnpack"  # Debian's torch has no FBGEMM
        prepared = convert_fx(prepared)
    torch.onnx.export(prepared, example, path, opset_version=13, input_names=["x"], output_names=["y"])


# ------------------------------------------------------------------------------------------- QOperator models

def _qparams(lo, hi, dtype):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    qmin, qmax = (0, 255) if dtype == np.uint8 else (-128, 127)
    scale = np.float32((hi - lo) / (qmax - qmin) if hi > lo else 1.0)
    zp = int(np.clip(np.round(qmin - lo / scale), qmin, qmax))
    return scale, dtype(zp)


def _quant(x, scale, zp, dtype):
    info = np.iinfo(dtype)
    return np.clip(np.rint(x / scale) + int(zp), info.min, info.max).astype(dtype)


def _dequant(q, scale, zp):
    return (q.astype(np.float32) - np.float32(zp)) * scale


def _conv_f(x, w, b, pad, group=1):
    import torch
    import torch.nn.functional as F
    return F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=pad,
                    groups=group).numpy()


def _weights_pc(rng, shape, axis):
    """int8 symmetric weights, one scale per index of axis, and the float weights they stand for."""
    w = rng.standard_normal(shape).astype(np.float32) * 0.3
    red = tuple(i for i in range(len(shape)) if i != axis)
    s = (np.abs(w).max(axis=red) / 127).astype(np.float32)
    bshape = [1] * len(shape)
    bshape[axis] = -1
    q = np.clip(np.rint(w / s.reshape(bshape)), -127, 127).astype(np.int8)
    return q, s, q.astype(np.float32) * s.reshape(bshape)


def build_qoperator(path, x, act):
    """QLinearConv -> QLinearConv [-> depthwise QLinearConv] -> QLinearAdd -> QLinearGlobalAveragePool ->
    Flatten -> QLinearMatMul (uint8) or QGemm (int8) -> DequantizeLinear; scales from the float forward pass."""
    rng = np.random.default_rng(7)
    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def qp(name, t):
        s, z = _qparams(t.min(), t.max(), act)
        return const(name + "_s", np.float32(s)), const(name + "_z", z), s, z

    xs_n, xz_n, xs, xz = qp("x", x)
    nodes.append(helper.make_node("QuantizeLinear", ["x", xs_n, xz_n], ["xq"], name="quant_x"))
    xf = _dequant(_quant(x, xs, xz, act), xs, xz)

    def qconv(name, inp, in_s_n, in_z_n, in_s, xf_in, cin, cout, k, relu, group=1):
        wq, ws, wf = _weights_pc(rng, (cout, cin // group, k, k), 0)
        acc_s = (np.float32(in_s) * ws).astype(np.float32)
        bq = np.rint(rng.standard_normal(cout).astype(np.float32) * 0.1 / acc_s).astype(np.int32)
        yf = _conv_f(xf_in, wf, bq.astype(np.float32) * acc_s, k // 2, group)
        if relu:
            yf = np.maximum(yf, 0)
        ys_n, yz_n, ys, yz = qp(name + "_y", yf)  # relu: the zero point is the lowest value, the clamp is free
        ins = [inp, in_s_n, in_z_n, const(name + "_w", wq), const(name + "_ws", ws),
               const(name + "_wz", np.zeros(cout, np.int8)), ys_n, yz_n, const(name + "_b", bq)]
        nodes.append(helper.make_node("QLinearConv", ins, [name], name=name, pads=[k // 2] * 4, group=group,
                                      kernel_shape=[k, k]))
        yq = _quant(yf, ys, yz, act)
        return ys_n, yz_n, ys, yz, _dequant(yq, ys, yz)

    as_n, az_n, as_, az, af = qconv("conv1", "xq", xs_n, xz_n, xs, xf, 3, 16, 3, True)
    bs_n, bz_n, bs, bz, bf = qconv("conv2", "conv1", as_n, az_n, as_, af, 16, 16, 3, False)
    last = "conv2"
    if act == np.int8:  # a depthwise convolution too
        bs_n, bz_n, bs, bz, bf = qconv("dw", "conv2", bs_n, bz_n, bs, bf, 16, 16, 3, False, group=16)
        last = "dw"
    cf = af + bf
    cs_n, cz_n, cs, cz = qp("add", cf)
    nodes.append(helper.make_node("QLinearAdd", [last, bs_n, bz_n, "conv1", as_n, az_n, cs_n, cz_n], ["add"],
                                  name="add", domain="com.microsoft"))
    cf = _dequant(_quant(cf, cs, cz, act), cs, cz)
    df = cf.mean(axis=(2, 3), keepdims=True)
    ds_n, dz_n, ds, dz = qp("gap", df)
    nodes.append(helper.make_node("QLinearGlobalAveragePool", ["add", cs_n, cz_n, ds_n, dz_n], ["gap"], name="gap",
                                  domain="com.microsoft", channels_last=0))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1))
    ef = _dequant(_quant(df, ds, dz, act), ds, dz).reshape(1, -1)
    if act == np.uint8:  # QLinearMatMul, per-tensor weights
        w = rng.standard_normal((16, 10)).astype(np.float32) * 0.3
        wsc = np.float32(np.abs(w).max() / 127)
        wq = np.clip(np.rint(w / wsc), -127, 127).astype(np.int8)
        yf = ef @ (wq.astype(np.float32) * wsc)
        ys_n, yz_n, ys, yz = qp("head", yf)
        nodes.append(helper.make_node("QLinearMatMul", ["flat", ds_n, dz_n, const("head_w", wq), const("head_ws", wsc),
                                                        const("head_wz", np.int8(0)), ys_n, yz_n], ["head"],
                                      name="head"))
    else:  # com.microsoft QGemm, transB, per-column weights, int32 bias
        wq, wsc, wf = _weights_pc(rng, (10, 16), 0)
        acc_s = (np.float32(ds) * wsc).astype(np.float32)
        bq = np.rint(rng.standard_normal(10).astype(np.float32) * 0.1 / acc_s).astype(np.int32)
        yf = ef @ wf.T + bq.astype(np.float32) * acc_s
        ys_n, yz_n, ys, yz = qp("head", yf)
        nodes.append(helper.make_node("QGemm", ["flat", ds_n, dz_n, const("head_w", wq), const("head_ws", wsc),
                                                const("head_wz", np.zeros(10, np.int8)), const("head_b", bq),
                                                ys_n, yz_n], ["head"], name="head", domain="com.microsoft",
                                      transB=1))
    nodes.append(helper.make_node("DequantizeLinear", ["head", ys_n, yz_n], ["y"], name="dequant_y"))
    graph = helper.make_graph(nodes, "qoperator", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 7
    onnx.save(model, path)


def build_dynamic(path, x):
    """ORT quantize_dynamic's pattern: DynamicQuantizeLinear -> ConvInteger / MatMulInteger -> Cast -> Mul by the
    product of the scales -> Add bias."""
    rng = np.random.default_rng(11)
    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    wq, ws, _ = _weights_pc(rng, (16, 3, 3, 3), 0)
    nodes += [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"], name="dql_x"),
              helper.make_node("ConvInteger", ["xq", const("conv_w", wq), "xz", const("conv_wz", np.int8(0))],
                               ["conv_i32"], name="conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
              helper.make_node("Cast", ["conv_i32"], ["conv_f"], name="conv_cast", to=TensorProto.FLOAT),
              helper.make_node("Mul", ["xs", const("conv_ws", ws.reshape(1, 16, 1, 1))], ["conv_scale"],
                               name="conv_scale_mul"),
              helper.make_node("Mul", ["conv_f", "conv_scale"], ["conv_deq"], name="conv_mul"),
              helper.make_node("Add", ["conv_deq", const("conv_b", rng.standard_normal((1, 16, 1, 1)).astype(np.float32)
                                                         * 0.1)], ["conv_out"], name="conv_bias"),
              helper.make_node("Relu", ["conv_out"], ["relu"], name="relu"),
              helper.make_node("GlobalAveragePool", ["relu"], ["gap"], name="gap"),
              helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
              helper.make_node("DynamicQuantizeLinear", ["flat"], ["hq", "hs", "hz"], name="dql_h")]
    w = rng.standard_normal((16, 10)).astype(np.float32) * 0.3
    mws = (np.abs(w).max(axis=0) / 127).astype(np.float32)
    mzp = rng.integers(-3, 4, 10).astype(np.int8)  # per-column zero points (the weights are not symmetric)
    mwq = np.clip(np.rint(w / mws) + mzp, -128, 127).astype(np.int8)
    nodes += [helper.make_node("MatMulInteger", ["hq", const("fc_w", mwq), "hz", const("fc_wz", mzp)], ["fc_i32"],
                               name="fc"),
              helper.make_node("Cast", ["fc_i32"], ["fc_f"], name="fc_cast", to=TensorProto.FLOAT),
              helper.make_node("Mul", ["hs", const("fc_ws", mws)], ["fc_scale"], name="fc_scale_mul"),
              helper.make_node("Mul", ["fc_f", "fc_scale"], ["fc_deq"], name="fc_mul"),
              helper.make_node("Add", ["fc_deq", const("fc_b", rng.standard_normal(10).astype(np.float32) * 0.1)],
                               ["y"], name="fc_bias")]
    graph = helper.make_graph(nodes, "dynamic", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.save(model, path)


def build_dynamic_shared_scale(path, x):
    """Two ConvInteger chains of 8 and 16 output channels whose weights share one scalar scale initializer (and one
    DynamicQuantizeLinear): each chain fuses, with its own per-channel vector of that scale."""
    rng = np.random.default_rng(13)
    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    ws = const("w_scale", np.float32(0.01))
    nodes.append(helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"], name="dql_x"))
    nodes.append(helper.make_node("Mul", ["xs", ws], ["scale"], name="scales_mul"))
    outs = []
    for name, cout in (("a", 8), ("b", 16)):
        wq = rng.integers(-127, 128, size=(cout, 3, 3, 3)).astype(np.int8)
        nodes += [helper.make_node("ConvInteger", ["xq", const(name + "_w", wq), "xz"], [name + "_i32"], name=name,
                                   pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
                  helper.make_node("Cast", [name + "_i32"], [name + "_f"], name=name + "_cast", to=TensorProto.FLOAT),
                  helper.make_node("Mul", [name + "_f", "scale"], [name + "_y"], name=name + "_mul"),
                  helper.make_node("GlobalAveragePool", [name + "_y"], [name + "_gap"], name=name + "_gap")]
        outs.append(name + "_gap")
    nodes.append(helper.make_node("Concat", outs, ["y"], name="concat", axis=1))
    graph = helper.make_graph(nodes, "dynamic_shared", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 24, 1, 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.save(model, path)


def build_ort_qdq(path, x, act):
    """The QDQ format of ONNX Runtime's quantize_static (per_channel=True): Q -> DQ on every activation with scalar
    parameters, weights int8 initializers behind a per-axis DQ, biases int32 behind a DQ at x_scale * w_scale[c]
    (axis 0). uint8 activations (default QUInt8): a Relu is removed by the quantizer (its output's range starts at
    0) and the head is a Gemm (transB). int8 symmetric activations (ActivationSymmetric, zero point 0): the Relu
    stays between Conv and Q, a depthwise Conv more, and the head is MatMul (weights per column, axis 1) -> Q -> DQ
    -> Add of a quantized constant bias, as torch exports a Linear of a 3-D input."""
    rng = np.random.default_rng(5)
    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def qdq(name, t, tf):
        """Q -> DQ of float tensor t (values tf); returns the DQ output, its scale and the dequantized values."""
        if act == np.uint8:
            s, z = _qparams(tf.min(), tf.max(), act)
        else:  # symmetric
            s, z = np.float32(max(abs(float(tf.min())), abs(float(tf.max()))) / 127.5), np.int8(0)
        const(name + "_scale", np.float32(s))
        const(name + "_zero_point", z)
        nodes.append(helper.make_node("QuantizeLinear", [t, name + "_scale", name + "_zero_point"],
                                      [name + "_QuantizeLinear_Output"], name=name + "_QuantizeLinear"))
        out = name + "_DequantizeLinear_Output" if name != "y" else "y"
        nodes.append(helper.make_node("DequantizeLinear", [name + "_QuantizeLinear_Output", name + "_scale",
                                                           name + "_zero_point"], [out],
                                      name=name + "_DequantizeLinear"))
        return out, np.float32(s), _dequant(_quant(tf, s, z, act), s, z)

    def weights(name, shape, axis, in_s):
        wq, ws, wf = _weights_pc(rng, shape, axis)
        const(name + "_quantized", wq)
        const(name + "_scale", ws)
        const(name + "_zero_point", np.zeros(len(ws), np.int8))
        nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_scale", name + "_zero_point"],
                                      [name + "_DequantizeLinear_Output"], name=name + "_DequantizeLinear", axis=axis))
        bs = (np.float32(in_s) * ws).astype(np.float32)
        bq = np.rint(rng.standard_normal(len(ws)).astype(np.float32) * 0.1 / bs).astype(np.int32)
        const(name + "_bias_quantized", bq)
        const(name + "_bias_scale", bs)
        const(name + "_bias_zero_point", np.zeros(len(ws), np.int32))
        nodes.append(helper.make_node("DequantizeLinear", [name + "_bias_quantized", name + "_bias_scale",
                                                           name + "_bias_zero_point"],
                                      [name + "_bias_DequantizeLinear_Output"], name=name + "_bias_DequantizeLinear",
                                      axis=0))
        return name + "_DequantizeLinear_Output", name + "_bias_DequantizeLinear_Output", wf, bq.astype(np.float32) * bs

    def conv(name, inp, in_s, xf, cin, cout, k, relu, group=1):
        w, b, wf, bf = weights(name + ".weight", (cout, cin // group, k, k), 0, in_s)
        yf = _conv_f(xf, wf, bf, k // 2, group)
        nodes.append(helper.make_node("Conv", [inp, w, b], [name + "_output"], name=name, pads=[k // 2] * 4,
                                      group=group, kernel_shape=[k, k]))
        out = name + "_output"
        if relu:
            yf = np.maximum(yf, 0)
            if act == np.int8:  # kept: a symmetric range cannot start at 0
                nodes.append(helper.make_node("Relu", [out], [name + "_relu"], name=name + "_relu"))
                out = name + "_relu"
        return qdq(name + "_out", out, yf)

    xd, xs, xf = qdq("x", "x", x)
    ad, as_, af = conv("conv1", xd, xs, xf, 3, 16, 3, True)
    bd, bs, bf = conv("conv2", ad, as_, af, 16, 16, 3, False)
    if act == np.int8:
        bd, bs, bf = conv("dw", bd, bs, bf, 16, 16, 3, False, group=16)
    nodes.append(helper.make_node("Add", [bd, ad], ["add_output"], name="add"))
    cd, cs, cf = qdq("add_out", "add_output", bf + af)
    nodes.append(helper.make_node("GlobalAveragePool", [cd], ["gap_output"], name="gap"))
    dd, ds, df = qdq("gap_out", "gap_output", cf.mean(axis=(2, 3), keepdims=True))
    nodes.append(helper.make_node("Flatten", [dd], ["flat_output"], name="flatten", axis=1))
    # Flatten keeps its input's parameters (ORT's quantizer shares them): Q -> DQ with the same scale / zero point
    nodes.append(helper.make_node("QuantizeLinear", ["flat_output", "gap_out_scale", "gap_out_zero_point"],
                                  ["flat_QuantizeLinear_Output"], name="flat_QuantizeLinear"))
    nodes.append(helper.make_node("DequantizeLinear", ["flat_QuantizeLinear_Output", "gap_out_scale",
                                                       "gap_out_zero_point"], ["flat_DequantizeLinear_Output"],
                                  name="flat_DequantizeLinear"))
    ef = df.reshape(1, -1)
    if act == np.uint8:
        w, b, wf, bfc = weights("fc.weight", (10, 16), 0, ds)
        nodes.append(helper.make_node("Gemm", ["flat_DequantizeLinear_Output", w, b], ["fc_output"], name="fc",
                                      transB=1))
        yf = ef @ wf.T + bfc
    else:  # torch's Linear as MatMul + Add: the MatMul output quantized, the Add an Add of quantized operands
        w, _, wf, _ = weights("fc.weight", (16, 10), 1, ds)
        nodes.append(helper.make_node("MatMul", ["flat_DequantizeLinear_Output", w], ["fc_matmul"], name="fc"))
        md, _, mf = qdq("fc_matmul", "fc_matmul", ef @ wf)
        bias = rng.standard_normal(10).astype(np.float32) * 0.1  # a constant operand: int8 symmetric per tensor
        bsc = np.float32(np.abs(bias).max() / 127)
        const("fc.bias_quantized", np.clip(np.rint(bias / bsc), -127, 127).astype(np.int8))
        const("fc.bias_scale", bsc)
        const("fc.bias_zero_point", np.int8(0))
        nodes.append(helper.make_node("DequantizeLinear", ["fc.bias_quantized", "fc.bias_scale", "fc.bias_zero_point"],
                                      ["fc.bias_DequantizeLinear_Output"], name="fc.bias_DequantizeLinear"))
        nodes.append(helper.make_node("Add", [md, "fc.bias_DequantizeLinear_Output"], ["fc_output"], name="fc_bias"))
        yf = mf + bias
    qdq("y", "fc_output", yf)
    graph = helper.make_graph(nodes, "ort_qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.save(model, path)


def build_qdq_affine(path, x):
    """DQ(x) and DQ(int8 weights, per channel) -> Conv -> Mul by a per-channel constant with negative entries ->
    Add of a per-channel constant -> Q: qinfer folds the Mul into the weights' scale (negating the integers of the
    negative channels) and the Add into the bias, then fuses QLinearConv; ORT runs the chain in float."""
    rng = np.random.default_rng(11)
    cout = 6
    xs, xz = _qparams(x.min(), x.max(), np.uint8)
    wq, ws, wf = _weights_pc(rng, (cout, 3, 3, 3), 0)
    k = np.array([0.7, -1.3, 2.0, -0.4, 1.1, -2.5], np.float32).reshape(cout, 1, 1)
    a = (rng.standard_normal(cout) * 0.2).astype(np.float32).reshape(cout, 1, 1)
    y = (_conv_f(_dequant(_quant(x, xs, xz, np.uint8), xs, xz), wf, np.zeros(cout, np.float32), 1) * k + a)
    ys, yz = _qparams(y.min(), y.max(), np.uint8)
    inits = [numpy_helper.from_array(np.array(xs, np.float32), "xs"), numpy_helper.from_array(np.array(xz), "xz"),
             numpy_helper.from_array(wq, "wq"), numpy_helper.from_array(ws, "ws"),
             numpy_helper.from_array(k, "k"), numpy_helper.from_array(a, "a"),
             numpy_helper.from_array(np.array(ys, np.float32), "ys"), numpy_helper.from_array(np.array(yz), "yz")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
             helper.make_node("DequantizeLinear", ["wq", "ws"], ["wd"], axis=0),
             helper.make_node("Conv", ["xd", "wd"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Mul", ["c", "k"], ["m"], name="mul"),
             helper.make_node("Add", ["m", "a"], ["s"], name="add"),
             helper.make_node("QuantizeLinear", ["s", "ys", "yz"], ["sq"]),
             helper.make_node("DequantizeLinear", ["sq", "ys", "yz"], ["y"])]
    graph = helper.make_graph(nodes, "qdq_affine", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.save(model, path)


GROUPS = {
    "qat": ["qat_resnet", "qat_resnet_nobn", "qat_mbv2", "qat_head", "qat_resnet_converted", "qat_mbv2_converted",
            "qat_mbv2_fbgemm"],
    "qoperator": ["qop_u8", "qop_s8"],
    "dynamic": ["dyn_conv_matmul", "dyn_shared_scale"],
    "ort_qdq": ["ort_qdq_u8", "ort_qdq_s8", "ort_qdq_affine"],
    "ort_made": list(ort_made.MODELS),
}
SHAPE = (1, 3, 24, 24)


def make_model(name, path, x):
    if name.startswith("qat_"):
        base = re.sub(r"_(converted|fbgemm)$", "", name)
        export_qat(name, qat_models()[base], path, SHAPE, convert=name.endswith("_converted"),
                   fbgemm_v0=name.endswith("_fbgemm"))
    elif name == "qop_u8":
        build_qoperator(path, x, np.uint8)
    elif name == "qop_s8":
        build_qoperator(path, x, np.int8)
    elif name == "ort_qdq_u8":
        build_ort_qdq(path, x, np.uint8)
    elif name == "ort_qdq_s8":
        build_ort_qdq(path, x, np.int8)
    elif name == "ort_qdq_affine":
        build_qdq_affine(path, x)
    elif name == "dyn_conv_matmul":
        build_dynamic(path, x)
    elif name == "dyn_shared_scale":
        build_dynamic_shared_scale(path, x)
    else:
        raise ValueError(name)


# ------------------------------------------------------------------------------------------------ the checks

def scalar_qparams(model):
    """Makes the 1-element 1-D scales and zero points of QuantizeLinear / DequantizeLinear (given directly or
    through Identity) scalars, in place; returns how many. Same values, same meaning: per tensor."""
    g = model.graph
    via = {n.output[0]: n.input[0] for n in g.node if n.op_type == "Identity"}
    names = {via.get(i, i) for n in g.node if n.op_type in ("QuantizeLinear", "DequantizeLinear") for i in n.input[1:]}
    count = 0
    for t in g.initializer:
        if t.name in names and list(t.dims) == [1]:
            a = numpy_helper.to_array(t).reshape(())
            t.CopyFrom(numpy_helper.from_array(a, t.name))
            count += 1
    del g.value_info[:]  # shapes recorded at export would contradict the scalars
    return count


def check_unfused(model, args, work, inputs, check):
    """The dynamic chains unfused (their int32 tensors made graph outputs, so the pass leaves them) give
    bit-identical graph outputs: the fused ops compute the unfused graph's values in its order."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for n in model.graph.node:
        if n.op_type in ("ConvInteger", "MatMulInteger"):
            m.graph.output.append(helper.make_empty_tensor_value_info(n.output[0]))
    path = os.path.join(work, "unfused.onnx")
    onnx.save(m, path)
    out = os.path.join(work, "qi_unfused")
    r = run([args.qinfer, "run", path, "--output-dir", out] + inputs, env=dict(os.environ, QI_DEBUG_QDQ="1"))
    check(" -> DynamicQuantize" not in r.stderr, "the unfused copy runs unfused")
    for o in model.graph.output:
        a = np.load(os.path.join(out, sanitize(o.name) + ".npy"))
        b = np.load(os.path.join(work, "qi_out", sanitize(o.name) + ".npy"))
        check(np.array_equal(a, b), f"output {o.name} of the fused run bit-equal to the unfused run's "
                                    f"(max |d| {float(np.abs(a.astype(np.float64) - b).max()):.3g})")


def matmul_dynamic_ref(model, a):
    """ort_matmul_dynamic in numpy, float32 arithmetic as the ONNX ops define it."""
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    lo, hi = np.float32(min(a.min(), 0)), np.float32(max(a.max(), 0))
    scale = np.float32((hi - lo) / np.float32(255)) if hi > lo else np.float32(1)
    zp = np.float32(np.rint(np.clip(np.float32(0) - lo / scale, 0, 255)))
    q = np.clip(np.rint(a / scale) + zp, 0, 255)
    b = init["B_quantized"].astype(np.float64) - init["B_zero_point"].astype(np.float64)
    acc = (q.astype(np.float64) - zp) @ b  # exact: |sums| < 2^53
    return acc.astype(np.int32).astype(np.float32) * (scale * init["B_scale"]).astype(np.float32)


def check_model(name, args, work):
    failures = []

    def check(ok, what):
        print(("   ok   " if ok else "   FAIL ") + what)
        if not ok:
            failures.append(what)

    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, name + ".onnx")
    if name in ort_made.MODELS:
        m, in_name, x = ort_made.build(name, os.path.join(args.cache, "zoo"), args.node, args.cache, work)
        onnx.save(m, path)
    else:
        in_name, x = "x", np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
        make_model(name, path, x)
    xin = os.path.join(work, "x.npy")
    np.save(xin, x)
    model = onnx.load(path)
    hist = collections.Counter((n.domain + "." if n.domain else "") + n.op_type for n in model.graph.node)
    print(f"   info   ops: {', '.join(f'{k} {v}' for k, v in sorted(hist.items()))}")
    inputs = ["--input", f"{in_name}={xin}"]
    dynamic = hist["ConvInteger"] + hist["MatMulInteger"]

    # 1. qinfer, with the fusion log
    env = dict(os.environ, QI_DEBUG_QDQ="1")
    r = run([args.qinfer, "run", path, "--output-dir", os.path.join(work, "qi_out"),
             "--all-tensors", os.path.join(work, "qi_all")] + inputs, env=env)
    fused = collections.Counter()
    for line in r.stderr.splitlines():
        m = re.match(r"qdq: (.*) -> (\S+) \(node \d+\)$", line)
        if m:
            fused[m.group(2)] += 1
            if args.verbose:
                print("   info   " + line)
        elif line.startswith("qdq: "):
            print("   info   " + line)
    index = {}
    with open(os.path.join(work, "qi_all", "tensors.tsv")) as f:
        for line in f:
            tname, file, dtype = line.rstrip("\n").split("\t")[:3]
            index[tname] = (file, dtype)
    producers = {o: n for n in model.graph.node for o in n.output}
    floating = [n for n in model.graph.node if n.op_type in ("Conv", "MatMul", "Gemm") and n.output[0] in index]
    float_gemms = [f"{n.op_type} {n.name}" for n in model.graph.node
                   if n.op_type in ("Conv", "ConvTranspose", "MatMul", "Gemm") and n.output[0] in index]
    if fused:
        print(f"   info   fused: {', '.join(f'{k} {v}' for k, v in sorted(fused.items()))}")
    if floating:
        print(f"   info   still float: {', '.join(f'{n.op_type} {n.name}' for n in floating)}")
    if name in GAPS:
        print(f"   note   known gap, {fused['QLinearConv']} of {hist['Conv']} Conv fused: {GAPS[name]}")
        check(any(n.op_type == "Conv" for n in floating),
              "the known gap is still there (when it is not, remove the model from GAPS)")
    elif name.startswith(("qat_", "ort_qdq_", "ort_resnet")):
        if name in ORT_FLOAT:
            print(f"   note   looser parity bounds: {ORT_FLOAT[name]}")
        check(fused["QLinearConv"] > 0, f"{fused['QLinearConv']} of {hist['Conv']} Conv fused into QLinearConv")
        check(not floating, "every Conv / MatMul / Gemm runs as an integer op")
    if dynamic:  # ORT's dynamic format: every integer product fused with its DynamicQuantizeLinear and scaling
        n_fused = fused["DynamicQuantizeConv"] + fused["DynamicQuantizeMatMul"]
        check(n_fused == dynamic, f"{n_fused} of {dynamic} ConvInteger / MatMulInteger fused with their "
                                  f"DynamicQuantizeLinear, Cast, Mul and bias Add onto the integer gemm")
        check_unfused(model, args, work, inputs, check)
    if name == "ort_matmul_dynamic":
        y = np.load(os.path.join(work, "qi_out", "Y.npy"))
        check(np.array_equal(y, matmul_dynamic_ref(model, x)), "Y bit-equal to the numpy reference of the chain "
              "(DynamicQuantizeLinear's formulas, int64 sums, float32 Cast and Muls)")

    # 2. against ONNX Runtime, every integer tensor qinfer has as an output of the ORT copy
    ints = [t for t, (_, dt) in index.items() if dt in ("uint8", "int8", "int32") and t in producers]
    ort_model = onnx.load(path)
    if scalar_qparams(ort_model):
        print("   note   ORT's copy has its [1]-shaped scales and zero points made scalars (torch exports them so; "
              "ORT 1.30's QDQ -> QLinearAdd fusion then fails: 'Scale and Zero-point must be a scalar')")
    shifted = set()
    if not args.u8s8.exact:
        ort_model, n_w, notes, shifted = ort_u8s8.reexpress_s8_weights(ort_model)
        if n_w:
            print(f"   note   ORT's u8s8 path saturates on this CPU (no VNNI): comparing with ORT on this model with "
                  f"its {n_w} int8 weights of uint8 x int8 products re-expressed as uint8 (w + 128, zero point + "
                  f"128: the same values), which ORT computes on its exact u8u8 path")
        else:
            print("   info   no uint8 x int8 product in this model (ORT's int8 x int8 path is exact): ORT runs it as "
                  "it is")
        for note in notes:
            print(f"   note   {note}")
    have = {o.name for o in ort_model.graph.output}
    for t in ints:
        if t not in have:
            ort_model.graph.output.append(helper.make_empty_tensor_value_info(t))
    ort_path = os.path.join(work, name + "_ort.onnx")
    onnx.save(ort_model, ort_path)
    run([args.node, ORT_RUN, ort_path, "--output-dir", os.path.join(work, "ort"), "--cache", args.cache] + inputs)
    n8, worst, eq8 = 0, (1.0, 0, ""), True
    for t in ints:
        a = np.load(os.path.join(work, "ort", sanitize(t) + ".npy")).astype(np.int64) - (128 if t in shifted else 0)
        b = np.load(os.path.join(work, "qi_all", index[t][0])).astype(np.int64)
        if a.shape != b.shape:
            check(False, f"{t}: shape {b.shape} vs ORT {a.shape}")
            continue
        d = np.abs(a - b)
        eq = float((d == 0).mean()) if d.size else 1.0
        if index[t][1] == "int32":
            if eq8:  # an int32 sum equals ORT's when its 8-bit inputs do
                check(eq == 1.0, f"{t} (int32): {eq * 100:.3f}% equal to ORT")
            else:
                print(f"   info   {t} (int32): {eq * 100:.3f}% equal to ORT")
            continue
        n8 += 1
        eq8 = eq8 and eq == 1.0
        if (eq, -int(d.max(initial=0))) < (worst[0], -worst[1]):
            worst = (eq, int(d.max(initial=0)), t)
        loose = name in ORT_FLOAT
        if eq < (0.99 if loose else 0.999) or d.max(initial=0) > (2 if loose else 1):
            check(False, f"{t}: {eq * 100:.3f}% equal to ORT, max {int(d.max(initial=0))} steps apart")
    if not dynamic:  # (a fused dynamic model keeps no integer tensor)
        check(n8 > 0, f"{n8} quantized tensors compared with ORT; least equal: {worst[2] or '-'} "
                      f"{worst[0] * 100:.3f}% (max {worst[1]} step)")
    outs = [o.name for o in model.graph.output]
    for o in outs:
        a = np.load(os.path.join(work, "ort", sanitize(o) + ".npy"))
        b = np.load(os.path.join(work, "qi_out", sanitize(o) + ".npy"))
        c = cosine(a, b)
        bound = 0.999 if name in ORT_FLOAT else 0.9999
        check(c >= bound, f"output {o}: cosine qinfer vs ORT {c:.6f} >= {bound} (max |d| "
                           f"{float(np.abs(a.astype(np.float64) - b).max()):.3g})")

    # 3. one answer on the scalar path and with 3 threads
    base = {o: np.load(os.path.join(work, "qi_out", sanitize(o) + ".npy")) for o in outs}
    for extra in (["--isa", "scalar"], ["--threads", "3"]):
        d = os.path.join(work, "qi_" + "_".join(e.strip("-") for e in extra))
        run([args.qinfer, "run", path, "--output-dir", d] + inputs + extra)
        got = {o: np.load(os.path.join(d, sanitize(o) + ".npy")) for o in outs}
        same = all(np.array_equal(base[o], got[o]) for o in outs)
        if extra[0] == "--isa" and float_gemms and not same:
            # FP32 kernels are held to tolerances across ISAs, not to bits (docs/kernels.md)
            c = min(cosine(base[o], got[o]) for o in outs)
            check(c >= 0.99999, f"outputs with {' '.join(extra)}: cosine {c:.7f} >= 0.99999 to the default run (not "
                                f"identical: float {', '.join(float_gemms)} run the ISA's FP32 kernels)")
        else:
            check(same, f"outputs with {' '.join(extra)} identical to the default run")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer")
    ap.add_argument("--node", default=shutil.which("node") or "node")
    ap.add_argument("--cache", help="the cache folder whose npm/ holds onnxruntime-node (default: $QINFER_CACHE, "
                                    "else <repo>/.cache)")
    ap.add_argument("--group", action="append", choices=sorted(GROUPS))
    ap.add_argument("--model", action="append")
    ap.add_argument("--keep")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    names = [m for g in (args.group or sorted(GROUPS)) for m in GROUPS[g]]
    if args.model:
        names = args.model
    if args.list:
        print("\n".join(names))
        return 0
    if not args.qinfer:
        ap.error("--qinfer is required")
    args.cache = os.path.abspath(args.cache or os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))
    top = args.keep or tempfile.mkdtemp(prefix="qinfer_qdq_sources_")
    bad = []
    try:
        args.u8s8 = ort_u8s8.probe(args.node, ORT_RUN, args.cache, os.path.join(top, "u8s8_probe"))
        if args.u8s8.exact:
            print(f"ORT's u8s8 path is exact on this CPU: {args.u8s8.describe()}")
        else:
            print(f"ORT's u8s8 path saturates on this CPU (no VNNI): each model is compared with ORT on a copy with "
                  f"its int8 weights re-expressed as uint8 (tests/common/ort_u8s8.py); {args.u8s8.describe()}")
        for name in names:
            print(f"{name}:")
            try:
                failures = check_model(name, args, os.path.join(top, name))
            except RuntimeError as e:
                print(f"   FAIL {e}")
                failures = [str(e)]
            print(f"qdq source {name}: {'FAIL' if failures else 'ok'}")
            if failures:
                bad.append(name)
    finally:
        if not args.keep:
            shutil.rmtree(top, ignore_errors=True)
    print(f"{len(names) - len(bad)} passed, {len(bad)} failed" + (f": {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
