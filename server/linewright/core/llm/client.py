"""The one place Linewright talks HTTP to a model server.

Each backend builds an `HttpCall` with a pure function and parses the JSON it gets back with
another; `HttpClient.send` is the only `await` on the network. One `httpx.AsyncClient` per
server process, with explicit timeouts, created when the server is initialized and closed at
shutdown. Errors come out as `BackendError` subclasses carrying the URL, never the API key.

Decisions, by name:

- **One deadline per request.** httpx's `read` timeout bounds the gap between two reads, so
  a server trickling one byte a second, or answering headers and then stalling, would hold
  a completion for ever. `Timeouts.read` (the `backend.timeoutS` setting) bounds the whole
  exchange instead: connecting, sending, the first byte and the last one.
- **The size cap is checked while reading.** The body is streamed and reading stops as soon
  as it passes `max_response_bytes`, so a runaway server costs at most that much memory.
  The cap counts decoded bytes (what is held); answers are asked for uncompressed anyway.
- **What we send is always valid UTF-8.** A document may hold a lone surrogate (an editor
  sent `"\\ud800"`); it is sent as U+FFFD rather than failing every request.
"""

from __future__ import annotations

import asyncio
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
_ERROR_DETAIL_CHARS = 200


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
    """Seconds to wait; `read` bounds one whole request, from connecting to the last byte."""

    connect: float = 3.0
    read: float = 30.0
    write: float = 10.0
    pool: float = 5.0

    def to_httpx(self) -> httpx.Timeout:
        """The same limits as an `httpx.Timeout` (each phase also within the deadline)."""
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


def encode_body(body: dict[str, Any]) -> bytes:
    """`body` as UTF-8 JSON; surrogates a `str` cannot encode are repaired (see above)."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A surrogate pair held as two code points becomes its character; a lone one U+FFFD.
        repaired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return repaired.encode("utf-8")


class HttpClient:
    """A thin wrapper over one shared `httpx.AsyncClient` that maps failures to our errors."""

    def __init__(
        self,
        timeouts: Timeouts | None = None,
        *,
        transport: Any = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._timeouts = timeouts or Timeouts()
        self.max_response_bytes = max_response_bytes
        self._client = httpx.AsyncClient(
            timeout=self._timeouts.to_httpx(),
            transport=transport,
            trust_env=False,  # a local model server must not go through a proxy from the env
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
        )

    async def send(self, base_url: str, call: HttpCall) -> Any:
        """Send `call` to `base_url` and return the decoded JSON body."""
        url = base_url.rstrip("/") + call.path
        deadline = self._timeouts.read
        try:
            status, content = await asyncio.wait_for(self._exchange(url, call), deadline)
        except (asyncio.TimeoutError, httpx.TimeoutException) as exc:
            raise BackendTimeout(
                f"no complete answer within {deadline:g} s ({type(exc).__name__})", url=url
            ) from exc
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"cannot reach backend: {exc!s}", url=url) from exc
        if status >= 400:
            detail = _error_detail(content)
            raise BackendHTTPError(f"HTTP {status}: {detail}", url=url, status=status)
        try:
            return json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            raise BackendProtocolError(f"malformed JSON: {exc!s}", url=url) from exc

    async def _exchange(self, url: str, call: HttpCall) -> tuple[int, bytes]:
        """One request: the status and the body, read no further than the cap."""
        headers = {"Accept-Encoding": "identity", **call.headers}
        content = None
        if call.body is not None:
            content = encode_body(call.body)
            headers["Content-Type"] = "application/json"
        request = self._client.build_request(call.method, url, content=content, headers=headers)
        response = await self._client.send(request, stream=True)
        try:
            return response.status_code, await self._read_capped(response, url)
        finally:
            await response.aclose()

    async def _read_capped(self, response: httpx.Response, url: str) -> bytes:
        limit = self.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise BackendProtocolError(
                f"response too large: {declared} bytes announced, the limit is {limit}", url=url
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise BackendProtocolError(
                    f"response too large: stopped reading after {size} bytes"
                    f" (the limit is {limit})",
                    url=url,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def aclose(self) -> None:
        """Close all pooled connections."""
        await self._client.aclose()


def _error_detail(content: bytes) -> str:
    """A short, single-line reason from an error body (llama.cpp, OpenAI and Ollama shapes)."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        text = content[: _ERROR_DETAIL_CHARS * 4].decode("utf-8", "replace")
        return text[:_ERROR_DETAIL_CHARS].replace("\n", " ")
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return str(err.get("message", err))[:_ERROR_DETAIL_CHARS]
        return str(err)[:_ERROR_DETAIL_CHARS]
    return str(data)[:_ERROR_DETAIL_CHARS]
