"""Local twin of CloudFront + API Gateway + Lambda: `make serve` (python local/serve.py).

A stdlib ThreadingHTTPServer on 127.0.0.1 that serves `web/` as static files and turns
POST /predict, GET /health (and any other API call) into an API Gateway REST proxy
event for the very same `lambda/predict/handler.py` the cloud runs. The handler's
SageMaker clients are replaced by `local_runtime.LocalRuntime`, which runs the
locally trained model (`--model-dir`, default build/model/model) in process.

One lock serialises handler calls: a warm Lambda instance handles one event at a time,
and Powertools keeps per-process metric state that concurrent calls would mix up.
SIGINT/SIGTERM stop accepting connections, let the running handler call finish and exit.

    python local/serve.py [--model-dir DIR] [--port 8080] [--quiet]

PORT sets the default port; 0 picks a free one.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import json
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
WEB_ROOT = REPO_ROOT / "web"
LAMBDA_ROOT = REPO_ROOT / "lambda" / "predict"
for _path in (LAMBDA_ROOT, Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from local_runtime import DEFAULT_MODEL_DIR, LocalRuntime  # noqa: E402

# API Gateway rejects larger payloads before Lambda runs; mimic that so nobody can make
# the local server buffer an arbitrary upload.
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
# Routes that always go to the Lambda, whatever the method (everything else GET is static).
API_ROUTES = frozenset({"/predict", "/health"})
# API Gateway's integration timeout, reported by the fake context as the time budget.
LAMBDA_BUDGET_MS = 29_000


@dataclasses.dataclass
class LocalLambdaContext:
    """The attributes of a Lambda context object that handler code and Powertools read."""

    aws_request_id: str
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
    request_id = str(uuid.uuid4())
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
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": single.get("User-Agent")},
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


def load_handler(runtime: LocalRuntime, *, quiet: bool, allowed_origin: str | None) -> ModuleType:
    """Import the Lambda handler and point it at the in-process model."""
    if quiet and "handler" not in sys.modules:
        # Powertools reads these when the handler module builds its logger and metrics, so
        # they only work before the first import; a host that already imported the handler
        # (a test run) keeps its own settings rather than have them changed underneath it.
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    import handler

    settings = dataclasses.replace(
        handler.SETTINGS,
        endpoint_name=runtime.endpoint_name,
        model_version=os.environ.get("MODEL_VERSION") or runtime.model_version,
        allowed_origin=os.environ.get("ALLOWED_ORIGIN") or allowed_origin or "*",
    )
    handler.configure(settings=settings, runtime=runtime, sagemaker=runtime)
    return handler


class LocalApiServer(ThreadingHTTPServer):
    """Serves web/ and hands API calls to the Lambda handler, one call at a time."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, quiet: bool) -> None:
        super().__init__(address, _RequestHandler)
        self.quiet = quiet
        self.handler_module: ModuleType | None = None
        self.lambda_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        if self.handler_module is None:
            raise RuntimeError("handler not loaded")
        context = LocalLambdaContext(aws_request_id=str(uuid.uuid4()))
        with self.lambda_lock:
            return self.handler_module.handler(event, context)

    def drain(self) -> None:
        """Wait for the handler call in flight, if any, to finish."""
        with self.lambda_lock:
            pass


class _RequestHandler(SimpleHTTPRequestHandler):
    server: LocalApiServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, keep-alive clients wait ~40 ms
    # for a delayed ACK before the body arrives.
    disable_nagle_algorithm = True
    # Idle keep-alive connections must not hold a worker thread forever.
    timeout = 15

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(WEB_ROOT), **kwargs)

    # -- API -------------------------------------------------------------------------
    def _is_api(self) -> bool:
        # A malformed request line leaves no path: it gets the stdlib's plain error page.
        path = urlsplit(getattr(self, "path", "") or "").path.rstrip("/") or "/"
        return path in API_ROUTES or self.command not in {"GET", "HEAD"}

    def _proxy_to_lambda(self) -> None:
        length_header = self.headers.get("Content-Length", "0") or "0"
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if length < 0 or length > API_GATEWAY_MAX_BODY:
            self._send_json(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                {
                    "error": {
                        "code": "payload_too_large",
                        "message": "The request body exceeds the API's 10 MB limit.",
                    }
                },
            )
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        event = build_proxy_event(
            method=self.command,
            raw_path=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
        )
        response = self.server.invoke(event)
        payload = response.get("body") or ""
        data = (
            base64.b64decode(payload)
            if response.get("isBase64Encoded")
            else str(payload).encode("utf-8")
        )
        self.send_response(int(response.get("statusCode", 500)))
        headers = dict(response.get("headers") or {})
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers.pop(name, None)
            for value in values:
                self.send_header(name, str(value))
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # -- methods ---------------------------------------------------------------------
    def do_GET(self) -> None:
        if self._is_api():
            self._proxy_to_lambda()
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        if self._is_api():
            self._proxy_to_lambda()
        else:
            super().do_HEAD()

    def do_POST(self) -> None:
        self._proxy_to_lambda()

    # Other methods reach the handler too, which answers 405 (or a CORS preflight).
    def do_PUT(self) -> None:
        self._proxy_to_lambda()

    def do_PATCH(self) -> None:
        self._proxy_to_lambda()

    def do_DELETE(self) -> None:
        self._proxy_to_lambda()

    def do_OPTIONS(self) -> None:
        self._proxy_to_lambda()

    # -- static files ----------------------------------------------------------------
    def list_directory(self, path: Any) -> None:
        # CloudFront + a private bucket list nothing either.
        self.send_error(HTTPStatus.NOT_FOUND, "Not found")
        return None

    def end_headers(self) -> None:
        if not self._is_api():
            # Edits to web/ show on reload while developing.
            self.send_header("Cache-Control", "no-cache")
            self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        if not self.server.quiet:
            super().log_message(format, *args)


def create_server(
    *,
    model_dir: Path | str = DEFAULT_MODEL_DIR,
    host: str = "127.0.0.1",
    port: int = 8080,
    quiet: bool = False,
) -> LocalApiServer:
    """Bind the server and wire the handler to the model; the caller runs serve_forever."""
    runtime = LocalRuntime(model_dir)
    server = LocalApiServer((host, port), quiet=quiet)
    server.handler_module = load_handler(runtime, quiet=quiet, allowed_origin=server.base_url)
    return server


@contextlib.contextmanager
def running_server(
    *, model_dir: Path | str = DEFAULT_MODEL_DIR, port: int = 0, quiet: bool = True
) -> Iterator[LocalApiServer]:
    """A server on a free loopback port in a background thread, stopped on exit."""
    server = create_server(model_dir=model_dir, port=port, quiet=quiet)
    thread = threading.Thread(target=server.serve_forever, name="local-api", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.drain()
        server.server_close()
        thread.join(timeout=5)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=DEFAULT_MODEL_DIR,
        help="trained model directory (model.joblib + code/)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="bind address; keep loopback unless you mean to expose it",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8080")),
        help="port (env PORT, default 8080; 0 = any free port)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no access log, warnings only, no metric records"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        server = create_server(
            model_dir=args.model_dir, host=args.host, port=args.port, quiet=args.quiet
        )
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    thread = threading.Thread(target=server.serve_forever, name="local-api", daemon=True)
    thread.start()
    print(
        f"Serving {WEB_ROOT.relative_to(REPO_ROOT)}/ and the predict API on {server.base_url}/ "
        f"(model {Path(args.model_dir)}); Ctrl+C stops.",
        flush=True,
    )
    # A timed wait keeps the main thread responsive to signals.
    while not stop.wait(0.5):
        pass
    print("Stopping: finishing the request in flight...", flush=True)
    server.shutdown()
    server.drain()
    server.server_close()
    thread.join(timeout=5)
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
