"""The two things the API asks SageMaker, through injected clients: predict, and health.

Free of Lambda and Powertools: failures are `ApiError`s, and whatever the model answers
is checked before a caller sees it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api_errors import CALL_ERRORS, ApiError, endpoint_error, error_detail, unavailable
from api_settings import Settings
from request_rules import PredictRequest
from sagemaker_clients import Clients

LABELS = frozenset({"positive", "negative"})
# Endpoint states in which SageMaker still routes traffic to a deployed model (an update
# or a rollback keeps the old fleet serving until the new one is ready).
SERVING_STATUSES = frozenset(
    {"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
)


@dataclass(frozen=True)
class Prediction:
    predictions: list[dict[str, Any]]
    model_latency_ms: float


def parse_model_answer(raw: bytes, expected: int) -> list[dict[str, Any]]:
    """The model's predictions, one per review, or a 502 that says in its detail why not."""

    def invalid(reason: str) -> ApiError:
        message = "The model answered something invalid."
        return ApiError(502, "invalid_model_response", message, f"invalid model answer: {reason}")

    try:
        document = json.loads(raw)
    except ValueError as err:  # UnicodeDecodeError included
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
        if isinstance(score, bool) or not isinstance(score, float | int) or not 0 <= score <= 1:
            raise invalid(f"prediction {index} has score {str(score)[:40]!r}, not in [0, 1]")
        shaped.append({"label": label, "score": float(score)})
    return shaped


class PredictionService:
    """One per warm Lambda: settings, clients and the cached endpoint status."""

    def __init__(
        self, settings: Settings, clients: Clients, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.clients = clients
        self._clock = clock
        self._health_cache: tuple[float, str] | None = None

    def _endpoint(self) -> str:
        if not self.settings.endpoint_name:
            raise unavailable("No model endpoint is configured.", "ENDPOINT_NAME is not set")
        return self.settings.endpoint_name

    def predict(self, request: PredictRequest) -> Prediction:
        endpoint = self._endpoint()
        started = self._clock()
        try:
            answer = self.clients.runtime().invoke_endpoint(
                EndpointName=endpoint,
                ContentType="application/json",
                Accept="application/json",
                Body=request.payload,
            )
            # Reading the stream can time out too: keep it inside the same mapping.
            raw = answer["Body"].read()
        except CALL_ERRORS as err:
            mapped = endpoint_error(err)
            mapped.model_latency_ms = (self._clock() - started) * 1000.0
            raise mapped from err
        latency_ms = (self._clock() - started) * 1000.0
        try:
            return Prediction(parse_model_answer(raw, len(request.reviews)), latency_ms)
        except ApiError as err:
            err.model_latency_ms = latency_ms
            raise

    def _endpoint_status(self, endpoint: str) -> str:
        now = self._clock()
        cached = self._health_cache
        if cached is not None and now - cached[0] < self.settings.health_cache_seconds:
            return cached[1]
        try:
            description = self.clients.sagemaker().describe_endpoint(EndpointName=endpoint)
        except CALL_ERRORS as err:
            raise unavailable("The model endpoint cannot be described.", error_detail(err)) from err
        status = str(description.get("EndpointStatus", "Unknown"))
        self._health_cache = (now, status)
        return status

    def health(self) -> dict[str, str]:
        """The /health body of a serving endpoint; a 503 that names the status otherwise."""
        status = self._endpoint_status(self._endpoint())
        model = self.settings.model_version
        if status not in SERVING_STATUSES:
            error = unavailable(f"The model endpoint is {status}.", f"endpoint status {status}")
            error.extra = {"endpoint_status": status, "model": model}
            raise error
        return {"status": "ok", "endpoint_status": status, "model": model}
