"""Serving benchmark, part 1: the model in fresh processes, and what the Lambda handler adds.

Fresh processes (``fresh_runs``), as a serving container starts: each run is a new Python
that imports ``<model_dir>/code/inference.py`` (nothing of this repository on its path)
and times ``import inference`` + ``model_fn`` (cold start), then input_fn -> predict_fn ->
output_fn for single reviews and batches of 64; or scores a whole review file (``score``).
Runs of several model directories alternate, so that they share the machine's load.

In process (``latency_rows``), for 1 review and a batch of 64, p50/p99 of
- inference alone: input_fn -> predict_fn -> output_fn, what the endpoint container runs;
- handler + inference: the proxy event through `handler.handler` with the in-process
  model as its SageMaker runtime (validation, JSON, response checks, logging, metrics);
- handler alone: the same handler with a canned model answer, i.e. its own cost.
The handler runs with the settings the local server gives it (the stage's limits).

Only the standard library at the top: a child process imports nothing but the model's code.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p99_index = min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))
    return statistics.median(ordered), ordered[p99_index]


def load_reviews(path: Path, count: int | None = None) -> tuple[list[str], list[str]]:
    """(reviews, sentiments) of a `review,sentiment` CSV (gzip or plain), the first `count`."""
    opener: Any = gzip.open if path.suffix == ".gz" else open
    reviews, sentiments = [], []
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            reviews.append(row["review"])
            sentiments.append(row.get("sentiment", ""))
            if len(reviews) == count:
                break
    return reviews, sentiments


def _serve(inference: Any, model: Any, body: bytes) -> Any:
    data = inference.input_fn(body, "application/json")
    return inference.output_fn(inference.predict_fn(data, model), "application/json")


def _child(model_dir: Path, task: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: load the model as the container does, then time or score."""
    started = time.perf_counter()
    sys.path.insert(0, str(model_dir / "code"))
    import inference

    model = inference.model_fn(str(model_dir))
    result: dict[str, Any] = {"cold_start_s": time.perf_counter() - started}
    reviews, _ = load_reviews(Path(task["reviews_csv"]), task.get("limit"))
    if "score_out" in task:
        # The served answers and the raw probabilities, request by request as served.
        labels, scores, positive = [], [], []
        for start in range(0, len(reviews), 64):
            batch = reviews[start : start + 64]
            body, _ = _serve(inference, model, json.dumps({"reviews": batch}).encode())
            for prediction in json.loads(body)["predictions"]:
                labels.append(prediction["label"])
                scores.append(prediction["score"])
            positive.extend(model.predict_proba(batch)[:, 1].tolist())
        answers = {"labels": labels, "scores": scores, "positive": positive}
        Path(task["score_out"]).write_text(json.dumps(answers), encoding="utf-8")
        return result
    rng = random.Random(task["seed"])
    singles = [json.dumps({"review": r}).encode() for r in rng.sample(reviews, task["singles"])]
    batches = [
        json.dumps({"reviews": rng.sample(reviews, 64)}).encode() for _ in range(task["batches"])
    ]
    for body in singles[:20]:  # the first calls pay for lazy imports and caches
        _serve(inference, model, body)
    for name, bodies in (("single_ms", singles), ("batch_64_ms", batches)):
        wall, cpu = [], []
        for body in bodies:
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            _serve(inference, model, body)
            cpu.append((time.thread_time() - begin_cpu) * 1000.0)
            wall.append((time.perf_counter() - begin) * 1000.0)
        # CPU time too: on a shared machine, wall time also counts waiting for a core.
        result[name], result[name.replace("_ms", "_cpu_ms")] = map(statistics.median, (wall, cpu))
    return result


def run_child(model_dir: Path, task: dict[str, Any]) -> dict[str, Any]:
    """One fresh process on `model_dir` (``python -I``: no repository on its path)."""
    command = [sys.executable, "-I", "-B", str(Path(__file__).resolve()), "--child"]
    command += [str(model_dir), json.dumps(task)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"serving {model_dir} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def fresh_runs(
    model_dirs: dict[str, Path], task: dict[str, Any], runs: int
) -> dict[str, dict[str, float]]:
    """Per model directory, the median over `runs` fresh processes of each measure."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in model_dirs}
    for _ in range(runs):
        for name, model_dir in model_dirs.items():  # alternating: the same load for all
            results[name].append(run_child(model_dir, task))
    return {
        name: {key: statistics.median(r[key] for r in rows) for key in rows[0]} | {"runs": runs}
        for name, rows in results.items()
    }


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
        from botocore.response import StreamingBody

        return {
            "Body": StreamingBody(io.BytesIO(self._answer), len(self._answer)),
            "ContentType": "application/json",
            "InvokedProductionVariant": "AllTraffic",
        }

    def describe_endpoint(self, **_: Any) -> dict[str, Any]:
        return {"EndpointStatus": "InService"}


def latency_rows(
    runtime: Any, pool: list[str], *, iterations: int, max_seconds: float
) -> list[tuple[int, str, float, float, int]]:
    """In-process rows for `runtime`, a local_runtime.LocalRuntime."""
    sys.path.insert(0, str(REPO_ROOT / "local"))
    from local_server import load_handler, stage_settings

    settings = stage_settings(runtime, stage=None, origin="*")
    # Not quiet: the handler's log lines and metric records are part of its cost.
    handler = load_handler(runtime, settings, quiet=False)
    rows = []
    context = _Context()
    for size in (1, 64):
        event = _event(pool[:size])
        body = json.dumps({"reviews": pool[:size]}).encode("utf-8")
        canned = _serve(runtime.inference, runtime.model, body)
        canned = canned[0] if isinstance(canned, tuple) else canned

        with stdout_to_devnull():
            alone = time_calls(
                lambda body=body: _serve(runtime.inference, runtime.model, body),
                iterations=iterations,
                max_seconds=max_seconds,
            )
            timings = []
            for client in (runtime, _CannedRuntime(canned.encode("utf-8"))):
                handler.configure(settings=settings, runtime=client, sagemaker=client)
                assert handler.handler(event, context)["statusCode"] == 200
                timings.append(
                    time_calls(
                        lambda event=event: handler.handler(event, context),
                        iterations=iterations if client is runtime else iterations * 4,
                        max_seconds=max_seconds,
                    )
                )
        rows.append((size, "inference alone", *percentiles(alone), len(alone)))
        rows.append((size, "handler + inference", *percentiles(timings[0]), len(timings[0])))
        rows.append(
            (size, "handler alone (canned answer)", *percentiles(timings[1]), len(timings[1]))
        )
    return rows


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    print(json.dumps(_child(Path(sys.argv[2]), json.loads(sys.argv[3]))))
