"""Domain errors raised by the core; each front end renders them in its own dialect.

`code` is the S3 error code (the lingua franca); the S3 front end looks it up in the one
error table in `s3xml.errors`, the native API maps it to its envelope codes and the
console API to its JSON errors.
"""

from __future__ import annotations


class JunctionError(Exception):
    """A failure the client should see, identified by an S3 error code."""

    def __init__(self, code: str, message: str = "", **detail: object) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message
        self.detail = detail


def no_such_bucket(name: str) -> JunctionError:
    return JunctionError("NoSuchBucket", "The specified bucket does not exist", bucket=name)


def no_such_key(key: str) -> JunctionError:
    return JunctionError("NoSuchKey", "The specified key does not exist.", key=key)


def no_such_upload(upload_id: str) -> JunctionError:
    return JunctionError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, "
        "or the upload may have been aborted or completed.",
        upload_id=upload_id,
    )


def invalid_argument(message: str, **detail: object) -> JunctionError:
    return JunctionError("InvalidArgument", message, **detail)
