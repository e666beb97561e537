"""The S3 key <-> (package, path) bijection (docs/ARCHITECTURE.md), in one place.

- key `P/REST` with non-empty first segment P  -> package P, path REST
- key `P/` (REST empty)                         -> package P, path "" (the folder marker)
- key without '/' or starting with '/'          -> root package "", path = key
"""

from __future__ import annotations

from .errors import ErrorCode, JunctionError
from .text import codepoint, xml_forbidden

ROOT_PACKAGE = ""
MAX_KEY_BYTES = 1024


def split_key(key: str) -> tuple[str, str]:
    """Return (package name, object path) for an S3 key."""
    head, sep, rest = key.partition("/")
    if sep and head:
        return head, rest
    return ROOT_PACKAGE, key


def join_key(package: str, path: str) -> str:
    """Return the S3 key of `path` in `package` (inverse of split_key)."""
    if package == ROOT_PACKAGE:
        return path
    return f"{package}/{path}"


def validate_key(key: str) -> None:
    """Reject keys S3 rejects: empty, over 1024 UTF-8 bytes, or containing NUL."""
    if not key:
        raise JunctionError(ErrorCode.InvalidArgument, "Object key must not be empty")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise JunctionError(ErrorCode.KeyTooLongError, key=key[:64])
    if "\x00" in key:
        raise JunctionError(ErrorCode.InvalidArgument, "Object key must not contain NUL")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JunctionError(ErrorCode.InvalidArgument, "Object key is not valid UTF-8") from exc


def validate_new_key(key: str) -> None:
    """validate_key, plus what Junction refuses in keys it creates: characters XML 1.0
    cannot carry (they would make every listing without encoding-type=url unreadable).
    Reads and deletes keep accepting them, so keys stored earlier stay reachable."""
    validate_key(key)
    bad = xml_forbidden(key)
    if bad is not None:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            f"Object key contains {codepoint(bad)}, a control character XML 1.0 cannot carry; "
            "Junction refuses such keys",
            argument="key",
        )


def validate_object_path(package: str, path: str) -> str:
    """Check that (package, path) round-trips through the S3 key mapping; return the key.

    A root-package path like `a/b` would read back as package `a`, so it is refused.
    """
    if "/" in package:
        raise JunctionError(ErrorCode.InvalidArgument, "Package name must not contain '/'", package=package)
    key = join_key(package, path)
    validate_new_key(key)
    if split_key(key) != (package, path):
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "Path in the root package must not contain '/' except as its first character",
            path=path,
        )
    return key
