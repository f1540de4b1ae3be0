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


if __name__ == "__main__":
    cases, status = collect()
    sys.exit(h.main(cases, status, description="quantized ops: qinfer vs ONNX Runtime", epilog=__doc__))
