"""Serving benchmark: the model's cold start and latency, the handler's overhead, throughput.

1. Fresh processes (`serve_latency.fresh_runs`): medians over --runs new processes, each
   loading `<model dir>/code/inference.py` as the container does, of the cold start
   (import inference + model_fn) and the p50 of input_fn -> predict_fn -> output_fn for
   one review and for 64. With --baseline-model-dir (any model directory with its own
   code/, e.g. one an older version wrote), its runs alternate with the model's and the
   ratios come from the same run. Goals: cold start <= 0.5 s, one review <= 0.5 ms,
   64 reviews <= 15 ms.
2. Latency in process (`serve_latency.latency_rows`): p50/p99 for 1 review and a batch
   of 64, for inference alone, handler + inference, and the handler alone with a canned
   model answer. Goal: the handler adds < 1 ms.
3. Throughput (`serve_load.py`): POST /predict against `local/serve.py` on loopback from
   a few keep-alive client threads, stopping at a time limit.

    python bench/serve.py [--model-dir build/model/model] [--baseline-model-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

from serve_latency import fresh_runs, latency_rows, load_reviews
from serve_load import throughput

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "local"))

from local_runtime import DEFAULT_MODEL_DIR, LocalRuntime  # noqa: E402

_VOCABULARY = """
film movie story acting plot scene director cast character music ending script great
good wonderful brilliant superb moving funny beautiful loved enjoyed best bad awful
boring dull terrible worst waste predictable weak poor slow mess the a and of to is was
it this that with but not very really quite too
"""
_WORDS = tuple(_VOCABULARY.split())
# Real reviews for benchmarks only, outside the repository (see ../shared/datasets/README.md).
SHARED_IMDB_TEST = REPO_ROOT.parent / "shared" / "datasets" / "imdb" / "test.csv.gz"
GOALS = {"cold_start_s": 0.5, "single_ms": 0.5, "batch_64_ms": 15.0}
LABELS = {
    "cold_start_s": "cold start (import inference + model_fn)",
    "single_ms": "one review, input_fn -> output_fn, p50",
    "batch_64_ms": "64 reviews, input_fn -> output_fn, p50",
}


def make_reviews(count: int, words: int = 230, seed: int = 7) -> list[str]:
    """Reproducible reviews of IMDb's typical length (~230 words, ~1,300 characters)."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "." for _ in range(count)
    ]


def print_fresh(results: dict[str, dict[str, float]]) -> None:
    """One line per measure; with a baseline, its value and the ratio beside."""
    model, baseline = results["model"], results.get("baseline")
    runs = int(model["runs"])
    print(f"Fresh processes: medians of {runs} runs (alternating with the baseline, if any)")
    for key, label in LABELS.items():
        unit = "s" if key.endswith("_s") else "ms"
        verdict = "OK" if model[key] <= GOALS[key] else "over"
        line = f"  {label:<40} {model[key]:8.3f} {unit} (goal <= {GOALS[key]} {unit}: {verdict})"
        cpu = key.replace("_ms", "_cpu_ms")
        if cpu != key and cpu in model:
            line += f", CPU {model[cpu]:.3f} ms"
        if baseline:
            ratio = baseline[key] / model[key]
            line += f"; baseline {baseline[key]:.3f} {unit}, {ratio:.1f}x faster"
            if cpu != key and cpu in model:
                line += f" (CPU {baseline[cpu]:.3f} ms, {baseline[cpu] / model[cpu]:.1f}x)"
        print(line)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--baseline-model-dir", type=Path, help="a model dir to compare with")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per model")
    parser.add_argument("--singles", type=int, default=300, help="single reviews per run")
    parser.add_argument("--batches", type=int, default=40, help="batches of 64 per run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--iterations",
        type=int,
        default=300,
        help="timed calls per in-process row (at most --max-seconds each)",
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
        help="time limit of each in-process row and of the load run",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        runtime = LocalRuntime(args.model_dir)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as scratch:
        reviews_csv = args.reviews_csv
        if reviews_csv is None:
            reviews_csv = Path(scratch) / "reviews.csv"
            with reviews_csv.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["review", "sentiment"])
                writer.writerows([review, ""] for review in make_reviews(512))
        pool, _ = load_reviews(reviews_csv, 512)
        mean_chars = statistics.fmean(len(review) for review in pool)
        print(
            f"Model {args.model_dir} ({runtime.model_version}); reviews from {reviews_csv.name}, "
            f"mean {mean_chars:.0f} characters; Python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )
        model_dirs = {"model": args.model_dir.resolve()}
        if args.baseline_model_dir:
            model_dirs["baseline"] = args.baseline_model_dir.resolve()
        task = {"reviews_csv": str(reviews_csv), "limit": 2000, "seed": args.seed}
        task |= {"singles": args.singles, "batches": args.batches}
        print_fresh(fresh_runs(model_dirs, task, args.runs))

    rows = latency_rows(runtime, pool, iterations=args.iterations, max_seconds=args.max_seconds)
    print()
    print(f"{'reviews':>7}  {'path (in process)':<30} {'p50 ms':>8} {'p99 ms':>8} {'calls':>6}")
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
