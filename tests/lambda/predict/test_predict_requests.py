"""The predict Lambda with API Gateway REST proxy events: what it accepts and refuses."""

from __future__ import annotations

import json
import math

import pytest
from predict_fakes import ENDPOINT, client_error, error_of, proxy_event


# -- 200 ---------------------------------------------------------------------------------
def test_batch_answers_one_prediction_per_review_in_order(api):
    reviews = ["A good film", "Dull and long", "good good good, really"]
    answer = api.predict({"reviews": reviews})

    assert answer.status == 200
    body = answer.json
    assert body["model"] == "v7"
    assert [p["label"] for p in body["predictions"]] == ["positive", "negative", "positive"]
    assert all(isinstance(p["score"], float) and 0 <= p["score"] <= 1 for p in body["predictions"])
    # The endpoint got the reviews untouched, as JSON, from the configured endpoint.
    (call,) = api.runtime.calls
    assert call["EndpointName"] == ENDPOINT
    assert call["ContentType"] == "application/json"
    assert call["Accept"] == "application/json"
    assert json.loads(call["Body"]) == {"reviews": reviews}


def test_single_review_field_is_accepted(api):
    answer = api.predict({"review": "Really good"})
    assert answer.status == 200
    assert answer.json["predictions"] == [
        {"label": "positive", "score": pytest.approx(0.61), "uncertain": False}
    ]


def test_non_ascii_review_travels_as_utf8(api):
    answer = api.predict({"review": "Très bon film — good 👍"})
    assert answer.status == 200
    assert "Très bon film — good 👍" in api.runtime.calls[0]["Body"].decode("utf-8")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        'application/json;charset="UTF-8"',
    ],
)
def test_json_content_type_is_matched_case_insensitively(api, content_type):
    assert api.predict({"review": "good"}, content_type=content_type).status == 200


def test_content_type_header_name_is_case_insensitive(api):
    event = proxy_event(
        "POST",
        "/predict",
        {"review": "good"},
        content_type=None,
        headers={"content-type": "application/json"},
    )
    assert api.invoke(event).status == 200


def test_base64_encoded_body_is_decoded(api):
    answer = api.predict({"reviews": ["good", "bad"]}, base64_body=True)
    assert answer.status == 200
    assert len(answer.json["predictions"]) == 2


def test_route_comes_from_resource_when_a_base_path_is_mapped(api):
    event = proxy_event("POST", "/v1/predict", {"review": "good"}, resource="/predict")
    assert api.invoke(event).status == 200


def test_trailing_slash_and_proxy_resource_route_by_path(api):
    event = proxy_event("POST", "/predict/", {"review": "good"}, resource="/{proxy+}")
    assert api.invoke(event).status == 200


def test_successful_prediction_publishes_metrics(api, capsys):
    api.predict({"reviews": ["good", "bad"]})
    records = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and "_aws" in line
    ]
    emitted = {m["Name"] for r in records for m in r["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"ReviewsPredicted", "ModelLatency"} <= emitted
    reviews_record = next(r for r in records if "ReviewsPredicted" in r)
    assert reviews_record["ReviewsPredicted"] == [2.0]


# -- 400 ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "invalid_json"),
        ('{"reviews": ["good"]', "invalid_json"),
        ("", "invalid_json"),
        (None, "invalid_json"),
        ("[]", "invalid_request"),
        ('"just a string"', "invalid_request"),
        ("{}", "invalid_request"),
        ('{"reviews": "good"}', "invalid_request"),
        ('{"reviews": []}', "invalid_request"),
        ('{"reviews": ["good", 3]}', "invalid_request"),
        ('{"reviews": [null]}', "invalid_request"),
        ('{"review": 5}', "invalid_request"),
        ('{"review": "good", "reviews": ["good"]}', "invalid_request"),
        ('{"reviews": ["good"], "extra": true}', "invalid_request"),
        ('{"reviews": ["good", ""]}', "empty_review"),
        ('{"reviews": ["   \\n\\t "]}', "empty_review"),
        ('{"review": "\\u200b\\u200b"}', "empty_review"),
        # Markup alone is empty too: the one rule of the ETL, the model and the API.
        ('{"reviews": ["<br /><br />"]}', "empty_review"),
        ('{"review": "&nbsp;<i> </i>"}', "empty_review"),
        ('{"reviews": ["a", "b", "c", "d"]}', "too_many_reviews"),
        ('{"review": "\\ud800 good"}', "invalid_request"),
    ],
)
def test_bad_requests_answer_400_with_a_code(api, body, code):
    answer = api.predict(body)
    assert answer.status == 400
    assert error_of(answer)["code"] == code
    assert api.runtime.calls == []


def test_empty_review_error_names_the_review(api):
    answer = api.predict({"reviews": ["good", " "]})
    assert error_of(answer)["message"] == "reviews[1] is empty."


def test_invalid_base64_is_400(api):
    event = proxy_event("POST", "/predict", "not base64!!", base64_body=False)
    event["isBase64Encoded"] = True
    answer = api.invoke(event)
    assert answer.status == 400
    assert error_of(answer)["code"] == "invalid_json"


def test_body_that_is_not_utf8_is_400(api):
    answer = api.predict(b'{"review": "\xff\xfe good"}', base64_body=True)
    assert answer.status == 400
    assert "UTF-8" in error_of(answer)["message"]


@pytest.mark.parametrize(
    ("original", "message"),
    [
        (
            "empty_review: review 0 has no text\nsecond line",
            "The model rejected the input (empty_review): review 0 has no text",
        ),
        (
            "no words left after cleaning",
            "The model rejected the input: no words left after cleaning",
        ),
        ("", "The model rejected the input: no reason given"),
        (
            '{"error": {"code": "batch_too_large", "message": "batch_too_large: 300 reviews"}}',
            "The model rejected the input (batch_too_large): 300 reviews",
        ),
    ],
)
def test_model_rejecting_the_input_is_400_with_its_one_line_reason(api, original, message):
    api.runtime.error = client_error(
        "ModelError",
        "Received client error (400)",
        424,
        OriginalStatusCode=400,
        OriginalMessage=original,
    )
    # Text the API passes on; the fake endpoint refuses whatever it gets.
    answer = api.predict({"review": "???"})
    assert answer.status == 400
    assert error_of(answer)["code"] == "rejected_by_model"
    assert error_of(answer)["message"] == message


# -- 404 / 405 / OPTIONS -----------------------------------------------------------------
def test_unknown_route_is_404(api):
    answer = api.call("GET", "/admin")
    assert answer.status == 404
    assert error_of(answer)["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/predict", "POST, OPTIONS"),
        ("PUT", "/predict", "POST, OPTIONS"),
        ("POST", "/health", "GET, OPTIONS"),
        ("DELETE", "/health", "GET, OPTIONS"),
    ],
)
def test_wrong_method_is_405_with_allow_header(api, method, path, allow):
    answer = api.call(method, path, {"review": "good"})
    assert answer.status == 405
    assert error_of(answer)["code"] == "method_not_allowed"
    assert answer.headers["Allow"] == allow


def test_preflight_is_answered_when_forwarded(api):
    answer = api.call("OPTIONS", "/predict", content_type=None)
    assert answer.status == 204
    assert answer.text == ""
    assert answer.headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert "X-Api-Key" in answer.headers["Access-Control-Allow-Headers"]


def test_fixed_origin_varies_on_origin(api):
    assert api.predict({"review": "good"}).headers["Vary"] == "Origin"


# -- 413 / 415 ---------------------------------------------------------------------------
def test_review_over_the_character_limit_is_413(api):
    answer = api.predict({"reviews": ["good", "x" * 41]})
    assert answer.status == 413
    assert error_of(answer)["code"] == "review_too_long"
    assert "reviews[1]" in error_of(answer)["message"]


def test_review_at_the_character_limit_passes(api):
    assert api.predict({"review": "g" * 40}).status == 200


@pytest.mark.parametrize("base64_body", [False, True])
def test_body_over_the_byte_limit_is_413(api, base64_body):
    body = json.dumps({"reviews": ["good"], "padding": " " * 1000})
    answer = api.predict(body, base64_body=base64_body)
    assert answer.status == 413
    assert error_of(answer)["code"] == "payload_too_large"


def test_byte_limit_counts_utf8_bytes_not_characters(api):
    # 30 characters, 120 bytes each review: 8 of them pass the character limit but not
    # the 1000-byte body limit.
    answer = api.predict(json.dumps({"reviews": ["😀" * 30] * 9}, ensure_ascii=False))
    assert answer.status == 413


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "text/csv",
        "application/jsonp",
        "application/json; charset=latin-1",
        None,
        "",
    ],
)
def test_non_json_content_type_is_415(api, content_type):
    answer = api.predict({"review": "good"}, content_type=content_type)
    assert answer.status == 415
    assert error_of(answer)["code"] == "unsupported_media_type"


def test_scores_are_floats_even_when_the_model_sends_integers(api):
    api.runtime.model = lambda body: (
        b'{"predictions": [{"label": "negative", "score": 1, "uncertain": false}]}'
    )
    answer = api.predict({"review": "good"})
    assert answer.status == 200
    score = answer.json["predictions"][0]["score"]
    assert isinstance(score, float) and math.isclose(score, 1.0)
