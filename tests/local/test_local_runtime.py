"""The SageMaker endpoint's local twin: boto3-shaped answers from the model's inference.py."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalRuntime


@pytest.fixture(scope="module")
def runtime(trained_model_dir) -> LocalRuntime:
    return LocalRuntime(trained_model_dir)


def _invoke(runtime: LocalRuntime, body: bytes, **kwargs) -> dict:
    arguments = {"ContentType": "application/json", "Accept": "application/json"} | kwargs
    return runtime.invoke_endpoint(EndpointName=runtime.endpoint_name, Body=body, **arguments)


def test_local_runtime_answers_like_boto3(runtime):
    answer = _invoke(runtime, json.dumps({"reviews": ["A wonderful film.", "An awful film."]}))
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["ContentType"].startswith("application/json")
    predictions = json.loads(answer["Body"].read())["predictions"]
    assert len(predictions) == 2
    assert {p["label"] for p in predictions} <= {"positive", "negative"}
    # "*/*" is the container's default Accept, JSON; CSV bodies arrive as text.
    answer = _invoke(runtime, b"A wonderful film.\n", ContentType="text/csv", Accept="*/*")
    assert len(json.loads(answer["Body"].read())["predictions"]) == 1


@pytest.mark.parametrize(
    ("body", "arguments", "status", "code"),
    [
        (b'{"reviews": "not a list"}', {}, 400, "invalid_type"),
        (b'{"review": "fine"}', {"ContentType": "text/plain"}, 415, "unsupported_media_type"),
        (b'{"review": "fine"}', {"Accept": "text/csv"}, 406, "not_acceptable"),
        (json.dumps({"reviews": ["fine"] * 257}).encode(), {}, 413, "batch_too_large"),
    ],
)
def test_local_runtime_answers_bad_requests_as_the_container(
    runtime, body, arguments, status, code
):
    with pytest.raises(ClientError) as raised:
        _invoke(runtime, body, **arguments)
    response = raised.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["OriginalStatusCode"] == status
    # The container's answer body, as SageMaker passes it on.
    error = json.loads(response["OriginalMessage"])["error"]
    assert error["code"] == code
    assert error["message"].startswith(f"{code}: ")
    assert f"client error ({status})" in response["Error"]["Message"]


def test_local_runtime_knows_only_its_endpoint(runtime):
    with pytest.raises(ClientError) as raised:
        runtime.describe_endpoint(EndpointName="someone-else")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "not found" in raised.value.response["Error"]["Message"]
    assert runtime.describe_endpoint(EndpointName=runtime.endpoint_name)["EndpointStatus"] == (
        "InService"
    )
