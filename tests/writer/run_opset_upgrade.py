#!/usr/bin/python3
"""The written model's version converter (engine/quant/writer/opset_upgrade.c), one rule at a time.

    run_opset_upgrade.py --qinfer BUILD/tools/qinfer [--node NODE] [--cache DIR] [-v] [--keep DIR]

Each case is a small float model built here with onnx.helper at an old opset (7 to 12) around one op whose form
changed on the way to opset 13 (Clip, Slice, Pad, Dropout, Split, Squeeze, Unsqueeze, ReduceSum, Softmax /
LogSoftmax on an inner or the last axis and of unknown rank, BatchNormalization-7, Upsample nearest / linear
(scales as attribute and as input), Resize-10 nearest / linear, Resize-11), plus ops relabelled unchanged.
`qinfer convert MODEL -o OUT --opset 13` writes it at opset 13, and:
  1. OUT imports opset 13, the op no longer carries the attribute that became an input (Upsample is gone), and
     onnx.checker.check_model(OUT, full_check=True) passes;
  2. ONNX Runtime 1.30 (CPU, one thread, all graph optimizations) runs the original at its opset and OUT at 13 on
     the same random inputs: every output has identical bytes (the oracle: ORT's own kernels for each version);
  3. models that cannot be converted are refused with exit code 1, a message naming the node, op and reason, and
     no file written: BatchNormalization-7 spatial = 0, Resize-11 tf_half_pixel_for_nn, a Dropout-7 mask that is
     read, a model below opset 7, an op that has no version below 13 (Gelu), and malformed nodes a hostile file
     may hold (Softmax axis out of range, Slice / Pad / Upsample without their attributes, Clip on int32);
     a model already at opset 13 is written unchanged (same bytes as plain convert).
Exit 1 on any failure.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORT_BATCH = os.path.join(REPO, "tests", "ops_ort", "ort_batch.js")
sys.path.insert(0, os.path.join(REPO, "tests", "common"))
from onnx_full_check import full_check_error  # noqa: E402

F = TensorProto.FLOAT


def model(nodes, inputs, outputs, opset, inits=()):
    """Outputs get the shapes ONNX's shape inference gives them (the checker wants every graph output shaped), where
    it can infer them."""
    g = helper.make_graph(nodes, "case", [helper.make_tensor_value_info(n, F, s) for n, s in inputs],
                          [helper.make_tensor_value_info(n, F, s) for n, s in outputs], list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 3 if opset < 8 else (4 if opset < 10 else 7)
    try:
        done = onnx.shape_inference.infer_shapes(m).graph
    except Exception:  # noqa: BLE001 (a malformed node of a refusal case: its outputs stay unshaped)
        return m
    inferred = {v.name: v for v in list(done.value_info) + list(done.output)}
    for o in m.graph.output:
        if not o.type.tensor_type.HasField("shape") and o.name in inferred:
            o.type.CopyFrom(inferred[o.name].type)
    return m


def const(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def unary(op, opset, shape=(2, 3, 4, 5), out_shape=None, **attrs):
    return model([helper.make_node(op, ["x"], ["y"], **attrs)], [("x", list(shape))],
                 [("y", list(out_shape) if out_shape is not None else None)], opset)


def cases():
    """-> [(name, model, attribute that must be gone or None)]"""
    c = []
    c.append(("clip_6_min_max", unary("Clip", 9, min=-0.5, max=0.7), "min"))
    c.append(("clip_6_max_only", unary("Clip", 7, max=0.3), "max"))
    c.append(("clip_6_no_bounds", unary("Clip", 9), None))
    c.append(("slice_1", unary("Slice", 9, starts=[1, -3], ends=[2, 100], axes=[1, 3]), "starts"))
    c.append(("slice_1_no_axes", unary("Slice", 9, starts=[0, 1, 1], ends=[1, 3, -1]), "ends"))
    c.append(("pad_2_constant", unary("Pad", 9, pads=[0, 1, 2, 0, 0, 2, 1, 1], value=1.5), "pads"))
    c.append(("pad_2_edge", unary("Pad", 10, pads=[0, 0, 1, 2, 0, 0, 2, 1], mode="edge"), "pads"))
    c.append(("pad_2_reflect", unary("Pad", 7, pads=[0, 0, 1, 1, 0, 0, 1, 2], mode="reflect"), "pads"))
    c.append(("dropout_7_ratio", unary("Dropout", 9, ratio=0.3), "ratio"))
    m = model([helper.make_node("Dropout", ["x"], ["y", "mask"], ratio=0.2)], [("x", [2, 3])], [("y", None)], 9)
    c.append(("dropout_7_unread_mask", m, "ratio"))
    m = model([helper.make_node("Split", ["x"], ["a", "b", "d"], axis=3, split=[1, 3, 1])], [("x", [2, 3, 4, 5])],
              [("a", None), ("b", None), ("d", None)], 11)
    c.append(("split_2_sizes", m, "split"))
    m = model([helper.make_node("Split", ["x"], ["a", "b"], axis=1)], [("x", [2, 4, 3])], [("a", None), ("b", None)], 9)
    c.append(("split_2_equal", m, None))
    c.append(("squeeze_1", unary("Squeeze", 11, shape=(2, 1, 3, 1), axes=[1, -1]), "axes"))
    c.append(("squeeze_1_all", unary("Squeeze", 9, shape=(2, 1, 3, 1), out_shape=(2, 3)), None))
    c.append(("unsqueeze_1", unary("Unsqueeze", 9, shape=(2, 3), axes=[0, 3]), "axes"))
    c.append(("reducesum_1", unary("ReduceSum", 11, axes=[1, -1], keepdims=0), "axes"))
    c.append(("reducesum_1_all", unary("ReduceSum", 9), None))
    c.append(("reducemean_1_unchanged", unary("ReduceMean", 9, axes=[2]), None))
    c.append(("softmax_1_default_axis", unary("Softmax", 9), None))
    c.append(("softmax_1_axis_2", unary("Softmax", 11, axis=2), None))
    c.append(("softmax_1_axis_0", unary("Softmax", 9, axis=0), None))
    c.append(("softmax_1_last_axis", unary("Softmax", 9, axis=3), None))
    c.append(("softmax_1_negative_axis", unary("Softmax", 12, axis=-2), None))
    c.append(("logsoftmax_1_axis_1", unary("LogSoftmax", 9, axis=1), None))
    # rank unknown to the converter: Softmax reads a tensor without value_info (qinfer convert infers no shapes)
    m = model([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Softmax", ["r"], ["y"], axis=1)],
              [("x", [2, 3, 4, 5])], [("y", [2, 3, 4, 5])], 9)
    c.append(("softmax_1_unknown_rank", m, None))
    m = model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], spatial=1, epsilon=1e-3)],
              [("x", [2, 3, 4, 5])], [("y", None)], 7,
              [const("s", np.float32([1.5, 0.5, 2])), const("b", np.float32([0.1, -0.2, 0.3])),
               const("m", np.float32([0.2, 0.1, -0.1])), const("v", np.float32([1.0, 0.5, 2.0]))])
    c.append(("batchnorm_7_spatial", m, "spatial"))
    for mode in ("nearest", "linear"):
        c.append((f"upsample_7_{mode}", unary("Upsample", 7, shape=(1, 2, 3, 4), mode=mode, scales=[1.0, 1.0, 2.0, 3.0]),
                  "scales"))
        m = model([helper.make_node("Upsample", ["x", "s"], ["y"], mode=mode)], [("x", [1, 2, 3, 4])], [("y", None)], 9,
                  [const("s", np.float32([1, 1, 2.5, 2]))])
        c.append((f"upsample_9_{mode}", m, None))
        m = model([helper.make_node("Resize", ["x", "s"], ["y"], mode=mode)], [("x", [1, 2, 3, 4])], [("y", None)], 10,
                  [const("s", np.float32([1, 1, 3, 1.5]))])
        c.append((f"resize_10_{mode}", m, None))
    m = model([helper.make_node("Resize", ["x", "roi", "s"], ["y"], mode="linear",
                                coordinate_transformation_mode="half_pixel")],
              [("x", [1, 2, 3, 4])], [("y", None)], 11, [const("roi", np.float32([])), const("s", np.float32([1, 1, 2, 2]))])
    c.append(("resize_11_half_pixel", m, None))
    # relabelled unchanged: Conv -> Gemm-shaped MatMul -> Concat -> Transpose -> Cast -> Reshape, MaxPool at opset 7
    rng = np.random.default_rng(0)
    m = model([helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
               helper.make_node("MaxPool", ["c"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
               helper.make_node("Concat", ["p", "p"], ["cc"], axis=1),
               helper.make_node("Transpose", ["cc"], ["t"], perm=[0, 2, 3, 1]),
               helper.make_node("Reshape", ["t", "shape"], ["r"]),
               helper.make_node("Gemm", ["r", "gw", "gb"], ["y"], transB=1)],
              [("x", [1, 3, 4, 4])], [("y", [1, 5])], 7,
              [const("w", rng.standard_normal((4, 3, 3, 3)).astype(np.float32)), const("shape", np.int64([1, 32])),
               const("gw", rng.standard_normal((5, 32)).astype(np.float32)), const("gb", np.float32([1, 2, 3, 4, 5]))])
    c.append(("stable_ops_7", m, None))
    return c


def refused():
    """-> [(name, model, words the message must hold)]"""
    r = []
    m = model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], spatial=0, name="bn")],
              [("x", [2, 3])], [("y", None)], 7, [const(k, np.ones((2, 3), np.float32)) for k in "sbmv"])
    r.append(("batchnorm_7_spatial_0", m, ["'bn'", "BatchNormalization", "spatial = 0"]))
    m = model([helper.make_node("Resize", ["x", "roi", "s"], ["y"], name="rs", mode="nearest",
                                coordinate_transformation_mode="tf_half_pixel_for_nn")],
              [("x", [1, 1, 2, 2])], [("y", None)], 11, [const("roi", np.float32([])), const("s", np.float32([1, 1, 2, 2]))])
    r.append(("resize_11_tf_half_pixel_for_nn", m, ["'rs'", "Resize", "tf_half_pixel_for_nn"]))
    m = model([helper.make_node("Dropout", ["x"], ["d", "mask"], name="drop"), helper.make_node("Add", ["d", "mask"], ["y"])],
              [("x", [2, 3])], [("y", None)], 9)
    r.append(("dropout_7_mask_read", m, ["'drop'", "Dropout", "mask"]))
    r.append(("opset_6", unary("Relu", 6), ["Relu", "below opset 7"]))
    # malformed old-opset nodes (as a hostile file may hold them): refused by name, never a crash
    r.append(("softmax_axis_out_of_range", unary("Softmax", 9, axis=4), ["Softmax", "axis out of range"]))
    r.append(("slice_without_ends", unary("Slice", 9, starts=[0]), ["Slice", "without starts / ends"]))
    r.append(("pad_without_pads", unary("Pad", 9), ["Pad", "without 'pads'"]))
    r.append(("pad_float_pads", unary("Pad", 9, pads=[0.5] * 8), ["Pad", "without 'pads'"]))
    r.append(("upsample_without_scales", unary("Upsample", 9), ["Upsample", "without scales"]))
    r.append(("upsample_cubic", unary("Upsample", 7, mode="cubic", scales=[1.0, 1.0, 2.0, 2.0]),
              ["Upsample", "'nearest' or 'linear'"]))
    m = model([helper.make_node("Clip", ["x"], ["y"], min=0.0)], [], [("y", [2])], 9)
    m.graph.input.append(helper.make_tensor_value_info("x", TensorProto.INT32, [2]))
    r.append(("clip_int_input", m, ["Clip", "float or double input"]))
    m = unary("Relu", 9)
    m.graph.node[0].op_type = "Gelu"
    r.append(("op_after_13", m, ["Gelu", "no conversion"]))
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("--node", default=shutil.which("node") or "node")
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))
    ap.add_argument("--keep")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="qinfer_opset_")
    os.makedirs(work, exist_ok=True)
    failures = []

    def check(ok, what):
        if not ok or args.verbose:
            print(("   ok   " if ok else "   FAIL ") + what)
        if not ok:
            failures.append(what)

    try:
        rng = np.random.default_rng(1)
        jobs, converted = [], []
        for name, m, gone in cases():
            src, out = os.path.join(work, name + ".onnx"), os.path.join(work, name + ".13.onnx")
            onnx.save(m, src)
            p = subprocess.run([args.qinfer, "convert", src, "-o", out, "--opset", "13"], capture_output=True, text=True)
            if p.returncode != 0:
                check(False, f"{name}: qinfer convert --opset 13 failed ({p.returncode}): {p.stdout}{p.stderr}")
                continue
            w = onnx.load(out)
            version = {o.domain: o.version for o in w.opset_import}.get("", 0)
            kinds = {n.op_type for n in w.graph.node}
            left = [a.name for n in w.graph.node for a in n.attribute if a.name == gone]
            check(version == 13 and not left and "Upsample" not in kinds,
                  f"{name}: opset {version}, ops {sorted(kinds)}, attribute {gone} gone")
            bad = full_check_error(w)
            check(bad is None, f"{name}: onnx.checker full_check{': ' + bad if bad else ''}")
            feeds = {}
            for i in m.graph.input:
                dims = [d.dim_value for d in i.type.tensor_type.shape.dim] or [2, 3, 4, 5]
                f = os.path.join(work, f"{name}.{i.name}.npy")
                np.save(f, rng.standard_normal(dims).astype(np.float32))
                feeds[i.name] = f
            for tag, path in (("old", src), ("new", out)):
                jobs.append({"name": f"{name}.{tag}", "model": path, "inputs": feeds,
                             "outdir": os.path.join(work, f"{name}.{tag}")})
            converted.append((name, [o.name for o in m.graph.output]))
        jobs_file, res_file = os.path.join(work, "jobs.json"), os.path.join(work, "results.json")
        with open(jobs_file, "w") as f:
            json.dump(jobs, f)
        subprocess.run([args.node, ORT_BATCH, jobs_file, res_file, "--opt", "all", "--cache", args.cache], check=True,
                       capture_output=True)
        with open(res_file) as f:
            res = json.load(f)["cases"]
        for name, outs in converted:
            old, new = res[f"{name}.old"], res[f"{name}.new"]
            if not old["ok"] or not new["ok"]:
                check(False, f"{name}: ORT old {old.get('error', 'ok')} / new {new.get('error', 'ok')}")
                continue
            same = True
            for o in outs:
                a = np.load(os.path.join(work, f"{name}.old", o + ".npy"))
                b = np.load(os.path.join(work, f"{name}.new", o + ".npy"))
                same = same and a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
            check(same, f"{name}: ONNX Runtime (all optimizations) gives identical bytes at the old opset and at 13")

        for name, m, words in refused():
            src, out = os.path.join(work, name + ".onnx"), os.path.join(work, name + ".13.onnx")
            onnx.save(m, src)
            p = subprocess.run([args.qinfer, "convert", src, "-o", out, "--opset", "13"], capture_output=True, text=True)
            msg = p.stdout + p.stderr
            check(p.returncode == 1 and all(w in msg for w in words) and not os.path.exists(out),
                  f"{name}: refused (exit {p.returncode}), message names {words}: {msg.strip()}")

        # a model at opset 13 is written as it is; --opset other than 13 is a usage error
        src = os.path.join(work, "relu13.onnx")
        onnx.save(unary("Relu", 13), src)
        a, b = os.path.join(work, "relu13.a.onnx"), os.path.join(work, "relu13.b.onnx")
        p1 = subprocess.run([args.qinfer, "convert", src, "-o", a], capture_output=True)
        p2 = subprocess.run([args.qinfer, "convert", src, "-o", b, "--opset", "13"], capture_output=True)
        same = p1.returncode == 0 and p2.returncode == 0 and open(a, "rb").read() == open(b, "rb").read()
        check(same, "opset 13 model: --opset 13 writes the same bytes as a plain convert")
        p = subprocess.run([args.qinfer, "convert", src, "-o", a, "--opset", "18"], capture_output=True, text=True)
        check(p.returncode == 2 and "opset 13 only" in p.stderr, f"--opset 18: usage error (exit {p.returncode})")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    n = len(cases()) + len(refused()) + 2
    print(f"opset upgrade: {n} cases, {'FAIL: ' + str(len(failures)) + ' checks failed' if failures else 'ok'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
