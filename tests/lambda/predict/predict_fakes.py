"""Test doubles for the predict Lambda: proxy events, fake SageMaker clients, a context.

The handler is exercised exactly as Lambda calls it (`handler.handler(event, context)`)
with the SageMaker clients replaced through `handler.configure`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

import handler as handler_module
from api_settings import Settings

ENDPOINT = "reviews-endpoint-test"
ORIGIN = "https://app.example.test"
TEST_SETTINGS = Settings(
    endpoint_name=ENDPOINT,
    model_version="v7",
    allowed_origin=ORIGIN,
    max_reviews=3,
    max_review_chars=40,
    max_body_bytes=1000,
    health_cache_seconds=30.0,
)


@dataclasses.dataclass
class FakeContext:
    aws_request_id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "predict-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:predict-test"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def keyword_model(body: bytes) -> bytes:
    """A stand-in model: 'good' anywhere means positive; the score grows with length and
    is uncertain below 0.55 (reviews under 5 characters), as the model contract says."""
    reviews = json.loads(body)["reviews"]
    predictions = []
    for review in reviews:
        positive = "good" in review.lower()
        score = min(0.99, 0.5 + len(review) / 100)
        predictions.append(
            {
                "label": "positive" if positive else "negative",
                "score": score,
                "probability_positive": score if positive else 1 - score,
                "uncertain": score < 0.55,
            }
        )
    return json.dumps({"predictions": predictions}).encode()


MODEL_CARD = {
    "model_version": "v7",
    "trained_at": "2026-11-30T12:00:00Z",
    "metrics": {"test": {"accuracy": 0.9, "precision": 0.91, "recall": 0.89, "f1": 0.9}},
    "confusion_matrix": {"labels": ["negative", "positive"], "test": [[45, 5], [6, 44]]},
    "uncertainty": {"validation": {"threshold": 0.7, "coverage": 0.8, "kept_accuracy": 0.97}},
    "data_rows": {"train": 800, "validation": 100, "test": 100},
}


class FakeRuntime:
    """sagemaker-runtime stand-in: answers through `model` (the card through `card`), or
    raises `error`; the variant that answers is the pinned one, else `variant`."""

    def __init__(self) -> None:
        self.model: Callable[[bytes], bytes] = keyword_model
        self.card: Callable[[], bytes] = lambda: json.dumps(MODEL_CARD).encode()
        self.variant = "AllTraffic"
        self.error: BaseException | None = None
        self.body_error: BaseException | None = None
        self.calls: list[dict[str, Any]] = []

    def invoke_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        if kwargs["ContentType"] == "application/vnd.reviews.model-card+json":
            payload = self.card()
        else:
            payload = self.model(kwargs["Body"])
        body = StreamingBody(_Stream(payload, self.body_error), len(payload))
        variant = kwargs.get("TargetVariant", self.variant)
        return {
            "Body": body,
            "ContentType": "application/json",
            "InvokedProductionVariant": variant,
        }


class _Stream:
    """A raw stream whose read() may fail, as a socket does when a read times out."""

    def __init__(self, payload: bytes, error: BaseException | None) -> None:
        self._payload = payload
        self._error = error

    def read(self, *_: Any) -> bytes:
        if self._error is not None:
            raise self._error
        payload, self._payload = self._payload, b""
        return payload


class FakeSageMaker:
    def __init__(self) -> None:
        self.status = "InService"
        self.error: BaseException | None = None
        self.calls = 0

    def describe_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return {"EndpointName": kwargs["EndpointName"], "EndpointStatus": self.status}


@dataclasses.dataclass
class ApiAnswer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


def proxy_event(
    method: str,
    path: str,
    body: str | bytes | dict | None = None,
    *,
    content_type: str | None = "application/json",
    base64_body: bool = False,
    resource: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event as the console's test template builds it."""
    if isinstance(body, dict):
        body = json.dumps(body)
    all_headers = {"Accept": "application/json", "Host": "abc.execute-api.eu-west-1.amazonaws.com"}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    all_headers.update(headers or {})
    if base64_body and body is not None:
        raw = body if isinstance(body, bytes) else body.encode("utf-8")
        body = base64.b64encode(raw).decode("ascii")
    return {
        "resource": resource if resource is not None else path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "stage": "test",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    """The headers a client receives: API Gateway merges both fields of a proxy response."""
    headers = {name: values[-1] for name, values in response.get("multiValueHeaders", {}).items()}
    headers.update(response.get("headers") or {})
    return headers


class Api:
    """Calls the Lambda entry point and checks what every answer must have."""

    def __init__(self, runtime: FakeRuntime, sagemaker: FakeSageMaker) -> None:
        self.runtime = runtime
        self.sagemaker = sagemaker

    def invoke(self, event: dict[str, Any]) -> ApiAnswer:
        context = FakeContext()
        response = handler_module.handler(event, context)
        headers = response_headers(response)
        # Every answer, errors included, carries CORS and a request id.
        assert headers["Access-Control-Allow-Origin"] == ORIGIN
        assert headers["X-Request-Id"] == context.aws_request_id
        assert response["isBase64Encoded"] is False
        text = response["body"]
        assert "Traceback" not in text and 'File "' not in text
        if response["statusCode"] != 204:
            assert headers["Content-Type"] == "application/json"
            body = json.loads(text)
            if response["statusCode"] >= 400:
                assert set(body["error"]) == {"code", "message", "request_id"}
                assert body["error"]["request_id"] == context.aws_request_id
        return ApiAnswer(response["statusCode"], headers, text)

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> ApiAnswer:
        return self.invoke(proxy_event(method, path, body, **kwargs))

    def predict(self, body: Any, **kwargs: Any) -> ApiAnswer:
        return self.call("POST", "/predict", body, **kwargs)


def client_error(code: str, message: str = "boom", status: int = 400, **modeled) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **modeled,
    }
    return ClientError(response, "InvokeEndpoint")


def error_of(answer) -> dict:
    return answer.json["error"]


def emf_records(captured_stdout: str) -> list[dict[str, Any]]:
    """The EMF metric records among what the handler printed."""
    return [
        json.loads(line)
        for line in captured_stdout.splitlines()
        if line.startswith("{") and "_aws" in line
    ]


def metric_names(record: dict[str, Any]) -> set[str]:
    return {metric["Name"] for metric in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]}


class _RawBody:
    """The raw HTTP body botocore reads from an answer."""

    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def stream(self, **_: Any) -> Any:
        yield self._payload


def count_sends(client: Any, event: str, answer: Callable[[Any], Any]) -> list[str]:
    """Answer every HTTP attempt of `client` at `event` ("before-send.<service>.<Op>")
    with `answer(request)`, in place of the network; return the attempted URLs."""
    attempts: list[str] = []

    def before_send(request: Any, **_: Any) -> Any:
        attempts.append(request.url)
        return answer(request)

    client.meta.events.register(event, before_send)
    return attempts


def error_answer(status: int, error_type: str, body: dict[str, Any]) -> Callable[[Any], Any]:
    """An HTTP error answer of an AWS JSON service, for `count_sends`."""
    payload = json.dumps(body).encode()
    return lambda request: AWSResponse(
        request.url, status, {"x-amzn-errortype": error_type}, _RawBody(payload)
    )
