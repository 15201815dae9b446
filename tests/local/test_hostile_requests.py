"""The local server against a hostile client: every mistake is a 4xx, never a crash.

Each case sends bytes no browser would and asserts the status, the API's JSON error body
and its code; the autouse fixture then checks that the server still answers GET /health.
Refusals close the connection, so nothing left of a refused request is ever read as a
request of its own. The handler's side of hostile bodies, without HTTP, is in
tests/lambda/predict/test_predict_hostile_bodies.py.
"""

from __future__ import annotations

import collections
import json
import socket

import pytest
from local_http import burst, request, send_raw


@pytest.fixture(autouse=True)
def still_serving_afterwards(server):
    yield
    status, _, _ = request(server, "GET", "/health")
    assert status == 200, "the server stopped answering after a hostile request"


def head(request_line: str, *headers: str) -> bytes:
    """A request head as latin-1 bytes, so that any byte value can be written."""
    return "\r\n".join([request_line, "Host: x", *headers, "", ""]).encode("latin-1")


def post(*headers: str, body: bytes = b"", path: str = "/predict") -> bytes:
    content = [f"Content-Length: {len(body)}"] if body else []
    return (
        head(f"POST {path} HTTP/1.1", "Content-Type: application/json", *content, *headers) + body
    )


# -- methods ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("request_line", "allow"),
    [
        ("TRACE / HTTP/1.1", "GET, HEAD"),
        ("TRACE /predict HTTP/1.1", "POST, OPTIONS"),
        ("CONNECT example.com:443 HTTP/1.1", "GET, HEAD"),
        ("FOO /health HTTP/1.1", "GET, OPTIONS"),
        ("get /index.html HTTP/1.1", "GET, HEAD"),
        ("PROPFIND /predict HTTP/1.1", "POST, OPTIONS"),
    ],
)
def test_a_method_nothing_serves_is_a_json_405(server, request_line, allow):
    answer = send_raw(server, head(request_line))
    assert answer.status == 405
    assert answer.error["code"] == "method_not_allowed"
    assert answer.headers["Allow"] == allow
    assert answer.headers["Connection"] == "close"


# -- paths ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/index%00.html",
        "/index\x00.html",
        "/%ff%fe",
        "/\xff\xfe.js",
        "/%ed%a0%80.js",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/web/../../pyproject.toml",
        "/..\\..\\pyproject.toml",
        "/./../../../../../../etc/passwd",
    ],
)
def test_a_static_path_no_file_can_have_is_404_and_stays_in_web(server, path):
    answer = send_raw(server, head(f"GET {path} HTTP/1.1", "Connection: close"))
    assert answer.status == 404
    assert answer.error["code"] == "not_found"
    assert b"root:" not in answer.body and b"reviews-ml-platform" not in answer.body


@pytest.mark.parametrize("path", ["/predict%00", "/predict\x00", "/health%ff", "/predict\xff"])
def test_api_paths_with_odd_bytes_are_a_json_404(server, path):
    answer = send_raw(server, post("Connection: close", body=b"{}", path=path))
    assert answer.status == 404
    assert answer.error["code"] == "not_found"


def test_a_static_get_never_reads_its_body_as_a_second_request(server):
    smuggled = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = send_raw(
        server, head("GET /style.css HTTP/1.1", f"Content-Length: {len(smuggled)}") + smuggled
    )
    assert answer.status == 200
    assert answer.after == b""


# -- framing ----------------------------------------------------------------------------
CHUNKED = b'11\r\n{"review": "ok"}\r\n0\r\n\r\n'


@pytest.mark.parametrize(
    "framing",
    [("Transfer-Encoding: chunked",), ("Transfer-Encoding: chunked", "Content-Length: 16")],
)
def test_a_chunked_body_is_411_and_its_chunks_are_never_parsed(server, framing):
    """411 rather than reading chunks: browsers and curl --data send a Content-Length, and a
    server that never decodes Transfer-Encoding cannot disagree about where a body ends."""
    answer = send_raw(server, post(*framing) + CHUNKED)
    assert answer.status == 411
    assert answer.error["code"] == "length_required"
    assert answer.after == b""


@pytest.mark.parametrize(
    "lengths", [("-5",), ("abc",), ("+2",), ("1_0",), ("2, 2",), ("2", "3"), ("0x2",)]
)
def test_a_content_length_that_is_not_one_plain_integer_is_400(server, lengths):
    headers = [f"Content-Length: {value}" for value in lengths]
    answer = send_raw(server, post(*headers) + b"{}")
    assert answer.status == 400
    assert answer.error["code"] == "bad_request"
    assert "Content-Length" in answer.error["message"]


@pytest.mark.parametrize("length", [str(10**30), "9" * 5000, str(10 * 1024 * 1024 + 1)])
def test_an_absurd_content_length_is_413_before_any_byte_is_read(server, length):
    answer = send_raw(server, post(f"Content-Length: {length}", "Expect: 100-continue"))
    # No "100 Continue" first: the refusal comes before the upload is invited.
    assert answer.raw.startswith(b"HTTP/1.1 413 ")
    assert answer.error["code"] == "payload_too_large"


def test_expect_100_continue_still_invites_a_body_that_passes(server):
    body = json.dumps({"review": "A fine film."}).encode()
    answer = send_raw(server, post("Expect: 100-continue", "Connection: close", body=body))
    assert answer.raw.startswith(b"HTTP/1.1 100 Continue\r\n")
    assert answer.status == 200


# -- headers ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    [
        "X-Note: a\x01b",
        "X-Note: a\x00b",
        "X-Note: a\x7fb",
        "X-Note: a\x1b[31mred",
        "X-Note: folded\r\n continuation",
        "no colon on this line",
        "X Note: space in the name",
        "X-Caf\xe9: latin-1 name",
        ": no name",
    ],
)
def test_control_characters_and_malformed_header_lines_are_400(server, header):
    answer = send_raw(server, head("GET /health HTTP/1.1", header, "Connection: close"))
    assert answer.status == 400
    assert answer.error["code"] == "bad_request"


@pytest.mark.parametrize("header", ["X-Note: tab\tinside", "X-Note: caf\xe9 (obs-text)"])
def test_tabs_and_latin1_text_in_header_values_are_allowed(server, header):
    answer = send_raw(server, head("GET /health HTTP/1.1", header, "Connection: close"))
    assert answer.status == 200


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (
            head("GET /health HTTP/1.1", "X-Big: " + "a" * 70_000),
            431,
            "request_header_fields_too_large",
        ),
        (
            head("GET /health HTTP/1.1", *(f"X-{n}: a" for n in range(150))),
            431,
            "request_header_fields_too_large",
        ),
        (head("GET /" + "a" * 70_000 + " HTTP/1.1"), 414, "request_uri_too_long"),
    ],
    ids=["one-70k-header", "150-headers", "70k-request-line"],
)
def test_oversized_request_heads_are_refused(server, raw, status, code):
    answer = send_raw(server, raw)
    assert (answer.status, answer.error["code"]) == (status, code)


# -- protocol ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (head("GET / HTTP/2.0"), 505),
        (head("GET / HTTP/1.x"), 400),
        # HTTP/0.9. The stdlib reads a header section even here (a client that never ends it
        # waits out the 15 s timeout, like any slow client), so this one sends a blank line.
        (b"GET /\r\n\r\n", 400),
        (head("GET http://evil.example/ HTTP/1.1"), 400),
        (head("OPTIONS * HTTP/1.1"), 400),
        (head("GET / / HTTP/1.1"), 400),
        # The start of a TLS ClientHello: https:// sent to the plain-HTTP port.
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 400),
    ],
    ids=["http2", "bad-version", "http0.9", "absolute-url", "asterisk", "four-words", "tls"],
)
def test_requests_that_are_not_http_1_are_refused_with_a_status_line(server, raw, status):
    answer = send_raw(server, raw)
    assert answer.raw.startswith(b"HTTP/1.")
    assert answer.status == status
    assert answer.error["code"]


# -- bodies through HTTP to the handler -------------------------------------------------
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"[" * 5000 + b"]" * 5000, "invalid_json"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "invalid_json"),
        (b'{"reviews": ' + b"[" * 5000 + b"]" * 5000 + b"}", "invalid_json"),
        (b'{"review": "good", "review": "bad"}', "invalid_json"),
        (b'{"review": NaN}', "invalid_json"),
        (b'{"review": ' + b"9" * 5000 + b"}", "invalid_json"),
        (b'{"review": 1e999}', "invalid_request"),
        (b"null", "invalid_request"),
        (b'"a string"', "invalid_request"),
        (b"[1, 2]", "invalid_request"),
        (b"42", "invalid_request"),
    ],
    ids=[
        "deep-arrays",
        "deep-objects",
        "deep-reviews",
        "duplicate-keys",
        "nan",
        "5000-digit-number",
        "huge-float",
        "null",
        "string",
        "array",
        "number",
    ],
)
def test_hostile_json_bodies_are_400_with_a_code(server, body, code):
    status, headers, data = request(
        server, "POST", "/predict", body, {"Content-Type": "application/json"}
    )
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    assert json.loads(data)["error"]["code"] == code


def test_a_huge_content_type_is_415_with_a_short_message(server):
    status, _, data = request(
        server, "POST", "/predict", b"{}", {"Content-Type": "text/" + "x" * 20_000}
    )
    error = json.loads(data)["error"]
    assert (status, error["code"]) == (415, "unsupported_media_type")
    assert len(error["message"]) < 200


# -- clients that go away ---------------------------------------------------------------
@pytest.mark.parametrize(
    "partial",
    [
        b"",
        b"GET /hea",
        b"GET /health HTTP/1.1\r\nHost: x\r\n",
        post("Content-Length: 100") + b'{"rev',
    ],
    ids=["nothing", "half-a-request-line", "no-blank-line", "half-a-body"],
)
def test_a_client_hanging_up_mid_request_leaves_the_server_serving(server, partial):
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), port), timeout=10) as sock:
        sock.sendall(partial)
    # The thread that served it is left waiting or failing; the server is not.
    assert request(server, "GET", "/health")[0] == 200


# -- load -------------------------------------------------------------------------------
def test_a_burst_of_200_connections_is_answered_without_a_reset(server):
    """The stdlib's listen backlog of 5 reset 83-115 of these; every one must get a 200."""
    outcomes = burst(server, 200)
    assert collections.Counter(outcomes) == {200: 200}
