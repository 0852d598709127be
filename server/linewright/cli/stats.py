"""`linewright stats [--json] [--export FILE.jsonl]`: acceptance rates from the local telemetry.

Reads the store the language server writes (`<state dir>/telemetry.sqlite3`); prints the
acceptance rate per language and per trigger kind, or the events themselves as JSONL.
"""

from __future__ import annotations

import argparse
import json
import sqlite3

from linewright.cli.common import BAD_INPUT, FOUND, OK, Loaded, say
from linewright.config import FilterSettings
from linewright.core import telemetry
from linewright.features.filtering import report
from linewright.features.filtering import store as filter_store


async def run(args: argparse.Namespace, loaded: Loaded) -> int:
    """Print the summary; with `--export FILE` also write every event as one JSON line."""
    return report_stats(args, loaded.settings.filter)


def report_stats(args: argparse.Namespace, filter_settings: FilterSettings | None = None) -> int:
    """`stats` itself: plain file work, no event loop needed."""
    path = telemetry.default_path()
    try:
        events = telemetry.load_events(path)
    except sqlite3.Error as exc:
        say(f"cannot read {path}: {exc}")
        return FOUND
    if args.export:
        try:
            with open(args.export, "w", encoding="utf-8") as out:
                for event in events:
                    out.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
        except OSError as exc:
            say(f"cannot write {args.export}: {exc.strerror or exc}; give a writable file path")
            return BAD_INPUT
        say(f"wrote {len(events)} events to {args.export}")
    summary = telemetry.summarize(events)
    status = report.read_status(filter_store.default_folder(), filter_settings or FilterSettings())
    if args.json:
        print(json.dumps({"store": str(path), **summary.to_json(), "filter": status}, indent=2))
    elif not events:
        print(f"No telemetry yet ({path}).")
    else:
        print(f"Suggestions in {path}:")
        print(telemetry.format_summary(summary))
    if not args.json:
        print(report.format_status(status))
    return OK
