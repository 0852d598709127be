"""filtering.offline: decision files in the coderec format, replayed into rows."""

from __future__ import annotations

import json
import pathlib

import pytest

from linewright.features.filtering.offline import by_user, read_records, replay, rows_by_user


def record(user: int, time: str, accepted: bool, text: str = "x") -> dict:
    return {
        "user_id": user, "time": time, "accepted": accepted,
        "prompt_text": "a = 1\n", "suggestion_text": text, "pre_display": {"meanLogProb": -1},
    }  # fmt: skip


def write(path: pathlib.Path, records: list) -> pathlib.Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n")
    return path


def test_read_records_skips_blank_lines(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "d.jsonl", [record(1, "2022-01-01T00:00:00Z", True)])
    assert len(read_records(path)) == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param("{oops", "d.jsonl:2: not JSON", id="not-json"),
        pytest.param('{"user_id": 1}', "d.jsonl:2: missing time, accepted", id="missing"),
        pytest.param("[1]", "d.jsonl:2: missing user_id", id="not-an-object"),
    ],
)
def test_read_records_names_the_bad_line(tmp_path: pathlib.Path, line: str, message: str) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(record(1, "2022-01-01T00:00:00Z", True)) + "\n" + line + "\n")
    with pytest.raises(ValueError, match=message):
        read_records(path)


def test_by_user_orders_each_users_decisions_by_time() -> None:
    groups = by_user(
        [
            record(2, "2022-01-01T00:00:09Z", True, "late"),
            record(1, "2022-01-01T00:00:05Z", True, "only"),
            record(2, "2022-01-01T00:00:01Z", False, "early"),
        ]
    )
    assert sorted(groups) == ["1", "2"]
    assert [r["suggestion_text"] for r in groups["2"]] == ["early", "late"]


def test_replay_carries_the_history_forward() -> None:
    rows = replay(
        "u",
        [
            record(1, "2022-01-01T00:00:00Z", False, "print(a)"),
            record(1, "2022-01-01T00:00:00.5Z", True, "print(a)"),
            record(1, "2022-01-01T00:01:00Z", True, "b = 2"),
        ],
    )
    assert [r.x1[0] for r in rows] == [0.0, -1.0, 1.0]  # prev_outcome
    assert [r.x1[2] for r in rows] == [0.0, 1.0, 0.0]  # fast_gap
    assert [r.rule for r in rows] == [None, "duplicate", None]
    assert [r.accepted for r in rows] == [False, True, True]


def test_rows_by_user(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path / "d.jsonl",
        [record(7, "2022-01-01T00:00:00Z", True), record(8, "2022-01-01T00:00:00Z", False)],
    )
    rows = rows_by_user(path)
    assert {user: len(group) for user, group in rows.items()} == {"7": 1, "8": 1}
