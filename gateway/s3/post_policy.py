"""The POST policy of a browser-form upload: decode it, verify its signature, check the form.

A policy is base64 JSON `{"expiration": ISO-8601, "conditions": [...]}` that the key owner
signed (V4: hex HMAC-SHA256 with the derived signing key; V2: base64 HMAC-SHA1 with the
secret) so a browser can upload without the secret. Conditions are exact matches
(`{"field": "value"}` or `["eq", "$field", "value"]`), prefixes (`["starts-with", "$field",
"prefix"]`) and `["content-length-range", min, max]`. Every form field must be covered by a
condition, or a page could add fields the owner never allowed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.auth import sigv2
from gateway.auth.sigv4 import hmac_hex, signing_key
from gateway.auth.types import ALGORITHM, TERMINATOR, AuthError
from gateway.auth.wire import is_token, shown, wire_bytes
from gateway.domain.errors import ErrorCode, JunctionError

# Fields a policy never has to mention (AWS: the signature, the file and the policy itself,
# plus the V2 access key and `x-ignore-*`).
EXEMPT = frozenset({"x-amz-signature", "signature", "policy", "file", "awsaccesskeyid"})


@dataclass
class Policy:
    expiration: datetime
    exact: list[tuple[str, str]] = field(default_factory=list)  # (field, value)
    prefixes: list[tuple[str, str]] = field(default_factory=list)  # (field, prefix)
    length_range: tuple[int, int] | None = None  # inclusive
    covered: set[str] = field(default_factory=set)  # field names the conditions mention


def _invalid(message: str) -> JunctionError:
    return JunctionError(ErrorCode.InvalidPolicyDocument, f"Invalid Policy: {message}")


def parse_policy(encoded: str) -> Policy:
    """Decode and validate the policy's structure (not yet its meaning for this form)."""
    try:
        document = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise _invalid("Invalid JSON.") from None
    if not isinstance(document, dict):
        raise _invalid("Invalid JSON.")
    expiration = document.get("expiration")
    if not isinstance(expiration, str):
        raise _invalid("Policy missing expiration.")
    try:
        expires = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"Invalid 'expiration' value: '{shown(expiration)}'.") from None
    policy = Policy(expires if expires.tzinfo else expires.replace(tzinfo=UTC))
    conditions = document.get("conditions")
    if not isinstance(conditions, list) or not conditions:  # S3: a policy must condition something
        raise _invalid("Policy missing conditions.")
    for condition in conditions:
        _add_condition(policy, condition)
    return policy


def _add_condition(policy: Policy, condition: Any) -> None:
    if isinstance(condition, dict):
        for name, value in condition.items():
            if not isinstance(value, str):
                raise _invalid(f"Invalid value for condition on '{shown(name)}'.")
            policy.exact.append((name.lower(), value))
            policy.covered.add(name.lower())
        return
    if not isinstance(condition, list) or not condition or not isinstance(condition[0], str):
        raise _invalid("Invalid condition.")
    operator = condition[0].lower()
    if operator == "content-length-range":
        if len(condition) != 3:
            raise _invalid("Invalid content-length-range condition.")
        try:
            low, high = int(condition[1]), int(condition[2])
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(1e999)
            raise _invalid("Invalid content-length-range condition.") from None
        policy.length_range = (low, high)
        return
    if operator not in ("eq", "starts-with") or len(condition) != 3:
        raise _invalid(f"Invalid condition operator '{shown(condition[0])}'.")
    name, value = condition[1], condition[2]
    if not isinstance(name, str) or not name.startswith("$") or not isinstance(value, str):
        raise _invalid("Invalid condition.")
    target = policy.exact if operator == "eq" else policy.prefixes
    target.append((name[1:].lower(), value))
    policy.covered.add(name[1:].lower())


def check_form(policy: Policy, fields: Mapping[str, str], *, bucket: str, now: datetime | None = None) -> None:
    """Raise AccessDenied unless the form (lowercased names, key substituted) obeys the policy."""
    if (now or datetime.now(UTC)) > policy.expiration:
        raise JunctionError(ErrorCode.AccessDenied, "Invalid according to Policy: Policy expired.")
    values = dict(fields, bucket=bucket)
    for name, expected in policy.exact:
        if values.get(name) != expected:
            raise JunctionError(
                ErrorCode.AccessDenied,
                f'Invalid according to Policy: Policy Condition failed: ["eq", "${shown(name)}", "{shown(expected)}"]',
            )
    for name, prefix in policy.prefixes:
        if not _starts_with(name, values.get(name), prefix):
            raise JunctionError(
                ErrorCode.AccessDenied,
                "Invalid according to Policy: Policy Condition failed: "
                f'["starts-with", "${shown(name)}", "{shown(prefix)}"]',
            )
    extra = [
        name
        for name in fields
        if name not in policy.covered and name not in EXEMPT and not name.startswith("x-ignore-")
    ]
    if extra:
        raise JunctionError(
            ErrorCode.AccessDenied,
            "Invalid according to Policy: Extra input fields: " + ", ".join(shown(name) for name in extra),
        )


def _starts_with(name: str, value: str | None, prefix: str) -> bool:
    if value is None:
        return prefix == "" and name != "key"  # an empty prefix allows any value, even none
    if name == "content-type":  # each of several comma-separated types must match
        return all(part.strip().startswith(prefix) for part in value.split(","))
    return value.startswith(prefix)


def check_length(policy: Policy, size: int, *, final: bool) -> None:
    """Enforce content-length-range: too large as soon as it is, too small at the end."""
    if policy.length_range is None:
        return
    low, high = policy.length_range
    if size > high:
        raise JunctionError(ErrorCode.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
    if final and size < low:
        raise JunctionError(ErrorCode.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size")


# Fields that make a form a signed one: present, the form must carry the policy they sign.
SIGNATURE_FIELDS = ("x-amz-signature", "x-amz-algorithm", "x-amz-credential", "awsaccesskeyid", "signature")


def is_anonymous(fields: Mapping[str, str]) -> bool:
    """No policy and no signature: an anonymous upload (S3's policy is optional; such a form
    writes only where an ACL or a bucket policy lets anyone write)."""
    return "policy" not in fields and not any(name in fields for name in SIGNATURE_FIELDS)


async def verify_signature(fields: Mapping[str, str], lookup_secret: Callable[[str], Awaitable[str | None]]) -> str:
    """Check the form's signature over the policy; return the signer's access key."""
    policy = fields.get("policy")
    if not policy:
        raise JunctionError(
            ErrorCode.InvalidArgument, "Bucket POST must contain a field named 'policy' to go with its signature."
        )
    if "x-amz-signature" in fields or "x-amz-algorithm" in fields:
        return await _verify_v4(fields, policy, lookup_secret)
    if "awsaccesskeyid" in fields and "signature" in fields:
        access_key = fields["awsaccesskeyid"]
        secret = await _secret(access_key, lookup_secret)
        _compare(sigv2.sign(secret, policy), fields["signature"])
        return access_key
    raise JunctionError(
        ErrorCode.InvalidArgument,
        "Bucket POST must contain the fields x-amz-algorithm, x-amz-credential, "
        "x-amz-date and x-amz-signature (or AWSAccessKeyId and signature)",
    )


async def _verify_v4(
    fields: Mapping[str, str], policy: str, lookup_secret: Callable[[str], Awaitable[str | None]]
) -> str:
    missing = [n for n in ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature") if not fields.get(n)]
    if missing:
        raise JunctionError(ErrorCode.InvalidArgument, f"Bucket POST must contain a field named '{missing[0]}'.")
    if fields["x-amz-algorithm"] != ALGORITHM:
        raise JunctionError(ErrorCode.InvalidArgument, f"Unsupported x-amz-algorithm; use {ALGORITHM}.")
    parts = fields["x-amz-credential"].rsplit("/", 4)
    if len(parts) != 5 or not all(is_token(part) for part in parts[1:]) or parts[4] != TERMINATOR or parts[3] != "s3":
        raise JunctionError(
            ErrorCode.InvalidArgument,
            "Invalid x-amz-credential; expected <access key>/<YYYYMMDD>/<region>/s3/aws4_request.",
        )
    access_key, date, region, service, _ = parts
    if fields["x-amz-date"][:8] != date:
        raise JunctionError(ErrorCode.InvalidArgument, "The x-amz-credential date does not match x-amz-date.")
    secret = await _secret(access_key, lookup_secret)
    _compare(hmac_hex(signing_key(secret, date, region, service), policy), fields["x-amz-signature"].lower())
    return access_key


async def _secret(access_key: str, lookup_secret: Callable[[str], Awaitable[str | None]]) -> str:
    secret = await lookup_secret(access_key)
    if secret is None:
        raise AuthError(
            ErrorCode.InvalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records."
        )
    return secret


def _compare(expected: str, given: str) -> None:
    if not hmac.compare_digest(expected.encode(), wire_bytes(given)):
        raise AuthError(
            ErrorCode.SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature "
            "you provided. Check your key and signing method.",
        )
