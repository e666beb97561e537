"""What a request asks of encryption at rest, from its headers, checked as S3 checks them.

Kept free of any web framework: front ends hand in their headers as a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.domain.errors import ErrorCode, JunctionError

from .keys import CustomerKey, parse_customer_key

SSE_HEADER = "x-amz-server-side-encryption"
KMS_KEY_HEADER = "x-amz-server-side-encryption-aws-kms-key-id"
BUCKET_KEY_HEADER = "x-amz-server-side-encryption-bucket-key-enabled"
CUSTOMER_PREFIX = "x-amz-server-side-encryption-customer-"
COPY_SOURCE_CUSTOMER_PREFIX = "x-amz-copy-source-server-side-encryption-customer-"
SSE_S3 = "AES256"
SSE_KMS = "aws:kms"
KMS_ALGORITHMS = (SSE_KMS, "aws:kms:dsse")


@dataclass(frozen=True, slots=True)
class SseRequest:
    """x-amz-server-side-encryption (and its KMS key id) for a write; an SSE-C key for either."""

    algorithm: str | None = None  # AES256 or aws:kms, as the request named it
    kms_key_id: str | None = None
    customer: CustomerKey | None = None
    bucket_key: bool | None = None  # x-amz-server-side-encryption-bucket-key-enabled; None: the bucket's


def parse_bucket_key(value: str | None) -> bool | None:
    """`true` / `false` (any case) of x-amz-server-side-encryption-bucket-key-enabled."""
    if value is None:
        return None
    flag = value.strip().lower()
    if flag not in ("true", "false"):
        raise JunctionError(
            ErrorCode.InvalidArgument, f"{BUCKET_KEY_HEADER} must be true or false", argument=BUCKET_KEY_HEADER
        )
    return flag == "true"


def parse_write(headers: Mapping[str, str], *, secure: bool, allow_http: bool) -> SseRequest:
    """The encryption a write (PutObject, CreateMultipartUpload, a copy's destination) asks for."""
    algorithm = headers.get(SSE_HEADER)
    kms_key_id = headers.get(KMS_KEY_HEADER)
    customer = parse_customer(headers, CUSTOMER_PREFIX, secure=secure, allow_http=allow_http)
    if algorithm is not None and algorithm not in (SSE_S3, *KMS_ALGORITHMS):
        raise JunctionError(
            ErrorCode.InvalidArgument, "The encryption method specified is not supported", argument=SSE_HEADER
        )
    if customer is not None and algorithm is not None:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
            argument=SSE_HEADER,
        )
    if kms_key_id is not None and algorithm not in KMS_ALGORITHMS:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : "
            "aws:kms",
            argument=KMS_KEY_HEADER,
        )
    return SseRequest(algorithm, kms_key_id, customer, parse_bucket_key(headers.get(BUCKET_KEY_HEADER)))


def parse_read(
    headers: Mapping[str, str], *, secure: bool, allow_http: bool, prefix: str = CUSTOMER_PREFIX
) -> SseRequest:
    """The SSE-C key a read (GetObject, HeadObject, a copy's source) brings; S3 refuses
    x-amz-server-side-encryption on a GET or HEAD."""
    if prefix == CUSTOMER_PREFIX and headers.get(SSE_HEADER) is not None:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "x-amz-server-side-encryption header is not supported for this operation.",
            argument=SSE_HEADER,
        )
    return SseRequest(customer=parse_customer(headers, prefix, secure=secure, allow_http=allow_http))


def parse_customer(headers: Mapping[str, str], prefix: str, *, secure: bool, allow_http: bool) -> CustomerKey | None:
    algorithm = headers.get(prefix + "algorithm")
    key = headers.get(prefix + "key")
    md5 = headers.get(prefix + "key-MD5")
    if algorithm is None and key is None and md5 is None:
        return None
    if not secure and not allow_http:
        raise JunctionError(
            ErrorCode.InvalidRequest,
            "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure "
            "connection.",
        )
    if algorithm is None:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption "
            "algorithm.",
            argument=prefix + "algorithm",
        )
    if algorithm != "AES256":
        raise JunctionError(ErrorCode.InvalidEncryptionAlgorithmError, argument=prefix + "algorithm")
    if not key:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate "
            "secret key.",
            argument=prefix + "key",
        )
    if not md5:
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated "
            "MD5 of the secret key.",
            argument=prefix + "key-MD5",
        )
    try:
        return parse_customer_key(algorithm, key, md5)
    except ValueError as exc:
        if "MD5" in str(exc):
            raise JunctionError(
                ErrorCode.InvalidArgument,
                "The calculated MD5 hash of the key did not match the hash that was provided.",
                argument=prefix + "key-MD5",
            ) from None
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "The secret key was invalid for the specified algorithm.",
            argument=prefix + "key",
        ) from None
