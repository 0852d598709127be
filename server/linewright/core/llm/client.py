"""The one place Linewright talks HTTP to a model server.

Each backend builds an `HttpCall` with a pure function and parses the JSON it gets back with
another; `HttpClient.send` is the only `await` on the network. One `httpx.AsyncClient` per
server process, with explicit timeouts, created when the server is initialized and closed at
shutdown. Errors come out as `BackendError` subclasses carrying the URL, never the API key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from linewright.core.errors import (
    BackendHTTPError,
    BackendProtocolError,
    BackendTimeout,
    BackendUnavailable,
)

MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""A model answer larger than this is treated as malformed (hostile or runaway server)."""


@dataclass(frozen=True)
class HttpCall:
    """A request ready to send: `path` is joined to the backend's base URL."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    """Kept out of `repr`: it may carry the API key."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait; `read` bounds one model answer."""

    connect: float = 3.0
    read: float = 30.0
    write: float = 10.0
    pool: float = 5.0

    def to_httpx(self) -> httpx.Timeout:
        """The same limits as an `httpx.Timeout`."""
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


class HttpClient:
    """A thin wrapper over one shared `httpx.AsyncClient` that maps failures to our errors."""

    def __init__(self, timeouts: Timeouts | None = None, *, transport: Any = None) -> None:
        self._timeouts = timeouts or Timeouts()
        self._client = httpx.AsyncClient(
            timeout=self._timeouts.to_httpx(),
            transport=transport,
            trust_env=False,  # a local model server must not go through a proxy from the env
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
        )

    async def send(self, base_url: str, call: HttpCall) -> Any:
        """Send `call` to `base_url` and return the decoded JSON body."""
        url = base_url.rstrip("/") + call.path
        try:
            response = await self._client.request(
                call.method, url, json=call.body, headers=call.headers or None
            )
        except httpx.TimeoutException as exc:
            raise BackendTimeout(f"timed out ({type(exc).__name__})", url=url) from exc
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"cannot reach backend: {exc!s}", url=url) from exc
        if response.status_code >= 400:
            detail = _error_detail(response)
            raise BackendHTTPError(
                f"HTTP {response.status_code}: {detail}", url=url, status=response.status_code
            )
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise BackendProtocolError("response too large", url=url)
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            raise BackendProtocolError(f"malformed JSON: {exc!s}", url=url) from exc

    async def aclose(self) -> None:
        """Close all pooled connections."""
        await self._client.aclose()


def _error_detail(response: httpx.Response) -> str:
    """A short, single-line reason from an error body (llama.cpp, OpenAI and Ollama shapes)."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200].replace("\n", " ")
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return str(err.get("message", err))[:200]
        return str(err)[:200]
    return str(data)[:200]
