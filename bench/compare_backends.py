"""Compare the backends the API can serve with on one labelled file: the project's model
and Amazon Comprehend. Per backend: accuracy, coverage (share not uncertain), accuracy on
the covered reviews, p50/p99 latency per request and dollars per 1,000 reviews.

The model runs in process exactly as its container runs it (`<model dir>/code/inference.py`,
model_fn once, then input_fn -> predict_fn -> output_fn per request of the API's batch
size). Comprehend runs when boto3 finds AWS credentials, through the API's own
cleaning, 5,000-byte cut, batches of 25 and mapping (lambda/predict/comprehend_service.py);
it is billed, so it only runs when its list price for the chosen reviews stays under
--max-comprehend-usd. Without credentials it prints how to run that side.

    python bench/compare_backends.py [--data FILE] [--model-dir DIR] [--limit N]
        [--stage dev] [--threshold T] [--max-comprehend-usd 2]

FILE: CSV with review,sentiment (or label) columns, or JSON Lines with review and label
(.gz allowed); default the shared IMDb test split. Data never goes into the repository.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in ("local", "lambda/predict", "common", ""):
    sys.path.insert(0, str(REPO_ROOT / _path))

from comprehend_service import BATCH_SIZE, cut_to_bytes, map_batch  # noqa: E402
from model_container import load_model, run_container  # noqa: E402
from review_labels import SENTIMENT_NAMES, parse_label  # noqa: E402
from text_normalization import is_empty_review, normalize_text  # noqa: E402

SHARED_IMDB_TEST = REPO_ROOT.parent / "shared" / "datasets" / "imdb" / "test.csv.gz"
PRICES = REPO_ROOT / "cost" / "prices_us_east_1.json"
# Used when the price file has no "comprehend_sentiment_unit" entry: sentiment, first
# 10 M units a month, us-east-1. 1 unit = 100 characters, 3 units minimum per text.
COMPREHEND_UNIT_USD = 0.0001
COMPREHEND_PRICE_SOURCE = "https://aws.amazon.com/comprehend/pricing/"
GIB = 1024**3


@dataclass
class Scored:
    """One backend's answers: per review (label, uncertain), per request its latency."""

    name: str
    answers: list[tuple[str | None, bool]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    usd: float = 0.0
    notes: list[str] = field(default_factory=list)


def _rows(path: Path) -> Iterator[tuple[Any, Any]]:
    kind = Path(path.name.removesuffix(".gz")).suffix.lower()
    opener: Any = gzip.open if path.suffix == ".gz" else open
    # A stray bad byte costs one character, not the run (the sample has some on purpose).
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as handle:
        if kind in {".jsonl", ".jsonlines", ".ndjson", ".json"}:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    yield record.get("review"), record.get("label", record.get("sentiment"))
        else:
            for record in csv.DictReader(handle):
                yield record.get("review"), record.get("sentiment", record.get("label"))


def read_labelled(path: Path) -> tuple[list[tuple[str, str]], int]:
    """(review, "positive"|"negative") pairs the API would accept, and how many were not."""
    kept, skipped = [], 0
    for review, raw_label in _rows(path):
        label = parse_label(raw_label)
        if not isinstance(review, str) or is_empty_review(review) or label is None:
            skipped += 1
            continue
        kept.append((review, SENTIMENT_NAMES[label]))
    return kept, skipped


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in [0, 1])."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


def load_prices() -> dict[str, Any]:
    prices: dict[str, Any] = json.loads(PRICES.read_text()) if PRICES.is_file() else {}
    return prices


def _price(prices: dict[str, Any], key: str) -> float:
    # No price file: the cost column says nan rather than guess.
    return float(prices.get(key, {}).get("price", math.nan))


def score_model(
    model_dir: Path, reviews: list[str], *, batch: int, memory_mb: int, threshold: float | None
) -> Scored:
    """The model as its container serves it, one request per `batch` reviews."""
    inference, model = load_model(model_dir)
    scored = Scored("local model")
    prices = load_prices()
    gb_second = _price(prices, "sagemaker_serverless_gb_second")
    data_gb = _price(prices, "sagemaker_serverless_data_gb")
    missing = 0
    for start in range(0, len(reviews), batch):
        body = json.dumps({"reviews": reviews[start : start + batch]}).encode()
        began = time.perf_counter()
        answer = run_container(inference, model, body, "application/json", "application/json")
        elapsed_ms = (time.perf_counter() - began) * 1000.0
        if answer.status != 200:
            raise SystemExit(f"the model refused a request: {answer.payload[:300]!r}")
        scored.latencies_ms.append(elapsed_ms)
        # Serverless bills each request's processing time (ms) on its memory, and data.
        scored.usd += math.ceil(elapsed_ms) / 1000.0 * memory_mb / 1024 * gb_second
        scored.usd += (len(body) + len(answer.payload)) / GIB * data_gb
        for prediction in json.loads(answer.payload)["predictions"]:
            uncertain = prediction.get("uncertain")
            missing += not isinstance(uncertain, bool)
            if threshold is not None:
                uncertain = prediction["score"] < threshold
            scored.answers.append((prediction["label"], uncertain is True))
    if threshold is not None:
        scored.notes.append(f"uncertain here means score < {threshold} (--threshold)")
    elif missing:
        scored.notes.append(f"{missing} answers had no `uncertain` (a model from before it)")
    scored.notes.append(
        f"latency in process on this machine; cost: serverless, {memory_mb} MB at "
        f"${gb_second}/GB-s + ${data_gb}/GB of data ({PRICES.name})"
    )
    return scored


def comprehend_texts(reviews: list[str]) -> list[str]:
    """What the API sends Comprehend: the cleaned review, cut to 5,000 bytes."""
    return [cut_to_bytes(normalize_text(review))[0] for review in reviews]


def comprehend_price(texts: list[str]) -> tuple[float, str]:
    """List price of analysing `texts`, and where the unit price comes from."""
    entry = load_prices().get("comprehend_sentiment_unit")
    unit, source = (
        (float(entry["price"]), f"{PRICES.name}: {entry.get('source')}")
        if entry
        else (COMPREHEND_UNIT_USD, COMPREHEND_PRICE_SOURCE)
    )
    units = sum(max(3, math.ceil(len(text) / 100)) for text in texts)
    return units * unit, f"{units:,} units x ${unit} ({source})"


def comprehend_client(region: str | None) -> Any:
    """A Comprehend client if boto3 finds credentials, else None."""
    import boto3
    from botocore.config import Config

    session = boto3.Session()
    if session.get_credentials() is None:
        return None
    # Patient retries: a bench may outrun the account's requests-per-second quota.
    config = Config(retries={"max_attempts": 8, "mode": "standard"})
    return session.client(
        "comprehend", region_name=region or session.region_name or "us-east-1", config=config
    )


def score_comprehend(client: Any, texts: list[str], usd: float, price_note: str) -> Scored:
    scored = Scored("comprehend", usd=usd)
    failed = 0
    for start in range(0, len(texts), BATCH_SIZE):
        batch = texts[start : start + BATCH_SIZE]
        began = time.perf_counter()
        answer = client.batch_detect_sentiment(TextList=batch, LanguageCode="en")
        scored.latencies_ms.append((time.perf_counter() - began) * 1000.0)
        for entry in map_batch(answer, len(batch)):
            failed += "error" in entry
            # A review Comprehend could not analyse is neither covered nor right.
            scored.answers.append((entry.get("label"), entry.get("uncertain", True)))
    scored.notes.append(f"{failed} reviews not analysed (ErrorList)")
    scored.notes.append(f"latency from here, {client.meta.region_name}; cost: {price_note}")
    return scored


def report_line(scored: Scored, truths: list[str], batch: int) -> str:
    right = [label == truth for (label, _), truth in zip(scored.answers, truths, strict=True)]
    covered = [
        ok for ok, (_, uncertain) in zip(right, scored.answers, strict=True) if not uncertain
    ]
    count = len(right)
    covered_accuracy = sum(covered) / len(covered) if covered else math.nan
    p50, p99 = (percentile(scored.latencies_ms, share) for share in (0.5, 0.99))
    return (
        f"{scored.name:<12} {count:>8} {sum(right) / count:>9.4f} {len(covered) / count:>9.1%} "
        f"{covered_accuracy:>13.4f} {p50:>8.1f} {p99:>8.1f} {batch:>6} "
        f"{scored.usd / count * 1000:>13.6f}"
    )


HEADER = (
    f"{'backend':<12} {'reviews':>8} {'accuracy':>9} {'coverage':>9} {'acc. covered':>13} "
    f"{'p50 ms':>8} {'p99 ms':>8} {'batch':>6} {'$/1k reviews':>13}"
)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_IMDB_TEST, help="labelled file")
    parser.add_argument("--model-dir", type=Path, default=REPO_ROOT / "build" / "model" / "model")
    parser.add_argument("--limit", type=int, help="score a seeded random sample of N reviews")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stage", help="stage whose batch size and memory apply (cdk.json)")
    parser.add_argument("--threshold", type=float, help="what-if: uncertain below this score")
    parser.add_argument("--region", help="Comprehend's region (default: the profile's)")
    parser.add_argument(
        "--max-comprehend-usd",
        type=float,
        default=2.0,
        help="skip Comprehend if its list price for these reviews is higher (default 2)",
    )
    return parser.parse_args(argv)


def _stage_serving(stage: str | None) -> Any:
    from stacks.config import cdk_json_context, stage_config

    return stage_config(cdk_json_context(), stage).serving


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    for path in (args.data, args.model_dir):
        if not path.exists():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 2
    rows, skipped = read_labelled(args.data)
    if args.limit is not None and args.limit < len(rows):
        rows = random.Random(args.seed).sample(rows, args.limit)
    reviews, truths = [review for review, _ in rows], [truth for _, truth in rows]
    serving = _stage_serving(args.stage)
    batch = serving.max_reviews_per_request
    print(f"{args.data}: {len(rows):,} labelled reviews ({skipped} unusable rows skipped)")
    results = [
        score_model(
            args.model_dir,
            reviews,
            batch=batch,
            memory_mb=serving.serverless_memory_mb,
            threshold=args.threshold,
        )
    ]
    texts = comprehend_texts(reviews)
    usd, price_note = comprehend_price(texts)
    client = comprehend_client(args.region)
    skipped_comprehend = _why_not_comprehend(client, usd, args.max_comprehend_usd, len(rows))
    if not skipped_comprehend:
        results.append(score_comprehend(client, texts, usd, price_note))
    print(HEADER)
    for scored in results:
        print(report_line(scored, truths, batch if scored.name == "local model" else BATCH_SIZE))
    for scored in results:
        for note in scored.notes:
            print(f"  {scored.name}: {note}")
    if skipped_comprehend:
        print(f"  comprehend: not run: {skipped_comprehend}")
        print(f"  comprehend: these reviews would cost ${usd:.2f} at list price ({price_note})")
    return 0


def _why_not_comprehend(client: Any, usd: float, cap: float, count: int) -> str:
    if client is None:
        return (
            "no AWS credentials. Set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) "
            "and AWS_REGION for a principal allowed comprehend:BatchDetectSentiment, then "
            "run this again (add --limit N to bound the bill)."
        )
    if usd > cap:
        fits = max(1, int(count * cap / usd))
        return f"${usd:.2f} > --max-comprehend-usd {cap}; use --limit {fits} or raise the cap."
    return ""


if __name__ == "__main__":
    sys.exit(main())
