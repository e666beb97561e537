"""Bucket CORS: validating a configuration and evaluating requests against its rules.

S3 semantics: the first rule whose AllowedOrigin matches the Origin (one `*` wildcard
allowed), whose AllowedMethod contains the method, and (for a preflight) whose AllowedHeader
patterns cover every requested header, answers the request. Front ends turn the headers
computed here into their responses; nothing here knows about HTTP frameworks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TypedDict

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.domain.text import require_header_safe
from gateway.meta.store import MetaStore

METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
MAX_RULES = 100
MAX_ID_CHARS = 255
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
NOT_ALLOWED = (
    "This CORS request is not allowed. This is usually because the evalution of Origin, request method / "
    "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the "
    "resource's CORS spec."
)


@dataclass(slots=True)
class CORSRule:
    allowed_methods: list[str]
    allowed_origins: list[str]
    allowed_headers: list[str] = field(default_factory=list)
    expose_headers: list[str] = field(default_factory=list)
    max_age: int | None = None
    id: str = ""

    def origin_pattern(self, origin: str) -> str | None:
        """The AllowedOrigin that admits `origin` (None when none does)."""
        return next((p for p in self.allowed_origins if wildcard_match(p, origin)), None)

    def allows_headers(self, names: list[str]) -> bool:
        patterns = [h.lower() for h in self.allowed_headers]
        return all(any(wildcard_match(p, name.lower()) for p in patterns) for name in names)


def wildcard_match(pattern: str, value: str) -> bool:
    """Match with at most one `*` standing for any run of characters."""
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def _wildcards(kind: str, values: list[str]) -> None:
    for value in values:
        if value.count("*") > 1:
            raise JunctionError(ErrorCode.InvalidRequest, f'{kind} "{value}" can not have more than one wildcard.')


class RawCORSRule(TypedDict):
    """One CORSRule as the client wrote it (the shape s3xml.cors.parse_cors returns)."""

    id: str | None
    methods: list[str]
    origins: list[str]
    headers: list[str]
    expose: list[str]
    max_age: str | None


def build_rules(raw: Sequence[RawCORSRule]) -> list[CORSRule]:
    """Validate parsed CORSRule elements (see s3xml.cors) and return them as rules."""
    if not raw:
        raise JunctionError(ErrorCode.MalformedXML, "The CORS configuration must contain at least one CORSRule")
    if len(raw) > MAX_RULES:
        raise JunctionError(ErrorCode.MalformedXML, f"The CORS configuration can have at most {MAX_RULES} rules")
    rules = []
    for item in raw:
        methods, origins = item["methods"], item["origins"]
        if not methods or not origins:
            raise JunctionError(
                ErrorCode.MalformedXML, "Each CORSRule needs at least one AllowedMethod and AllowedOrigin"
            )
        for method in methods:
            if method not in METHODS:
                raise JunctionError(
                    ErrorCode.InvalidRequest,
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}",
                )
        for kind, values in (("AllowedOrigin", origins), ("AllowedHeader", item["headers"])):
            for value in values:
                require_header_safe(value, kind, code=ErrorCode.InvalidRequest)
        for value in item["expose"]:
            require_header_safe(value, "ExposeHeader", code=ErrorCode.InvalidRequest)  # sent back as a header
        _wildcards("AllowedOrigin", origins)
        _wildcards("AllowedHeader", item["headers"])
        for header in item["expose"]:
            if "*" in header:
                raise JunctionError(
                    ErrorCode.InvalidRequest,
                    f'ExposeHeader "{header}" contains wildcard. '
                    "We currently do not support wildcard for ExposeHeader.",
                )
        rule_id = item.get("id") or ""
        if len(rule_id) > MAX_ID_CHARS:
            raise JunctionError(
                ErrorCode.InvalidRequest, f"The ID of a CORSRule can have at most {MAX_ID_CHARS} characters"
            )
        rules.append(
            CORSRule(
                list(methods),
                list(origins),
                list(item["headers"]),
                list(item["expose"]),
                _max_age(item.get("max_age")),
                rule_id,
            )
        )
    return rules


def _max_age(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise JunctionError(ErrorCode.MalformedXML, "MaxAgeSeconds must be an integer") from None
    if value < 0:
        raise JunctionError(ErrorCode.MalformedXML, "MaxAgeSeconds must not be negative")
    return value


def split_header_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _common_headers(rule: CORSRule, pattern: str, origin: str) -> dict[str, str]:
    headers = {
        "Access-Control-Allow-Origin": "*" if pattern == "*" else origin,
        "Access-Control-Allow-Methods": ", ".join(rule.allowed_methods),
        "Vary": VARY,
    }
    if pattern != "*":
        headers["Access-Control-Allow-Credentials"] = "true"
    if rule.expose_headers:
        headers["Access-Control-Expose-Headers"] = ", ".join(rule.expose_headers)
    if rule.max_age is not None:
        headers["Access-Control-Max-Age"] = str(rule.max_age)
    return headers


def evaluate(
    rules: list[CORSRule], origin: str, method: str, request_headers: list[str] | None = None
) -> dict[str, str] | None:
    """Response headers from the first rule admitting the request; None when none does.

    `request_headers` is the preflight's Access-Control-Request-Headers (None for an actual request).
    """
    for rule in rules:
        pattern = rule.origin_pattern(origin)
        if pattern is None or method not in rule.allowed_methods:
            continue
        if request_headers is not None and not rule.allows_headers(request_headers):
            continue
        headers = _common_headers(rule, pattern, origin)
        if request_headers:
            headers["Access-Control-Allow-Headers"] = ", ".join(h.lower() for h in request_headers)
        return headers
    return None


class CorsService:
    def __init__(self, store: MetaStore) -> None:
        self._store = store
        self._ext = store.s3ext

    async def rules(self, bucket: str) -> list[CORSRule] | None:
        """The bucket's rules, None when it has no CORS configuration."""
        raw = await self._ext.bucket_cors((await self._store.buckets.get(bucket)).id)
        return None if raw is None else [CORSRule(**r) for r in raw]

    async def get(self, bucket: str) -> list[CORSRule]:
        rules = await self.rules(bucket)
        if rules is None:
            raise JunctionError(ErrorCode.NoSuchCORSConfiguration, bucket=bucket)
        return rules

    async def put(self, bucket: str, rules: list[CORSRule]) -> None:
        await self._ext.put_bucket_cors((await self._store.buckets.get(bucket)).id, [asdict(r) for r in rules])

    async def delete(self, bucket: str) -> None:
        await self._ext.delete_bucket_cors((await self._store.buckets.get(bucket)).id)

    async def preflight(
        self, bucket: str | None, origin: str | None, method: str | None, request_headers: str | None
    ) -> dict[str, str]:
        """Answer an OPTIONS preflight: the headers to send, or CORSResponse (403) / BadRequest."""
        if not origin:
            raise JunctionError(ErrorCode.BadRequest, "Insufficient information. Origin request header needed.")
        if not method:
            raise JunctionError(ErrorCode.BadRequest, "Invalid Access-Control-Request-Method: null")
        rules = await self.rules(bucket) if bucket else None
        if rules is None:
            raise JunctionError(ErrorCode.CORSResponse, "CORS is not enabled for this bucket.")
        headers = evaluate(rules, origin, method.upper(), split_header_list(request_headers))
        if headers is None:
            raise JunctionError(ErrorCode.CORSResponse, NOT_ALLOWED)
        return headers

    async def actual(self, bucket: str, origin: str, method: str) -> dict[str, str]:
        """Headers for an ordinary request carrying Origin (empty when no rule admits it)."""
        try:
            rules = await self.rules(bucket)
        except JunctionError:
            return {}  # no such bucket: the request itself will say so
        return (evaluate(rules, origin, method) or {}) if rules else {}
