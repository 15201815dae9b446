"""The predict Lambda, driven with API Gateway REST proxy events: every status it answers."""

from __future__ import annotations

import json
import math

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from serving_fakes import ENDPOINT, proxy_event


def client_error(code: str, message: str = "boom", status: int = 400, **modeled) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **modeled,
    }
    return ClientError(response, "InvokeEndpoint")


def error_of(answer) -> dict:
    return answer.json["error"]


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
    assert answer.json["predictions"] == [{"label": "positive", "score": pytest.approx(0.61)}]


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
    answer = api.predict({"review": "<br />"})
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


# -- 502: the model answered something unusable ------------------------------------------
@pytest.mark.parametrize(
    "model_answer",
    [
        b"<html>oops</html>",
        b"\xff\xfe",
        b"[]",
        b'{"predictions": "positive"}',
        b'{"labels": []}',
        b'{"predictions": []}',
        b'{"predictions": [{"label": "positive", "score": 0.9},'
        b' {"label": "negative", "score": 0.8}]}',
        b'{"predictions": ["positive"]}',
        b'{"predictions": [{"label": "neutral", "score": 0.9}]}',
        b'{"predictions": [{"label": ["positive"], "score": 0.9}]}',
        b'{"predictions": [{"label": null, "score": 0.9}]}',
        b'{"predictions": [{"label": "POSITIVE", "score": 0.9}]}',
        b'{"predictions": [{"label": "positive", "score": 1.5}]}',
        b'{"predictions": [{"label": "positive", "score": -0.1}]}',
        b'{"predictions": [{"label": "positive", "score": NaN}]}',
        b'{"predictions": [{"label": "positive", "score": Infinity}]}',
        b'{"predictions": [{"label": "positive", "score": [0.5]}]}',
        b'{"predictions": [{"label": "positive", "score": "0.9"}]}',
        b'{"predictions": [{"label": "positive", "score": true}]}',
        b'{"predictions": [{"label": "positive"}]}',
    ],
)
def test_invalid_model_answer_is_502(api, model_answer, handler_logs):
    api.runtime.model = lambda body: model_answer
    answer = api.predict({"review": "good"})
    assert answer.status == 502
    assert error_of(answer) | {"request_id": None} == {
        "code": "invalid_model_response",
        "message": "The model answered something invalid.",
        "request_id": None,
    }
    # The reason is logged for operators, not returned.
    assert any("invalid model answer" in str(getattr(r, "detail", "")) for r in handler_logs)


def test_model_error_500_is_502_without_the_model_traceback(api):
    api.runtime.error = client_error(
        "ModelError",
        "Received server error (500) from primary",
        424,
        OriginalStatusCode=500,
        OriginalMessage='Traceback (most recent call last):\n  File "/opt/ml/code/inference.py"',
    )
    answer = api.predict({"review": "good"})
    assert answer.status == 502
    assert error_of(answer)["code"] == "model_error"
    assert "inference.py" not in answer.text


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("ValidationError", "Received payload size exceeds the limit", "upstream_rejected"),
        ("SomethingNew", "surprise", "upstream_error"),
    ],
)
def test_other_endpoint_errors_are_502(api, code, message, expected):
    api.runtime.error = client_error(code, message)
    answer = api.predict({"review": "good"})
    assert answer.status == 502
    assert error_of(answer)["code"] == expected
    assert message not in answer.text


# -- 503: endpoint unavailable or still throttling after retries -----------------------------
@pytest.mark.parametrize(
    ("code", "message", "expected", "retry_after"),
    [
        ("ThrottlingException", "Rate exceeded", "throttled", "1"),
        ("ServiceUnavailable", "try later", "endpoint_unavailable", "5"),
        ("ModelNotReadyException", "model is warming up", "endpoint_unavailable", "5"),
        ("InternalFailure", "oops", "endpoint_unavailable", "5"),
        ("InternalDependencyException", "dependency", "endpoint_unavailable", "5"),
        (
            "ValidationError",
            f"Endpoint {ENDPOINT} of account 123456789012 not found.",
            "endpoint_unavailable",
            None,
        ),
    ],
)
def test_unavailable_endpoint_is_503(api, code, message, expected, retry_after):
    api.runtime.error = client_error(code, message)
    answer = api.predict({"review": "good"})
    assert answer.status == 503
    assert error_of(answer)["code"] == expected
    assert answer.headers.get("Retry-After") == retry_after
    assert "123456789012" not in answer.text


def test_unreachable_endpoint_is_503(api):
    api.runtime.error = EndpointConnectionError(endpoint_url="https://runtime.sagemaker.test")
    answer = api.predict({"review": "good"})
    assert answer.status == 503
    assert "runtime.sagemaker.test" not in answer.text


def test_missing_endpoint_name_is_503_without_calling_aws(api):
    import dataclasses

    import handler

    settings = dataclasses.replace(handler._service.settings, endpoint_name="")
    handler.configure(settings=settings, runtime=api.runtime, sagemaker=api.sagemaker)
    assert api.predict({"review": "good"}).status == 503
    assert api.call("GET", "/health").status == 503
    assert api.runtime.calls == [] and api.sagemaker.calls == 0


# -- 504 -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url="https://runtime.sagemaker.test/invocations"),
        ConnectTimeoutError(endpoint_url="https://runtime.sagemaker.test/invocations"),
    ],
)
def test_timeouts_are_504(api, error):
    api.runtime.error = error
    answer = api.predict({"review": "good"})
    assert answer.status == 504
    assert error_of(answer)["code"] == "endpoint_timeout"


def test_timeout_while_reading_the_answer_is_504(api):
    api.runtime.body_error = ReadTimeoutError(endpoint_url="https://runtime.sagemaker.test")
    assert api.predict({"review": "good"}).status == 504


# -- 500 -----------------------------------------------------------------------------------
def test_unexpected_exception_is_500_logged_with_stack_but_not_returned(api, handler_logs):
    api.runtime.error = RuntimeError("secret internal detail")
    answer = api.predict({"review": "good"})
    assert answer.status == 500
    error = error_of(answer)
    assert error["code"] == "internal_error"
    assert error["request_id"] in error["message"]
    assert "secret internal detail" not in answer.text
    logged = [r for r in handler_logs if r.exc_info]
    assert logged and "secret internal detail" in str(logged[0].exc_info[1])


def test_our_own_permission_error_is_500_not_an_upstream_error(api):
    api.runtime.error = client_error("AccessDeniedException", "not authorized to perform", 403)
    answer = api.predict({"review": "good"})
    assert answer.status == 500
    assert "not authorized" not in answer.text


def test_error_metrics_carry_the_error_code(api, capsys):
    api.predict({"reviews": []})
    records = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and "_aws" in line
    ]
    errors = [r for r in records if "PredictionErrors" in r]
    assert errors and errors[0]["ErrorCode"] == "invalid_request"
    assert ["ErrorCode"] in [
        sorted(set(d) - {"service"})
        for d in errors[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    ]


# -- GET /health -----------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["InService", "Updating", "RollingBack"])
def test_health_reports_a_serving_endpoint(api, status):
    api.sagemaker.status = status
    answer = api.call("GET", "/health", content_type=None)
    assert answer.status == 200
    assert answer.json == {"status": "ok", "endpoint_status": status, "model": "v7"}


@pytest.mark.parametrize("status", ["Creating", "Failed", "OutOfService", "Deleting"])
def test_health_is_503_when_the_endpoint_cannot_serve(api, status):
    api.sagemaker.status = status
    answer = api.call("GET", "/health")
    assert answer.status == 503
    assert answer.json["endpoint_status"] == status
    assert error_of(answer)["code"] == "endpoint_unavailable"


@pytest.mark.parametrize(
    "error",
    [
        ClientError(
            {"Error": {"Code": "ValidationError", "Message": "Could not find endpoint"}},
            "DescribeEndpoint",
        ),
        ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
            "DescribeEndpoint",
        ),
        ReadTimeoutError(endpoint_url="https://api.sagemaker.test"),
    ],
)
def test_health_is_503_when_describe_fails(api, error):
    api.sagemaker.error = error
    answer = api.call("GET", "/health")
    assert answer.status == 503
    assert error_of(answer)["code"] == "endpoint_unavailable"
    assert "Could not find" not in answer.text


def test_health_caches_describe_calls(api):
    for _ in range(3):
        assert api.call("GET", "/health").status == 200
    assert api.sagemaker.calls == 1


def test_health_does_not_cache_failures(api):
    api.sagemaker.error = ReadTimeoutError(endpoint_url="https://api.sagemaker.test")
    assert api.call("GET", "/health").status == 503
    api.sagemaker.error = None
    assert api.call("GET", "/health").status == 200
    assert api.sagemaker.calls == 2


def test_scores_are_floats_even_when_the_model_sends_integers(api):
    api.runtime.model = lambda body: b'{"predictions": [{"label": "negative", "score": 1}]}'
    answer = api.predict({"review": "good"})
    assert answer.status == 200
    score = answer.json["predictions"][0]["score"]
    assert isinstance(score, float) and math.isclose(score, 1.0)
