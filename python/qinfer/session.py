"""Sessions: running a model (qinfer_session_*)."""

import ctypes
import threading

import numpy as np

from . import _lib, errors
from ._handle import Handle, Owner
from .model import DTYPE_TO_NUMPY, NUMPY_TO_DTYPE, Model, TensorInfo

ISA_BY_NAME = {"auto": 0, "scalar": 1, "avx2": 2, "avxvnni": 3, "avx512vnni": 4, "neon": 5, "neondot": 6,
               "neoni8mm": 7}


def isa_code(isa):
    """qinfer_isa of None / a name ("avx2") / an int."""
    if isa is None:
        return 0
    if isinstance(isa, int):
        return isa
    code = ISA_BY_NAME.get(str(isa).lower())
    if code is None:
        raise errors.InvalidArgumentError(
            errors.ERR_INVALID_ARGUMENT, "unknown ISA '%s' (one of %s)" % (isa, ", ".join(ISA_BY_NAME)))
    return code


def dims_array(shape):
    shape = tuple(int(d) for d in shape)
    return (ctypes.c_int64 * max(len(shape), 1))(*shape), len(shape)


def fmt_shape(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def as_input_array(name, value, info):
    """value as a C-contiguous numpy array of info's dtype; InvalidArgumentError naming the input otherwise
    (no conversion: a float64 array for a float input is refused, not rounded)."""
    arr = np.asarray(value)
    if info.dtype is None:
        raise errors.UnsupportedError(errors.ERR_UNSUPPORTED,
                                      "input '%s' has type %s, which the Python package cannot feed"
                                      % (name, info.type_name))
    if arr.dtype != info.dtype:
        raise errors.InvalidArgumentError(
            errors.ERR_INVALID_ARGUMENT,
            "input '%s' expects %s (numpy %s), got numpy %s" % (name, info.type_name, info.dtype.name, arr.dtype.name))
    return np.ascontiguousarray(arr)


def array_from(ptr, nbytes, dtype, shape, copy, owner):
    """An array over nbytes at ptr: a copy, or a read-only view whose base keeps owner alive."""
    shape = tuple(int(d) for d in shape)
    if copy or not nbytes:
        out = np.empty(shape, dtype)
        if nbytes:
            ctypes.memmove(out.ctypes.data, ptr, nbytes)
        return out
    buf = (ctypes.c_char * nbytes).from_address(ptr)
    buf._qinfer_owner = owner  # the session's handle stays alive while the view does
    out = np.frombuffer(buf, dtype=dtype).reshape(shape)
    out.flags.writeable = False
    return out


class Session(Owner):
    """A session of a model: shapes bound, kernels chosen, weights packed, memory planned once
    (qinfer_session_create).

    Session(model, threads=1, isa=None, dims=None, shapes=None, values=None, keep_intermediates=False,
            profile=False)

    model:   a Model, or a path (then the session loads and owns the model)
    threads: threads per run (0: one per online CPU)
    isa:     force a kernel path: "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "neoni8mm" (None: the
             best the CPU has; a path the CPU lacks fails with qinfer's message)
    dims:    {symbolic dim name: value} (unbound symbolic dims are 1)
    shapes:  {input name: shape} fixing an input's shape
    values:  {input name: array} for inputs whose value decides shapes (qinfer_session_options_set_input_value)
    keep_intermediates: keep every computed tensor readable after a run (tensor(), tensors()); the arena grows
             to the sum of all activation sizes
    profile: time every node of each run (profile())

    Memory: run() returns new numpy arrays copied out of the session by default; run(..., copy=False) returns
    read-only views of the session's own buffers instead, valid until the next run(), resize() or close() of this
    session (the view keeps the session from being garbage-collected, but not from being overwritten). Inputs
    are read during run() only, never kept. One run at a time: calls from several threads are serialized.
    """

    _what = "session"

    def __init__(self, model, threads=1, isa=None, dims=None, shapes=None, values=None, keep_intermediates=False,
                 profile=False):
        lib = _lib.load()
        self.model = model if isinstance(model, Model) else Model(model)
        self._lock = threading.Lock()
        self._runs = 0
        self._bound = frozenset(values or ())
        opts = ctypes.c_void_p()
        _lib.check(lib.qinfer_session_options_create(ctypes.byref(opts)), lib.qinfer_last_error)
        keep = []  # buffers the options copy, alive until they are set
        try:
            o = opts.value
            _lib.check(lib.qinfer_session_options_set_threads(o, int(threads)), lib.qinfer_last_error)
            _lib.check(lib.qinfer_session_options_set_isa(o, isa_code(isa)), lib.qinfer_last_error)
            for name, value in (dims or {}).items():
                _lib.check(lib.qinfer_session_options_set_dim(o, name.encode(), int(value)), lib.qinfer_last_error)
            for name, shape in (shapes or {}).items():
                arr, rank = dims_array(shape)
                _lib.check(lib.qinfer_session_options_set_input_shape(o, name.encode(), arr, rank),
                           lib.qinfer_last_error)
            declared = {i.name: i for i in self.model.inputs}
            for name, value in (values or {}).items():
                if name not in declared:
                    raise errors.InvalidArgumentError(
                        errors.ERR_INVALID_ARGUMENT, "values: the model has no input '%s' (inputs: %s)"
                        % (name, ", ".join(declared)))
                arr = as_input_array(name, value, declared[name])
                keep.append(arr)
                d, rank = dims_array(arr.shape)
                _lib.check(lib.qinfer_session_options_set_input_value(
                    o, name.encode(), NUMPY_TO_DTYPE[arr.dtype], arr.ctypes.data, d, rank), lib.qinfer_last_error)
            _lib.check(lib.qinfer_session_options_set_keep_intermediates(o, 1 if keep_intermediates else 0),
                       lib.qinfer_last_error)
            _lib.check(lib.qinfer_session_options_set_profiling(o, 1 if profile else 0), lib.qinfer_last_error)
            ptr = ctypes.c_void_p()
            st = lib.qinfer_session_create(self.model._ptr(), o, ctypes.byref(ptr))
            _lib.check(st, lambda: _lib.text(lib.qinfer_last_error())
                       or _lib.text(lib.qinfer_model_last_error(self.model._ptr())))
        finally:
            lib.qinfer_session_options_destroy(opts.value)
        self._handle = Handle(ptr.value, lib.qinfer_session_destroy, depends_on=self.model._handle)
        self._read_infos()

    # ---- descriptions

    def _read_infos(self):
        lib = _lib.load()
        p = self._handle.ptr
        self.inputs = [self._info(lib.qinfer_session_input_info, i) for i in range(lib.qinfer_session_input_count(p))]
        self.outputs = [self._info(lib.qinfer_session_output_info, i)
                        for i in range(lib.qinfer_session_output_count(p))]
        self._input_index = {t.name: i for i, t in enumerate(self.inputs)}

    def _info(self, fn, i):
        info = _lib.TensorInfoC()
        self._check(fn(self._handle.ptr, i, ctypes.byref(info)))
        return TensorInfo.from_c(info)

    def _check(self, status):
        lib = _lib.load()
        _lib.check(status, lambda: lib.qinfer_session_last_error(self._handle.ptr))

    @property
    def isa(self):
        """Name of the kernel path the session runs ("scalar", "avx2", ...)."""
        return _lib.text(_lib.load().qinfer_session_isa_name(self._ptr()))

    @property
    def arena_bytes(self):
        """Size of the session's activation arena in bytes."""
        return int(_lib.load().qinfer_session_arena_bytes(self._ptr()))

    # ---- running

    def resize(self, name, shape):
        """Gives input `name` a new shape (qinfer_session_resize_input: shapes inferred again, the arena planned
        again, packed weights kept; allocates). Raises ShapeError with qinfer's message for a shape the model
        refuses; the session then keeps its previous shapes."""
        with self._lock:
            self._resize(name, shape)

    def _resize(self, name, shape):
        index = self._index_of(name)
        d, rank = dims_array(shape)
        self._check(_lib.load().qinfer_session_resize_input(self._ptr(), index, d, rank))
        self._read_infos()

    def _index_of(self, name):
        index = self._input_index.get(name)
        if index is None:
            raise errors.InvalidArgumentError(
                errors.ERR_INVALID_ARGUMENT, "the model has no input '%s' (inputs: %s)"
                % (name, ", ".join(t.name for t in self.inputs)))
        return index

    def _fit_shape(self, name, arr):
        """Checks arr's shape against the input's; a shape that differs only in dimensions the model leaves
        symbolic resizes the session (allocates); anything else is a ShapeError before the library is called."""
        info = self.inputs[self._input_index[name]]
        if tuple(arr.shape) == tuple(info.shape):
            return
        declared = next((t for t in self.model.inputs if t.name == name), None)
        fixed = declared is None or len(declared.shape) != arr.ndim or any(
            isinstance(d, int) and d != a for d, a in zip(declared.shape, arr.shape))
        if fixed or name in self._bound_names():
            raise errors.ShapeError(
                errors.ERR_SHAPE, "input '%s' has shape %s, the session expects %s (the model declares %s)"
                % (name, fmt_shape(arr.shape), fmt_shape(info.shape),
                   fmt_shape(declared.shape) if declared else "?"))
        self._resize(name, arr.shape)

    def _bound_names(self):
        return self._bound

    def run(self, inputs, outputs=None, copy=True):
        """Runs the model on inputs ({name: numpy array}, every input the session needs) and returns
        {output name: numpy array}, all outputs or those named in `outputs`.

        Each array must have the input's dtype exactly (InvalidArgumentError otherwise, before the library is
        called) and its shape (ShapeError), except in dimensions the model leaves symbolic, where a new shape
        resizes the session first (see resize()). copy=True (default): the outputs are new arrays the caller owns;
        copy=False: read-only views of session memory, valid until the next run / resize / close."""
        lib = _lib.load()
        with self._lock:
            p = self._ptr()
            unknown = [n for n in inputs if n not in self._input_index]
            if unknown:
                raise errors.InvalidArgumentError(
                    errors.ERR_INVALID_ARGUMENT, "the model has no input '%s' (inputs: %s)"
                    % (unknown[0], ", ".join(t.name for t in self.inputs)))
            missing = [t.name for t in self.inputs if t.name not in inputs and t.name not in self._bound]
            if missing:
                raise errors.InvalidArgumentError(
                    errors.ERR_INVALID_ARGUMENT, "input '%s' missing: run() needs every input (%s)"
                    % (missing[0], ", ".join(t.name for t in self.inputs)))
            arrays = {}
            for name, value in inputs.items():
                arr = as_input_array(name, value, self.inputs[self._input_index[name]])
                self._fit_shape(name, arr)
                arrays[name] = arr
            p = self._ptr()
            for name, arr in arrays.items():
                self._check(lib.qinfer_session_set_input(p, self._input_index[name], arr.ctypes.data, arr.nbytes))
            self._check(lib.qinfer_session_run(p))  # arrays stay referenced until it returns
            self._runs += 1
            wanted = [o.name for o in self.outputs] if outputs is None else list(outputs)
            result = {}
            index = {o.name: i for i, o in enumerate(self.outputs)}
            for name in wanted:
                if name not in index:
                    raise errors.InvalidArgumentError(
                        errors.ERR_INVALID_ARGUMENT, "the model has no output '%s' (outputs: %s)"
                        % (name, ", ".join(index)))
                i = index[name]
                data, nbytes = ctypes.c_void_p(), ctypes.c_size_t()
                self._check(lib.qinfer_session_get_output(p, i, ctypes.byref(data), ctypes.byref(nbytes)))
                info = self.outputs[i]
                if info.dtype is None:
                    raise errors.UnsupportedError(errors.ERR_UNSUPPORTED, "output '%s' has type %s, which the Python "
                                                  "package cannot return" % (name, info.type_name))
                result[name] = array_from(data.value, nbytes.value, info.dtype, info.shape, copy, self._handle)
            return result

    # ---- intermediate tensors

    def tensor_names(self):
        """Names of the tensors tensor() can read, in execution order of their producers: the inputs and
        outputs, and with keep_intermediates every tensor the session computes (those fusion removed are not)."""
        lib = _lib.load()
        p = self._ptr()
        names = []
        for i in range(lib.qinfer_session_tensor_count(p)):
            info, data, nbytes = _lib.TensorInfoC(), ctypes.c_void_p(), ctypes.c_size_t()
            self._check(lib.qinfer_session_tensor(p, i, ctypes.byref(info), ctypes.byref(data), ctypes.byref(nbytes)))
            names.append(_lib.text(info.name))
        return names

    def _tensor_at(self, i, copy):
        lib = _lib.load()
        info, data, nbytes = _lib.TensorInfoC(), ctypes.c_void_p(), ctypes.c_size_t()
        self._check(lib.qinfer_session_tensor(self._ptr(), i, ctypes.byref(info), ctypes.byref(data),
                                              ctypes.byref(nbytes)))
        t = TensorInfo.from_c(info)
        if t.dtype is None:
            return t.name, None
        return t.name, array_from(data.value, nbytes.value, t.dtype, t.shape, copy, self._handle)

    def _need_run(self):
        if self._runs == 0:
            raise errors.InvalidArgumentError(errors.ERR_INVALID_ARGUMENT,
                                              "no run yet: tensors hold values only after run()")

    def tensor(self, name, copy=True):
        """The value of tensor `name` in the last run (a copy; copy=False: a read-only view valid until the next
        run). InvalidArgumentError for a name the session cannot read (without keep_intermediates=True only the
        inputs and outputs are readable)."""
        with self._lock:
            self._need_run()
            i = _lib.load().qinfer_session_tensor_index(self._ptr(), name.encode())
            if i < 0:
                raise errors.InvalidArgumentError(
                    errors.ERR_INVALID_ARGUMENT, "the session has no readable tensor '%s'%s" % (
                        name, "" if len(self.tensor_names()) > len(self.inputs) + len(self.outputs)
                        else " (intermediate tensors need Session(..., keep_intermediates=True))"))
            return self._tensor_at(i, copy)[1]

    def tensors(self, copy=True):
        """{name: array} of every readable tensor after the last run, in execution order (copies by default).
        Tensors of a type numpy cannot hold here are left out."""
        with self._lock:
            self._need_run()
            out = {}
            for i in range(_lib.load().qinfer_session_tensor_count(self._ptr())):
                name, arr = self._tensor_at(i, copy)
                if arr is not None:
                    out[name] = arr
            return out

    def close(self):
        """Frees the session now (after a run in progress on another thread); copy=False views become invalid."""
        with self._lock:
            self._handle.close()

    # ---- profiling

    def profile(self):
        """Per-node records of a Session(..., profile=True), one dict per node of the fused graph in execution
        order: op_type, name, kernel, macs, last_ms, total_ms, runs. [] without profiling."""
        lib = _lib.load()
        with self._lock:
            recs, count = ctypes.POINTER(_lib.NodeProfileC)(), ctypes.c_size_t()
            self._check(lib.qinfer_session_profile(self._ptr(), ctypes.byref(recs), ctypes.byref(count)))
            rows = []
            for i in range(count.value):
                r = recs[i]
                rows.append({"op_type": _lib.text(r.op_type), "name": _lib.text(r.name), "kernel": _lib.text(r.kernel),
                             "macs": int(r.macs), "last_ms": float(r.last_ms), "total_ms": float(r.total_ms),
                             "runs": int(r.runs)})
            return rows

    def profile_reset(self):
        """Sets the profile's times and run counts to 0."""
        with self._lock:
            self._check(_lib.load().qinfer_session_profile_reset(self._ptr()))

    def __repr__(self):
        return "qinfer.Session(%r, inputs=%s, outputs=%s)" % (
            self.model.path, [(t.name, t.shape) for t in self.inputs], [(t.name, t.shape) for t in self.outputs])


__all__ = ["Session", "DTYPE_TO_NUMPY"]
