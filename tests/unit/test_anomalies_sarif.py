"""Reports of `linewright flag`: SARIF 2.1.0 as GitHub code scanning reads it, text, JSON."""

from __future__ import annotations

import json
import pathlib
from typing import Any

from linewright.features.anomalies import Flag
from linewright.features.anomalies.regenerate import Observation
from linewright.features.anomalies.sarif import (
    FileReport,
    json_report,
    message,
    sarif_report,
    text_report,
)
from linewright.features.anomalies.score import features
from linewright.features.anomalies.select import SourceLine
from linewright.features.anomalies.window import LineContext

# Property names SARIF 2.1.0 defines for each object we emit (a subset check catches typos
# and invented keys; GitHub rejects unknown required-shape mistakes, not extra properties).
SARIF_KEYS = {
    "log": {"$schema", "version", "runs", "inlineExternalProperties", "properties"},
    "run": {"tool", "results", "originalUriBaseIds", "columnKind", "artifacts", "invocations"},
    "driver": {"name", "version", "semanticVersion", "informationUri", "rules", "fullName"},
    "rule": {
        "id", "name", "shortDescription", "fullDescription", "help", "defaultConfiguration",
        "properties", "helpUri",
    },
    "result": {
        "ruleId", "ruleIndex", "level", "message", "locations", "partialFingerprints",
        "properties", "fingerprints",
    },
    "physicalLocation": {"artifactLocation", "region"},
    "region": {"startLine", "startColumn", "endLine", "endColumn"},
}  # fmt: skip


def flag(line: int, indent: str, code: str, alternative: str, score: float, severity: str) -> Flag:
    source = SourceLine(line, indent, code, 1, False)
    ctx = LineContext(source, "", None, code, "")
    observation = Observation(alternative, (-0.1,), None, None, None, (-0.1, -3.0))
    start = len(indent)
    return Flag(
        line,
        start,
        start + len(code),
        code,
        alternative,
        score,
        severity,
        features(observation, ctx),
    )


def reports(root: pathlib.Path) -> list[FileReport]:
    text = 'def f(a):\n    s = "🎉" + a\n    return a - 1\n'
    path = root / "pkg" / "m.py"
    flags = [
        flag(1, "    ", 's = "🎉" + a', 's = "🎉" + str(a)', 0.62, "information"),
        flag(2, "    ", "return a - 1", "return a + 1", 0.91, "warning"),
    ]
    return [FileReport(path, text.split("\n"), flags), FileReport(root / "empty.c", [""], [])]


def check_keys(obj: dict[str, Any], kind: str) -> None:
    assert set(obj) <= SARIF_KEYS[kind], set(obj) - SARIF_KEYS[kind]


def test_sarif_has_what_github_code_scanning_requires(tmp_path: pathlib.Path) -> None:
    log = json.loads(json.dumps(sarif_report(reports(tmp_path), tmp_path)))  # JSON-clean
    check_keys(log, "log")
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    check_keys(run, "run")
    driver = run["tool"]["driver"]
    check_keys(driver, "driver")
    assert driver["name"] == "Linewright" and driver["version"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    for rule in driver["rules"]:
        check_keys(rule, "rule")
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("none", "note", "warning", "error")
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == tmp_path.resolve().as_uri() + "/"
    assert len(run["results"]) == 2
    for result in run["results"]:
        check_keys(result, "result")
        assert result["ruleId"] in rule_ids
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("none", "note", "warning", "error")
        assert isinstance(result["message"]["text"], str) and result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        check_keys(physical, "physicalLocation")
        artifact = physical["artifactLocation"]
        assert artifact == {"uri": "pkg/m.py", "uriBaseId": "%SRCROOT%"}
        region = physical["region"]
        check_keys(region, "region")
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region["endLine"] == region["startLine"]
        assert region["endColumn"] > region["startColumn"]
        assert all(isinstance(v, str) and v for v in result["partialFingerprints"].values())


def test_sarif_regions_levels_and_fingerprints(tmp_path: pathlib.Path) -> None:
    run = sarif_report(reports(tmp_path), tmp_path)["runs"][0]
    first, second = run["results"]
    region = first["locations"][0]["physicalLocation"]["region"]
    # 's = "🎉" + a' at column 5: 11 characters, 12 UTF-16 code units (the emoji is two)
    assert (region["startLine"], region["startColumn"], region["endColumn"]) == (2, 5, 5 + 12)
    assert (first["level"], second["level"]) == ("note", "warning")
    assert second["message"]["text"] == ("Unusual line (score 0.91); it would write: return a + 1")
    assert first["partialFingerprints"] != second["partialFingerprints"]
    # the fingerprint follows the line's text, not its number
    moved = reports(tmp_path)
    moved[0] = FileReport(moved[0].path, ["", *moved[0].lines], [
        flag(3, "    ", "return a - 1", "return a + 1", 0.91, "warning")
    ])  # fmt: skip
    again = sarif_report(moved, tmp_path)["runs"][0]["results"][0]
    assert again["partialFingerprints"] == second["partialFingerprints"]


def test_sarif_without_flags_is_still_a_valid_log(tmp_path: pathlib.Path) -> None:
    run = sarif_report([], tmp_path)["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"]


def test_text_and_json_reports(tmp_path: pathlib.Path) -> None:
    files = reports(tmp_path)
    assert text_report(files, tmp_path) == [
        'pkg/m.py:2:5: information: Unusual line (score 0.62); it would write: s = "🎉" + str(a)',
        "pkg/m.py:3:5: warning: Unusual line (score 0.91); it would write: return a + 1",
    ]
    data = json_report(files, tmp_path)
    assert [f["path"] for f in data["files"]] == ["pkg/m.py", "empty.c"]
    assert data["files"][0]["flags"][1] == {
        "line": 2,
        "start": 4,
        "end": 16,
        "severity": "warning",
        "score": 0.91,
        "original": "return a - 1",
        "alternative": "return a + 1",
        "written_token": "",
        "expected_token": "",
    }


def test_paths_outside_the_root_are_absolute(tmp_path: pathlib.Path) -> None:
    files = reports(tmp_path / "a")
    assert json_report(files, tmp_path / "b")["files"][0]["path"] == (
        (tmp_path / "a" / "pkg" / "m.py").resolve().as_posix()
    )


def scored_flag(expected: str, alternative: str | None) -> Flag:
    """A flag where the model scored the line and preferred `expected` over ' -'."""
    source = SourceLine(0, "", "x = a - 1", 1, False)
    ctx = LineContext(source, "a = 2\n", None, "x = a - 1", "")
    observation = Observation(
        alternative,
        (),
        ("x", " =", " a", " -", " 1"),
        (-0.1, -0.1, -0.1, -4.0, -0.1),
        (-0.1, -0.1, -0.1, -0.1, -0.1),
        (-0.1, -4.0),
        ("x", " =", " a", expected, " 1"),
    )
    f = features(observation, ctx)
    return Flag(0, 0, 9, "x = a - 1", alternative, round(f.anomaly, 2), "warning", f)


def test_message_names_the_token_the_model_expected() -> None:
    assert message(scored_flag(" +", "x = a + 1")) == (
        "Unusual line (score 0.89); the model expected '+' where '-' is written; "
        "it would write: x = a + 1"
    )
    assert message(scored_flag(" +", None)) == (
        "Unusual line (score 0.89); the model expected '+' where '-' is written"
    )
    assert message(scored_flag("\n", None)) == (
        "Unusual line (score 0.89); the model expected the line to end before '-'"
    )
