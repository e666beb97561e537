"""Storage failures as the catalogue's errors, named here so that front ends depend on the core
alone and never on the storage adapters.

A front end answers any BackendError that reaches it with `storage_error(exc)`: the server's
own trouble (a backend out of reach, a full disk, a file system that refuses the gateway) is a
503 or 507 and logged as the server's, one line; a key the store cannot hold (a name too long,
a path that collides with a directory) is the client's 400; anything else (data the metadata
names gone missing, a store's unexpected answer) is a 500 InternalError, logged in one line
too: none comes with a traceback, as they are failures of the storage, not of the code.
"""

from __future__ import annotations

import logging

from backends.base import (
    BackendAccessDenied,
    BackendError,
    BackendFull,
    BackendUnavailable,
    BlobKeyConflict,
    BlobKeyTooLong,
    BlobNotFound,
    InvalidBlobKey,
)
from gateway.domain.errors import ErrorCode, JunctionError

__all__ = ["BackendError", "BackendUnavailable", "storage_error"]

log = logging.getLogger("junction.storage")


def storage_error(exc: BackendError) -> JunctionError:
    """The catalogue error a client is answered for a backend failure; the server's own
    trouble is logged here, as one warning line (the request's line records a client's)."""
    if not isinstance(exc, InvalidBlobKey):
        log.warning("storage failure: %s: %s", type(exc).__name__, exc)
    return _answer(exc)


def _answer(exc: BackendError) -> JunctionError:
    if isinstance(exc, BackendFull):
        return JunctionError(ErrorCode.InsufficientStorage)
    if isinstance(exc, BackendUnavailable):
        return JunctionError(ErrorCode.ServiceUnavailable, "A storage backend is unavailable; retry later")
    if isinstance(exc, BackendAccessDenied):
        return JunctionError(ErrorCode.ServiceUnavailable, "A storage backend refuses the gateway access")
    if isinstance(exc, BlobKeyTooLong):
        return JunctionError(ErrorCode.KeyTooLongError, f"A name is too long for the user space: {exc}")
    if isinstance(exc, BlobKeyConflict):
        return JunctionError(ErrorCode.InvalidArgument, f"The path cannot be stored: {exc}")
    if isinstance(exc, InvalidBlobKey):
        return JunctionError(ErrorCode.InvalidArgument, str(exc))
    if isinstance(exc, BlobNotFound):  # what the metadata names is gone from the storage
        return JunctionError(ErrorCode.InternalError, "Stored data is missing from its user space; see the gateway log")
    return JunctionError(ErrorCode.InternalError, "A storage backend failed; see the gateway log")
