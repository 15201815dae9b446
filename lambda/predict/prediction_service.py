"""What the API asks a SageMaker endpoint, through injected clients: predict, health, and
the model card.

Free of Lambda and Powertools: failures are `ApiError`s, and whatever the model answers
is checked before a caller sees it. `Backend` is what the handler needs of a backend;
`comprehend_service.ComprehendService` is the other one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeGuard

from api_errors import (
    CALL_ERRORS,
    ApiError,
    endpoint_error,
    error_detail,
    invalid_model_response,
    unavailable,
)
from api_settings import Settings
from request_rules import PredictRequest
from sagemaker_clients import Clients

LABELS = frozenset({"positive", "negative"})
# Endpoint states in which SageMaker still routes traffic to a deployed model (an update
# or a rollback keeps the old fleet serving until the new one is ready).
SERVING_STATUSES = frozenset(
    {"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
)
# The model's own content type for its card (training/inference.py); the body is ignored.
MODEL_CARD_CONTENT_TYPE = "application/vnd.reviews.model-card+json"


@dataclass(frozen=True)
class Prediction:
    predictions: list[dict[str, Any]]
    model_latency_ms: float
    # The production variant that answered (InvokedProductionVariant), when known.
    variant: str | None = None
    # Reviews the backend answered with an error entry (Comprehend's ErrorList).
    item_errors: int = 0


@dataclass(frozen=True)
class ModelCard:
    card: dict[str, Any]
    variant: str | None = None


class Backend(Protocol):
    """What the handler's routes ask of the model behind the API."""

    name: str
    settings: Settings
    clients: Clients

    def warm_up(self) -> None: ...

    def predict(self, request: PredictRequest) -> Prediction: ...

    def health(self) -> dict[str, str]: ...

    def model_card(self, target_variant: str | None) -> ModelCard: ...


def is_probability(value: object) -> TypeGuard[float]:
    # Exact types: a bool is an int and must not pass as a score of 1. NaN fails the
    # range check, as do the infinities.
    return not isinstance(value, bool) and isinstance(value, float | int) and 0 <= value <= 1


def parse_model_answer(raw: bytes, expected: int) -> list[dict[str, Any]]:
    """The model's predictions, one per review, or a 502 that says in its detail why not."""
    invalid = invalid_model_response
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
        label, score, uncertain = item.get("label"), item.get("score"), item.get("uncertain")
        if type(label) is not str or label not in LABELS:
            raise invalid(f"prediction {index} has label {str(label)[:40]!r}")
        if not is_probability(score):
            raise invalid(f"prediction {index} has score {str(score)[:40]!r}, not in [0, 1]")
        if type(uncertain) is not bool:
            raise invalid(f"prediction {index} has uncertain {str(uncertain)[:40]!r}")
        shaped.append({"label": label, "score": float(score), "uncertain": uncertain})
    return shaped


def parse_model_card(raw: bytes) -> dict[str, Any]:
    try:
        card = json.loads(raw)
    except ValueError as err:
        raise invalid_model_response(f"model card is not JSON ({err})") from err
    if not isinstance(card, dict):
        raise invalid_model_response("model card is not a JSON object")
    return card


class ServiceBase:
    """One backend per warm Lambda: its settings, its clients and a clock (for caches and
    latencies; tests pass their own)."""

    name: str

    def __init__(
        self, settings: Settings, clients: Clients, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.clients = clients
        self._clock = clock


class PredictionService(ServiceBase):
    """The SageMaker endpoint, with its cached status and model card."""

    name = "sagemaker"

    def __init__(
        self, settings: Settings, clients: Clients, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(settings, clients, clock)
        self._health_cache: tuple[float, str] | None = None
        # Per pinned variant (None: whichever variant SageMaker picks).
        self._card_cache: dict[str | None, tuple[float, ModelCard]] = {}

    def warm_up(self) -> None:
        self.clients.runtime()

    def _endpoint(self) -> str:
        if not self.settings.endpoint_name:
            raise unavailable("No model endpoint is configured.", "ENDPOINT_NAME is not set")
        return self.settings.endpoint_name

    def _invoke(
        self, content_type: str, body: bytes, target_variant: str | None
    ) -> tuple[bytes, str | None, float]:
        """The endpoint's answer, the variant that gave it, and the milliseconds it took."""
        endpoint = self._endpoint()
        pinned = {"TargetVariant": target_variant} if target_variant else {}
        started = self._clock()
        try:
            answer = self.clients.runtime().invoke_endpoint(
                EndpointName=endpoint,
                ContentType=content_type,
                Accept="application/json",
                Body=body,
                **pinned,
            )
            # Reading the stream can time out too: keep it inside the same mapping.
            raw = answer["Body"].read()
        except CALL_ERRORS as err:
            mapped = endpoint_error(err)
            mapped.model_latency_ms = (self._clock() - started) * 1000.0
            raise mapped from err
        variant = answer.get("InvokedProductionVariant")
        latency_ms = (self._clock() - started) * 1000.0
        return raw, variant if isinstance(variant, str) else None, latency_ms

    def predict(self, request: PredictRequest) -> Prediction:
        raw, variant, latency_ms = self._invoke(
            "application/json", request.payload, request.target_variant
        )
        try:
            return Prediction(parse_model_answer(raw, len(request.reviews)), latency_ms, variant)
        except ApiError as err:
            err.model_latency_ms = latency_ms
            raise

    def model_card(self, target_variant: str | None) -> ModelCard:
        """The card the served model ships, cached for a minute; 404 if it has none."""
        now = self._clock()
        cached = self._card_cache.get(target_variant)
        if cached is not None and now - cached[0] < self.settings.model_card_cache_seconds:
            return cached[1]
        try:
            raw, variant, _ = self._invoke(MODEL_CARD_CONTENT_TYPE, b"{}", target_variant)
        except ApiError as err:
            if err.code != "rejected_by_model":
                raise
            # A model trained before cards existed refuses their content type (415).
            message = "The served model publishes no model card."
            raise ApiError(404, "model_card_unavailable", message, err.detail) from err
        card = ModelCard(parse_model_card(raw), variant)
        self._card_cache[target_variant] = (now, card)
        return card

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
