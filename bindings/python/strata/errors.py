"""Python exceptions for strata's error codes (include/strata.h, docs/errors.md).

Every failing C call raises the subclass of StrataError that matches its code; the exception
carries the code and the C library's one-line message (strata_error_last()). Where a builtin
exception means the same thing, the class derives from it too, so ``except KeyError``-style
code keeps working: NotFound is a LookupError, InvalidArgument a ValueError and a TypeError,
OutOfMemory a MemoryError, StrataIOError an OSError.
"""

from ._ffi import ffi, lib
from . import _ffi as C


class StrataError(Exception):
    """Base class of every error the binding raises. ``code`` is the negative STRATA_E… code,
    ``message`` the library's description of what was wrong."""

    code = 0

    def __init__(self, message="", code=None):
        if code is not None:
            self.code = code
        self.message = message
        super().__init__(message)


class NotFound(StrataError, LookupError):
    """No such tenant, entry, key, commit or digest (STRATA_ENOTFOUND)."""
    code = C.ENOTFOUND

    # LookupError/KeyError-like str() would quote the message; keep it plain.
    __str__ = StrataError.__str__


class AlreadyExists(StrataError):
    """Something that must be new already exists (STRATA_EEXISTS)."""
    code = C.EEXISTS


class Conflict(StrataError):
    """An optimistic check failed: an entry's head moved (STRATA_ECONFLICT)."""
    code = C.ECONFLICT


class InvalidArgument(StrataError, ValueError, TypeError):
    """A bad argument or bad input: a name, a value, a digest, misuse (STRATA_EINVALID)."""
    code = C.EINVALID


class Busy(StrataError):
    """The database is locked by another writer (STRATA_EBUSY)."""
    code = C.EBUSY


class Corrupt(StrataError):
    """Stored data failed a checksum or structural check (STRATA_ECORRUPT)."""
    code = C.ECORRUPT


class VersionError(StrataError):
    """A file written by an unknown format version (STRATA_EVERSION)."""
    code = C.EVERSION


class OutOfMemory(StrataError, MemoryError):
    """The library ran out of memory (STRATA_ENOMEM)."""
    code = C.ENOMEM


class StrataIOError(StrataError, OSError):
    """An operating-system I/O failure (STRATA_EIO). Named so it does not shadow IOError."""
    code = C.EIO

    def __init__(self, message="", code=None):
        StrataError.__init__(self, message, code)

    __str__ = StrataError.__str__


class ConditionFailed(StrataError):
    """A condition expression evaluated to false (STRATA_ECONDITION)."""
    code = C.ECONDITION


class LimitExceeded(StrataError):
    """A size or depth limit was exceeded (STRATA_ELIMIT)."""
    code = C.ELIMIT


class Poisoned(StrataError):
    """The transaction failed earlier; only abort works now (STRATA_EPOISONED)."""
    code = C.EPOISONED


# The seeds' exception name: code written for DbEngine catches DbException.
DbException = StrataError

_BY_CODE = {cls.code: cls for cls in (NotFound, AlreadyExists, Conflict, InvalidArgument, Busy,
                                      Corrupt, VersionError, OutOfMemory, StrataIOError,
                                      ConditionFailed, LimitExceeded, Poisoned)}


def error_for(rc):
    """Build the exception for a failed call that returned ``rc`` (< 0), with the calling
    thread's last error message when it belongs to that code, else the code's description."""
    last = lib.strata_error_last()
    message = ""
    if last.code == rc and last.message != ffi.NULL:
        message = ffi.string(last.message).decode("utf-8", "replace")
    if not message:
        message = ffi.string(lib.strata_strerror(rc)).decode("utf-8", "replace")
    cls = _BY_CODE.get(rc, StrataError)
    return cls(message, rc)


def check(rc):
    """Return ``rc`` when it is not an error (>= 0); raise the matching StrataError if it is."""
    if rc < 0:
        raise error_for(rc)
    return rc
