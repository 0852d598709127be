"""Build the suggestion filter's shipped prior from a decision file (coderec format).

Usage (from the repository root; this exact command made the committed prior):

    python tests/bench/build_filter_prior.py \
        --data ../shared/data/coderec-dev/decisions.jsonl \
        --out server/linewright/features/filtering/prior.json

Both stages are fitted on every decision of the file (L2-regularised logistic regression,
`features.filtering.train.fit`), acceptances weighted by the characters they kept (see
`cascade.utility_weight`). Prints a JSON summary: rows, users, acceptance, the data's sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys

from linewright.features.filtering import store
from linewright.features.filtering.cascade import utility_weight
from linewright.features.filtering.features import CONTEXT_NAMES
from linewright.features.filtering.offline import Row, rows_by_user
from linewright.features.filtering.store import STAGE2_NAMES, FilterState
from linewright.features.filtering.train import fit

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "coderec-dev" / "decisions.jsonl"
DEFAULT_OUT = REPO / "server" / "linewright" / "features" / "filtering" / store.PRIOR_FILE


def weights(rows: list[Row], utility: bool) -> list[float]:
    """How many times each row counts: accepted ones by the characters kept (all of them)."""
    if not utility:
        return [1.0] * len(rows)
    return [utility_weight(r.accepted, len(r.text), None, None) for r in rows]


def build(rows: list[Row], source: str, utility: bool = True) -> FilterState:
    """Both stages fitted on `rows`."""
    labels = [r.accepted for r in rows]
    sample = weights(rows, utility)
    stage1 = fit(CONTEXT_NAMES, [r.x1 for r in rows], labels, sample)
    stage2 = fit(STAGE2_NAMES, [r.x2 for r in rows], labels, sample)
    return FilterState(stage1, stage2, source=source, token="prior")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--no-utility", action="store_true", help="count every row once")
    args = parser.parse_args(argv)
    users = rows_by_user(args.data)
    rows = [row for group in users.values() for row in group]
    digest = hashlib.sha256(args.data.read_bytes()).hexdigest()
    source = (
        f"{args.data.name}: {len(rows)} decisions of {len(users)} users, sha256 {digest[:16]};"
        f" tests/bench/build_filter_prior.py{' --no-utility' if args.no_utility else ''}"
    )
    state = build(rows, source, utility=not args.no_utility)
    args.out.write_text(json.dumps(state.to_json(), indent=1) + "\n", encoding="utf-8")
    summary = {
        "out": str(args.out),
        "rows": len(rows),
        "users": len(users),
        "accepted": sum(r.accepted for r in rows),
        "sha256": digest,
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
