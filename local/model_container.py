"""The scikit-learn serving container's side of the local endpoint: load, then serve.

It loads the model directory exactly as the container does: the entry point from
`<model_dir>/code/inference.py` (importing the helpers shipped next to it, not this
process's copies), then ``model_fn(model_dir)`` once, then ``input_fn`` ->
``predict_fn`` -> ``output_fn`` per call (`run_container`).

The handlers see the request as the container's serving stack (sagemaker-containers) hands
it over: ``text`` for exactly ``application/json`` and ``text/csv`` (decoded as werkzeug
does, bad bytes replaced), raw bytes otherwise. Their answer is read as the container
reads it: a (body, content type) tuple is a 200; a WSGI application
(``inference.RejectedRequest``) answers its own status and body.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

# The content types sagemaker-containers decodes to text before input_fn sees them.
_TEXT_TYPES = ("application/json", "text/csv")

_load_lock = threading.Lock()


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


def request_content(body: bytes, content_type: str) -> str | bytes:
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


@dataclasses.dataclass(frozen=True)
class ContainerAnswer:
    """What the container answered one call: status, content type, body, error code."""

    status: int
    content_type: str
    payload: bytes
    error_code: str | None = None


def _error_code(payload: bytes) -> str | None:
    try:
        error = json.loads(payload).get("error")
        return str(error.get("code")) if isinstance(error, dict) else None
    except (ValueError, AttributeError):
        return None


def run_container(
    inference: ModuleType, model: Any, body: bytes, content_type: str, accept: str
) -> ContainerAnswer:
    """input_fn -> predict_fn -> output_fn as the container runs them; raises on a crash."""
    data = inference.input_fn(request_content(body, content_type), content_type)
    prediction = inference.predict_fn(data, model)
    answer = inference.output_fn(prediction, accept)
    status, answer_type = 200, accept
    if isinstance(answer, tuple):
        answer, answer_type = answer[0], answer[1]
    elif callable(answer):
        status, answer_type, answer = _wsgi_answer(answer)
    payload = answer.encode("utf-8") if isinstance(answer, str) else bytes(answer)
    return ContainerAnswer(
        status, answer_type, payload, _error_code(payload) if status >= 400 else None
    )
