"""The local twin end to end: HTTP -> proxy event -> Lambda handler -> the trained model."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalRuntime
from serve import running_server

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(trained_model_dir):
    with running_server(model_dir=trained_model_dir) as running:
        yield running


@pytest.fixture(scope="module")
def runtime(trained_model_dir) -> LocalRuntime:
    return LocalRuntime(trained_model_dir)


def request(server, method: str, path: str, body: bytes | None = None, headers=None):
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def post_json(server, document, content_type="application/json"):
    status, headers, data = request(
        server, "POST", "/predict", json.dumps(document).encode(), {"Content-Type": content_type}
    )
    return status, headers, json.loads(data)


# -- the local runtime: boto3-shaped answers from inference.py --------------------------
def test_local_runtime_answers_like_boto3(runtime):
    answer = runtime.invoke_endpoint(
        EndpointName=runtime.endpoint_name,
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps({"reviews": ["A wonderful film.", "An awful film."]}).encode(),
    )
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["ContentType"].startswith("application/json")
    predictions = json.loads(answer["Body"].read())["predictions"]
    assert len(predictions) == 2
    assert {p["label"] for p in predictions} <= {"positive", "negative"}


def test_local_runtime_turns_input_errors_into_model_errors(runtime):
    with pytest.raises(ClientError) as raised:
        runtime.invoke_endpoint(
            EndpointName=runtime.endpoint_name,
            ContentType="application/json",
            Accept="application/json",
            Body=b'{"reviews": "not a list"}',
        )
    response = raised.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert 400 <= response["OriginalStatusCode"] < 500
    assert response["OriginalMessage"]


def test_local_runtime_knows_only_its_endpoint(runtime):
    with pytest.raises(ClientError) as raised:
        runtime.describe_endpoint(EndpointName="someone-else")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "not found" in raised.value.response["Error"]["Message"]
    assert runtime.describe_endpoint(EndpointName=runtime.endpoint_name)["EndpointStatus"] == (
        "InService"
    )


# -- over HTTP ------------------------------------------------------------------------------
def test_predict_over_http_uses_the_trained_model(server):
    reviews = ["A wonderful, moving film. I loved it.", "Dull, awful and far too long."]
    status, headers, body = post_json(server, {"reviews": reviews})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == server.base_url
    assert body["model"].startswith("local-")
    assert [p["label"] for p in body["predictions"]] == ["positive", "negative"]
    # The score is the probability of the label given, so never below one half.
    assert all(0.5 <= p["score"] <= 1.0 for p in body["predictions"])


def test_markup_only_review_is_rejected_by_the_model_as_400(server):
    """The handler passes it on (it has visible characters); the model's input_fn refuses it."""
    status, _, body = post_json(server, {"reviews": ["Fine.", "<br /><br />"]})
    assert status == 400
    assert body["error"]["code"] == "rejected_by_model"
    assert "review 1" in body["error"]["message"]


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


def test_the_page_holds_no_api_key_or_remote_code():
    web = REPO_ROOT / "web"
    for name in ("index.html", "app.js", "config.js", "style.css"):
        text = (web / name).read_text(encoding="utf-8")
        assert "http://" not in text.replace("http-equiv", "")
        assert "cdn" not in text.lower()
    assert "sessionStorage" in (web / "app.js").read_text(encoding="utf-8")
    assert "localStorage" not in (web / "app.js").read_text(encoding="utf-8")


# -- processes: graceful stop and the demo --------------------------------------------------
def test_serve_stops_gracefully_on_sigterm(trained_model_dir):
    env = {**os.environ, "PORT": "0", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            str(REPO_ROOT / "local" / "serve.py"),
            "--quiet",
            "--model-dir",
            str(trained_model_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        banner = process.stdout.readline()
        assert "Serving web/" in banner, banner
        base = banner.split(" on ")[1].split("/ ")[0]
        host, port = base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
        connection.close()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "Stopped." in output


def test_demo_prints_predictions_and_stops(trained_model_dir, capsys):
    from predict_demo import main as demo_main

    started = time.monotonic()
    assert demo_main(["--model-dir", str(trained_model_dir)]) == 0
    output = capsys.readouterr().out
    assert "POST /predict (4 reviews) -> 200" in output
    assert "empty_review" in output
    assert "Server stopped." in output
    assert time.monotonic() - started < 30
