"""testgen model answers and static review: from prose and fences to reviewed candidates."""

from __future__ import annotations

import pathlib

import pytest

from linewright.features.testgen import prompt
from linewright.features.testgen.answers import code_of, parse_answer
from linewright.features.testgen.records import Candidate, Dropped
from linewright.features.testgen.smells import review
from linewright.features.testgen.target import Target
from linewright.features.testgen.verify import prepare
from tests.unit.test_testgen_target import GEO, line_of, make_project, make_target


@pytest.fixture
def dist(tmp_path: pathlib.Path) -> Target:
    return make_target(make_project(tmp_path), line_of(GEO, "return math.sqrt"))


TEST_A = "def test_a():\n    assert 1\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Sure:\n```python\nx = 1\n```\nDone.", "x = 1\n", id="fenced"),
        pytest.param("```py\na = 1\n```\nx\n```\nb = 2\n```", "a = 1\n\nb = 2\n", id="two-blocks"),
        pytest.param("Here:\n```python\ndef test_a():\n    assert 1", TEST_A, id="unclosed"),
        pytest.param("Tests:\nimport pytest\n" + TEST_A, "import pytest\n" + TEST_A, id="no-fence"),
    ],
)  # fmt: skip
def test_code_of(text: str, expected: str) -> None:
    assert code_of(text) == expected


def test_answer_is_split_into_candidates_with_the_real_import(dist: Target) -> None:
    text = (
        "Here you go:\n```python\nimport math\nfrom solution import dist, helper\n"
        "import solution\n\n"
        "def dist(a, b):\n    return 0\n\nLIMIT = 3\n\n\n@pytest.mark.parametrize('n', [1])\n"
        "def test_one(n):\n    assert dist([0], [n]) == n\n\n"
        "def test_two():\n    assert solution.dist([0], [0]) == 0\n\nif __name__ == '__main__':\n"
        "    test_one(1)\n```"
    )
    candidates, dropped = parse_answer(text, dist, "model:body")
    preamble = (
        "import math",
        "from pkg.geo import dist, helper",
        "import pkg.geo as solution",
        "LIMIT = 3",
    )
    assert dropped == []
    assert candidates == [
        Candidate(
            "test_one",
            "@pytest.mark.parametrize('n', [1])\n"
            "def test_one(n):\n    assert dist([0], [n]) == n\n",
            preamble,
            "model:body",
        ),
        Candidate(
            "test_two",
            "def test_two():\n    assert solution.dist([0], [0]) == 0\n",
            preamble,
            "model:body",
        ),
    ]


def test_truncated_answer_keeps_the_complete_part(dist: Target) -> None:
    text = (
        "```python\ndef test_a():\n    assert dist([1], [1]) == 0\n"
        "    assert dist([2], [2]) == 0\n    assert dist([3],"
    )
    (candidate,), dropped = parse_answer(text, dist, "model:signature")
    assert dropped == []
    assert (
        candidate.source
        == "def test_a():\n    assert dist([1], [1]) == 0\n    assert dist([2], [2]) == 0\n"
    )
    assert candidate.fixes == (
        "cut back to its last complete statement (the answer was truncated)",
    )
    nothing, dropped = parse_answer("```python\ndef test_b(:\n", dist, "model:x")
    assert nothing == []
    assert [(d.name, d.reason) for d in dropped] == [("test_b", "parse")]


def test_unittest_classes_become_functions(dist: Target) -> None:
    text = (
        "import unittest\n\nclass TestDist(unittest.TestCase):\n    def test_zero(self):\n"
        "        self.assertEqual(dist([0], [0]), 0)\n"
        "        self.assertRaises(ValueError, dist, [], [1])\n"
        "    def test_state(self):\n        self.assertTrue(self.value)\n"
    )
    (candidate,), dropped = parse_answer(text, dist, "model:style")
    assert candidate.source == (
        "def test_zero():\n    assert dist([0], [0]) == 0\n    with pytest.raises(ValueError):\n"
        "        dist([], [1])\n"
    )
    assert dropped == [
        Dropped(
            "test_state",
            "model:style",
            "smell",
            "a unittest method that uses the test class's state",
        )
    ]


def candidate(source: str) -> Candidate:
    return Candidate(source.split("(")[0].removeprefix("def "), source, ("import time",), "model:x")


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param("def test_a(:\n", "parse", id="syntax"),
        pytest.param("def test_a():\n    '''Doc.'''\n    pass\n", "smell", id="empty"),
        pytest.param("def test_a():\n    dist([0], [0])\n", "smell", id="no-assertion"),
        pytest.param(
            "def test_a():\n    dist([0], [0])\n    assert True\n", "vacuous", id="assert-constant"
        ),
        pytest.param(
            "def test_a():\n    assert len('ab') == 2\n", "no-target", id="does-not-call-target"
        ),
        pytest.param("def test_a():\n    print(dist([0], [0]))\n", "smell", id="only-prints"),
    ],
)
def test_review_drops(dist: Target, source: str, reason: str) -> None:
    found, dropped = review(candidate(source), dist)
    assert found == [] and dropped is not None and dropped.reason == reason


ZERO = "def test_a():\n    assert dist([0], [0]) == 0\n"
NOISY = "def test_a():\n    print('x')\n    time.sleep(1)\n    assert dist([0], [0]) == 0\n"
POPS = "def test_a():\n    s = [dist([0], [0])] * 2\n" + "    assert s.pop() == 0\n" * 2
ROULETTE = "def test_a():\n    p = [0]\n" + "".join(
    f"    assert dist(p, [{i}]) == {i}\n" for i in range(4)
)
SPLIT = [
    f"def test_a_{i + 1}():\n    p = [0]\n    assert dist(p, [{i}]) == {i}\n" for i in range(4)
]
LOOP = "def test_a():\n    for i in range(4):\n"
CHECKS = [f"dist([i], [{i}]) >= 0" for i in range(4)]


@pytest.mark.parametrize(
    ("source", "expected", "fixes"),
    [
        pytest.param(NOISY, [ZERO], ("removed print and sleep calls",), id="noise"),
        pytest.param(ZERO + ZERO[13:], [ZERO], ("removed duplicated asserts",), id="duplicate"),
        pytest.param(POPS, None, (), id="repeated-method-call-is-not-a-duplicate"),
        pytest.param(ROULETTE, SPLIT, ("split assertion roulette into 4 tests",), id="split"),
        pytest.param(
            LOOP + "".join(f"        assert {c}\n" for c in CHECKS),
            [LOOP + "".join(f"        assert {c}, {c!r}\n" for c in CHECKS)],
            ("labelled the asserts (assertion roulette)",),
            id="labelled",
        ),
    ],
)
def test_review_fixes(
    dist: Target, source: str, expected: list[str] | None, fixes: tuple[str, ...]
) -> None:
    found, dropped = review(candidate(source), dist)
    assert dropped is None
    assert [c.source for c in found] == (expected or [source])
    assert all(c.fixes == fixes for c in found)


def test_prepare_removes_duplicates_and_renames(dist: Target) -> None:
    same = "def test_a():\n    assert dist([0], [0]) == 0\n"
    other = "def test_a():\n    assert dist([1], [0]) == 1\n"
    kept, dropped = prepare(
        [candidate(same), candidate(same.replace("test_a", "test_b")), candidate(other)], dist
    )
    assert [(c.name, c.source) for c in kept] == [
        ("test_a", same),
        ("test_a_2", other.replace("test_a", "test_a_2")),
    ]
    assert dropped == [Dropped("test_b", "model:x", "duplicate", "same test as test_a")]
    # the same body with other imports is another test (one of them may not import)
    derived = Candidate("test_c", same.replace("test_a", "test_c"), (), "derived")
    kept, dropped = prepare([candidate(same), derived], dist)
    assert [c.name for c in kept] == ["test_a", "test_c"] and dropped == []


def test_prompts_carry_the_variant_context(dist: Target) -> None:
    signature = prompt.user_message(dist, "signature", None)
    assert "    ..." in signature and "return math.sqrt" not in signature
    assert ">>> dist([0, 0], [3, 4])" in signature
    assert "return math.sqrt" in prompt.user_message(dist, "body", None)
    assert "def _square" in prompt.user_message(dist, "helpers", None)
    assert "def _square" not in prompt.user_message(dist, "body", None)
    styled = prompt.user_message(dist, "style", "def test_x():\n    assert 1\n")
    assert "existing test file" in styled and "def test_x():" in styled
    assert "`from pkg.geo import dist`" in signature
    assert prompt.variants(6, has_style=False) == [
        "signature",
        "body",
        "helpers",
        "signature",
        "body",
        "helpers",
    ]
    assert prompt.variants(4, has_style=True) == ["signature", "body", "helpers", "style"]
    assert prompt.completion_prefix(dist, "body", None).endswith(
        "from pkg.geo import dist\n\n\ndef test_dist"
    )


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param("", id="empty"),
        pytest.param("Sure! Here are some tests for your function.", id="prose"),
        pytest.param("```python\ndef helper(x):\n    return x\n```", id="no-test-function"),
    ],
)
def test_an_answer_without_tests_is_counted_as_dropped(dist: Target, answer: str) -> None:
    assert parse_answer(answer, dist, "model:body") == (
        [],
        [Dropped("(answer)", "model:body", "no-test", "the answer held no test function")],
    )
