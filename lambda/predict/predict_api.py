"""Request logic of the prediction API, free of Lambda and Powertools.

`PredictionService.handle` turns an API Gateway REST proxy event into a proxy response:
it routes, validates the request, calls the SageMaker endpoint through an injected
client, checks what the model answered and shapes every answer, errors included, as
JSON. It returns an `Outcome` that also carries what the entry point needs for logs and
metrics, so `handler.py` stays a thin shell and this module is tested without AWS.

Error bodies are always ``{"error": {"code", "message", "request_id"}}``; upstream
messages, model tracebacks and our own stack traces go to `Outcome.detail` (logged),
never to the caller.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import ClientError as BotoClientError
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

LABELS = frozenset({"positive", "negative"})
_NUMBER_TYPES = (float, int)

# Endpoint states in which SageMaker still routes traffic to a deployed model (an update
# or a rollback keeps the old fleet serving until the new one is ready).
SERVING_STATUSES = frozenset(
    {"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
)

# Error codes botocore's standard retry mode treats as throttling: if one still reaches
# us, the retries are spent and the caller should come back later.
_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
    }
)
# SageMaker runtime errors that mean "the endpoint cannot answer right now".
# ModelNotReadyException is what a serverless endpoint says while a cold container starts.
_UNAVAILABLE_CODES = frozenset(
    {
        "ServiceUnavailable",
        "ModelNotReadyException",
        "InternalFailure",
        "InternalDependencyException",
    }
)
# Our own credentials or permissions are wrong: a deployment bug, not an upstream state.
# These propagate so the entry point logs the stack trace and answers 500.
_CONFIGURATION_CODES = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidSignatureException",
        "IncompleteSignature",
        "MissingAuthenticationToken",
    }
)

# "<code>: <reason>", the form of inference.py's InvalidInputError messages.
_CODED_REASON = re.compile(r"(?P<code>[a-z][a-z0-9_]{1,40}): (?P<reason>.+)")

# Anything a reader can see. Whitespace and zero-width characters alone are an empty review.
_VISIBLE = re.compile(r"[^\s\u200b\u200c\u200d\u2060\ufeff]")

_JSON_HEADERS = {
    "Content-Type": "application/json",
    # Predictions are per request and may echo user text: never cache them anywhere.
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def _int_env(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from err
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float_env(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as err:
        raise ValueError(f"{name} must be a number, got {raw!r}") from err
    if not math.isfinite(value) or value < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum}, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the API reads from its environment, validated once at cold start."""

    endpoint_name: str = ""
    model_version: str = "unknown"
    allowed_origin: str = "*"
    # 64 keeps one call well inside a serverless endpoint's payload and time budget.
    max_reviews: int = 64
    # IMDb reviews: median 979 characters, 99th percentile 5,213, longest 13,704; 10,000
    # refuses 3 of 25,000 (5,000 would refuse 313); 64 such ASCII reviews fit max_body_bytes.
    max_review_chars: int = 10_000
    # 1 MiB: far below API Gateway's 10 MB and SageMaker's 4 MB (serverless) payload limits.
    max_body_bytes: int = 1_048_576
    # DescribeEndpoint is a control-plane call with low rate limits: do not run it per ping.
    health_cache_seconds: float = 10.0
    # Client settings, used by the entry point when it builds boto3 clients.
    connect_timeout_seconds: float = 2.0
    # API Gateway gives up after 29 s: (2 + 10) s x 2 attempts + backoff stays under it.
    read_timeout_seconds: float = 10.0
    max_retries: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from environment variables; raise ValueError on a bad value."""
        return cls(
            endpoint_name=env.get("ENDPOINT_NAME", "").strip(),
            model_version=env.get("MODEL_VERSION", "").strip() or "unknown",
            allowed_origin=env.get("ALLOWED_ORIGIN", "").strip() or "*",
            max_reviews=_int_env(env, "MAX_REVIEWS", 64),
            max_review_chars=_int_env(env, "MAX_REVIEW_CHARS", 10_000),
            max_body_bytes=_int_env(env, "MAX_BODY_BYTES", 1_048_576),
            health_cache_seconds=_float_env(env, "HEALTH_CACHE_SECONDS", 10.0, 0.0),
            connect_timeout_seconds=_float_env(env, "SAGEMAKER_CONNECT_TIMEOUT", 2.0, 0.1),
            read_timeout_seconds=_float_env(env, "SAGEMAKER_READ_TIMEOUT", 10.0, 0.1),
            max_retries=_int_env(env, "SAGEMAKER_MAX_RETRIES", 1, minimum=0),
        )


class RuntimeClient(Protocol):
    def invoke_endpoint(self, **kwargs: Any) -> Mapping[str, Any]: ...


class ControlClient(Protocol):
    def describe_endpoint(self, **kwargs: Any) -> Mapping[str, Any]: ...


class Clients(Protocol):
    """Hands out clients on demand, so a cold start only builds the ones a route uses."""

    def runtime(self) -> RuntimeClient: ...

    def sagemaker(self) -> ControlClient: ...


@dataclass(frozen=True)
class StaticClients:
    """Clients that already exist: fakes in tests, the in-process model locally."""

    runtime_client: RuntimeClient
    sagemaker_client: ControlClient

    def runtime(self) -> RuntimeClient:
        return self.runtime_client

    def sagemaker(self) -> ControlClient:
        return self.sagemaker_client


@dataclass
class Outcome:
    """A proxy response plus the facts the entry point logs and turns into metrics."""

    response: dict[str, Any]
    route: str
    status: int
    error_code: str | None = None
    reviews_predicted: int = 0
    model_latency_ms: float | None = None
    # For logs only: upstream messages can hold model tracebacks or resource names.
    detail: str | None = None


# eq=False keeps the exception hashable, as the traceback machinery expects.
@dataclass(eq=False)
class ApiError(Exception):
    status: int
    code: str
    message: str
    detail: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    model_latency_ms: float | None = None


def _response(
    status: int,
    body: Mapping[str, Any] | None,
    *,
    settings: Settings,
    request_id: str,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    all_headers = dict(_JSON_HEADERS)
    all_headers["Access-Control-Allow-Origin"] = settings.allowed_origin
    if settings.allowed_origin != "*":
        # A fixed origin makes the answer depend on who asks: tell caches so.
        all_headers["Vary"] = "Origin"
    all_headers["X-Request-Id"] = request_id
    if headers:
        all_headers.update(headers)
    return {
        "statusCode": status,
        "headers": all_headers,
        "body": "" if body is None else json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    settings: Settings,
    request_id: str,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "request_id": request_id}}
    if extra:
        body.update(extra)
    return _response(status, body, settings=settings, request_id=request_id, headers=headers)


def internal_error(settings: Settings, request_id: str, route: str = "unknown") -> Outcome:
    """The answer to an exception nobody expected; the caller logs the stack trace."""
    message = f"Internal error. Quote request id {request_id} when reporting it."
    return Outcome(
        response=error_response(
            500, "internal_error", message, settings=settings, request_id=request_id
        ),
        route=route,
        status=500,
        error_code="internal_error",
    )


def _lower_headers(event: Mapping[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if values:
            headers[str(name).lower()] = str(values[-1])
    for name, value in (event.get("headers") or {}).items():
        if value is not None:
            headers[str(name).lower()] = str(value)
    return headers


def _route_of(event: Mapping[str, Any]) -> str:
    # `resource` is the path API Gateway matched, free of any custom-domain base path;
    # behind a greedy {proxy+} resource only `path` says which route was called.
    resource = str(event.get("resource") or "")
    route = resource if resource and "{" not in resource else str(event.get("path") or "")
    if len(route) > 1:
        route = route.rstrip("/")
    return route or "/"


def _check_content_type(headers: Mapping[str, str]) -> None:
    raw = headers.get("content-type", "")
    media_type, _, params = raw.partition(";")
    if media_type.strip().lower() != "application/json":
        shown = media_type.strip()[:100] or "none"
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type must be application/json, got {shown}.",
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in {
            "utf-8",
            "utf8",
        }:
            raise ApiError(415, "unsupported_media_type", "Only UTF-8 encoded JSON is accepted.")


def _body_bytes(event: Mapping[str, Any], max_bytes: int) -> bytes:
    body = event.get("body")
    if body is None or body == "":
        raise ApiError(400, "invalid_json", "The request body is empty; send a JSON object.")
    too_large = ApiError(
        413, "payload_too_large", f"The request body is larger than {max_bytes} bytes."
    )
    if event.get("isBase64Encoded"):
        # Base64 is 4 characters per 3 bytes: reject before decoding something huge.
        if len(body) > (max_bytes + 2) // 3 * 4 + 4:
            raise too_large
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as err:
            raise ApiError(400, "invalid_json", "The request body is not valid base64.") from err
    else:
        # surrogatepass: a lone surrogate is reported as bad UTF-8 below, not as a crash.
        data = str(body).encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        raise too_large
    return data


def _parse_reviews(data: bytes, settings: Settings) -> tuple[list[str], bool]:
    """The validated reviews, and whether the body already is ``{"reviews": [...]}``."""
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ApiError(400, "invalid_json", "The request body is not valid UTF-8.") from err
    except ValueError as err:
        raise ApiError(400, "invalid_json", f"The request body is not valid JSON: {err}.") from err
    if not isinstance(document, dict):
        raise ApiError(400, "invalid_request", 'The body must be a JSON object with "reviews".')
    unknown = sorted(set(document) - {"review", "reviews"})
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise ApiError(400, "invalid_request", f"Unknown field(s): {names}.")
    if "review" in document and "reviews" in document:
        raise ApiError(400, "invalid_request", 'Send either "review" or "reviews", not both.')
    if "reviews" in document:
        reviews = document["reviews"]
        if not isinstance(reviews, list):
            raise ApiError(400, "invalid_request", '"reviews" must be a list of strings.')
        if not reviews:
            raise ApiError(400, "invalid_request", '"reviews" must hold at least one review.')
        if len(reviews) > settings.max_reviews:
            raise ApiError(
                400,
                "too_many_reviews",
                f"At most {settings.max_reviews} reviews per request, got {len(reviews)}.",
            )
        batch = True
    elif "review" in document:
        reviews = [document["review"]]
        batch = False
    else:
        raise ApiError(400, "invalid_request", 'Missing field "reviews" (or "review").')

    def name(index: int) -> str:
        return f"reviews[{index}]" if batch else "review"

    for index, review in enumerate(reviews):
        if type(review) is not str:
            raise ApiError(400, "invalid_request", f"{name(index)} must be a string.")
        if not _VISIBLE.search(review):
            raise ApiError(400, "empty_review", f"{name(index)} is empty.")
        if len(review) > settings.max_review_chars:
            raise ApiError(
                413,
                "review_too_long",
                f"{name(index)} has {len(review)} characters; the limit is "
                f"{settings.max_review_chars}.",
            )
        # Only JSON escapes can put lone surrogates into text, and no model can encode
        # them. isascii() is a flag check, so ASCII reviews skip the encoding test.
        if not review.isascii():
            try:
                review.encode("utf-8")
            except UnicodeEncodeError as err:
                raise ApiError(
                    400, "invalid_request", f"{name(index)} is not valid Unicode text."
                ) from err
    return reviews, batch


def _first_line(text: Any, limit: int = 200) -> str:
    line = str(text or "").strip().splitlines()[0:1]
    return line[0][:limit] if line else ""


def _map_client_error(err: BotoClientError) -> ApiError:
    error = err.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", ""))
    detail = f"{code}: {message}"
    if code == "ModelError":
        original_status = err.response.get("OriginalStatusCode")
        original = err.response.get("OriginalMessage", "")
        detail = f"{detail} (original {original_status}: {original})"
        if isinstance(original_status, int) and 400 <= original_status < 500:
            # The model's typed input errors (one line, no traceback) help the caller;
            # inference.py starts them with a code ("empty_review: review 1 has no text").
            reason = _first_line(original) or "no reason given"
            coded = _CODED_REASON.match(reason)
            message = (
                f"The model rejected the input ({coded['code']}): {coded['reason']}"
                if coded
                else f"The model rejected the input: {reason}"
            )
            return ApiError(400, "rejected_by_model", message, detail)
        return ApiError(502, "model_error", "The model failed to answer.", detail)
    if code in _THROTTLING_CODES:
        return ApiError(
            503, "throttled", "The model is busy; retry shortly.", detail, {"Retry-After": "1"}
        )
    if code in _UNAVAILABLE_CODES:
        return ApiError(
            503,
            "endpoint_unavailable",
            "The model is not available; retry shortly.",
            detail,
            {"Retry-After": "5"},
        )
    if code == "ValidationError" and "not found" in message.lower():
        # The endpoint is missing, e.g. torn down or still being created.
        return ApiError(503, "endpoint_unavailable", "The model endpoint is not available.", detail)
    if code in _CONFIGURATION_CODES:
        raise err
    if code == "ValidationError":
        return ApiError(
            502, "upstream_rejected", "The model endpoint rejected the request.", detail
        )
    return ApiError(502, "upstream_error", "The model endpoint answered with an error.", detail)


def _map_transport_error(err: Exception) -> ApiError:
    detail = f"{type(err).__name__}: {err}"
    if isinstance(err, ReadTimeoutError | ConnectTimeoutError):
        return ApiError(504, "endpoint_timeout", "The model did not answer in time.", detail)
    return ApiError(
        503,
        "endpoint_unavailable",
        "The model endpoint could not be reached.",
        detail,
        {"Retry-After": "5"},
    )


def _parse_model_answer(raw: bytes, expected: int) -> list[dict[str, Any]]:
    def invalid(reason: str) -> ApiError:
        return ApiError(
            502,
            "invalid_model_response",
            "The model answered something invalid.",
            f"invalid model answer: {reason}",
        )

    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as err:
        raise invalid(f"not JSON ({err})") from err
    predictions = document.get("predictions") if isinstance(document, dict) else None
    if not isinstance(predictions, list):
        raise invalid('no "predictions" list')
    if len(predictions) != expected:
        raise invalid(f"{len(predictions)} predictions for {expected} reviews")
    shaped = []
    for index, item in enumerate(predictions):
        if type(item) is not dict:
            raise invalid(f"prediction {index} is not an object")
        label, score = item.get("label"), item.get("score")
        if type(label) is not str or label not in LABELS:
            raise invalid(f"prediction {index} has label {str(label)[:40]!r}")
        # Exact types: a bool is an int and must not pass as a score of 1. NaN fails the
        # range check, as do the infinities.
        if type(score) not in _NUMBER_TYPES or not 0.0 <= score <= 1.0:
            raise invalid(f"prediction {index} has score {str(score)[:40]!r}, not in [0, 1]")
        shaped.append({"label": label, "score": float(score)})
    return shaped


class PredictionService:
    """Routes proxy events to /predict and /health; one instance per warm Lambda."""

    def __init__(
        self,
        settings: Settings,
        clients: Clients,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self._clock = clock
        self._health_cache: tuple[float, str] | None = None
        self._routes: dict[str, dict[str, Callable[[Mapping[str, Any], str], Outcome]]] = {
            "/predict": {"POST": self._predict},
            "/health": {"GET": self._health},
        }

    def handle(self, event: Mapping[str, Any], request_id: str) -> Outcome:
        route = _route_of(event)
        method = str(event.get("httpMethod") or "").upper()
        methods = self._routes.get(route)
        try:
            if methods is None:
                raise ApiError(
                    404, "not_found", f"No route {route[:100]}; use POST /predict or GET /health."
                )
            if method == "OPTIONS":
                return self._preflight(route, methods, request_id)
            action = methods.get(method)
            if action is None:
                allowed = ", ".join([*methods, "OPTIONS"])
                raise ApiError(
                    405,
                    "method_not_allowed",
                    f"{route} accepts {allowed}, not {method[:20] or 'none'}.",
                    headers={"Allow": allowed},
                )
            return action(event, request_id)
        except ApiError as err:
            return Outcome(
                response=error_response(
                    err.status,
                    err.code,
                    err.message,
                    settings=self.settings,
                    request_id=request_id,
                    headers=err.headers,
                ),
                route=route,
                status=err.status,
                error_code=err.code,
                model_latency_ms=err.model_latency_ms,
                detail=err.detail,
            )

    def _preflight(self, route: str, methods: Mapping[str, Any], request_id: str) -> Outcome:
        # Reached only when API Gateway forwards OPTIONS instead of answering it itself.
        headers = {
            "Access-Control-Allow-Methods": ", ".join([*methods, "OPTIONS"]),
            "Access-Control-Allow-Headers": "Content-Type, X-Api-Key",
            "Access-Control-Max-Age": "600",
        }
        response = _response(
            204, None, settings=self.settings, request_id=request_id, headers=headers
        )
        return Outcome(response=response, route=route, status=204)

    def _require_endpoint(self) -> str:
        if not self.settings.endpoint_name:
            raise ApiError(
                503,
                "endpoint_unavailable",
                "No model endpoint is configured.",
                "ENDPOINT_NAME is not set",
            )
        return self.settings.endpoint_name

    def _predict(self, event: Mapping[str, Any], request_id: str) -> Outcome:
        headers = _lower_headers(event)
        _check_content_type(headers)
        data = _body_bytes(event, self.settings.max_body_bytes)
        reviews, body_is_batch = _parse_reviews(data, self.settings)
        endpoint = self._require_endpoint()
        if body_is_batch:
            # The body was just validated as exactly {"reviews": [strings]}: forward it as
            # it is rather than spend a millisecond re-encoding 64 long reviews.
            payload = data
        else:
            # ensure_ascii=False keeps the payload about as large as the request.
            payload = json.dumps({"reviews": reviews}, ensure_ascii=False).encode("utf-8")

        started = self._clock()
        try:
            answer = self.clients.runtime().invoke_endpoint(
                EndpointName=endpoint,
                ContentType="application/json",
                Accept="application/json",
                Body=payload,
            )
            # Reading the stream can time out too: keep it inside the same mapping.
            raw = answer["Body"].read()
        except BotoClientError as err:
            mapped = _map_client_error(err)
            mapped.model_latency_ms = (self._clock() - started) * 1000.0
            raise mapped from err
        except (
            ReadTimeoutError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ConnectionClosedError,
        ) as err:
            mapped = _map_transport_error(err)
            mapped.model_latency_ms = (self._clock() - started) * 1000.0
            raise mapped from err
        latency_ms = (self._clock() - started) * 1000.0

        try:
            predictions = _parse_model_answer(raw, len(reviews))
        except ApiError as err:
            err.model_latency_ms = latency_ms
            raise
        body = {"predictions": predictions, "model": self.settings.model_version}
        return Outcome(
            response=_response(200, body, settings=self.settings, request_id=request_id),
            route="/predict",
            status=200,
            reviews_predicted=len(predictions),
            model_latency_ms=latency_ms,
        )

    def _endpoint_status(self, endpoint: str) -> str:
        now = self._clock()
        cached = self._health_cache
        if cached is not None and now - cached[0] < self.settings.health_cache_seconds:
            return cached[1]
        try:
            description = self.clients.sagemaker().describe_endpoint(EndpointName=endpoint)
        except BotoClientError as err:
            error = err.response.get("Error", {})
            raise ApiError(
                503,
                "endpoint_unavailable",
                "The model endpoint cannot be described.",
                f"{error.get('Code')}: {error.get('Message')}",
            ) from err
        except (
            ReadTimeoutError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ConnectionClosedError,
        ) as err:
            raise ApiError(
                503,
                "endpoint_unavailable",
                "The model endpoint cannot be described.",
                f"{type(err).__name__}: {err}",
            ) from err
        status = str(description.get("EndpointStatus", "Unknown"))
        self._health_cache = (now, status)
        return status

    def _health(self, event: Mapping[str, Any], request_id: str) -> Outcome:
        status = self._endpoint_status(self._require_endpoint())
        if status not in SERVING_STATUSES:
            response = error_response(
                503,
                "endpoint_unavailable",
                f"The model endpoint is {status}.",
                settings=self.settings,
                request_id=request_id,
                extra={"endpoint_status": status, "model": self.settings.model_version},
            )
            return Outcome(
                response=response,
                route="/health",
                status=503,
                error_code="endpoint_unavailable",
                detail=f"endpoint status {status}",
            )
        body = {"status": "ok", "endpoint_status": status, "model": self.settings.model_version}
        return Outcome(
            response=_response(200, body, settings=self.settings, request_id=request_id),
            route="/health",
            status=200,
        )
