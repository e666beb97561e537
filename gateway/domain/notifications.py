"""Bucket notification configurations as S3 defines them, checked by S3's rules, and which
configuration (if any) an event on a key matches.

Junction delivers to webhooks only: a destination is the ARN of a registered webhook target,
`arn:junction:sqs::<target id>:webhook` (MinIO's convention, `arn:minio:sqs::<id>:webhook`).
The ARN may stand in a QueueConfiguration, TopicConfiguration or CloudFunctionConfiguration;
each is kept as written so GetBucketNotificationConfiguration answers what was put.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass, field

from .errors import invalid_argument

KINDS = ("Topic", "Queue", "CloudFunction")  # <KindConfiguration><Kind>arn</Kind>
ARN = re.compile(r"^arn:junction:sqs::([A-Za-z0-9_.-]{1,64}):webhook$")
MAX_CONFIGURATIONS = 100

# The event types produced here (object writes and deletes, tags, ACLs, lifecycle), and their wildcards.
CREATED = ("Put", "Post", "Copy", "CompleteMultipartUpload")
REMOVED = ("Delete", "DeleteMarkerCreated")
EVENTS = frozenset(
    ["s3:ObjectCreated:*", *(f"s3:ObjectCreated:{e}" for e in CREATED)]
    + ["s3:ObjectRemoved:*", *(f"s3:ObjectRemoved:{e}" for e in REMOVED)]
    + ["s3:LifecycleExpiration:*", *(f"s3:LifecycleExpiration:{e}" for e in REMOVED)]
    + ["s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete"]
    + ["s3:ObjectAcl:Put", "s3:LifecycleTransition"]
)
# Accepted (AWS knows them) though nothing here produces them yet.
ACCEPTED_UNPRODUCED = frozenset(
    {
        "s3:ObjectRestore:*",
        "s3:ObjectRestore:Post",
        "s3:ObjectRestore:Completed",
        "s3:ObjectRestore:Delete",
        "s3:ReducedRedundancyLostObject",
        "s3:Replication:*",
        "s3:IntelligentTiering",
    }
)
OVERLAP = (
    "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules "
    "if the prefixes are overlapping for the same event type."
)


def target_arn(target_id: str) -> str:
    return f"arn:junction:sqs::{target_id}:webhook"


def target_of(arn: str) -> str | None:
    """The webhook target id an ARN names (None: not a Junction webhook ARN)."""
    match = ARN.match(arn)
    return match.group(1) if match else None


@dataclass(slots=True)
class TargetConfig:
    """One Topic/Queue/CloudFunction configuration: which events, which keys, which webhook."""

    id: str
    kind: str  # one of KINDS
    arn: str
    events: list[str]
    prefix: str = ""
    suffix: str = ""

    @property
    def target_id(self) -> str:
        target = target_of(self.arn)
        assert target is not None  # checked when the configuration was built
        return target

    def matches(self, event_name: str, key: str) -> bool:
        """`event_name` without the `s3:` prefix, e.g. "ObjectCreated:Put"."""
        if not (key.startswith(self.prefix) and key.endswith(self.suffix)):
            return False
        full = "s3:" + event_name
        family = full.rsplit(":", 1)[0] + ":*"
        return full in self.events or family in self.events


@dataclass(slots=True)
class NotificationConfig:
    configurations: list[TargetConfig] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps([asdict(c) for c in self.configurations])

    @classmethod
    def from_json(cls, text: str) -> NotificationConfig:
        return cls([TargetConfig(**c) for c in json.loads(text)])

    def match(self, event_name: str, key: str) -> TargetConfig | None:
        """The configuration an event matches (S3 refuses overlapping ones, so at most one)."""
        return next((c for c in self.configurations if c.matches(event_name, key)), None)

    @property
    def target_ids(self) -> set[str]:
        return {c.target_id for c in self.configurations}


def build_configuration(
    kind: str,
    arn: str,
    events: list[str],
    rules: list[tuple[str, str]],
    config_id: str | None,
) -> TargetConfig:
    """One configuration as written (rules: (name, value) filter rules), checked as S3 does."""
    if kind not in KINDS:
        raise invalid_argument(f"Unknown configuration kind {kind}")
    if not arn:
        raise invalid_argument(f"A {kind}Configuration must name its {kind}", argument=kind)
    if not events:
        raise invalid_argument("A notification configuration must name at least one Event", argument="Event")
    for event in events:
        if event not in EVENTS and event not in ACCEPTED_UNPRODUCED:
            raise invalid_argument("The event is not supported for notifications", argument=event)
    prefix: str | None = None
    suffix: str | None = None
    for name, value in rules:
        lowered = name.lower()
        if lowered == "prefix":
            if prefix is not None:
                raise invalid_argument("Cannot specify more than one prefix rule in a filter.", argument="FilterRule")
            prefix = value
        elif lowered == "suffix":
            if suffix is not None:
                raise invalid_argument("Cannot specify more than one suffix rule in a filter.", argument="FilterRule")
            suffix = value
        else:
            raise invalid_argument("filter rule name must be either prefix or suffix", argument="FilterRule")
    return TargetConfig(
        id=config_id or _generated_id(),
        kind=kind,
        arn=arn,
        events=list(dict.fromkeys(events)),
        prefix=prefix or "",
        suffix=suffix or "",
    )


def check_configuration(config: NotificationConfig, known_targets: set[str] | None) -> None:
    """S3's whole-document checks: count, unique ids, known destinations (None: any webhook
    ARN, as with `x-amz-skip-destination-validation`), no overlap."""
    items = config.configurations
    if len(items) > MAX_CONFIGURATIONS:
        raise invalid_argument(f"A bucket may have at most {MAX_CONFIGURATIONS} notification configurations")
    ids = [c.id for c in items]
    if len(set(ids)) != len(ids):
        raise invalid_argument("Two notification configurations have the same Id", argument="Id")
    unknown = [
        c.arn
        for c in items
        if target_of(c.arn) is None or (known_targets is not None and target_of(c.arn) not in known_targets)
    ]
    if unknown:
        raise invalid_argument("Unable to validate the following destination configurations", argument=unknown[0])
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            if _overlap(first, second):
                raise invalid_argument(OVERLAP)


def _overlap(a: TargetConfig, b: TargetConfig) -> bool:
    """Two configurations overlap when an event on one key could match both."""
    prefixes = a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix)
    suffixes = a.suffix.endswith(b.suffix) or b.suffix.endswith(a.suffix)
    return prefixes and suffixes and bool(_expand(a.events) & _expand(b.events))


def _expand(events: list[str]) -> set[str]:
    """Event types with each wildcard replaced by its family's members."""
    out: set[str] = set()
    for event in events:
        if event.endswith(":*"):
            family = event[:-1]
            members = {e for e in EVENTS | ACCEPTED_UNPRODUCED if e.startswith(family) and e != event}
            out.update(members or {event})
        else:
            out.add(event)
    return out


def _generated_id() -> str:
    """S3 names a configuration without an Id itself (a random string)."""
    return secrets.token_urlsafe(24)
