"""Presigned SigV4 URLs: the X-Amz-* query parameters that stand in for the Authorization
header, and the validity window they carry."""

from __future__ import annotations

from gateway.domain.errors import ErrorCode

from .claims import Claim, make_claim, parse_amz_date, query_value
from .types import ALGORITHM, AuthError, SignedRequest

MAX_PRESIGN_EXPIRES = 7 * 24 * 3600
PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)


def is_seconds(value: str) -> bool:
    """ASCII decimal digits only, and not absurdly many (int() takes '²', '١' and '1_0')."""
    return 0 < len(value) <= 12 and value.isascii() and value.isdigit()


def is_presigned(req: SignedRequest) -> bool:
    return query_value(req, "X-Amz-Algorithm") is not None


def presigned_params(req: SignedRequest) -> dict[str, str | None]:
    """The first value of each X-Amz-* parameter of a presigned URL (None when absent), in one
    pass over the query."""
    first: dict[str, str] = {}
    for name, value in req.query:
        first.setdefault(name, value)
    return {name: first.get(name) for name in PRESIGN_PARAMS}


def parse_presigned(req: SignedRequest) -> Claim:
    params = presigned_params(req)
    error = ErrorCode.AuthorizationQueryParametersError
    if any(not value for value in params.values()):
        raise AuthError(
            error,
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters.",
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise AuthError(error, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    expires = params["X-Amz-Expires"] or ""
    if not is_seconds(expires) or not 1 <= int(expires) <= MAX_PRESIGN_EXPIRES:
        raise AuthError(error, f"X-Amz-Expires must be between 1 and {MAX_PRESIGN_EXPIRES} seconds.")
    amz_date = params["X-Amz-Date"] or ""
    return make_claim(
        params["X-Amz-Credential"] or "",
        params["X-Amz-SignedHeaders"] or "",
        params["X-Amz-Signature"] or "",
        amz_date,
        parse_amz_date(amz_date, error),
        presigned=True,
        error_code=error,
        expires=int(expires),
    )
