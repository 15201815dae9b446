"""Serving benchmark: what the Lambda handler adds to inference, and the local server's throughput.

1. Latency (p50/p99, in process) for 1 review and a batch of 64:
   - inference alone: input_fn -> predict_fn -> output_fn, what the endpoint container runs;
   - handler + inference: the proxy event through `handler.handler` with the in-process
     model as its SageMaker runtime (validation, JSON, response checks, logging, metrics);
   - handler alone: the same handler with a canned model answer, i.e. its own cost.
   Goal: the handler adds < 1 ms.
2. Throughput of `local/serve.py` on loopback: a fixed number of POST /predict requests
   from a few client threads over keep-alive connections, stopping at a time limit.
   The server runs in its own process so the clients do not share its interpreter lock.

    python bench/serve.py [--model-dir build/model/model] [--requests 2000] [--threads 4]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT / "lambda" / "predict", REPO_ROOT / "local"):
    sys.path.insert(0, str(_path))

import handler  # noqa: E402
from local_runtime import DEFAULT_MODEL_DIR, LocalRuntime  # noqa: E402
from predict_api import Settings  # noqa: E402

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


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p99_index = min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))
    return statistics.median(ordered), ordered[p99_index]


@contextlib.contextmanager
def stdout_to_devnull() -> Iterator[None]:
    """Send fd 1 to /dev/null: logs and EMF records are written (and paid for), not shown."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def time_calls(
    function: Callable[[], Any], *, iterations: int, max_seconds: float, warmup: int = 20
) -> list[float]:
    for _ in range(warmup):
        function()
    samples: list[float] = []
    deadline = time.perf_counter() + max_seconds
    while len(samples) < iterations and time.perf_counter() < deadline:
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000.0)
    return samples


class _Context:
    aws_request_id = "bench"
    function_name = "predict-bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:predict-bench"


def _event(reviews: list[str]) -> dict[str, Any]:
    return {
        "resource": "/predict",
        "path": "/predict",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "requestContext": {"requestId": "bench", "stage": "bench"},
        "body": json.dumps({"reviews": reviews}),
        "isBase64Encoded": False,
    }


class _CannedRuntime:
    """A runtime that answers instantly with a fixed, valid model answer."""

    def __init__(self, answer: bytes) -> None:
        self._answer = answer

    def invoke_endpoint(self, **_: Any) -> dict[str, Any]:
        import io

        from botocore.response import StreamingBody

        return {
            "Body": StreamingBody(io.BytesIO(self._answer), len(self._answer)),
            "ContentType": "application/json",
            "InvokedProductionVariant": "AllTraffic",
        }

    def describe_endpoint(self, **_: Any) -> dict[str, Any]:
        return {"EndpointStatus": "InService"}


def latency_rows(
    runtime: LocalRuntime, pool: list[str], *, iterations: int, max_seconds: float
) -> list[tuple]:
    inference = runtime.inference
    settings = Settings(endpoint_name=runtime.endpoint_name, model_version=runtime.model_version)
    rows = []
    context = _Context()
    for size in (1, 64):
        reviews = pool[:size]
        body = json.dumps({"reviews": reviews}).encode("utf-8")
        event = _event(reviews)

        def endpoint_only(body: bytes = body) -> Any:
            data = inference.input_fn(body, "application/json")
            return inference.output_fn(
                inference.predict_fn(data, runtime.model), "application/json"
            )

        canned = endpoint_only()
        canned = canned[0] if isinstance(canned, tuple) else canned
        canned_bytes = canned.encode("utf-8") if isinstance(canned, str) else bytes(canned)

        with stdout_to_devnull():
            alone = time_calls(endpoint_only, iterations=iterations, max_seconds=max_seconds)
            handler.configure(settings=settings, runtime=runtime, sagemaker=runtime)
            assert handler.handler(event, context)["statusCode"] == 200
            full = time_calls(
                lambda event=event: handler.handler(event, context),
                iterations=iterations,
                max_seconds=max_seconds,
            )
            fake = _CannedRuntime(canned_bytes)
            handler.configure(settings=settings, runtime=fake, sagemaker=fake)
            assert handler.handler(event, context)["statusCode"] == 200
            shell = time_calls(
                lambda event=event: handler.handler(event, context),
                iterations=iterations * 4,
                max_seconds=max_seconds,
            )
        rows.append((size, "inference alone", *percentiles(alone), len(alone)))
        rows.append((size, "handler + inference", *percentiles(full), len(full)))
        rows.append((size, "handler alone (canned answer)", *percentiles(shell), len(shell)))
    return rows


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server_process(model_dir: Path, port: int) -> Iterator[str]:
    command = [
        sys.executable,
        str(REPO_ROOT / "local" / "serve.py"),
        "--model-dir",
        str(model_dir),
        "--port",
        str(port),
        "--quiet",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-500:]}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def throughput(
    model_dir: Path,
    pool: list[str],
    *,
    requests: int,
    threads: int,
    max_seconds: float,
    batch: int,
) -> dict[str, Any]:
    # Different reviews per request, taken round-robin from the pool.
    bodies = [
        json.dumps({"reviews": [pool[(start + k) % len(pool)] for k in range(batch)]}).encode()
        for start in range(0, len(pool), batch)
    ]
    headers = {"Content-Type": "application/json"}
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    failures: list[str] = []

    with server_process(model_dir, free_port()) as base:
        host, port = base.removeprefix("http://").split(":")
        deadline = time.perf_counter() + max_seconds

        def client() -> None:
            nonlocal issued
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                while True:
                    with lock:
                        if issued >= requests or time.perf_counter() > deadline:
                            return
                        body = bodies[issued % len(bodies)]
                        issued += 1
                    started = time.perf_counter()
                    connection.request("POST", "/predict", body=body, headers=headers)
                    answer = connection.getresponse()
                    answer.read()
                    elapsed = (time.perf_counter() - started) * 1000.0
                    with lock:
                        latencies.append(elapsed)
                        if answer.status != 200:
                            failures.append(str(answer.status))
            finally:
                connection.close()

        workers = [threading.Thread(target=client) for _ in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        wall = time.perf_counter() - started
    p50, p99 = percentiles(latencies) if latencies else (float("nan"), float("nan"))
    return {
        "done": len(latencies),
        "asked": requests,
        "wall": wall,
        "rps": len(latencies) / wall,
        "p50": p50,
        "p99": p99,
        "failures": len(failures),
        "threads": threads,
        "batch": batch,
        "stopped_by_time": len(latencies) < requests,
    }


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
