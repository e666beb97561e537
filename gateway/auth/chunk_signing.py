"""The signature chain of a streamed (aws-chunked) SigV4 body.

Each chunk's signature signs the previous one (starting from the request's seed
signature) and the chunk's SHA-256, and a signed trailer signs the last chunk's signature
and the canonical trailer lines; so a chunk cannot be altered, dropped or reordered. The
wire framing is the front end's business (gateway/s3/chunked.py); this is only the chain.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from gateway.domain.errors import ErrorCode

from .sigv4 import hmac_hex
from .types import EMPTY_SHA256, AuthContext, AuthError
from .wire import wire_bytes

CHUNK_ALGORITHM = "AWS4-HMAC-SHA256-PAYLOAD"
TRAILER_ALGORITHM = "AWS4-HMAC-SHA256-TRAILER"


class SignatureChain:
    """Verifies the links in order; each call raises AuthError when its link does not match."""

    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx
        self._previous = ctx.signature

    def verify_chunk(self, signature: str | None, chunk_sha256: str) -> None:
        self._previous = self._verify(CHUNK_ALGORITHM, signature, EMPTY_SHA256, chunk_sha256)

    def verify_trailer(self, signature: str | None, trailers: Mapping[str, str]) -> None:
        canonical = "".join(f"{name}:{trailers[name]}\n" for name in sorted(trailers))
        digest = hashlib.sha256(wire_bytes(canonical)).hexdigest()
        self._previous = self._verify(TRAILER_ALGORITHM, signature, digest)

    def _verify(self, algorithm: str, signature: str | None, *hashes: str) -> str:
        """Check one link of the chain and return it (the next link's predecessor)."""
        to_sign = "\n".join([algorithm, self._ctx.amz_date, self._ctx.scope, self._previous, *hashes])
        expected = hmac_hex(self._ctx.signing_key, to_sign)
        if signature is None or not hmac.compare_digest(expected.encode(), wire_bytes(signature)):
            raise AuthError(
                ErrorCode.SignatureDoesNotMatch,
                "The request signature we calculated does not match the "
                "signature you provided for a payload chunk or trailer.",
            )
        return expected
