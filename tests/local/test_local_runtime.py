"""The SageMaker endpoint's local twin: boto3-shaped answers from the model's inference.py."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalRuntime


@pytest.fixture(scope="module")
def runtime(trained_model_dir) -> LocalRuntime:
    return LocalRuntime(trained_model_dir)


def test_local_runtime_answers_like_boto3(runtime):
    answer = runtime.invoke_endpoint(
        EndpointName=runtime.endpoint_name,
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps({"reviews": ["A wonderful film.", "An awful film."]}).encode(),
    )
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["ContentType"].startswith("application/json")
    predictions = json.loads(answer["Body"].read())["predictions"]
    assert len(predictions) == 2
    assert {p["label"] for p in predictions} <= {"positive", "negative"}


def test_local_runtime_turns_input_errors_into_model_errors(runtime):
    with pytest.raises(ClientError) as raised:
        runtime.invoke_endpoint(
            EndpointName=runtime.endpoint_name,
            ContentType="application/json",
            Accept="application/json",
            Body=b'{"reviews": "not a list"}',
        )
    response = raised.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert 400 <= response["OriginalStatusCode"] < 500
    assert response["OriginalMessage"]


def test_local_runtime_knows_only_its_endpoint(runtime):
    with pytest.raises(ClientError) as raised:
        runtime.describe_endpoint(EndpointName="someone-else")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "not found" in raised.value.response["Error"]["Message"]
    assert runtime.describe_endpoint(EndpointName=runtime.endpoint_name)["EndpointStatus"] == (
        "InService"
    )
