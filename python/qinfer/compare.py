"""Comparing two models over include/qinfer_quant.h (qinfer_compare_*), as `qinfer compare` does."""

import ctypes

from . import _lib, errors
from .quantize import need_quantizer
from .session import Session, as_input_array, fmt_shape

MATCH = {0: "compared", 1: "only_in_ref", 2: "only_in_test", 3: "mismatch"}
PER_LAYER = 1  # QINFER_COMPARE_PER_LAYER


def _row(kind, r):
    ref = r.ref if r.match != 2 else r.test
    return {
        "kind": kind,
        "name": _lib.text(ref.name),
        "match": MATCH.get(r.match, str(r.match)),
        "op": _lib.text(r.op),
        "shape": tuple(int(ref.dims[i]) for i in range(ref.rank)),
        "ref_dtype": _lib.text(_lib.load().qinfer_dtype_name(r.ref.dtype)) if r.match != 2 else None,
        "test_name": _lib.text(r.test.name) if r.match != 1 else None,
        "test_dtype": _lib.text(_lib.load().qinfer_dtype_name(r.test.dtype)) if r.match != 1 else None,
        "is_float": bool(r.is_float),
        "count": int(r.count),
        "sqnr_db": float(r.sqnr_db),
        "cosine": float(r.cosine),
        "max_abs": float(r.max_abs),
        "mean_abs": float(r.mean_abs),
        "equal_share": float(r.equal_share),
    }


def compare(ref, test, inputs=None, per_layer=False, seed=0, threads=1, isa=None, dims=None):
    """Runs two models on the same inputs and compares them, as `qinfer compare REF TEST [--per-layer]`.

    ref, test: paths or Models with the same inputs. inputs: {name: array} (dtype and shape checked as
    Session.run does, against REF's session); inputs not given get qinfer's deterministic random values from
    `seed` (the same as `qinfer compare --seed` / `qinfer run --seed`). per_layer: also every tensor both sessions
    share (sessions kept with keep_intermediates). threads, isa, dims: as Session.

    Returns a list of dicts, the output rows first (REF's outputs in order; kind "output"), then with per_layer
    the per-layer rows worst SQNR first (kind "layer"). Keys: kind, name, match ("compared", "only_in_ref",
    "only_in_test", "mismatch"), op, shape, ref_dtype, test_name, test_dtype, is_float, count, sqnr_db (inf when
    equal), cosine, max_abs, mean_abs, equal_share. The metrics are qinfer_compare_row's (include/qinfer_quant.h);
    they mean something only where match is "compared".
    """
    lib = _lib.load()
    need_quantizer(lib)
    opts = dict(threads=threads, isa=isa, dims=dims, keep_intermediates=per_layer)
    rs = Session(ref, **opts)  # a session made from a path owns its model: both go with the session
    ts = Session(test, **opts)
    cmp = ctypes.c_void_p()
    try:
        _lib.check(lib.qinfer_compare_create(rs._ptr(), ts._ptr(), PER_LAYER if per_layer else 0, ctypes.byref(cmp)),
                   lib.qinfer_last_error)
        c = cmp.value

        def check(st):
            _lib.check(st, lambda: lib.qinfer_compare_last_error(c))

        held = []
        index = {t.name: i for i, t in enumerate(rs.inputs)}
        for name, value in (inputs or {}).items():
            if name not in index:
                raise errors.InvalidArgumentError(errors.ERR_INVALID_ARGUMENT, "REF has no input '%s' (inputs: %s)"
                                                  % (name, ", ".join(index)))
            info = rs.inputs[index[name]]
            arr = as_input_array(name, value, info)
            if tuple(arr.shape) != tuple(info.shape):
                raise errors.ShapeError(errors.ERR_SHAPE, "input '%s' has shape %s, the sessions expect %s (dims= "
                                        "binds symbolic dimensions)" % (name, fmt_shape(arr.shape),
                                                                        fmt_shape(info.shape)))
            held.append(arr)
            check(lib.qinfer_compare_set_input(c, index[name], arr.ctypes.data, arr.nbytes))
        check(lib.qinfer_compare_set_random_inputs(c, int(seed)))
        check(lib.qinfer_compare_run(c))  # `held` keeps the inputs alive until here
        rows = []
        r = _lib.CompareRowC()
        for i in range(lib.qinfer_compare_output_count(c)):
            check(lib.qinfer_compare_output(c, i, ctypes.byref(r)))
            rows.append(_row("output", r))
        for i in range(lib.qinfer_compare_layer_count(c)):
            check(lib.qinfer_compare_layer(c, i, ctypes.byref(r)))
            rows.append(_row("layer", r))
        return rows
    finally:
        if cmp.value:
            lib.qinfer_compare_destroy(cmp.value)
        rs.close()
        ts.close()
