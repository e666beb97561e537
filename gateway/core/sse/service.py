"""Which key encrypts a new object, and which opens a stored one: SSE-S3, SSE-C and SSE-KMS
(a key id the operator configured) decided from the request and the bucket's default.

The bytes themselves are sealed and opened in `BlobIO.write` / `BlobIO.read` (core/blobs.py)
with the data key this service hands out; this module only ever handles keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.models import Encryption, ObjectInfo
from gateway.meta.store import MetaStore

from .keys import CustomerKey, KeyMismatch, MasterKeys, key_id, new_data_key
from .request import BUCKET_KEY_HEADER, KMS_ALGORITHMS, SSE_KMS, SSE_S3, SseRequest

log = logging.getLogger("junction.sse")

NOT_APPLICABLE = "The encryption parameters are not applicable to this object."
KEY_REQUIRED = (
    "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to "
    "retrieve the object."
)


@dataclass(frozen=True, slots=True)
class Cipher:
    """A new object's encryption: its record (stored) and its data key (never stored in clear)."""

    record: Encryption
    data_key: bytes
    customer: CustomerKey | None = None  # the SSE-C key it was made with
    sealer: Callable[[bytes], Encryption] | None = None  # the same encryption for another data key

    def resealed(self, data_key: bytes) -> Encryption:
        """This encryption's record for `data_key` instead (a copy that keeps its source's blocks)."""
        assert self.sealer is not None
        return self.sealer(data_key)


def hides_md5(record: Encryption | None) -> bool:
    """Whether S3 gives an object (or part) under this encryption an ETag that is not the MD5 of
    its data: SSE-C and SSE-KMS do; SSE-S3 and plain objects keep the MD5."""
    return record is not None and (record.customer or record.algorithm in KMS_ALGORITHMS)


def kept_sha256(sha256: str, record: Encryption | None) -> str:
    """The plaintext SHA-256 an object's row may keep: none for SSE-C (the gateway keeps nothing
    that lets anyone test a guess about data only the client's key opens)."""
    return "" if record is not None and record.customer else sha256


def digestible(record: Encryption | None, data_key: bytes | None) -> bool:
    """Whether a completed multipart object's plaintext SHA-256 is to be computed and kept: plain
    objects and those whose key the gateway holds, never SSE-C objects (see `kept_sha256`)."""
    return record is None or (data_key is not None and not record.customer)


def visible_sha256(obj: ObjectInfo) -> str:
    """The plaintext SHA-256 a front end may show (the native fileHash, the console's sha256):
    none for SSE-C and SSE-KMS objects, whose ETag is not the MD5 of their data either (S3 shows
    no plaintext digest of them, even to a caller who may only list them)."""
    return "" if hides_md5(obj.encryption) else obj.sha256


def opaque_etag(data_key: bytes, md5: bytes) -> str:
    """The ETag of an SSE-C or SSE-KMS object (or part): as in S3, not the MD5 of its data (that
    would leak a digest of the plaintext), yet stable for the object and 32 hex digits like any ETag."""
    return hmac.new(data_key, b"junction-etag" + md5, hashlib.sha256).hexdigest()[:32]


class EncryptionService:
    def __init__(
        self, store: MetaStore, master: MasterKeys, kms_keys: dict[str, MasterKeys] | None = None, *, allow_http: bool
    ) -> None:
        """`kms_keys`: SSE-KMS key id -> the master key that stands for it (config `kms_keys`);
        `allow_http`: accept SSE-C keys over plain HTTP (config `sse_c_over_http`)."""
        self._store = store
        self.master = master
        self.kms_keys = kms_keys or {}
        self.allow_http = allow_http

    # ------------------------------------------------------------ writing

    async def for_write(self, bucket_id: int, request: SseRequest) -> Cipher | None:
        """The cipher of a new object: the request's SSE-C key or SSE header, else the bucket's default."""
        data_key = new_data_key()
        customer = request.customer
        if customer is not None:

            def seal_customer(key: bytes) -> Encryption:
                salt = secrets.token_bytes(16)
                return Encryption(
                    algorithm=SSE_S3,
                    sealed_key=_b64(customer.seal(key)),
                    customer_salt=_b64(salt),
                    customer_fingerprint=customer.fingerprint(salt),
                )

            return Cipher(seal_customer(data_key), data_key, customer, seal_customer)
        algorithm, kms_key_id = request.algorithm, request.kms_key_id
        default = None
        if algorithm is None:
            default = await self._store.sse.bucket_default(bucket_id)
            if default is None:
                return None
            algorithm, kms_key_id = default["algorithm"], default.get("kmsKeyId")
        if algorithm in KMS_ALGORITHMS:
            kms_id, kms = self.kms_master(kms_key_id)
            bucket_key = request.bucket_key
            if bucket_key is None:  # S3: an SSE-KMS write without the header follows the bucket's setting
                default = default or await self._store.sse.bucket_default(bucket_id)
                bucket_key = bool(default and default.get("bucketKeyEnabled"))

            def seal_kms(key: bytes) -> Encryption:
                kid, sealed = kms.seal(key)
                return Encryption(SSE_KMS, _b64(sealed), master_key_id=kid, kms_key_id=kms_id, bucket_key=bucket_key)

            return Cipher(seal_kms(data_key), data_key, None, seal_kms)

        def seal_managed(key: bytes) -> Encryption:
            kid, sealed = self.master.seal(key)
            return Encryption(SSE_S3, _b64(sealed), master_key_id=kid)

        return Cipher(seal_managed(data_key), data_key, None, seal_managed)

    def kms_master(self, kms_key_id: str | None) -> tuple[str, MasterKeys]:
        """The configured master key standing for an SSE-KMS key id; 501 when there is none."""
        if kms_key_id is None and len(self.kms_keys) == 1:
            kms_key_id = next(iter(self.kms_keys))
        master = self.kms_keys.get(_bare_kms_id(kms_key_id or ""))
        if master is None:
            raise JunctionError(
                ErrorCode.NotImplemented,
                "SSE-KMS is not implemented by this gateway: "
                + (f"the KMS key id {kms_key_id!r} is not configured" if kms_key_id else "no KMS key id was given")
                + " (config kms_keys maps key ids to master keys); use SSE-S3 (AES256) or SSE-C",
                argument="x-amz-server-side-encryption-aws-kms-key-id",
            )
        return _bare_kms_id(kms_key_id or ""), master

    async def bucket_default(self, bucket_id: int) -> dict[str, Any] | None:
        """The bucket's default encryption (PutBucketEncryption), None when it has none."""
        return await self._store.sse.bucket_default(bucket_id)

    async def set_bucket_default(self, bucket_id: int, config: dict[str, Any]) -> None:
        """Make `config` the bucket's default, once it is something new objects can be encrypted with."""
        if config["algorithm"] in KMS_ALGORITHMS:
            self.kms_master(config.get("kmsKeyId"))
        await self._store.sse.put_bucket_default(bucket_id, config)

    async def delete_bucket_default(self, bucket_id: int) -> None:
        await self._store.sse.delete_bucket_default(bucket_id)

    # ------------------------------------------------------------ reading

    def open(self, record: Encryption | None, request: SseRequest) -> bytes | None:
        """The data key of a stored object for a read that brings `request`'s key (if any):
        S3's answers for a missing (400), wrong (403) or needless (400) SSE-C key."""
        if record is None or not record.customer:
            if request.customer is not None:
                raise JunctionError(ErrorCode.InvalidRequest, NOT_APPLICABLE)
            return self.open_managed(record) if record is not None else None
        if request.customer is None:
            raise JunctionError(ErrorCode.InvalidRequest, KEY_REQUIRED)
        if not request.customer.matches(base64.b64decode(record.customer_salt), record.customer_fingerprint):
            raise JunctionError(ErrorCode.AccessDenied, "Access Denied: the SSE-C key does not match the object's")
        try:
            return request.customer.open(base64.b64decode(record.sealed_key))
        except KeyMismatch:
            raise JunctionError(
                ErrorCode.AccessDenied, "Access Denied: the SSE-C key does not match the object's"
            ) from None

    def open_managed(self, record: Encryption) -> bytes:
        """The data key of an SSE-S3 / SSE-KMS object (the gateway holds the key); an SSE-C
        object cannot be opened without its client's key (InvalidRequest, as S3)."""
        if record.customer:
            raise JunctionError(ErrorCode.InvalidRequest, KEY_REQUIRED)
        sealed = base64.b64decode(record.sealed_key)
        try:
            if record.algorithm == SSE_KMS:
                for master in self.kms_keys.values():
                    if record.master_key_id in _ids(master):
                        return master.open(record.master_key_id, sealed)
                raise KeyMismatch(f"KMS master key {record.master_key_id} is not configured")
            return self.master.open(record.master_key_id, sealed)
        except KeyMismatch as exc:
            log.error("cannot open an object's data key: %s", exc)
            raise JunctionError(
                ErrorCode.InternalError,
                "The master key that sealed this object is not configured on this gateway (JUNCTION_MASTER_KEY, "
                "master.key, kms_keys)",
            ) from None


def _ids(master: MasterKeys) -> set[str]:
    return {key_id(k) for k in master.keys}


def _bare_kms_id(kms_key_id: str) -> str:
    """`arn:aws:kms:region:account:key/ID` and `ID` name the same key."""
    return kms_key_id.rsplit("key/", 1)[-1] if kms_key_id.startswith("arn:") else kms_key_id


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def describe(record: Encryption | None, request: SseRequest | None = None) -> dict[str, str]:
    """The response headers that tell a client how an object is encrypted: an SSE-C key's MD5
    is echoed from the request (S3 does; it is never stored)."""
    if record is None:
        return {}
    if record.customer:
        headers = {"x-amz-server-side-encryption-customer-algorithm": "AES256"}
        if request is not None and request.customer is not None:
            headers["x-amz-server-side-encryption-customer-key-MD5"] = request.customer.md5
        return headers
    headers = {"x-amz-server-side-encryption": record.algorithm}
    if record.kms_key_id:
        headers["x-amz-server-side-encryption-aws-kms-key-id"] = record.kms_key_id
    if record.bucket_key and record.algorithm in KMS_ALGORITHMS:
        headers[BUCKET_KEY_HEADER] = "true"
    return headers
