"""The request rules as plain functions: what each refusal says, before any handler runs."""

from __future__ import annotations

import dataclasses

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from predict_fakes import TEST_SETTINGS, proxy_event

from api_errors import ApiError
from request_rules import read_predict_request


def refusal(body: str | bytes, **kwargs) -> ApiError:
    event = APIGatewayProxyEvent(proxy_event("POST", "/predict", body, **kwargs))
    with pytest.raises(ApiError) as raised:
        read_predict_request(event, TEST_SETTINGS)
    return raised.value


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]", 'The body must be a JSON object with "reviews".'),
        ("{}", 'Missing field "reviews" (or "review").'),
        ('{"reviews": "good"}', "reviews must be a list of strings."),
        ('{"reviews": ["good", 3]}', "reviews[1] must be a string."),
        ('{"review": 5}', "review must be a string."),
        ('{"review": "good", "reviews": ["good"]}', 'Send either "review" or "reviews", not both.'),
        ('{"reviews": ["good"], "b": 1, "a": 2}', "Unknown field(s): 'a', 'b'."),
        ('{"reviews": []}', '"reviews" must hold at least one review.'),
        ('{"review": "\\ud800 good"}', "review is not valid Unicode text."),
    ],
)
def test_schema_and_rule_failures_say_what_is_wrong(body, message):
    error = refusal(body)
    assert (error.status, error.code, error.message) == (400, "invalid_request", message)


def test_a_lone_surrogate_in_the_body_text_is_not_utf8():
    error = refusal('{"review": "\ud800 good"}')
    assert (error.code, error.message) == ("invalid_json", "The request body is not valid UTF-8.")


def test_a_huge_base64_body_is_refused_before_decoding():
    settings = dataclasses.replace(TEST_SETTINGS, max_body_bytes=10)
    raw = proxy_event("POST", "/predict", None)
    # Not even base64: only its length can refuse it, as decoding would fail otherwise.
    raw.update(body="!" * 25, isBase64Encoded=True)
    with pytest.raises(ApiError) as raised:
        read_predict_request(APIGatewayProxyEvent(raw), settings)
    assert raised.value.code == "payload_too_large"


def test_a_single_review_is_forwarded_as_a_batch_of_one():
    event = APIGatewayProxyEvent(proxy_event("POST", "/predict", '{"review": "Très bon"}'))
    request = read_predict_request(event, TEST_SETTINGS)
    assert request.reviews == ["Très bon"]
    assert request.payload == '{"reviews": ["Très bon"]}'.encode()
