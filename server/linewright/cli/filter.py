"""`linewright filter [--reset] [--json]`: the suggestion filter's status; `--reset` forgets
what it learned (back to the shipped prior, also for servers running now)."""

from __future__ import annotations

import argparse
import json
import sys

from linewright.cli.common import Loaded
from linewright.features.filtering import report, store


async def run(args: argparse.Namespace, loaded: Loaded) -> int:
    """Print the filter's status (after resetting it with `--reset`)."""
    settings = loaded.settings
    folder = store.default_folder()
    if args.reset:
        try:
            store.reset(folder)
        except OSError as exc:
            print(f"linewright: cannot reset the suggestion filter: {exc}", file=sys.stderr)
            return 1
        print("linewright: the suggestion filter forgot what it learned.", file=sys.stderr)
    data = report.read_status(folder, settings.filter)
    print(json.dumps(data, indent=2) if args.json else report.format_status(data))
    return 0
