"""Finding libqinfer.so and declaring the C API (include/qinfer.h, include/qinfer_quant.h) to ctypes.

The library is looked for, in this order, and the first that loads is kept for the process:
  1. $QINFER_LIBRARY (a path to the .so; when set, nothing else is tried),
  2. next to this package (qinfer/libqinfer.so*, where `pip install ./python` copies it),
  3. the build tree of the repository the package sits in (<repo>/build-release/libqinfer.so, <repo>/build/...).
"""

import ctypes
import glob
import os
import threading

from . import errors

c_int = ctypes.c_int
c_size_t = ctypes.c_size_t
c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_double = ctypes.c_double
c_int64 = ctypes.c_int64
c_uint64 = ctypes.c_uint64
c_unsigned = ctypes.c_uint

MAX_RANK = 8  # QINFER_MAX_RANK


class TensorInfoC(ctypes.Structure):
    """qinfer_tensor_info."""

    _fields_ = [
        ("name", c_char_p),
        ("dtype", c_int),
        ("rank", c_int),
        ("dims", c_int64 * MAX_RANK),
        ("dim_names", c_char_p * MAX_RANK),
    ]


class NodeProfileC(ctypes.Structure):
    """qinfer_node_profile."""

    _fields_ = [
        ("op_type", c_char_p),
        ("name", c_char_p),
        ("kernel", c_char_p),
        ("macs", c_int64),
        ("last_ms", c_double),
        ("total_ms", c_double),
        ("runs", c_int64),
    ]


class QuantReportC(ctypes.Structure):
    """qinfer_quant_report."""

    _fields_ = [
        ("quantized_nodes", c_int),
        ("activations", c_int),
        ("weights", c_int),
        ("biases", c_int),
        ("float_nodes", c_int),
        ("samples", c_size_t),
        ("shapes", c_size_t),
        ("weight_bytes_fp32", c_int64),
        ("weight_bytes_int8", c_int64),
        ("model_bytes", c_int64),
        ("output_bytes", c_int64),
        ("output_sqnr_db", c_double),
        ("int8_weight_nodes", c_int),
        ("int16_activations", c_int),
        ("macs", c_int64),
        ("macs_low_bit", c_int64),
        ("mixed_weight_bytes", c_int64),
    ]


class CompareRowC(ctypes.Structure):
    """qinfer_compare_row."""

    _fields_ = [
        ("match", c_int),
        ("ref", TensorInfoC),
        ("test", TensorInfoC),
        ("op", c_char_p),
        ("is_float", c_int),
        ("count", c_int64),
        ("sqnr_db", c_double),
        ("cosine", c_double),
        ("max_abs", c_double),
        ("mean_abs", c_double),
        ("equal_share", c_double),
    ]


P = c_void_p  # every opaque handle (qinfer_model *, qinfer_session *, ...)
PP = ctypes.POINTER(c_void_p)
PI64 = ctypes.POINTER(c_int64)
PDOUBLE = ctypes.POINTER(c_double)

SAMPLE_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
PROGRESS_FN = ctypes.CFUNCTYPE(None, c_void_p, c_char_p, c_size_t, c_size_t)
MESSAGE_FN = ctypes.CFUNCTYPE(None, c_void_p, c_char_p)

# (name, restype, argtypes). Everything that returns qinfer_status returns c_int.
_RUNTIME = [
    ("qinfer_version", c_char_p, []),
    ("qinfer_status_string", c_char_p, [c_int]),
    ("qinfer_last_error", c_char_p, []),
    ("qinfer_dtype_name", c_char_p, [c_int]),
    ("qinfer_model_load_file_ex", c_int, [c_char_p, c_unsigned, PP]),
    ("qinfer_model_destroy", None, [P]),
    ("qinfer_model_last_error", c_char_p, [P]),
    ("qinfer_model_input_count", c_size_t, [P]),
    ("qinfer_model_output_count", c_size_t, [P]),
    ("qinfer_model_input_info", c_int, [P, c_size_t, ctypes.POINTER(TensorInfoC)]),
    ("qinfer_model_output_info", c_int, [P, c_size_t, ctypes.POINTER(TensorInfoC)]),
    ("qinfer_session_options_create", c_int, [PP]),
    ("qinfer_session_options_destroy", None, [P]),
    ("qinfer_session_options_set_threads", c_int, [P, c_int]),
    ("qinfer_session_options_set_isa", c_int, [P, c_int]),
    ("qinfer_session_options_set_input_shape", c_int, [P, c_char_p, PI64, c_int]),
    ("qinfer_session_options_set_dim", c_int, [P, c_char_p, c_int64]),
    ("qinfer_session_options_set_input_value", c_int, [P, c_char_p, c_int, c_void_p, PI64, c_int]),
    ("qinfer_session_options_set_keep_intermediates", c_int, [P, c_int]),
    ("qinfer_session_options_set_profiling", c_int, [P, c_int]),
    ("qinfer_session_create", c_int, [P, P, PP]),
    ("qinfer_session_destroy", None, [P]),
    ("qinfer_session_last_error", c_char_p, [P]),
    ("qinfer_session_input_count", c_size_t, [P]),
    ("qinfer_session_output_count", c_size_t, [P]),
    ("qinfer_session_input_info", c_int, [P, c_size_t, ctypes.POINTER(TensorInfoC)]),
    ("qinfer_session_output_info", c_int, [P, c_size_t, ctypes.POINTER(TensorInfoC)]),
    ("qinfer_session_set_input", c_int, [P, c_size_t, c_void_p, c_size_t]),
    ("qinfer_session_resize_input", c_int, [P, c_size_t, PI64, c_int]),
    ("qinfer_session_run", c_int, [P]),
    ("qinfer_session_get_output", c_int, [P, c_size_t, PP, ctypes.POINTER(c_size_t)]),
    ("qinfer_session_tensor_count", c_size_t, [P]),
    ("qinfer_session_tensor", c_int, [P, c_size_t, ctypes.POINTER(TensorInfoC), PP, ctypes.POINTER(c_size_t)]),
    ("qinfer_session_tensor_index", c_int, [P, c_char_p]),
    ("qinfer_session_profile", c_int, [P, ctypes.POINTER(ctypes.POINTER(NodeProfileC)), ctypes.POINTER(c_size_t)]),
    ("qinfer_session_profile_reset", c_int, [P]),
    ("qinfer_session_isa_name", c_char_p, [P]),
    ("qinfer_session_arena_bytes", c_size_t, [P]),
]

# Absent from a library built with QINFER_WITH_QUANTIZER=OFF.
_QUANT = [
    ("qinfer_quant_options_create", c_int, [PP]),
    ("qinfer_quant_options_destroy", None, [P]),
    ("qinfer_quant_options_last_error", c_char_p, [P]),
    ("qinfer_quant_options_set_method", c_int, [P, c_int]),
    ("qinfer_quant_options_set_percentile", c_int, [P, c_double]),
    ("qinfer_quant_options_set_per_channel", c_int, [P, c_int]),
    ("qinfer_quant_options_set_activation_type", c_int, [P, c_int]),
    ("qinfer_quant_options_set_dynamic", c_int, [P, c_int]),
    ("qinfer_quant_options_set_weight_type", c_int, [P, c_int]),
    ("qinfer_quant_options_set_block_size", c_int, [P, c_int]),
    ("qinfer_quant_options_set_weight_method", c_int, [P, c_int]),
    ("qinfer_quant_options_add_exclude", c_int, [P, c_char_p]),
    ("qinfer_quant_options_set_target_sqnr", c_int, [P, c_double, c_int]),
    ("qinfer_quant_options_set_max_samples", c_int, [P, c_size_t]),
    ("qinfer_quant_options_set_threads", c_int, [P, c_int]),
    ("qinfer_quant_options_set_trim", c_int, [P, c_int]),
    ("qinfer_quant_options_set_sample_folder", c_int, [P, c_char_p]),
    ("qinfer_quant_options_set_sample_callback", c_int, [P, c_size_t, SAMPLE_FN, c_void_p]),
    ("qinfer_quant_options_set_progress_callback", c_int, [P, PROGRESS_FN, c_void_p]),
    ("qinfer_quant_options_set_message_callback", c_int, [P, MESSAGE_FN, c_void_p]),
    ("qinfer_quant_options_set_image_size", c_int, [P, c_int, c_int]),
    ("qinfer_quant_options_set_image_resize", c_int, [P, c_int]),
    ("qinfer_quant_options_set_image_crop_fraction", c_int, [P, c_double]),
    ("qinfer_quant_options_set_image_mean", c_int, [P, PDOUBLE]),
    ("qinfer_quant_options_set_image_std", c_int, [P, PDOUBLE]),
    ("qinfer_quant_options_set_image_scale", c_int, [P, PDOUBLE]),
    ("qinfer_quant_options_set_image_bgr", c_int, [P, c_int]),
    ("qinfer_quant_options_set_image_layout", c_int, [P, c_int]),
    ("qinfer_quant_options_set_image_preset", c_int, [P, c_char_p]),
    ("qinfer_quant_sample_input_count", c_size_t, [P]),
    ("qinfer_quant_sample_input_info", c_int, [P, c_size_t, ctypes.POINTER(TensorInfoC)]),
    ("qinfer_quant_sample_set_input", c_int, [P, c_size_t, c_int, PI64, c_int, c_void_p, c_size_t]),
    ("qinfer_quantize", c_int, [P, P, c_char_p, ctypes.POINTER(QuantReportC)]),
    ("qinfer_compare_create", c_int, [P, P, c_unsigned, PP]),
    ("qinfer_compare_destroy", None, [P]),
    ("qinfer_compare_last_error", c_char_p, [P]),
    ("qinfer_compare_set_input", c_int, [P, c_size_t, c_void_p, c_size_t]),
    ("qinfer_compare_set_random_inputs", c_int, [P, c_uint64]),
    ("qinfer_compare_run", c_int, [P]),
    ("qinfer_compare_run_ms", c_int, [P, PDOUBLE, PDOUBLE]),
    ("qinfer_compare_output_count", c_size_t, [P]),
    ("qinfer_compare_output", c_int, [P, c_size_t, ctypes.POINTER(CompareRowC)]),
    ("qinfer_compare_layer_count", c_size_t, [P]),
    ("qinfer_compare_layer", c_int, [P, c_size_t, ctypes.POINTER(CompareRowC)]),
]

_lock = threading.Lock()
_lib = None
_lib_path = None


def _candidates():
    """(where, path) pairs in search order; a set QINFER_LIBRARY is the only candidate."""
    env = os.environ.get("QINFER_LIBRARY")
    if env:
        return [("$QINFER_LIBRARY", env)]
    here = os.path.dirname(os.path.abspath(__file__))
    found = [("next to the package", p) for p in sorted(glob.glob(os.path.join(here, "libqinfer.so*")))]
    if not found:
        found.append(("next to the package", os.path.join(here, "libqinfer.so.*")))
    repo = os.path.dirname(os.path.dirname(here))  # <repo>/python/qinfer -> <repo>
    for build in ("build-release", "build"):
        found.append(("the repository's build tree", os.path.join(repo, build, "libqinfer.so")))
    return found


def _declare(lib):
    for name, restype, argtypes in _RUNTIME:
        fn = getattr(lib, name)  # a runtime symbol missing: not a qinfer library
        fn.restype = restype
        fn.argtypes = argtypes
    for name, restype, argtypes in _QUANT:
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype = restype
            fn.argtypes = argtypes


def load():
    """The loaded library (ctypes.CDLL), loading it on first use; raises LibraryNotFoundError."""
    global _lib, _lib_path
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for where, path in _candidates():
            if not os.path.exists(path):
                tried.append("%s (%s): no such file" % (path, where))
                continue
            try:
                lib = ctypes.CDLL(os.path.abspath(path))
                _declare(lib)
            except (OSError, AttributeError) as e:
                tried.append("%s (%s): %s" % (path, where, e))
                continue
            _lib, _lib_path = lib, os.path.abspath(path)
            return _lib
        raise errors.LibraryNotFoundError(
            errors.ERR_IO,
            "no usable libqinfer.so: install the package with tools/install-python.sh (or build the target "
            "qinfer_shared and `pip install ./python`), or point QINFER_LIBRARY at libqinfer.so. Tried: "
            + "; ".join(tried))


def path():
    """Absolute path of the loaded library (loads it)."""
    load()
    return _lib_path


def has_quantizer():
    return hasattr(load(), "qinfer_quantize")


def text(b):
    """A C string from the library as str (None stays None)."""
    return None if b is None else b.decode("utf-8", "replace")


def check(status, message_fn):
    """Raises the Error subclass of status (not OK) with message_fn()'s text."""
    if status != errors.OK:
        msg = message_fn()
        if isinstance(msg, bytes):
            msg = text(msg)
        raise errors.error_for(status, msg or errors.STATUS_NAMES.get(status, "qinfer error %d" % status))


def last_error():
    return text(load().qinfer_last_error())
