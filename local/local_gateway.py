"""API Gateway's side of a Lambda proxy call, locally: the event, the context, the answer.

`build_proxy_event` turns one HTTP request into a REST API proxy event (payload format
1.0), `LocalLambdaContext` stands in for the Lambda context object, and
`http_answer` turns the handler's proxy response back into status, headers and bytes.
"""

from __future__ import annotations

import base64
import dataclasses
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

# API Gateway's integration timeout, reported by the fake context as the time budget.
LAMBDA_BUDGET_MS = 29_000


@dataclasses.dataclass
class LocalLambdaContext:
    """The attributes of a Lambda context object that handler code and Powertools read."""

    aws_request_id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "predict-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:predict-local"
    log_group_name: str = "/aws/lambda/predict-local"
    log_stream_name: str = "local"
    started: float = dataclasses.field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        elapsed_ms = (time.monotonic() - self.started) * 1000
        return max(0, int(LAMBDA_BUDGET_MS - elapsed_ms))


def build_proxy_event(
    *,
    method: str,
    raw_path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload format 1.0) for one HTTP request."""
    parts = urlsplit(raw_path)
    path = parts.path or "/"
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    query = parse_qs(parts.query, keep_blank_values=True)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        # Bytes that are not text reach Lambda base64-encoded, as with binary media types.
        text, encoded = base64.b64encode(body).decode("ascii"), True
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/local{path}",
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": single.get("User-Agent")},
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


def http_answer(response: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body bytes of a proxy response, as API Gateway sends them on."""
    payload = response.get("body") or ""
    data = (
        base64.b64decode(payload)
        if response.get("isBase64Encoded")
        else str(payload).encode("utf-8")
    )
    headers = dict(response.get("headers") or {})
    pairs: list[tuple[str, str]] = []
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.pop(name, None)
        pairs.extend((name, str(value)) for value in values)
    pairs.extend((name, str(value)) for name, value in headers.items())
    return int(response.get("statusCode", 500)), pairs, data
