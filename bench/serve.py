"""Serving benchmark: what the Lambda handler adds to inference, and the local server's throughput.

1. Latency (`serve_latency.py`): p50/p99 in process for 1 review and a batch of 64, for
   inference alone, handler + inference, and the handler alone with a canned model
   answer. Goal: the handler adds < 1 ms.
2. Throughput (`serve_load.py`): POST /predict against `local/serve.py` on loopback from
   a few keep-alive client threads, stopping at a time limit.

    python bench/serve.py [--model-dir build/model/model] [--requests 2000] [--threads 4]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import random
import statistics
import sys
from pathlib import Path

from serve_latency import DEFAULT_MODEL_DIR, LocalRuntime, latency_rows
from serve_load import throughput

REPO_ROOT = Path(__file__).resolve().parent.parent

_VOCABULARY = """
film movie story acting plot scene director cast character music ending script great
good wonderful brilliant superb moving funny beautiful loved enjoyed best bad awful
boring dull terrible worst waste predictable weak poor slow mess the a and of to is was
it this that with but not very really quite too
"""
_WORDS = tuple(_VOCABULARY.split())


def make_reviews(count: int, words: int = 230, seed: int = 7) -> list[str]:
    """Reproducible reviews of IMDb's typical length (~230 words, ~1,300 characters)."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "." for _ in range(count)
    ]


# Real reviews for benchmarks only, outside the repository (see ../shared/datasets/README.md).
SHARED_IMDB_TEST = REPO_ROOT.parent / "shared" / "datasets" / "imdb" / "test.csv.gz"


def load_reviews(path: Path, count: int) -> list[str]:
    """The first `count` reviews of a `review,sentiment` CSV (gzip or plain)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        reviews = []
        for row in csv.DictReader(handle):
            reviews.append(row["review"])
            if len(reviews) == count:
                break
    return reviews


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument(
        "--iterations",
        type=int,
        default=300,
        help="timed calls per latency row (at most --max-seconds each)",
    )
    parser.add_argument(
        "--reviews-csv",
        type=Path,
        default=SHARED_IMDB_TEST if SHARED_IMDB_TEST.is_file() else None,
        help="review,sentiment CSV to take reviews from (default: the shared IMDb test "
        "split if present, else generated reviews of IMDb length)",
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1, help="reviews per throughput request")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=60.0,
        help="time limit of each latency row and of the load run",
    )
    args = parser.parse_args(argv)

    try:
        runtime = LocalRuntime(args.model_dir)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    if args.reviews_csv is not None:
        pool = load_reviews(args.reviews_csv, 512)
        source = f"{len(pool)} reviews from {args.reviews_csv.name}"
    else:
        pool = make_reviews(512)
        source = f"{len(pool)} generated reviews"
    mean_chars = statistics.fmean(len(review) for review in pool)
    print(
        f"Model {args.model_dir} ({runtime.model_version}); {source}, mean {mean_chars:.0f} "
        f"characters; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    rows = latency_rows(runtime, pool, iterations=args.iterations, max_seconds=args.max_seconds)
    print()
    print(f"{'reviews':>7}  {'path':<30} {'p50 ms':>8} {'p99 ms':>8} {'calls':>6}")
    for size, name, p50, p99, count in rows:
        print(f"{size:>7}  {name:<30} {p50:>8.3f} {p99:>8.3f} {count:>6}")
    for size in (1, 64):
        by_name = {name: p50 for s, name, p50, _, _ in rows if s == size}
        added = by_name["handler + inference"] - by_name["inference alone"]
        verdict = "OK" if by_name["handler alone (canned answer)"] < 1.0 else "over 1 ms"
        print(
            f"{size:>7}  handler overhead: p50 difference {added:.3f} ms, own cost "
            f"{by_name['handler alone (canned answer)']:.3f} ms (goal < 1 ms: {verdict})"
        )

    result = throughput(
        args.model_dir,
        pool,
        requests=args.requests,
        threads=args.threads,
        max_seconds=args.max_seconds,
        batch=args.batch,
    )
    print()
    print(
        f"Local server throughput (loopback, {result['threads']} client threads, keep-alive, "
        f"{result['batch']} review(s)/request):"
    )
    print(
        f"  {result['done']}/{result['asked']} requests in {result['wall']:.2f} s = "
        f"{result['rps']:.0f} req/s; latency p50 {result['p50']:.2f} ms, "
        f"p99 {result['p99']:.2f} ms; non-200: {result['failures']}"
        + ("; stopped by the time limit" if result["stopped_by_time"] else "")
    )
    return 0 if result["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
