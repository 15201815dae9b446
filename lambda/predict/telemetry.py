"""The predict API's log line, EMF metrics and X-Ray annotations: one record per request.

Environment: Powertools' POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE,
POWERTOOLS_LOG_LEVEL and POWERTOOLS_METRICS_DISABLED. The X-Ray tracer exists only where
Lambda's own LAMBDA_TASK_ROOT is set.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from api_errors import ApiError

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME") or "predict-api"
# Without a namespace Powertools refuses to flush metrics; default it rather than fail.
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "ReviewSentiment"
# Powertools keeps collecting metrics while disabled and prints them every 100 values
# anyway, so a disabled run (the quiet local server) skips them here instead.
METRICS_ENABLED = not is_metrics_disabled()

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
# Outside Lambda (no LAMBDA_TASK_ROOT) Powertools switches tracing off, yet building a
# Tracer still imports the X-Ray SDK, whose recorder builds a botocore client on import:
# ~0.2 s of every local start and test process for nothing. In Lambda the tracer is built
# at init as before, if the bundle has aws-xray-sdk. It patches botocore alone, the only
# library this function calls out with: patching everything X-Ray knows imports whatever
# of them is installed (sqlite3, SQLAlchemy, ...) during the cold start.
tracer = (
    Tracer(service=SERVICE_NAME, patch_modules=["botocore"])
    if os.environ.get("LAMBDA_TASK_ROOT") and importlib.util.find_spec("aws_xray_sdk")
    else None
)


@dataclass(frozen=True)
class Outcome:
    """What one request did, as the log line and the metrics tell it."""

    route: str
    status: int
    backend: str
    error: ApiError | None = None
    reviews: int = 0
    latency_ms: float | None = None
    # The variant that answered, and the one the caller pinned (X-Target-Variant).
    variant: str | None = None
    target_variant: str | None = None
    item_errors: int = 0


def _log(outcome: Outcome) -> None:
    error = outcome.error
    latency_ms = outcome.latency_ms
    fields: dict[str, Any] = {
        "route": outcome.route,
        "status": outcome.status,
        "backend": outcome.backend,
        "error_code": error and error.code,
        "reviews": outcome.reviews,
        "model_latency_ms": None if latency_ms is None else round(latency_ms, 2),
    }
    optional = {
        "variant": outcome.variant,
        "target_variant": outcome.target_variant,
        "item_errors": outcome.item_errors,
        "detail": error and error.detail,
    }
    fields.update({name: value for name, value in optional.items() if value})
    if outcome.status >= 500:
        logger.warning("request failed", extra=fields)
    else:
        logger.info("request handled", extra=fields)


def _single(name: str, value: float, dimension: str, dimension_value: str) -> None:
    """A metric in an EMF record of its own, so its dimension splits no other metric."""
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        namespace=METRICS_NAMESPACE,
        default_dimensions={"service": SERVICE_NAME},
    ) as metric:
        metric.add_dimension(name=dimension, value=dimension_value)


def record(outcome: Outcome) -> None:
    """Log one line per request and publish its metrics as EMF."""
    _log(outcome)
    if tracer is not None:
        tracer.put_annotation(key="route", value=outcome.route)
        # An int is a Number to X-Ray; mypy has no numeric tower.
        tracer.put_annotation(key="status", value=outcome.status)  # type: ignore[arg-type]
        if outcome.variant:
            tracer.put_annotation(key="variant", value=outcome.variant)

    if not METRICS_ENABLED:
        return
    # Reviews answered with an error entry (Comprehend's per-item errors) got no prediction.
    reviews, latency_ms = outcome.reviews - outcome.item_errors, outcome.latency_ms
    if reviews:
        metrics.add_metric(name="ReviewsPredicted", unit=MetricUnit.Count, value=reviews)
    if outcome.item_errors:
        metrics.add_metric(name="ItemErrors", unit=MetricUnit.Count, value=outcome.item_errors)
    if latency_ms is not None:
        metrics.add_metric(name="ModelLatency", unit=MetricUnit.Milliseconds, value=latency_ms)
    if reviews or outcome.item_errors or latency_ms is not None:
        metrics.flush_metrics()
    if reviews and outcome.variant:
        # Reviews answered per variant: the A/B split as CloudWatch sees it.
        _single("PredictionsByVariant", reviews, "Variant", outcome.variant)
    if outcome.error is not None:
        _single("PredictionErrors", 1, "ErrorCode", outcome.error.code)
