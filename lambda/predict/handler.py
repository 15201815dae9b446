"""Lambda entry point behind API Gateway (REST, proxy integration): POST /predict, GET /health.

A Powertools `APIGatewayRestResolver` routes the event; each route calls plain functions
(`request_rules`, `prediction_service`) with the SageMaker clients injected, and the
exception handlers turn any `ApiError`, and anything unexpected, into
``{"error": {"code", "message", "request_id"}}`` (stack traces are logged, never
returned). The environment is read and the clients are built once per execution
environment; `configure` swaps settings or clients (tests, and `local/serve.py`, which
runs this same handler against an in-process model).

Environment (all optional at import, so tests and the local twin import it offline):
ENDPOINT_NAME, MODEL_VERSION, ALLOWED_ORIGIN, MAX_REVIEWS, MAX_REVIEW_CHARS, MAX_BODY_BYTES,
SAGEMAKER_READ_TIMEOUT, SAGEMAKER_MAX_RETRIES (see `api_settings.Settings`), plus
Powertools' POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_LOG_LEVEL.
The X-Ray tracer exists only where Lambda's own LAMBDA_TASK_ROOT is set.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from api_errors import ApiError
from api_settings import Settings
from prediction_service import PredictionService
from request_rules import read_predict_request
from sagemaker_clients import BotoClients, Clients, ControlClient, RuntimeClient, StaticClients

SETTINGS = Settings.from_env(os.environ)
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

# What each route accepts: the Allow header of a 405 and the methods of a preflight.
ALLOWED_METHODS = {"/predict": "POST, OPTIONS", "/health": "GET, OPTIONS"}
_JSON_HEADERS = {
    "Content-Type": "application/json",
    # Predictions are per request and may echo user text: never cache them anywhere.
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def _record(
    route: str,
    status: int,
    *,
    error: ApiError | None = None,
    reviews: int = 0,
    latency_ms: float | None = None,
) -> None:
    """Log one line per request and publish its metrics as EMF."""
    fields: dict[str, Any] = {
        "route": route,
        "status": status,
        "error_code": error and error.code,
        "reviews": reviews,
        "model_latency_ms": None if latency_ms is None else round(latency_ms, 2),
    }
    if error is not None and error.detail:
        fields["detail"] = error.detail
    if status >= 500:
        logger.warning("request failed", extra=fields)
    else:
        logger.info("request handled", extra=fields)
    if tracer is not None:
        tracer.put_annotation(key="route", value=route)
        # An int is a Number to X-Ray; mypy has no numeric tower.
        tracer.put_annotation(key="status", value=status)  # type: ignore[arg-type]

    if not METRICS_ENABLED:
        return
    if reviews:
        metrics.add_metric(name="ReviewsPredicted", unit=MetricUnit.Count, value=reviews)
    if latency_ms is not None:
        metrics.add_metric(name="ModelLatency", unit=MetricUnit.Milliseconds, value=latency_ms)
    if reviews or latency_ms is not None:
        metrics.flush_metrics()
    if error is not None:
        # Its own EMF record, so the ErrorCode dimension does not split the metrics above.
        with single_metric(
            name="PredictionErrors",
            unit=MetricUnit.Count,
            value=1,
            namespace=METRICS_NAMESPACE,
            default_dimensions={"service": SERVICE_NAME},
        ) as metric:
            metric.add_dimension(name="ErrorCode", value=error.code)


def create_app(service: PredictionService) -> APIGatewayRestResolver:
    """The resolver with its routes and error handlers, bound to one service."""
    settings = service.settings
    cors = CORSConfig(allow_origin=settings.allowed_origin, max_age=600)
    app = APIGatewayRestResolver(cors=cors)
    # CORSConfig answers browsers that send an Origin; every answer carries the origin.
    common_headers = {**_JSON_HEADERS, "Access-Control-Allow-Origin": settings.allowed_origin}
    if settings.allowed_origin != "*":
        # A fixed origin makes the answer depend on who asks: tell caches so.
        common_headers["Vary"] = "Origin"

    def route() -> str:
        return app.current_event.path.rstrip("/") or "/"

    def request_id() -> str:
        return str(getattr(app.lambda_context, "aws_request_id", "") or "unknown")

    def reply(
        status: int, body: Mapping[str, Any] | None, headers: Mapping[str, str] | None = None
    ) -> Response:
        all_headers = {**common_headers, "X-Request-Id": request_id(), **(headers or {})}
        return Response(status, body="" if body is None else body, headers=all_headers)

    @app.post("/predict")
    def predict() -> Response:
        prediction = service.predict(read_predict_request(app.current_event, settings))
        count = len(prediction.predictions)
        _record(route(), 200, reviews=count, latency_ms=prediction.model_latency_ms)
        body = {"predictions": prediction.predictions, "model": settings.model_version}
        return reply(200, body)

    @app.get("/health")
    def health() -> Response:
        body = service.health()
        _record(route(), 200)
        return reply(200, body)

    # Reached only when API Gateway forwards OPTIONS instead of answering it itself.
    @app.route("/predict", method="OPTIONS")
    @app.route("/health", method="OPTIONS")
    def preflight() -> Response:
        _record(route(), 204)
        headers = cors.to_dict(settings.allowed_origin)
        headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS[route()]
        return reply(204, None, headers)

    @app.not_found
    def not_found(_: NotFoundError) -> Response:
        allowed = ALLOWED_METHODS.get(route())
        if allowed is None:
            routes = "use POST /predict or GET /health"
            raise ApiError(404, "not_found", f"No route {route()[:100]}; {routes}.")
        method = app.current_event.http_method[:20] or "none"
        message = f"{route()} accepts {allowed}, not {method}."
        raise ApiError(405, "method_not_allowed", message, headers={"Allow": allowed})

    @app.exception_handler(ApiError)
    def refuse(err: ApiError) -> Response:
        _record(route(), err.status, error=err, latency_ms=err.model_latency_ms)
        error = {"code": err.code, "message": err.message, "request_id": request_id()}
        return reply(err.status, {"error": error, **err.extra}, err.headers)

    @app.exception_handler(Exception)
    def crash(err: Exception) -> Response:
        logger.error("unhandled error", exc_info=err, extra={"path": route()[:200]})
        message = f"Internal error. Quote request id {request_id()} when reporting it."
        return refuse(ApiError(500, "internal_error", message))

    return app


_service = PredictionService(SETTINGS, BotoClients(SETTINGS))
_app = create_app(_service)
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
    global _service, _app
    chosen = settings or _service.settings
    clients: Clients
    if runtime is not None and sagemaker is not None:
        clients = StaticClients(runtime, sagemaker)
    elif runtime is None and sagemaker is None:
        clients = BotoClients(chosen)
    else:
        raise ValueError("configure() takes both clients or neither")
    _service = PredictionService(chosen, clients)
    _app = create_app(_service)
    return _service


def _by_resource(event: dict[str, Any]) -> dict[str, Any]:
    # API Gateway already matched `resource`; `path` also holds a custom domain's base
    # path ("/v1/predict"). Behind a greedy {proxy+} resource only `path` names the route.
    resource = event.get("resource") or ""
    if resource and "{" not in resource and resource != event.get("path"):
        return {**event, "path": resource}
    return event


def _traced(function: Callable[..., Any]) -> Callable[..., Any]:
    if tracer is None:
        return function
    # Payloads stay out of X-Ray (segments are capped at 64 KB); the log line has the facts.
    return tracer.capture_lambda_handler(function, capture_response=False)


@_traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _app.resolve(_by_resource(event), context)
