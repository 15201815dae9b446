"""The one request schema: what it accepts and refuses (the Lambda and API Gateway use it)."""

from __future__ import annotations

import fastjsonschema
import pytest

from predict_request import SCHEMA_FILE, predict_request_schema

VALIDATE = fastjsonschema.compile(predict_request_schema())


@pytest.mark.parametrize("body", [{"review": "good"}, {"reviews": ["a", "b"]}, {"reviews": []}])
def test_structurally_valid_bodies_pass(body):
    VALIDATE(body)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"review": "a", "reviews": ["b"]},
        {"review": 3},
        {"reviews": "not a list"},
        {"reviews": ["ok", 4]},
        {"review": "a", "extra": 1},
        ["review"],
    ],
)
def test_structurally_invalid_bodies_fail(body):
    with pytest.raises(fastjsonschema.JsonSchemaException):
        VALIDATE(body)


def test_the_schema_is_draft_4_for_api_gateway_and_returned_as_a_copy():
    schema = predict_request_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    schema["title"] = "changed"
    assert predict_request_schema()["title"] == "PredictRequest"
    assert SCHEMA_FILE.name == "predict_request.schema.json"
