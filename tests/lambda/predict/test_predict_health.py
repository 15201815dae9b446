"""GET /health through the predict Lambda: the endpoint's status, cached."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from predict_fakes import error_of


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
