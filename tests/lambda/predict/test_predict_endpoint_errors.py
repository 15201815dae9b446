"""The predict Lambda when the endpoint fails: every 5xx it answers, and why."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from predict_fakes import ENDPOINT, client_error, error_of


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


@pytest.mark.parametrize(
    "error",
    [
        ResponseStreamingError(error=ConnectionResetError("reset by peer")),
        IncompleteReadError(actual_bytes=10, expected_bytes=80),
    ],
)
def test_an_answer_cut_off_while_read_is_502_not_500(api, error):
    api.runtime.body_error = error
    answer = api.predict({"review": "good"})
    assert answer.status == 502
    assert error_of(answer)["code"] == "upstream_error"


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
