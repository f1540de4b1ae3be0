"""Is ONNX Runtime's uint8 x int8 integer product exact on this CPU, and an exact equivalent model when it is not.

ONNX Runtime's x86 gemm for uint8 activations times int8 weights (MLAS's U8S8 kernels, behind QLinearConv,
QLinearMatMul, QGemm, MatMulInteger and the QDQ fusions that make them) multiplies with `vpdpbusd` where the CPU
has AVX-VNNI or AVX-512 VNNI, exactly; on an AVX2-only CPU it uses `vpmaddubsw`, whose int16 sums of two
products saturate (255 * 127 * 2 = 64770 > 32767; onnxruntime issues #14642, #6004). Its results then depart
from the ONNX spec, while qinfer's are exact on every ISA, so the suites that compare integer results with ONNX
Runtime substitute an exact oracle on such a CPU and print it.

    probe(node, ort_run_js, cache, work) -> Probe   # runs ONNX Runtime once on a tiny MatMulInteger model
    reexpress_s8_weights(model) -> (model, count, notes, shifted)

probe: A = 255 (uint8, 4 x 64), B int8 columns of 127, -128, alternating 127 / -128 and 1: the exact int32
sums are 2072640, -2088960, -8160, 16320; a saturating pair sum gives 32767 * 32 = 1048544 and -1048576 in the
first two. The probe decides; /proc/cpuinfo's VNNI flags are reported next to it (a disagreement is noted).

reexpress_s8_weights: the same model with every int8 weight of a uint8 x int8 product re-expressed as uint8,
w + 128 with zero point + 128 (the dequantized values, and so the model, are unchanged). ONNX Runtime then takes
its uint8 x uint8 path, which widens to int16 before multiplying (`vpmaddwd`, no saturation) and is exact on every
x86 CPU. Covered: DequantizeLinear of an int8 initializer and QuantizeLinear -> DequantizeLinear of a float
initializer (fake-quantized weights) feeding the weight input of Conv / MatMul / Gemm whose other operand is
uint8-quantized; the weight inputs of QLinearConv, QLinearMatMul, com.microsoft QGemm, ConvInteger and
MatMulInteger with a uint8 activation. `shifted`: the tensors whose values are now 128 more (the outputs of
re-expressed weight QuantizeLinear nodes); compare them with the 128 taken off.
"""
import os
import subprocess

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

VNNI_FLAGS = ("avx512_vnni", "avx_vnni")
PROBE_K = 64
# op -> (activation input index, weight input index, weight zero point index) for the QOperator integer ops
QOPS = {"QLinearConv": (0, 3, 5), "QLinearMatMul": (0, 3, 5), "QGemm": (0, 3, 5), "ConvInteger": (0, 1, 3),
        "MatMulInteger": (0, 1, 3)}
# float ops whose weight (input 1) the QDQ fusions turn into an integer product with input 0
FLOAT_OPS = ("Conv", "MatMul", "Gemm")
# output dtype of a quantized op: the index of its y_zero_point input (uint8 when absent)
Y_ZP = {"QuantizeLinear": 2, "QLinearConv": 7, "QLinearMatMul": 7, "QGemm": 8, "QLinearAdd": 7, "QLinearMul": 7,
        "QLinearConcat": 1, "QLinearGlobalAveragePool": 4, "QLinearAveragePool": 4, "QLinearSigmoid": 4,
        "QLinearLeakyRelu": 4, "QLinearSoftmax": 4}
# ops whose output has input 0's element type
SAME_TYPE = {"Relu", "MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Slice",
             "Gather", "Concat", "Split", "Pad", "Clip", "Resize", "DepthToSpace", "SpaceToDepth", "Expand", "Tile"}


class Probe:
    def __init__(self, exact, got, want, flags):
        self.exact, self.got, self.want, self.flags = exact, got, want, flags

    def cpu(self):
        if self.flags is None:
            return "no x86 /proc/cpuinfo flags"
        have = [f for f in VNNI_FLAGS if f in self.flags]
        return "/proc/cpuinfo: " + (", ".join(have) if have else "no " + " / ".join(VNNI_FLAGS))

    def describe(self):
        s = (f"probe MatMulInteger uint8 255 x int8 127 / -128 over K={PROBE_K}: ORT {self.got[:2]}, exact "
             f"{self.want[:2]}; {self.cpu()}")
        vnni = self.flags is not None and any(f in self.flags for f in VNNI_FLAGS)
        if self.flags is not None and vnni != self.exact:
            s += " (note: the flags predict the other outcome; the probe decides)"
        return s


def cpu_flags():
    """The x86 flags of /proc/cpuinfo as a set, or None (not x86 / not readable)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def probe_model():
    a = np.full((4, PROBE_K), 255, np.uint8)
    b = np.zeros((PROBE_K, 4), np.int8)
    b[:, 0], b[:, 1], b[0::2, 2], b[1::2, 2], b[:, 3] = 127, -128, 127, -128, 1
    node = helper.make_node("MatMulInteger", ["A", "B", "a_zp", "b_zp"], ["Y"])
    g = helper.make_graph([node], "u8s8_probe", [helper.make_tensor_value_info("A", TensorProto.UINT8, [4, PROBE_K])],
                          [helper.make_tensor_value_info("Y", TensorProto.INT32, [4, 4])],
                          [numpy_helper.from_array(b, "B"), numpy_helper.from_array(np.array(0, np.uint8), "a_zp"),
                           numpy_helper.from_array(np.array(0, np.int8), "b_zp")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    want = (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32)
    return m, a, want


def probe(node, ort_run_js, cache, work):
    """Runs ONNX Runtime (tests/zoo/ort_run.js, default optimizations) on the probe model in folder work."""
    os.makedirs(work, exist_ok=True)
    m, a, want = probe_model()
    mpath, apath, out = (os.path.join(work, n) for n in ("u8s8_probe.onnx", "A.npy", "u8s8_probe_out"))
    onnx.save(m, mpath)
    np.save(apath, a)
    cmd = [node, ort_run_js, mpath, "--output-dir", out, "--input", f"A={apath}"]
    if cache:
        cmd += ["--cache", cache]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"u8s8 probe: {' '.join(cmd)} failed:\n{r.stdout}{r.stderr}")
    got = np.load(os.path.join(out, "Y.npy"))
    return Probe(bool(np.array_equal(got, want)), [int(v) for v in got[0]], [int(v) for v in want[0]], cpu_flags())


# ------------------------------------------------------------------------------------------------ re-expression
def _elem_types(model):
    """tensor name -> TensorProto element type, where it can be told without ONNX Runtime."""
    t = {}
    for vi in list(model.graph.input) + list(model.graph.value_info) + list(model.graph.output):
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type:
            t[vi.name] = vi.type.tensor_type.elem_type
    for init in model.graph.initializer:
        t[init.name] = init.data_type
    for n in model.graph.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            t[n.output[0]] = n.attribute[0].t.data_type
    for _ in range(3):  # a few sweeps settle graphs in any node order
        for n in model.graph.node:
            if not n.output or not n.output[0]:
                continue
            if n.op_type in Y_ZP:
                i = Y_ZP[n.op_type]
                zp = n.input[i] if len(n.input) > i else ""
                if n.op_type == "QGemm" and len(n.input) <= 7:
                    t[n.output[0]] = TensorProto.FLOAT
                else:
                    t[n.output[0]] = t.get(zp, TensorProto.UINT8) if zp else TensorProto.UINT8
            elif n.op_type == "DynamicQuantizeLinear":
                t[n.output[0]] = TensorProto.UINT8
            elif n.op_type == "DequantizeLinear":
                t[n.output[0]] = TensorProto.FLOAT
            elif n.op_type == "Cast":
                t[n.output[0]] = next(a.i for a in n.attribute if a.name == "to")
            elif n.op_type in SAME_TYPE and n.input and n.input[0] in t:
                t[n.output[0]] = t[n.input[0]]
    return t


def reexpress_s8_weights(model):
    """-> (a copy of model with its int8 weights of uint8 x int8 products as uint8, how many, notes, the tensors
    now holding values + 128)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    # Constant nodes' values, and Identity of a constant, count as initializers (torch exports zero points so)
    for _ in range(2):
        for n in g.node:
            if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
                inits.setdefault(n.output[0], n.attribute[0].t)
            elif n.op_type == "Identity" and n.input[0] in inits:
                inits.setdefault(n.output[0], inits[n.input[0]])
    types = _elem_types(m)
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i, name in enumerate(n.input):
            consumers.setdefault(name, []).append((n, i))
    graph_outputs = {o.name for o in g.output}
    done, notes, shifted = {}, [], set()

    def uint8_activation(name):
        """A float tensor made by DequantizeLinear of a uint8 tensor, or a uint8 tensor."""
        p = producer.get(name)
        if p is not None and p.op_type == "DequantizeLinear":
            name = p.input[0]
        return types.get(name) == TensorProto.UINT8

    def u8_array(name, add):
        a = numpy_helper.to_array(inits[name]).astype(np.int16) + add
        return a.astype(np.uint8)

    def new_init(base, arr):
        name = base
        k = 0
        while name in inits or name in producer:
            k += 1
            name = f"{base}_{k}"
        t = numpy_helper.from_array(arr, name)
        g.initializer.append(t)
        inits[name] = t
        return name

    def zp_u8(zp_name, shape_like):
        """A uint8 zero point = the int8 one + 128 (or 128 when absent), shaped as the scale."""
        if zp_name:
            return new_init(zp_name + "_u8", u8_array(zp_name, 128))
        shape = numpy_helper.to_array(inits[shape_like]).shape if shape_like in inits else ()
        return new_init((shape_like or "w") + "_zp128_u8", np.full(shape, 128, np.uint8))

    def weight_fed(name):
        """Every consumer of float tensor `name` uses it as the weight of an integer-able product with a uint8
        other operand."""
        cons = consumers.get(name, [])
        if not cons or name in graph_outputs:
            return False
        for n, i in cons:
            if n.op_type not in FLOAT_OPS or i != 1:
                return False
            if not uint8_activation(n.input[0]):
                return False
        return True

    for n in list(g.node):
        if n.op_type == "DequantizeLinear" and n.input[0] in inits and inits[n.input[0]].data_type == TensorProto.INT8:
            if not weight_fed(n.output[0]):
                continue
            zp = n.input[2] if len(n.input) > 2 else ""
            w = n.input[0]
            if w not in done:
                done[w] = new_init(w + "_u8", u8_array(w, 128))
            while len(n.input) < 3:
                n.input.append("")
            n.input[0], n.input[2] = done[w], zp_u8(zp, n.input[1])
        elif n.op_type == "QuantizeLinear" and n.input[0] in inits and inits[n.input[0]].data_type == TensorProto.FLOAT:
            zp = n.input[2] if len(n.input) > 2 else ""
            if not zp or inits.get(zp) is None or inits[zp].data_type != TensorProto.INT8:
                continue
            dqs = consumers.get(n.output[0], [])
            if not dqs or any(d.op_type != "DequantizeLinear" or i != 0 for d, i in dqs) or \
                    not all(weight_fed(d.output[0]) for d, _ in dqs):
                continue
            new = zp_u8(zp, n.input[1])
            n.input[2] = new
            for d, _ in dqs:
                if len(d.input) > 2 and d.input[2] == zp:
                    d.input[2] = new
                else:
                    notes.append(f"{d.name or d.output[0]}: DequantizeLinear after a re-expressed QuantizeLinear "
                                 "has another zero point; left as it is")
            done[n.input[0]] = n.output[0]
            shifted.add(n.output[0])
        elif n.op_type in QOPS:
            ia, iw, iz = QOPS[n.op_type]
            w = n.input[iw] if len(n.input) > iw else ""
            if not w or w not in inits or inits[w].data_type != TensorProto.INT8:
                continue
            if types.get(n.input[ia]) != TensorProto.UINT8:
                continue
            if w not in done:
                done[w] = new_init(w + "_u8", u8_array(w, 128))
            while len(n.input) <= iz:
                n.input.append("")
            zp = n.input[iz]
            scale_like = n.input[iw + 1] if n.op_type in ("QLinearConv", "QLinearMatMul", "QGemm") else ""
            n.input[iw], n.input[iz] = done[w], zp_u8(zp, scale_like)
    # drop initializers nothing reads any more
    used = {i for n in g.node for i in n.input} | graph_outputs | {i.name for i in g.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    return m, len(done), notes, shifted
