"""The extra-context ring: what goes in, what stays, what is selected (pure, no server)."""

from __future__ import annotations

import pathlib

import pytest

from linewright.core.documents import Document
from linewright.core.llm.types import ExtraChunk
from linewright.core.positions import Position, Range
from linewright.features.completion.neighbors import (
    EDIT_BLOCKS,
    EXTRA_OVERHEAD,
    Chunk,
    NeighborRing,
    changed_line,
    display_name,
    edited_lines,
    fit_extra,
    identifiers,
    jaccard,
)
from linewright.features.exclusion import ContextExclusion


def doc(uri: str, text: str) -> Document:
    return Document(uri, "python", 1, text)


def numbered(prefix: str, count: int) -> str:
    """`count` lines with distinct identifiers: `<prefix>_0 = 0` ..."""
    return "".join(f"{prefix}_{i} = {i}\n" for i in range(count))


def ring(**kw: int) -> NeighborRing:
    options = {"capacity": 8, "chunk_lines": 2, "open_chunks": 3, "per_file": 8, **kw}
    return NeighborRing(**options)


def held(r: NeighborRing) -> list[tuple[str, int, bool]]:
    return [(c.uri, c.first_line, c.edited) for c in r.chunks()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("total = add(left, right)", {"total", "add", "left", "right"}, id="words"),
        pytest.param("def f(self): return None", set(), id="keywords-and-short"),
        pytest.param("$el = jQuery_1", {"$el", "jQuery_1"}, id="dollar-digits"),
        pytest.param("x.y == 3.14", set(), id="single-letters-numbers"),
    ],
)
def test_identifiers(text: str, expected: set[str]) -> None:
    assert identifiers(text) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param({"aa", "bb"}, {"aa", "bb"}, 1.0, id="same"),
        pytest.param({"aa", "bb"}, {"bb", "cc"}, 1 / 3, id="one-of-three"),
        pytest.param({"aa"}, {"bb"}, 0.0, id="disjoint"),
        pytest.param(set(), set(), 0.0, id="empty"),
    ],
)
def test_jaccard(a: set[str], b: set[str], expected: float) -> None:
    assert jaccard(frozenset(a), frozenset(b)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("uri", "root", "expected"),
    [
        pytest.param("file:///ws/pkg/a.py", "/ws", "pkg/a.py", id="inside-root"),
        pytest.param("file:///elsewhere/a.py", "/ws", "/elsewhere/a.py", id="outside-root"),
        pytest.param("file:///ws/my%20file.py", "/ws", "my file.py", id="percent-encoded"),
        pytest.param("file:///ws/a.py", None, "/ws/a.py", id="no-root"),
        pytest.param("untitled:Untitled-1", "/ws", "Untitled-1", id="untitled"),
    ],
)
def test_display_name(uri: str, root: str | None, expected: str) -> None:
    assert display_name(uri, pathlib.Path(root) if root else None) == expected


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        pytest.param("a\nb\nc\n", "a\nB\nc\n", 1, id="middle"),
        pytest.param("a\nb\n", "a\nb\nc\n", 2, id="appended"),
        pytest.param("a\nb\n", "x\nb\n", 0, id="first"),
        pytest.param("same\n", "same\n", 1, id="unchanged"),
    ],
)
def test_changed_line(old: str, new: str, line: int) -> None:
    assert changed_line(old, new) == line


def rng(a: int, b: int, c: int, d: int) -> Range:
    return Range(Position(a, b), Position(c, d))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param([(rng(4, 1, 4, 1), "x")], [4], id="keystroke"),
        pytest.param([(rng(2, 0, 2, 0), "a\nb\n")], [2, 3, 4], id="lines-inserted"),
        pytest.param([(rng(7, 0, 3, 0), "")], [3], id="reversed-range"),
        pytest.param([(None, "a\nB\n")], [1], id="whole-text"),
        pytest.param(
            [(rng(0, 0, 0, 0), "\n" * 1000)],
            list(range(EDIT_BLOCKS * 30 + 1)),
            id="big-paste-capped",
        ),
    ],
)
def test_edited_lines(changes: list[tuple[Range | None, str]], expected: list[int]) -> None:
    assert edited_lines(changes, "a\nb\n", "a\nB\n") == expected


def test_opening_holds_the_first_aligned_chunks() -> None:
    r = ring()
    r.opened(doc("file:///a.py", numbered("alpha", 9)), "a.py")
    assert [c.first_line for c in r.chunks()] == [0, 2, 4]  # open_chunks=3 of the 5
    assert not any(c.edited for c in r.chunks())
    assert [c.text for c in r.chunks()][:2] == [
        "alpha_0 = 0\nalpha_1 = 1\n",
        "alpha_2 = 2\nalpha_3 = 3\n",
    ]
    assert r.chunks()[0].filename == "a.py"
    assert r.chunks()[0].size == len("alpha_0 = 0\nalpha_1 = 1\n")


def test_typing_replaces_the_chunk_of_its_block() -> None:
    r = ring()
    d = doc("file:///a.py", numbered("alpha", 4))
    r.opened(d, "a.py")
    for typed in ("b", "bo", "bob"):
        d.apply_change(rng(3, 0, 3, 0), typed[-1])
        r.edited(d, "a.py", [3])
    assert held(r) == [("file:///a.py", 0, False), ("file:///a.py", 2, True)]
    assert r.chunks()[-1].text == "alpha_2 = 2\nbobalpha_3 = 3\n"


def test_identical_text_is_held_once_and_refreshed() -> None:
    r = ring()
    r.opened(doc("file:///a.py", "shared_name = 1\n"), "a.py")
    r.opened(doc("file:///other.py", "other_name = 2\n"), "other.py")
    r.opened(doc("file:///b.py", "shared_name = 1\n"), "b.py")
    assert held(r) == [("file:///other.py", 0, False), ("file:///a.py", 0, False)]
    assert r.chunks()[-1].seq == 0  # refreshed, not re-entered: its order is unchanged


def test_capacity_drops_the_oldest() -> None:
    r = ring(capacity=3, open_chunks=1)
    for name in ("aa", "bb", "cc", "dd"):
        r.opened(doc(f"file:///{name}.py", numbered(name, 2)), f"{name}.py")
    assert [c.uri for c in r.chunks()] == ["file:///bb.py", "file:///cc.py", "file:///dd.py"]


def test_one_file_holds_at_most_per_file_chunks() -> None:
    r = ring(per_file=2, capacity=10)
    r.opened(doc("file:///other.py", numbered("other", 2)), "other.py")
    d = doc("file:///a.py", numbered("alpha", 12))
    r.edited(d, "a.py", [0, 4, 8])
    assert held(r) == [
        ("file:///other.py", 0, False),
        ("file:///a.py", 4, True),
        ("file:///a.py", 8, True),
    ]


def test_a_change_adds_at_most_edit_blocks_chunks() -> None:
    r = ring(capacity=64, per_file=64)
    d = doc("file:///a.py", numbered("alpha", 40))
    r.edited(d, "a.py", range(40))
    assert [c.first_line for c in r.chunks()] == [2 * i for i in range(EDIT_BLOCKS)]


def test_closing_keeps_only_edited_chunks() -> None:
    r = ring()
    d = doc("file:///a.py", numbered("alpha", 6))
    r.opened(d, "a.py")
    d.apply_change(rng(5, 0, 5, 0), "z")
    r.edited(d, "a.py", [5])
    r.closed("file:///a.py")
    assert held(r) == [("file:///a.py", 4, True)]


def test_an_edit_that_restores_held_text_marks_it_edited() -> None:
    r = ring()
    d = doc("file:///a.py", numbered("alpha", 2))
    r.opened(d, "a.py")
    r.edited(d, "a.py", [1])  # e.g. typed and undone: the text is the one held
    r.closed("file:///a.py")
    assert held(r) == [("file:///a.py", 0, True)]


def test_reopening_replaces_the_opened_chunks() -> None:
    r = ring()
    r.opened(doc("file:///a.py", numbered("alpha", 4)), "a.py")
    r.opened(doc("file:///a.py", numbered("beta", 2)), "a.py")
    assert [c.text for c in r.chunks()] == ["beta_0 = 0\nbeta_1 = 1\n"]


def test_blank_chunks_are_not_held() -> None:
    r = ring()
    r.opened(doc("file:///a.py", "\n\n   \n}\n"), "a.py")
    assert len(r) == 0


def test_select_ranks_other_files_by_shared_identifiers() -> None:
    r = ring(open_chunks=1)
    r.opened(doc("file:///current.py", "parse_header(buffer)\n"), "current.py")
    r.opened(doc("file:///far.py", "render_page(template)\n"), "far.py")
    r.opened(doc("file:///near.py", "parse_header(buffer, strict)\n"), "near.py")
    r.opened(doc("file:///some.py", "parse_header(stream, strict)\n"), "some.py")
    around = "header = parse_header(buffer)\n"
    chosen = r.select(around, "file:///current.py", limit=5)
    assert [c.filename for c in chosen] == ["near.py", "some.py"]
    assert [c.filename for c in r.select(around, "file:///current.py", limit=1)] == ["near.py"]


def test_select_prefers_the_newer_chunk_on_a_tie() -> None:
    r = ring(open_chunks=1)
    r.opened(doc("file:///old.py", "shared_word = 1\n"), "old.py")
    r.opened(doc("file:///new.py", "shared_word = 2\n"), "new.py")
    chosen = r.select("shared_word", "file:///current.py", limit=2)
    assert [c.filename for c in chosen] == ["new.py", "old.py"]


def test_excluded_files_add_no_chunks(tmp_path: pathlib.Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("private/\n")
    r = ring(open_chunks=1)
    uris = {name: (tmp_path / name).as_uri() for name in (".env", "private/p.py", "ok.py")}
    for name, uri in uris.items():
        opened = doc(uri, "shared_word = 1\n" + name.replace(".", "_") + " = 2\n")
        r.opened(opened, name)
        r.edited(opened, name, [0, 1])
    assert [c.filename for c in r.chunks()] == ["ok.py"]
    assert r.excludes(uris[".env"]) and not r.excludes(uris["ok.py"])


def test_chunks_held_before_an_exclusion_are_never_selected(tmp_path: pathlib.Path) -> None:
    r = ring(open_chunks=1)
    dump, ok = (tmp_path / "dump.sql").as_uri(), (tmp_path / "ok.py").as_uri()
    r.opened(doc(dump, "shared_word = 1\n"), "dump.sql")
    r.opened(doc(ok, "shared_word = 2\n"), "ok.py")
    assert len(r.select("shared_word", "file:///c.py", limit=5)) == 2
    r.exclusion = ContextExclusion(tmp_path, ["*.sql"])  # the settings changed
    assert [c.filename for c in r.select("shared_word", "file:///c.py", limit=5)] == ["ok.py"]


def chunk(name: str, size: int, seq: int) -> Chunk:
    return Chunk(f"file:///{name}", name, 0, "x" * size, seq=seq, size=size)


@pytest.mark.parametrize(
    ("chunks", "budget", "expected"),
    [
        pytest.param(
            [chunk("b.py", 10, 2), chunk("a.py", 10, 1)],
            1000,
            ["a.py", "b.py"],
            id="ring-order",
        ),
        pytest.param(
            [chunk("b.py", 10, 2), chunk("a.py", 10, 1)],
            10 + len("b.py") + EXTRA_OVERHEAD,
            ["b.py"],
            id="best-first-within-budget",
        ),
        pytest.param(
            [chunk("big.py", 500, 1), chunk("s.py", 10, 2)],
            100,
            ["s.py"],
            id="too-big-skipped",
        ),
        pytest.param([chunk("a.py", 10, 1)], 0, [], id="no-budget"),
    ],
)
def test_fit_extra(chunks: list[Chunk], budget: int, expected: list[str]) -> None:
    fitted = fit_extra(chunks, budget)
    assert [c.filename for c in fitted] == expected
    assert all(isinstance(c, ExtraChunk) for c in fitted)
