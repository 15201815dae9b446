"""HTTP calls to a running local server, for the local serving tests."""

from __future__ import annotations

import http.client
import json
from typing import Any

from local_server import LocalApiServer


def request(
    server: LocalApiServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def post_json(
    server: LocalApiServer, document: Any, content_type: str = "application/json"
) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(document).encode()
    status, headers, answer = request(
        server, "POST", "/predict", data, {"Content-Type": content_type}
    )
    return status, headers, json.loads(answer)
