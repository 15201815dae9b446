"""GET /model: the served model's card, asked of the endpoint and cached for a minute."""

from __future__ import annotations

import dataclasses

import pytest
from predict_fakes import MODEL_CARD, TEST_SETTINGS, client_error, error_of

import handler as handler_module

CARD_TYPE = "application/vnd.reviews.model-card+json"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(api):
    service = handler_module.configure(
        settings=TEST_SETTINGS, runtime=api.runtime, sagemaker=api.sagemaker
    )
    service._clock = clock = Clock()
    return clock


def test_the_card_comes_from_the_endpoint_with_the_variant_that_answered(api):
    answer = api.call("GET", "/model", content_type=None)
    assert answer.status == 200
    assert answer.json == {**MODEL_CARD, "backend": "sagemaker", "variant": "AllTraffic"}
    (call,) = api.runtime.calls
    assert (call["ContentType"], call["Accept"]) == (CARD_TYPE, "application/json")
    assert "max-age=60" in answer.headers["Cache-Control"]


def test_the_card_is_cached_for_a_minute(api, clock):
    for _ in range(3):
        assert api.call("GET", "/model").status == 200
    clock.now += 59
    api.call("GET", "/model")
    assert len(api.runtime.calls) == 1
    clock.now += 2
    api.call("GET", "/model")
    assert len(api.runtime.calls) == 2


def test_a_failure_is_not_cached(api):
    api.runtime.error = client_error("ServiceUnavailable", "try later")
    assert api.call("GET", "/model").status == 503
    api.runtime.error = None
    assert api.call("GET", "/model").status == 200


def test_a_model_without_a_card_is_404(api):
    """A model trained before cards existed refuses their content type."""
    api.runtime.error = client_error(
        "ModelError",
        "Received client error (415)",
        424,
        OriginalStatusCode=415,
        OriginalMessage='{"error": {"code": "unsupported_media_type", "message": "..."}}',
    )
    answer = api.call("GET", "/model")
    assert answer.status == 404
    assert error_of(answer)["code"] == "model_card_unavailable"


@pytest.mark.parametrize("card", [b"[1, 2]", b"not json", b'"card"'])
def test_a_card_that_is_not_an_object_is_502(api, card):
    api.runtime.card = lambda: card
    answer = api.call("GET", "/model")
    assert answer.status == 502
    assert error_of(answer)["code"] == "invalid_model_response"


def test_a_pinned_card_comes_from_that_variant_and_is_cached_apart(api):
    settings = dataclasses.replace(TEST_SETTINGS, allow_target_variant=True, variants=("a", "b"))
    handler_module.configure(settings=settings, runtime=api.runtime, sagemaker=api.sagemaker)
    headers = {"X-Target-Variant": "b"}
    answer = api.call("GET", "/model", headers=headers)
    assert answer.json["variant"] == "b"
    assert api.runtime.calls[0]["TargetVariant"] == "b"
    api.call("GET", "/model", headers=headers)
    api.call("GET", "/model")
    assert [call.get("TargetVariant") for call in api.runtime.calls] == ["b", None]
    assert error_of(api.call("GET", "/model", headers={"X-Target-Variant": "c"}))["code"] == (
        "unknown_variant"
    )


def test_without_an_endpoint_the_card_is_503(api):
    settings = dataclasses.replace(TEST_SETTINGS, endpoint_name="")
    handler_module.configure(settings=settings, runtime=api.runtime, sagemaker=api.sagemaker)
    assert api.call("GET", "/model").status == 503
    assert api.runtime.calls == []


def test_model_accepts_get_only(api):
    answer = api.call("POST", "/model", {"review": "good"})
    assert answer.status == 405
    assert answer.headers["Allow"] == "GET, OPTIONS"
    preflight = api.call("OPTIONS", "/model", content_type=None)
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS"
