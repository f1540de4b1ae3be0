"""qinfer for Python: the qinfer inference engine's shared library (libqinfer.so) through ctypes, numpy in and out.

    import qinfer
    s = qinfer.Session("model.onnx", threads=2)
    out = s.run({"input": x})                       # {output name: numpy array}, copies the caller owns
    qinfer.quantize("model.onnx", "model.int8.onnx", calib="samples/")
    rows = qinfer.compare("model.onnx", "model.int8.onnx", {"input": x}, per_layer=True)

docs/python.md has the whole API, where the library is found and who owns what.
"""

from . import _lib
from .compare import compare
from .errors import (Error, InvalidArgumentError, InvalidModelError, IoError, LibraryNotFoundError, OutOfMemoryError,
                     ParityUnavailableError, QuantParamsError, RunError, ShapeError, UnsupportedError)
from .model import Model, TensorInfo
from .parity import parity
from .quantize import quantize
from .session import Session

__version__ = "0.1.0"


def version():
    """Version of the loaded libqinfer ("0.1.0")."""
    return _lib.text(_lib.load().qinfer_version())


def library_path():
    """Absolute path of the libqinfer.so in use (loading it: $QINFER_LIBRARY, next to the package, or the
    repository's build tree)."""
    return _lib.path()


def has_quantizer():
    """Whether the loaded library has the quantizer and comparison (built with QINFER_WITH_QUANTIZER=ON)."""
    return _lib.has_quantizer()


__all__ = ["Model", "TensorInfo", "Session", "quantize", "compare", "parity", "version", "library_path",
           "has_quantizer", "Error", "InvalidArgumentError", "IoError", "LibraryNotFoundError", "InvalidModelError",
           "UnsupportedError", "ShapeError", "OutOfMemoryError", "RunError", "QuantParamsError",
           "ParityUnavailableError"]
