"""The HTTP client that POSTs notification events to webhooks (the core's `Poster`)."""

from __future__ import annotations

import aiohttp

USER_AGENT = "Junction-Notifications/1.0"


class WebhookPoster:
    """One aiohttp session for all webhooks, opened at the first POST; no redirects followed
    (a webhook that moved must be re-registered, not chased to wherever it points)."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes, timeout: float) -> int:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        try:
            async with self._session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as response:
                return response.status
        except aiohttp.ClientConnectorError as exc:  # named without the URL: its path may hold a token
            raise OSError(f"cannot connect to {exc.host}:{exc.port}") from None
        except aiohttp.ClientError as exc:
            raise OSError(type(exc).__name__) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
