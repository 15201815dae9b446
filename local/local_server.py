"""Local twin of CloudFront + API Gateway + Lambda, as a server object (see serve.py).

A stdlib ThreadingHTTPServer that serves `web/` as static files and turns POST /predict,
GET /health (and any other API call) into an API Gateway REST proxy event for the very
same `lambda/predict/handler.py` the cloud runs. The handler gets the settings the
serving stack gives the function for the chosen stage (cdk.json), and its SageMaker
clients are `local_runtime.LocalRuntime`, the locally trained model in process.

One lock serialises handler calls: a warm Lambda instance handles one event at a time,
and Powertools keeps per-process metric state that concurrent calls would mix up.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
WEB_ROOT = REPO_ROOT / "web"
# What the Lambda bundle holds (lambda/predict + common/, flat), and the stage config.
for _path in (REPO_ROOT / "lambda" / "predict", REPO_ROOT / "common", REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from api_settings import Settings  # noqa: E402
from local_gateway import LocalLambdaContext, build_proxy_event, http_answer  # noqa: E402
from local_runtime import DEFAULT_MODEL_DIR, LocalRuntime  # noqa: E402
from stacks.config import cdk_json_context, stage_config  # noqa: E402

# API Gateway rejects larger payloads before Lambda runs; mimic that so nobody can make
# the local server buffer an arbitrary upload.
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
# Routes that always go to the Lambda, whatever the method (everything else GET is static).
API_ROUTES = frozenset({"/predict", "/health"})


def stage_settings(runtime: LocalRuntime, *, stage: str | None, origin: str) -> Settings:
    """The handler's settings as the serving stack sets them for `stage`, on the local model.

    `stage` None means the context's own stage, as for `cdk synth` without `-c stage=`.
    """
    serving = stage_config(cdk_json_context(), stage).serving
    return Settings.from_env(
        {
            **os.environ,
            "ENDPOINT_NAME": runtime.endpoint_name,
            "MODEL_VERSION": os.environ.get("MODEL_VERSION") or runtime.model_version,
            "ALLOWED_ORIGIN": os.environ.get("ALLOWED_ORIGIN") or origin,
            **serving.request_limits_environment(),
        }
    )


def load_handler(runtime: LocalRuntime, settings: Settings, *, quiet: bool) -> ModuleType:
    """Import the Lambda handler and point it at the in-process model."""
    if quiet and "handler" not in sys.modules:
        # Powertools reads these when the handler module builds its logger and metrics, so
        # they only work before the first import; a host that already imported the handler
        # (a test run) keeps its own settings rather than have them changed underneath it.
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    import handler

    handler.configure(settings=settings, runtime=runtime, sagemaker=runtime)
    return handler


class LocalApiServer(ThreadingHTTPServer):
    """Serves web/ and hands API calls to the Lambda handler, one call at a time."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], runtime: LocalRuntime, *, stage: str | None, quiet: bool
    ) -> None:
        super().__init__(address, _RequestHandler)
        self.quiet = quiet
        self.lambda_lock = threading.Lock()
        try:
            # The page and the API share this origin, which is only known once bound.
            self.settings = stage_settings(runtime, stage=stage, origin=self.base_url)
            self.handler_module = load_handler(runtime, self.settings, quiet=quiet)
        except BaseException:
            self.server_close()
            raise

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.lambda_lock:
            response: dict[str, Any] = self.handler_module.handler(event, LocalLambdaContext())
        return response

    def stop(self) -> None:
        """Stop accepting, let the handler call in flight finish, close the socket."""
        self.shutdown()
        with self.lambda_lock:
            pass
        self.server_close()


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

    def _is_api(self) -> bool:
        # A malformed request line leaves no path: it gets the stdlib's plain error page.
        path = urlsplit(getattr(self, "path", "") or "").path.rstrip("/") or "/"
        return path in API_ROUTES or self.command not in {"GET", "HEAD"}

    def _proxy_to_lambda(self) -> None:
        try:
            length = int(self.headers.get("Content-Length", "0") or "0")
        except ValueError:
            length = -1
        if length < 0 or length > API_GATEWAY_MAX_BODY:
            message = "The request body exceeds the API's 10 MB limit."
            error = {"code": "payload_too_large", "message": message}
            json_type = [("Content-Type", "application/json")]
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, json_type, json.dumps({"error": error}))
            self.close_connection = True
            return
        event = build_proxy_event(
            method=self.command,
            raw_path=self.path,
            headers=list(self.headers.items()),
            body=self.rfile.read(length) if length else b"",
            source_ip=self.client_address[0],
        )
        self._send(*http_answer(self.server.invoke(event)))

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes | str) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

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

    # Other methods reach the handler too, which answers 405 (or a CORS preflight).
    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _proxy_to_lambda  # noqa: N815

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
    stage: str | None = None,
) -> LocalApiServer:
    """Load the model, bind, wire the handler; the caller runs serve_forever."""
    return LocalApiServer((host, port), LocalRuntime(model_dir), stage=stage, quiet=quiet)


@contextlib.contextmanager
def running_server(
    *,
    model_dir: Path | str = DEFAULT_MODEL_DIR,
    port: int = 0,
    quiet: bool = True,
    stage: str | None = None,
) -> Iterator[LocalApiServer]:
    """A server on a free loopback port in a background thread, stopped on exit."""
    server = create_server(model_dir=model_dir, port=port, quiet=quiet, stage=stage)
    thread = threading.Thread(target=server.serve_forever, name="local-api", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=5)
