"""The LSP framing: lenient headers, a size cap, and resynchronisation after bad framing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linewright.lsp.framing import Framer, Message, Problem

A = {"jsonrpc": "2.0", "id": 1, "method": "a", "params": {"text": "é😀\n"}}
B = {"jsonrpc": "2.0", "method": "b", "params": {}}


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def frame(value: Any, header: str = "Content-Length: {n}\r\n\r\n", delta: int = 0) -> bytes:
    data = body(value)
    return header.format(n=len(data) + delta).encode() + data


def feed(*pieces: bytes, framer: Framer | None = None) -> tuple[list[Any], list[str]]:
    """Messages and problems from feeding `pieces` one after another."""
    framer = framer or Framer()
    events = [event for piece in pieces for event in framer.feed(piece)]
    messages = [e.value for e in events if isinstance(e, Message)]
    return messages, [e.message for e in events if isinstance(e, Problem)]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Content-Length: {n}\r\n\r\n", id="standard"),
        pytest.param("content-length: {n}\r\n\r\n", id="lower-case"),
        pytest.param("CONTENT-LENGTH:{n}\n\n", id="upper-case-lf-only-no-space"),
        pytest.param("Content-Length: {n}\n\r\n", id="mixed-line-ends"),
        pytest.param(
            "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
            "Content-Length: {n}\r\n\r\n",
            id="content-type-first",
        ),
        pytest.param("Content-Length: {n}\r\n", id="no-blank-line"),
        pytest.param("\r\n\nContent-Length: {n}\r\n\r\n", id="stray-blank-lines"),
    ],
)
def test_header_spellings_are_understood(header: str) -> None:
    assert feed(frame(A, header) + frame(B, header)) == ([A, B], [])


@pytest.mark.parametrize(
    ("delta", "trailing"),
    [
        pytest.param(1, True, id="one-too-long-then-more"),
        pytest.param(1, False, id="one-too-long-last"),
        pytest.param(-1, True, id="one-too-short-then-more"),
        pytest.param(-1, False, id="one-too-short-last"),
        pytest.param(7, True, id="several-too-long"),
        pytest.param(-9, True, id="several-too-short"),
    ],
)
def test_a_wrong_content_length_loses_nothing(delta: int, trailing: bool) -> None:
    stream = frame(A, delta=delta) + (frame(B) if trailing else b"")
    messages, problems = feed(stream)
    assert messages == ([A, B] if trailing else [A])
    if trailing or delta < 0:  # one too long and last: see the next test
        assert problems and all("Content-Length" in p for p in problems), problems


def test_a_too_long_message_followed_by_garbage_is_kept() -> None:
    messages, problems = feed(frame(A, delta=3) + b"xyz!!\r\n" + frame(B))
    assert messages == [A, B]
    assert problems == ["a message's Content-Length did not match its body"]


def test_one_too_long_is_answered_before_the_next_message_arrives() -> None:
    framer = Framer()
    assert feed(frame(A, delta=1), framer=framer) == ([A], [])
    messages, problems = feed(frame(B), framer=framer)
    assert messages == [B]
    assert problems == ["a message's Content-Length was larger than its body"]


def test_a_body_in_two_pieces_with_trailing_whitespace_is_not_a_problem() -> None:
    data = body(A) + b"\r\n"
    whole = f"Content-Length: {len(data)}\r\n\r\n".encode() + data
    cut = len(whole) - 2  # the JSON is complete, its trailing newline comes later
    assert feed(whole[:cut], whole[cut:], frame(B)) == ([A, B], [])


def test_a_huge_content_length_is_skipped_and_the_stream_recovers() -> None:
    framer = Framer()
    lie = b"Content-Length: 1000000000000000\r\n\r\n" + body(A)
    messages, problems = feed(lie, frame(B), framer=framer)
    assert messages == [B]
    assert problems[0] == "a message of 1000000000000000 bytes is over the 67108864-byte limit"
    assert "resynchronised" in problems[1]
    assert len(framer._buffer) == 0


def test_an_oversized_message_is_skipped_without_holding_it() -> None:
    framer = Framer(max_body=1000)
    big = frame({"jsonrpc": "2.0", "method": "x", "params": {"t": "Content-Length: 5\n" * 200}})
    pieces = [big[i : i + 100] for i in range(0, len(big), 100)]
    sizes = []
    for piece in pieces:
        framer.feed(piece)
        sizes.append(len(framer._buffer))
    assert max(sizes) <= 100
    assert feed(frame(B), framer=framer) == ([B], [])


@pytest.mark.parametrize(
    ("garbage", "problem"),
    [
        pytest.param(b"hello\r\n", "not a header", id="text-line"),
        pytest.param(b"Content-Length: 4\r\n\r\nnope", "not a message", id="non-json-body"),
        pytest.param(b"Content-Length: x1\r\n\r\n", "not a number", id="bad-length"),
        pytest.param(b"X-Thing: 1\r\n\r\n", "without a valid Content-Length", id="no-length"),
        pytest.param(b"Content-Length: 0\r\n\r\n", "empty message body", id="empty-body"),
        pytest.param(b"x" * 9000, "not a header", id="long-line"),
        pytest.param(b"junk", "not a header", id="junk-glued-to-next-header"),
        pytest.param(b"Content-Length: 3\r\n\r\n", "not there", id="fake-header-eats-next"),
    ],
)
def test_garbage_is_reported_and_the_next_message_still_arrives(
    garbage: bytes, problem: str
) -> None:
    messages, problems = feed(frame(A) + garbage + frame(B))
    assert messages == [A, B]
    assert problems and problem in problems[0], problems


def test_an_endless_header_line_is_dropped_as_it_arrives() -> None:
    framer = Framer()
    messages, problems = feed(frame(A), b"x" * 5000, b"x" * 5000, framer=framer)
    assert messages == [A]
    assert problems == ["a header line longer than 8192 bytes"]
    assert feed(b"x" * 100_000, frame(B), framer=framer)[0] == [B]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    data = b'{"jsonrpc": "2.0", "id": 5, "method": "m", "params": {"t": "a\xffb"}}'
    messages, _ = feed(b"Content-Length: %d\r\n\r\n" % len(data) + data)
    assert messages == [{"jsonrpc": "2.0", "id": 5, "method": "m", "params": {"t": "a\ufffdb"}}]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 50), max_size=40))
def test_any_chunking_gives_the_same_messages(cuts: list[int]) -> None:
    stream = frame(A) + frame(B, "content-length: {n}\n\n") + frame(A)
    pieces, at = [], 0
    for cut in cuts:
        pieces.append(stream[at : at + cut])
        at += cut
    pieces.append(stream[at:])
    assert feed(*pieces) == ([A, B, A], [])


GARBAGE = st.lists(
    st.sampled_from([b"a", b":", b" ", b"\r\n", b"\n", b"{", b"}", b"1", b'"', b"X-Y: 2\r\n"]),
    min_size=1,
    max_size=12,
).map(b"".join)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.tuples(GARBAGE, st.booleans()), min_size=1, max_size=6))
def test_every_message_survives_garbage_between_messages(
    noise: list[tuple[bytes, bool]],
) -> None:
    stream = b""
    for garbage, before in noise:
        stream += (garbage + frame(A)) if before else (frame(A) + garbage)
    messages, _ = feed(stream + frame(B))
    assert messages[-1] == B
    assert messages.count(A) == len(noise)
