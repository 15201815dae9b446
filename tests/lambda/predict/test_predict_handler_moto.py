"""The handler's own boto3 clients (timeouts, retries, parsing) against moto's SageMaker."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemakerruntime.models import sagemakerruntime_backends
from predict_fakes import (
    TEST_SETTINGS,
    Api,
    FakeRuntime,
    FakeSageMaker,
    count_sends,
    error_answer,
)

import handler as handler_module

REGION = "eu-west-1"
IMAGE = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"


@pytest.fixture
def moto_api(fake_aws_environment):
    assert fake_aws_environment == REGION
    original = handler_module._service.settings
    with mock_aws():
        # Neither client given: the handler builds its real boto3 clients lazily.
        service = handler_module.configure(settings=TEST_SETTINGS)
        # The fakes only satisfy Api's signature; these tests go through boto3.
        yield Api(FakeRuntime(), FakeSageMaker()), service
    handler_module.configure(settings=original)


def _create_endpoint(name: str) -> None:
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_model(
        ModelName="reviews-model",
        ExecutionRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/sagemaker",
        PrimaryContainer={"Image": IMAGE},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="reviews-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "reviews-model",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName="reviews-config")


def test_clients_use_bounded_timeouts_and_standard_retries(moto_api):
    _, service = moto_api
    runtime = service.clients.runtime()
    config = runtime.meta.config
    assert config.connect_timeout == TEST_SETTINGS.connect_timeout_seconds
    assert config.read_timeout == TEST_SETTINGS.read_timeout_seconds
    # botocore counts the first call too: max_attempts=N retries means N + 1 calls.
    assert config.retries == {
        "mode": "standard",
        "total_max_attempts": TEST_SETTINGS.max_retries + 1,
    }
    # The same client is reused across invocations.
    assert service.clients.runtime() is runtime


def test_prediction_through_boto3(moto_api):
    api, _ = moto_api
    answer_body = {"predictions": [{"label": "negative", "score": 0.8, "uncertain": False}]}
    backend = sagemakerruntime_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.results_queue.append((json.dumps(answer_body), "application/json", "AllTraffic", ""))

    answer = api.predict({"review": "meh"})

    assert answer.status == 200
    assert answer.json["predictions"] == answer_body["predictions"]
    # moto answers with the variant queued beside the body, as InvokedProductionVariant.
    assert answer.json["variant"] == "AllTraffic"


def test_moto_default_answer_is_not_a_valid_model_answer(moto_api):
    api, _ = moto_api
    answer = api.predict({"review": "meh"})
    assert answer.status == 502
    assert answer.json["error"]["code"] == "invalid_model_response"


def test_health_of_a_missing_endpoint_is_503(moto_api):
    api, _ = moto_api
    answer = api.call("GET", "/health")
    assert answer.status == 503
    assert answer.json["error"]["code"] == "endpoint_unavailable"


def test_health_of_an_existing_endpoint(moto_api):
    api, service = moto_api
    _create_endpoint(TEST_SETTINGS.endpoint_name)
    answer = api.call("GET", "/health")
    assert answer.status == 200
    assert answer.json["endpoint_status"] == "InService"


def _count_sends(service, answer):
    """Answer every InvokeEndpoint HTTP attempt with `answer()`; return the attempt list."""
    event = "before-send.sagemaker-runtime.InvokeEndpoint"
    return count_sends(service.clients.runtime(), event, answer)


def test_throttling_is_retried_then_answered_503(moto_api):
    api, service = moto_api
    throttled = error_answer(400, "ThrottlingException", {"message": "Rate exceeded"})
    attempts = _count_sends(service, throttled)

    answer = api.predict({"review": "meh"})

    assert answer.status == 503
    assert answer.json["error"]["code"] == "throttled"
    assert len(attempts) == TEST_SETTINGS.max_retries + 1


def test_read_timeout_is_retried_then_answered_504(moto_api):
    api, service = moto_api

    def time_out(request):
        raise ReadTimeoutError(endpoint_url=request.url)

    attempts = _count_sends(service, time_out)
    answer = api.predict({"review": "meh"})
    assert answer.status == 504
    assert len(attempts) == TEST_SETTINGS.max_retries + 1


def test_model_error_is_not_retried(moto_api):
    api, service = moto_api
    body = {
        "Message": "Received server error (500)",
        "OriginalStatusCode": 500,
        "OriginalMessage": "Traceback ...",
    }
    attempts = _count_sends(service, error_answer(424, "ModelError", body))
    answer = api.predict({"review": "meh"})
    assert answer.status == 502
    assert answer.json["error"]["code"] == "model_error"
    assert len(attempts) == 1
