"""Serving benchmark, part 1: what the Lambda handler adds to inference, in process.

For 1 review and a batch of 64, p50/p99 of
- inference alone: input_fn -> predict_fn -> output_fn, what the endpoint container runs;
- handler + inference: the proxy event through `handler.handler` with the in-process
  model as its SageMaker runtime (validation, JSON, response checks, logging, metrics);
- handler alone: the same handler with a canned model answer, i.e. its own cost.
The handler runs with the settings the local server gives it (the stage's limits).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "local"))

from botocore.response import StreamingBody  # noqa: E402

from local_runtime import DEFAULT_MODEL_DIR, LocalRuntime  # noqa: E402
from local_server import load_handler, stage_settings  # noqa: E402

__all__ = ["DEFAULT_MODEL_DIR", "LocalRuntime", "latency_rows", "percentiles"]


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
        return {
            "Body": StreamingBody(io.BytesIO(self._answer), len(self._answer)),
            "ContentType": "application/json",
            "InvokedProductionVariant": "AllTraffic",
        }

    def describe_endpoint(self, **_: Any) -> dict[str, Any]:
        return {"EndpointStatus": "InService"}


def latency_rows(
    runtime: LocalRuntime, pool: list[str], *, iterations: int, max_seconds: float
) -> list[tuple[int, str, float, float, int]]:
    inference = runtime.inference
    settings = stage_settings(runtime, stage=None, origin="*")
    # Not quiet: the handler's log lines and metric records are part of its cost.
    handler = load_handler(runtime, settings, quiet=False)
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
