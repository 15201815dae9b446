"""API Gateway's request model, built from the one JSON Schema the Lambda validates with."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import aws_apigateway as apigw

from predict_request import predict_request_schema

_VERSIONS = {"http://json-schema.org/draft-04/schema#": apigw.JsonSchemaVersion.DRAFT4}
# Keywords whose value is a schema, a list of schemas or a map of schemas.
_SCHEMA = {"items", "additionalProperties", "not"}
_SCHEMA_LISTS = {"oneOf", "anyOf", "allOf"}
_SCHEMA_MAPS = {"properties", "patternProperties", "definitions"}
# Keywords copied as they are.
_PLAIN = {
    "title",
    "description",
    "required",
    "enum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "pattern",
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def to_api_schema(document: dict[str, Any]) -> apigw.JsonSchema:
    """The CDK form of a JSON Schema document; an unknown keyword raises (never dropped)."""
    fields: dict[str, Any] = {}
    for keyword, value in document.items():
        if keyword == "$schema":
            fields["schema"] = _VERSIONS[value]
        elif keyword == "type":
            fields["type"] = apigw.JsonSchemaType(value.upper())
        elif keyword in _SCHEMA:
            fields[_snake(keyword)] = value if isinstance(value, bool) else to_api_schema(value)
        elif keyword in _SCHEMA_LISTS:
            fields[_snake(keyword)] = [to_api_schema(item) for item in value]
        elif keyword in _SCHEMA_MAPS:
            fields[_snake(keyword)] = {k: to_api_schema(v) for k, v in value.items()}
        elif keyword in _PLAIN:
            fields[_snake(keyword)] = value
        else:
            raise ValueError(f"JSON Schema keyword {keyword!r} has no API Gateway mapping here")
    return apigw.JsonSchema(**fields)


def predict_request_model_schema() -> apigw.JsonSchema:
    """Structure only: emptiness, lengths and counts stay with the Lambda, which answers
    them with precise codes (`empty_review`, 413 `review_too_long`, `too_many_reviews`),
    so the API's contract is the same in the cloud as in the local twin."""
    return to_api_schema(predict_request_schema())
