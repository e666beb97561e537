"""A client of the native /v1 API, for programs that talk to a Junction gateway.

Shipped with the server but separate from it: the server never imports this package and
it imports nothing of the server's. It needs `requests` (`pip install 'junction[client]'`)
and botocore's SigV4 signer.
"""

from .native import (
    BucketInfo,
    FileSource,
    NativeClient,
    NativeError,
    ObjectInfo,
    PackageInfo,
    Payload,
    build_form,
    encode_query,
)

__all__ = [
    "BucketInfo",
    "FileSource",
    "NativeClient",
    "NativeError",
    "ObjectInfo",
    "PackageInfo",
    "Payload",
    "build_form",
    "encode_query",
]
