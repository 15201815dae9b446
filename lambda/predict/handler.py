"""Lambda entry point behind API Gateway (REST, proxy integration): POST /predict,
GET /health and GET /model.

A Powertools `APIGatewayRestResolver` routes the event; each route calls a backend
(`prediction_service.PredictionService` for the SageMaker endpoint,
`comprehend_service.ComprehendService` for Amazon Comprehend, chosen by BACKEND) with its
clients injected, and the exception handlers turn any `ApiError`, and anything
unexpected, into ``{"error": {"code", "message", "request_id"}}`` (stack traces are
logged, never returned). The environment is read and the clients are built once per
execution environment; `configure` swaps settings or clients (tests, and `local/serve.py`,
which runs this same handler against an in-process model).

Environment (all optional at import, so tests and the local twin import it offline):
ENDPOINT_NAME, MODEL_VERSION, ALLOWED_ORIGIN, MAX_REVIEWS, MAX_REVIEW_CHARS, MAX_BODY_BYTES,
SAGEMAKER_READ_TIMEOUT, SAGEMAKER_MAX_RETRIES, BACKEND, ALLOW_TARGET_VARIANT, VARIANTS
(see `api_settings.Settings`), plus Powertools' variables (see `telemetry`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths

from api_errors import ApiError
from api_settings import Settings
from comprehend_service import ComprehendService
from prediction_service import Backend, PredictionService
from request_rules import TARGET_VARIANT_HEADER, read_predict_request, read_target_variant
from sagemaker_clients import (
    BotoClients,
    Clients,
    ComprehendClient,
    ControlClient,
    RuntimeClient,
    StaticClients,
)
from telemetry import Outcome, logger, record, tracer

SETTINGS = Settings.from_env(os.environ)

# What each route accepts: the Allow header of a 405 and the methods of a preflight.
ALLOWED_METHODS = {
    "/predict": "POST, OPTIONS",
    "/health": "GET, OPTIONS",
    "/model": "GET, OPTIONS",
}
_JSON_HEADERS = {
    "Content-Type": "application/json",
    # Predictions are per request and may echo user text: never cache them anywhere.
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
# The card changes only with a deployment; the API caches it for as long.
_CARD_HEADERS = {"Cache-Control": "private, max-age=60"}


def make_backend(settings: Settings, clients: Clients) -> Backend:
    if settings.backend == "comprehend":
        return ComprehendService(settings, clients)
    return PredictionService(settings, clients)


def create_app(service: Backend) -> APIGatewayRestResolver:
    """The resolver with its routes and error handlers, bound to one backend."""
    settings = service.settings
    # The page pins variants from another origin too: let browsers send the header.
    cors = CORSConfig(
        allow_origin=settings.allowed_origin, allow_headers=[TARGET_VARIANT_HEADER], max_age=600
    )
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

    def outcome(status: int, **fields: Any) -> None:
        record(Outcome(route(), status, service.name, **fields))

    _add_model_routes(app, service, reply, outcome)

    # Reached only when API Gateway forwards OPTIONS instead of answering it itself.
    @app.route("/predict", method="OPTIONS")
    @app.route("/health", method="OPTIONS")
    @app.route("/model", method="OPTIONS")
    def preflight() -> Response:
        outcome(204)
        headers = cors.to_dict(settings.allowed_origin)
        headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS[route()]
        return reply(204, None, headers)

    @app.not_found
    def not_found(_: NotFoundError) -> Response:
        allowed = ALLOWED_METHODS.get(route())
        if allowed is None:
            routes = "use POST /predict, GET /health or GET /model"
            raise ApiError(404, "not_found", f"No route {route()[:100]}; {routes}.")
        method = app.current_event.http_method[:20] or "none"
        message = f"{route()} accepts {allowed}, not {method}."
        raise ApiError(405, "method_not_allowed", message, headers={"Allow": allowed})

    @app.exception_handler(ApiError)
    def refuse(err: ApiError) -> Response:
        outcome(err.status, error=err, latency_ms=err.model_latency_ms)
        error = {"code": err.code, "message": err.message, "request_id": request_id()}
        return reply(err.status, {"error": error, **err.extra}, err.headers)

    @app.exception_handler(Exception)
    def crash(err: Exception) -> Response:
        logger.error("unhandled error", exc_info=err, extra={"path": route()[:200]})
        message = f"Internal error. Quote request id {request_id()} when reporting it."
        return refuse(ApiError(500, "internal_error", message))

    return app


def _add_model_routes(
    app: APIGatewayRestResolver,
    service: Backend,
    reply: Callable[..., Response],
    outcome: Callable[..., None],
) -> None:
    """POST /predict, GET /health and GET /model on `app`, answered by `service`."""
    settings = service.settings

    @app.post("/predict")
    def predict() -> Response:
        request = read_predict_request(app.current_event, settings)
        prediction = service.predict(request)
        outcome(
            200,
            reviews=len(prediction.predictions),
            latency_ms=prediction.model_latency_ms,
            variant=prediction.variant,
            target_variant=request.target_variant,
            item_errors=prediction.item_errors,
        )
        body = {
            "predictions": prediction.predictions,
            "model": settings.model_version,
            "backend": service.name,
            "variant": prediction.variant,
        }
        return reply(200, body)

    @app.get("/health")
    def health() -> Response:
        body = service.health()
        outcome(200)
        return reply(200, body)

    @app.get("/model")
    def model() -> Response:
        target_variant = read_target_variant(app.current_event, settings)
        card = service.model_card(target_variant)
        outcome(200, variant=card.variant, target_variant=target_variant)
        body = {**card.card, "backend": service.name, "variant": card.variant}
        return reply(200, body, _CARD_HEADERS)


_service: Backend = make_backend(SETTINGS, BotoClients(SETTINGS))
_app = create_app(_service)
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    # In Lambda, pay for the backend's client during init rather than in the first request.
    _service.warm_up()


def configure(
    *,
    settings: Settings | None = None,
    runtime: RuntimeClient | None = None,
    sagemaker: ControlClient | None = None,
    comprehend: ComprehendClient | None = None,
) -> Backend:
    """Replace the settings and/or the clients; for tests and the local twin.

    Given clients are used as they are (the two SageMaker ones together or not at all);
    given none, boto3 clients are built lazily from the (new) settings. The backend is
    the one the settings name.
    """
    global _service, _app
    chosen = settings or _service.settings
    clients: Clients
    if (runtime is None) != (sagemaker is None):
        raise ValueError("configure() takes both SageMaker clients or neither")
    if runtime is None and comprehend is None:
        clients = BotoClients(chosen)
    else:
        clients = StaticClients(runtime, sagemaker, comprehend)
    _service = make_backend(chosen, clients)
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
