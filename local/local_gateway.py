"""API Gateway's side of a Lambda proxy call, locally: the event, the context, the answer.

`declared_body_length` refuses, as a front door would, requests whose framing could be
read two ways (the classic request-smuggling shapes), `build_proxy_event` turns one HTTP
request into a REST API proxy event (payload format 1.0), `LocalLambdaContext` stands in
for the Lambda context object, and `http_answer` turns the handler's proxy response back
into status, headers and bytes.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import time
import uuid
from email.message import Message
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

# API Gateway's integration timeout, reported by the fake context as the time budget.
LAMBDA_BUDGET_MS = 29_000
# API Gateway rejects larger payloads before Lambda runs; mimic that so nobody can make
# the local server buffer an arbitrary upload.
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
# RFC 9110: a field name is a token; a field value holds no control character but HTAB.
_FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD_VALUE_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class RequestRefusedError(Exception):
    """A request the gateway answers itself, before any Lambda runs."""

    def __init__(
        self,
        status: HTTPStatus,
        code: str | None,
        message: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        # Without a code, the status's own name: 431 is request_header_fields_too_large.
        self.code = code or status.phrase.lower().replace(" ", "_").replace("-", "_")
        self.status, self.message, self.headers = status, message, headers or []


def refusal_answer(error: RequestRefusedError) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of a refusal: the API's error body, and the connection closed
    (whatever is left of the request stays unread)."""
    request_id = str(uuid.uuid4())
    body = {"error": {"code": error.code, "message": error.message[:300], "request_id": request_id}}
    headers = [
        ("Content-Type", "application/json"),
        ("X-Request-Id", request_id),
        ("Connection", "close"),
        *error.headers,
    ]
    return error.status, headers, json.dumps(body).encode("utf-8")


def declared_body_length(headers: Message) -> int:
    """The body length the headers announce (0 without one), or a `RequestRefusedError`.

    Refused: a header section the parser had to guess at (a line without a name, a
    continuation line, control characters), any Transfer-Encoding (411: chunked bodies
    are not read, so a Content-Length is required) and a Content-Length that is not one
    plain non-negative integer. Each of these lets two parsers disagree on where the
    request ends; answering them closes the connection with the rest unread.
    """
    if headers.defects or headers.get_payload():
        raise RequestRefusedError(
            HTTPStatus.BAD_REQUEST, "bad_request", "The header section is malformed."
        )
    for name, value in headers.items():
        if not _FIELD_NAME.fullmatch(name) or _FIELD_VALUE_CONTROL.search(value):
            message = f"Header {name[:40]!r} holds characters HTTP does not allow."
            raise RequestRefusedError(HTTPStatus.BAD_REQUEST, "bad_request", message)
    if "Transfer-Encoding" in headers:
        message = "Send the body with a Content-Length; Transfer-Encoding is not accepted."
        raise RequestRefusedError(HTTPStatus.LENGTH_REQUIRED, "length_required", message)
    values = {value.strip() for value in headers.get_all("Content-Length") or []}
    if not values:
        return 0
    declared = values.pop()
    if values or not (declared.isascii() and declared.isdigit()):
        message = "Content-Length must be one non-negative integer."
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST, "bad_request", message)
    # int() refuses strings over 4,300 digits: compare lengths before converting.
    digits = declared.lstrip("0")
    if len(digits) > len(str(API_GATEWAY_MAX_BODY)) or int(digits or "0") > API_GATEWAY_MAX_BODY:
        message = "The request body exceeds the API's 10 MB limit."
        raise RequestRefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large", message)
    return int(digits or "0")


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
