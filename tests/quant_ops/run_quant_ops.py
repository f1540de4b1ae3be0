#!/usr/bin/python3
"""Quantized ops against ONNX Runtime: QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear, the
com.microsoft QLinear* ops, QLinearConv, QGemm, MatMulInteger, quantized pooling ... on small models made at
test time.

    run_quant_ops.py --qinfer BUILD/tools/qinfer [--filter REGEX] [-v] [--keep DIR] [--list]

tests/ops_ort/run_ops_ort.py is imported as the module `h` and does the work (model building with h.op_case /
h.graph_case, one ONNX Runtime process for all models, one `qinfer run` per model, the comparison and the
report). Every tests/quant_ops/cases_*.py module defines CASES(h) -> [h.Case] and may define the status lists
of run_ops_ort.py (ORT_UNSUPPORTED, ORT_DEVIATIONS, QINFER_UNSUPPORTED, KNOWN_QINFER_BUGS) for its cases.
Comparison: float outputs as in run_ops_ort.py; integer outputs exactly, except for cases made with steps=1
(results whose rounding legitimately differs from ONNX Runtime's: fixed-point rescaling in QLinearAdd, the
requantization rule against ORT's float formulas, qinfer's own FP32 sigmoid in a lookup table): then at least
99.9% of the elements equal and none more than one step apart; the equal share is printed for such cases.

uint8 x int8 products (QLinearConv, QLinearMatMul, QGemm, MatMulInteger, ConvInteger with uint8 activations and
int8 weights): ONNX Runtime's x86 gemm for them saturates int16 pair sums (vpmaddubsw) on CPUs without AVX-VNNI /
AVX-512 VNNI, so its results depart from the spec there. A probe (tests/common/ort_u8s8.py: one MatMulInteger run
by ORT whose exact result is known) decides before the cases run; where ORT saturates, those cases are compared
with the exact numpy reference tests/quant_ops/exact_ref.py instead (listed in ORT_DEVIATIONS for this run, the
line at the top says so). Wherever ORT is the reference for one of those five ops, the numpy reference is also
checked against ORT (the same comparison), so the oracle stays right on the machines where ORT is exact.
--u8s8-ref ort | exact forces either reference for the uint8 x int8 cases (exact: check the oracle anywhere).
"""
import glob
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STATUS_LISTS = ("ORT_UNSUPPORTED", "ORT_DEVIATIONS", "QINFER_UNSUPPORTED", "KNOWN_QINFER_BUGS")


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


h = load(os.path.join(os.path.dirname(HERE), "ops_ort", "run_ops_ort.py"), "run_ops_ort")
exact_ref = load(os.path.join(HERE, "exact_ref.py"), "exact_ref")
ort_u8s8 = load(os.path.join(os.path.dirname(HERE), "common", "ort_u8s8.py"), "ort_u8s8")
ORT_RUN = os.path.join(os.path.dirname(HERE), "zoo", "ort_run.js")


def collect():
    """-> (cases, status lists) of every cases_*.py module, in file-name order."""
    cases, status = [], {k: {} for k in STATUS_LISTS}
    for path in sorted(glob.glob(os.path.join(HERE, "cases_*.py"))):
        mod = load(path, os.path.splitext(os.path.basename(path))[0])
        got = mod.CASES(h)
        if not isinstance(got, list) or not all(isinstance(c, h.Case) for c in got):
            sys.exit(f"run_quant_ops: {os.path.basename(path)}: CASES(h) must return a list of h.Case")
        cases += got
        for k in STATUS_LISTS:
            status[k].update(getattr(mod, k, {}))
    return cases, status


def add_args(ap):
    ap.add_argument("--u8s8-ref", choices=("auto", "ort", "exact"), default="auto",
                    help="reference for the uint8 x int8 cases: auto (ORT where a probe finds its u8s8 path exact, "
                         "else the exact numpy reference), ort, exact")


def exact_cases(cases):
    """The cases exact_ref can compute (one-node models of its ops with no reference of their own) -> which of
    them multiply uint8 activations by int8 weights."""
    out = {}
    for c in cases:
        if c.ref is None and c.ort_model is None and len(c.model.graph.node) == 1 and \
                c.model.graph.node[0].op_type in exact_ref.OPS:
            out[c] = exact_ref.u8s8(c.model, c.feeds)
    return out


def prepare(cases):
    def run(args, node, cache, work):
        pick = exact_cases(cases)
        use_exact = args.u8s8_ref == "exact"
        if args.u8s8_ref == "auto":
            probe = ort_u8s8.probe(node, ORT_RUN, cache, os.path.join(work, "u8s8_probe"))
            use_exact = not probe.exact
            if probe.exact:
                print(f"ORT's u8s8 path is exact on this CPU: {probe.describe()}")
            else:
                print(f"ORT's u8s8 path saturates on this CPU (no VNNI): comparing the {sum(pick.values())} uint8 x "
                      f"int8 cases with the exact numpy reference (tests/quant_ops/exact_ref.py) instead of ORT; "
                      f"{probe.describe()}")
        elif use_exact:
            print(f"--u8s8-ref exact: the {sum(pick.values())} uint8 x int8 cases are compared with the exact numpy "
                  "reference (tests/quant_ops/exact_ref.py)")
        why = ("ORT's x86 uint8 x int8 gemm without VNNI saturates int16 pair sums (vpmaddubsw; onnxruntime #14642, "
               "#6004): reference: exact numpy (tests/quant_ops/exact_ref.py)")
        for c, u8s8 in pick.items():
            if u8s8 and use_exact:
                c.ref = (lambda m: lambda feeds: exact_ref.run(m, feeds))(c.model)
                h.ORT_DEVIATIONS[c.name] = why
            else:
                c.cross_ref = (lambda m: lambda feeds: exact_ref.run(m, feeds))(c.model)
    return run


if __name__ == "__main__":
    cases, status = collect()
    sys.exit(h.main(cases, status, description="quantized ops: qinfer vs ONNX Runtime", epilog=__doc__,
                    add_args=add_args, prepare=prepare(cases)))
