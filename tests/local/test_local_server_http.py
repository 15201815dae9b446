"""The local twin end to end: HTTP -> proxy event -> Lambda handler -> the trained model."""

from __future__ import annotations

import http.client
import json

import pytest
from local_http import post_json, request


def test_predict_over_http_uses_the_trained_model(server):
    reviews = ["A wonderful, moving film. I loved it.", "Dull, awful and far too long."]
    status, headers, body = post_json(server, {"reviews": reviews})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == server.base_url
    assert body["model"].startswith("local-")
    assert [p["label"] for p in body["predictions"]] == ["positive", "negative"]
    # The score is the probability of the label given, so never below one half.
    assert all(0.5 <= p["score"] <= 1.0 for p in body["predictions"])


def test_markup_only_review_is_empty_to_the_handler_as_to_the_model(server):
    """One rule for an empty review: the handler refuses markup alone, naming the review."""
    status, _, body = post_json(server, {"reviews": ["Fine.", "<br /><br />"]})
    assert (status, body["error"]["code"]) == (400, "empty_review")
    assert body["error"]["message"] == "reviews[1] is empty."


def test_handler_errors_pass_through_http_as_json(server):
    status, _, body = post_json(server, {"reviews": ["fine", ""]})
    assert (status, body["error"]["code"]) == (400, "empty_review")
    status, _, body = post_json(server, {"review": "fine"}, content_type="text/plain")
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    status, headers, data = request(server, "GET", "/predict")
    assert status == 405 and headers["Allow"] == "POST, OPTIONS"
    status, _, data = request(server, "DELETE", "/anything")
    assert status == 404 and json.loads(data)["error"]["code"] == "not_found"


def test_bytes_that_are_not_utf8_reach_the_handler_base64_encoded(server):
    status, _, data = request(
        server, "POST", "/predict", b'{"review": "\xff"}', {"Content-Type": "application/json"}
    )
    assert status == 400
    assert "UTF-8" in json.loads(data)["error"]["message"]


def test_health_over_http(server):
    status, _, data = request(server, "GET", "/health")
    assert status == 200
    assert json.loads(data)["endpoint_status"] == "InService"


def test_body_over_the_gateway_limit_is_refused_unread(server):
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.putrequest("POST", "/predict")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(50 * 1024 * 1024))
        connection.endheaders()
        answer = connection.getresponse()
        assert answer.status == 413
        assert json.loads(answer.read())["error"]["code"] == "payload_too_large"
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "content_type", "needle"),
    [
        ("/", "text/html", b'id="predict-form"'),
        ("/index.html", "text/html", b"<title>Review sentiment</title>"),
        ("/app.js", "javascript", b"x-api-key"),
        ("/reviews.js", "javascript", b"export function createReviewList"),
        ("/results.js", "javascript", b"export function renderPredictions"),
        ("/style.css", "text/css", b".bar-fill"),
        ("/config.js", "javascript", b'apiBaseUrl: ""'),
    ],
)
def test_static_page_is_served(server, path, content_type, needle):
    status, headers, data = request(server, "GET", path)
    assert status == 200
    assert content_type in headers["Content-type"]
    assert needle in data


@pytest.mark.parametrize("path", ["/missing.js", "/../pyproject.toml", "/%2e%2e/pyproject.toml"])
def test_nothing_outside_web_is_served(server, path):
    status, _, data = request(server, "GET", path)
    assert status == 404
    assert b"reviews-ml-platform" not in data
