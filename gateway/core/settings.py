"""Gateway-wide settings an administrator changes at run time (seed 003's settings that fit a
gateway): concurrent transfers, the console's page size, the largest browser upload, and how
long the audit log is kept. Stored in the metadata store, so every worker process and every
instance reads the same value; a setting never changed reads as its default (for the audit
retention: the `audit_retention_days` of the configuration)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.meta.store import MetaStore

from .objects import MAX_PUT_SIZE

Listener = Callable[[float], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Setting:
    name: str  # as in the URL: /api/settings/<name>
    field: str  # as in the JSON bodies
    minimum: float
    maximum: float
    default: float
    integer: bool = True
    doc: str = ""

    def check(self, value: object) -> float:
        """The value if it is a number in range (an integer where one is due), else 400."""
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        if number is None or (self.integer and not number.is_integer()) or not self.minimum <= number <= self.maximum:
            kind = "an integer" if self.integer else "a number"
            raise JunctionError(
                ErrorCode.InvalidArgument,
                f"{self.field} must be {kind} between {_text(self.minimum)} and {_text(self.maximum)}",
                field=self.field,
            )
        return int(number) if self.integer else number


def _text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "max-concurrent-transfers",
            "maxConcurrentTransfers",
            1,
            20,
            2,
            doc="transfers that run at once; more wait their turn",
        ),
        Setting(
            "max-files-per-page",
            "maxFilesPerPage",
            10,
            1000,
            100,
            doc="objects a console listing shows per page when the caller does not ask",
        ),
        Setting(
            "max-upload-size",
            "maxUploadSize",
            0,
            MAX_PUT_SIZE,
            0,
            doc="bytes a console upload may have (0: S3's 5 GiB limit for one PUT); a larger one is refused",
        ),
        Setting(
            "max-inline-file-size",
            "maxInlineFileSize",
            1,
            64 * 1024 * 1024,
            8 * 1024 * 1024,
            doc="bytes the file API's /api/get_file returns inline in JSON; larger files: /api/download",
        ),
        Setting(
            "zip-compression-level",
            "zipCompressionLevel",
            0,
            9,
            0,
            doc="deflate level of folder zips from /api/download (0: stored, no compression)",
        ),
        Setting(
            "audit-retention",
            "auditRetentionDays",
            0,
            36500,
            90,
            integer=False,
            doc="days audit entries are kept (0: forever)",
        ),
    )
}
BY_FIELD = {s.field: s for s in SETTINGS.values()}


class SettingsService:
    def __init__(self, store: MetaStore, defaults: dict[str, float] | None = None) -> None:
        self._store = store
        self._defaults = {name: s.default for name, s in SETTINGS.items()} | (defaults or {})
        self._listeners: dict[str, list[Listener]] = {}

    def setting(self, name: str) -> Setting:
        if name not in SETTINGS:
            raise JunctionError(ErrorCode.NoSuchKey, f"no setting named {name!r}; there are {', '.join(SETTINGS)}")
        return SETTINGS[name]

    def on_change(self, name: str, listener: Listener) -> None:
        """Call `listener(new value)` after this process changed `name` (others read it from the store)."""
        self._listeners.setdefault(name, []).append(listener)

    async def get(self, name: str) -> float:
        setting = self.setting(name)
        stored = await self._store.settings.get(name)
        return self._defaults[name] if stored is None else setting.check(stored)

    async def values(self) -> dict[str, Any]:
        """Every setting by its JSON field, stored or default."""
        stored = await self._store.settings.all()
        found: dict[str, Any] = {}
        for name, setting in SETTINGS.items():
            value = stored.get(name, self._defaults[name])
            found[setting.field] = int(value) if setting.integer else value
        return found

    def describe(self) -> list[dict[str, Any]]:
        """Names, fields, ranges and defaults, for the console's settings page."""
        return [
            {
                "name": s.name,
                "field": s.field,
                "minimum": s.minimum,
                "maximum": s.maximum,
                "default": self._defaults[s.name],
                "integer": s.integer,
                "description": s.doc,
            }
            for s in SETTINGS.values()
        ]

    async def update(self, body: dict[str, Any], updated_by: str) -> dict[str, Any]:
        """Set every field of `body` (all checked before any is stored); unknown fields are 400."""
        unknown = sorted(set(body) - set(BY_FIELD))
        if unknown:
            raise JunctionError(
                ErrorCode.InvalidArgument,
                f"unknown setting {unknown[0]!r}; the settings are {', '.join(BY_FIELD)}",
                field=unknown[0],
            )
        if not body:
            raise JunctionError(ErrorCode.InvalidArgument, "name at least one setting to change")
        checked = {BY_FIELD[field].name: BY_FIELD[field].check(value) for field, value in body.items()}
        for name, value in checked.items():
            await self._store.settings.put(name, value, updated_by)
            for listener in self._listeners.get(name, []):
                outcome = listener(value)
                if outcome is not None:
                    await outcome
        return await self.values()
