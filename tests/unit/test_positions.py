"""LSP position conversions: UTF-16 columns, line breaks, byte offsets and clamping."""

from __future__ import annotations

import pytest

from linewright.core import positions as pos
from linewright.core.positions import Position, Range


def to_index(text: str, line: int, character: int) -> int:
    return pos.position_to_index(text, pos.line_starts(text), Position(line, character))


def to_position(text: str, index: int) -> Position:
    return pos.index_to_position(text, pos.line_starts(text), index)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", [0], id="empty"),
        pytest.param("abc", [0], id="one-line"),
        pytest.param("a\nb\n", [0, 2, 4], id="lf-trailing"),
        pytest.param("a\r\nb", [0, 3], id="crlf"),
        pytest.param("a\rb", [0, 2], id="lone-cr"),
        pytest.param("a\r\rb", [0, 2, 3], id="cr-cr"),
        pytest.param("a\n\rb", [0, 2, 3], id="lf-then-cr"),
        pytest.param("\r\n\r\n", [0, 2, 4], id="crlf-only"),
        pytest.param("é\n😀\r中", [0, 2, 4], id="unicode"),
        pytest.param("a\u2028b\x0cc", [0], id="no-unicode-breaks"),
    ],
)
def test_line_starts(text: str, expected: list[int]) -> None:
    assert pos.line_starts(text) == expected


@pytest.mark.parametrize(
    ("text", "line", "character", "index"),
    [
        pytest.param("hello\nworld", 1, 3, 9, id="ascii"),
        pytest.param("a😀b", 0, 1, 1, id="emoji-before"),
        pytest.param("a😀b", 0, 3, 2, id="emoji-after"),
        pytest.param("a😀b", 0, 2, 1, id="emoji-inside-pair-rounds-down"),
        pytest.param("a😀b", 0, 4, 3, id="emoji-line-end"),
        pytest.param("中文x", 0, 2, 2, id="cjk-one-unit-each"),
        pytest.param("é\ncafé", 1, 4, 6, id="latin1"),
        pytest.param("ab\r\ncd", 1, 1, 5, id="crlf"),
        pytest.param("ab\r\ncd", 0, 3, 2, id="crlf-clamps-before-break"),
        pytest.param("ab\rcd", 1, 0, 3, id="lone-cr"),
        pytest.param("ab\rcd", 0, 99, 2, id="lone-cr-clamps"),
        pytest.param("ab\ncd", 0, 99, 2, id="past-line-end"),
        pytest.param("ab\ncd", 9, 0, 5, id="past-last-line"),
        pytest.param("ab\ncd", -1, 5, 0, id="negative-line"),
        pytest.param("ab\ncd", 1, -3, 3, id="negative-character"),
        pytest.param("ab\n", 1, 0, 3, id="empty-last-line"),
        pytest.param("", 0, 5, 0, id="empty-text"),
    ],
)
def test_position_to_index(text: str, line: int, character: int, index: int) -> None:
    assert to_index(text, line, character) == index


@pytest.mark.parametrize(
    ("text", "index", "expected"),
    [
        pytest.param("hello\nworld", 9, Position(1, 3), id="ascii"),
        pytest.param("a😀b", 2, Position(0, 3), id="emoji-two-units"),
        pytest.param("中文x", 2, Position(0, 2), id="cjk"),
        pytest.param("ab\r\ncd", 3, Position(0, 2), id="between-cr-and-lf"),
        pytest.param("ab\r\ncd", 4, Position(1, 0), id="after-crlf"),
        pytest.param("ab\rcd", 3, Position(1, 0), id="after-lone-cr"),
        pytest.param("ab", 99, Position(0, 2), id="past-end"),
        pytest.param("ab", -4, Position(0, 0), id="negative"),
        pytest.param("ab\n", 3, Position(1, 0), id="end-after-break"),
    ],
)
def test_index_to_position(text: str, index: int, expected: Position) -> None:
    assert to_position(text, index) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("plain ascii\nlines\n", id="ascii"),
        pytest.param("x = '😀'\r\ny = '中文'\rz = 'é'\n", id="mixed-unicode-breaks"),
        pytest.param("\ud83d lone surrogate", id="lone-surrogate"),
    ],
)
def test_index_position_round_trip(text: str) -> None:
    starts = pos.line_starts(text)
    for index in range(len(text) + 1):
        position = pos.index_to_position(text, starts, index)
        back = pos.position_to_index(text, starts, position)
        # Indexes inside a line break map to the line end; everything else round-trips.
        inside_break = text[index - 1 : index] in ("\r", "\n") and back != index
        assert back == index or (inside_break and back < index)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("abc", (3, 3), id="ascii"),
        pytest.param("é😀中", (9, 4), id="multi-byte"),
        pytest.param("\ud83d", (3, 1), id="lone-surrogate-surrogatepass"),
    ],
)
def test_lengths(text: str, expected: tuple[int, int]) -> None:
    assert (pos.utf8_len(text), pos.utf16_len(text)) == expected


@pytest.mark.parametrize(
    ("text", "byte_offset", "index"),
    [
        pytest.param("abc", 2, 2, id="ascii"),
        pytest.param("é😀x", 2, 1, id="after-e-acute"),
        pytest.param("é😀x", 4, 1, id="inside-emoji-rounds-down"),
        pytest.param("é😀x", 6, 2, id="after-emoji"),
        pytest.param("é😀x", 99, 3, id="past-end"),
        pytest.param("é😀x", -1, 0, id="negative"),
    ],
)
def test_byte_to_index(text: str, byte_offset: int, index: int) -> None:
    assert pos.byte_to_index(text, byte_offset) == index


@pytest.mark.parametrize(
    ("text", "index", "point"),
    [
        pytest.param("ab\ncd", 4, (1, 1), id="lf"),
        pytest.param("é\n😀x", 3, (1, 4), id="byte-columns"),
        pytest.param("ab\r\ncd", 5, (1, 1), id="crlf"),
        pytest.param("ab\rcd", 4, (0, 4), id="lone-cr-is-not-a-row-break"),
    ],
)
def test_index_to_point(text: str, index: int, point: tuple[int, int]) -> None:
    assert pos.index_to_point(text, index) == point


@pytest.mark.parametrize(
    ("start", "text", "end"),
    [
        pytest.param((2, 5), "abc", (2, 8), id="same-row"),
        pytest.param((2, 5), "a\nbé", (3, 3), id="new-row"),
        pytest.param((0, 0), "", (0, 0), id="empty"),
        pytest.param((0, 1), "x\ry", (0, 4), id="lone-cr"),
    ],
)
def test_advance_point(start: tuple[int, int], text: str, end: tuple[int, int]) -> None:
    assert pos.advance_point(start, text) == end


def test_range_ordered() -> None:
    backwards = Range(Position(3, 1), Position(1, 2))
    assert backwards.ordered() == Range(Position(1, 2), Position(3, 1))
    assert Position(1, 5) < Position(2, 0)
