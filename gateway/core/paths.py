"""Directories inside a user space as clients name them (workingDir, srcPath, rootPath...)."""

from __future__ import annotations

from backends.base import InvalidBlobKey, check_key
from gateway.domain.errors import invalid_argument


def clean_dir(path: str, field: str) -> str:
    """A relative directory inside a space ('' for its root); traversal is refused."""
    path = path.strip().strip("/")
    if not path:
        return ""
    try:
        return check_key(path)
    except InvalidBlobKey:
        raise invalid_argument(
            f"{field} must be a relative path without '.', '..' or empty segments", argument=field
        ) from None
