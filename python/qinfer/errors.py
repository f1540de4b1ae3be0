"""Exceptions: every failure of a qinfer call is raised as a subclass of :class:`Error` that carries qinfer's
status code (``status``, an int equal to the C enum ``qinfer_status``), its name (``status_name``) and the
library's last-error message (``message``). The subclasses also derive from the closest Python built-in
(``ShapeError`` is a ``ValueError``, ``IoError`` an ``OSError``, ...), so ordinary ``except`` clauses work too."""

# qinfer_status values (include/qinfer.h)
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_IO = 2
ERR_INVALID_MODEL = 3
ERR_UNSUPPORTED = 4
ERR_SHAPE = 5
ERR_OUT_OF_MEMORY = 6
ERR_RUNTIME = 7
ERR_QUANT_PARAMS = 8

STATUS_NAMES = {
    OK: "QINFER_OK",
    ERR_INVALID_ARGUMENT: "QINFER_ERR_INVALID_ARGUMENT",
    ERR_IO: "QINFER_ERR_IO",
    ERR_INVALID_MODEL: "QINFER_ERR_INVALID_MODEL",
    ERR_UNSUPPORTED: "QINFER_ERR_UNSUPPORTED",
    ERR_SHAPE: "QINFER_ERR_SHAPE",
    ERR_OUT_OF_MEMORY: "QINFER_ERR_OUT_OF_MEMORY",
    ERR_RUNTIME: "QINFER_ERR_RUNTIME",
    ERR_QUANT_PARAMS: "QINFER_ERR_QUANT_PARAMS",
}


class Error(Exception):
    """A qinfer failure: ``status`` (int, a ``qinfer_status``), ``status_name`` ("QINFER_ERR_SHAPE") and
    ``message`` (qinfer's last-error text, or the package's own for checks made before calling the library)."""

    def __init__(self, status, message):
        super().__init__(status, message)
        self.status = int(status)
        self.status_name = STATUS_NAMES.get(self.status, "QINFER_STATUS_%d" % self.status)
        self.message = message

    def __str__(self):
        return "%s (%s)" % (self.message, self.status_name)


class InvalidArgumentError(Error, ValueError):
    """QINFER_ERR_INVALID_ARGUMENT: a bad option, name or dtype."""


class IoError(Error, OSError):
    """QINFER_ERR_IO: a file could not be opened, mapped, read or written."""

    def __str__(self):  # OSError's own __str__ expects errno / strerror
        return Error.__str__(self)


class LibraryNotFoundError(IoError):
    """libqinfer.so could not be found or loaded (status QINFER_ERR_IO); the message lists where it was looked for."""


class InvalidModelError(Error, ValueError):
    """QINFER_ERR_INVALID_MODEL: the model is malformed."""


class UnsupportedError(Error, NotImplementedError):
    """QINFER_ERR_UNSUPPORTED: an operator, attribute or data type qinfer does not implement."""


class ShapeError(Error, ValueError):
    """QINFER_ERR_SHAPE: input shapes are wrong or shape inference failed."""


class OutOfMemoryError(Error, MemoryError):
    """QINFER_ERR_OUT_OF_MEMORY: an allocation failed or a size overflowed."""


class RunError(Error, RuntimeError):
    """QINFER_ERR_RUNTIME: a run failed (for example an index out of range in Gather)."""


class QuantParamsError(Error, ValueError):
    """QINFER_ERR_QUANT_PARAMS: bad quantization parameters (scale, zero point, axis)."""


class ParityUnavailableError(ImportError):
    """qinfer.parity has no ONNX Runtime to compare with (neither the onnxruntime module nor the repository's
    bench/parity.py with node's onnxruntime-node)."""


_CLASSES = {
    ERR_INVALID_ARGUMENT: InvalidArgumentError,
    ERR_IO: IoError,
    ERR_INVALID_MODEL: InvalidModelError,
    ERR_UNSUPPORTED: UnsupportedError,
    ERR_SHAPE: ShapeError,
    ERR_OUT_OF_MEMORY: OutOfMemoryError,
    ERR_RUNTIME: RunError,
    ERR_QUANT_PARAMS: QuantParamsError,
}


def error_for(status, message):
    """The exception for a qinfer status and message (Error itself for a status this package does not know)."""
    return _CLASSES.get(int(status), Error)(status, message)
