"""Owners of the C handles: destroy order follows references, never the garbage collector's whims.

A Handle frees its pointer once (close() or when collected). A Handle that others depend on (a model that
sessions were built from: their constants live in the model's bytes) counts its users and frees itself only when
it was closed and the last user is gone, whatever order Python drops them in."""

import threading

from . import errors


class Handle:
    def __init__(self, ptr, destroy, depends_on=None):
        self.ptr = ptr
        self._destroy = destroy
        self._lock = threading.Lock()
        self._users = 0
        self._close_requested = False
        self._dep = depends_on
        if depends_on is not None:
            depends_on._add_user()

    def _add_user(self):
        with self._lock:
            self._users += 1

    def _drop_user(self):
        with self._lock:
            self._users -= 1
            free = self._close_requested and self._users == 0
        if free:
            self._free()

    def _free(self):
        ptr, self.ptr = self.ptr, None
        if ptr:
            self._destroy(ptr)
        dep, self._dep = self._dep, None
        if dep is not None:
            dep._drop_user()

    def close(self):
        """Frees the handle now, or once its last user is gone."""
        with self._lock:
            if self._close_requested:
                return
            self._close_requested = True
            free = self._users == 0
        if free:
            self._free()

    @property
    def closed(self):
        return self._close_requested

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass


class Owner:
    """Base of the objects that own a Handle in self._handle (Model, Session): close(), `with` blocks, and
    _ptr(), which refuses a closed object."""

    _what = "object"

    def _ptr(self):
        if self._handle.closed:
            raise errors.InvalidArgumentError(errors.ERR_INVALID_ARGUMENT, "the %s is closed" % self._what)
        return self._handle.ptr

    def close(self):
        """Frees the C object now (a model used by open sessions: once the last of them is closed)."""
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
