"""Post-training quantization over include/qinfer_quant.h (qinfer_quantize)."""

import ctypes
import math
import os

import numpy as np

from . import _lib, errors
from .model import DTYPE_BY_NAME, NUMPY_TO_DTYPE, Model

METHODS = {"minmax": 0, "percentile": 1, "entropy": 2, "mse": 3}
WEIGHT_METHODS = {"minmax": 0, "mse": 1}
WEIGHTS = ("int8", "int4", "uint4")
ACTIVATIONS = ("uint8", "int8", "int16", "uint16", "float")
RESIZES = {"stretch": 0, "shorter-crop": 1}
LAYOUTS = {"auto": 0, "nchw": 1, "nhwc": 2}


def need_quantizer(lib):
    if not hasattr(lib, "qinfer_quantize"):
        raise errors.UnsupportedError(errors.ERR_UNSUPPORTED,
                                      "%s was built without the quantizer (QINFER_WITH_QUANTIZER=OFF)" % _lib.path())


def _choice(what, value, table):
    key = str(value).lower()
    if key not in table:
        raise errors.InvalidArgumentError(errors.ERR_INVALID_ARGUMENT, "%s must be one of %s, got '%s'"
                                          % (what, ", ".join(table), value))
    return table[key] if isinstance(table, dict) else DTYPE_BY_NAME[key]


class _Samples:
    """The sample callback over a list of {input name: array}: errors found on the Python side are kept and
    raised after qinfer_quantize returns (the callback itself must return a status to C)."""

    def __init__(self, samples):
        self.samples = list(samples)
        self.error = None
        self.fn = _lib.SAMPLE_FN(self._fill)

    def _fill(self, user, index, sample):
        lib = _lib.load()
        try:
            data = self.samples[index]
            for i in range(lib.qinfer_quant_sample_input_count(sample)):
                info = _lib.TensorInfoC()
                st = lib.qinfer_quant_sample_input_info(sample, i, ctypes.byref(info))
                if st != errors.OK:
                    return st
                name = _lib.text(info.name)
                if name not in data:
                    raise errors.InvalidArgumentError(
                        errors.ERR_INVALID_ARGUMENT, "samples[%d] has no array for input '%s' (it has %s)"
                        % (index, name, ", ".join(data) or "none"))
                arr = np.ascontiguousarray(np.asarray(data[name]))
                code = NUMPY_TO_DTYPE.get(arr.dtype)
                if code is None:
                    raise errors.InvalidArgumentError(
                        errors.ERR_INVALID_ARGUMENT, "samples[%d]['%s']: numpy %s is no qinfer type"
                        % (index, name, arr.dtype.name))
                dims = (ctypes.c_int64 * max(arr.ndim, 1))(*arr.shape)
                # qinfer checks dtype and shape against the model input and keeps its message for the error
                st = lib.qinfer_quant_sample_set_input(sample, i, code, dims, arr.ndim, arr.ctypes.data, arr.nbytes)
                if st != errors.OK:
                    return st
            return errors.OK
        except Exception as e:  # never let an exception cross into C
            self.error = e
            return getattr(e, "status", errors.ERR_INVALID_ARGUMENT)


def quantize(model, out_path, calib=None, samples=None, weights="int8", block_size=0, activations="uint8",
             method="minmax", weight_method="minmax", dynamic=False, target_sqnr=None, max_float=16, exclude=(),
             preset=None, percentile=None, per_channel=True, max_samples=0, threads=0, trim=True, image_size=None,
             image_resize=None, crop_fraction=None, mean=None, std=None, scale=None, bgr=None, layout=None,
             progress=None, messages=None):
    """Quantizes the FP32 ONNX model (a path or a Model) and writes the QDQ model to out_path, as
    `qinfer quantize` does (docs/quantization.md, docs/cli.md for every option's meaning).

    Calibration samples: calib=DIR (a folder of .npy / image files, `qinfer quantize --calib`), or
    samples=[{input name: array}, ...] given to qinfer through a callback (each array's dtype must be the input's;
    qinfer checks shapes). Neither is needed for activations="float" (weight-only) or dynamic=True.

    weights: "int8" (default), "int4" or "uint4"; block_size: 0 (per channel) or 16 / 32 / 64 / 128 for 4-bit
    weights; activations: "uint8" (default), "int8", "int16", "uint16" or "float"; method: "minmax", "percentile",
    "entropy", "mse" (percentile= its share in %); weight_method: "minmax" or "mse"; dynamic: ONNX Runtime's
    quantize_dynamic layout; target_sqnr: dB for the mixed-precision search (max_float: float nodes it may add);
    exclude: node or output-tensor names kept in float; per_channel, max_samples, threads, trim as the CLI.
    Image samples: preset ("imagenet", "facenet", "arcface", "adaface", "none"), image_size=(h, w),
    image_resize ("stretch" / "shorter-crop"), crop_fraction, mean / std / scale (3 values each), bgr, layout
    ("auto" / "nchw" / "nhwc"). progress(stage, done, total) and messages(line) receive the library's callbacks.

    Returns the report as a dict (qinfer_quant_report's fields; output_sqnr_db is None without target_sqnr).
    Raises the Error subclass of qinfer's status with its message (InvalidArgumentError for options that do not
    go together, ShapeError for samples that do not fit the model, IoError for unreadable samples or out_path).
    """
    lib = _lib.load()
    need_quantizer(lib)
    if calib is not None and samples is not None:
        raise errors.InvalidArgumentError(errors.ERR_INVALID_ARGUMENT, "give calib= or samples=, not both")
    m = model if isinstance(model, Model) else Model(model)
    opts = ctypes.c_void_p()
    _lib.check(lib.qinfer_quant_options_create(ctypes.byref(opts)), lib.qinfer_last_error)
    o = opts.value
    keep = []  # callbacks: alive until qinfer_quantize returns

    def setter(status):
        _lib.check(status, lambda: lib.qinfer_quant_options_last_error(o))

    def triple(name, values):
        if len(values) != 3:
            raise errors.InvalidArgumentError(errors.ERR_INVALID_ARGUMENT, "%s needs 3 values" % name)
        return (ctypes.c_double * 3)(*[float(v) for v in values])

    try:
        setter(lib.qinfer_quant_options_set_method(o, _choice("method", method, METHODS)))
        if percentile is not None:
            setter(lib.qinfer_quant_options_set_percentile(o, float(percentile)))
        setter(lib.qinfer_quant_options_set_per_channel(o, 1 if per_channel else 0))
        setter(lib.qinfer_quant_options_set_activation_type(o, _choice("activations", activations, ACTIVATIONS)))
        setter(lib.qinfer_quant_options_set_dynamic(o, 1 if dynamic else 0))
        setter(lib.qinfer_quant_options_set_weight_type(o, _choice("weights", weights, WEIGHTS)))
        setter(lib.qinfer_quant_options_set_block_size(o, int(block_size)))
        setter(lib.qinfer_quant_options_set_weight_method(o, _choice("weight_method", weight_method, WEIGHT_METHODS)))
        if isinstance(exclude, str):
            exclude = [exclude]
        for name in exclude:
            setter(lib.qinfer_quant_options_add_exclude(o, name.encode()))
        if target_sqnr is not None:
            setter(lib.qinfer_quant_options_set_target_sqnr(o, float(target_sqnr), int(max_float)))
        setter(lib.qinfer_quant_options_set_max_samples(o, int(max_samples)))
        setter(lib.qinfer_quant_options_set_threads(o, int(threads)))
        setter(lib.qinfer_quant_options_set_trim(o, 1 if trim else 0))
        if calib is not None:
            setter(lib.qinfer_quant_options_set_sample_folder(o, os.fsencode(os.fspath(calib))))
        cb = None
        if samples is not None:
            cb = _Samples(samples)
            keep.append(cb)
            setter(lib.qinfer_quant_options_set_sample_callback(o, len(cb.samples), cb.fn, None))
        if preset is not None:
            setter(lib.qinfer_quant_options_set_image_preset(o, str(preset).encode()))
        if image_size is not None:
            h, w = image_size
            setter(lib.qinfer_quant_options_set_image_size(o, int(h), int(w)))
        if image_resize is not None:
            setter(lib.qinfer_quant_options_set_image_resize(o, _choice("image_resize", image_resize, RESIZES)))
        if crop_fraction is not None:
            setter(lib.qinfer_quant_options_set_image_crop_fraction(o, float(crop_fraction)))
        if mean is not None:
            setter(lib.qinfer_quant_options_set_image_mean(o, triple("mean", mean)))
        if std is not None:
            setter(lib.qinfer_quant_options_set_image_std(o, triple("std", std)))
        if scale is not None:
            setter(lib.qinfer_quant_options_set_image_scale(o, triple("scale", scale)))
        if bgr is not None:
            setter(lib.qinfer_quant_options_set_image_bgr(o, 1 if bgr else 0))
        if layout is not None:
            setter(lib.qinfer_quant_options_set_image_layout(o, _choice("layout", layout, LAYOUTS)))
        if progress is not None:
            pfn = _lib.PROGRESS_FN(lambda u, stage, done, total: progress(_lib.text(stage), done, total))
            keep.append(pfn)
            setter(lib.qinfer_quant_options_set_progress_callback(o, pfn, None))
        if messages is not None:
            mfn = _lib.MESSAGE_FN(lambda u, line: messages(_lib.text(line)))
            keep.append(mfn)
            setter(lib.qinfer_quant_options_set_message_callback(o, mfn, None))
        report = _lib.QuantReportC()
        st = lib.qinfer_quantize(m._ptr(), o, os.fsencode(os.fspath(out_path)), ctypes.byref(report))
        if st != errors.OK and cb is not None and cb.error is not None:
            raise cb.error
        _lib.check(st, lib.qinfer_last_error)
    finally:
        lib.qinfer_quant_options_destroy(o)
        if m is not model:
            m.close()
    out = {name: getattr(report, name) for name, _ in _lib.QuantReportC._fields_}
    out["samples"] = int(out["samples"])
    out["shapes"] = int(out["shapes"])
    if math.isnan(out["output_sqnr_db"]):
        out["output_sqnr_db"] = None
    return out
