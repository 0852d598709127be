"""The LSP base protocol's framing (`Content-Length` headers + JSON body), without I/O.

`Framer.feed(bytes)` returns the decoded messages and the problems found, and never raises.
It is lenient where clients differ and recovers where they are wrong:

- header names in any case, lines ending in `\\r\\n` or `\\n`, unknown headers ignored;
- a body over `MAX_BODY_BYTES` is skipped as it arrives (never held in memory);
- a `Content-Length` that does not match the body (too short, too long, a lie) or a body
  that is not JSON: the framer resynchronises at the next `Content-Length` header, keeping
  the message when the bytes before that header are one complete JSON value.

A header line can never occur inside a JSON body (JSON strings cannot hold a raw line
break, and `content-length:` is not JSON outside a string), which is what makes scanning for
the next header safe even inside a body that claimed to be longer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_BODY_BYTES = 64 * 1024 * 1024
"""Larger messages are skipped (and reported), not read."""
MAX_HEADER_LINE = 8 * 1024
"""A header line longer than this is garbage."""
_EARLY_END = 16
"""A body this close to its declared length that already is complete JSON ends there."""

_MARKER = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"content-length[ \t]*:[ \t]*\d+[ \t]*\r?\n", re.IGNORECASE)
_NAME = re.compile(rb"[A-Za-z0-9-]+")


@dataclass(frozen=True)
class Message:
    """One decoded JSON value (the protocol checks that it is a JSON-RPC message)."""

    value: Any


@dataclass(frozen=True)
class Problem:
    """Something wrong with the byte stream, in words for the log and the user."""

    message: str


Event = Message | Problem


def _decode(data: bytes) -> Message | None:
    """The JSON value `data` holds, or None; invalid UTF-8 is replaced, not fatal."""
    try:
        return Message(json.loads(data))
    except UnicodeDecodeError:
        try:
            return Message(json.loads(data.decode("utf-8", "replace")))
        except ValueError:
            return None
    except ValueError:
        return None


def _leading_object(data: bytes) -> Message | None:
    """The JSON object `data` starts with (garbage may follow it), or None."""
    text = data.decode("utf-8", "replace").lstrip()
    if not text.startswith("{"):
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return None
    return Message(value)


class Framer:
    """Splits a byte stream into messages; see the module docstring."""

    def __init__(self, max_body: int = MAX_BODY_BYTES) -> None:
        self.max_body = max_body
        self._buffer = bytearray()
        self._declared: int | None = None  # Content-Length of the header block being read
        self._in_block = False  # a header line of the current block was seen
        self._want: int | None = None  # reading a body of this many bytes
        self._skip = 0  # bytes of an oversized body still to discard
        self._skip_tail = b""  # last bytes discarded (a header may straddle two chunks)
        self._scanning = False  # after a bad body: looking for the next header
        self._owed = 0  # a body ended early: this many declared bytes may still come

    def feed(self, data: bytes) -> list[Event]:
        """Consume `data`; the messages completed and the problems found, in order."""
        events: list[Event] = []
        if self._skip:
            data = self._skipping(data, events)
        self._buffer += data
        while self._step(events):
            pass
        if self._want is not None:
            self._maybe_early_end(events)
        return events

    def _step(self, events: list[Event]) -> bool:
        if self._skip:
            data, self._buffer = bytes(self._buffer), bytearray()
            self._buffer += self._skipping(data, events)
            return bool(self._buffer) and not self._skip
        if self._scanning:
            return self._scan(events)
        if self._want is not None:
            if len(self._buffer) < self._want:
                return False
            body = bytes(self._buffer[: self._want])
            del self._buffer[: self._want]
            self._want = None
            self._body(body, events)
            return True
        if self._owed:
            return self._pay_owed(events)
        return self._header_line(events)

    # -- headers --------------------------------------------------------------------------

    def _header_line(self, events: list[Event]) -> bool:
        if self._declared is not None and self._buffer[:1] == b"{":
            # Headers that end without their blank line: the body starts here.
            self._start_body(self._declared, events)
            return True
        newline = self._buffer.find(b"\n")
        if newline < 0:
            if len(self._buffer) > MAX_HEADER_LINE:
                events.append(Problem(f"a header line longer than {MAX_HEADER_LINE} bytes"))
                self._scanning = True
                return True
            return False
        line = bytes(self._buffer[:newline]).rstrip(b"\r")
        del self._buffer[: newline + 1]
        marker = _MARKER.search(line, 1)
        if marker:  # e.g. the tail of a body, then the next header on the same line
            if line[: marker.start()].strip():
                events.append(Problem(f"not a header: {_show(line[: marker.start()])}"))
            self._buffer[:0] = line[marker.start() :] + b"\n"
            self._reset_block()
            return True
        if not line.strip():
            self._end_of_block(events)
            return True
        name, colon, value = line.partition(b":")
        if colon and _NAME.fullmatch(name.strip()):
            self._in_block = True
            if name.strip().lower() == b"content-length":
                self._content_length(value.strip(), events)
            return True
        events.append(Problem(f"not a header: {_show(line)}"))
        self._reset_block()
        return True

    def _content_length(self, value: bytes, events: list[Event]) -> None:
        if value.isdigit() and len(value) <= 20:
            self._declared = int(value)
        else:
            events.append(Problem(f"Content-Length is not a number: {_show(value)}"))
            self._declared = None

    def _end_of_block(self, events: list[Event]) -> None:
        if self._declared is not None:
            self._start_body(self._declared, events)
        elif self._in_block:
            events.append(Problem("a message header without a valid Content-Length"))
            self._reset_block()
        # else: a stray blank line between messages, harmless

    def _reset_block(self) -> None:
        self._declared = None
        self._in_block = False

    def _start_body(self, length: int, events: list[Event]) -> None:
        self._reset_block()
        if length > self.max_body:
            events.append(
                Problem(f"a message of {length} bytes is over the {self.max_body}-byte limit")
            )
            self._skip = length
        else:
            self._want = length

    # -- bodies ---------------------------------------------------------------------------

    def _body(self, body: bytes, events: list[Event]) -> None:
        if not body.strip():
            events.append(Problem("an empty message body"))
            return
        message = _decode(body)
        if message is not None:
            events.append(message)
        else:  # wrong length or garbage: find the next header, salvage what precedes it
            self._buffer[:0] = body
            self._scanning = True

    def _scan(self, events: list[Event]) -> bool:
        marker = _MARKER.search(self._buffer)
        end = marker.start() if marker else len(self._buffer)
        candidate = bytes(self._buffer[:end])
        message = _decode(candidate) if candidate.rstrip().endswith(b"}") else None
        if message is None and marker is not None:
            message = _leading_object(candidate)  # a message, then garbage
        if message is None and marker is None:
            if len(self._buffer) > self.max_body:
                events.append(Problem(f"skipped {len(self._buffer)} bytes of garbage"))
                del self._buffer[:-64]
            return False  # wait for more bytes
        del self._buffer[:end]
        self._scanning = False
        if message is not None:
            events.append(message)
            events.append(Problem("a message's Content-Length did not match its body"))
        elif candidate.strip():
            events.append(Problem(f"skipped {len(candidate)} bytes that were not a message"))
        else:  # what the header announced as its body is the next header
            events.append(Problem("a message header announced a body that is not there"))
        return True

    def _maybe_early_end(self, events: list[Event]) -> None:
        """A body that is complete JSON a few bytes short of its Content-Length ends here
        (a client that counted one too many); if the rest turns out to be only whitespace,
        the body simply arrived in two pieces and nothing was wrong."""
        assert self._want is not None
        missing = self._want - len(self._buffer)
        if not 0 < missing <= _EARLY_END or not self._buffer.rstrip().endswith(b"}"):
            return
        message = _decode(bytes(self._buffer))
        if message is not None:
            events.append(message)
            self._buffer.clear()
            self._want = None
            self._owed = missing

    def _pay_owed(self, events: list[Event]) -> bool:
        piece = bytes(self._buffer[: self._owed])
        if piece.strip():
            events.append(Problem("a message's Content-Length was larger than its body"))
            self._owed = 0
            return True
        del self._buffer[: len(piece)]
        self._owed -= len(piece)
        return bool(self._buffer)

    def _skipping(self, data: bytes, events: list[Event]) -> bytes:
        """Discard up to `_skip` bytes of `data`; returns what follows the skipped part."""
        take = min(self._skip, len(data))
        window = self._skip_tail + data[:take]
        header = _HEADER_LINE.search(window)
        if header:  # the declared length was a lie: a new message starts here
            events.append(Problem("resynchronised at a header inside an oversized message"))
            self._skip, self._skip_tail = 0, b""
            return window[header.start() :] + data[take:]
        self._skip -= take
        self._skip_tail = window[-64:] if self._skip else b""
        return data[take:]


def _show(data: bytes, limit: int = 60) -> str:
    text = repr(data[:limit])
    return text + ("..." if len(data) > limit else "")
