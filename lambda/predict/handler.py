"""Lambda entry point behind API Gateway (REST, proxy integration): POST /predict, GET /health.

A thin shell around `predict_api.PredictionService`: it reads the environment and builds
the boto3 clients once per execution environment, adds Powertools logging, tracing and
metrics, and turns any unexpected exception into a JSON 500 whose stack trace is logged,
never returned. The local server (`local/serve.py`) calls this same `handler` with an
in-process model injected through `configure`.

Environment (all optional at import, so tests and the local twin import it offline):
ENDPOINT_NAME, MODEL_VERSION, ALLOWED_ORIGIN, MAX_REVIEWS, MAX_REVIEW_CHARS, MAX_BODY_BYTES,
HEALTH_CACHE_SECONDS, SAGEMAKER_CONNECT_TIMEOUT, SAGEMAKER_READ_TIMEOUT,
SAGEMAKER_MAX_RETRIES (see `predict_api.Settings`), plus Powertools' own
POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_LOG_LEVEL.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from botocore.config import Config

from predict_api import (
    ControlClient,
    Outcome,
    PredictionService,
    RuntimeClient,
    Settings,
    StaticClients,
    internal_error,
)

SETTINGS = Settings.from_env(os.environ)
SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME") or "predict-api"
# Without a namespace Powertools refuses to flush metrics; default it rather than fail.
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "ReviewSentiment"
# Powertools keeps collecting metrics while disabled and prints them every 100 values
# anyway, so a disabled run (the quiet local server) skips them here instead.
METRICS_ENABLED = os.environ.get("POWERTOOLS_METRICS_DISABLED", "").strip().lower() not in {
    "1",
    "true",
    "yes",
    "on",
}

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
# The Powertools Lambda layer bundles aws-xray-sdk; a dev venv may not have it, and
# Powertools switches tracing off outside Lambda anyway, so go without a tracer there.
tracer = Tracer(service=SERVICE_NAME) if importlib.util.find_spec("aws_xray_sdk") else None


class BotoClients:
    """boto3 clients built on first use, then reused for the life of the environment.

    Building them lazily keeps the import free of region and credential lookups, and a
    cold start that only serves /predict never loads the large SageMaker control-plane
    model.
    """

    def __init__(self, settings: Settings) -> None:
        self._config = Config(
            connect_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.read_timeout_seconds,
            # Standard mode retries throttling, 5xx and timeouts with jittered backoff;
            # max_attempts counts retries after the first call.
            retries={"max_attempts": settings.max_retries, "mode": "standard"},
        )
        # Lambda sets AWS_REGION; botocore itself only reads AWS_DEFAULT_REGION. None lets
        # botocore resolve the region as usual (profile, AWS_DEFAULT_REGION).
        self._region = os.environ.get("AWS_REGION") or None
        self._runtime: RuntimeClient | None = None
        self._sagemaker: ControlClient | None = None

    def runtime(self) -> RuntimeClient:
        if self._runtime is None:
            self._runtime = boto3.client(
                "sagemaker-runtime", region_name=self._region, config=self._config
            )
        return self._runtime

    def sagemaker(self) -> ControlClient:
        if self._sagemaker is None:
            self._sagemaker = boto3.client(
                "sagemaker", region_name=self._region, config=self._config
            )
        return self._sagemaker


_service = PredictionService(SETTINGS, BotoClients(SETTINGS))
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    # In Lambda, pay for the runtime client during init rather than in the first request.
    _service.clients.runtime()


def configure(
    *,
    settings: Settings | None = None,
    runtime: RuntimeClient | None = None,
    sagemaker: ControlClient | None = None,
) -> PredictionService:
    """Replace the settings and/or the clients; for tests and the local twin.

    Given both clients, they are used as they are; otherwise boto3 clients are built
    lazily from the (new) settings.
    """
    global _service
    chosen = settings or _service.settings
    if runtime is not None and sagemaker is not None:
        clients: Any = StaticClients(runtime, sagemaker)
    elif runtime is None and sagemaker is None:
        clients = BotoClients(chosen)
    else:
        raise ValueError("configure() takes both clients or neither")
    _service = PredictionService(chosen, clients)
    return _service


def _record(outcome: Outcome) -> None:
    """Log one line per request and publish its metrics as EMF."""
    fields = {
        "route": outcome.route,
        "status": outcome.status,
        "error_code": outcome.error_code,
        "reviews": outcome.reviews_predicted,
        "model_latency_ms": None
        if outcome.model_latency_ms is None
        else round(outcome.model_latency_ms, 2),
    }
    if outcome.detail:
        fields["detail"] = outcome.detail
    if outcome.status >= 500:
        logger.warning("request failed", extra=fields)
    else:
        logger.info("request handled", extra=fields)

    if not METRICS_ENABLED:
        return
    published = False
    if outcome.reviews_predicted:
        metrics.add_metric(
            name="ReviewsPredicted", unit=MetricUnit.Count, value=outcome.reviews_predicted
        )
        published = True
    if outcome.model_latency_ms is not None:
        metrics.add_metric(
            name="ModelLatency", unit=MetricUnit.Milliseconds, value=outcome.model_latency_ms
        )
        published = True
    if published:
        metrics.flush_metrics()
    if outcome.error_code:
        # Its own EMF record, so the ErrorCode dimension does not split the metrics above.
        with single_metric(
            name="PredictionErrors",
            unit=MetricUnit.Count,
            value=1,
            namespace=METRICS_NAMESPACE,
            default_dimensions={"service": SERVICE_NAME},
        ) as metric:
            metric.add_dimension(name="ErrorCode", value=outcome.error_code)


def _traced(function: Any) -> Any:
    if tracer is None:
        return function
    # Payloads stay out of X-Ray (segments are capped at 64 KB); the log line has the facts.
    return tracer.capture_lambda_handler(function, capture_response=False)


@_traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request_id = str(getattr(context, "aws_request_id", "") or "unknown")
    service = _service
    try:
        outcome = service.handle(event, request_id)
    except Exception:
        path = event.get("path") if isinstance(event, dict) else None
        logger.exception("unhandled error", extra={"path": str(path)[:200]})
        outcome = internal_error(service.settings, request_id)
    if tracer is not None:
        tracer.put_annotation(key="route", value=outcome.route)
        tracer.put_annotation(key="status", value=outcome.status)
    _record(outcome)
    return outcome.response
