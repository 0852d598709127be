"""Reports of `linewright flag`: text lines, JSON, and SARIF 2.1.0 for GitHub code scanning.

SARIF follows what GitHub's upload documents as required or used: `version`, `$schema`,
one run whose `tool.driver` has a name, version and the one rule; each result has `ruleId`,
`ruleIndex`, `level`, `message.text`, a physical location relative to `%SRCROOT%` with a
1-based region, and a `partialFingerprints` entry so a flag keeps its identity when lines
move. Columns are UTF-16 code units (SARIF's default `columnKind`).
"""

from __future__ import annotations

import hashlib
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from linewright import __version__
from linewright.core.positions import utf16_len
from linewright.features.anomalies import Flag
from linewright.features.anomalies.select import normalise

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULE_ID = "line-anomaly"
RULE = {
    "id": RULE_ID,
    "name": "LineAnomaly",
    "shortDescription": {"text": "The model would not have written this line"},
    "fullDescription": {
        "text": "FLAG: a code model regenerated the line from its context and preferred a "
        "close alternative with confidence. Often a typo-like bug (wrong operator, variable, "
        "constant or argument order); sometimes just unusual code."
    },
    "help": {
        "text": "Compare the line with the model's alternative in the message. If the line "
        "is right, ignore it (code action 'Ignore this line' in the editor)."
    },
    "defaultConfiguration": {"level": "warning"},
    "properties": {"tags": ["correctness", "ai"], "precision": "low"},
}
LEVELS = {"warning": "warning", "information": "note"}


@dataclass(frozen=True)
class FileReport:
    """The flags of one file, with its text (for columns and fingerprints)."""

    path: pathlib.Path
    lines: Sequence[str]
    flags: Sequence[Flag]


def message(flag: Flag) -> str:
    """The one-line explanation shown in the editor, the CLI and SARIF."""
    parts = [f"Unusual line (score {flag.score:.2f})"]
    written, expected = flag.features.anomaly_token.strip(), flag.features.expected_token
    if written and expected.startswith(("\n", "\r")):
        parts.append(f"the model expected the line to end before {written!r}")
    elif written and expected.strip():
        parts.append(f"the model expected {expected.strip()!r} where {written!r} is written")
    alternative = (flag.alternative or "").strip()
    if alternative and alternative != flag.original.strip():
        parts.append(f"it would write: {alternative}")
    return "; ".join(parts)


def text_report(files: Sequence[FileReport], root: pathlib.Path) -> list[str]:
    """`path:line:col: severity: message` lines (1-based line and column)."""
    out = []
    for report in files:
        for flag in report.flags:
            where = f"{_display(report.path, root)}:{flag.line + 1}:{flag.start + 1}"
            out.append(f"{where}: {flag.severity}: {message(flag)}")
    return out


def json_report(files: Sequence[FileReport], root: pathlib.Path) -> dict[str, Any]:
    """Machine-readable flags (0-based lines, `str`-index columns, the model's line)."""
    return {
        "files": [
            {
                "path": _display(r.path, root),
                "flags": [
                    {
                        "line": f.line,
                        "start": f.start,
                        "end": f.end,
                        "severity": f.severity,
                        "score": f.score,
                        "original": f.original,
                        "alternative": f.alternative,
                        "written_token": f.features.anomaly_token,
                        "expected_token": f.features.expected_token,
                    }
                    for f in r.flags
                ],
            }
            for r in files
        ]
    }


def sarif_report(files: Sequence[FileReport], root: pathlib.Path) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run."""
    results = [_result(report, flag, root) for report in files for flag in report.flags]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Linewright",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [RULE],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }


def _result(report: FileReport, flag: Flag, root: pathlib.Path) -> dict[str, Any]:
    text = report.lines[flag.line] if flag.line < len(report.lines) else ""
    identity = f"{_display(report.path, root)}\n{normalise(flag.original)}"
    fingerprint = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return {
        "ruleId": RULE_ID,
        "ruleIndex": 0,
        "level": LEVELS.get(flag.severity, "warning"),
        "message": {"text": message(flag)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": _display(report.path, root),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {
                        "startLine": flag.line + 1,
                        "startColumn": utf16_len(text[: flag.start]) + 1,
                        "endLine": flag.line + 1,
                        "endColumn": utf16_len(text[: flag.end]) + 1,
                    },
                }
            }
        ],
        "partialFingerprints": {"lineAnomaly/v1": fingerprint},
        "properties": {"score": flag.score, "alternative": flag.alternative},
    }


def _display(path: pathlib.Path, root: pathlib.Path) -> str:
    """`path` relative to `root` in POSIX form when inside it, else absolute."""
    resolved = path.resolve()
    base = root.resolve()
    if resolved.is_relative_to(base):
        return resolved.relative_to(base).as_posix()
    return resolved.as_posix()
