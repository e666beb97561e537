"""Policy documents: parsed and validated once, then matched against requests.

Bucket (resource) policies name a Principal and only resources of their bucket; identity
policies (attached to users) name no Principal. Anything that does not parse, or names an
unknown action, condition key or principal, is a PolicyError carrying AWS's wording.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .actions import action_pattern_known
from .conditions import Condition, Context, PolicyError, parse_conditions
from .wildcard import glob_match

VERSIONS = ("2012-10-17", "2008-10-17")
MAX_BUCKET_POLICY_BYTES = 20 * 1024
STATEMENT_FIELDS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
ACCOUNT_ID = re.compile(r"^\d{12}$")
USER_ARN = re.compile(r"^arn:aws:iam::(\d{12}):(root|user/[\w+=,.@/-]+)$")
CANONICAL_ID = re.compile(r"^[0-9a-f]{64}$")
VARIABLE = re.compile(r"\$\{([^}]*)\}")
# Conditions that narrow a "*" grant to known callers, so a policy using them is not public.
NARROWING_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:principalaccount",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:userid",
        "aws:principalarn",
        "aws:username",
    }
)


class Match(Enum):
    """How a statement's Principal names the caller."""

    NONE = 0
    ACCOUNT = 1  # the caller's account: a delegation the account's own policies must still allow
    DIRECT = 2  # the caller itself (its user ARN, its account root, or everyone)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking. Anonymous callers have no account."""

    account_id: str | None
    user: str | None = None  # None: the account's root
    canonical_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.account_id is None

    @property
    def arn(self) -> str:
        if self.account_id is None:
            return "*"
        return f"arn:aws:iam::{self.account_id}:" + (f"user/{self.user}" if self.user else "root")


ANONYMOUS = Caller(None)


@dataclass(frozen=True, slots=True)
class Principals:
    everyone: bool = False
    accounts: frozenset[str] = frozenset()  # account ids (root ARNs and canonical ids resolve to these)
    users: frozenset[str] = frozenset()  # user ARNs

    def match(self, caller: Caller) -> Match:
        if self.everyone:
            return Match.DIRECT
        if caller.account_id is None:
            return Match.NONE
        if caller.user is not None and caller.arn in self.users:
            return Match.DIRECT
        if caller.account_id in self.accounts:
            return Match.DIRECT if caller.user is None else Match.ACCOUNT
        return Match.NONE


@dataclass(frozen=True, slots=True)
class Statement:
    sid: str
    allow: bool
    principals: Principals | None  # None: identity policy (the attached user), or NotPrincipal used
    not_principals: Principals | None
    actions: tuple[str, ...]
    actions_negated: bool
    resources: tuple[str, ...]
    resources_negated: bool
    conditions: tuple[Condition, ...]
    variables: bool = True

    def principal_match(self, caller: Caller) -> Match:
        if self.not_principals is not None:  # spares exactly who it names: an account's root, not its users
            return Match.NONE if self.not_principals.match(caller) is Match.DIRECT else Match.DIRECT
        if self.principals is None:
            return Match.DIRECT
        return self.principals.match(caller)

    def covers(self, action: str, resource: str, context: Context, variables: Callable[[str], str | None]) -> bool:
        """Action, resource and conditions all apply (the principal is checked apart)."""
        action_hit = any(glob_match(p, action, ignore_case=True) for p in self.actions)
        if action_hit == self.actions_negated:
            return False

        def expand(text: str) -> str | None:
            return substitute(text, variables) if self.variables else text

        resource_hit = any((p := expand(pattern)) is not None and glob_match(p, resource) for pattern in self.resources)
        if resource_hit == self.resources_negated:
            return False
        return all(c.holds(context, expand) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class Policy:
    statements: tuple[Statement, ...]
    document: dict[str, Any]  # as parsed, for GetBucketPolicy
    # The request context keys a decision under this policy can read (condition keys and policy
    # variables, lower-case): the inputs a remembered decision is keyed by (core/authz.py).
    references: frozenset[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "references", _references(self.statements))

    def text(self) -> str:
        return json.dumps(self.document, separators=(",", ":"))

    def tells_keys_apart(self, bucket: str) -> bool:
        """Whether some Resource/NotResource may match one object of `bucket` and not another
        (else a decision about one object there holds for all of them, as far as resources go)."""
        return any(not key_blind(pattern, bucket) for st in self.statements for pattern in st.resources)


def key_blind(pattern: str, bucket: str) -> bool:
    """True when `pattern` matches every object ARN of `bucket` alike, whatever the key: `*`,
    a pattern that can match none of them, or a literal prefix of `arn:aws:s3:::bucket/` then `*`."""
    if pattern == "*":
        return True
    if "${" in pattern:
        return False  # a policy variable: resolved per request
    base = f"arn:aws:s3:::{bucket}/"  # every object ARN of the bucket is base + key
    wildcards = [i for i in (pattern.find("*"), pattern.find("?")) if i >= 0]
    if not wildcards:
        return not pattern.startswith(base)  # names one key of this bucket, or no object of it
    literal = pattern[: min(wildcards)]
    if len(literal) > len(base):
        return not literal.startswith(base)  # keys under a prefix of this bucket, or none of its
    if not base.startswith(literal):
        return True  # no object of this bucket
    return pattern == literal + "*"


def _references(statements: Iterable[Statement]) -> frozenset[str]:
    found: set[str] = set()
    for st in statements:
        for condition in st.conditions:
            found.add(condition.key)
            for value in condition.values:
                found.update(_variables(value))
        for resource in st.resources:
            found.update(_variables(resource))
    return frozenset(found)


def _variables(text: str) -> set[str]:
    """The context keys `substitute` reads for `text`'s ${...} variables."""
    if "${" not in text:
        return set()
    names = (m.group(1) for m in VARIABLE.finditer(text))
    return {name.partition(",")[0].strip().lower() for name in names if name not in ("*", "?", "$")}


def substitute(text: str, variables: Callable[[str], str | None]) -> str | None:
    """Resolve ${aws:username}-style variables; None when one has no value and no default."""
    if "${" not in text:
        return text
    missing = False

    def resolve(m: re.Match[str]) -> str:
        nonlocal missing
        inner = m.group(1)
        if inner in ("*", "?", "$"):
            return inner
        name, _, default = inner.partition(",")
        value = variables(name.strip().lower())
        if value is None:
            fallback = default.strip()
            if len(fallback) >= 2 and fallback[0] == fallback[-1] == "'":
                return fallback[1:-1]
            missing = True
            return ""
        return value

    result = VARIABLE.sub(resolve, text)
    return None if missing else result


def parse_policy(
    text: str | bytes,
    *,
    bucket: str | None = None,
    account_exists: Callable[[str], bool] = lambda _a: True,
    user_exists: Callable[[str], bool] = lambda _arn: True,
    canonical_account: Callable[[str], str | None] = lambda _c: None,
) -> Policy:
    """Parse a bucket policy (`bucket` given: Principal required, resources in that bucket) or an
    identity policy (no Principal)."""
    raw = text.encode() if isinstance(text, str) else text
    if bucket is not None and len(raw) > MAX_BUCKET_POLICY_BYTES:
        raise PolicyError("Policies must not exceed 20 KB")
    if not raw.lstrip().startswith(b"{"):
        raise PolicyError("Policies must be valid JSON and the first byte must be '{'")
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise PolicyError("This policy contains invalid Json") from None
    if not isinstance(document, dict):
        raise PolicyError("Policies must be valid JSON and the first byte must be '{'")
    unknown = set(document) - {"Version", "Id", "Statement"}
    if unknown:
        raise PolicyError(f"Unknown field {sorted(unknown)[0]}")
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise PolicyError(f"The policy must contain a valid version string: {version}")
    raw_statements = document.get("Statement")
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise PolicyError("Missing required field Statement")
    lookups = (account_exists, user_exists, canonical_account)
    statements = tuple(_statement(s, bucket, lookups, version) for s in raw_statements)
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise PolicyError("Statement IDs (SID) in a single policy must be unique")
    return Policy(statements, document)


def _strings(value: object, field: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) and i for i in items):
        raise PolicyError(f"{field} must be a non-empty string or list of strings")
    return tuple(str(i) for i in items)


def _statement(raw: object, bucket: str | None, lookups: tuple[Callable[[str], Any], ...], version: str) -> Statement:
    if not isinstance(raw, dict):
        raise PolicyError("Each Statement must be an object")
    unknown = set(raw) - STATEMENT_FIELDS
    if unknown:
        raise PolicyError(f"Unknown field {sorted(unknown)[0]}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError("Missing required field Effect" if effect is None else f"Invalid effect: {effect}")
    actions, actions_negated = _pair(raw, "Action", "NotAction")
    for action in actions:
        if not action_pattern_known(action):
            raise PolicyError(f"Policy has invalid action: {action}")
    resources, resources_negated = _pair(raw, "Resource", "NotResource")
    if bucket is not None:
        for resource in resources:
            if not _in_bucket(resource, bucket):
                raise PolicyError(f"Policy has invalid resource: {resource}")
    elif not all(r == "*" or r.startswith("arn:aws:s3:::") or r.startswith("arn:junction:") for r in resources):
        raise PolicyError(f"Policy has invalid resource: {resources[0]}")
    principals = not_principals = None
    if bucket is not None:
        if ("Principal" in raw) == ("NotPrincipal" in raw):
            raise PolicyError(
                "Missing required field Principal"
                if "Principal" not in raw
                else "Use Principal or NotPrincipal, not both"
            )
        if "Principal" in raw:
            principals = _principals(raw["Principal"], lookups)
        else:
            not_principals = _principals(raw["NotPrincipal"], lookups)
    elif "Principal" in raw or "NotPrincipal" in raw:
        raise PolicyError("Policy document should not specify a principal")
    conditions = parse_conditions(raw["Condition"]) if "Condition" in raw else ()
    sid = raw.get("Sid", "")
    if not isinstance(sid, str):
        raise PolicyError("Sid must be a string")
    return Statement(
        sid,
        effect == "Allow",
        principals,
        not_principals,
        actions,
        actions_negated,
        resources,
        resources_negated,
        conditions,
    )


def _pair(raw: dict[str, Any], positive: str, negative: str) -> tuple[tuple[str, ...], bool]:
    if (positive in raw) == (negative in raw):
        if positive in raw:
            raise PolicyError(f"Use {positive} or {negative}, not both")
        raise PolicyError(f"Missing required field {positive}")
    if positive in raw:
        return _strings(raw[positive], positive), False
    return _strings(raw[negative], negative), True


def _in_bucket(resource: str, bucket: str) -> bool:
    """A bucket policy's resource must be the bucket or objects in it (wildcards allowed)."""
    if not resource.startswith("arn:aws:s3:::"):
        return False
    rest = resource[len("arn:aws:s3:::") :]
    name = rest.split("/", 1)[0]
    return glob_match(name, bucket) if ("*" in name or "?" in name) else name == bucket


def _principals(value: object, lookups: tuple[Callable[[str], Any], ...]) -> Principals:
    account_exists, user_exists, canonical_account = lookups
    if value == "*":
        return Principals(everyone=True)
    if not isinstance(value, dict) or not value or set(value) - {"AWS", "CanonicalUser"}:
        raise PolicyError("Invalid principal in policy")
    accounts: set[str] = set()
    users: set[str] = set()
    everyone = False
    for entry in _strings(value["AWS"], "Principal") if "AWS" in value else ():
        if entry == "*":
            everyone = True
        elif ACCOUNT_ID.match(entry) and account_exists(entry):
            accounts.add(entry)
        elif (m := USER_ARN.match(entry)) and account_exists(m.group(1)):
            if m.group(2) == "root":
                accounts.add(m.group(1))
            elif user_exists(entry):
                users.add(entry)
            else:
                raise PolicyError("Invalid principal in policy")
        else:
            raise PolicyError("Invalid principal in policy")
    for entry in _strings(value["CanonicalUser"], "Principal") if "CanonicalUser" in value else ():
        account = canonical_account(entry) if CANONICAL_ID.match(entry) else None
        if account is None:
            raise PolicyError("Invalid principal in policy")
        accounts.add(account)
    return Principals(everyone, frozenset(accounts), frozenset(users))


def is_public(policy: Policy) -> bool:
    """AWS's notion: some Allow reaches everyone without a condition pinning the caller down."""
    for st in policy.statements:
        if not st.allow:
            continue
        open_to_all = st.not_principals is not None or (st.principals is not None and st.principals.everyone)
        if open_to_all and not any(c.key in NARROWING_KEYS and not _wide(c) for c in st.conditions):
            return True
    return False


def _wide(condition: Condition) -> bool:
    """A narrowing condition that still admits anyone (e.g. aws:SourceIp 0.0.0.0/0)."""
    return any(v.strip() in ("0.0.0.0/0", "::/0", "*") for v in condition.values)


def all_statements(policies: Iterable[Policy]) -> Iterable[Statement]:
    for policy in policies:
        yield from policy.statements
