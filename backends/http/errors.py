"""Reading a service's answers: XML bodies, error codes, and the mapping of a final error
answer to the Backend protocol's exceptions (never echoing credentials)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from multidict import CIMultiDictProxy

from s3xml.xml import MalformedXML, child_text, local, parse

from ..base import BackendAccessDenied, BackendError, BackendUnavailable, BlobNotFound

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_CODES = frozenset({"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling"})
ACCESS_HINTS = {
    "SignatureDoesNotMatch": "the secret access key does not match the access key id",
    "InvalidAccessKeyId": "the access key id is not known to the endpoint",
    "AccessDenied": "the credentials are not allowed to do this",
    "RequestTimeTooSkewed": "this machine's clock differs too much from the endpoint's",
    "ExpiredToken": "the session token has expired",
    "InvalidToken": "the session token is not valid",
}


@dataclass
class Reply:
    """A whole small answer (for an error, the head of its body), its connection released."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    code: str = ""


@dataclass(frozen=True)
class Where:
    """The endpoint and bucket an answer came from, for messages."""

    endpoint: str
    bucket: str

    def no_bucket(self) -> BackendError:
        return BackendError(f"bucket {self.bucket} does not exist at {self.endpoint}")

    def error(self, op: str, key: str | None, reply: Reply) -> BackendError:
        """Map a final error answer to the protocol's exceptions."""
        code = reply.code or f"HTTP {reply.status}"
        message = error_message(reply.body)
        if reply.status == 403 or reply.code in ACCESS_HINTS:
            default = "access denied" if reply.code else "access denied (a HEAD answer carries no details)"
            hint = ACCESS_HINTS.get(reply.code, default)
            return BackendAccessDenied(f"{self.endpoint} refused {op} on bucket {self.bucket}: {code}: {hint}")
        if reply.code in ("NoSuchKey", "NoSuchUpload") or (reply.status == 404 and not reply.code):
            return BlobNotFound(key or "")
        detail = f": {message}" if message else ""
        region = reply.headers.get("x-amz-bucket-region")
        if region:  # AWS answers 301/400 when the configured region is not the bucket's
            detail += f" (the bucket is in region {region})"
        return BackendError(f"{op} {key or ''} at {self.endpoint} (bucket {self.bucket}) failed: {code}{detail}")

    def raise_embedded_error(self, op: str, key: str, reply: Reply) -> None:
        """Copy and Complete can answer 200 with an <Error> document; treat it as the error."""
        if not reply.body or b"Error" not in reply.body[:512]:
            return
        root = parse_xml(reply.body, op)
        if local(root.tag) != "Error":
            return
        code = child_text(root, "Code") or "InternalError"
        if code in RETRY_CODES:
            raise BackendUnavailable(f"{op} {key} at {self.endpoint} failed: {code}")
        raise self.error(op, key, Reply(400, reply.headers, reply.body, code))


def is_retryable(reply: Reply) -> bool:
    return reply.status in RETRY_STATUSES or reply.code in RETRY_CODES


def is_no_such_bucket(reply: Reply) -> bool:
    return reply.code == "NoSuchBucket"  # the remote store's S3 error code, not one of the gateway's


def parse_xml(body: bytes, op: str) -> Any:
    try:
        return parse(body)
    except MalformedXML as exc:
        raise BackendError(f"{op}: the endpoint answered with malformed XML ({exc})") from None


def error_code(body: bytes) -> str:
    try:
        root = parse(body)
    except MalformedXML:
        return ""
    return (child_text(root, "Code") or "").strip()


def error_message(body: bytes) -> str:
    if not body:
        return ""
    try:
        root = parse(body)
    except MalformedXML:
        return ""
    return (child_text(root, "Message") or "").strip()[:300]


def describe_exception(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return f"timed out ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
