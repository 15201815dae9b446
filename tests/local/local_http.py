"""HTTP calls to a running local server, for the local serving tests.

`request` and `post_json` speak well-formed HTTP through http.client; `send_raw` writes
bytes no well-behaved client would send and reads everything the server answers until
it closes the connection; `burst` opens many connections at the same instant.
"""

from __future__ import annotations

import dataclasses
import http.client
import io
import json
import socket
import threading
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


@dataclasses.dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    # Whatever the server sent after the first answer, before closing: a second answer
    # here means it read part of the first request as another one.
    after: bytes
    # Everything received, interim answers (100 Continue) included.
    raw: bytes

    @property
    def error(self) -> dict[str, Any]:
        assert self.headers["Content-Type"] == "application/json"
        error: dict[str, Any] = json.loads(self.body)["error"]
        assert set(error) == {"code", "message", "request_id"}
        return error


class _Recorded:
    """What http.client.HTTPResponse needs of a socket, over bytes already received."""

    class _File(io.BytesIO):
        def close(self) -> None:
            """HTTPResponse closes its file after the body; what follows is still wanted."""

    def __init__(self, data: bytes) -> None:
        self.file = self._File(data)

    def makefile(self, *_: Any) -> io.BytesIO:
        return self.file


def send_raw(server: LocalApiServer, data: bytes, *, method: str = "GET") -> RawAnswer:
    """Send `data` as it is and read until the server closes the connection.

    A server that keeps the connection open times the read out (10 s), which fails the
    test: send `Connection: close` where keep-alive is expected.
    """
    host, port = server.server_address[:2]
    received = bytearray()
    with socket.create_connection((str(host), port), timeout=10) as sock:
        sock.sendall(data)
        while chunk := sock.recv(65536):
            received += chunk
    recorded = _Recorded(bytes(received))
    answer = http.client.HTTPResponse(recorded, method=method)  # type: ignore[arg-type]
    answer.begin()
    body = answer.read()
    after = recorded.file.read()
    return RawAnswer(answer.status, dict(answer.getheaders()), body, after, bytes(received))


def burst(server: LocalApiServer, count: int, path: str = "/health") -> list[int | str]:
    """`count` connections opened at the same instant, one GET each: the statuses, or the
    name of the error a connection met (ConnectionResetError, TimeoutError, ...)."""
    host, port = server.server_address[:2]
    start = threading.Barrier(count)
    outcomes: list[int | str] = ["not run"] * count

    def one(index: int) -> None:
        start.wait()
        try:
            with socket.create_connection((str(host), port), timeout=20) as sock:
                sock.sendall(
                    f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
                )
                received = bytearray()
                while chunk := sock.recv(65536):
                    received += chunk
            outcomes[index] = int(received.split(b" ", 2)[1]) if received else "empty answer"
        except OSError as err:
            outcomes[index] = type(err).__name__

    threads = [threading.Thread(target=one, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
