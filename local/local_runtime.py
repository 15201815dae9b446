"""The SageMaker endpoint's local twin: the serving functions of `inference.py`, in process.

`LocalRuntime` answers `invoke_endpoint` and `describe_endpoint` the way boto3's
sagemaker-runtime and sagemaker clients do, so `lambda/predict/handler.py` runs
unchanged against a locally trained model. It loads the model directory exactly as the
scikit-learn serving container does: the entry point from `<model_dir>/code/inference.py`
(importing the helpers shipped next to it, not this process's copies), then
``model_fn(model_dir)`` once, then ``input_fn`` -> ``predict_fn`` -> ``output_fn`` per call.

The handlers see the request as the container's serving stack (sagemaker-containers) hands
it over: ``text`` for exactly ``application/json`` and ``text/csv`` (decoded as werkzeug
does, bad bytes replaced), raw bytes otherwise; a missing or ``*/*`` Accept becomes
``application/json``. Their answer is read as the container reads it: a (body, content
type) tuple is a 200; a WSGI application (``inference.RejectedRequest``) answers its own
status and body.

Errors come back as botocore `ClientError`s shaped like SageMaker's: a 4xx answer is a
``ModelError`` with that ``OriginalStatusCode`` and the answer's body as
``OriginalMessage``, an exception inside the model a ``ModelError`` with 500 (the
traceback as message), and an unknown endpoint name a ``ValidationError`` "... not
found", so the handler's error mapping is exercised locally.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError
from botocore.response import StreamingBody

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = REPO_ROOT / "build" / "model" / "model"
DEFAULT_ENDPOINT_NAME = "local-endpoint"
VARIANT_NAME = "AllTraffic"
_ACCOUNT = "000000000000"
_REGION = "local"

# The content types sagemaker-containers decodes to text before input_fn sees them, and
# the Accept it substitutes for a missing or "*/*" one (SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT).
_TEXT_TYPES = ("application/json", "text/csv")
_DEFAULT_ACCEPT = "application/json"

_load_lock = threading.Lock()


def _client_error(
    operation: str, code: str, message: str, http_status: int, **modeled: Any
) -> ClientError:
    """A ClientError as botocore parses it, modeled fields (OriginalStatusCode...) on top."""
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": http_status, "HTTPHeaders": {}},
    }
    response.update(modeled)
    return ClientError(response, operation)


@contextlib.contextmanager
def _shipped_modules(code_dir: Path) -> Iterator[None]:
    """Let the model import the helpers shipped beside its entry point, then hide them.

    In the cloud the endpoint is a process of its own. Here it shares the interpreter
    with the Lambda handler, and both import `text_normalization` by name: the model
    gets its own copies while it loads, and the process gets its modules back after.
    """
    names = {path.stem for path in code_dir.glob("*.py")}
    with _load_lock:
        saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
        sys.path.insert(0, str(code_dir))
        try:
            yield
        finally:
            sys.path.remove(str(code_dir))
            for name in names:
                sys.modules.pop(name, None)
            sys.modules.update(saved)


def load_model(model_dir: Path) -> tuple[ModuleType, Any]:
    """The serving entry point shipped with the model and ``model_fn(model_dir)``.

    The entry point is imported under a private module name so that it never collides
    with the `inference` module of the source tree (tests put `training/` on sys.path).
    """
    code_dir = model_dir / "code"
    entry = code_dir / "inference.py"
    if not entry.is_file():
        raise FileNotFoundError(
            f"{entry} not found: train a model first (make train, or local/run_training.py)"
        )
    spec = importlib.util.spec_from_file_location("_local_endpoint_inference", entry)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {entry}")
    module = importlib.util.module_from_spec(spec)
    with _shipped_modules(code_dir):
        spec.loader.exec_module(module)
        for name in ("model_fn", "input_fn", "predict_fn", "output_fn"):
            if not callable(getattr(module, name, None)):
                raise ImportError(f"{entry} defines no {name}()")
        # model_fn loads through the helpers shipped beside it, imported by name.
        return module, module.model_fn(str(model_dir))


def _request_content(body: bytes, content_type: str) -> str | bytes:
    """The body as the container hands it to input_fn (sagemaker_containers' Request)."""
    if content_type in _TEXT_TYPES:
        return body.decode("utf-8", errors="replace")
    return body


def _wsgi_answer(app: Callable[..., Iterable[bytes]]) -> tuple[int, str, bytes]:
    """(status, content type, body) of a WSGI application answering a POST."""
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        started.update(status=int(status.split()[0]), headers=dict(headers))

    body = b"".join(app({"REQUEST_METHOD": "POST", "PATH_INFO": "/invocations"}, start_response))
    return started["status"], started["headers"].get("Content-Type", ""), body


class LocalRuntime:
    """A boto3-shaped sagemaker-runtime *and* sagemaker client over an in-process model."""

    def __init__(
        self, model_dir: Path | str = DEFAULT_MODEL_DIR, endpoint_name: str = DEFAULT_ENDPOINT_NAME
    ) -> None:
        self.model_dir = Path(model_dir).resolve()
        self.endpoint_name = endpoint_name
        self.inference, self.model = load_model(self.model_dir)

    @property
    def model_version(self) -> str:
        """A version label for answers: when the model artefact was written."""
        metadata = self.model_dir / "model.json"
        artefact = metadata if metadata.is_file() else self.model_dir
        written = datetime.fromtimestamp(artefact.stat().st_mtime, tz=UTC)
        return "local-" + written.strftime("%Y%m%dT%H%MZ")

    def _check_endpoint(self, operation: str, name: str) -> None:
        if name != self.endpoint_name:
            raise _client_error(
                operation,
                "ValidationError",
                f"Endpoint {name} of account {_ACCOUNT} not found.",
                400,
            )

    def invoke_endpoint(
        self,
        *,
        EndpointName: str,  # noqa: N803 (boto3's parameter names)
        Body: bytes | str,  # noqa: N803
        ContentType: str = "application/json",  # noqa: N803
        Accept: str = "application/json",  # noqa: N803
        **_: Any,
    ) -> dict[str, Any]:
        self._check_endpoint("InvokeEndpoint", EndpointName)
        body = Body.encode("utf-8") if isinstance(Body, str) else bytes(Body)
        accept = _DEFAULT_ACCEPT if Accept in ("", "*/*") else Accept
        try:
            data = self.inference.input_fn(_request_content(body, ContentType), ContentType)
            prediction = self.inference.predict_fn(data, self.model)
            answer = self.inference.output_fn(prediction, accept)
        except Exception as err:
            # The container answers 500 with an error page; the traceback says more here.
            raise _client_error(
                "InvokeEndpoint",
                "ModelError",
                "Received server error (500) from primary. "
                "See the local server log for more information.",
                424,
                OriginalStatusCode=500,
                OriginalMessage=traceback.format_exc(),
            ) from err
        status, content_type = 200, accept
        if isinstance(answer, tuple):
            answer, content_type = answer[0], answer[1]
        elif callable(answer):
            status, content_type, answer = _wsgi_answer(answer)
        payload = answer.encode("utf-8") if isinstance(answer, str) else bytes(answer)
        if status >= 400:
            message = payload.decode("utf-8", errors="replace")
            raise _client_error(
                "InvokeEndpoint",
                "ModelError",
                f'Received client error ({status}) from primary with message "{message}". '
                "See the local server log for more information.",
                424,
                OriginalStatusCode=status,
                OriginalMessage=message,
            )
        return {
            "Body": StreamingBody(io.BytesIO(payload), len(payload)),
            "ContentType": content_type,
            "InvokedProductionVariant": VARIANT_NAME,
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}},
        }

    def describe_endpoint(self, *, EndpointName: str) -> dict[str, Any]:  # noqa: N803
        self._check_endpoint("DescribeEndpoint", EndpointName)
        return {
            "EndpointName": self.endpoint_name,
            "EndpointArn": f"arn:aws:sagemaker:{_REGION}:{_ACCOUNT}:endpoint/{self.endpoint_name}",
            "EndpointConfigName": f"{self.endpoint_name}-config",
            "EndpointStatus": "InService",
            "ProductionVariants": [{"VariantName": VARIANT_NAME, "CurrentWeight": 1.0}],
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}},
        }
