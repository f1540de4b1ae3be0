#!/usr/bin/python3
"""Single-op parity: qinfer against ONNX Runtime on small one- (or few-) node models, for what ONNX 1.12's
backend node tests cannot check: opset 18..23 behaviour (Attention 23, Gelu 20, Reduce* with axes inputs, Split
num_outputs, Pad axes / wrap, Resize 18/19, AveragePool dilations, Cast 19/21, Shape start/end, ...) and the
newer version numbers of ops whose semantics did not change (Reshape 23, Conv 22, Dropout 22, ...).

    run_ops_ort.py --qinfer BUILD/tools/qinfer [--filter REGEX] [-v] [--keep DIR] [--list]

Each case in CASES builds a model with onnx.helper (opset_import set explicitly, IR version 10, not checked:
onnx 1.12's checker does not know opsets above 17). Inputs that decide shapes are initializers (qinfer requires
them constant); the others are random with a seed taken from the case name, written as .npy. All models go
through one ONNX Runtime process (tests/ops_ort/ort_batch.js: onnxruntime-node 1.30, CPU, 1 thread, graph
optimizations disabled), and each through `qinfer run MODEL --input NAME=FILE.npy ... --output-dir DIR
--threads 1`. Every graph output must have ORT's dtype and shape, and
    float:          |qinfer - ort| <= 1e-5 + 1e-4 * |ort| elementwise, NaN where ORT has NaN, equal infinities
    exact cases     (data movement: Pad, Split, Slice, Reshape, Gather, Resize nearest, Cast, ...): bit-equal
    integer / bool: equal.
Lists at the top of the file keep the suite green with reasons written down:
    ORT_UNSUPPORTED      variants ORT 1.30 refuses and nothing else can check (skip; compared if ORT runs it)
    ORT_DEVIATIONS       ORT departs from the spec (or refuses a valid variant); the case is compared with a
                         corrected reference instead: numpy (Case.ref), ORT on an equivalent model
                         (Case.ort_model) or ORT's output adjusted (Case.ort_fix)
    QINFER_UNSUPPORTED   what qinfer does not mean to support (skip)
    KNOWN_QINFER_BUGS    qinfer disagrees with ORT and the spec sides with ORT (skip; a listed case that passes
                         is a failure, so the list is kept current)
One line per case (ok / FAIL / skip), then "N passed, N failed, N skipped"; exit 1 on any failure.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORT_BATCH = os.path.join(HERE, "ort_batch.js")
ATOL, RTOL = 1e-5, 1e-4
IR_VERSION = 10

# ------------------------------------------------------------------------------------------------ status lists
# case name (full match) -> why ORT 1.30 refuses it. Such a case is skipped when ORT refuses it.
ORT_UNSUPPORTED = {
    "resize18_keep_not_larger_linear":
        "keep_aspect_ratio_policy without axes scales every axis (here C 2 -> 1); ORT's linear mode only resizes "
        "the 2 or 4 outermost/innermost axes ('Linear' mode only supports ...); the nearest variant is tested",
}

# case name regex (full match) -> why qinfer does not support it (by design). Skipped without running.
QINFER_UNSUPPORTED = {
    r"col2im": "Col2Im is not implemented by qinfer",
}

# case name -> where ORT 1.30 departs from the ONNX spec; such a case is compared with a corrected reference
# (Case.ref: numpy, Case.ort_model: an equivalent model, Case.ort_fix: ORT's output adjusted), set where it is made.
ORT_DEVIATIONS = {
    "attn_past_only_present_key":
        "ORT refuses past_value without a present_value output (both outputs are optional in the spec); "
        "reference: the same node with present_value",
    "attn_qk_output_causal_mode2":
        "qk_matmul_output mode 2 holds the biased scores; the spec's bias for a masked position is -inf, ORT "
        "writes the lowest float (-3.4e38); reference: ORT's with lowest -> -inf",
    "attn_qk_output_boolmask_mode2": "same as attn_qk_output_causal_mode2, for a bool mask",
    "attn_mask_bool_1d":
        "ORT wants a 2-D..4-D attn_mask; the spec allows any mask broadcastable to [B, Hq, Sq, T]; reference: "
        "the mask expanded to [Sq, T] by an Expand node",
    "attn_mask_float_padding":
        "ORT wants attn_mask dim -2 == q_sequence_length (no broadcast over queries); reference: the [B,1,1,T] "
        "mask expanded to [B,1,Sq,T] by an Expand node",
    "split18_num3_dim4":
        "num_outputs 3 on a dimension of 4: ceil(4/3) = 2 gives [2, 2, 0] (ONNX reference); ORT refuses the "
        "empty last chunk; reference: numpy",
    "pad19_wrap_large":
        "wrap pads larger than the dimension (3 + 4 + 5): ORT leaves zeros in the first column; numpy.pad "
        "(which the ONNX reference uses) repeats periodically; reference: numpy",
    "resize18_scale_fp32_rounding":
        "output size floor(10 * float32(0.7)): exactly 6.99999988 -> 6 (spec formula, ONNX reference in "
        "double); ORT multiplies in float32 (-> 7.0) and makes 7 columns; reference: numpy, ONNX semantics",
    "averagepool22_dil_same":
        "auto_pad SAME_UPPER with dilations: spec output ceil(in/stride) = 9x8, ORT pads for the undilated "
        "kernel and gives 7x6; reference: the spec's explicit pads",
    "maxpool22_dil_same": "same as averagepool22_dil_same",
    "conv22_same_dil":
        "ORT refuses auto_pad SAME_* with dilations for Conv; reference: the spec's explicit pads",
}

# case name (full match) -> the bug: qinfer disagrees with ORT and the ONNX spec agrees with ORT.
_NOOP = ("noop_with_empty_axes=1 with no axes reduces over the empty set, and the spec (ReduceL2-18 "
         "attribute text) says composite reductions still apply their non-reduction steps; qinfer returns X "
         "unchanged instead of ")
KNOWN_QINFER_BUGS = {}


# ------------------------------------------------------------------------------------------------ case building
class C:
    """An input given as an initializer (a constant in the model)."""

    def __init__(self, value):
        self.value = np.asarray(value)


NP_TO_ONNX = {
    np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE,
    np.dtype(np.float16): TensorProto.FLOAT16, np.dtype(np.int64): TensorProto.INT64,
    np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int16): TensorProto.INT16,
    np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
    np.dtype(np.uint16): TensorProto.UINT16, np.dtype(np.uint32): TensorProto.UINT32,
    np.dtype(np.uint64): TensorProto.UINT64, np.dtype(np.bool_): TensorProto.BOOL,
}
DT = {"f": TensorProto.FLOAT, "d": TensorProto.DOUBLE, "h": TensorProto.FLOAT16, "i64": TensorProto.INT64,
      "i32": TensorProto.INT32, "i8": TensorProto.INT8, "u8": TensorProto.UINT8, "b": TensorProto.BOOL}


class Case:
    """ref: a numpy reference, feeds -> [arrays in graph output order], used instead of ORT;
    ort_model: an equivalent model ORT runs instead (same inputs; outputs matched by name, extra ones ignored);
    ort_fix: (output name, ORT's array) -> the array to compare with;
    steps: integer outputs may differ from the reference by up to this many steps (quantized results whose
    rounding or arithmetic legitimately differs, tests/quant_ops), in at most 0.1% of the elements;
    cross_ref: a second, independent reference (feeds -> arrays), checked against ORT wherever ORT is the
    reference (the same comparison as qinfer's): an oracle a suite falls back on where ORT is not exact is so
    kept honest where it is (tests/quant_ops)."""

    def __init__(self, name, model, feeds, exact=False, atol=None, rtol=None, ref=None, ort_model=None,
                 ort_fix=None, steps=0):
        self.name, self.model, self.feeds, self.exact, self.steps = name, model, feeds, exact, steps
        self.atol = ATOL if atol is None else atol
        self.rtol = RTOL if rtol is None else rtol
        self.ref, self.ort_model, self.ort_fix = ref, ort_model, ort_fix
        self.cross_ref = None


CASES = []


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def make_model(name, nodes, inputs, outputs, opset, extra_opsets=()):
    """-> (ModelProto, feeds). nodes: NodeProtos; inputs: [(name, ndarray | C)] (ndarray: fed graph input,
    C: initializer); outputs: [(name, dtype key of DT)]."""
    ginputs, inits, feeds = [], [], {}
    for iname, val in inputs:
        if isinstance(val, C):
            inits.append(numpy_helper.from_array(val.value, iname))
        else:
            a = np.ascontiguousarray(val)
            ginputs.append(helper.make_tensor_value_info(iname, NP_TO_ONNX[a.dtype], list(a.shape)))
            feeds[iname] = a
    gouts = [helper.make_tensor_value_info(o, DT[t], None) for o, t in outputs]
    g = helper.make_graph(nodes, name, ginputs, gouts, initializer=inits)
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(g, opset_imports=ops, producer_name="qinfer-ops-ort")
    m.ir_version = IR_VERSION
    return m, feeds


def graph_case(name, nodes, inputs, outputs, opset, exact=False, extra_opsets=(), **kw):
    m, feeds = make_model(name, nodes, inputs, outputs, opset, extra_opsets)
    CASES.append(Case(name, m, feeds, exact, **kw))
    return CASES[-1]


def op_node(op, inputs, outputs, attrs=None):
    """-> (NodeProto, graph inputs, graph outputs) for op_case's arguments."""
    in_names = ["" if i is None else i[0] for i in inputs]
    outs, out_names = [], []
    for o in outputs:
        if o is None:
            out_names.append("")
            continue
        o = (o, "f") if isinstance(o, str) else o
        outs.append(o)
        out_names.append(o[0])
    node = helper.make_node(op, in_names, out_names, name=f"{op}_0", **(attrs or {}))
    return node, [i for i in inputs if i is not None], outs


def op_model(op, inputs, outputs, opset, attrs=None):
    node, ins, outs = op_node(op, inputs, outputs, attrs)
    return make_model(op, [node], ins, outs, opset)[0]


def op_case(name, op, inputs, outputs, opset, attrs=None, exact=False, **kw):
    """One node. inputs: [(name, ndarray | C) or None for an absent optional input];
    outputs: ["name" (float) or ("name", dtype key) or None for an absent optional output]."""
    node, ins, outs = op_node(op, inputs, outputs, attrs)
    return graph_case(name, [node], ins, outs, opset, exact, **kw)


def nearest_resize_ref(x, scales):
    """ONNX Resize, mode nearest, half_pixel, round_prefer_floor, given scales (onnx/reference/ops/op_resize.py:
    output size floor(in * scale) in double)."""
    out_shape = (scales.astype(np.float64) * np.array(x.shape)).astype(int)
    idx = []
    for d, (n_in, n_out) in enumerate(zip(x.shape, out_shape)):
        xo = (np.arange(n_out) + 0.5) / np.float64(scales[d]) - 0.5
        i = np.ceil(xo - 0.5).astype(int)  # round half down
        idx.append(np.clip(i, 0, n_in - 1))
    return x[np.ix_(*idx)]


def f32(r, *shape, scale=1.0):
    return (r.standard_normal(shape) * scale).astype(np.float32)


def u32(r, *shape, lo=-1.0, hi=1.0):
    return r.uniform(lo, hi, shape).astype(np.float32)


def i64(v):
    return C(np.array(v, dtype=np.int64))


# ------------------------------------------------------------------------------------------------ Attention (23)
def attention_cases():
    def att(name, q, k, v, mask=None, past=None, n_out=1, **attrs):
        r = rng_for(name)
        ins = [("Q", f32(r, *q)), ("K", f32(r, *k)), ("V", f32(r, *v))]
        if mask is not None:
            kind, shape = mask
            if kind == "bool":
                m = r.random(shape) < 0.7
                m[..., 0] = True  # keep every row attending to something (see attn_mask_bool_all_false_row)
            elif kind == "bool_row_off":
                m = r.random(shape) < 0.7
                m[..., 0] = True
                m[..., 1, :] = False
            elif kind == "float":
                m = f32(r, *shape)
            else:  # float with -inf holes, one key always kept
                m = f32(r, *shape)
                m[r.random(shape) < 0.3] = -np.inf
                m[..., 0] = 0.0
            ins.append(("attn_mask", m))
        elif past is not None:
            ins.append(None)
        if past is not None:
            ins += [("past_key", f32(r, *past[0])), ("past_value", f32(r, *past[1]))]
        outs = ["Y", "present_key", "present_value", "qk_matmul_output"][:n_out]
        if past is None and n_out == 4:
            outs[1] = outs[2] = None
        c = op_case(name, "Attention", ins, outs, 23, attrs)
        c.att_inputs, c.att_attrs = ins, attrs
        return c

    att("attn_4d_mha", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8])
    att("attn_4d_v_head_size", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 6])
    att("attn_4d_gqa", [2, 6, 5, 8], [2, 2, 7, 8], [2, 2, 7, 8])
    att("attn_4d_mqa", [1, 4, 3, 8], [1, 1, 6, 8], [1, 1, 6, 8])
    att("attn_4d_q_len_1", [2, 4, 1, 16], [2, 4, 9, 16], [2, 4, 9, 16])
    att("attn_4d_large", [1, 8, 64, 64], [1, 8, 64, 64], [1, 8, 64, 64])
    att("attn_3d_mha", [2, 5, 32], [2, 7, 32], [2, 7, 32], q_num_heads=4, kv_num_heads=4)
    att("attn_3d_gqa", [2, 5, 48], [2, 7, 16], [2, 7, 12], q_num_heads=6, kv_num_heads=2)
    att("attn_3d_mqa", [1, 4, 32], [1, 4, 8], [1, 4, 8], q_num_heads=4, kv_num_heads=1)
    att("attn_scale", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], scale=0.3)
    att("attn_softcap", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], softcap=1.5)
    att("attn_softcap_scale", [2, 5, 32], [2, 7, 32], [2, 7, 32], q_num_heads=4, kv_num_heads=4, softcap=3.0,
        scale=0.9)
    att("attn_mask_bool_2d", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], mask=("bool", [5, 7]))
    att("attn_mask_bool_4d", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], mask=("bool", [2, 4, 5, 7]))
    att("attn_mask_bool_b1st", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], mask=("bool", [2, 1, 5, 7]))
    att("attn_mask_bool_3d", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], mask=("bool", [4, 5, 7]))
    att("attn_mask_bool_all_false_row", [1, 2, 4, 8], [1, 2, 6, 8], [1, 2, 6, 8], mask=("bool_row_off", [4, 6]))
    att("attn_mask_float_2d", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], mask=("float", [5, 7]))
    att("attn_mask_float_4d", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], mask=("float", [2, 4, 5, 7]))
    att("attn_mask_float_1hst", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], mask=("float", [1, 4, 5, 7]))
    att("attn_mask_float_neginf", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], mask=("float_inf", [2, 4, 5, 7]))
    att("attn_mask_3d_inputs", [2, 5, 32], [2, 7, 16], [2, 7, 16], mask=("float", [5, 7]), q_num_heads=4,
        kv_num_heads=2)
    att("attn_causal_self", [2, 4, 6, 8], [2, 4, 6, 8], [2, 4, 6, 8], is_causal=1)
    att("attn_causal_3d_gqa", [2, 6, 48], [2, 6, 16], [2, 6, 16], q_num_heads=6, kv_num_heads=2, is_causal=1)
    att("attn_causal_q_shorter", [1, 2, 3, 8], [1, 2, 7, 8], [1, 2, 7, 8], is_causal=1)
    att("attn_causal_q_longer", [1, 2, 7, 8], [1, 2, 3, 8], [1, 2, 3, 8], is_causal=1)
    att("attn_causal_mask_bool", [2, 4, 6, 8], [2, 4, 6, 8], [2, 4, 6, 8], mask=("bool", [6, 6]), is_causal=1)
    att("attn_causal_mask_float", [2, 4, 6, 8], [2, 4, 6, 8], [2, 4, 6, 8], mask=("float", [2, 1, 6, 6]),
        is_causal=1)
    att("attn_past_4d", [2, 4, 3, 8], [2, 4, 3, 8], [2, 4, 3, 8], past=([2, 4, 5, 8], [2, 4, 5, 8]), n_out=3)
    att("attn_past_4d_gqa", [2, 4, 3, 8], [2, 2, 3, 8], [2, 2, 3, 6], past=([2, 2, 5, 8], [2, 2, 5, 6]), n_out=3)
    att("attn_past_3d", [2, 3, 32], [2, 3, 16], [2, 3, 16], past=([2, 2, 4, 8], [2, 2, 4, 8]), n_out=3,
        q_num_heads=4, kv_num_heads=2)
    att("attn_past_decode_causal", [2, 4, 1, 8], [2, 4, 1, 8], [2, 4, 1, 8], past=([2, 4, 6, 8], [2, 4, 6, 8]),
        n_out=3, is_causal=1)
    att("attn_past_prefill_causal", [1, 4, 3, 8], [1, 4, 3, 8], [1, 4, 3, 8], past=([1, 4, 4, 8], [1, 4, 4, 8]),
        n_out=3, is_causal=1)
    att("attn_past_mask_float", [2, 4, 3, 8], [2, 4, 3, 8], [2, 4, 3, 8], past=([2, 4, 5, 8], [2, 4, 5, 8]),
        mask=("float", [3, 8]), n_out=3)
    att("attn_past_mask_bool", [2, 4, 3, 8], [2, 4, 3, 8], [2, 4, 3, 8], past=([2, 4, 5, 8], [2, 4, 5, 8]),
        mask=("bool", [2, 1, 3, 8]), n_out=3)
    c = att("attn_past_only_present_key", [1, 2, 2, 8], [1, 2, 2, 8], [1, 2, 2, 8],
            past=([1, 2, 3, 8], [1, 2, 3, 8]), n_out=2)
    # ORT needs present_value whenever past_value is given: its reference is the same node with all three outputs
    c.ort_model = op_model("Attention", c.att_inputs, ["Y", "present_key", "present_value"], 23, c.att_attrs)
    for mode in range(4):
        att(f"attn_qk_output_mode{mode}", [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], mask=("float", [5, 7]), n_out=4,
            softcap=2.0, qk_matmul_output_mode=mode)
    # ORT writes the lowest float where the spec's bias is -inf (masked positions of qk_matmul_output, mode 2)
    lowest_to_inf = (lambda n, a: np.where(a == np.finfo(np.float32).min, np.float32(-np.inf), a)
                     if n == "qk_matmul_output" else a)
    att("attn_qk_output_causal_mode2", [1, 2, 5, 8], [1, 2, 5, 8], [1, 2, 5, 8], n_out=4, is_causal=1,
        qk_matmul_output_mode=2).ort_fix = lowest_to_inf
    att("attn_qk_output_boolmask_mode2", [1, 2, 5, 8], [1, 2, 6, 8], [1, 2, 6, 8], mask=("bool", [5, 6]), n_out=4,
        qk_matmul_output_mode=2).ort_fix = lowest_to_inf
    att("attn_qk_output_past_mode3", [1, 2, 3, 8], [1, 2, 3, 8], [1, 2, 3, 8], past=([1, 2, 4, 8], [1, 2, 4, 8]),
        n_out=4, qk_matmul_output_mode=3)
    # ORT wants a 2-D..4-D mask whose dim -2 is q_len; the spec allows any mask broadcastable to [B, Hq, Sq, T].
    # Reference: the same Attention on the mask expanded by an Expand node.
    for name, kind, shape, full in (("attn_mask_bool_1d", "bool", [7], [5, 7]),
                                    ("attn_mask_float_padding", "float_inf", [2, 1, 1, 7], [2, 1, 5, 7])):
        c = att(name, [2, 4, 5, 8], [2, 4, 7, 8], [2, 4, 7, 8], mask=(kind, shape))
        nodes = [helper.make_node("Expand", ["attn_mask", "full_shape"], ["mask_full"]),
                 helper.make_node("Attention", ["Q", "K", "V", "mask_full"], ["Y"])]
        c.ort_model = make_model(name, nodes, c.att_inputs + [("full_shape", i64(full))], [("Y", "f")], 23)[0]
    att("attn_4d_odd_sizes", [3, 3, 4, 5], [3, 3, 6, 5], [3, 3, 6, 7], scale=0.77)
    att("attn_past_3d_causal_gqa", [2, 2, 48], [2, 2, 16], [2, 2, 16], past=([2, 2, 5, 8], [2, 2, 5, 8]), n_out=3,
        q_num_heads=6, kv_num_heads=2, is_causal=1)
    att("attn_past_causal_mask_softcap", [1, 4, 3, 8], [1, 4, 3, 8], [1, 4, 3, 8],
        past=([1, 4, 2, 8], [1, 4, 2, 8]), mask=("float", [1, 4, 3, 5]), n_out=3, is_causal=1, softcap=4.0)
    att("attn_softmax_precision", [1, 2, 3, 8], [1, 2, 4, 8], [1, 2, 4, 8], softmax_precision=1)


# ------------------------------------------------------------------------------------------------ activations
def gelu_cases():
    for approx in ("none", "tanh"):
        name = f"gelu20_{approx}"
        r = rng_for(name)
        x = f32(r, 3, 4, 50, scale=3.0)
        x[0, 0, :6] = [-12.0, -6.0, -0.0, 0.0, 6.0, 12.0]
        op_case(name, "Gelu", [("X", x)], ["Y"], 20, {"approximate": approx})
    op_case("gelu20_default", "Gelu", [("X", f32(rng_for("gelu20_default"), 2, 33))], ["Y"], 20)


def unary_cases():
    # (op, opset, attrs, input range): 22 where ONNX bumped the version (bfloat16), 23 otherwise
    table = [
        ("Elu", 22, {"alpha": 0.7}, None), ("Selu", 22, {}, None), ("Celu", 23, {"alpha": 1.3}, None),
        ("HardSigmoid", 22, {"alpha": 0.3, "beta": 0.4}, None), ("HardSwish", 22, {}, None),
        ("Softplus", 22, {}, None), ("Softsign", 22, {}, None), ("ThresholdedRelu", 22, {"alpha": 0.4}, None),
        ("Mish", 22, {}, None), ("Sin", 22, {}, None), ("Cos", 22, {}, None), ("Tan", 22, {}, (-1.4, 1.4)),
        ("Round", 22, {}, None), ("Relu", 23, {}, None), ("LeakyRelu", 23, {"alpha": 0.05}, None),
        ("Sigmoid", 23, {}, None), ("Tanh", 23, {}, None), ("Erf", 23, {}, None), ("Exp", 23, {}, None),
        ("Log", 23, {}, (0.01, 5.0)), ("Sqrt", 23, {}, (0.0, 5.0)), ("Abs", 23, {}, None), ("Neg", 23, {}, None),
        ("Reciprocal", 23, {}, (0.1, 3.0)), ("Floor", 23, {}, None), ("Ceil", 23, {}, None),
        ("Sign", 23, {}, None),
    ]
    for op, opset, attrs, rng in table:
        name = f"{op.lower()}{opset}"
        r = rng_for(name)
        x = u32(r, 3, 37, lo=rng[0], hi=rng[1]) if rng else f32(r, 3, 37, scale=2.0)
        if op == "Round":
            x[0, :6] = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5]
        op_case(name, op, [("X", x)], ["Y"], opset, attrs, exact=op in ("Round", "Floor", "Ceil", "Abs", "Neg",
                                                                         "Sign", "Relu"))
    r = rng_for("clip23")
    op_case("clip23", "Clip", [("X", f32(r, 4, 9)), ("min", C(np.float32(-0.5))), ("max", C(np.float32(0.8)))],
            ["Y"], 23, exact=True)
    op_case("clip23_min_only", "Clip", [("X", f32(r, 4, 9)), ("min", C(np.float32(-0.2))), None], ["Y"], 23,
            exact=True)
    op_case("clip23_max_only", "Clip", [("X", f32(r, 4, 9)), None, ("max", C(np.float32(0.1)))], ["Y"], 23,
            exact=True)
    op_case("clip23_int64", "Clip", [("X", r.integers(-20, 20, (3, 7)).astype(np.int64)),
                                     ("min", C(np.int64(-5))), ("max", C(np.int64(6)))], [("Y", "i64")], 23)
    op_case("prelu23", "PRelu", [("X", f32(r, 2, 3, 4, 5)), ("slope", C(u32(r, 3, 1, 1)))], ["Y"], 23)


def binary_cases():
    for op in ("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Sum", "Mean"):
        name = f"{op.lower()}23_bcast"
        r = rng_for(name)
        a = f32(r, 2, 3, 4)
        b = f32(r, 3, 1)
        attrs = {}
        if op == "Pow":
            a = u32(r, 2, 3, 4, lo=0.1, hi=3.0)
        if op == "Div":
            b = u32(r, 3, 1, lo=0.5, hi=2.0)
        if op == "Mod":
            attrs = {"fmod": 1}
            b = u32(r, 3, 1, lo=0.5, hi=2.0)
        op_case(name, op, [("A", a), ("B", b)], ["C"], 23, attrs)
    r = rng_for("mod23_int64")
    op_case("mod23_int64", "Mod", [("A", r.integers(-20, 20, (3, 6)).astype(np.int64)),
                                   ("B", C(np.array([3, -3, 4, -5, 7, 2], np.int64)))], [("C", "i64")], 23)
    r = rng_for("int_binary23")
    a = r.integers(-50, 50, (3, 4)).astype(np.int64)
    b = r.integers(1, 9, (4,)).astype(np.int64)
    for op in ("Add", "Sub", "Mul", "Div", "Max", "Min"):
        op_case(f"{op.lower()}23_int64", op, [("A", a), ("B", b)], [("C", "i64")], 23)
    for op in ("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"):
        x = r.integers(-3, 3, (3, 5)).astype(np.float32)
        y = r.integers(-3, 3, (5,)).astype(np.float32)
        op_case(f"{op.lower()}23", op, [("A", x), ("B", y)], [("C", "b")], 23)
    p = r.random((4, 6)) < 0.5
    q = r.random((4, 6)) < 0.5
    for op in ("And", "Or", "Xor"):
        op_case(f"{op.lower()}23", op, [("A", p), ("B", q)], [("C", "b")], 23)
    op_case("not23", "Not", [("A", p)], [("C", "b")], 23)
    x = f32(r, 3, 5)
    x[0, :3] = [np.nan, np.inf, -np.inf]
    op_case("isnan23", "IsNaN", [("X", x)], [("Y", "b")], 23)
    op_case("isinf23", "IsInf", [("X", x)], [("Y", "b")], 23)
    op_case("where23_float", "Where", [("c", p), ("x", f32(r, 4, 6)), ("y", f32(r, 6))], ["z"], 23, exact=True)
    op_case("where23_int64", "Where", [("c", p), ("x", r.integers(0, 9, (1, 6)).astype(np.int64)),
                                       ("y", r.integers(0, 9, (4, 1)).astype(np.int64))], [("z", "i64")], 23)


# ------------------------------------------------------------------------------------------------ reductions (18+)
def reduce_cases():
    ops = ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceL1", "ReduceProd",
           "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"]
    variants = [
        ("axes1", [1], 1, 0), ("axes02_nokeep", [0, 2], 0, 0), ("axes_neg1", [-1], 1, 0),
        ("no_axes", None, 1, 0), ("no_axes_nokeep", None, 0, 0), ("noop_empty", None, 1, 1),
        ("empty_axes_tensor", [], 1, 0), ("noop_axes_given", [2], 0, 1),
    ]
    for op in ops:
        for vname, axes, keep, noop in variants:
            if op not in ("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2") and \
                    vname not in ("axes1", "axes02_nokeep", "no_axes", "noop_empty"):
                continue
            name = f"{op.lower()}18_{vname}"
            r = rng_for(name)
            x = u32(r, 3, 4, 5, lo=0.1, hi=1.5) if op in ("ReduceLogSum", "ReduceProd") else f32(r, 3, 4, 5)
            ins = [("data", x)]
            if axes is not None:
                ins.append(("axes", i64(axes)))
            attrs = {"keepdims": keep}
            if noop:
                attrs["noop_with_empty_axes"] = 1
            op_case(name, op, ins, ["reduced"], 18, attrs, exact=op in ("ReduceMax", "ReduceMin"))
    r = rng_for("reduce_4d")
    x = f32(r, 2, 3, 6, 7)
    op_case("reducemean18_4d_hw", "ReduceMean", [("data", x), ("axes", i64([2, 3]))], ["reduced"], 18)
    op_case("reducesum18_4d_13", "ReduceSum", [("data", x), ("axes", i64([1, 3]))], ["reduced"], 18,
            {"keepdims": 0})
    op_case("reducel2_18_4d_c", "ReduceL2", [("data", x), ("axes", i64([1]))], ["reduced"], 18)
    op_case("reducemax20_float", "ReduceMax", [("data", x), ("axes", i64([0, 2]))], ["reduced"], 20, exact=True)
    op_case("reducemin20_float", "ReduceMin", [("data", x), ("axes", i64([-1]))], ["reduced"], 20, exact=True)
    xi = r.integers(-100, 100, (3, 4, 5)).astype(np.int64)
    op_case("reducemax20_int64", "ReduceMax", [("data", xi), ("axes", i64([1]))], [("reduced", "i64")], 20)
    op_case("reducemin18_int32", "ReduceMin", [("data", xi.astype(np.int32)), ("axes", i64([0, 2]))],
            [("reduced", "i32")], 18, {"keepdims": 0})
    op_case("reducesum18_int64", "ReduceSum", [("data", xi), ("axes", i64([2]))], [("reduced", "i64")], 18)
    op_case("reducesum13_axes_input", "ReduceSum", [("data", x), ("axes", i64([0, -1]))], ["reduced"], 13)
    op_case("argmax23_last", "ArgMax", [("data", np.round(f32(r, 3, 4, 5)))], [("y", "i64")], 23,
            {"axis": 1, "keepdims": 0, "select_last_index": 1})
    op_case("argmin23", "ArgMin", [("data", f32(r, 3, 4, 5))], [("y", "i64")], 23, {"axis": -1})


# ------------------------------------------------------------------------------------------------ normalization
def norm_cases():
    def ln(name, shape, axis, with_b=True, scale_shape=None, n_out=1, eps=None):
        r = rng_for(name)
        x = f32(r, *shape, scale=2.0) + 0.5
        nshape = shape[axis:] if axis >= 0 else shape[len(shape) + axis:]
        ins = [("X", x), ("Scale", C(f32(r, *(scale_shape or nshape)))),
               ("B", C(f32(r, *(scale_shape or nshape)))) if with_b else None]
        attrs = {"axis": axis}
        if eps is not None:
            attrs["epsilon"] = eps
        op_case(name, "LayerNormalization", ins, ["Y", "Mean", "InvStdDev"][:n_out], 17, attrs)

    ln("layernorm17_last", [2, 3, 8], -1)
    ln("layernorm17_axis1", [2, 3, 4, 5], 1)
    ln("layernorm17_axis_neg2", [2, 3, 4, 5], -2)
    ln("layernorm17_axis0", [3, 4, 5], 0)
    ln("layernorm17_no_bias", [4, 16], -1, with_b=False)
    ln("layernorm17_stats", [2, 3, 4, 5], 2, n_out=3)
    ln("layernorm17_scale_bcast", [2, 3, 4, 5], -2, scale_shape=[1, 5])
    ln("layernorm17_eps", [2, 6, 7], -1, eps=0.1)
    r = rng_for("layernorm23_opset")
    op_case("layernorm23_opset", "LayerNormalization", [("X", f32(r, 2, 5, 12)), ("Scale", C(f32(r, 12))),
                                                        ("B", C(f32(r, 12)))], ["Y"], 23, {"axis": -1})

    for opset in (15, 23):
        name = f"batchnorm{opset}"
        r = rng_for(name)
        ins = [("X", f32(r, 2, 3, 4, 5)), ("scale", C(u32(r, 3, lo=0.5, hi=1.5))), ("B", C(f32(r, 3))),
               ("input_mean", C(f32(r, 3))), ("input_var", C(u32(r, 3, lo=0.5, hi=2.0)))]
        op_case(name, "BatchNormalization", ins, ["Y"], opset, {"epsilon": 1e-3})
    r = rng_for("batchnorm15_training_mode0")
    op_case("batchnorm15_training_mode0", "BatchNormalization",
            [("X", f32(r, 2, 3, 5)), ("scale", C(f32(r, 3))), ("B", C(f32(r, 3))), ("input_mean", C(f32(r, 3))),
             ("input_var", C(u32(r, 3, lo=0.5, hi=2.0)))], ["Y"], 15, {"training_mode": 0, "momentum": 0.8})
    r = rng_for("batchnorm15_2d")
    op_case("batchnorm15_2d", "BatchNormalization",
            [("X", f32(r, 4, 6)), ("scale", C(f32(r, 6))), ("B", C(f32(r, 6))), ("input_mean", C(f32(r, 6))),
             ("input_var", C(u32(r, 6, lo=0.5, hi=2.0)))], ["Y"], 15)
    r = rng_for("instancenorm22")
    op_case("instancenorm22", "InstanceNormalization",
            [("X", f32(r, 2, 3, 5, 6)), ("scale", C(f32(r, 3))), ("B", C(f32(r, 3)))], ["Y"], 22, {"epsilon": 1e-4})

    for axis in (0, 1, 2, -3, -1):
        name = f"softmax13_axis{axis}".replace("-", "neg")
        op_case(name, "Softmax", [("X", f32(rng_for(name), 2, 3, 4, 5, scale=2.0))], ["Y"], 13, {"axis": axis})
    for axis in (1, -2):
        name = f"logsoftmax13_axis{axis}".replace("-", "neg")
        op_case(name, "LogSoftmax", [("X", f32(rng_for(name), 2, 3, 4, 5, scale=2.0))], ["Y"], 13, {"axis": axis})
    x = f32(rng_for("softmax13_neginf"), 3, 6)
    x[0, 2] = -np.inf
    x[1, :] = -np.inf
    op_case("softmax13_neginf", "Softmax", [("X", x)], ["Y"], 13, {"axis": -1})
    op_case("softmax23_axis1", "Softmax", [("X", f32(rng_for("softmax23"), 3, 9, 4))], ["Y"], 23, {"axis": 1})


# ------------------------------------------------------------------------------------------------ Split / Pad
def split_pad_cases():
    def split(name, shape, axis, n_out=None, split_sizes=None, opset=18, dtype=np.float32, out_dt="f"):
        r = rng_for(name)
        x = f32(r, *shape).astype(dtype) if dtype == np.float32 else r.integers(-99, 99, shape).astype(dtype)
        ins = [("input", x)]
        attrs = {"axis": axis}
        if split_sizes is not None:
            ins.append(("split", i64(split_sizes)))
            k = len(split_sizes)
        else:
            attrs["num_outputs"] = n_out
            k = n_out
        op_case(name, "Split", ins, [(f"out{i}", out_dt) for i in range(k)], opset, attrs, exact=True)

    split("split18_num3_uneven", [2, 7, 3], 1, n_out=3)
    split("split18_num2_last_axis", [3, 5], -1, n_out=2)
    split("split18_num4_even", [8, 3], 0, n_out=4)
    # 4 rows in 3 outputs: ceil(4/3) = 2 -> [2, 2, 0] (ONNX reference); ORT refuses the empty last chunk
    split("split18_num3_dim4", [4, 2], 0, n_out=3)
    CASES[-1].ref = lambda f: np.split(f["input"], [2, 4], axis=0)
    split("split18_sizes", [2, 7], 1, split_sizes=[2, 5])
    split("split18_int64", [7, 4], 0, n_out=3, dtype=np.int64, out_dt="i64")
    split("split23_num2", [3, 9], 1, n_out=2, opset=23)

    def pad(name, shape, pads, opset, mode=None, value=None, axes=None, dtype=np.float32, out_dt="f"):
        r = rng_for(name)
        x = f32(r, *shape) if dtype == np.float32 else r.integers(-99, 99, shape).astype(dtype)
        ins = [("data", x), ("pads", i64(pads))]
        ins.append(("constant_value", C(np.array(value, dtype=dtype))) if value is not None else None)
        if axes is not None:
            ins.append(("axes", i64(axes)))
        while ins[-1] is None:
            ins.pop()
        op_case(name, "Pad", ins, [("output", out_dt)], opset, {"mode": mode} if mode else {}, exact=True)

    pad("pad18_axes_constant", [2, 3, 4, 5], [1, 2, 0, 1], 18, value=1.5, axes=[1, 3])
    pad("pad18_axes_negative", [2, 3, 4, 5], [2, 0, 1, 3], 18, value=-2.0, axes=[-1, -2])
    pad("pad18_axes_no_value", [2, 3, 4], [1, 1], 18, axes=[2])
    pad("pad18_axes_reflect", [1, 3, 4, 5], [1, 2, 2, 1], 18, mode="reflect", axes=[2, 3])
    pad("pad18_axes_edge", [1, 3, 4, 5], [0, 3, 2, 0], 18, mode="edge", axes=[1, 3])
    pad("pad18_negative_pads", [2, 3, 6], [0, -1, 2, 0, 1, -3], 18, value=0.5)
    pad("pad18_axes_negative_pads", [2, 3, 6], [-1, 2], 18, value=0.5, axes=[2])
    pad("pad19_wrap", [1, 2, 3, 4], [0, 0, 1, 2, 0, 0, 2, 1], 19, mode="wrap")
    pad("pad19_wrap_axes", [2, 3, 4], [2, 3, 1, 2], 19, mode="wrap", axes=[1, 2])
    pad("pad19_wrap_large", [2, 3], [0, 4, 0, 5], 19, mode="wrap")
    CASES[-1].ref = lambda f: [np.pad(f["data"], ((0, 0), (4, 5)), mode="wrap")]  # ORT: see ORT_DEVIATIONS
    pad("pad19_wrap_negative", [2, 5], [1, -1, 1, 2], 19, mode="wrap")
    pad("pad18_reflect_max", [2, 4], [3, 3], 18, mode="reflect", axes=[1])
    pad("pad18_edge_int64", [2, 3], [2, 1, 0, 2], 18, mode="edge", dtype=np.int64, out_dt="i64")
    pad("pad18_constant_crop_only", [3, 5], [-1, -2, 0, -1], 18, value=9.0)
    pad("pad21_int64", [3, 4], [1, 0, 2, 1], 21, value=7, dtype=np.int64, out_dt="i64")
    pad("pad23_constant", [2, 3], [0, 1, 1, 0], 23, value=3.0)
    pad("pad23_reflect_axes", [2, 5], [2, 3], 23, mode="reflect", axes=[-1])
    pad("pad23_edge_int32", [3, 4], [1, 2, 2, 1], 23, mode="edge", dtype=np.int32, out_dt="i32")


# ------------------------------------------------------------------------------------------------ Resize 18/19
def resize_cases():
    def rs(name, shape, opset, scales=None, sizes=None, roi=None, exact=False, **attrs):
        r = rng_for(name)
        x = f32(r, *shape)
        ins = [("X", x), ("roi", C(np.array(roi, np.float32))) if roi is not None else None]
        if scales is not None:
            ins.append(("scales", C(np.array(scales, np.float32))))
        else:
            ins.append(None)
            ins.append(("sizes", i64(sizes)))
        op_case(name, "Resize", ins, ["Y"], opset, attrs, exact=exact)

    s = [1, 2, 8, 10]
    rs("resize18_linear_antialias_down", s, 18, scales=[1, 1, 0.5, 0.6], mode="linear", antialias=1)
    rs("resize18_cubic_antialias_down", s, 18, scales=[1, 1, 0.6, 0.5], mode="cubic", antialias=1)
    rs("resize18_linear_antialias_sizes", s, 18, sizes=[1, 2, 5, 3], mode="linear", antialias=1)
    rs("resize18_linear_antialias_up", s, 18, scales=[1, 1, 1.5, 2.0], mode="linear", antialias=1)
    rs("resize18_cubic_antialias_mixed", s, 18, sizes=[1, 2, 12, 4], mode="cubic", antialias=1)
    rs("resize18_antialias_asymmetric", s, 18, scales=[1, 1, 0.5, 0.5], mode="linear", antialias=1,
       coordinate_transformation_mode="asymmetric")
    rs("resize18_axes_scales_linear", s, 18, scales=[2.0, 1.5], mode="linear", axes=[2, 3])
    rs("resize18_axes_sizes_nearest", s, 18, sizes=[7], mode="nearest", axes=[3], exact=True)
    rs("resize18_axes_neg_sizes_cubic", s, 18, sizes=[5, 13], mode="cubic", axes=[-2, -1])
    # without axes the policy's scale applies to every axis, N and C included (here 0.7: C 2 -> 1)
    rs("resize18_keep_not_larger", s, 18, sizes=[1, 2, 7, 7], mode="nearest", keep_aspect_ratio_policy="not_larger",
       exact=True)
    rs("resize18_keep_not_larger_linear", s, 18, sizes=[1, 2, 7, 7], mode="linear",
       keep_aspect_ratio_policy="not_larger")
    rs("resize18_keep_not_smaller", s, 18, sizes=[1, 2, 7, 7], mode="linear",
       keep_aspect_ratio_policy="not_smaller")
    rs("resize18_keep_axes_not_larger", s, 18, sizes=[6, 20], mode="nearest", axes=[2, 3],
       keep_aspect_ratio_policy="not_larger", exact=True)
    rs("resize18_keep_axes_not_smaller", s, 18, sizes=[3, 4], mode="linear", axes=[2, 3],
       keep_aspect_ratio_policy="not_smaller")
    rs("resize18_cubic_exclude_outside", s, 18, scales=[1, 1, 1.7, 0.8], mode="cubic", exclude_outside=1,
       cubic_coeff_a=-0.5)
    rs("resize18_linear_align_corners", s, 18, sizes=[1, 2, 5, 17], mode="linear",
       coordinate_transformation_mode="align_corners")
    rs("resize18_tf_crop_axes", s, 18, sizes=[5, 6], roi=[0.2, 0.1, 0.9, 1.2], mode="linear", axes=[2, 3],
       coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-1.0)
    rs("resize18_linear_align_corners_scales_down", s, 18, scales=[1, 1, 0.6, 0.6], mode="linear",
       coordinate_transformation_mode="align_corners")
    rs("resize18_tf_crop_nearest", s, 18, sizes=[1, 2, 6, 6], roi=[0, 0, -0.2, 0.1, 1, 1, 0.8, 1.3],
       mode="nearest", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=5.0, exact=True)
    rs("resize18_tf_crop_huge_roi", s, 18, sizes=[1, 2, 4, 3], roi=[0, 0, -1e30, 0.2, 1, 1, 1e30, 1e30],
       mode="linear", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=3.0)
    rs("resize18_pytorch_half_pixel", s, 18, sizes=[1, 2, 1, 5], mode="linear",
       coordinate_transformation_mode="pytorch_half_pixel")
    for mode in ("linear", "cubic"):
        rs(f"resize19_hps_{mode}_up", s, 19, scales=[1, 1, 2.0, 1.5], mode=mode,
           coordinate_transformation_mode="half_pixel_symmetric")
        rs(f"resize19_hps_{mode}_down", s, 19, sizes=[1, 2, 5, 7], mode=mode,
           coordinate_transformation_mode="half_pixel_symmetric")
    rs("resize19_hps_nearest", s, 19, scales=[1, 1, 1.6, 0.75], mode="nearest",
       coordinate_transformation_mode="half_pixel_symmetric", exact=True)
    rs("resize19_hps_antialias", s, 19, scales=[1, 1, 0.5, 0.4], mode="linear", antialias=1,
       coordinate_transformation_mode="half_pixel_symmetric")
    for nm in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
        rs(f"resize19_nearest_{nm}", s, 19, scales=[1, 1, 1.5, 0.75], mode="nearest", nearest_mode=nm, exact=True)
    rs("resize19_nearest_int_sizes", [1, 1, 4, 4], 19, sizes=[1, 1, 7, 3], mode="nearest", exact=True)
    rs("resize19_linear_3d", [2, 3, 9], 19, scales=[1, 1, 1.8], mode="linear")
    # 10 * float32(0.7) = 6.99999988: floor gives 6 (ONNX reference, computed in double); ORT computes the
    # product in float32, which rounds to 7.0, and makes 7 columns. Reference: ONNX's semantics in numpy.
    rs("resize18_scale_fp32_rounding", [1, 1, 3, 10], 18, scales=[1, 1, 1, 0.7], mode="nearest", exact=True)
    CASES[-1].ref = lambda f: [nearest_resize_ref(f["X"], np.array([1, 1, 1, 0.7], np.float32))]


# ------------------------------------------------------------------------------------------------ conv / pooling (22)
def conv_pool_cases():
    def conv(name, x, w, b=None, op="Conv", opset=22, **attrs):
        r = rng_for(name)
        ins = [("X", f32(r, *x)), ("W", C(f32(r, *w, scale=0.5)))]
        if b is not None:
            ins.append(("B", C(f32(r, b))))
        op_case(name, op, ins, ["Y"], opset, attrs)

    conv("conv22_basic", [1, 3, 9, 9], [8, 3, 3, 3], 8, pads=[1, 1, 1, 1])
    conv("conv22_stride_dil_group", [2, 4, 11, 10], [6, 2, 3, 3], 6, strides=[2, 1], dilations=[2, 2], group=2,
         pads=[1, 2, 0, 1])
    conv("conv22_depthwise", [1, 6, 8, 8], [12, 1, 3, 3], 12, group=6, pads=[1, 1, 1, 1])
    conv("conv22_pointwise", [1, 16, 7, 7], [24, 16, 1, 1], 24)
    conv("conv22_1d", [2, 3, 17], [5, 3, 4], 5, strides=[2], pads=[1, 2])
    conv("conv22_same_upper", [1, 3, 8, 7], [4, 3, 4, 3], auto_pad="SAME_UPPER", strides=[2, 2])
    conv("conv22_same_lower", [1, 3, 8, 7], [4, 3, 4, 3], auto_pad="SAME_LOWER", strides=[2, 2])
    conv("convtranspose22_stride2", [1, 4, 5, 6], [4, 3, 3, 3], 3, op="ConvTranspose", strides=[2, 2],
         pads=[1, 1, 1, 1], output_padding=[1, 1])
    conv("convtranspose22_group_dil", [2, 4, 5, 5], [4, 2, 3, 2], 4, op="ConvTranspose", group=2, dilations=[2, 1],
         strides=[1, 2])
    conv("convtranspose22_output_shape", [1, 2, 4, 4], [2, 3, 3, 3], op="ConvTranspose", strides=[2, 2],
         output_shape=[9, 10])
    conv("convtranspose22_same_upper", [1, 2, 4, 5], [2, 3, 3, 3], op="ConvTranspose", strides=[2, 2],
         auto_pad="SAME_UPPER")
    conv("convtranspose22_1d", [1, 3, 7], [3, 2, 5], 2, op="ConvTranspose", strides=[3], pads=[1, 2])

    def pool(name, op, x, opset=22, exact=False, **attrs):
        op_case(name, op, [("X", f32(rng_for(name), *x))], ["Y"], opset, attrs, exact=exact)

    pool("maxpool22_k3s2p1", "MaxPool", [1, 3, 9, 9], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
         exact=True)
    pool("maxpool22_ceil", "MaxPool", [1, 2, 8, 8], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1, exact=True)
    pool("maxpool22_dil", "MaxPool", [1, 2, 10, 9], kernel_shape=[2, 3], dilations=[2, 2], pads=[1, 0, 1, 2],
         exact=True)
    pool("maxpool22_1d", "MaxPool", [2, 3, 15], kernel_shape=[4], strides=[3], exact=True)
    pool("maxpool22_same_upper", "MaxPool", [1, 2, 7, 8], kernel_shape=[3, 2], strides=[2, 2],
         auto_pad="SAME_UPPER", exact=True)
    pool("averagepool22_cip1", "AveragePool", [1, 3, 9, 9], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
         count_include_pad=1)
    pool("averagepool22_cip0_ceil", "AveragePool", [1, 3, 8, 8], kernel_shape=[3, 3], strides=[2, 2],
         pads=[1, 1, 1, 1], ceil_mode=1)
    pool("averagepool19_dil", "AveragePool", [1, 2, 9, 9], 19, kernel_shape=[3, 3], dilations=[2, 2])
    pool("averagepool19_dil_pads_cip0", "AveragePool", [1, 2, 9, 9], 19, kernel_shape=[3, 3], dilations=[2, 2],
         pads=[2, 2, 2, 2])
    pool("averagepool19_dil_pads_cip1", "AveragePool", [1, 2, 9, 9], 19, kernel_shape=[3, 3], dilations=[2, 2],
         pads=[2, 1, 2, 1], count_include_pad=1)
    pool("averagepool19_dil_ceil", "AveragePool", [1, 2, 10, 10], 19, kernel_shape=[3, 2], dilations=[2, 3],
         strides=[2, 2], ceil_mode=1)
    pool("averagepool19_dil_1d", "AveragePool", [2, 3, 16], 19, kernel_shape=[3], dilations=[3], strides=[2])
    # SAME_* with dilations: ORT pads for the undilated kernel (output 7x6 instead of the spec's ceil(in/stride)
    # = 9x8); its reference is the same pool with the spec's explicit pads ((out-1)*s + (k-1)*d + 1 - in = 4)
    for op, ex in (("AveragePool", False), ("MaxPool", True)):
        name = f"{op.lower()}22_dil_same"
        pool(name, op, [1, 2, 9, 8], exact=ex, kernel_shape=[3, 3], dilations=[2, 2], auto_pad="SAME_UPPER")
        CASES[-1].ort_model = op_model(op, [("X", CASES[-1].feeds["X"])], ["Y"], 22,
                                       {"kernel_shape": [3, 3], "dilations": [2, 2], "pads": [2, 2, 2, 2]})
    # ORT refuses SAME_* with dilations for Conv; its reference is the spec's explicit pads (W: 3 in all, the odd
    # one at the start for SAME_LOWER)
    conv("conv22_same_dil", [1, 3, 9, 8], [4, 3, 3, 2], 4, dilations=[2, 3], auto_pad="SAME_LOWER")
    c = CASES[-1]
    c.ort_model = op_model("Conv", [("X", c.feeds["X"])] + [(t.name, C(numpy_helper.to_array(t)))
                                                             for t in c.model.graph.initializer], ["Y"], 22,
                           {"dilations": [2, 3], "pads": [2, 2, 2, 1]})
    pool("globalaveragepool22", "GlobalAveragePool", [2, 5, 6, 7])
    pool("globalmaxpool22", "GlobalMaxPool", [2, 5, 6, 7], exact=True)
    pool("globalaveragepool22_1d", "GlobalAveragePool", [2, 5, 9])

    # few-node graphs: qinfer folds BatchNormalization into Conv and fuses the activation
    r = rng_for("conv22_bn15_relu")
    nodes = [helper.make_node("Conv", ["X", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"], epsilon=1e-5),
             helper.make_node("Relu", ["n"], ["Y"])]
    graph_case("conv22_bn15_relu", nodes,
               [("X", f32(r, 1, 3, 8, 8)), ("W", C(f32(r, 6, 3, 3, 3))), ("B", C(f32(r, 6))),
                ("s", C(u32(r, 6, lo=0.5, hi=1.5))), ("bb", C(f32(r, 6))), ("m", C(f32(r, 6))),
                ("v", C(u32(r, 6, lo=0.5, hi=2.0)))], [("Y", "f")], 22)
    nodes = [helper.make_node("Conv", ["X", "W"], ["c"], group=4, pads=[1, 1, 1, 1]),
             helper.make_node("Clip", ["c", "lo", "hi"], ["Y"])]
    graph_case("conv22_clip_fused", nodes,
               [("X", f32(r, 1, 4, 7, 7)), ("W", C(f32(r, 4, 1, 3, 3))), ("lo", C(np.float32(0))),
                ("hi", C(np.float32(0.6)))], [("Y", "f")], 22)

    r = rng_for("gemm23")
    op_case("gemm23", "Gemm", [("A", f32(r, 5, 7)), ("B", C(f32(r, 6, 7))), ("C", C(f32(r, 6)))], ["Y"], 23,
            {"transB": 1, "alpha": 0.7, "beta": 1.3})
    op_case("matmul23_batched", "MatMul", [("A", f32(r, 2, 3, 5, 7)), ("B", f32(r, 3, 7, 4))], ["Y"], 23)


# ------------------------------------------------------------------------------------------------ Cast / Shape
def cast_shape_cases():
    conv = [
        ("f", np.float32, "i32"), ("f", np.float32, "i64"), ("f", np.float32, "i8"), ("f", np.float32, "u8"),
        ("f", np.float32, "b"), ("f", np.float32, "d"), ("f", np.float32, "h"), ("i64", np.int64, "f"),
        ("i32", np.int32, "i64"), ("i64", np.int64, "i32"), ("b", np.bool_, "f"), ("i8", np.int8, "f"),
        ("u8", np.uint8, "i32"), ("d", np.float64, "f"), ("h", np.float16, "f"), ("b", np.bool_, "i64"),
    ]
    to = {k: v for k, v in DT.items()}
    for opset in (19, 21):
        for src, sdt, dst in conv:
            name = f"cast{opset}_{src}_to_{dst}"
            r = rng_for(name)
            if sdt == np.bool_:
                x = r.random((3, 7)) < 0.5
            elif np.issubdtype(sdt, np.integer):
                info = np.iinfo(sdt)
                x = r.integers(max(info.min, -120), min(info.max, 120), (3, 7)).astype(sdt)
            else:
                lo = 0.0 if dst in ("u8",) else -100.0
                x = r.uniform(lo, 100.0, (3, 7)).astype(sdt)
                if dst == "b":
                    x[0, :3] = 0
            op_case(name, "Cast", [("input", x)], [("output", dst)], opset, {"to": to[dst]}, exact=True)
    # edge values: NaN / inf / -0 to bool, float16 overflow and subnormals, int64 -> int32 wrap-around
    x = np.array([[np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-30, -2.5]], np.float32)
    op_case("cast21_special_to_bool", "Cast", [("input", x)], [("output", "b")], 21, {"to": TensorProto.BOOL},
            exact=True)
    x = np.array([[70000.0, -70000.0, 65519.0, 65520.0, 1e-7, -3e-6, 6.1e-5, np.nan, np.inf, 0.1]], np.float32)
    op_case("cast21_f_to_h_edge", "Cast", [("input", x)], [("output", "h")], 21, {"to": TensorProto.FLOAT16},
            exact=True)
    with np.errstate(over="ignore"):
        xh = x.astype(np.float16)
    op_case("cast21_h_to_f_edge", "Cast", [("input", xh)], [("output", "f")], 21,
            {"to": TensorProto.FLOAT}, exact=True)
    x = np.array([[2**31, -2**31 - 1, 2**40 + 5, -7, 2**63 - 1]], np.int64)
    op_case("cast21_i64_to_i32_wrap", "Cast", [("input", x)], [("output", "i32")], 21, {"to": TensorProto.INT32},
            exact=True)
    x = np.array([[1e300, -1e300, 1e-300, 3.141592653589793, np.nan]], np.float64)
    op_case("cast21_d_to_f_edge", "Cast", [("input", x)], [("output", "f")], 21, {"to": TensorProto.FLOAT},
            exact=True)
    x = np.array([[2**53 + 1, -(2**40) - 3, 16777217, 123]], np.int64)
    op_case("cast21_i64_to_f_round", "Cast", [("input", x)], [("output", "f")], 21, {"to": TensorProto.FLOAT},
            exact=True)
    r = rng_for("castlike21")
    op_case("castlike21_f_to_i64", "CastLike", [("input", u32(r, 4, 5, lo=-50, hi=50)),
                                                ("target", C(np.zeros((1,), np.int64)))], [("output", "i64")], 21,
            exact=True)

    def shape(name, shp, opset, **attrs):
        op_case(name, "Shape", [("data", f32(rng_for(name), *shp))], [("shape", "i64")], opset, attrs)

    shape("shape21_start_end", [2, 3, 4, 5], 21, start=1, end=-1)
    shape("shape21_start_neg", [2, 3, 4, 5], 21, start=-2)
    shape("shape21_end_clamped", [2, 3, 4], 21, end=10)
    shape("shape21_start_clamped", [2, 3, 4], 21, start=-10, end=2)
    shape("shape21_empty", [2, 3, 4], 21, start=2, end=1)
    shape("shape23_plain", [4, 1, 6], 23)
    op_case("size21", "Size", [("data", f32(rng_for("size21"), 3, 4, 5))], [("size", "i64")], 21)

    # Shape feeding computation (folded by qinfer)
    r = rng_for("shape21_reshape_chain")
    nodes = [helper.make_node("Shape", ["X"], ["s"], start=0, end=2),
             helper.make_node("Concat", ["s", "m1"], ["ns"], axis=0),
             helper.make_node("Reshape", ["X", "ns"], ["Y"])]
    graph_case("shape21_reshape_chain", nodes, [("X", f32(r, 2, 3, 4, 5)), ("m1", i64([-1]))], [("Y", "f")], 21,
               exact=True)


# ------------------------------------------------------------------------------------------------ newer versions
def layout_cases():
    for opset in (21, 23):
        def oc(name, op, ins, outs, attrs=None, opset=opset):
            op_case(f"{name}{opset}", op, ins, outs, opset, attrs, exact=True)

        r = rng_for(f"layout{opset}")
        x = f32(r, 2, 3, 4, 5)
        oc("reshape", "Reshape", [("data", x), ("shape", i64([0, -1, 5]))], ["reshaped"])
        oc("reshape_allowzero", "Reshape", [("data", x), ("shape", i64([6, 20]))], ["reshaped"], {"allowzero": 1})
        oc("squeeze", "Squeeze", [("data", f32(r, 1, 3, 1, 5)), ("axes", i64([0, -2]))], ["squeezed"])
        oc("squeeze_all", "Squeeze", [("data", f32(r, 1, 3, 1, 5))], ["squeezed"])
        oc("unsqueeze", "Unsqueeze", [("data", f32(r, 3, 5)), ("axes", i64([0, -1, 2]))], ["expanded"])
        oc("flatten", "Flatten", [("input", x)], ["output"], {"axis": 2})
        oc("flatten_neg", "Flatten", [("input", x)], ["output"], {"axis": -1})
        oc("transpose", "Transpose", [("data", x)], ["transposed"], {"perm": [3, 1, 0, 2]})
        oc("transpose_default", "Transpose", [("data", f32(r, 3, 4, 5))], ["transposed"])
        oc("identity", "Identity", [("input", x)], ["output"])
        oc("concat", "Concat", [("a", f32(r, 2, 3)), ("b", f32(r, 2, 1)), ("c", f32(r, 2, 4))], ["out"],
           {"axis": -1})
        oc("gather", "Gather", [("data", x), ("indices", C(np.array([[2, -1], [0, 1]], np.int64)))], ["out"],
           {"axis": 1})
        oc("gather_int32_idx", "Gather", [("data", f32(r, 5, 3)), ("indices", C(np.array([4, 0, -2], np.int32)))],
           ["out"], {"axis": 0})
        oc("gatherelements", "GatherElements",
           [("data", f32(r, 3, 4)), ("indices", C(r.integers(-3, 3, (2, 4)).astype(np.int64)))], ["out"],
           {"axis": 0})
        oc("slice", "Slice", [("data", x), ("starts", i64([1, -1])), ("ends", i64([3, -5])),
                              ("axes", i64([1, 3])), ("steps", i64([1, -2]))], ["out"])
        oc("slice_clamp", "Slice", [("data", x), ("starts", i64([-100, 2])), ("ends", i64([100, 2**62])),
                                    ("axes", i64([0, 2]))], ["out"])
        oc("expand", "Expand", [("input", f32(r, 3, 1)), ("shape", i64([2, 1, 4]))], ["output"])
        oc("tile", "Tile", [("input", f32(r, 2, 3)), ("repeats", i64([2, 3]))], ["output"])
        oc("constantofshape", "ConstantOfShape", [("input", i64([2, 3]))], [("output", "i64")],
           {"value": helper.make_tensor("v", TensorProto.INT64, [1], [7])})
        oc("constantofshape_float", "ConstantOfShape", [("input", i64([4]))], ["output"],
           {"value": helper.make_tensor("v", TensorProto.FLOAT, [1], [0.25])})
        oc("range_float", "Range", [("start", C(np.float32(1.0))), ("limit", C(np.float32(-2.0))),
                                    ("delta", C(np.float32(-0.5)))], ["output"])
        oc("range_int64", "Range", [("start", C(np.int64(3))), ("limit", C(np.int64(20))),
                                    ("delta", C(np.int64(4)))], [("output", "i64")])
        oc("depthtospace", "DepthToSpace", [("input", f32(r, 1, 8, 2, 3))], ["output"],
           {"blocksize": 2, "mode": "CRD"})
        oc("spacetodepth", "SpaceToDepth", [("input", f32(r, 1, 2, 4, 6))], ["output"], {"blocksize": 2})
        oc("trilu", "Trilu", [("input", f32(r, 2, 4, 5)), ("k", C(np.int64(1)))], ["output"], {"upper": 0})
        oc("trilu_upper_negk", "Trilu", [("input", f32(r, 5, 4)), ("k", C(np.int64(-1)))], ["output"])
        oc("gather_scalar", "Gather", [("data", x), ("indices", C(np.int64(-2)))], ["out"], {"axis": 2})
        oc("slice_reverse", "Slice", [("data", f32(r, 3, 6)), ("starts", i64([-1])), ("ends", i64([-2**63])),
                                      ("axes", i64([1])), ("steps", i64([-1]))], ["out"])
        oc("slice_extreme_steps", "Slice",
           [("data", f32(r, 2, 1, 3, 2)), ("starts", i64([-2**63, 2**63 - 1, -2**63, 1])),
            ("ends", i64([2**63 - 2, -2**63, 2**63 - 1, 2**63 - 1])), ("axes", i64([-1, -2, 1, 0])),
            ("steps", i64([2**63 - 1, -2**63, 2**63 - 1, -1]))], ["out"])
        oc("expand_lower_rank", "Expand", [("input", f32(r, 2, 3, 1)), ("shape", i64([4]))], ["output"])
        oc("tile_int64", "Tile", [("input", r.integers(0, 9, (2, 1, 3)).astype(np.int64)),
                                  ("repeats", i64([1, 3, 2]))], [("output", "i64")])
        oc("concat_empty", "Concat", [("a", np.zeros((2, 0), np.float32)), ("b", f32(r, 2, 3))], ["out"],
           {"axis": 1})
        oc("range_float_frac", "Range", [("start", C(np.float32(0.0))), ("limit", C(np.float32(1.0))),
                                         ("delta", C(np.float32(0.3)))], ["output"])
        oc("constantofshape_scalar", "ConstantOfShape", [("input", C(np.zeros((0,), np.int64)))], ["output"],
           {"value": helper.make_tensor("v", TensorProto.FLOAT, [1], [1.5])})
        oc("squeeze_to_scalar", "Squeeze", [("data", f32(r, 1, 1))], ["squeezed"])
        oc("flatten_axis0", "Flatten", [("input", f32(r, 2, 3, 4))], ["output"], {"axis": 0})
        oc("slice_int64_step", "Slice", [("data", r.integers(0, 99, (5, 7)).astype(np.int64)),
                                         ("starts", i64([0, 1])), ("ends", i64([5, 7])), ("axes", i64([0, 1])),
                                         ("steps", i64([2, 3]))], [("out", "i64")])
        oc("concat_int64", "Concat", [("a", r.integers(0, 9, (2, 2)).astype(np.int64)),
                                      ("b", r.integers(0, 9, (1, 2)).astype(np.int64))], [("out", "i64")],
           {"axis": 0})
        oc("dropout", "Dropout", [("data", x), ("ratio", C(np.float32(0.3))), ("training_mode", C(np.bool_(False)))],
           ["output", ("mask", "b")])
    r = rng_for("dropout22")
    op_case("dropout22", "Dropout", [("data", f32(r, 3, 4))], ["output"], 22, exact=True)
    op_case("dropout22_mask", "Dropout", [("data", f32(r, 3, 4)), ("ratio", C(np.float32(0.5)))],
            ["output", ("mask", "b")], 22, exact=True)
    op_case("nonzero23", "NonZero", [("X", C((r.random((3, 4)) < 0.5).astype(np.float32)))], [("Y", "i64")], 23)

    # a shape subgraph at opset 23 (Shape -> Gather -> Unsqueeze -> Concat -> Reshape), like dynamic exports
    r = rng_for("shape_subgraph23")
    nodes = [helper.make_node("Shape", ["X"], ["s"]),
             helper.make_node("Gather", ["s", "i0"], ["b"], axis=0),
             helper.make_node("Unsqueeze", ["b", "ax0"], ["bu"]),
             helper.make_node("Concat", ["bu", "m1"], ["ns"], axis=0),
             helper.make_node("Reshape", ["X", "ns"], ["r"]),
             helper.make_node("Softmax", ["r"], ["Y"], axis=-1)]
    graph_case("shape_subgraph23", nodes, [("X", f32(r, 3, 4, 5)), ("i0", C(np.int64(0))), ("ax0", i64([0])),
                                           ("m1", i64([-1]))], [("Y", "f")], 23)


def skip_only_cases():
    r = rng_for("col2im")
    op_case("col2im", "Col2Im", [("input", f32(r, 1, 4, 9)), ("image_shape", i64([4, 4])),
                                 ("block_shape", i64([2, 2]))], ["output"], 18)


for _f in (attention_cases, gelu_cases, unary_cases, binary_cases, reduce_cases, norm_cases, split_pad_cases,
           resize_cases, conv_pool_cases, cast_shape_cases, layout_cases, skip_only_cases):
    _f()


# ------------------------------------------------------------------------------------------------ running
def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def compare(case, out, ref):
    """-> None when equal within the case's tolerance, else a description."""
    if out.dtype != ref.dtype:
        return f"dtype {out.dtype} != reference {ref.dtype}"
    if out.shape != ref.shape:
        return f"shape {list(out.shape)} != reference {list(ref.shape)}"
    if out.size == 0:
        return None
    if ref.dtype.kind not in "fc":
        bad = out != ref
        if not bad.any():
            return None
        if case.steps:
            d = np.abs(out.astype(np.int64) - ref.astype(np.int64))
            share = 1.0 - bad.sum() / out.size
            if d.max() <= case.steps and share >= 0.999:
                return None
            return (f"{int(bad.sum())}/{out.size} elements differ ({share:.3%} equal, max {int(d.max())} steps; "
                    f"allowed {case.steps} step(s) in 0.1%)")
        idx = np.argwhere(bad)[0]
        return (f"{int(bad.sum())}/{out.size} elements differ; first at {list(map(int, idx))}: "
                f"{out[tuple(idx)]} vs {ref[tuple(idx)]}")
    o = out.astype(np.float64)
    r = ref.astype(np.float64)
    rnan = np.isnan(r)
    if not np.array_equal(np.isnan(o), rnan):
        idx = np.argwhere(np.isnan(o) != rnan)[0]
        return (f"NaN positions differ ({int((np.isnan(o) != rnan).sum())}); first at {list(map(int, idx))}: "
                f"{o[tuple(idx)]} vs {r[tuple(idx)]}")
    inf = np.isinf(r) | np.isinf(o)
    if (o[inf] != r[inf]).any():
        idx = np.argwhere(inf & (o != r))[0]
        return f"infinities differ; first at {list(map(int, idx))}: {o[tuple(idx)]} vs {r[tuple(idx)]}"
    fin = ~rnan & ~inf
    with np.errstate(invalid="ignore"):
        d = np.where(fin, np.abs(o - r), 0.0)
    if case.exact:
        bad = fin & (d != 0)
        lim = "exact"
    else:
        bad = fin & (d > case.atol + case.rtol * np.abs(r))
        lim = f"atol {case.atol:g} + rtol {case.rtol:g}"
    if not bad.any():
        return None
    idx = np.argwhere(bad)[0]
    return (f"{int(bad.sum())}/{out.size} elements off ({lim}), max|d|={d.max():.3g}; first at "
            f"{list(map(int, idx))}: {o[tuple(idx)]:.9g} vs {r[tuple(idx)]:.9g}")


def run_qinfer(qinfer, extra, case, cdir):
    cmd = [qinfer, "run", os.path.join(cdir, "model.onnx"), "--output-dir", os.path.join(cdir, "qinfer"),
           "--threads", "1"] + list(extra)
    for name in case.feeds:
        cmd += ["--input", f"{name}={os.path.join(cdir, 'in', sanitize(name) + '.npy')}"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    except subprocess.TimeoutExpired:
        return "qinfer timed out after 60 s"
    err = p.stderr.decode(errors="replace").strip().splitlines()
    san = [l.strip() for l in err if "runtime error:" in l or "ERROR: AddressSanitizer" in l
           or "ERROR: LeakSanitizer" in l]
    if p.returncode != 0:
        sig = f" (signal {-p.returncode})" if p.returncode < 0 else ""
        return f"qinfer exit {p.returncode}{sig}: " + (" | ".join(san[:1] + err[-2:]) if err else "(no message)")
    if san:  # a sanitizer that reports and goes on (UBSan without halt_on_error)
        return "qinfer: " + san[0]
    return None


def find_node(explicit):
    for cand in [explicit, os.environ.get("QINFER_NODE"), shutil.which("node"), shutil.which("nodejs")]:
        if cand and os.path.exists(cand):
            return cand
    return None


def unsupported(name):
    for pat, why in QINFER_UNSUPPORTED.items():
        if re.fullmatch(pat, name):
            return why
    return None


def reference(case, cdir, ort_res):
    """-> ({output name: array}, where from) or (None, problem)."""
    outs = [o.name for o in case.model.graph.output]
    if case.ref is not None:
        arrs = case.ref(case.feeds)
        return {n: np.asarray(a) for n, a in zip(outs, arrs)}, "numpy reference (ONNX semantics)"
    res = ort_res["cases"].get(case.name)
    if not res or not res["ok"]:
        return None, (f"ORT refused the model ({res['stage']}): {res['error']}" if res else "no ORT result")
    files = {o["name"]: o["file"] for o in res["outputs"]}
    refs = {}
    for n in outs:
        if n not in files:
            return None, f"ORT gave no output {n}"
        a = np.load(os.path.join(cdir, "ort", files[n]))
        refs[n] = case.ort_fix(n, a) if case.ort_fix else a
    src = "ORT"
    if case.ort_model is not None:
        src = "ORT on an equivalent model"
    if case.ort_fix is not None:
        src += ", adjusted"
    return refs, src


def check(case, cdir, refs, verbose):
    """-> (problem or None, details)."""
    details = []
    for name, ref in refs.items():
        qf = os.path.join(cdir, "qinfer", sanitize(name) + ".npy")
        if not os.path.exists(qf):
            return f"output {name}: qinfer wrote no {os.path.basename(qf)}", details
        got = np.load(qf)
        p = compare(case, got, ref)
        if p:
            return f"output {name}: {p}", details
        if case.steps and ref.dtype.kind not in "fc" and ref.size:
            d = np.abs(got.astype(np.int64) - ref.astype(np.int64))
            details.append(f"{name} {(d == 0).mean():.3%} equal, max {int(d.max())} step(s)")
        if verbose:
            maxd = 0.0
            if ref.size and ref.dtype.kind == "f":
                r = ref.astype(np.float64)
                fin = np.isfinite(r)
                if fin.any():
                    maxd = float(np.abs(got.astype(np.float64)[fin] - r[fin]).max())
            details.append(f"{name} {ref.dtype} {list(ref.shape)} max|d|={maxd:.3g}")
    return None, details


def check_deviations():
    for c in CASES:
        corrected = c.ref is not None or c.ort_model is not None or c.ort_fix is not None
        if corrected != (c.name in ORT_DEVIATIONS):
            sys.exit(f"run_ops_ort: {c.name}: a case with a corrected reference (ref / ort_model / ort_fix) must be "
                     "listed in ORT_DEVIATIONS with the reason, and only such a case")


def main(cases=None, status=None, description=None, epilog=None, add_args=None, prepare=None):
    """Runs this file's CASES, or another suite's `cases` with its `status` lists ({"ORT_UNSUPPORTED": {...},
    ...}, replacing this file's; tests/quant_ops/run_quant_ops.py). add_args(parser) adds the suite's options;
    prepare(args, node, cache, work) runs before the cases are run and may set their references (listing each
    in ORT_DEVIATIONS, a module global here)."""
    global CASES
    if cases is not None:
        CASES = cases
        globals().update(status or {})
    ap = argparse.ArgumentParser(description=description or "qinfer vs ONNX Runtime on single-op models (opsets 18..23)",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog or __doc__)
    ap.add_argument("--qinfer", default=os.environ.get("QINFER_BIN"), help="path of the qinfer CLI")
    ap.add_argument("--cache", help="cache folder (default $QINFER_CACHE or <repo>/.cache); onnxruntime-node is "
                                    "taken from <cache>/npm/node_modules")
    ap.add_argument("--node", help="node executable (default: node on PATH)")
    ap.add_argument("--filter", help="run only cases whose name matches this regex (re.search)")
    ap.add_argument("--keep", help="write models, inputs and outputs under this folder and keep them")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="parallel qinfer runs (default 2)")
    ap.add_argument("--qinfer-arg", action="append", default=[], help="extra argument for `qinfer run`")
    ap.add_argument("--list", action="store_true", help="list the cases and their status lists, run nothing")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every output's max|d|, and details")
    if add_args:
        add_args(ap)
    args = ap.parse_args()

    names = [c.name for c in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"run_ops_ort: duplicate case names: {sorted(dup)}")
    for lst, what in ((ORT_UNSUPPORTED, "ORT_UNSUPPORTED"), (ORT_DEVIATIONS, "ORT_DEVIATIONS"),
                      (KNOWN_QINFER_BUGS, "KNOWN_QINFER_BUGS")):
        for n in lst:
            if n not in names:
                print(f"warning: {what} names no case: {n}")
    check_deviations()
    cases = [c for c in CASES if not args.filter or re.search(args.filter, c.name)]

    if args.list:
        for c in cases:
            why = (unsupported(c.name) or KNOWN_QINFER_BUGS.get(c.name) or ORT_UNSUPPORTED.get(c.name)
                   or ORT_DEVIATIONS.get(c.name) or "")
            opset = c.model.opset_import[0].version
            ops = ",".join(n.op_type for n in c.model.graph.node)
            print(f"{c.name:40s} opset {opset:2d}  {ops:22s} {why}")
        print(f"{len(cases)} cases")
        return 0
    if not cases:
        sys.exit(f"run_ops_ort: no case matches --filter {args.filter!r}")
    if not args.qinfer or not os.path.exists(args.qinfer):
        sys.exit("run_ops_ort: --qinfer PATH (the qinfer CLI) is required")
    node = find_node(args.node)
    if not node:
        sys.exit("run_ops_ort: node not found (run tools/install-deps.sh, or pass --node)")
    cache = os.path.abspath(args.cache or os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))
    ort_dir = os.environ.get("QINFER_ORT_NODE") or os.path.join(cache, "npm", "node_modules", "onnxruntime-node")
    if not os.path.exists(os.path.join(ort_dir, "package.json")):
        sys.exit(f"run_ops_ort: onnxruntime-node is not installed at {ort_dir} "
                 "(run tools/install-deps.sh, which npm-installs it into <cache>/npm)")

    t0 = time.time()
    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="qinfer-ops-ort-")
    os.makedirs(work, exist_ok=True)
    if prepare:
        prepare(args, node, cache, work)
        check_deviations()
    runnable, jobs = [], []
    for c in cases:
        if unsupported(c.name):
            continue
        cdir = os.path.join(work, c.name)
        if os.path.isdir(cdir):
            shutil.rmtree(cdir)
        os.makedirs(os.path.join(cdir, "in"))
        onnx.save(c.model, os.path.join(cdir, "model.onnx"))
        inputs = {}
        for name, a in c.feeds.items():
            f = os.path.join(cdir, "in", sanitize(name) + ".npy")
            np.save(f, a)
            inputs[name] = f
        runnable.append(c)
        if c.ref is not None:
            continue
        model = os.path.join(cdir, "model.onnx")
        if c.ort_model is not None:
            model = os.path.join(cdir, "ort_model.onnx")
            onnx.save(c.ort_model, model)
        jobs.append({"name": c.name, "model": model, "inputs": inputs, "outdir": os.path.join(cdir, "ort")})
    with open(os.path.join(work, "jobs.json"), "w") as f:
        json.dump(jobs, f, indent=1)

    env = dict(os.environ)
    env["QINFER_ORT_NODE"] = ort_dir
    ort_cmd = [node, ORT_BATCH, os.path.join(work, "jobs.json"), os.path.join(work, "ort_results.json"), "--cache", cache]
    if args.verbose:
        print("ORT: " + " ".join(ort_cmd))
    ort_proc = subprocess.Popen(ort_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        qerr = dict(zip([c.name for c in runnable],
                        ex.map(lambda c: run_qinfer(args.qinfer, args.qinfer_arg, c, os.path.join(work, c.name)),
                               runnable)))
    _, err = ort_proc.communicate(timeout=600)
    if ort_proc.returncode != 0:
        sys.exit(f"run_ops_ort: ONNX Runtime batch failed (exit {ort_proc.returncode}): "
                 f"{err.decode(errors='replace').strip()}")
    with open(os.path.join(work, "ort_results.json")) as f:
        ort_res = json.load(f)
    print(f"ONNX Runtime {ort_res['ort_version']} (onnxruntime-node, CPU, 1 thread, graph optimizations "
          f"{ort_res['opt']}); qinfer {args.qinfer}")

    passed = failed = skipped = 0
    for c in cases:
        cdir = os.path.join(work, c.name)
        why = unsupported(c.name)
        if why:
            print(f"skip  {c.name}: {why}")
            skipped += 1
            continue
        refs, src = reference(c, cdir, ort_res)
        if refs is None and c.name in ORT_UNSUPPORTED:
            print(f"skip  {c.name}: ORT refuses it: {ORT_UNSUPPORTED[c.name]}")
            if args.verbose:
                print(f"      {src}")
            skipped += 1
            continue
        if refs is None:
            problem, details = src, []
        elif qerr[c.name]:
            problem, details = qerr[c.name], []
        else:
            problem, details = check(c, cdir, refs, args.verbose)
        if refs is not None and c.cross_ref is not None and src == "ORT" and not problem:
            for name, arr in zip([o.name for o in c.model.graph.output], c.cross_ref(c.feeds)):
                p = compare(c, np.asarray(arr), refs[name])
                if p:
                    problem = f"output {name}: the exact numpy reference disagrees with ORT (fix the oracle): {p}"
                    break
            else:
                details.append("exact numpy reference = ORT")
        note = ""
        if refs is not None and src != "ORT":
            note = f" [vs {src}]"
        if refs is not None and c.name in ORT_UNSUPPORTED and c.ref is None and c.ort_model is None:
            note += " [listed in ORT_UNSUPPORTED, but ORT ran it]"
        if c.name in KNOWN_QINFER_BUGS:
            if problem:
                print(f"skip  {c.name}: known qinfer bug: {KNOWN_QINFER_BUGS[c.name]}")
                if args.verbose:
                    print(f"      now: {problem}")
                skipped += 1
            else:
                print(f"FAIL  {c.name}: listed in KNOWN_QINFER_BUGS but passes now: remove it from the list")
                failed += 1
            continue
        if problem:
            print(f"FAIL  {c.name}: {problem}{note}")
            failed += 1
        else:
            print(f"ok    {c.name}{note}" + (": " + "; ".join(details) if details else ""))
            passed += 1
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    elif args.verbose:
        print(f"kept in {work}")
    if args.verbose:
        print(f"{time.time() - t0:.1f} s")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
