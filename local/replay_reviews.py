"""Replay labelled reviews against the local API as traffic: one POST /predict per review.

Each request carries its review's ground truth in the ``X-True-Label`` header, which the
local endpoint writes to its request log (for `make ab-report`); with `--capture-dir` on
the server, the same traffic becomes data capture (for `make drift`).

    python local/replay_reviews.py REVIEWS.csv[.gz] [--url http://127.0.0.1:8080]
        [--limit N] [--seed N] [--target-variant NAME]

REVIEWS: a CSV with ``review`` and ``sentiment`` (or ``label``) columns, as the shared
IMDb and rt_polarity files are.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import http.client
import io
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit


def labelled_reviews(path: Path) -> Iterator[tuple[str, str]]:
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode("utf-8")
    # IMDb reviews run past the csv module's default 128 KiB field limit only in theory;
    # the limit is raised so one odd row does not stop a replay.
    csv.field_size_limit(10 * 1024 * 1024)
    for row in csv.DictReader(io.StringIO(text, newline="")):
        label = row.get("sentiment") or row.get("label") or ""
        yield row["review"], label


def replay(
    url: str, reviews: list[tuple[str, str]], target_variant: str | None = None
) -> Counter[str]:
    """POST each review; counts of answers by status and variant."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=60
    )
    counts: Counter[str] = Counter()
    try:
        for review, label in reviews:
            headers = {"Content-Type": "application/json", "X-True-Label": label}
            if target_variant:
                headers["X-Target-Variant"] = target_variant
            body = json.dumps({"review": review}).encode("utf-8")
            connection.request("POST", "/predict", body=body, headers=headers)
            answer = connection.getresponse()
            document = json.loads(answer.read() or b"{}")
            counts[f"status {answer.status}"] += 1
            if answer.status == 200:
                counts[f"variant {document.get('variant', '?')}"] += 1
    finally:
        connection.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("reviews", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--limit", type=int, help="replay the first N (after shuffling)")
    parser.add_argument("--seed", type=int, help="shuffle the reviews with this seed first")
    parser.add_argument("--target-variant", help="pin every request (X-Target-Variant)")
    args = parser.parse_args(argv)
    if not args.reviews.is_file():
        print(f"error: {args.reviews} does not exist", file=sys.stderr)
        return 2
    reviews = list(labelled_reviews(args.reviews))
    if args.seed is not None:
        random.Random(args.seed).shuffle(reviews)  # noqa: S311 (sampling, not security)
    reviews = reviews[: args.limit] if args.limit else reviews
    started = time.monotonic()
    try:
        counts = replay(args.url, reviews, args.target_variant)
    except OSError as err:
        print(f"error: cannot reach {args.url}: {err}", file=sys.stderr)
        return 2
    seconds = time.monotonic() - started
    print(f"{len(reviews):,} reviews in {seconds:.1f} s ({len(reviews) / seconds:,.0f}/s)")
    for key, count in sorted(counts.items()):
        print(f"  {key}: {count:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
