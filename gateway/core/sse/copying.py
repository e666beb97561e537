"""How a copy's encryption follows its source: which data key and record the copy gets, and
whether its blocks can be shared (the gateway opens them with the source's key) or must be
re-encrypted."""

from __future__ import annotations

import base64

from gateway.domain.models import Encryption, ObjectInfo

from .request import SseRequest
from .service import Cipher


def is_customer(obj: ObjectInfo) -> bool:
    return obj.encryption is not None and obj.encryption.customer


def encryption_changes(src: ObjectInfo, cipher: Cipher | None, request: SseRequest) -> bool:
    """Whether a copy onto itself asks for another encryption (S3 allows that copy)."""
    if request.customer is not None or request.algorithm is not None:
        return True
    return (cipher is None) != (src.encryption is None)


def copy_encryption(
    src: ObjectInfo, src_key: bytes | None, cipher: Cipher | None
) -> tuple[Encryption | None, bytes | None]:
    """The copy's encryption record and data key. A copy the gateway can open with the
    source's data key keeps it (the blocks are shared): managed on both ends (the data key is
    sealed again under the current master key: a copy onto itself rotates it), or the same
    SSE-C key (the source's record stands). Otherwise the copy's own new key."""
    if cipher is None:
        return None, None
    if src.encryption is None or src_key is None:
        return cipher.record, cipher.data_key
    if cipher.record.customer and src.encryption.customer:
        if same_customer(src.encryption, cipher):
            return src.encryption, src_key
        return cipher.record, cipher.data_key
    managed_both = not cipher.record.customer and not src.encryption.customer
    if managed_both and cipher.record.algorithm == src.encryption.algorithm:
        return cipher.resealed(src_key), src_key
    return cipher.record, cipher.data_key


def same_customer(record: Encryption, cipher: Cipher) -> bool:
    return cipher.customer is not None and cipher.customer.matches(
        base64.b64decode(record.customer_salt), record.customer_fingerprint
    )
