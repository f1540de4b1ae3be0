"""Models and the tensor descriptions (qinfer_model_*)."""

import ctypes
import os
from dataclasses import dataclass

import numpy as np

from . import _lib
from ._handle import Handle, Owner

# qinfer_dtype (ONNX TensorProto.DataType values) <-> numpy
DTYPE_TO_NUMPY = {
    1: np.dtype(np.float32),
    2: np.dtype(np.uint8),
    3: np.dtype(np.int8),
    4: np.dtype(np.uint16),
    5: np.dtype(np.int16),
    6: np.dtype(np.int32),
    7: np.dtype(np.int64),
    9: np.dtype(np.bool_),
    10: np.dtype(np.float16),
    11: np.dtype(np.float64),
    12: np.dtype(np.uint32),
    13: np.dtype(np.uint64),
}
NUMPY_TO_DTYPE = {v: k for k, v in DTYPE_TO_NUMPY.items()}
DTYPE_BY_NAME = {"float": 1, "float32": 1, "uint8": 2, "int8": 3, "uint16": 4, "int16": 5, "int32": 6, "int64": 7,
                 "bool": 9, "float16": 10, "double": 11, "float64": 11, "uint32": 12, "uint64": 13, "uint4": 21,
                 "int4": 22}


def dtype_name(code):
    """qinfer's name of a qinfer_dtype code ("float", "int64", ...)."""
    return _lib.text(_lib.load().qinfer_dtype_name(int(code)))


@dataclass(frozen=True)
class TensorInfo:
    """One graph input, output or tensor.

    name:      the tensor's name
    dtype:     its numpy dtype (None for types numpy arrays cannot carry here: string, 4-bit)
    type_name: qinfer's name of the type ("float", "uint8", ...)
    shape:     a tuple: an int per known dimension, the symbolic name (str) of a dimension a model leaves open, or
               None for one with neither. A session's tensors have ints only.
    """

    name: str
    dtype: object
    type_name: str
    shape: tuple

    @staticmethod
    def from_c(info):
        shape = []
        for i in range(info.rank):
            d = int(info.dims[i])
            if d >= 0:
                shape.append(d)
            else:
                shape.append(_lib.text(info.dim_names[i]))
        return TensorInfo(_lib.text(info.name), DTYPE_TO_NUMPY.get(info.dtype), dtype_name(info.dtype), tuple(shape))


def _path_bytes(path):
    return os.fsencode(os.fspath(path))


class Model(Owner):
    """An ONNX model loaded and checked by qinfer (qinfer_model_load_file_ex).

    Model(path, read_into_memory=False): the file is mapped (the default; it must stay unchanged while the model
    and its sessions live) or, with read_into_memory=True, read into memory the model owns. Raises IoError for an
    unreadable path and InvalidModelError / UnsupportedError with qinfer's message for a model it refuses.

    ``inputs`` / ``outputs``: lists of TensorInfo as the file declares them. ``close()`` (or a ``with`` block)
    releases the model; sessions made from it keep what they need alive until they are closed too.
    """

    _what = "model"

    def __init__(self, path, read_into_memory=False):
        lib = _lib.load()
        self.path = os.fspath(path)
        ptr = ctypes.c_void_p()
        st = lib.qinfer_model_load_file_ex(_path_bytes(path), 1 if read_into_memory else 0, ctypes.byref(ptr))
        _lib.check(st, lib.qinfer_last_error)
        self._handle = Handle(ptr.value, lib.qinfer_model_destroy)
        self.inputs = self._infos(lib.qinfer_model_input_count, lib.qinfer_model_input_info)
        self.outputs = self._infos(lib.qinfer_model_output_count, lib.qinfer_model_output_info)

    def _infos(self, count_fn, info_fn):
        lib = _lib.load()
        out = []
        for i in range(count_fn(self._handle.ptr)):
            info = _lib.TensorInfoC()
            _lib.check(info_fn(self._handle.ptr, i, ctypes.byref(info)),
                       lambda: lib.qinfer_model_last_error(self._handle.ptr))
            out.append(TensorInfo.from_c(info))
        return out

    def __repr__(self):
        return "qinfer.Model(%r, inputs=%s, outputs=%s)" % (self.path, [i.name for i in self.inputs],
                                                            [o.name for o in self.outputs])
