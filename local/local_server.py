"""Local twin of CloudFront + API Gateway + Lambda, as a server object (see serve.py).

A stdlib ThreadingHTTPServer that serves `web/` as static files and turns POST /predict,
GET /health (and any other API call) into an API Gateway REST proxy event for the very
same `lambda/predict/handler.py` the cloud runs. The handler gets the settings the
serving stack gives the function for the chosen stage (cdk.json), and its SageMaker
clients are `local_runtime.LocalRuntime`, the locally trained model in process.

One lock serialises handler calls: a warm Lambda instance handles one event at a time,
and Powertools keeps per-process metric state that concurrent calls would mix up. A
request's ``X-True-Label`` header (its ground truth) is handed to the endpoint's request
log beside the handler call (`request_log.ground_truth`); the handler never sees it.

What the front door (CloudFront, API Gateway) refuses before any Lambda runs, this
server refuses too, always with the API's JSON error body and the connection closed:
methods nothing serves (405), ambiguous framing such as Transfer-Encoding or a bad
Content-Length (411/400, see `local_gateway.declared_body_length`), bodies over API
Gateway's 10 MB (413), oversized request lines and headers (414/431), and static paths
no file can have (404).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from handler_wiring import REPO_ROOT, load_handler, stage_settings
from local_gateway import (
    LocalLambdaContext,
    RequestRefusedError,
    build_proxy_event,
    declared_body_length,
    http_answer,
    refusal_answer,
)
from local_runtime import DEFAULT_MODEL_DIR, LocalRuntime
from request_log import TRUE_LABEL_HEADER, ground_truth

WEB_ROOT = REPO_ROOT / "web"
# What the static site answers to; API routes take what the handler's routes take.
STATIC_METHODS = "GET, HEAD"
# Re-exported for the benchmarks, which wire the handler as the server does.
__all__ = ["LocalApiServer", "create_server", "load_handler", "running_server", "stage_settings"]


class LocalApiServer(ThreadingHTTPServer):
    """Serves web/ and hands API calls to the Lambda handler, one call at a time."""

    daemon_threads = True
    # The listen backlog. With the stdlib's 5, a burst that outruns the accept loop gets
    # connections reset or left hanging (83-115 of 200 at once); the kernel caps this at
    # net.core.somaxconn (4096 on current Linux).
    request_queue_size = 1024

    def __init__(
        self,
        address: tuple[str, int],
        runtime: LocalRuntime,
        *,
        stage: str | None,
        quiet: bool,
        allow_target_variant: bool = False,
    ) -> None:
        super().__init__(address, _RequestHandler)
        self.quiet = quiet
        self.runtime = runtime
        self.lambda_lock = threading.Lock()
        try:
            # The page and the API share this origin, which is only known once bound.
            self.settings = stage_settings(
                runtime,
                stage=stage,
                origin=self.base_url,
                allow_target_variant=allow_target_variant,
            )
            self.handler_module = load_handler(runtime, self.settings, quiet=quiet)
            # Routes that always go to the Lambda, whatever the method; the rest of GET
            # and HEAD is static.
            self.api_methods: dict[str, str] = dict(self.handler_module.ALLOWED_METHODS)
        except BaseException:
            self.server_close()
            raise

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        # The model's answers reach the request log inside the handler call: the truth
        # travels beside it (API Gateway forwards the header; the handler ignores it).
        truth = headers.get(TRUE_LABEL_HEADER.lower())
        with self.lambda_lock, ground_truth(truth):
            response: dict[str, Any] = self.handler_module.handler(event, LocalLambdaContext())
        return response

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-request or mid-answer is its own business, not a
        # server fault worth a traceback; anything else is still printed.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def stop(self) -> None:
        """Stop accepting, let the handler call in flight finish, close the socket."""
        self.shutdown()
        with self.lambda_lock:
            pass
        self.server_close()
        self.runtime.close()


class _RequestHandler(SimpleHTTPRequestHandler):
    server: LocalApiServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, keep-alive clients wait ~40 ms
    # for a delayed ACK before the body arrives.
    disable_nagle_algorithm = True
    # Idle keep-alive connections must not hold a worker thread forever.
    timeout = 15
    # Set per request by parse_request.
    body_length = 0
    _expects_continue = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(WEB_ROOT), **kwargs)

    def _route(self) -> str:
        path = getattr(self, "path", "") or ""  # a malformed request line leaves none
        # Only paths route; parse_request refuses other targets ("*", "host:443", URLs).
        return (urlsplit(path).path.rstrip("/") or "/") if path.startswith("/") else ""

    def _is_api(self) -> bool:
        return self._route() in self.server.api_methods or self.command not in {"GET", "HEAD"}

    def parse_request(self) -> bool:
        """The stdlib's parsing, then what API Gateway would refuse before any Lambda."""
        self._expects_continue = False
        if not super().parse_request():
            return False
        bad = HTTPStatus.BAD_REQUEST
        try:
            if self.request_version == "HTTP/0.9":
                # No status line, no headers: nothing a browser or curl sends any more.
                raise RequestRefusedError(bad, None, "HTTP/0.9 is not served.")
            if not hasattr(self, f"do_{self.command}"):
                allowed = self.server.api_methods.get(self._route(), STATIC_METHODS)
                message = f"{self.command[:20]} is not allowed here; use {allowed}."
                status = HTTPStatus.METHOD_NOT_ALLOWED
                raise RequestRefusedError(status, None, message, [("Allow", allowed)])
            if not self.path.startswith("/"):
                raise RequestRefusedError(bad, None, "The request target must start with /.")
            self.body_length = declared_body_length(self.headers)
        except RequestRefusedError as refusal:
            self._refuse(refusal)
            return False
        if self._expects_continue:
            super().handle_expect_100()
        if self.body_length and not self._is_api():
            # Static files never read a body: close rather than parse it as a request.
            self.close_connection = True
        return True

    def handle_expect_100(self) -> bool:
        # Invite the body only once the checks above passed: a refused upload never starts.
        self._expects_continue = True
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the stdlib answers (400, 404, 414, 431, 505) get the API's JSON body too."""
        self.log_error("code %d, message %s", code, message)
        status = HTTPStatus(code)
        self._refuse(RequestRefusedError(status, None, message or status.phrase))

    def _refuse(self, refusal: RequestRefusedError) -> None:
        if self.request_version == "HTTP/0.9":
            # A request line the stdlib cannot parse is answered as HTTP/0.9: no status line.
            self.request_version = "HTTP/1.0"
        self.close_connection = True
        self._send(*refusal_answer(refusal))

    def _proxy_to_lambda(self) -> None:
        event = build_proxy_event(
            method=self.command,
            raw_path=self.path,
            headers=list(self.headers.items()),
            body=self.rfile.read(self.body_length) if self.body_length else b"",
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

    def send_head(self) -> Any:
        try:
            return super().send_head()
        except ValueError:
            # A NUL byte (%00) or an encoded lone surrogate: no file has such a name, and
            # open() raises instead of failing with OSError as the stdlib expects.
            self.send_error(HTTPStatus.NOT_FOUND, "Not found")
            return None

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
    runtime: LocalRuntime | None = None,
    allow_target_variant: bool = False,
) -> LocalApiServer:
    """Load the model (or take a runtime of variants), bind, wire the handler; the caller
    runs serve_forever."""
    return LocalApiServer(
        (host, port),
        runtime or LocalRuntime(model_dir),
        stage=stage,
        quiet=quiet,
        allow_target_variant=allow_target_variant,
    )


@contextlib.contextmanager
def running_server(
    *,
    model_dir: Path | str = DEFAULT_MODEL_DIR,
    port: int = 0,
    quiet: bool = True,
    stage: str | None = None,
    runtime: LocalRuntime | None = None,
    allow_target_variant: bool = False,
) -> Iterator[LocalApiServer]:
    """A server on a free loopback port in a background thread, stopped on exit."""
    server = create_server(
        model_dir=model_dir,
        port=port,
        quiet=quiet,
        stage=stage,
        runtime=runtime,
        allow_target_variant=allow_target_variant,
    )
    thread = threading.Thread(target=server.serve_forever, name="local-api", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=5)
