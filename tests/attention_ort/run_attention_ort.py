#!/usr/bin/python3
"""Attention fusion: qinfer against ONNX Runtime on small unfused attention graphs (onnx.helper, seeded):
MatMul(Q, K^T) -> [Mul / Div by a scalar] -> Softmax -> MatMul(., V), with the Transposes and scalings of the
torch export around it, which qinfer's attention pass (engine/pass_fuse_attention.c) turns into one
FusedAttention node. Shapes: heads 1..4, token counts that are no multiple of the kernels' tiles (6 rows, 16 / 32
keys), head sizes 8..64, 2-D to 4-D, the zoo ViT's layout ([tokens, batch * heads, head size], K by perm
[1, 2, 0], 197 tokens, head size 64). ONNX Runtime runs the graph as it is (graph optimizations disabled).

    run_attention_ort.py --qinfer BUILD/tools/qinfer [--filter REGEX] [--keep DIR] [-v]

tests/ops_ort/run_ops_ort.py does the work (models, ORT batch, `qinfer run`, comparison within
1e-5 + 1e-4 |ort|). Before that, every case is run once by `qinfer run --all-tensors`, and whether the pass fused
it is read from the tensors the session computed: the Softmax output "p" is gone when fused. Each case says
which it expects: the patterns whose meaning differs, or whose intermediate tensors something else reads (a
graph output, a second reader), must stay unfused; a wrong guess on either side fails the suite.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


h = load(os.path.join(os.path.dirname(HERE), "ops_ort", "run_ops_ort.py"), "run_ops_ort")
C, N = h.C, helper.make_node
EXPECT_FUSED = {}  # case name -> whether the pass must fuse it


def case(name, nodes, inputs, fused, outputs=(("y", "f"),), opset=17):
    h.graph_case(name, nodes, inputs, list(outputs), opset)
    EXPECT_FUSED[name] = fused


def rnd(name, *shape):
    return h.rng_for(name).standard_normal(shape).astype(np.float32)


def torch_layout(name, tokens, heads, d):
    """The ViT export: Q, K, V [tokens, heads, d]; Q' = Transpose(Q, [1, 0, 2]) / sqrt(d), K' = Transpose(K,
    [1, 2, 0]), V' = Transpose(V, [1, 0, 2]), y = Transpose(softmax(Q' K') V', [1, 0, 2])."""
    r = h.rng_for(name)
    q, k, v = (r.standard_normal((tokens, heads, d)).astype(np.float32) for _ in range(3))
    nodes = [N("Transpose", ["q"], ["qt"], perm=[1, 0, 2]), N("Div", ["qt", "c"], ["qs"]),
             N("Transpose", ["k"], ["kt"], perm=[1, 2, 0]), N("Transpose", ["v"], ["vt"], perm=[1, 0, 2]),
             N("MatMul", ["qs", "kt"], ["s"]), N("Softmax", ["s"], ["p"], axis=-1),
             N("MatMul", ["p", "vt"], ["o"]), N("Transpose", ["o"], ["y"], perm=[1, 0, 2])]
    case(name, nodes, [("q", q), ("k", k), ("v", v), ("c", C(np.array(np.sqrt(d), np.float32)))], True)


def plain(name, shape_q, shape_k, shape_v, fused=True, score_scale=None, softmax_axis=-1, opset=17, extra=None):
    """y = softmax([score_scale *] q k) v on tensors given as they are (K already [.., D, Lk])."""
    ins = [("q", rnd(name + "q", *shape_q)), ("k", rnd(name + "k", *shape_k)), ("v", rnd(name + "v", *shape_v))]
    nodes = [N("MatMul", ["q", "k"], ["s"])]
    scores = "s"
    if score_scale is not None:
        nodes.append(N("Mul", ["s", "c"], ["ss"]))
        ins.append(("c", C(np.asarray(score_scale, np.float32))))
        scores = "ss"
    nodes += [N("Softmax", [scores], ["p"], axis=softmax_axis), N("MatMul", ["p", "v"], ["y"])]
    outputs = [("y", "f")]
    if extra:
        extra(nodes, outputs)
    case(name, nodes, ins, fused, outputs, opset)


def cases():
    h.CASES = []  # the ops_ort cases made at its import are not this suite's
    torch_layout("vit_197x3x64", 197, 3, 64)
    torch_layout("torch_13x4x32", 13, 4, 32)
    torch_layout("torch_50x2x48", 50, 2, 48)
    torch_layout("torch_7x1x8", 7, 1, 8)
    plain("plain3d_scaled", (3, 19, 32), (3, 32, 37), (3, 37, 40), score_scale=0.125)
    plain("plain4d_scaled", (2, 3, 17, 16), (2, 3, 16, 33), (2, 3, 33, 24), score_scale=0.25)
    plain("plain2d", (21, 8), (8, 70), (70, 17))
    plain("opset11_axis2", (2, 9, 16), (2, 16, 23), (2, 23, 16), softmax_axis=2, opset=11)
    # K stored [B, H, Lk, D] and transposed, scaled by a Mul on K; V stored [B, H, Dv, Lk] (its Transpose moves the
    # feature axis, so it stays a node and the fused op reads its output)
    name = "k_transposed_v_feature_major"
    q, k, v = rnd(name + "q", 2, 2, 11, 32), rnd(name + "k", 2, 2, 29, 32), rnd(name + "v", 2, 2, 8, 29)
    nodes = [N("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]), N("Mul", ["c", "kt"], ["ks"]),
             N("Transpose", ["v"], ["vt"], perm=[0, 1, 3, 2]), N("MatMul", ["q", "ks"], ["s"]),
             N("Softmax", ["s"], ["p"]), N("MatMul", ["p", "vt"], ["y"])]
    case(name, nodes, [("q", q), ("k", k), ("v", v), ("c", C(np.array([0.3], np.float32)))], True)

    # not the same computation, or intermediates read elsewhere: no fusion, same results
    def p_output(nodes, outputs):
        outputs.append(("p", "f"))
    plain("probs_graph_output", (2, 7, 8), (2, 8, 9), (2, 9, 8), fused=False, extra=p_output)

    def second_reader(nodes, outputs):
        nodes.append(N("ReduceSum", ["s"], ["sum_s"], keepdims=0))
        outputs.append(("sum_s", "f"))
    plain("scores_second_reader", (2, 7, 8), (2, 8, 9), (2, 9, 8), fused=False, extra=second_reader)
    plain("scale_per_key", (2, 7, 8), (2, 8, 9), (2, 9, 8), fused=False,
          score_scale=np.linspace(0.5, 1.5, 9, dtype=np.float32))
    plain("softmax_axis1", (2, 7, 8), (2, 8, 7), (2, 7, 8), fused=False, softmax_axis=1)
    plain("batch_broadcast", (2, 3, 7, 8), (1, 3, 8, 9), (2, 3, 9, 8), fused=False)
    plain("scale_broadcasts_rank", (7, 8), (8, 9), (9, 8), fused=False, score_scale=np.full((1, 1, 1), 0.5))
    return list(h.CASES)


def check_fusion(args, node, cache, work):
    """Runs every case once with --all-tensors and checks that the Softmax output was fused away or not."""
    bad = []
    for c in h.CASES:
        if args.filter and not __import__("re").search(args.filter, c.name):
            continue
        d = tempfile.mkdtemp(prefix="qinfer-attn-", dir=work)
        model = os.path.join(d, "model.onnx")
        with open(model, "wb") as f:
            f.write(c.model.SerializeToString())
        cmd = [args.qinfer, "run", model, "--output-dir", os.path.join(d, "out"), "--all-tensors",
               os.path.join(d, "all")]
        for name, a in c.feeds.items():
            np.save(os.path.join(d, name + ".npy"), a)
            cmd += ["--input", f"{name}={os.path.join(d, name + '.npy')}"]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            bad.append(f"{c.name}: qinfer run --all-tensors failed: {run.stderr.strip()}")
            continue
        fused = not any(f.endswith("_p.npy") for f in os.listdir(os.path.join(d, "all")))
        if fused != EXPECT_FUSED[c.name]:
            bad.append(f"{c.name}: {'fused' if fused else 'not fused'}, expected the opposite")
        elif args.verbose:
            print(f"fusion {c.name}: {'fused' if fused else 'not fused'} as expected")
        shutil.rmtree(d, ignore_errors=True)
    if bad:
        sys.exit("run_attention_ort: " + "; ".join(bad))
    print(f"fusion as expected in every case ({sum(EXPECT_FUSED.values())} fused, "
          f"{sum(not v for v in EXPECT_FUSED.values())} left alone)")


if __name__ == "__main__":
    status = {k: {} for k in ("ORT_UNSUPPORTED", "ORT_DEVIATIONS", "QINFER_UNSUPPORTED", "KNOWN_QINFER_BUGS")}
    sys.exit(h.main(cases(), status, description="attention fusion: qinfer vs ONNX Runtime", epilog=__doc__,
                    prepare=check_fusion))
