"""One request schema, two enforcement points: API Gateway's model is the JSON file."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk.assertions import Template

from predict_request import predict_request_schema
from stacks.constructs.serving.request_model import predict_request_model_schema, to_api_schema


def test_the_gateway_model_is_the_schema_file(stack):
    api = apigw.RestApi(stack, "Api")
    api.root.add_method("ANY")
    api.add_model(
        "PredictRequest", content_type="application/json", schema=predict_request_model_schema()
    )
    (model,) = Template.from_stack(stack).find_resources("AWS::ApiGateway::Model").values()
    assert model["Properties"]["Schema"] == predict_request_schema()


def test_a_keyword_the_converter_does_not_know_is_refused_not_dropped():
    with pytest.raises(ValueError, match="format"):
        to_api_schema({"type": "string", "format": "email"})


def test_nested_schemas_and_lists_convert(stack):
    schema = {
        "type": "object",
        "properties": {"a": {"type": "array", "items": {"type": "integer"}, "maxItems": 3}},
        "anyOf": [{"required": ["a"]}],
        "additionalProperties": {"type": "string"},
    }
    api = apigw.RestApi(cdk.Stack(cdk.App(), "Other"), "Api")
    api.root.add_method("ANY")
    api.add_model("M", content_type="application/json", schema=to_api_schema(schema))
    (model,) = (
        Template.from_stack(cdk.Stack.of(api)).find_resources("AWS::ApiGateway::Model").values()
    )
    # API Gateway models are draft-04; the CDK names the version when the schema does not.
    draft4 = "http://json-schema.org/draft-04/schema#"
    assert model["Properties"]["Schema"] == {"$schema": draft4, **schema}
