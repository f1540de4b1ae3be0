"""Whole transformer blocks in ONNX Runtime's QOperator format, built here with onnx.helper in the shapes its
quantizer writes (its Python quantizer is not available to the tests), run by ORT and by qinfer (run by
run_quant_ops.py).

vit_block_qop: a ViT-style attention block quantized statically (quantize_static, QuantFormat.QOperator, uint8
    activations, int8 weights): QuantizeLinear, QLinearMatMul + QLinearAdd for the Q / K / V / output projections,
    Reshape / Transpose on the uint8 tensors, QLinearMatMul for Q K^T and P V, QLinearMul by 1/sqrt(head size),
    QLinearWhere for the key mask, QLinearSoftmax, the residual QLinearAdd, QLinearReduceMean over the tokens and
    DequantizeLinear. Activation parameters come from a float run of the same block (min / max calibration).
    ORT has no CPU kernel for QLinearReduceMean, so ORT runs the block with DequantizeLinear -> ReduceMean ->
    QuantizeLinear in its place. The outputs are uint8 tensors (the residual sum, the pooled mean, the attention
    probabilities): QLinearAdd (fixed point in qinfer, float in ORT, docs/quantization.md) and QLinearReduceMean
    (exact sum in qinfer, float mean in ORT) may round differently next to a tie, so the block is compared with
    steps=1 (at least 99.9% of the values equal, none more than one step apart); measured: 100% equal.
bert_block_dynamic: a BERT-style layer quantized dynamically (quantize_dynamic): DynamicQuantizeLinear -> QAttention
    with a mask_index, then the dense projection as DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul (the two
    scales) -> Add (bias), the residual Add and LayerNormalization. Float output within the float tolerance
    (measured max |d| 4.8e-7): QAttention's float output agrees with ORT's to rounding, and none of its values here
    sits next to a step of the DynamicQuantizeLinear after it (one that did would move by a step, ~4e-3 here).
int8 weights are drawn from [-64, 63] (ORT's uint8 x int8 gemm without VNNI saturates int16 pair sums beyond that,
tests/common/ort_u8s8.py)."""
import numpy as np
from onnx import helper

MS = (("com.microsoft", 1),)

ORT_DEVIATIONS = {}


def qparams(a, lo=None, hi=None):
    """uint8 (scale, zero point) covering [min(a, 0), max(a, 0)], as a min / max calibration gives them."""
    lo = min(float(a.min()), 0.0) if lo is None else lo
    hi = max(float(a.max()), 0.0) if hi is None else hi
    s = np.float32((hi - lo) / 255.0 if hi > lo else 1.0)
    return s, np.uint8(np.clip(np.round(-lo / s), 0, 255))


def CASES(h):
    C, rng_for = h.C, h.rng_for
    out = []
    f32 = np.float32

    # ------------------------------------------------------------------ ViT-style block, static QOperator
    r = rng_for("vit_block_qop")
    T, D, NH = 17, 32, 4
    HD = D // NH
    x = r.standard_normal((1, T, D)).astype(f32)
    mask = np.ones((1, 1, 1, T), bool)
    mask[..., -3:] = False
    w = {k: (r.integers(-64, 64, (D, D)).astype(np.int8), f32(0.004)) for k in "qkvo"}
    b = {k: (r.standard_normal(D) * 0.2).astype(f32) for k in "qkvo"}

    def heads(t):
        return t.reshape(1, T, NH, HD).transpose(0, 2, 1, 3)

    # float run of the block for the activation ranges (weights dequantized)
    wf = {k: w[k][0].astype(f32) * w[k][1] for k in w}
    mm = {k: x @ wf[k] for k in "qkv"}
    pr = {k: mm[k] + b[k] for k in "qkv"}
    scores = heads(pr["q"]) @ heads(pr["k"]).transpose(0, 1, 3, 2)
    scaled = scores * f32(1 / np.sqrt(HD))
    fill = f32(scaled.min() - 1.0)
    masked = np.where(mask, scaled, fill)
    e = np.exp(masked - masked.max(-1, keepdims=True))
    probs = e / e.sum(-1, keepdims=True)
    ctx = (probs @ heads(pr["v"])).transpose(0, 2, 1, 3).reshape(1, T, D)
    omm = ctx @ wf["o"]
    opr = omm + b["o"]
    res = opr + x
    P = {"x": qparams(x), "scores": qparams(scores), "scaled": qparams(np.concatenate([scaled.ravel(), [fill]])),
         "probs": (f32(1 / 256), np.uint8(0)), "ctx": qparams(ctx), "omm": qparams(omm), "opr": qparams(opr),
         "res": qparams(res), "pooled": qparams(res.mean(1))}
    for k in "qkv":
        P[k + "mm"], P[k + "pr"] = qparams(mm[k]), qparams(pr[k])
    P["masked"], P["ctx4"] = P["scaled"], P["ctx"]

    inits, nodes = [], []

    def param(name, sz):
        inits.append((name + "_s", C(np.array(sz[0], f32))))
        inits.append((name + "_z", C(np.array(sz[1], np.uint8))))
        return [name + "_s", name + "_z"]

    def quant_const(name, v, sz):
        q = np.clip(np.round(v / sz[0]) + sz[1], 0, 255).astype(np.uint8)
        inits.append((name, C(q)))
        return [name] + param(name, sz)

    def node(op, ins, outs, **attrs):
        dom = {} if op in ("QuantizeLinear", "DequantizeLinear", "QLinearMatMul", "Reshape", "Transpose") \
            else {"domain": "com.microsoft"}
        nodes.append(helper.make_node(op, ins, outs, **dom, **attrs))

    def qmatmul(a, b_name, b_params, outname):
        node("QLinearMatMul", [a, *param_names[a], b_name, *b_params, *param(outname, P[outname])], [outname])
        param_names[outname] = [outname + "_s", outname + "_z"]

    param_names = {}
    node("QuantizeLinear", ["x", *param("xq", P["x"])], ["xq"])
    param_names["xq"] = ["xq_s", "xq_z"]
    for k in "qkv":
        inits += [("w" + k, C(w[k][0])), ("w" + k + "_s", C(np.array(w[k][1], f32))), ("w" + k + "_z", C(np.int8(0)))]
        qmatmul("xq", "w" + k, ["w" + k + "_s", "w" + k + "_z"], k + "mm")
        node("QLinearAdd", [k + "mm", *param_names[k + "mm"], *quant_const("b" + k, b[k], qparams(b[k])),
                            *param(k + "pr", P[k + "pr"])], [k + "pr"])
        param_names[k + "pr"] = [k + "pr_s", k + "pr_z"]
        inits.append(("shape4", C(np.array([1, T, NH, HD], np.int64))))
        node("Reshape", [k + "pr", "shape4"], [k + "4"])
        node("Transpose", [k + "4"], [k + "h"], perm=[0, 2, 3, 1] if k == "k" else [0, 2, 1, 3])
        param_names[k + "h"] = param_names[k + "pr"]
    qmatmul("qh", "kh", param_names["kh"], "scores")
    node("QLinearMul", ["scores", *param_names["scores"],
                        *quant_const("inv_sqrt", f32(1 / np.sqrt(HD)), (f32(1 / np.sqrt(HD) / 200), np.uint8(0))),
                        *param("scaled", P["scaled"])], ["scaled"])
    node("QLinearWhere", ["mask", "scaled", "scaled_s", "scaled_z", *quant_const("fill", fill, P["masked"]),
                          *param("masked", P["masked"])], ["masked"])
    node("QLinearSoftmax", ["masked", "masked_s", "masked_z", *param("probs", P["probs"])], ["probs"], axis=-1,
         opset=13)
    param_names["probs"] = ["probs_s", "probs_z"]
    qmatmul("probs", "vh", param_names["vh"], "ctx4")
    node("Transpose", ["ctx4"], ["ctxt"], perm=[0, 2, 1, 3])
    inits.append(("shape3", C(np.array([1, T, D], np.int64))))
    node("Reshape", ["ctxt", "shape3"], ["ctx"])
    param_names["ctx"] = param_names["ctx4"]
    inits += [("wo", C(w["o"][0])), ("wo_s", C(np.array(w["o"][1], f32))), ("wo_z", C(np.int8(0)))]
    qmatmul("ctx", "wo", ["wo_s", "wo_z"], "omm")
    node("QLinearAdd", ["omm", *param_names["omm"], *quant_const("bo", b["o"], qparams(b["o"])),
                        *param("opr", P["opr"])], ["opr"])
    node("QLinearAdd", ["opr", "opr_s", "opr_z", "xq", "xq_s", "xq_z", *param("res", P["res"])], ["res"])
    reduce_at = len(nodes)
    node("QLinearReduceMean", ["res", "res_s", "res_z", *param("pooled", P["pooled"])], ["pooled"], axes=[1],
         keepdims=0)
    ins = [("x", x), ("mask", mask)] + list(dict(inits).items())
    outs = [("res", "u8"), ("pooled", "u8"), ("probs", "u8")]
    c = h.graph_case("vit_block_qop", nodes, ins, outs, 13, extra_opsets=MS, steps=1)
    ort_nodes = list(nodes)
    ort_nodes[reduce_at:reduce_at + 1] = [
        helper.make_node("DequantizeLinear", ["res", "res_s", "res_z"], ["res_f"]),
        helper.make_node("ReduceMean", ["res_f"], ["pooled_f"], axes=[1], keepdims=0),
        helper.make_node("QuantizeLinear", ["pooled_f", "pooled_s", "pooled_z"], ["pooled"])]
    c.ort_model = h.make_model("vit_block_qop", ort_nodes, ins, outs, 13, MS)[0]
    ORT_DEVIATIONS[c.name] = ("ORT 1.30 has no CPU kernel for QLinearReduceMean; reference: ORT on the same block "
                              "with DequantizeLinear -> ReduceMean -> QuantizeLinear in its place")
    out.append(c)

    # ------------------------------------------------------------------ BERT-style layer, dynamic QOperator
    r = rng_for("bert_block_dynamic")
    B, S, D, NH = 2, 8, 32, 4
    x = r.standard_normal((B, S, D)).astype(f32)
    inits = [("w_qkv", C(r.integers(-64, 64, (D, 3 * D)).astype(np.int8))), ("w_qkv_s", C(np.array(0.004, f32))),
             ("w_qkv_z", C(np.int8(0))), ("b_qkv", C((r.standard_normal(3 * D) * 0.1).astype(f32))),
             ("w_o", C(r.integers(-64, 64, (D, D)).astype(np.int8))), ("w_o_s", C(np.array(0.003, f32))),
             ("w_o_z", C(np.int8(0))), ("b_o", C((r.standard_normal(D) * 0.1).astype(f32))),
             ("gamma", C((1 + 0.1 * r.standard_normal(D)).astype(f32))), ("beta", C((0.1 * r.standard_normal(D)).astype(f32)))]
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xq_s", "xq_z"]),
             helper.make_node("QAttention", ["xq", "w_qkv", "b_qkv", "xq_s", "w_qkv_s", "mask_index", "xq_z", "w_qkv_z"],
                              ["attn"], domain="com.microsoft", num_heads=NH),
             helper.make_node("DynamicQuantizeLinear", ["attn"], ["aq", "aq_s", "aq_z"]),
             helper.make_node("MatMulInteger", ["aq", "w_o", "aq_z", "w_o_z"], ["dense_i"]),
             helper.make_node("Cast", ["dense_i"], ["dense_c"], to=1),
             helper.make_node("Mul", ["aq_s", "w_o_s"], ["dense_scale"]),
             helper.make_node("Mul", ["dense_c", "dense_scale"], ["dense_f"]),
             helper.make_node("Add", ["dense_f", "b_o"], ["dense"]),
             helper.make_node("Add", ["dense", "x"], ["res"]),
             helper.make_node("LayerNormalization", ["res", "gamma", "beta"], ["y"], axis=-1, epsilon=1e-5)]
    ins = [("x", x), ("mask_index", np.array([8, 5], np.int32))] + inits
    out.append(h.graph_case("bert_block_dynamic", nodes, ins, [("y", "f")], 17, extra_opsets=MS))
    return out
