#!/usr/bin/python3
"""Reads what tests/unit/test_onnx_writer.c wrote with the onnx package, an independent protobuf decoder.

    check_written.py RICH.onnx QDQ.onnx

RICH.onnx (build_rich in the C test): every field the writer emits has the expected value as onnx sees it:
IR version, producer, opset imports, graph inputs / outputs / value_info with dim_value, dim_param and empty
dimensions, node order, absent inputs and outputs, every attribute kind, initializers of every dtype.
QDQ.onnx (build_qdq): onnx.checker.check_model(full_check=True) passes and shape inference gives y [N, 3].
Exit 0 when everything matches, 1 with one line per mismatch.
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


def dims(vi):
    """[int | str | None] of a ValueInfoProto, None for an absent shape."""
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    out = []
    for d in t.shape.dim:
        which = d.WhichOneof("value")
        out.append(d.dim_value if which == "dim_value" else d.dim_param if which == "dim_param" else "?")
    return out


def check_rich(path):
    m = onnx.load(path)
    g = m.graph
    expect(m.ir_version == 7, f"ir_version {m.ir_version}")
    expect(m.producer_name == "qinfer" and m.producer_version.count(".") == 2,
           f"producer {m.producer_name!r} {m.producer_version!r}")
    expect([(o.domain, o.version) for o in m.opset_import] == [("", 13), ("com.example", 2)],
           f"opsets {m.opset_import}")
    expect(g.name != "", "graph name")
    F, I64, U8 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64, onnx.TensorProto.UINT8
    ins = {vi.name: (vi.type.tensor_type.elem_type, dims(vi)) for vi in g.input}
    expect(ins == {"x": (F, ["batch", 3, "?", 5]), "y": (I64, []), "z": (U8, None)}, f"inputs {ins}")
    expect([vi.name for vi in g.input] == ["x", "y", "z"], "input order")
    outs = [(vi.name, vi.type.tensor_type.elem_type, dims(vi)) for vi in g.output]
    expect(outs == [("out", F, ["batch", 7]), ("W", F, [2, 3]), ("c", F, ["seq", 2, 0])], f"outputs {outs}")
    infos = [(vi.name, vi.type.tensor_type.elem_type, dims(vi)) for vi in g.value_info]
    expect(infos == [("a", F, ["?", 4])], f"value_info {infos}")

    expect([n.name for n in g.node] == ["n0", "", "n2"], f"node order {[n.name for n in g.node]}")
    n0 = g.node[0]
    expect(list(n0.input) == ["x", "", "W"] and list(n0.output) == ["a", "", "b"], f"n0 io {n0.input} {n0.output}")
    expect(n0.op_type == "Custom" and n0.domain == "com.example", "n0 op/domain")
    expect(g.node[1].op_type == "Add" and g.node[1].domain == "" and not g.node[1].HasField("name"), "unnamed Add")
    expect(list(g.node[2].input) == ["c", "Q", "H", "D", "Bo", "U64", "U32", "I16", "U16", "I32", "U8", "E", "S", "y",
                                     "z"], f"n2 inputs {g.node[2].input}")
    A = onnx.AttributeProto
    attrs = {a.name: a for a in n0.attribute}
    expect([a.name for a in n0.attribute] == ["f", "i", "s", "t", "fs", "is", "ss", "ts", "empty"], "attribute order")
    want_types = {"f": A.FLOAT, "i": A.INT, "s": A.STRING, "t": A.TENSOR, "fs": A.FLOATS, "is": A.INTS,
                  "ss": A.STRINGS, "ts": A.TENSORS, "empty": A.INTS}
    for k, t in want_types.items():
        expect(k in attrs and attrs[k].type == t, f"attribute {k} type")
    if not failures:
        v = {k: helper.get_attribute_value(a) for k, a in attrs.items()}
        expect(v["f"] == np.float32(-1.25), f"f {v['f']}")
        expect(v["i"] == -7, f"i {v['i']}")
        expect(v["s"] == b"he\x00llo", f"s {v['s']!r}")
        t = numpy_helper.to_array(v["t"])
        expect(t.dtype == np.int64 and t.tolist() == [-3, 4], f"t {t}")
        expect(np.array(v["fs"], np.float32).tolist() == np.array([0.25, -1, 3e38], np.float32).tolist(), f"fs {v['fs']}")
        expect(v["is"] == [-1, 1 << 40, 0, -(1 << 63)], f"is {v['is']}")
        expect(v["ss"] == [b"a", b"", b"ccc"], f"ss {v['ss']}")
        ts = [numpy_helper.to_array(x) for x in v["ts"]]
        expect(len(ts) == 2 and ts[0].shape == (2, 3) and ts[1].shape == () and ts[1].dtype == np.uint8 and
               ts[1] == 255, f"ts {ts}")
        expect(v["empty"] == [], f"empty {v['empty']}")

    w = np.array([1.5, -2, 3.25, 0, -0.0, 1e-30], np.float32).reshape(2, 3)
    want = {
        "W": w, "Q": np.array([-128, -1, 0, 1, 127], np.int8), "H": np.array([1, -2], np.float16),
        "D": np.array([0.5, -2.25]), "Bo": np.array([True, False, True]),
        "U64": np.array([2**64 - 1], np.uint64), "U32": np.array([4000000000, 7], np.uint32),
        "I16": np.array([-32768, 32767], np.int16), "U16": np.array([65535, 1], np.uint16),
        "I32": np.array([-2**31, 5], np.int32), "U8": np.array([255, 0], np.uint8),
        "E": np.zeros((0, 3), np.float32), "S": np.array(-(1 << 50), np.int64),
    }
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    expect(sorted(inits) == sorted(want), f"initializers {sorted(inits)}")
    for k, a in want.items():
        b = inits.get(k)
        expect(b is not None and b.dtype == a.dtype and b.shape == a.shape and b.tobytes() == a.tobytes(),
               f"initializer {k}: {b!r} != {a!r}")
    expect(all(t.HasField("raw_data") and t.data_location == 0 for t in g.initializer), "raw_data")


def check_qdq(path):
    try:
        onnx.checker.check_model(path, full_check=True)
    except Exception as e:
        failures.append(f"checker: {e}")
        return
    m = onnx.shape_inference.infer_shapes(onnx.load(path), strict_mode=True)
    expect(dims(m.graph.output[0]) == ["N", 3], f"y {dims(m.graph.output[0])}")
    inferred = {vi.name: dims(vi) for vi in m.graph.value_info}
    expect(inferred.get("x_q") == ["N", 4] and inferred.get("mm") == ["N", 3], f"inferred {inferred}")


def main():
    check_rich(sys.argv[1])
    check_qdq(sys.argv[2])
    for f in failures:
        print(f"check_written: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
