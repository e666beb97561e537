"""Gateway settings changed at run time through /api/update_settings: only what applies to a
gateway serving files (how big a file `get_file` inlines, how many entries a `finder` page
holds, whether folder zips are compressed). Values are validated here and kept in the
metadata as JSON, so every worker and instance reads the same ones."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gateway.domain.errors import ErrorCode, JunctionError
from gateway.meta.store import MetaStore

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Setting:
    default: Any
    kind: type
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()
    help: str = ""

    def check(self, name: str, value: Any) -> Any:
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
                raise _bad(f"{name} must be an integer from {self.low} to {self.high}")
        elif self.kind is str and value not in self.choices:
            raise _bad(f"{name} must be one of {', '.join(self.choices)}")
        return value


SETTINGS: dict[str, Setting] = {
    "get_file_max_bytes": Setting(
        8 * MiB, int, 1, 64 * MiB, help="largest file /api/get_file returns inline (larger: /api/download)"
    ),
    "finder_page_size": Setting(1000, int, 1, 10000, help="most entries one /api/finder answer lists"),
    "zip_compression": Setting(
        "stored", str, choices=("stored", "deflated"), help="how /api/download compresses a folder's zip"
    ),
}


def _bad(message: str) -> JunctionError:
    return JunctionError(ErrorCode.InvalidArgument, message)


class GatewaySettings:
    def __init__(self, store: MetaStore) -> None:
        self._store = store.fileapi

    async def all(self) -> dict[str, Any]:
        stored = await self._store.settings()
        values: dict[str, Any] = {}
        for name, setting in SETTINGS.items():
            try:
                values[name] = setting.check(name, json.loads(stored[name])) if name in stored else setting.default
            except (ValueError, JunctionError):
                values[name] = setting.default  # a row another version wrote: the default stands
        return values

    async def get(self, name: str) -> Any:
        return (await self.all())[name]

    async def update(self, body: dict[str, Any]) -> None:
        """Validate every given setting first, then store them together; unknown names are refused."""
        if not body:
            raise _bad("No settings provided")
        unknown = sorted(set(body) - set(SETTINGS))
        if unknown:
            raise _bad(f"unknown setting {unknown[0]!r}; settings: {', '.join(SETTINGS)}")
        checked = {name: json.dumps(SETTINGS[name].check(name, value)) for name, value in body.items()}
        await self._store.put_settings(checked)

    @staticmethod
    def described() -> dict[str, str]:
        return {name: setting.help for name, setting in SETTINGS.items()}
