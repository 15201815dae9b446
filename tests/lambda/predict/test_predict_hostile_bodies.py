"""The predict Lambda against hostile bodies: every one is a 4xx with a code, never a 5xx.

The proxy events are what API Gateway would forward if its request validator let them
through; the local server's side of hostile requests (methods, framing, headers, paths)
is in tests/local/test_hostile_requests.py.
"""

from __future__ import annotations

import dataclasses

import pytest
from predict_fakes import TEST_SETTINGS, error_of

import handler as handler_module

# Deep enough to exhaust the parser's recursion limit many times over, small enough for
# a 1 MiB body limit.
DEPTH = 5000
NOT_AN_OBJECT = 'The body must be a JSON object with "reviews".'


@pytest.fixture
def roomy_api(api):
    """The test API with the stages' 1 MiB body limit, so depth, not size, is refused."""
    settings = dataclasses.replace(TEST_SETTINGS, max_body_bytes=1_048_576)
    handler_module.configure(settings=settings, runtime=api.runtime, sagemaker=api.sagemaker)
    return api


def refusal(api, body: str) -> tuple[int, str, str]:
    """Status, error code and message of the answer to `body`, which never reached the model."""
    answer = api.predict(body)
    assert api.runtime.calls == []
    return answer.status, error_of(answer)["code"], error_of(answer)["message"]


@pytest.mark.parametrize(
    "body",
    [
        "[" * DEPTH + "]" * DEPTH,
        '{"a": ' * DEPTH + "1" + "}" * DEPTH,
        '{"reviews": ' + "[" * DEPTH + "]" * DEPTH + "}",
        '{"review": ' + '{"a": [' * DEPTH + "]}" * DEPTH + "}",
        # Unbalanced too: the parser gives up on depth before it notices.
        "[" * DEPTH,
    ],
    ids=["arrays", "objects", "in-reviews", "in-review", "unclosed"],
)
def test_deeply_nested_json_is_400_invalid_json_not_500(roomy_api, body, handler_logs):
    message = "The request body nests too deeply."
    assert refusal(roomy_api, body) == (400, "invalid_json", message)
    # Refused as a client mistake, not logged as a crash.
    assert not [record for record in handler_logs if record.levelname == "ERROR"]


def test_nesting_the_parser_can_read_is_refused_by_the_schema(roomy_api):
    body = '{"reviews": ["good"], "extra": ' + "[" * 500 + "]" * 500 + "}"
    assert refusal(roomy_api, body) == (400, "invalid_request", "Unknown field(s): 'extra'.")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"review": "good", "review": "bad"}', "The request body repeats the key 'review'."),
        (
            '{"reviews": ["good"], "reviews": ["bad"]}',
            "The request body repeats the key 'reviews'.",
        ),
        ('{"review": NaN}', "The request body is not valid JSON: NaN is not JSON."),
        ('{"review": -Infinity}', "The request body is not valid JSON: -Infinity is not JSON."),
        ('{"review": ' + "9" * 5000 + "}", "The request body holds a number too long to read."),
    ],
    ids=["duplicate-review", "duplicate-reviews", "nan", "infinity", "5000-digits"],
)
def test_json_that_two_parsers_could_read_differently_is_invalid_json(roomy_api, body, message):
    """Duplicate keys are the classic parser differential (first wins here, last there),
    and NaN/Infinity are Python's extension of JSON, which no other parser need accept."""
    assert refusal(roomy_api, body) == (400, "invalid_json", message)


def test_a_key_repeated_deep_inside_is_refused_as_well(roomy_api):
    body = '{"reviews": ["good"], "x": {"k": 1, "k": 2}}'
    assert refusal(roomy_api, body) == (
        400,
        "invalid_json",
        "The request body repeats the key 'k'.",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        *((body, NOT_AN_OBJECT) for body in ("null", "42", "true", '"good"', '[{"review": "a"}]')),
        ('{"review": 1e999}', "review must be a string."),
        ('{"reviews": [1e-999, "good"]}', "reviews[0] must be a string."),
    ],
)
def test_valid_json_of_the_wrong_shape_is_invalid_request(roomy_api, body, message):
    assert refusal(roomy_api, body) == (400, "invalid_request", message)


@pytest.mark.parametrize(
    "content_type",
    ["text/" + "x" * 10_000, "application/json\x00", "application/json; charset=" + "u" * 5000],
    ids=["10k-media-type", "nul", "5k-charset"],
)
def test_absurd_content_types_are_415_with_a_short_message(roomy_api, content_type):
    answer = roomy_api.predict({"review": "good"}, content_type=content_type)
    assert answer.status == 415
    assert len(error_of(answer)["message"]) < 200


def test_a_megabyte_of_small_objects_is_a_plain_400(roomy_api):
    """The duplicate-key check runs once per object: 300,000 of them are still just a body
    of the wrong shape."""
    body = "[" + ",".join(["{}"] * 300_000) + "]"
    assert refusal(roomy_api, body) == (400, "invalid_request", NOT_AN_OBJECT)


@pytest.mark.parametrize("body", ['\ufeff{"review": "good"}', '\x00{"review": "good"}'])
def test_a_byte_order_mark_or_a_nul_before_the_json_is_invalid_json(roomy_api, body):
    """Parsed as text, as the model parses what it is sent: no BOM skipped, no UTF-16 guessed."""
    assert refusal(roomy_api, body)[:2] == (400, "invalid_json")
