"""BACKEND=comprehend: the same API answered by Amazon Comprehend's BatchDetectSentiment.

The client is under botocore's Stubber (`comprehend` fixture): moto's Comprehend always
answers NEUTRAL and has no batch call.
"""

from __future__ import annotations

import pytest
from comprehend_fakes import COMPREHEND_SETTINGS, comprehend_client, expect, positives, result
from predict_fakes import (
    Api,
    FakeRuntime,
    FakeSageMaker,
    count_sends,
    emf_records,
    error_answer,
    error_of,
)

import handler as handler_module


# -- mapping ---------------------------------------------------------------------------------
def test_sentiments_map_to_label_score_and_uncertain(comprehend):
    api, stubber = comprehend
    reviews = ["Loved it", "Hated it", "It is a film", "Great cast, awful plot", "Even"]
    expect(
        stubber,
        reviews,
        {
            "ResultList": [
                result(0, "POSITIVE", positive=0.97, negative=0.01, neutral=0.02),
                result(1, "NEGATIVE", positive=0.02, negative=0.93, neutral=0.05),
                result(2, "NEUTRAL", positive=0.30, negative=0.10, neutral=0.60),
                result(3, "MIXED", positive=0.20, negative=0.35, mixed=0.45),
                result(4, "NEUTRAL", positive=0.25, negative=0.25, neutral=0.50),
            ],
            "ErrorList": [],
        },
    )
    answer = api.predict({"reviews": reviews})
    assert answer.status == 200
    assert answer.json == {
        "predictions": [
            {"label": "positive", "score": 0.97, "uncertain": False},
            {"label": "negative", "score": 0.93, "uncertain": False},
            {"label": "positive", "score": 0.30, "uncertain": True},
            {"label": "negative", "score": 0.35, "uncertain": True},
            # A tie goes to "negative", as in the project's model.
            {"label": "negative", "score": 0.25, "uncertain": True},
        ],
        "model": "amazon-comprehend",
        "backend": "comprehend",
        "variant": None,
    }


@pytest.mark.parametrize(
    "bad",
    [
        result(0, "HAPPY"),
        {"Index": 0, "Sentiment": "POSITIVE"},
        result(0, "POSITIVE", positive=1.5, negative=0.0),
        result(3, "POSITIVE"),
    ],
    ids=["unknown-sentiment", "no-scores", "score-out-of-range", "index-out-of-range"],
)
def test_a_nonsense_answer_is_502_invalid_model_response(comprehend, bad):
    api, stubber = comprehend
    expect(stubber, ["good"], {"ResultList": [bad], "ErrorList": []})
    answer = api.predict({"review": "good"})
    assert answer.status == 502
    assert error_of(answer)["code"] == "invalid_model_response"


def test_a_missing_answer_is_502_invalid_model_response(comprehend):
    api, stubber = comprehend
    expect(stubber, ["good", "bad"], positives(1))
    assert error_of(api.predict({"reviews": ["good", "bad"]}))["code"] == "invalid_model_response"


# -- batching --------------------------------------------------------------------------------
def test_64_reviews_are_three_calls_of_at_most_25_in_order(comprehend):
    api, stubber = comprehend
    reviews = [f"review number {index}" for index in range(64)]
    for start, size in ((0, 25), (25, 25), (50, 14)):
        batch = {"ResultList": [result(i) for i in range(size)], "ErrorList": []}
        if start == 50:  # the last call's answers name their own positions
            batch["ResultList"][13] = result(13, "NEGATIVE", positive=0.1, negative=0.8)
        expect(stubber, reviews[start : start + size], batch)
    answer = api.predict({"reviews": reviews})
    assert answer.status == 200
    labels = [p["label"] for p in answer.json["predictions"]]
    assert labels == ["positive"] * 63 + ["negative"]


# -- per-review errors -----------------------------------------------------------------------
def test_an_item_error_answers_that_review_only(comprehend, handler_logs, capsys):
    api, stubber = comprehend
    expect(
        stubber,
        ["good", "odd", "bad"],
        {
            "ResultList": [result(0), result(2, "NEGATIVE", positive=0.1, negative=0.9)],
            "ErrorList": [
                {"Index": 1, "ErrorCode": "INTERNAL_SERVER_ERROR", "ErrorMessage": "oops"}
            ],
        },
    )
    answer = api.predict({"reviews": ["good", "odd", "bad"]})
    assert answer.status == 200
    first, failed, last = answer.json["predictions"]
    assert failed == {
        "error": {
            "code": "backend_item_error",
            "message": "Amazon Comprehend could not analyse this review (INTERNAL_SERVER_ERROR).",
        }
    }
    assert (first["label"], last["label"]) == ("positive", "negative")
    (line,) = [r for r in handler_logs if getattr(r, "route", None) == "/predict"]
    assert (line.item_errors, line.backend, line.reviews) == (1, "comprehend", 3)
    # Two reviews were predicted; the third is counted as an item error, not a prediction.
    (record,) = [r for r in emf_records(capsys.readouterr().out) if "ItemErrors" in r]
    assert (record["ReviewsPredicted"], record["ItemErrors"]) == ([2.0], [1.0])


# -- whole-call failures ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("InvalidRequestException", 400, "rejected_by_model"),
        ("TextSizeLimitExceededException", 400, "rejected_by_model"),
        ("UnsupportedLanguageException", 400, "rejected_by_model"),
        ("InternalServerException", 503, "endpoint_unavailable"),
        ("BatchSizeLimitExceededException", 502, "upstream_rejected"),
        ("SomethingNew", 502, "upstream_error"),
        ("AccessDeniedException", 500, "internal_error"),
    ],
)
def test_failures_keep_the_apis_status_and_codes(comprehend, code, status, expected):
    api, stubber = comprehend
    stubber.add_client_error(
        "batch_detect_sentiment", service_error_code=code, service_message="secret detail"
    )
    answer = api.predict({"review": "good"})
    assert (answer.status, error_of(answer)["code"]) == (status, expected)
    assert "secret detail" not in answer.text


@pytest.mark.usefixtures("fake_aws_environment")
def test_throttling_after_botocores_retries_is_503_with_retry_after():
    """Real boto3 client, real standard-mode retries; the HTTP answers are canned."""
    original = handler_module._service.settings
    service = handler_module.configure(settings=COMPREHEND_SETTINGS)
    throttled = {"__type": "ThrottlingException", "message": "Rate exceeded"}
    attempts = count_sends(
        service.clients.comprehend(),
        "before-send.comprehend.BatchDetectSentiment",
        error_answer(400, "ThrottlingException", throttled),
    )
    try:
        answer = Api(FakeRuntime(), FakeSageMaker()).predict({"review": "good"})
    finally:
        handler_module.configure(settings=original)
    assert answer.status == 503
    assert error_of(answer)["code"] == "throttled"
    assert answer.headers["Retry-After"] == "1"
    assert len(attempts) == COMPREHEND_SETTINGS.max_retries + 1


# -- health, card, pinning -------------------------------------------------------------------
def test_health_calls_nothing_and_names_the_region(comprehend):
    api, _ = comprehend  # no response queued: any Comprehend call would fail the Stubber
    answer = api.call("GET", "/health", content_type=None)
    assert answer.status == 200
    assert answer.json == {
        "status": "ok",
        "backend": "comprehend",
        "region": "eu-west-1",
        "model": "amazon-comprehend",
    }


def test_health_is_503_where_comprehend_is_not_offered():
    client = comprehend_client("eu-north-1")
    original = handler_module._service.settings
    handler_module.configure(settings=COMPREHEND_SETTINGS, comprehend=client)
    try:
        answer = Api(FakeRuntime(), FakeSageMaker()).call("GET", "/health")
    finally:
        handler_module.configure(settings=original)
    assert answer.status == 503
    assert error_of(answer)["code"] == "endpoint_unavailable"


def test_the_model_card_is_static_and_names_comprehend(comprehend):
    api, _ = comprehend
    answer = api.call("GET", "/model", content_type=None)
    assert answer.status == 200
    card = answer.json
    assert card["name"].startswith("Amazon Comprehend")
    assert (card["backend"], card["variant"], card["metrics"]) == ("comprehend", None, {})


def test_pinning_a_variant_is_refused(comprehend):
    api, _ = comprehend
    answer = api.predict({"review": "good"}, headers={"X-Target-Variant": "AllTraffic"})
    assert answer.status == 400
    assert error_of(answer)["code"] == "variant_pinning_disabled"
