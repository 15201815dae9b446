"""Batch scoring benchmark: the Batch Transform twin against one call per review.

Scores the IMDb test reviews (25,000, ../shared/datasets/imdb/test.csv.gz; never copied
into the project) two ways with the same model, in the same process:

1. the Batch Transform twin (`local/batch.py`): JSON Lines mini-batches of up to the
   stage's MaxPayloadInMB through input_fn -> predict_fn -> output_fn;
2. one ``application/json`` call per review through the same local endpoint, as the
   real-time API calls it.

The reviews are cut into chunks and the two ways alternate chunk by chunk, so a busy
machine slows both alike. Prints reviews per second of each, their ratio, the batch
accuracy (from ``true_label``) and whether both ways gave the same labels.

    python bench/batch.py [--model-dir build/bench/model] [--data PATH] [--chunks 5]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "local"))

import repo_paths  # noqa: E402, F401

# isort: split
from batch import MEGABYTE, BatchJobError, transform  # noqa: E402
from local_runtime import LocalRuntime  # noqa: E402
from stacks.config import cdk_json_context, stage_config  # noqa: E402

SHARED_IMDB_TEST = REPO_ROOT.parent / "shared" / "datasets" / "imdb" / "test.csv.gz"


def load_reviews(path: Path) -> list[tuple[str, str]]:
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    return [(row["review"], row["sentiment"]) for row in csv.DictReader(io.StringIO(text))]


def time_batch(
    runtime: LocalRuntime, lines: list[str], workdir: Path, payload: int
) -> tuple[float, list[dict]]:
    source = workdir / "chunk.jsonl"
    source.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    started = time.perf_counter()
    [result] = transform(runtime, source, workdir / "out", payload)
    seconds = time.perf_counter() - started
    answers = [json.loads(line) for line in result.target.read_text(encoding="utf-8").splitlines()]
    return seconds, answers


def time_single(runtime: LocalRuntime, reviews: list[str]) -> tuple[float, list[str]]:
    labels = []
    started = time.perf_counter()
    for review in reviews:
        answer = runtime.invoke_endpoint(
            EndpointName=runtime.endpoint_name, Body=json.dumps({"review": review})
        )
        labels.append(json.loads(answer["Body"].read())["predictions"][0]["label"])
    return time.perf_counter() - started, labels


def measure(
    runtime: LocalRuntime, reviews: list[tuple[str, str]], chunks: int, payload: int
) -> dict[str, float]:
    """Both ways over the same chunks, alternating; seconds, accuracy and agreement."""
    lines = [
        json.dumps({"review_id": index, "review": review, "label": label})
        for index, (review, label) in enumerate(reviews)
    ]
    size = -(-len(reviews) // chunks)
    totals = {"batch_s": 0.0, "single_s": 0.0}
    answers: list[dict] = []
    labels: list[str] = []
    with tempfile.TemporaryDirectory() as workdir:
        for start in range(0, len(reviews), size):
            seconds, chunk = time_batch(
                runtime, lines[start : start + size], Path(workdir), payload
            )
            totals["batch_s"] += seconds
            answers.extend(chunk)
            seconds, chunk_labels = time_single(
                runtime, [r for r, _ in reviews[start : start + size]]
            )
            totals["single_s"] += seconds
            labels.extend(chunk_labels)
    scored = [a for a in answers if "error" not in a]
    return {
        **totals,
        "scored": len(scored),
        "rejected": len(answers) - len(scored),
        "accuracy": sum(a["label"] == a.get("true_label") for a in scored) / max(len(scored), 1),
        "same": sum(a.get("label") == label for a, label in zip(answers, labels, strict=True)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=REPO_ROOT / "build" / "bench" / "model")
    parser.add_argument("--data", type=Path, default=SHARED_IMDB_TEST)
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--stage", help="stage whose batch.max_payload_mb applies")
    args = parser.parse_args(argv)
    payload_mb = stage_config(cdk_json_context(), args.stage).batch.max_payload_mb
    try:
        reviews = load_reviews(args.data)
        runtime = LocalRuntime(args.model_dir)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    count = len(reviews)
    print(f"Model {args.model_dir} ({runtime.model_version}); {count:,} reviews, {args.data.name}")
    try:
        result = measure(runtime, reviews, args.chunks, payload_mb * MEGABYTE)
    except BatchJobError as err:
        print(
            f"error: {err}\n(a model trained before JSON Lines serving? retrain it)",
            file=sys.stderr,
        )
        return 2
    batch_rate, single_rate = count / result["batch_s"], count / result["single_s"]
    print(
        f"  batch twin, mini-batches <= {payload_mb} MB: {result['batch_s']:7.1f} s, "
        f"{batch_rate:8,.0f} reviews/s"
    )
    print(
        f"  one application/json call per review: {result['single_s']:7.1f} s, "
        f"{single_rate:8,.0f} reviews/s"
    )
    print(f"  ratio: the batch twin scores {batch_rate / single_rate:.1f}x as many reviews/s")
    print(
        f"  batch: {result['scored']:,.0f} scored, {result['rejected']:,.0f} rejected; accuracy "
        f"{result['accuracy']:.4f}; same label both ways for {result['same']:,.0f} of {count:,}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
